// Package breaker is the circuit breaker every remote dependency of the
// server shares (the vision sidecar, the durable store, each peer replica).
// A dependency that is down would otherwise make every request wait its
// timeout; the breaker lets requests skip it instead, and lets one trial
// call at a time find out when it is back.
package breaker

import (
	"sync"
	"time"
)

// Breaker counts failures in a row. At Threshold it opens: calls are
// refused for Cooldown. Then it is half-open: one trial call at a time goes
// through; an answer closes it, a failure opens it again for Cooldown.
type Breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time // time.Now; tests move it

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	trial     bool // a half-open trial call is in flight
}

// New returns a closed breaker.
func New(threshold int, cooldown time.Duration) *Breaker {
	return &Breaker{threshold: max(threshold, 1), cooldown: cooldown, now: time.Now}
}

// WithClock makes b read the time from now, for tests that move it past
// the cooldown; it returns b.
func (b *Breaker) WithClock(now func() time.Time) *Breaker {
	b.now = now
	return b
}

// Allow says whether a call may go ahead now. After true, the caller must
// report the call with exactly one of Success, Failure, Trip or Release:
// in the half-open state the answer is the trial everyone else waits for.
func (b *Breaker) Allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return true
	}
	if b.now().Before(b.openUntil) || b.trial {
		return false
	}
	b.trial = true
	return true
}

// Refusing reports whether Allow would refuse now, reserving nothing: for
// work that is only queued for a call (a store write waiting its turn).
func (b *Breaker) Refusing() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures >= b.threshold && (b.now().Before(b.openUntil) || b.trial)
}

// Success records an answer; it reports whether that closed an open (or
// half-open) breaker.
func (b *Breaker) Success() (closed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	closed = b.failures >= b.threshold
	b.failures, b.trial = 0, false
	return closed
}

// Failure records a failed call; it reports whether that opened the
// breaker (from closed, or again from half-open).
func (b *Breaker) Failure() (opened bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	return b.openLocked()
}

// Trip records a failure that needs no repetition to be believed (a
// refused connection: the dependency is gone) and opens the breaker now.
func (b *Breaker) Trip() (opened bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures = max(b.failures+1, b.threshold)
	return b.openLocked()
}

// Release ends a call that says nothing about the dependency's health (its
// caller left, or the input was refused), counting nothing. It frees the
// half-open trial slot whoever calls it: a call let through before the
// breaker opened that ends with Release while a trial is in flight lets a
// second trial start (calls do not carry which one is the trial; a known
// gap, harmless beyond one extra call to a dependency that may be down).
func (b *Breaker) Release() {
	b.mu.Lock()
	b.trial = false
	b.mu.Unlock()
}

func (b *Breaker) openLocked() bool {
	wasTrial := b.trial
	b.trial = false
	if b.failures < b.threshold {
		return false
	}
	opened := wasTrial || !b.now().Before(b.openUntil)
	if opened {
		b.openUntil = b.now().Add(b.cooldown)
	}
	return opened
}
