package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/groupcache/groupcache-go/v3"
	"github.com/groupcache/groupcache-go/v3/transport"
	"github.com/groupcache/groupcache-go/v3/transport/peer"
	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// PeersConfig is the shared tier between replicas: groupcache-go, whose
// consistent hashing gives each variant one owner that renders it for the
// cluster, over a peer port of its own.
type PeersConfig struct {
	Listen   string        // the peer port's address; "" turns the tier off
	Self     string        // this replica's address as its peers reach it; "" finds it (see selfAddress)
	Static   []string      // host:port of every replica, this one included
	DNS      string        // a name whose addresses are the replicas (a Kubernetes headless service); the port is Listen's unless it names one
	Refresh  time.Duration // how often DNS is resolved again
	Secret   string        // sent by every peer request, checked by every peer
	Timeout  time.Duration // bound on one request to a peer; past it the variant is rendered here
	MaxBytes int64         // groupcache's memory: owned variants and a hot copy of popular ones
	// RenderTimeout bounds a render made for a peer. It does not end when
	// the asking peer gives up: the finished variant is kept for the next.
	RenderTimeout time.Duration
}

// DefaultPeersConfig is off, with DNS re-resolved every 10 s, a 2 s peer
// timeout and 128 MiB for groupcache.
func DefaultPeersConfig() PeersConfig {
	return PeersConfig{Refresh: 10 * time.Second, Timeout: 2 * time.Second, MaxBytes: 128 << 20, RenderTimeout: 30 * time.Second}
}

// PeerObserver receives the shared tier's events, for metrics. Any field
// may be nil.
type PeerObserver struct {
	// Lookup: "hit" (another replica answered), "miss" (this replica owns
	// the variant: read from the store or rendered here), "error" (the
	// owner failed, was too slow or is down: rendered here).
	Lookup   func(result string)
	Duration func(d time.Duration) // one request to the owner, answered or not
	Peers    func(n int)           // replicas known, this one included
	Failure  func(op string)       // "purge": a peer that did not purge
}

// PeerSecretHeader carries cache.peers.secret on every peer request.
const PeerSecretHeader = "X-Pixmill-Peer-Secret"

// groupName is the one groupcache group: finished variants.
const groupName = "variants"

// peerPurgePath is where a peer purges its own tiers for a source key.
const peerPurgePath = "/_pixmill/purge"

// PeerResolve turns a shared-tier key back into what the L1 and the store
// need and how to render: on the owner, for a variant a peer asked for.
type PeerResolve func(ctx context.Context, peerKey string) (l1Key string, v Variant, render RenderFunc, err error)

// Peers is this replica's part of the shared tier.
type Peers struct {
	cfg   PeersConfig
	obs   PeerObserver
	log   *slog.Logger
	inst  *groupcache.Instance
	group groupcache.Group
	tr    *transport.HttpTransport
	self  string // guarded by mu: DNS may name this replica otherwise than guessed
	// guessedSelf: neither cache.peers.self nor the listener named this
	// replica's address; a DNS answer with one of its own addresses does.
	guessedSelf bool
	client      *http.Client // peer requests: the secret, the timeout, the breaker
	breakers    *peerBreakers
	lookupIP    func(ctx context.Context, host string) ([]net.IP, error)
	handler     http.Handler

	// Set by Cache.UsePeers: how a peer's request is served here, and
	// what a purge from a peer drops besides groupcache's entries.
	serve   func(ctx context.Context, peerKey string) (*Entry, error)
	onPurge func(sourceKey string) int

	mu    sync.Mutex
	addrs []string                       // current peers, sorted, this one included
	keys  *simplelru.LRU[string, string] // groupcache keys held here -> source key
	bySrc map[string]map[string]struct{} // source key -> groupcache keys
	stop  context.CancelFunc
	done  chan struct{}
}

// peerKeyIndexSize bounds the index purges use to find this replica's
// groupcache entries of one source: more keys than groupcache holds at
// typical variant sizes. A key dropped from it is not purged from
// groupcache here (its owner's copy is, from the owner's index).
const peerKeyIndexSize = 1 << 17

