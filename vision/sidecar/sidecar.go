// Package sidecar is pixmill-vision's HTTP service: POST /v1/analyze takes a
// preview and answers vision.Regions as JSON, with /healthz and /metrics
// beside it. Requests are decoded and resized in their own goroutines, then
// batched for the engine (package batch).
package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/pixmill/pixmill/internal/tracing"

	"github.com/pixmill/pixmill/vision"
	"github.com/pixmill/pixmill/vision/batch"
	"github.com/pixmill/pixmill/vision/engine"
	"github.com/pixmill/pixmill/vision/preview"
	"github.com/pixmill/pixmill/vision/saliency"
)

// Analyzer is what the sidecar needs from the engine (an interface so that
// the HTTP tests can run without ONNX Runtime).
type Analyzer interface {
	Prepare(preview.Image) *engine.Job
	Run([]*engine.Job) error
	Provider() string
}

// Config is the batching policy and where metrics go.
type Config struct {
	// MaxBatch is the most previews per model run; 0 picks the provider's
	// default (Defaults).
	MaxBatch int
	// MaxWait is how long a batch waits for more previews after its first;
	// negative picks the provider's default. Zero adds no wait: a batch
	// takes what queued while the previous one ran.
	MaxWait time.Duration
	// Queue is how many prepared previews may wait for a batch before the
	// sidecar answers 503; 0 means DefaultQueue.
	Queue int
	// MaxRequests is how many analyze requests may be in the sidecar at
	// once, from the first byte of the body to the answer; more are
	// answered 503 before their bodies are read. 0 means Queue + MaxBatch:
	// what the batcher could hold anyway.
	MaxRequests int
	// Decoders is how many admitted requests may read and decode their
	// bodies at once (each up to 3 MiB raw plus its decoded image); the
	// others wait with unread bodies. 0 means one per core.
	Decoders int
	// Registry gets the sidecar's metrics and is served on /metrics; nil
	// makes a fresh one.
	Registry *prometheus.Registry
	Logger   *slog.Logger
}

// DefaultQueue is the default Config.Queue: at the CPU's ~70 analyses/s
// on two cores, about a second of work.
const DefaultQueue = 64

// Defaults returns the batching policy for an execution provider. On the
// CPU, batches bring no throughput (ORT already spreads one image over the
// cores) and a batch of n makes each of its requests wait for all n, so the
// CPU runs one preview per batch without waiting: docs/vision.md has the
// measurements. A GPU runs a batch of 16 previews in about the time of one,
// so CUDA waits up to 2 ms to fill one (not measured here: no GPU).
func Defaults(provider string) (maxBatch int, maxWait time.Duration) {
	if provider == engine.ProviderCUDA {
		return 16, 2 * time.Millisecond
	}
	return 1, 0
}

// Server is one sidecar.
type Server struct {
	// admit and decode are semaphores (see Config.MaxRequests, Decoders):
	// a request is admitted before any byte of its body is read, so a flood
	// of large previews costs sockets, not memory (200 concurrent 3 MB
	// previews held 976 MB when bodies were read first).
	admit   chan struct{}
	decode  chan struct{}
	an      Analyzer
	batcher *batch.Batcher[*engine.Job]
	m       *metrics
	reg     *prometheus.Registry
	log     *slog.Logger

	maxBatch int
	maxWait  time.Duration
}

// Batching returns the policy in force, after defaults.
func (s *Server) Batching() (maxBatch int, maxWait time.Duration) { return s.maxBatch, s.maxWait }

// New starts the batcher around an analyzer.
func New(an Analyzer, cfg Config) *Server {
	autoBatch, autoWait := Defaults(an.Provider())
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = autoBatch
	}
	if cfg.MaxWait < 0 {
		cfg.MaxWait = autoWait
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = cfg.Queue + cfg.MaxBatch
	}
	if cfg.Decoders <= 0 {
		cfg.Decoders = runtime.GOMAXPROCS(0)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		admit: make(chan struct{}, cfg.MaxRequests), decode: make(chan struct{}, cfg.Decoders),
		an: an, reg: cfg.Registry, log: cfg.Logger, maxBatch: cfg.MaxBatch, maxWait: cfg.MaxWait,
	}
	s.m = newMetrics(cfg.Registry, an.Provider(), func() int { return s.batcher.Depth() })
	s.batcher = batch.New(batch.Config{MaxBatch: cfg.MaxBatch, MaxWait: cfg.MaxWait, Queue: cfg.Queue, Observe: s.m.observeBatch}, an.Run)
	return s
}

// Close finishes the queued work and stops the batcher.
func (s *Server) Close() { s.batcher.Close() }

// Handler serves /v1/analyze, /healthz and /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+vision.AnalyzePath, s.analyze)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	return mux
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "provider": s.an.Provider(), "runtime": engine.RuntimeVersion()})
}

// maxBody bounds a request body: a raw preview at the largest size.
const maxBody = vision.MaxPreviewSide*vision.MaxPreviewSide*3 + 1

