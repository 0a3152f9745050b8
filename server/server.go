// Package server is pixmill's HTTP face: the chi router, the image handler,
// response headers, admission control, the one error mapping and metrics.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pixmill/pixmill/cache"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// Source is what the server needs of the originals' storage
// (source.Set). Keys are whole: their first segment may name a source.
type Source interface {
	// Resolve names the source that holds key and its key there; the
	// source name is part of the ETag and the purge tag.
	Resolve(key string) (source.Ref, error)
	Attributes(ctx context.Context, key string) (source.Attributes, error)
	ReadKnown(ctx context.Context, key string, a source.Attributes) (source.Object, error)
	Ping(ctx context.Context) error
}

// Renderer is what the server needs of the pixel pipeline
// (transform.Renderer). An interface, so that the handler's own logic
// (headers, validators, caching decisions, error mapping) is tested fast
// without decoding an image, beside the end-to-end tests that do.
type Renderer interface {
	// Render makes the image, or f=json's description of it, from the
	// original; the Result says whether it is whole (see Result.Degraded).
	Render(ctx context.Context, orig transform.Original, opts spec.Options, accept string) (transform.Result, error)
}

// Config is the server's part of the configuration.
type Config struct {
	Headers  HeaderConfig
	ErrorTTL time.Duration
	// RawSVGInline serves raw=true SVGs inline instead of as attachments
	// (raw.svg_inline); they keep Content-Security-Policy: sandbox.
	RawSVGInline      bool
	Concurrency       int           // transforms at once
	Queue             int           // requests waiting for a transform slot
	QueueTimeout      time.Duration // longest wait for a slot
	RequestTimeout    time.Duration // whole request, fetch and render
	RetryAfterSeconds int           // Retry-After on 503

	Cache       cache.Config  // the L1 result cache
	SourceTTL   time.Duration // how long source attributes are trusted
	AdminToken  string        // bearer token for /admin/*; "" disables them
	ClientHints bool          // honour Sec-CH-DPR / Sec-CH-Width / Sec-CH-Viewport-Width
	HintLadder  []int         // widths hints snap to when the preset has none

	Playground PlaygroundConfig // /_playground: off by default (playground.go)
	Cloudflare bool             // /cdn-cgi/image/{options}/{key}: off by default (cloudflare.go)
}

// Server serves images. Build it with New and mount Handler.
type Server struct {
	cfg      Config
	parser   *presets.Parser
	source   Source
	renderer Renderer
	metrics  *Metrics
	admit    *admission
	log      *slog.Logger
	whole    cachePolicy // caching headers of a whole result
	degraded cachePolicy // ... and of a degraded one (see HeaderConfig.DegradedTTL)
	results  *cache.Cache
	attrs    *cache.TTL[source.Attributes]
	// undecodable remembers 422s per variant (source version and canonical
	// transform, as the result cache keys them) for the error TTL, so that
	// retrying a broken original costs neither a fetch nor a render. Per
	// variant, not per source: a corrupt last frame fails the animation,
	// not its first frame.
	undecodable *cache.TTL[error]
	// now is the clock exp= is checked against.
	now func() time.Time
}

// DefaultConfig is the server's built-in configuration: a day for browsers
// and a year for edges (with a day of stale-while-revalidate and a week of
// stale-if-error), errors for 10 s, degraded crops for 60 s; one render per
// core with 64 waiting at most 5 s, 30 s per request; a 512 MiB L1 of items
// up to 8 MiB, source attributes trusted for a minute.
func DefaultConfig() Config {
	return Config{
		Headers: HeaderConfig{
			MaxAge:               24 * time.Hour,
			SMaxAge:              365 * 24 * time.Hour,
			StaleWhileRevalidate: 24 * time.Hour,
			StaleIfError:         7 * 24 * time.Hour,
			SurrogateKeyHeader:   "Surrogate-Key",
			CacheTagHeader:       "Cache-Tag",
			DegradedTTL:          60 * time.Second,
		},
		ErrorTTL:          10 * time.Second,
		Concurrency:       runtime.NumCPU(),
		Queue:             64,
		QueueTimeout:      5 * time.Second,
		RequestTimeout:    30 * time.Second,
		RetryAfterSeconds: 1,
		Cache:             cache.Config{MaxBytes: 512 << 20, MaxItemBytes: 8 << 20},
		SourceTTL:         60 * time.Second,
		HintLadder:        presets.DefaultLadder,
	}
}