// NewPeers builds the shared tier for the peer listener ln (already bound,
// so that its address is known). Membership is set before it returns;
// with cfg.DNS it is refreshed until Close.
func NewPeers(ctx context.Context, cfg PeersConfig, ln net.Listener, obs PeerObserver, log *slog.Logger) (*Peers, error) {
	return newPeersWith(ctx, cfg, ln, obs, log, func(ctx context.Context, host string) ([]net.IP, error) {
		return net.DefaultResolver.LookupIP(ctx, "ip", host)
	})
}

// newPeersWith is NewPeers with the DNS lookup given (tests answer it).
func newPeersWith(ctx context.Context, cfg PeersConfig, ln net.Listener, obs PeerObserver, log *slog.Logger,
	lookupIP func(ctx context.Context, host string) ([]net.IP, error)) (*Peers, error) {
	d := DefaultPeersConfig()
	if cfg.Refresh <= 0 {
		cfg.Refresh = d.Refresh
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = d.Timeout
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = d.MaxBytes
	}
	if cfg.RenderTimeout <= 0 {
		cfg.RenderTimeout = d.RenderTimeout
	}
	if cfg.Secret == "" {
		return nil, errors.New("cache.peers.secret must be set with cache.peers.listen")
	}
	if log == nil {
		log = slog.Default()
	}
	p := &Peers{cfg: cfg, obs: obs, log: log, bySrc: map[string]map[string]struct{}{},
		lookupIP: lookupIP, done: make(chan struct{})}
	p.keys, _ = simplelru.NewLRU[string, string](peerKeyIndexSize, p.unindex)
	p.breakers = newPeerBreakers(log)
	p.client = &http.Client{
		Timeout:   cfg.Timeout,
		Transport: &secretTransport{secret: cfg.Secret, next: http.DefaultTransport, breakers: p.breakers},
	}
	p.tr = transport.NewHttpTransport(transport.HttpTransportOptions{
		Client: p.client,
		Logger: quietLogger{log},
		// A render for a peer outlives the peer's wait: when the peer gives
		// up at its timeout the variant is still finished and kept here.
		Context: func(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) },
	})
	p.inst = groupcache.New(groupcache.Options{Transport: p.tr, Logger: quietLogger{log}})
	g, err := p.inst.NewGroup(groupName, cfg.MaxBytes, groupcache.GetterFunc(p.get))
	if err != nil {
		return nil, err
	}
	p.group = g
	p.self, p.guessedSelf = selfAddress(cfg, ln.Addr())
	p.handler = p.authenticated(p.routes())
	if err := p.refresh(ctx); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.stop = cancel
	go p.refreshLoop(rctx)
	return p, nil
}

// Handler serves the peer port: groupcache's protocol and the purge
// fan-out, each only with the secret.
func (p *Peers) Handler() http.Handler { return p.handler }

// Self is this replica's address on the peer port.
func (p *Peers) Self() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.self
}

// Addrs are the replicas known now, this one included.
func (p *Peers) Addrs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.addrs)
}

// Close stops refreshing membership.
func (p *Peers) Close() {
	if p.stop != nil {
		p.stop()
		<-p.done
	}
}

// selfAddress is this replica's address as its peers reach it:
// cache.peers.self; else the listener's own address when it names a host;
// else the static entry on the listener's port that is one of this
// machine's addresses; else this machine's first non-loopback address.
func selfAddress(cfg PeersConfig, bound net.Addr) (addr string, guessed bool) {
	if cfg.Self != "" {
		return cfg.Self, false
	}
	host, port, _ := net.SplitHostPort(bound.String())
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		return bound.String(), false
	}
	local := localIPs()
	for _, a := range cfg.Static {
		h, pt, err := net.SplitHostPort(a)
		if err == nil && pt == port && local[h] {
			return a, false
		}
	}
	var ips []string
	for ip := range local {
		if parsed := net.ParseIP(ip); parsed != nil && !parsed.IsLoopback() && parsed.To4() != nil {
			ips = append(ips, ip)
		}
	}
	if len(ips) > 0 {
		slices.Sort(ips)
		return net.JoinHostPort(ips[0], port), true
	}
	return net.JoinHostPort("127.0.0.1", port), true
}