func (s *Server) analyze(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var span trace.Span
	if tracing.On() { // continue the caller's trace from its traceparent
		ctx := tracing.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span = tracing.Tracer(tracerName).Start(ctx, "sidecar.analyze", trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		r = r.WithContext(ctx)
	}
	res, code, err := s.analyzeRequest(r)
	if span != nil {
		traceAnswer(span, res, code, err)
	}
	result := resultOK
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		result = resultCanceled
	case code == http.StatusRequestEntityTooLarge:
		result = resultTooLarge
	case code == http.StatusBadRequest:
		result = resultBadRequest
	case code == http.StatusServiceUnavailable:
		result = resultOverloaded
	default:
		result = resultError
	}
	s.m.requests.WithLabelValues(result).Inc()
	if err != nil {
		if result == resultError {
			s.log.Error("vision: analyze", "err", err)
		}
		if code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, err.Error(), code)
		return
	}
	s.m.duration.Observe(time.Since(start).Seconds())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

// tracerName names the sidecar's spans' scope.
const tracerName = "github.com/pixmill/pixmill/vision/sidecar"

// traceAnswer adds the answer to the sidecar's span.
func traceAnswer(span trace.Span, res vision.Regions, code int, err error) {
	span.SetAttributes(attribute.Int("http.response.status_code", code))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return
	}
	span.SetAttributes(attribute.Int("vision.faces", len(res.Faces)), attribute.String("vision.provider", res.Provider))
}

// analyzeRequest does the work and says which status an error maps to.
func (s *Server) analyzeRequest(r *http.Request) (vision.Regions, int, error) {
	q := r.URL.Query()
	grid := 0
	if g := q.Get("grid"); g != "" {
		n, err := strconv.Atoi(g)
		if err != nil || n < 1 || n > vision.MaxGrid {
			return vision.Regions{}, http.StatusBadRequest, fmt.Errorf("grid must be 1..%d", vision.MaxGrid)
		}
		grid = n
	}
	if r.ContentLength > maxBody {
		return vision.Regions{}, http.StatusRequestEntityTooLarge, errors.New("preview too large")
	}
	select {
	case s.admit <- struct{}{}:
		defer func() { <-s.admit }()
	default:
		return vision.Regions{}, http.StatusServiceUnavailable, errors.New("sidecar busy: too many requests")
	}
	job, code, err := s.prepare(r, q)
	if err != nil {
		return vision.Regions{}, code, err
	}
	if err := s.batcher.Do(r.Context(), job); err != nil {
		if errors.Is(err, batch.ErrOverloaded) || errors.Is(err, batch.ErrClosed) {
			return vision.Regions{}, http.StatusServiceUnavailable, err
		}
		return vision.Regions{}, http.StatusInternalServerError, err
	}
	res := vision.Regions{
		Faces:    job.Faces,
		Salient:  saliency.Region(job.Saliency, saliency.Size),
		Provider: s.an.Provider(),
	}
	if res.Faces == nil {
		res.Faces = []vision.Box{}
	}
	if grid > 0 {
		res.Grid = saliency.Grid(job.Saliency, saliency.Size, grid)
	}
	return res, http.StatusOK, nil
}

// prepare reads and decodes the body and prepares the engine's input, in
// one of the Decoders slots: only the slots' bodies are in memory at once,
// and the prepared job that outlives them is small.
func (s *Server) prepare(r *http.Request, q map[string][]string) (*engine.Job, int, error) {
	select {
	case s.decode <- struct{}{}:
		defer func() { <-s.decode }()
	case <-r.Context().Done():
		return nil, http.StatusServiceUnavailable, r.Context().Err()
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, errors.New("preview too large")
		}
		return nil, http.StatusBadRequest, fmt.Errorf("reading preview: %w", err)
	}
	img, err := decode(r.Header.Get("Content-Type"), q, body)
	if err != nil {
		if errors.Is(err, preview.ErrTooLarge) {
			return nil, http.StatusRequestEntityTooLarge, err
		}
		return nil, http.StatusBadRequest, err
	}
	return s.an.Prepare(img), http.StatusOK, nil
}

// decode reads the preview as the Content-Type says: raw RGB with w and h,
// or a JPEG or PNG.
func decode(ctype string, q map[string][]string, body []byte) (preview.Image, error) {
	mt, _, _ := mime.ParseMediaType(ctype)
	switch mt {
	case vision.ContentTypeRGB, "":
		w, errW := strconv.Atoi(first(q["w"]))
		h, errH := strconv.Atoi(first(q["h"]))
		if errW != nil || errH != nil {
			return preview.Image{}, errors.New("raw RGB preview needs w and h query parameters")
		}
		return preview.FromRGB(body, w, h, vision.MaxPreviewSide)
	case "image/jpeg", "image/png":
		return preview.Decode(body, vision.MaxPreviewSide)
	}
	return preview.Image{}, fmt.Errorf("unsupported Content-Type %q (want %s, image/jpeg or image/png)", mt, vision.ContentTypeRGB)
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
