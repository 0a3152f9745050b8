// Package batch gathers concurrent requests into batches for one model
// runner: a batch closes when it holds MaxBatch items or when MaxWait has
// passed since its first item arrived, then runs while the next one fills.
// A GPU wants full batches; a CPU gains little from them (docs/vision.md has
// the numbers), so the sidecar batches on CUDA and, by default, not on the CPU.
package batch

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrOverloaded is returned when the queue is full: the caller should
// answer 503 at once rather than wait.
var ErrOverloaded = errors.New("batch: queue full")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("batch: closed")

// Config sets the batching policy.
type Config struct {
	// MaxBatch is the most items one run takes (at least 1).
	MaxBatch int
	// MaxWait is how long a batch waits for more items after its first.
	// Zero takes only what is already queued: no added latency, and under
	// load batches still form from the requests that queue during a run.
	MaxWait time.Duration
	// Queue is how many items may wait; more are refused with ErrOverloaded.
	Queue int
	// Observe, when set, is told the size and run time of every batch.
	Observe func(size int, took time.Duration)
}

// Batcher runs batches of T with one runner goroutine.
type Batcher[T any] struct {
	cfg   Config
	run   func([]T) error
	queue chan *item[T]
	mu    sync.RWMutex // guards closed against sends on a closed queue
	done  chan struct{}

	closed bool
}

type item[T any] struct {
	ctx  context.Context
	v    T
	errc chan error
}

// New starts a batcher that calls run with each batch. run's error is
// returned to every caller in the batch.
func New[T any](cfg Config, run func([]T) error) *Batcher[T] {
	cfg.MaxBatch = max(1, cfg.MaxBatch)
	cfg.Queue = max(cfg.Queue, cfg.MaxBatch)
	b := &Batcher[T]{cfg: cfg, run: run, queue: make(chan *item[T], cfg.Queue), done: make(chan struct{})}
	go b.loop()
	return b
}

// Do queues v, waits until the batch holding it has run, and returns the
// batch's error. If ctx ends first, Do returns ctx.Err(); v is then skipped
// if its batch has not started.
func (b *Batcher[T]) Do(ctx context.Context, v T) error {
	it := &item[T]{ctx: ctx, v: v, errc: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	select {
	case b.queue <- it:
		b.mu.RUnlock()
	default:
		b.mu.RUnlock()
		return ErrOverloaded
	}
	select {
	case err := <-it.errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Depth is the number of items waiting for a batch.
func (b *Batcher[T]) Depth() int { return len(b.queue) }

// Close stops taking items, runs what is queued, and returns when done.
func (b *Batcher[T]) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	<-b.done
}

func (b *Batcher[T]) loop() {
	defer close(b.done)
	items := make([]*item[T], 0, b.cfg.MaxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		first, ok := <-b.queue
		if !ok {
			return
		}
		items = append(items[:0], first)
		open := true
		if b.cfg.MaxWait > 0 {
			timer.Reset(b.cfg.MaxWait)
		fill:
			for len(items) < b.cfg.MaxBatch {
				select {
				case it, ok := <-b.queue:
					if !ok {
						open = false
						break fill
					}
					items = append(items, it)
				case <-timer.C:
					break fill
				}
			}
			if !timer.Stop() {
				select { // drain a fire that raced with a full batch
				case <-timer.C:
				default:
				}
			}
		}
	drain: // whatever else is already queued, up to MaxBatch
		for open && len(items) < b.cfg.MaxBatch {
			select {
			case it, ok := <-b.queue:
				if !ok {
					open = false
					break drain
				}
				items = append(items, it)
			default:
				break drain
			}
		}
		b.runBatch(items)
		if !open {
			return
		}
	}
}

// runBatch runs the items whose callers still wait.
func (b *Batcher[T]) runBatch(items []*item[T]) {
	live := items[:0:0]
	vs := make([]T, 0, len(items))
	for _, it := range items {
		if err := it.ctx.Err(); err != nil {
			it.errc <- err
			continue
		}
		live = append(live, it)
		vs = append(vs, it.v)
	}
	if len(vs) == 0 {
		return
	}
	start := time.Now()
	err := b.run(vs)
	if b.cfg.Observe != nil {
		b.cfg.Observe(len(vs), time.Since(start))
	}
	for _, it := range live {
		it.errc <- err
	}
}
