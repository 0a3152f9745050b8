package cache

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func entry(src string, n int) *Entry {
	return &Entry{Body: make([]byte, n), SourceKey: src, ContentType: "image/webp"}
}

func render(e *Entry) RenderFunc {
	return func(context.Context) (*Entry, error) { return e, nil }
}

func TestByteBoundAndEviction(t *testing.T) {
	var evictions atomic.Int64
	c := New(Config{MaxBytes: 10_000, MaxItemBytes: 4_000}, Observer{Evict: func() { evictions.Add(1) }})
	ctx := context.Background()
	for i := range 5 {
		if _, out, err := c.Do(ctx, "k"+strconv.Itoa(i), render(entry("src", 2_000))); err != nil || out != Miss {
			t.Fatalf("Do k%d: %v %v", i, out, err)
		}
	}
	// 5 × (2000 + overhead) > 10000: the oldest must have gone.
	if c.Bytes() > 10_000 {
		t.Errorf("bytes %d over the bound", c.Bytes())
	}
	if _, ok := c.Get("k0"); ok {
		t.Error("k0, the least recently used, was not evicted")
	}
	if _, ok := c.Get("k4"); !ok {
		t.Error("k4, the newest, was evicted")
	}
	if evictions.Load() == 0 {
		t.Error("no eviction reported")
	}
	// Over MaxItemBytes: served, not kept.
	e, out, err := c.Do(ctx, "big", render(entry("src", 5_000)))
	if err != nil || out != Miss || len(e.Body) != 5_000 {
		t.Fatalf("big: %v %v", out, err)
	}
	if _, ok := c.Get("big"); ok {
		t.Error("an entry over max_item_bytes was kept")
	}
	// A hit.
	if _, out, _ := c.Do(ctx, "k4", render(nil)); out != Hit {
		t.Errorf("k4 again: %v, want HIT", out)
	}
}

func TestDisabledCacheStillCoalesces(t *testing.T) {
	c := New(Config{MaxBytes: 0}, Observer{})
	if _, out, _ := c.Do(context.Background(), "k", render(entry("s", 10))); out != Miss {
		t.Fatal(out)
	}
	if _, ok := c.Get("k"); ok || c.Bytes() != 0 {
		t.Error("cache.max_bytes 0 kept an entry")
	}
}

func TestPurgeSource(t *testing.T) {
	c := New(Config{MaxBytes: 1 << 20}, Observer{})
	ctx := context.Background()
	for _, k := range []string{"a1", "a2", "a3"} {
		c.Do(ctx, k, render(entry("photos/a.jpg", 100)))
	}
	c.Do(ctx, "b1", render(entry("photos/b.jpg", 100)))
	if n := c.PurgeSource("photos/a.jpg"); n != 3 {
		t.Errorf("purged %d, want 3", n)
	}
	for _, k := range []string{"a1", "a2", "a3"} {
		if _, ok := c.Get(k); ok {
			t.Errorf("%s survived the purge", k)
		}
	}
	if _, ok := c.Get("b1"); !ok {
		t.Error("another source's entry was purged")
	}
	if n := c.PurgeSource("photos/a.jpg"); n != 0 {
		t.Errorf("second purge found %d", n)
	}
	if want := (&Entry{Body: make([]byte, 100), SourceKey: "photos/b.jpg", ContentType: "image/webp"}).size("b1"); c.Bytes() != want {
		t.Errorf("bytes after purge %d, want %d", c.Bytes(), want)
	}
}

func TestCoalescing(t *testing.T) {
	c := New(Config{MaxBytes: 1 << 20}, Observer{})
	var renders atomic.Int64
	release := make(chan struct{})
	slow := func(ctx context.Context) (*Entry, error) {
		renders.Add(1)
		<-release
		return entry("s", 100), nil
	}
	const n = 32
	var wg sync.WaitGroup
	outcomes := make(chan Outcome, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, out, err := c.Do(context.Background(), "k", slow)
			if err != nil || len(e.Body) != 100 {
				t.Errorf("Do: %v", err)
			}
			outcomes <- out
		}()
	}
	waitFor(t, func() bool { return c.flight.Waiting("k") == n })
	close(release)
	wg.Wait()
	close(outcomes)
	count := map[Outcome]int{}
	for o := range outcomes {
		count[o]++
	}
	if renders.Load() != 1 || count[Miss] != 1 || count[Coalesced] != n-1 {
		t.Errorf("renders %d, outcomes %v; want 1 render, 1 MISS, %d COALESCED", renders.Load(), count, n-1)
	}
}

