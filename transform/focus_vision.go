package transform

import (
	"context"
	"errors"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/pixmill/pixmill/vision"
)

// Analyzer is what Vision needs of the sidecar client (vision.Client).
type Analyzer interface {
	Analyze(ctx context.Context, preview []byte, w, h int) (vision.Regions, error)
}

// VisionConfig says how hard to try the sidecar before falling back.
type VisionConfig struct {
	Timeout         time.Duration // per analysis; the request waits no longer (default 150 ms)
	BreakerFailures int           // consecutive failures that open the breaker (default 5)
	BreakerCooldown time.Duration // how long it stays open before one trial (default 10 s)
	CacheSize       int           // analyses kept, by source version (default 10000)
	PreviewLongSide int           // preview size sent to the sidecar (default 320)
}

// VisionObserver receives the outcome of every analysis, for metrics.
type VisionObserver struct {
	Result   func(result string)   // ok, cached, error, timeout, overloaded, breaker_open
	Duration func(seconds float64) // sidecar round trips only
	Fallback func(reason string)   // the crop fell back to libvips attention
}

// Vision asks the sidecar where faces and salient regions are, behind a
// timeout and a circuit breaker, and remembers each answer by source
// version so that every width of a srcset reuses one analysis. Concurrent
// requests for the same source share one analysis.
type Vision struct {
	client Analyzer
	cfg    VisionConfig
	obs    VisionObserver
	cache  *lru.Cache[string, vision.Regions]

	mu       sync.Mutex
	failures int
	openTill time.Time
	trial    bool // a half-open trial is in flight
	inflight map[string]*analysis
}

type analysis struct {
	done chan struct{}
	r    vision.Regions
	err  error
}

// NewVision wraps a sidecar client.
func NewVision(client Analyzer, cfg VisionConfig, obs VisionObserver) *Vision {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 150 * time.Millisecond
	}
	if cfg.BreakerFailures <= 0 {
		cfg.BreakerFailures = 5
	}
	if cfg.BreakerCooldown <= 0 {
		cfg.BreakerCooldown = 10 * time.Second
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10_000
	}
	if cfg.PreviewLongSide <= 0 {
		cfg.PreviewLongSide = 320
	}
	c, _ := lru.New[string, vision.Regions](cfg.CacheSize)
	return &Vision{client: client, cfg: cfg, obs: obs, cache: c, inflight: map[string]*analysis{}}
}

// errBreakerOpen is the breaker refusing to try the sidecar.
var errBreakerOpen = errors.New("vision: circuit breaker open")

// regions returns the analysis of the source identified by id (its key and
// version; "" disables the cache), making the preview only if it must ask.
func (v *Vision) regions(ctx context.Context, id string, preview func() ([]byte, int, int, error)) (vision.Regions, error) {
	if id != "" {
		if r, ok := v.cache.Get(id); ok {
			v.result("cached")
			return r, nil
		}
		v.mu.Lock()
		if a, ok := v.inflight[id]; ok {
			v.mu.Unlock()
			select {
			case <-a.done:
				return a.r, a.err
			case <-ctx.Done():
				return vision.Regions{}, ctx.Err()
			}
		}
		a := &analysis{done: make(chan struct{})}
		v.inflight[id] = a
		v.mu.Unlock()
		defer func() {
			v.mu.Lock()
			delete(v.inflight, id)
			v.mu.Unlock()
			close(a.done)
		}()
		a.r, a.err = v.analyze(ctx, preview)
		if a.err == nil {
			v.cache.Add(id, a.r)
		}
		return a.r, a.err
	}
	return v.analyze(ctx, preview)
}

func (v *Vision) analyze(ctx context.Context, preview func() ([]byte, int, int, error)) (vision.Regions, error) {
	if !v.allow() {
		v.result("breaker_open")
		return vision.Regions{}, errBreakerOpen
	}
	pix, w, h, err := preview()
	if err != nil {
		v.settle(true) // not the sidecar's fault: do not count it
		return vision.Regions{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	start := time.Now()
	r, err := v.client.Analyze(ctx, pix, w, h)
	if v.obs.Duration != nil {
		v.obs.Duration(time.Since(start).Seconds())
	}
	switch {
	case err == nil:
		v.result("ok")
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		v.result("timeout")
	case vision.IsOverloaded(err):
		v.result("overloaded")
	default:
		v.result("error")
	}
	v.settle(err == nil || blamesPreview(err))
	return r, err
}

// blamesPreview is a 4xx from the sidecar: it answered, and refused this
// preview; that says nothing about its health, so the breaker ignores it.
func blamesPreview(err error) bool {
	var se *vision.StatusError
	return errors.As(err, &se) && se.Code >= 400 && se.Code < 500
}

// allow is the breaker: closed, it lets every call through; open, none
// until the cooldown ends; then one trial call decides.
func (v *Vision) allow() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.failures < v.cfg.BreakerFailures {
		return true
	}
	if time.Now().Before(v.openTill) || v.trial {
		return false
	}
	v.trial = true
	return true
}

func (v *Vision) settle(ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.trial = false
	if ok {
		v.failures = 0
		return
	}
	v.failures++
	if v.failures >= v.cfg.BreakerFailures {
		v.openTill = time.Now().Add(v.cfg.BreakerCooldown)
	}
}

func (v *Vision) result(r string) {
	if v.obs.Result != nil {
		v.obs.Result(r)
	}
}

func (v *Vision) fallback(reason string) {
	if v.obs.Fallback != nil {
		v.obs.Fallback(reason)
	}
}

type sourceIDKey struct{}

// WithSourceID tells the pipeline which source version it renders, so that
// the sidecar's analysis of it is cached and shared across variants. The
// server sets it to the source key and version.
func WithSourceID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, sourceIDKey{}, id)
}

func sourceID(ctx context.Context) string {
	id, _ := ctx.Value(sourceIDKey{}).(string)
	return id
}
