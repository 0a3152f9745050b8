package cache

import (
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// TTL remembers values for a fixed time, bounded in count: source attributes
// are kept for cache.source_ttl, so that an L1 hit needs no storage round
// trip and a changed original is noticed within the TTL.
type TTL[V any] struct {
	lru *expirable.LRU[string, V]
}

// NewTTL returns a TTL cache of at most size entries; ttl <= 0 keeps nothing.
func NewTTL[V any](size int, ttl time.Duration) *TTL[V] {
	if ttl <= 0 {
		return &TTL[V]{}
	}
	return &TTL[V]{lru: expirable.NewLRU[string, V](size, nil, ttl)}
}

// Get returns the value for key if it has not expired.
func (t *TTL[V]) Get(key string) (V, bool) {
	if t.lru == nil {
		var zero V
		return zero, false
	}
	return t.lru.Get(key)
}

// Add remembers v for key from now on.
func (t *TTL[V]) Add(key string, v V) {
	if t.lru != nil {
		t.lru.Add(key, v)
	}
}

// Remove forgets key.
func (t *TTL[V]) Remove(key string) {
	if t.lru != nil {
		t.lru.Remove(key)
	}
}
