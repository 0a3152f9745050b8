// Package cache remembers rendered results: a byte-bounded in-process LRU
// (L1) with a purge index by source key, composed with request coalescing
// (internal/flight) so that concurrent identical misses render once, and a
// short-lived cache of source attributes, so that an L1 hit costs no
// storage round trip.
//
// The API is small (Do, Get, PurgeSource). The LRU only remembers; the
// flight group only coalesces, and cancels a render only when every
// request waiting for it has gone. Behind the L1 sit the optional tiers:
// the shared tier between replicas (peers.go, groupcache-go) and the
// durable store (store.go).
package cache

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/pixmill/pixmill/internal/flight"
)

// Entry is one rendered variant with what its response headers need.
type Entry struct {
	Body         []byte
	ContentType  string
	Format       string // output format name, for metrics and Content-Disposition
	ETag         string
	LastModified time.Time
	SourceKey    string // the original's key, for purges by source
	// Degraded marks a fallback render (the vision sidecar did not answer):
	// it is handed to the requests waiting for it but never kept, so that
	// the next request renders the whole result once the sidecar is back.
	Degraded bool
	// Header holds the response headers that depend only on the entry,
	// built once when it is rendered so that a hit only copies them. It is
	// shared by every response served from the entry: never modify it.
	Header http.Header
}

// entryOverhead approximates what an entry costs beyond its body: the map
// and list nodes, the key and the header strings.
const entryOverhead = 256

func (e *Entry) size(key string) int64 {
	n := len(e.Body) + len(key) + len(e.ContentType) + len(e.ETag) + len(e.SourceKey) + entryOverhead
	for k, vs := range e.Header {
		n += len(k) + 16
		for _, v := range vs {
			n += len(v) + 16
		}
	}
	return int64(n)
}

// Outcome says how a Do call was served.
type Outcome int

const (
	Miss      Outcome = iota // this call rendered
	Hit                      // served from L1
	Coalesced                // waited for another call's render of the same key
	Stored                   // read from the durable store (store.go)
	Peer                     // answered by the replica that owns the variant (peers.go)
)

func (o Outcome) String() string {
	switch o {
	case Hit:
		return "HIT"
	case Coalesced:
		return "COALESCED"
	case Stored:
		return "STORE"
	case Peer:
		return "PEER"
	}
	return "MISS"
}

// Config bounds the L1.
type Config struct {
	MaxBytes     int64 // 0 turns the L1 off; coalescing still works
	MaxItemBytes int64 // larger entries are served but not kept; 0 means MaxBytes
}

// Observer receives the cache's events, for metrics. Any field may be nil.
type Observer struct {
	Lookup func(result string) // "hit", "miss", "coalesced"
	Bytes  func(n int64)       // bytes held now
	Evict  func()              // one entry evicted for space
}

// Cache is the L1 plus the coalescing group. Safe for concurrent use.
type Cache struct {
	cfg    Config
	obs    Observer
	flight flight.Group[string, *Entry]
	store  *Store // nil when cache.store.url is empty
	adopt  func(*Entry)
	peers  *Peers // nil when cache.peers.listen is empty

	mu       sync.Mutex
	lru      *simplelru.LRU[string, *Entry]
	bytes    int64
	bySource map[string]map[string]struct{} // source key -> cache keys
}

// New returns a Cache.
func New(cfg Config, obs Observer) *Cache {
	if cfg.MaxItemBytes <= 0 || cfg.MaxItemBytes > cfg.MaxBytes {
		cfg.MaxItemBytes = cfg.MaxBytes
	}
	c := &Cache{cfg: cfg, obs: obs, bySource: map[string]map[string]struct{}{}}
	// The count bound is only a backstop; bytes are what is bounded.
	c.lru, _ = simplelru.NewLRU[string, *Entry](1<<30, c.onEvict)
	return c
}

