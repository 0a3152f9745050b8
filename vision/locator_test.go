package vision

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scripted answers like a sidecar would, on cue: it stands in for the
// sidecar's failure modes (errors, slowness), which the breaker and cache
// logic must handle deterministically. The real sidecar is exercised in the
// server's end-to-end vision tests.
type scripted struct {
	calls atomic.Int64
	fn    func(ctx context.Context) (Regions, error)
}

func (s *scripted) Analyze(ctx context.Context, _ []byte, _, _ int) (Regions, error) {
	s.calls.Add(1)
	return s.fn(ctx)
}

func preview(int) ([]byte, int, int, error) { return make([]byte, 3), 1, 1, nil }

type tally struct {
	mu sync.Mutex
	m  map[string]int
}

func (t *tally) observer() Observer {
	t.m = map[string]int{}
	add := func(k string) { t.mu.Lock(); t.m[k]++; t.mu.Unlock() }
	return Observer{Result: add, Fallback: func(r string) { add("fallback:" + r) }}
}

func TestLocatorCachesBySourceVersion(t *testing.T) {
	sc := &scripted{fn: func(context.Context) (Regions, error) {
		return Regions{Faces: []Box{{Score: 1}}}, nil
	}}
	var tl tally
	v := NewLocator(sc, LocatorConfig{}, tl.observer())
	for range 3 {
		r, err := v.Regions(context.Background(), "photos/a.jpg@v1", preview)
		if err != nil || len(r.Faces) != 1 {
			t.Fatal(r, err)
		}
	}
	v.Regions(context.Background(), "photos/a.jpg@v2", preview) // a new version is a new analysis
	if sc.calls.Load() != 2 || tl.m["cached"] != 2 || tl.m["ok"] != 2 {
		t.Errorf("calls %d, results %v; want 2 calls, 2 ok, 2 cached", sc.calls.Load(), tl.m)
	}
}

func TestLocatorSharesConcurrentAnalyses(t *testing.T) {
	release := make(chan struct{})
	sc := &scripted{fn: func(context.Context) (Regions, error) { <-release; return Regions{}, nil }}
	v := NewLocator(sc, LocatorConfig{Timeout: 5 * time.Second}, Observer{})
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() { defer wg.Done(); v.Regions(context.Background(), "k@1", preview) }()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := sc.calls.Load(); n != 1 {
		t.Errorf("%d sidecar calls for 6 concurrent requests of one source, want 1", n)
	}
}

func TestLocatorTimeoutAndBreaker(t *testing.T) {
	sc := &scripted{fn: func(ctx context.Context) (Regions, error) {
		<-ctx.Done() // a sidecar that never answers in time
		return Regions{}, ctx.Err()
	}}
	var tl tally
	v := NewLocator(sc, LocatorConfig{Timeout: 20 * time.Millisecond, BreakerFailures: 3, BreakerCooldown: 200 * time.Millisecond}, tl.observer())
	start := time.Now()
	for range 3 {
		if _, err := v.Regions(context.Background(), "", preview); err == nil {
			t.Fatal("a timed-out analysis returned no error")
		}
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Errorf("three timed-out analyses took %v; the timeout is 20 ms", el)
	}
	// Open: no call reaches the sidecar.
	if _, err := v.Regions(context.Background(), "", preview); !errors.Is(err, ErrBreakerOpen) {
		t.Errorf("after 3 failures: %v, want the breaker open", err)
	}
	if sc.calls.Load() != 3 || tl.m["timeout"] != 3 || tl.m["breaker_open"] != 1 || tl.m["fallback:sidecar"] != 4 {
		t.Errorf("calls %d, results %v", sc.calls.Load(), tl.m)
	}
	// After the cooldown one trial goes through; its success closes the breaker.
	time.Sleep(250 * time.Millisecond)
	sc.fn = func(context.Context) (Regions, error) { return Regions{}, nil }
	if _, err := v.Regions(context.Background(), "", preview); err != nil {
		t.Errorf("trial after cooldown: %v", err)
	}
	if _, err := v.Regions(context.Background(), "", preview); err != nil {
		t.Errorf("after a good trial: %v", err)
	}
}

func TestLocatorBreakerIgnoresRefusedPreviews(t *testing.T) {
	sc := &scripted{fn: func(context.Context) (Regions, error) {
		return Regions{}, &StatusError{Code: 400, Body: "bad preview"}
	}}
	v := NewLocator(sc, LocatorConfig{BreakerFailures: 2}, Observer{})
	for range 5 {
		if _, err := v.Regions(context.Background(), "", preview); errors.Is(err, ErrBreakerOpen) {
			t.Fatal("4xx answers opened the breaker")
		}
	}
	if sc.calls.Load() != 5 {
		t.Errorf("%d calls, want 5", sc.calls.Load())
	}
}

// The request that started an analysis going away must not fail the other
// requests waiting for it (the in-flight map this replaces did).
func TestLocatorLeaderLeavingDoesNotFailFollowers(t *testing.T) {
	release := make(chan struct{})
	sc := &scripted{fn: func(ctx context.Context) (Regions, error) {
		select {
		case <-release:
			return Regions{Faces: []Box{{Score: 1}}}, nil
		case <-ctx.Done():
			return Regions{}, ctx.Err()
		}
	}}
	v := NewLocator(sc, LocatorConfig{Timeout: 5 * time.Second}, Observer{})
	leader, cancel := context.WithCancel(context.Background())
	leaderDone := make(chan error, 1)
	go func() { _, err := v.Regions(leader, "k@1", preview); leaderDone <- err }()
	for v.flight.Waiting("k@1") != 1 {
		time.Sleep(time.Millisecond)
	}
	followerDone := make(chan error, 1)
	go func() { _, err := v.Regions(context.Background(), "k@1", preview); followerDone <- err }()
	for v.flight.Waiting("k@1") != 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-followerDone; err != nil {
		t.Errorf("follower failed when the leader left: %v", err)
	}
	if sc.calls.Load() != 1 {
		t.Errorf("%d sidecar calls, want 1", sc.calls.Load())
	}
}