func TestOneWaiterLeavingDoesNotCancelTheRender(t *testing.T) {
	c := New(Config{MaxBytes: 1 << 20}, Observer{})
	release := make(chan struct{})
	var renderErr atomic.Value
	slow := func(ctx context.Context) (*Entry, error) {
		select {
		case <-release:
			return entry("s", 10), nil
		case <-ctx.Done():
			renderErr.Store(ctx.Err())
			return nil, ctx.Err()
		}
	}
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderDone := make(chan error, 1)
	go func() { _, _, err := c.Do(leaderCtx, "k", slow); leaderDone <- err }()
	waitFor(t, func() bool { return c.flight.Waiting("k") > 0 })
	followerDone := make(chan error, 1)
	go func() { _, _, err := c.Do(context.Background(), "k", slow); followerDone <- err }()
	waitFor(t, func() bool { return c.flight.Waiting("k") == 2 })

	cancelLeader() // the client that started the render goes away
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-followerDone; err != nil {
		t.Errorf("follower failed after the leader left: %v", err)
	}
	if v := renderErr.Load(); v != nil {
		t.Errorf("render was cancelled: %v", v)
	}
	if _, ok := c.Get("k"); !ok {
		t.Error("the finished render was not cached")
	}
}

func TestAllWaitersLeavingCancelsTheRender(t *testing.T) {
	c := New(Config{MaxBytes: 1 << 20}, Observer{})
	cancelled := make(chan struct{})
	slow := func(ctx context.Context) (*Entry, error) {
		<-ctx.Done()
		close(cancelled)
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Do(ctx, "k", slow); close(done) }()
	waitFor(t, func() bool { return c.flight.Waiting("k") > 0 })
	cancel()
	<-done
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("render not cancelled after its only waiter left")
	}
}

func TestFailuresAreNotCachedAndReachEveryWaiter(t *testing.T) {
	c := New(Config{MaxBytes: 1 << 20}, Observer{})
	boom := errors.New("undecodable")
	release := make(chan struct{})
	var renders atomic.Int64
	failing := func(context.Context) (*Entry, error) { renders.Add(1); <-release; return nil, boom }
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := c.Do(context.Background(), "k", failing); !errors.Is(err, boom) {
				t.Errorf("waiter got %v, want the render's error", err)
			}
		}()
	}
	waitFor(t, func() bool { return c.flight.Waiting("k") == 4 })
	close(release)
	wg.Wait()
	if _, ok := c.Get("k"); ok {
		t.Error("a failed render was cached")
	}
	// The next request renders again, and can succeed.
	if _, out, err := c.Do(context.Background(), "k", render(entry("s", 1))); err != nil || out != Miss {
		t.Errorf("retry: %v %v", out, err)
	}
	if renders.Load() != 1 {
		t.Errorf("failing render ran %d times, want 1", renders.Load())
	}
}

func TestPanicInRenderBecomesAnError(t *testing.T) {
	c := New(Config{MaxBytes: 1 << 20}, Observer{})
	_, _, err := c.Do(context.Background(), "k", func(context.Context) (*Entry, error) { panic("bug") })
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "bug" || len(pe.Stack) == 0 {
		t.Fatalf("err = %v, want a PanicError with a stack", err)
	}
}

func TestTTL(t *testing.T) {
	ttl := NewTTL[int](10, 50*time.Millisecond)
	ttl.Add("a", 1)
	if v, ok := ttl.Get("a"); !ok || v != 1 {
		t.Fatal("fresh value missing")
	}
	time.Sleep(120 * time.Millisecond)
	if _, ok := ttl.Get("a"); ok {
		t.Error("value outlived its TTL")
	}
	off := NewTTL[int](10, 0)
	off.Add("a", 1)
	if _, ok := off.Get("a"); ok {
		t.Error("a zero TTL kept a value")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// A degraded render reaches the callers waiting for it but is not kept:
// the next call renders again.
func TestDegradedEntriesAreNotKept(t *testing.T) {
	c := New(Config{MaxBytes: 1 << 20}, Observer{})
	ctx := context.Background()
	degraded := entry("src", 100)
	degraded.Degraded = true
	for i := range 2 {
		e, out, err := c.Do(ctx, "k", render(degraded))
		if err != nil || out != Miss || e != degraded {
			t.Fatalf("call %d: %v %v %v; want the degraded entry, rendered again", i, e, out, err)
		}
	}
	if c.Len() != 0 || c.Bytes() != 0 {
		t.Errorf("L1 holds %d entries, %d bytes; want none", c.Len(), c.Bytes())
	}
	if _, out, _ := c.Do(ctx, "k", render(entry("src", 100))); out != Miss {
		t.Fatalf("whole render: %v", out)
	}
	if _, ok := c.Get("k"); !ok {
		t.Error("the whole render that followed is not kept")
	}
}
