package flight

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrentCallersShareOneRun(t *testing.T) {
	var g Group[string, int]
	var runs atomic.Int64
	release := make(chan struct{})
	slow := func(context.Context) (int, error) { runs.Add(1); <-release; return 42, nil }
	const n = 32
	var wg sync.WaitGroup
	var shared atomic.Int64
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, sh, err := g.Do(context.Background(), "k", slow)
			if err != nil || v != 42 {
				t.Errorf("Do: %d %v", v, err)
			}
			if sh {
				shared.Add(1)
			}
		}()
	}
	waitFor(t, func() bool { return g.Waiting("k") == n })
	close(release)
	wg.Wait()
	if runs.Load() != 1 || shared.Load() != n-1 {
		t.Errorf("runs %d, shared %d; want 1 run and %d callers that joined it", runs.Load(), shared.Load(), n-1)
	}
	if g.Waiting("k") != 0 {
		t.Error("the finished run is still in flight")
	}
	// Nothing is remembered: the next call runs again.
	if _, sh, _ := g.Do(context.Background(), "k", func(context.Context) (int, error) { return 1, nil }); sh {
		t.Error("a call after the run ended joined it")
	}
}

// The caller that started the run leaving must not fail the others: the
// run goes on for them (the leader-cancels-everyone bug this replaces).
func TestOneCallerLeavingDoesNotCancelTheRun(t *testing.T) {
	var g Group[string, int]
	release := make(chan struct{})
	var runErr atomic.Value
	slow := func(ctx context.Context) (int, error) {
		select {
		case <-release:
			return 7, nil
		case <-ctx.Done():
			runErr.Store(ctx.Err())
			return 0, ctx.Err()
		}
	}
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderDone := make(chan error, 1)
	go func() { _, _, err := g.Do(leaderCtx, "k", slow); leaderDone <- err }()
	waitFor(t, func() bool { return g.Waiting("k") == 1 })
	followerDone := make(chan error, 1)
	go func() { _, _, err := g.Do(context.Background(), "k", slow); followerDone <- err }()
	waitFor(t, func() bool { return g.Waiting("k") == 2 })

	cancelLeader()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-followerDone; err != nil {
		t.Errorf("follower failed after the leader left: %v", err)
	}
	if v := runErr.Load(); v != nil {
		t.Errorf("the run was cancelled: %v", v)
	}
}

func TestLastCallerLeavingCancelsTheRun(t *testing.T) {
	var g Group[string, int]
	cancelled := make(chan struct{})
	slow := func(ctx context.Context) (int, error) { <-ctx.Done(); close(cancelled); return 0, ctx.Err() }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Do(ctx, "k", slow); close(done) }()
	waitFor(t, func() bool { return g.Waiting("k") == 1 })
	cancel()
	<-done
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("run not cancelled after its only caller left")
	}
}

func TestRunKeepsValuesAndDeadline(t *testing.T) {
	var g Group[string, bool]
	type key struct{}
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), key{}, "v"), time.Hour)
	defer cancel()
	want, _ := ctx.Deadline()
	ok, _, _ := g.Do(ctx, "k", func(rc context.Context) (bool, error) {
		d, has := rc.Deadline()
		return has && d.Equal(want) && rc.Value(key{}) == "v", nil
	})
	if !ok {
		t.Error("the run lost the caller's deadline or values")
	}
}

func TestErrorsReachEveryWaiter(t *testing.T) {
	var g Group[string, int]
	boom := errors.New("undecodable")
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := g.Do(context.Background(), "k", func(context.Context) (int, error) { <-release; return 0, boom }); !errors.Is(err, boom) {
				t.Errorf("waiter got %v, want the run's error", err)
			}
		}()
	}
	waitFor(t, func() bool { return g.Waiting("k") == 4 })
	close(release)
	wg.Wait()
}

func TestPanicBecomesAnError(t *testing.T) {
	var g Group[string, int]
	_, _, err := g.Do(context.Background(), "k", func(context.Context) (int, error) { panic("bug") })
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "bug" || len(pe.Stack) == 0 {
		t.Fatalf("err = %v, want a PanicError with a stack", err)
	}
}