func localIPs() map[string]bool {
	out := map[string]bool{}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			out[n.IP.String()] = true
		}
	}
	return out
}

// refresh sets groupcache's membership from the static list and DNS. An
// unchanged list changes nothing; a changed one moves only the keys the
// ring gives to the replicas that came or went.
func (p *Peers) refresh(ctx context.Context) error {
	addrs := slices.Clone(p.cfg.Static)
	if p.cfg.DNS != "" {
		host, port := p.cfg.DNS, ""
		if h, pt, err := net.SplitHostPort(p.cfg.DNS); err == nil {
			host, port = h, pt
		}
		if port == "" {
			_, port, _ = net.SplitHostPort(p.self)
		}
		lctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
		ips, err := p.lookupIP(lctx, host)
		cancel()
		if err != nil {
			// Keep the last membership: a DNS hiccup must not make every
			// replica its own owner of everything.
			p.log.Warn("cache.peers.dns: lookup failed; keeping the last peer list", "name", host, "err", err)
			if p.Addrs() != nil {
				return nil
			}
		}
		local := localIPs()
		for _, ip := range ips {
			a := net.JoinHostPort(ip.String(), port)
			if p.guessedSelf && local[ip.String()] && a != p.self {
				// The name lists this pod by its address: that is how the
				// others reach it, so that is its name in the ring.
				p.mu.Lock()
				p.self = a
				p.mu.Unlock()
			}
			addrs = append(addrs, a)
		}
	}
	self := p.Self()
	if !slices.Contains(addrs, self) {
		addrs = append(addrs, self)
	}
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	p.mu.Lock()
	same := slices.Equal(addrs, p.addrs)
	p.mu.Unlock()
	if same {
		return nil
	}
	infos := make([]peer.Info, len(addrs))
	for i, a := range addrs {
		infos[i] = peer.Info{Address: a, IsSelf: a == self}
	}
	if err := p.inst.SetPeers(ctx, infos); err != nil {
		return fmt.Errorf("cache.peers: %w", err)
	}
	p.mu.Lock()
	p.addrs = addrs
	p.mu.Unlock()
	if p.obs.Peers != nil {
		p.obs.Peers(len(addrs))
	}
	p.log.Info("cache.peers: membership", "self", self, "peers", strings.Join(addrs, ","))
	return nil
}

func (p *Peers) refreshLoop(ctx context.Context) {
	defer close(p.done)
	if p.cfg.DNS == "" {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(p.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.refresh(ctx); err != nil {
				p.log.Warn("cache.peers: membership not updated", "err", err)
			}
		}
	}
}

// localCall is a lookup made by this replica: when groupcache runs the
// getter here (this replica owns the key, or the owner did not answer), the
// getter fills it with the caller's own function and reports what it did.
type localCall struct {
	key     string
	fill    func(ctx context.Context) (*Entry, Outcome, error)
	ran     bool
	entry   *Entry
	outcome Outcome
	err     error
}

type localCallKey struct{}

// errDegraded keeps a degraded render out of groupcache: returned by the
// getter, it is not cached, and a peer that asked gets an error and
// renders for itself.
var errDegraded = errors.New("degraded render: not shared")

