package transform

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmill/pixmill/vision"
)

// scripted answers like a sidecar would, on cue: it stands in for the
// sidecar's failure modes (errors, slowness), which the breaker and cache
// logic must handle deterministically. The real sidecar is exercised in the
// server's end-to-end vision tests.
type scripted struct {
	calls atomic.Int64
	fn    func(ctx context.Context) (vision.Regions, error)
}

func (s *scripted) Analyze(ctx context.Context, _ []byte, _, _ int) (vision.Regions, error) {
	s.calls.Add(1)
	return s.fn(ctx)
}

func preview() ([]byte, int, int, error) { return make([]byte, 3), 1, 1, nil }

type tally struct {
	mu sync.Mutex
	m  map[string]int
}

func (t *tally) observer() VisionObserver {
	t.m = map[string]int{}
	add := func(k string) { t.mu.Lock(); t.m[k]++; t.mu.Unlock() }
	return VisionObserver{Result: add, Fallback: func(r string) { add("fallback:" + r) }}
}

func TestVisionCachesBySourceVersion(t *testing.T) {
	sc := &scripted{fn: func(context.Context) (vision.Regions, error) {
		return vision.Regions{Faces: []vision.Box{{Score: 1}}}, nil
	}}
	var tl tally
	v := NewVision(sc, VisionConfig{}, tl.observer())
	for range 3 {
		r, err := v.regions(context.Background(), "photos/a.jpg@v1", preview)
		if err != nil || len(r.Faces) != 1 {
			t.Fatal(r, err)
		}
	}
	v.regions(context.Background(), "photos/a.jpg@v2", preview) // a new version is a new analysis
	if sc.calls.Load() != 2 || tl.m["cached"] != 2 || tl.m["ok"] != 2 {
		t.Errorf("calls %d, results %v; want 2 calls, 2 ok, 2 cached", sc.calls.Load(), tl.m)
	}
}

func TestVisionSharesConcurrentAnalyses(t *testing.T) {
	release := make(chan struct{})
	sc := &scripted{fn: func(context.Context) (vision.Regions, error) { <-release; return vision.Regions{}, nil }}
	v := NewVision(sc, VisionConfig{Timeout: 5 * time.Second}, VisionObserver{})
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() { defer wg.Done(); v.regions(context.Background(), "k@1", preview) }()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := sc.calls.Load(); n != 1 {
		t.Errorf("%d sidecar calls for 6 concurrent requests of one source, want 1", n)
	}
}

func TestVisionTimeoutAndBreaker(t *testing.T) {
	sc := &scripted{fn: func(ctx context.Context) (vision.Regions, error) {
		<-ctx.Done() // a sidecar that never answers in time
		return vision.Regions{}, ctx.Err()
	}}
	var tl tally
	v := NewVision(sc, VisionConfig{Timeout: 20 * time.Millisecond, BreakerFailures: 3, BreakerCooldown: 200 * time.Millisecond}, tl.observer())
	start := time.Now()
	for range 3 {
		if _, err := v.regions(context.Background(), "", preview); err == nil {
			t.Fatal("a timed-out analysis returned no error")
		}
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Errorf("three timed-out analyses took %v; the timeout is 20 ms", el)
	}
	// Open: no call reaches the sidecar.
	if _, err := v.regions(context.Background(), "", preview); !errors.Is(err, errBreakerOpen) {
		t.Errorf("after 3 failures: %v, want the breaker open", err)
	}
	if sc.calls.Load() != 3 || tl.m["timeout"] != 3 || tl.m["breaker_open"] != 1 {
		t.Errorf("calls %d, results %v", sc.calls.Load(), tl.m)
	}
	// After the cooldown one trial goes through; its success closes the breaker.
	time.Sleep(250 * time.Millisecond)
	sc.fn = func(context.Context) (vision.Regions, error) { return vision.Regions{}, nil }
	if _, err := v.regions(context.Background(), "", preview); err != nil {
		t.Errorf("trial after cooldown: %v", err)
	}
	if _, err := v.regions(context.Background(), "", preview); err != nil {
		t.Errorf("after a good trial: %v", err)
	}
}

func TestVisionBreakerIgnoresRefusedPreviews(t *testing.T) {
	sc := &scripted{fn: func(context.Context) (vision.Regions, error) {
		return vision.Regions{}, &vision.StatusError{Code: 400, Body: "bad preview"}
	}}
	v := NewVision(sc, VisionConfig{BreakerFailures: 2}, VisionObserver{})
	for range 5 {
		if _, err := v.regions(context.Background(), "", preview); errors.Is(err, errBreakerOpen) {
			t.Fatal("4xx answers opened the breaker")
		}
	}
	if sc.calls.Load() != 5 {
		t.Errorf("%d calls, want 5", sc.calls.Load())
	}
}