// New wires a Server from a complete cfg (DefaultConfig with changes: no
// zero value is filled in here). metrics may be shared with a metrics
// listener.
func New(cfg Config, parser *presets.Parser, src Source, renderer Renderer, metrics *Metrics, log *slog.Logger) *Server {
	l1 := metrics.cacheRequests.MustCurryWith(prometheus.Labels{"tier": "l1"})
	results := cache.New(cfg.Cache, cache.Observer{
		Lookup: func(result string) { l1.WithLabelValues(result).Inc() },
		Bytes:  func(n int64) { metrics.cacheBytes.WithLabelValues("l1").Set(float64(n)) },
		Evict:  func() { metrics.cacheEvictions.WithLabelValues("l1").Inc() },
	})
	return &Server{
		cfg:         cfg,
		parser:      parser,
		source:      src,
		renderer:    renderer,
		metrics:     metrics,
		admit:       newAdmission(cfg.Concurrency, cfg.Queue, cfg.QueueTimeout, metrics),
		log:         log,
		whole:       cfg.Headers.policy(),
		now:         time.Now,
		degraded:    cfg.Headers.degradedPolicy(),
		results:     results,
		attrs:       cache.NewTTL[source.Attributes](100_000, cfg.SourceTTL),
		undecodable: cache.NewTTL[error](10_000, failureTTL(cfg.ErrorTTL)),
	}
}

// UseStore puts the durable derivative store behind the L1 (see
// cache.Cache.DoVariant). Call it before serving.
func (s *Server) UseStore(st *cache.Store) { s.results.UseStore(st, s.adoptStored) }

// adoptStored brings a stored entry's prebuilt headers up to this
// process's configuration: the caching policy and the purge tags are
// written again (the stored ones were made by whichever replica, and
// whichever config, rendered it). Only whole entries are stored, so the
// policy is the whole one; exp= is clipped per response, as for any entry.
func (s *Server) adoptStored(e *cache.Entry) {
	h := e.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	tag := ""
	if ref, err := s.source.Resolve(e.SourceKey); err == nil {
		tag = purgeTag(ref)
	}
	if tag != "" {
		s.setCacheHeaders(h, e.ETag, nil, tag, &s.whole)
	} else {
		h.Set("ETag", e.ETag)
		s.whole.set(h)
	}
	h.Set("Content-Length", strconv.Itoa(len(e.Body)))
	e.Header = h
}

// failureTTL is how long a 422 is remembered: the error TTL, or a few
// seconds when errors are not cached downstream, which still absorbs a
// client's retries.
func failureTTL(errorTTL time.Duration) time.Duration {
	if errorTTL > 0 {
		return errorTTL
	}
	return 5 * time.Second
}

// Handler is the public router: health, readiness, images, purge and the
// playground (playground.go).
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(requestID, s.accessLog, s.traceRequests, s.recoverPanics)
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/favicon.ico", http.NotFound)
	r.Post("/admin/purge", s.purge)
	r.Get("/admin/purge", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
	})
	s.playground(r)
	s.cloudflare(r)
	// Everything else is an image path. It is routed as chi's NotFound
	// rather than a "/*" pattern, which would store a path value (and copy
	// the request) on every request.
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s.image(w, req)
	})
	return r
}

// MetricsHandler serves /metrics for the metrics listener.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	return mux
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz says whether libvips is up and the source storage answers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if transform.Version() == "" {
		http.Error(w, "libvips not started", http.StatusServiceUnavailable)
		return
	}
	if err := s.source.Ping(ctx); err != nil {
		s.log.Warn("readyz: source not reachable", "err", err)
		http.Error(w, "source not reachable", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
