package source

import (
	"sync"
	"time"
)

// stash hands a body fetched by an HTTP source's Attributes to the
// ReadKnown that follows it on a cache miss, so that a miss costs one
// request to the origin, not two. It is bounded in bytes, and entries are
// taken once or dropped after ttl (an L1 hit never takes its body).
type stash struct {
	budget int64
	ttl    time.Duration

	mu    sync.Mutex
	bytes int64
	items map[string]stashed
}

type stashed struct {
	obj Object
	at  time.Time
}

func newStash(budget int64, ttl time.Duration) *stash {
	return &stash{budget: budget, ttl: ttl, items: map[string]stashed{}}
}

// put keeps obj for key if it fits once the expired entries are gone;
// otherwise ReadKnown fetches it again.
func (s *stash) put(key string, obj Object) {
	size := int64(len(obj.Data))
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop(key)
	if s.bytes+size > s.budget {
		for k, it := range s.items {
			if now.Sub(it.at) > s.ttl {
				s.drop(k)
			}
		}
	}
	if s.bytes+size > s.budget {
		return
	}
	s.items[key] = stashed{obj: obj, at: now}
	s.bytes += size
}

// take removes and returns key's body if it is younger than ttl.
func (s *stash) take(key string) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[key]
	if !ok {
		return Object{}, false
	}
	s.drop(key)
	return it.obj, time.Since(it.at) <= s.ttl
}

func (s *stash) drop(key string) {
	if it, ok := s.items[key]; ok {
		s.bytes -= int64(len(it.obj.Data))
		delete(s.items, key)
	}
}
