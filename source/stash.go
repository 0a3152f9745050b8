package source

import (
	"net/netip"
	"strings"
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

// hostPattern is one allowed host: an exact name, or with wildcard any
// subdomain of name (from "*.name").
type hostPattern struct {
	name     string
	wildcard bool
}

type hostList []hostPattern

// parseHosts reads allow_hosts entries: "images.example.com" or
// "*.example.com". A bare "*" is refused: allowing every host is what the
// list is there to prevent.
func parseHosts(in []string) (hostList, error) {
	var out hostList
	for _, h := range in {
		h = strings.ToLower(strings.TrimSpace(h))
		if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil { // an IP literal
			out = append(out, hostPattern{name: a.String()})
			continue
		}
		name, wild := strings.CutPrefix(h, "*.")
		if name == "" || strings.ContainsAny(name, "*/:@ ") {
			return nil, &hostError{h}
		}
		out = append(out, hostPattern{name: strings.TrimSuffix(name, "."), wildcard: wild})
	}
	return out, nil
}

type hostError struct{ host string }

func (e *hostError) Error() string {
	return "allow_hosts: " + quote(e.host) + " is not a host name or *.domain (no scheme, port or path)"
}

func quote(s string) string { return `"` + s + `"` }

// allows reports whether host (without port) is on the list.
func (l hostList) allows(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.String()
	}
	for _, p := range l {
		if host == p.name && !p.wildcard {
			return true
		}
		if p.wildcard && strings.HasSuffix(host, "."+p.name) {
			return true
		}
	}
	return false
}