// Get returns the cached entry for key.
func (c *Cache) Get(key string) (*Entry, bool) {
	c.mu.Lock()
	e, ok := c.lru.Get(key)
	c.mu.Unlock()
	return e, ok
}

// Lookup is Get for the request path: a hit is counted as one. On a miss
// nothing is counted, since the caller goes on to Do, which counts it.
func (c *Cache) Lookup(key string) (*Entry, bool) {
	e, ok := c.Get(key)
	if ok {
		c.lookup("hit")
	}
	return e, ok
}

// Len and Bytes report what the L1 holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

func (c *Cache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// add keeps e under key if it fits, evicting the least recently used
// entries to make room. c.mu must be held.
func (c *Cache) add(key string, e *Entry) {
	size := e.size(key)
	if c.cfg.MaxBytes <= 0 || size > c.cfg.MaxItemBytes || e.Degraded {
		return
	}
	if old, ok := c.lru.Peek(key); ok {
		c.bytes -= old.size(key)
		c.unindex(key, old)
	}
	c.lru.Add(key, e)
	c.bytes += size
	idx := c.bySource[e.SourceKey]
	if idx == nil {
		idx = map[string]struct{}{}
		c.bySource[e.SourceKey] = idx
	}
	idx[key] = struct{}{}
	for c.bytes > c.cfg.MaxBytes {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
		if c.obs.Evict != nil {
			c.obs.Evict()
		}
	}
	c.reportBytes()
}

func (c *Cache) keep(key string, e *Entry) {
	c.mu.Lock()
	c.add(key, e)
	c.mu.Unlock()
}

// onEvict runs inside lru calls, with c.mu held.
func (c *Cache) onEvict(key string, e *Entry) {
	c.bytes -= e.size(key)
	c.unindex(key, e)
}

func (c *Cache) unindex(key string, e *Entry) {
	if idx := c.bySource[e.SourceKey]; idx != nil {
		delete(idx, key)
		if len(idx) == 0 {
			delete(c.bySource, e.SourceKey)
		}
	}
}

func (c *Cache) reportBytes() {
	if c.obs.Bytes != nil {
		c.obs.Bytes(c.bytes)
	}
}

// PurgeSource drops every cached variant of a source key and reports how
// many there were.
func (c *Cache) PurgeSource(sourceKey string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	idx := c.bySource[sourceKey]
	n := 0
	for key := range idx {
		if c.lru.Remove(key) {
			n++
		}
	}
	delete(c.bySource, sourceKey)
	c.reportBytes()
	return n
}

func (c *Cache) lookup(result string) {
	if c.obs.Lookup != nil {
		c.obs.Lookup(result)
	}
}

// UseStore puts the durable store behind the L1: DoVariant consults it
// before rendering and queues every whole render to it. adopt (may be nil)
// sees each entry read from the store before it is kept or served, so that
// its owner can bring the headers it prebuilt up to date. Call it before
// serving.
func (c *Cache) UseStore(st *Store, adopt func(*Entry)) { c.store, c.adopt = st, adopt }

// Store is the durable store, nil when there is none.
func (c *Cache) Store() *Store { return c.store }

// RenderFunc produces an entry for a miss.
type RenderFunc func(ctx context.Context) (*Entry, error)

// PanicError is a panic inside a render (see flight.PanicError).
type PanicError = flight.PanicError

// Do returns the entry for key: from the L1, or by joining a render of the
// same key already in flight, or by rendering it. The render runs on a
// context of its own that keeps ctx's values and deadline but not its
// cancellation: it is cancelled only when every caller waiting for it has
// gone. A failed or degraded render is not kept; every waiter gets it.
func (c *Cache) Do(ctx context.Context, key string, render RenderFunc) (*Entry, Outcome, error) {
	return c.DoVariant(ctx, key, Variant{}, render)
}

// Variant names an entry in the tiers behind the L1: its source key (for
// the per-source prefix purges use), its ETag (the content address) and its
// key in the shared tier (from which the owner can render it). The zero
// Variant skips them.
type Variant struct {
	SourceKey string
	ETag      string
	PeerKey   string
}

// UsePeers puts the shared tier between the L1 and the store: DoVariant
// asks the variant's owner, which reads the store and renders. resolve
// turns a peer's request back into a render here; onPurge (may be nil) is
// what a purge from a peer drops besides the L1 (source attributes); adopt
// (may be nil) sees each entry another replica made, as UseStore's does.
// Call it before serving.
func (c *Cache) UsePeers(p *Peers, resolve PeerResolve, onPurge func(sourceKey string), adopt func(*Entry)) {
	c.peers = p
	if adopt != nil {
		c.adopt = adopt
	}
	p.serve = func(ctx context.Context, peerKey string) (*Entry, error) {
		key, v, render, err := resolve(ctx, peerKey)
		if err != nil {
			return nil, err
		}
		// No coalescing here: groupcache already makes one call per key, and
		// this replica's own requests for the key wait in that same call.
		if e, ok := c.Get(key); ok {
			return e, nil
		}
		e, _, err := c.fill(ctx, key, v, render)
		return e, err
	}
	p.onPurge = func(sourceKey string) int {
		if onPurge != nil {
			onPurge(sourceKey)
		}
		return c.PurgeSource(sourceKey)
	}
}

// Peers is the shared tier, nil when there is none.
func (c *Cache) Peers() *Peers { return c.peers }

// DoVariant is Do with the tiers behind the L1, in order: L1, then (inside
// the one coalesced call, so that a burst asks once) the shared tier's
// owner, which reads the store and renders; without the shared tier, the
// store then a render here. A store that fails or is slow costs its
// timeout and is counted; the render goes on. An owner that fails or is
// slow costs the peer timeout; the variant is rendered here. A whole
// render is queued to the store without waiting for it; a degraded one is
// not, and is never shared.
func (c *Cache) DoVariant(ctx context.Context, key string, v Variant, render RenderFunc) (*Entry, Outcome, error) {
	if e, ok := c.Get(key); ok {
		c.lookup("hit")
		return e, Hit, nil
	}
	// Set only by the call that runs the function below, on the flight
	// group's goroutine, which may still run when a caller that left reads it.
	var outcome atomic.Int32
	e, shared, err := c.flight.Do(ctx, key, func(ctx context.Context) (*Entry, error) {
		// A render of key may have finished between the lookup above and
		// this run starting; then it is in the L1.
		if e, ok := c.Get(key); ok {
			return e, nil
		}
		if c.peers != nil && v.PeerKey != "" {
			e, out, err := c.peers.lookup(ctx, v.PeerKey, func(ctx context.Context) (*Entry, Outcome, error) {
				return c.fill(ctx, key, v, render)
			})
			outcome.Store(int32(out))
			if err == nil && out == Peer {
				if c.adopt != nil {
					c.adopt(e)
				}
				c.keep(key, e)
			}
			return e, err
		}
		e, out, err := c.fill(ctx, key, v, render)
		outcome.Store(int32(out))
		return e, err
	})
	if shared {
		c.lookup("coalesced")
		return e, Coalesced, err
	}
	c.lookup("miss")
	return e, Outcome(outcome.Load()), err
}

// fill is this replica's way to an entry past the L1: the store, then a
// render, kept in the L1 and queued to the store.
func (c *Cache) fill(ctx context.Context, key string, v Variant, render RenderFunc) (*Entry, Outcome, error) {
	if c.store != nil && v.ETag != "" {
		if e, _ := c.store.Get(ctx, v.SourceKey, v.ETag); e != nil { // errors are counted there
			if c.adopt != nil {
				c.adopt(e)
			}
			c.keep(key, e)
			return e, Stored, nil
		}
	}
	e, err := render(ctx)
	if err == nil && e != nil {
		c.keep(key, e) // before the waiters are released: the next request hits
		if c.store != nil && v.ETag != "" {
			c.store.Put(e)
		}
	}
	return e, Miss, err
}
