package cache

// The shared tier's HTTP side: the peer port's routes behind the secret,
// the client that sends the secret and skips peers that are down, and the
// purge fan-out. groupcache-go's own transport and protocol carry the
// variants.

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/groupcache/groupcache-go/v3/transport"

	"github.com/pixmill/pixmill/internal/breaker"
)

// PurgeOthers asks every other replica, over the peer port, to purge
// sourceKey from its L1 and groupcache. It reports how many did, and an
// error naming those that did not.
func (p *Peers) PurgeOthers(ctx context.Context, sourceKey string) (int, error) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		ok     int
		failed []string
	)
	for _, a := range p.Addrs() {
		if a == p.Self() {
			continue
		}
		wg.Add(1)
		go func(addr string) {
			defer wg.Done()
			err := p.purgePeer(ctx, addr, sourceKey)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, addr+": "+err.Error())
				if p.obs.Failure != nil {
					p.obs.Failure("purge")
				}
				return
			}
			ok++
		}(a)
	}
	wg.Wait()
	if len(failed) > 0 {
		slices.Sort(failed)
		return ok, fmt.Errorf("peers did not purge: %s", strings.Join(failed, "; "))
	}
	return ok, nil
}

func (p *Peers) purgePeer(ctx context.Context, addr, sourceKey string) error {
	u := "http://" + addr + peerPurgePath + "?key=" + url.QueryEscape(sourceKey)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// routes is the peer port: groupcache's protocol under its base path, and
// the purge a replica fans out.
func (p *Peers) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(transport.DefaultBasePath, func(w http.ResponseWriter, r *http.Request) {
		// groupcache's handler does not answer an unknown group itself.
		rest := strings.TrimPrefix(r.URL.Path, transport.DefaultBasePath)
		if name, _, _ := strings.Cut(rest, "/"); name != groupName {
			http.NotFound(w, r)
			return
		}
		p.tr.ServeHTTP(w, r)
	})
	mux.HandleFunc("POST "+peerPurgePath, func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Query().Get("key")
		if key == "" {
			http.Error(w, "key is required", http.StatusBadRequest)
			return
		}
		n := p.PurgeLocal(key)
		if p.onPurge != nil {
			n += p.onPurge(key)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(strconv.Itoa(n) + "\n"))
	})
	return mux
}

// authenticated refuses, with 403, every request without the shared
// secret. The comparison is of digests, so it takes the same time
// whatever the length or content of what was sent.
func (p *Peers) authenticated(next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(p.cfg.Secret))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get(PeerSecretHeader)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			http.Error(w, "peer secret missing or wrong", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// secretTransport adds the secret to every peer request and fails fast to
// a peer that is down (see peerBreakers).
type secretTransport struct {
	secret   string
	next     http.RoundTripper
	breakers *peerBreakers
}

func (t *secretTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.breakers.check(r.URL.Host); err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set(PeerSecretHeader, t.secret)
	resp, err := t.next.RoundTrip(r)
	t.breakers.record(r.URL.Host, err)
	return resp, err
}

// peerBreakers remember peers that did not answer: while a peer's breaker
// is open its requests fail at once (and groupcache renders here), so that
// a dead or hung peer costs one wait per cooldown, not one per request. A
// refused or failed connection opens it at once: the peer is gone. A
// request that timed out may only have waited for a long render on a busy
// owner, so it takes peerTimeoutsToOpen of them in a row.
type peerBreakers struct {
	log  *slog.Logger
	mu   sync.Mutex
	peer map[string]*breaker.Breaker // host:port
	down map[string]bool             // logged as down, not yet as back
}

const (
	peerCooldown       = 5 * time.Second
	peerTimeoutsToOpen = 3
)

var errPeerDown = errors.New("peer skipped: it did not answer recently")

func newPeerBreakers(log *slog.Logger) *peerBreakers {
	return &peerBreakers{log: log, peer: map[string]*breaker.Breaker{}, down: map[string]bool{}}
}

func (b *peerBreakers) of(host string) *breaker.Breaker {
	b.mu.Lock()
	defer b.mu.Unlock()
	br, ok := b.peer[host]
	if !ok {
		br = breaker.New(peerTimeoutsToOpen, peerCooldown)
		b.peer[host] = br
	}
	return br
}

// check reserves a call to host, or refuses it while its breaker is open.
func (b *peerBreakers) check(host string) error {
	if !b.of(host).Allow() {
		return errPeerDown
	}
	return nil
}

// record reports the call that check allowed.
func (b *peerBreakers) record(host string, err error) {
	br := b.of(host)
	switch {
	case err == nil:
		if br.Success() && b.announce(host, false) {
			b.log.Info("cache.peers: peer answers again", "peer", host)
		}
		return
	case errors.Is(err, context.Canceled):
		br.Release() // the asker left; says nothing about the peer
		return
	}
	opened := false
	if isTimeout(err) {
		opened = br.Failure()
	} else {
		opened = br.Trip()
	}
	if opened && b.announce(host, true) {
		b.log.Warn("cache.peers: peer did not answer; rendering its variants here for a while", "peer", host, "err", err)
	}
}

// announce records host as down (or back) and reports whether that is news,
// so that a peer that stays down is logged once, not once per cooldown.
func (b *peerBreakers) announce(host string, down bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down[host] == down {
		return false
	}
	if down {
		b.down[host] = true
	} else {
		delete(b.down, host)
	}
	return true
}

// isTimeout reports whether err is a request that connected but was not
// answered in time (not a connection that failed).
func isTimeout(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout())
}

// quietLogger gives groupcache's per-request error lines (one for every
// lookup that falls back while a peer is down) debug level: the breaker
// logs the peer going down and coming back once each.
type quietLogger struct{ log *slog.Logger }

func (l quietLogger) Info(msg string, args ...any)  { l.log.Debug(msg, args...) }
func (l quietLogger) Error(msg string, args ...any) { l.log.Debug(msg, args...) }
