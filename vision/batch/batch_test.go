package batch

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// recorder is a runner that records batch sizes and can be held.
type recorder struct {
	mu      sync.Mutex
	sizes   []int
	hold    chan struct{} // when set, each run says so on started, then waits for a receive
	started chan struct{}
	err     error
}

func held() *recorder {
	return &recorder{hold: make(chan struct{}), started: make(chan struct{}, 16)}
}

func (r *recorder) run(vs []int) error {
	if r.hold != nil {
		r.started <- struct{}{}
		<-r.hold
	}
	r.mu.Lock()
	r.sizes = append(r.sizes, len(vs))
	r.mu.Unlock()
	return r.err
}

func (r *recorder) got() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.sizes...)
}

// submit calls Do from n goroutines and waits for them all.
func submit(b *Batcher[int], n int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = b.Do(context.Background(), i) })
	}
	wg.Wait()
	return errs
}

func TestMaxWaitFillsBatches(t *testing.T) {
	r := &recorder{}
	b := New(Config{MaxBatch: 4, MaxWait: 200 * time.Millisecond, Queue: 16}, r.run)
	defer b.Close()
	for _, err := range submit(b, 8) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := r.got(); len(got) != 2 || got[0] != 4 || got[1] != 4 {
		t.Errorf("batches %v, want [4 4]", got)
	}
}

func TestMaxWaitBoundsTheWait(t *testing.T) {
	r := &recorder{}
	b := New(Config{MaxBatch: 8, MaxWait: 20 * time.Millisecond}, r.run)
	defer b.Close()
	start := time.Now()
	if err := b.Do(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 20*time.Millisecond || took > 2*time.Second {
		t.Errorf("a lone item took %v, want about MaxWait", took)
	}
	if got := r.got(); len(got) != 1 || got[0] != 1 {
		t.Errorf("batches %v, want [1]", got)
	}
}

func TestZeroWaitBatchesWhatQueuedDuringARun(t *testing.T) {
	r := held()
	b := New(Config{MaxBatch: 8, Queue: 16}, r.run)
	defer b.Close()
	done := make(chan struct{})
	go func() { submit(b, 1); close(done) }()
	<-r.started // the first item runs alone, at once
	var wg sync.WaitGroup
	wg.Go(func() { submit(b, 5) })
	for b.Depth() != 5 {
		time.Sleep(time.Millisecond)
	}
	r.hold <- struct{}{} // the first run ends; the five queued form the next batch
	<-done
	<-r.started
	r.hold <- struct{}{}
	wg.Wait()
	if got := r.got(); len(got) != 2 || got[0] != 1 || got[1] != 5 {
		t.Errorf("batches %v, want [1 5]", got)
	}
}

func TestOverloadAndErrors(t *testing.T) {
	r := held()
	r.err = errors.New("model failed")
	b := New(Config{MaxBatch: 1, Queue: 1}, r.run)
	results := make(chan error, 3)
	go func() { results <- b.Do(context.Background(), 1) }()
	<-r.started
	go func() { results <- b.Do(context.Background(), 2) }() // queued
	for b.Depth() != 1 {
		time.Sleep(time.Millisecond)
	}
	if err := b.Do(context.Background(), 3); !errors.Is(err, ErrOverloaded) {
		t.Errorf("third item: %v, want ErrOverloaded", err)
	}
	r.hold <- struct{}{}
	<-r.started
	r.hold <- struct{}{}
	for range 2 {
		if err := <-results; err == nil || err.Error() != "model failed" {
			t.Errorf("runner error not passed on: %v", err)
		}
	}
	b.Close()
	if err := b.Do(context.Background(), 4); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestCanceledItemsAreSkipped(t *testing.T) {
	r := held()
	b := New(Config{MaxBatch: 4, Queue: 8}, r.run)
	defer b.Close()
	go func() { _ = b.Do(context.Background(), 1) }()
	<-r.started
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Do(ctx, 2) }()
	for b.Depth() != 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller got %v", err)
	}
	r.hold <- struct{}{}
	time.Sleep(10 * time.Millisecond) // the canceled item's batch would run now
	if got := r.got(); len(got) != 1 {
		t.Errorf("batches %v: the canceled item ran", got)
	}
}