// lookup asks the variant's owner for peerKey. fill is this replica's own
// way to the entry (the store, then a render), used when this replica is
// the owner, and when the owner fails, is degraded, or does not answer
// within the peer timeout.
func (p *Peers) lookup(ctx context.Context, peerKey string, fill func(ctx context.Context) (*Entry, Outcome, error)) (*Entry, Outcome, error) {
	_, remote := p.inst.PickPeer(peerKey)
	call := &localCall{key: peerKey, fill: fill}
	start := time.Now()
	var view transport.ByteView
	err := p.group.Get(context.WithValue(ctx, localCallKey{}, call), peerKey, transport.ByteViewSink(&view))
	if call.ran { // this replica's own fill ran inside groupcache
		if remote {
			p.observe("error", start) // the owner did not answer: groupcache fell back to here
		} else {
			p.count("miss")
		}
		return call.entry, call.outcome, call.err
	}
	if err == nil {
		e, derr := decodeEntry(view.ByteSlice())
		if derr == nil {
			p.index(peerKey, e.SourceKey)
			if remote {
				p.observe("hit", start)
				return e, Peer, nil
			}
			p.count("miss")
			return e, Coalesced, nil // made here, for a peer's request of the same key
		}
		err = derr
	}
	if ctx.Err() != nil {
		return nil, Miss, ctx.Err()
	}
	// The owner answered with an error: overloaded, a degraded render, a
	// version it does not have yet. Render here, outside groupcache.
	if remote {
		p.observe("error", start)
	} else {
		p.count("error")
	}
	if !errors.Is(err, errDegraded) && !strings.Contains(err.Error(), errDegraded.Error()) {
		p.log.Debug("cache.peers: owner failed; rendering here", "err", err)
	}
	return fill(ctx)
}

func (p *Peers) observe(result string, start time.Time) {
	if p.obs.Duration != nil {
		p.obs.Duration(time.Since(start))
	}
	p.count(result)
}

func (p *Peers) count(result string) {
	if p.obs.Lookup != nil {
		p.obs.Lookup(result)
	}
}

// get is groupcache's getter: it runs on the owner (or, when the owner did
// not answer, on the asking replica), once per key however many ask.
func (p *Peers) get(ctx context.Context, key string, dest transport.Sink) error {
	var e *Entry
	var err error
	if call, ok := ctx.Value(localCallKey{}).(*localCall); ok && call.key == key {
		call.ran = true
		call.entry, call.outcome, call.err = call.fill(ctx)
		e, err = call.entry, call.err
	} else {
		if p.serve == nil {
			return errors.New("cache.peers: not serving yet")
		}
		rctx, cancel := context.WithTimeout(ctx, p.cfg.RenderTimeout)
		e, err = p.serve(rctx, key)
		cancel()
	}
	if err != nil {
		return err
	}
	if e == nil || e.Degraded {
		return errDegraded
	}
	b, err := encodeEntry(e)
	if err != nil {
		return err
	}
	p.index(key, e.SourceKey)
	return dest.SetBytes(b, time.Time{})
}

func (p *Peers) index(key, sourceKey string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys.Add(key, sourceKey)
	idx := p.bySrc[sourceKey]
	if idx == nil {
		idx = map[string]struct{}{}
		p.bySrc[sourceKey] = idx
	}
	idx[key] = struct{}{}
}

// unindex runs inside p.keys calls, with p.mu held.
func (p *Peers) unindex(key, sourceKey string) {
	if idx := p.bySrc[sourceKey]; idx != nil {
		delete(idx, key)
		if len(idx) == 0 {
			delete(p.bySrc, sourceKey)
		}
	}
}

// PurgeLocal drops this replica's groupcache entries of sourceKey (its own
// and its hot copies of others') and reports how many it knew of.
func (p *Peers) PurgeLocal(sourceKey string) int {
	p.mu.Lock()
	var keys []string
	for k := range p.bySrc[sourceKey] {
		keys = append(keys, k)
	}
	for _, k := range keys {
		p.keys.Remove(k)
	}
	p.mu.Unlock()
	// LocalRemove is groupcache's own removal from this replica's main and
	// hot caches; every replica receives the purge and removes its own.
	type localRemover interface{ LocalRemove(string) }
	if lr, ok := p.group.(localRemover); ok {
		for _, k := range keys {
			lr.LocalRemove(k)
		}
	} else if len(keys) > 0 {
		_ = p.group.RemoveKeys(context.Background(), keys...)
	}
	return len(keys)
}
