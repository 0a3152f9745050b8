// Package flight coalesces identical work in flight: concurrent callers of
// Do with one key share one run of the function. It remembers nothing once
// the run ends (that is a cache's job: groupcache keeps its singleflight
// apart from its LRU in the same way), and the shared run is cancelled only
// when the last caller waiting for it has left, as the standard library's
// net.Resolver does with its shared lookups: one impatient client must not
// fail the others.
package flight

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// Group coalesces calls by key. The zero value is ready to use.
type Group[K comparable, V any] struct {
	mu    sync.Mutex
	calls map[K]*call[V]
}

// call is one run in flight and the callers waiting for it.
type call[V any] struct {
	done    chan struct{}
	val     V
	err     error
	waiters int
	cancel  context.CancelFunc
}

// Do returns fn's result for key, running fn unless a run for key is
// already in flight, in which case it waits for that one; shared reports
// that the caller joined another's run. fn runs on a context that keeps
// ctx's values and deadline but not its cancellation: it is cancelled when
// every caller waiting for it has gone. A caller whose ctx ends leaves at
// once with ctx's error. A panic in fn reaches every waiter as a
// *PanicError instead of killing the process.
func (g *Group[K, V]) Do(ctx context.Context, key K, fn func(context.Context) (V, error)) (v V, shared bool, err error) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[K]*call[V]{}
	}
	if c, ok := g.calls[key]; ok {
		c.waiters++
		g.mu.Unlock()
		v, err = g.wait(ctx, c)
		return v, true, err
	}
	runCtx, cancel := detach(ctx)
	c := &call[V]{done: make(chan struct{}), waiters: 1, cancel: cancel}
	g.calls[key] = c
	g.mu.Unlock()

	go func() {
		defer cancel()
		c.val, c.err = run(runCtx, fn)
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		close(c.done)
	}()
	v, err = g.wait(ctx, c)
	return v, false, err
}

// wait blocks until the run ends or ctx does; the last waiter to leave
// early cancels the run.
func (g *Group[K, V]) wait(ctx context.Context, c *call[V]) (V, error) {
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		g.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			c.cancel()
		}
		g.mu.Unlock()
		var zero V
		return zero, ctx.Err()
	}
}

// Waiting reports how many callers wait for key's run; 0 when none is in
// flight.
func (g *Group[K, V]) Waiting(key K) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.calls[key]; ok {
		return c.waiters
	}
	return 0
}

// detach keeps ctx's values and deadline, not its cancellation.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(ctx)
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(base, d)
	}
	return context.WithCancel(base)
}

// PanicError is a panic inside a shared run, turned into an error so that it
// reaches every waiter instead of killing the process from a goroutine that
// no HTTP handler's recover can see.
type PanicError struct {
	Value any
	Stack []byte
}

func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

func run[V any](ctx context.Context, fn func(context.Context) (V, error)) (v V, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}
