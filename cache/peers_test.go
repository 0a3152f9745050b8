package cache

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/breaker"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestPeersMembership: the static list and DNS answers make the ring, this
// replica always in it; a DNS failure keeps the last list; a change of the
// answer changes the ring at the next refresh.
func TestPeersMembership(t *testing.T) {
	ln := listen(t)
	self := ln.Addr().String()
	_, port, _ := net.SplitHostPort(self)
	answers := make(chan []net.IP, 10)
	failures := make(chan error, 10)
	cfg := PeersConfig{Listen: self, Static: []string{"127.0.0.9:7000"}, DNS: "pixmill-headless.ns.svc",
		Refresh: 20 * time.Millisecond, Secret: "0123456789abcdef"}
	var lastIPs []net.IP
	p, err := newPeersWith(context.Background(), cfg, ln, PeerObserver{}, quiet(), func(ctx context.Context, host string) ([]net.IP, error) {
		if host != "pixmill-headless.ns.svc" {
			t.Errorf("resolved %q", host)
		}
		select {
		case err := <-failures:
			return nil, err
		default:
		}
		select {
		case ips := <-answers:
			lastIPs = ips
		default:
		}
		return lastIPs, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want := []string{"127.0.0.9:7000", self}
	slices.Sort(want)
	if got := p.Addrs(); !slices.Equal(got, want) {
		t.Fatalf("start: peers %v, want %v (static and self)", got, want)
	}
	answers <- []net.IP{net.ParseIP("10.0.0.1"), net.ParseIP("10.0.0.2")}
	want = []string{"10.0.0.1:" + port, "10.0.0.2:" + port, "127.0.0.9:7000", self}
	slices.Sort(want)
	waitPeers(t, func() bool { return slices.Equal(p.Addrs(), want) }, "DNS answer in the ring: %v", p.Addrs)
	failures <- errors.New("no such host")
	time.Sleep(100 * time.Millisecond)
	if got := p.Addrs(); !slices.Equal(got, want) {
		t.Errorf("after a failed lookup: %v, want the last list %v", got, want)
	}
	// Keys as the server makes them: an ETag (a hash) first, which spreads
	// them over the ring (groupcache's FNV-1 would not spread keys that
	// differ only in their last bytes).
	owners := map[string]int{}
	for i := range 400 {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		c, _ := p.inst.PickPeer("pm1\n\"" + base64.RawURLEncoding.EncodeToString(sum[:15]) + "\"\n\nwidth=100\nphotos/cat.jpg")
		owners[c.PeerInfo().Address]++
	}
	for _, a := range want {
		if owners[a] < 400/4/3 {
			t.Errorf("owners of 400 keys %v: %s owns fewer than a third of its share", owners, a)
		}
	}
}

func waitPeers(t *testing.T, cond func() bool, msg string, arg func() []string) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf(msg, arg())
}

func TestSelfAddress(t *testing.T) {
	addr := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	tests := []struct {
		name    string
		cfg     PeersConfig
		bound   string
		want    string
		guessed bool
	}{
		{"configured", PeersConfig{Self: "pod-1.example:7946"}, "0.0.0.0:7946", "pod-1.example:7946", false},
		{"listener names a host", PeersConfig{}, "127.0.0.1:7946", "127.0.0.1:7946", false},
		{"static entry on a local address", PeersConfig{Static: []string{"192.0.2.1:7946", "127.0.0.1:7946"}}, "[::]:7946", "127.0.0.1:7946", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, guessed := selfAddress(tc.cfg, addr(tc.bound))
			if got != tc.want || guessed != tc.guessed {
				t.Errorf("selfAddress = %q, %v; want %q, %v", got, guessed, tc.want, tc.guessed)
			}
		})
	}
}

// TestPeerSecret: the peer port answers only requests with the secret.
func TestPeerSecret(t *testing.T) {
	ln := listen(t)
	p, err := NewPeers(context.Background(), PeersConfig{Listen: ln.Addr().String(), Secret: "0123456789abcdef"}, ln, PeerObserver{}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	for _, tc := range []struct {
		secret string
		want   int
	}{
		{"", 403}, {"0123456789abcde", 403}, {"0123456789abcdef0", 403}, {"x", 403}, {"0123456789abcdef", 404},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/_groupcache/other/key", nil)
		if tc.secret != "" {
			req.Header.Set(PeerSecretHeader, tc.secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("secret %q: %d, want %d", tc.secret, resp.StatusCode, tc.want)
		}
	}
}

// TestPeerBreaker: a peer whose connection failed is skipped for the
// cooldown, then tried again; one that timed out is skipped only after a
// few timeouts in a row (a busy owner may just be rendering); the caller
// leaving does not count against the peer.
func TestPeerBreaker(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	timeout := context.DeadlineExceeded
	tests := []struct {
		name        string
		errs        []error
		skipped     bool
		nextTimeout bool // one more timeout opens it
	}{
		{"caller left", []error{context.Canceled, context.Canceled}, false, false},
		{"refused", []error{refused}, true, true},
		{"one timeout", []error{timeout}, false, false},
		{"timeouts in a row", []error{timeout, timeout, timeout}, true, true},
		{"an answer between timeouts", []error{timeout, timeout, nil, timeout}, false, false},
		{"two timeouts since the answer", []error{timeout, nil, timeout, timeout}, false, true},
		{"refused after a timeout", []error{timeout, refused}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newPeerBreakers(quiet())
			for _, err := range tc.errs {
				b.record("p:1", err)
			}
			if err := b.check("p:1"); errors.Is(err, errPeerDown) != tc.skipped {
				t.Errorf("skipped = %v, want %v", err != nil, tc.skipped)
			}
			if !tc.skipped {
				b.record("p:1", timeout)
				if err := b.check("p:1"); errors.Is(err, errPeerDown) != tc.nextTimeout {
					t.Errorf("after one more timeout skipped = %v, want %v", err != nil, tc.nextTimeout)
				}
			}
			if err := b.check("p:2"); err != nil {
				t.Errorf("another peer skipped: %v", err)
			}
		})
	}
	// After the cooldown one trial goes to the peer; its answer closes the
	// breaker and is logged once.
	var c clock
	c.t = time.Now()
	b := newPeerBreakers(quiet())
	b.peer["p:1"] = breaker.New(peerTimeoutsToOpen, peerCooldown).WithClock(c.now)
	b.record("p:1", refused)
	b.record("p:1", refused)
	if !b.down["p:1"] || b.check("p:1") == nil {
		t.Fatal("a refused peer is not skipped")
	}
	c.t = c.t.Add(peerCooldown + time.Second)
	if err := b.check("p:1"); err != nil {
		t.Fatalf("no trial after the cooldown: %v", err)
	}
	if err := b.check("p:1"); err == nil {
		t.Fatal("a second call while the trial is in flight")
	}
	b.record("p:1", nil)
	if b.down["p:1"] || b.check("p:1") != nil {
		t.Errorf("an answer did not close the breaker")
	}
}

// clock is a settable time for a breaker's cooldown.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }
