package server

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/pixmill/pixmill/internal/fault"
)

// admission bounds the transforms that run at once and the requests that
// wait for one. A request that finds the queue full, or waits longer than
// the queue timeout, is refused with 503 so that load is shed rather than
// piled up; a client that goes away frees its place at once.
type admission struct {
	slots   chan struct{}
	waiting atomic.Int64
	queue   int64
	timeout time.Duration
	m       *Metrics
}

func newAdmission(concurrency, queue int, timeout time.Duration, m *Metrics) *admission {
	return &admission{slots: make(chan struct{}, concurrency), queue: int64(queue), timeout: timeout, m: m}
}

// acquire waits for a slot; release must be called when err is nil.
func (a *admission) acquire(ctx context.Context) (release func(), err error) {
	select {
	case a.slots <- struct{}{}:
		return a.release, nil
	default:
	}
	if a.waiting.Add(1) > a.queue {
		a.waiting.Add(-1)
		a.m.rejected.WithLabelValues("queue_full").Inc()
		return nil, fault.New(fault.Overloaded, "server busy: queue full")
	}
	a.m.queueDepth.Inc()
	defer func() {
		a.waiting.Add(-1)
		a.m.queueDepth.Dec()
	}()
	timer := time.NewTimer(a.timeout)
	defer timer.Stop()
	select {
	case a.slots <- struct{}{}:
		return a.release, nil
	case <-timer.C:
		a.m.rejected.WithLabelValues("queue_timeout").Inc()
		return nil, fault.New(fault.Overloaded, "server busy: queue wait exceeded")
	case <-ctx.Done():
		// A passed deadline is 503 like a queue timeout, not a client that left.
		return nil, fault.FromContext(ctx.Err(), fault.Overloaded)
	}
}

func (a *admission) release() { <-a.slots }
