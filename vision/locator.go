package vision

import (
	"context"
	"errors"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/pixmill/pixmill/internal/breaker"
	"github.com/pixmill/pixmill/internal/flight"
)

// Analyzer is what a Locator needs of the sidecar (Client).
type Analyzer interface {
	Analyze(ctx context.Context, preview []byte, w, h int) (Regions, error)
}

// LocatorConfig says how hard to try the sidecar before the caller falls
// back.
type LocatorConfig struct {
	Timeout         time.Duration // per analysis; the request waits no longer
	BreakerFailures int           // consecutive failures that open the breaker
	BreakerCooldown time.Duration // how long it stays open before one trial
	CacheSize       int           // analyses kept, by source version
	PreviewLongSide int           // preview size sent to the sidecar
}

// DefaultLocatorConfig is the built-in policy: 150 ms per analysis, the
// breaker open for 10 s after 5 failures in a row, 10,000 analyses kept,
// 320 px previews.
func DefaultLocatorConfig() LocatorConfig {
	return LocatorConfig{
		Timeout:         150 * time.Millisecond,
		BreakerFailures: 5,
		BreakerCooldown: 10 * time.Second,
		CacheSize:       10_000,
		PreviewLongSide: 320,
	}
}

// Observer receives the outcome of every analysis, for metrics. Any field
// may be nil.
type Observer struct {
	Result   func(result string)   // ok, cached, error, timeout, overloaded, breaker_open
	Duration func(seconds float64) // sidecar round trips only
	Fallback func(reason string)   // no answer: the caller placed the crop another way
}

// Locator asks the sidecar where faces and salient regions are, behind a
// timeout and a circuit breaker, and remembers each answer by source
// version so that every width of a srcset reuses one analysis. Concurrent
// requests for the same source share one analysis, which is cancelled only
// when all of them have gone.
type Locator struct {
	client Analyzer
	cfg    LocatorConfig
	obs    Observer
	cache  *lru.Cache[string, Regions]
	flight flight.Group[string, Regions]
	health *breaker.Breaker
}

// NewLocator wraps a sidecar client; zero fields of cfg take the defaults.
func NewLocator(client Analyzer, cfg LocatorConfig, obs Observer) *Locator {
	d := DefaultLocatorConfig()
	if cfg.Timeout <= 0 {
		cfg.Timeout = d.Timeout
	}
	if cfg.BreakerFailures <= 0 {
		cfg.BreakerFailures = d.BreakerFailures
	}
	if cfg.BreakerCooldown <= 0 {
		cfg.BreakerCooldown = d.BreakerCooldown
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = d.CacheSize
	}
	if cfg.PreviewLongSide <= 0 {
		cfg.PreviewLongSide = d.PreviewLongSide
	}
	c, _ := lru.New[string, Regions](cfg.CacheSize)
	return &Locator{client: client, cfg: cfg, obs: obs, cache: c, health: breaker.New(cfg.BreakerFailures, cfg.BreakerCooldown)}
}

// ErrBreakerOpen is the breaker refusing to try the sidecar.
var ErrBreakerOpen = errors.New("vision: circuit breaker open")

// Preview makes the picture the sidecar analyses: raw 8-bit RGB, long side
// at most longSide.
type Preview func(longSide int) (pix []byte, w, h int, err error)

// Regions returns the analysis of the source identified by id (its key and
// version; "" disables the cache and the sharing), making the preview only
// if it must ask. An error means "no answer": it has been counted as a
// fallback, and the caller places the crop without the sidecar.
func (l *Locator) Regions(ctx context.Context, id string, preview Preview) (Regions, error) {
	r, err := l.regions(ctx, id, preview)
	if err != nil && l.obs.Fallback != nil {
		l.obs.Fallback("sidecar")
	}
	return r, err
}

func (l *Locator) regions(ctx context.Context, id string, preview Preview) (Regions, error) {
	if id == "" {
		return l.analyze(ctx, preview)
	}
	if r, ok := l.cache.Get(id); ok {
		l.result("cached")
		return r, nil
	}
	r, _, err := l.flight.Do(ctx, id, func(ctx context.Context) (Regions, error) {
		r, err := l.analyze(ctx, preview)
		if err == nil {
			l.cache.Add(id, r)
		}
		return r, err
	})
	return r, err
}

func (l *Locator) analyze(ctx context.Context, preview Preview) (Regions, error) {
	if !l.health.Allow() {
		l.result("breaker_open")
		return Regions{}, ErrBreakerOpen
	}
	pix, w, h, err := preview(l.cfg.PreviewLongSide)
	if err != nil {
		l.health.Release() // not the sidecar's fault: do not count it
		return Regions{}, err
	}
	callerCtx := ctx
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	start := time.Now()
	r, err := l.client.Analyze(ctx, pix, w, h)
	if l.obs.Duration != nil {
		l.obs.Duration(time.Since(start).Seconds())
	}
	switch {
	case err == nil:
		l.result("ok")
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		l.result("timeout")
	case IsOverloaded(err):
		l.result("overloaded")
	default:
		l.result("error")
	}
	switch {
	case err == nil || blamesPreview(err):
		l.health.Success()
	case callerCtx.Err() != nil:
		l.health.Release() // the request left; says nothing about the sidecar
	default:
		l.health.Failure()
	}
	return r, err
}

// blamesPreview is a 4xx from the sidecar: it answered, and refused this
// preview; the breaker counts that as an answer (the sidecar is up).
func blamesPreview(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code >= 400 && se.Code < 500
}

func (l *Locator) result(r string) {
	if l.obs.Result != nil {
		l.obs.Result(r)
	}
}
