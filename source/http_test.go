package source

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/testorigin"
)

// newHTTP builds an HTTP source that may reach loopback (the test origin)
// unless cfg says otherwise, and closes it when the test ends.
func newHTTP(t *testing.T, cfg HTTPConfig) *HTTP {
	t.Helper()
	h, err := NewHTTP(cfg)
	if err != nil {
		t.Fatalf("NewHTTP: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestHTTPFetchAndRevalidate(t *testing.T) {
	var body atomic.Value
	body.Store("version one")
	origin := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := body.Load().(string)
		etag := fmt.Sprintf(`"%d"`, len(b))
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write([]byte(b))
	}))
	h := newHTTP(t, HTTPConfig{URL: origin.URL + "/media/", AllowPrivateNetworks: true})
	ctx := context.Background()

	a, err := h.Attributes(ctx, "2024/cat one.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if a.Version() != "11" || a.Size != 11 {
		t.Errorf("attributes %+v, version %q", a, a.Version())
	}
	obj, err := h.ReadKnown(ctx, "2024/cat one.jpg", a)
	if err != nil || string(obj.Data) != "version one" {
		t.Fatalf("ReadKnown = %q, %v", obj.Data, err)
	}
	if n := origin.Count(0); n != 1 {
		t.Errorf("a miss cost %d origin requests, want 1 (the body Attributes read is reused)", n)
	}
	if got := origin.Requests()[0].Path; got != "/media/2024/cat one.jpg" {
		t.Errorf("origin path %q", got)
	}

	// Unchanged: the second look is a conditional request answered 304.
	a2, err := h.Attributes(ctx, "2024/cat one.jpg")
	if err != nil || a2.Version() != a.Version() {
		t.Fatalf("revalidated %+v, %v", a2, err)
	}
	if n := origin.Count(http.StatusNotModified); n != 1 {
		t.Errorf("%d 304s at the origin, want 1: %+v", n, origin.Requests())
	}
	if inm := origin.Requests()[1].IfNoneMatch; inm != `"11"` {
		t.Errorf("If-None-Match %q", inm)
	}

	if n := origin.Conns(); n != 1 {
		t.Errorf("%d connections for 2 requests, want 1 (reused)", n)
	}

	// Changed: a 200 with the new version.
	body.Store("version two!")
	a3, err := h.Attributes(ctx, "2024/cat one.jpg")
	if err != nil || a3.Version() != "12" {
		t.Fatalf("after change %+v, %v", a3, err)
	}
}

// TestHTTPVersionWithoutValidators: an origin that sends neither ETag nor
// Last-Modified gets a version from the body's hash.
func TestHTTPVersionWithoutValidators(t *testing.T) {
	var body atomic.Value
	body.Store("same length A")
	origin := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(body.Load().(string)))
	}))
	h := newHTTP(t, HTTPConfig{URL: origin.URL, AllowPrivateNetworks: true})
	a1, err := h.Attributes(context.Background(), "x.jpg")
	if err != nil {
		t.Fatal(err)
	}
	body.Store("same length B")
	a2, err := h.Attributes(context.Background(), "x.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a1.Version(), "sha256-") || a1.Version() == a2.Version() {
		t.Errorf("versions %q and %q: want body hashes that differ", a1.Version(), a2.Version())
	}
}

func TestHTTPStatusMapping(t *testing.T) {
	origin := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/"), "%d", &code)
		w.WriteHeader(code)
	}))
	h := newHTTP(t, HTTPConfig{URL: origin.URL, AllowPrivateNetworks: true})
	for _, tt := range []struct {
		code int
		want fault.Kind
	}{
		{404, fault.NotFound}, {410, fault.NotFound}, {403, fault.NotFound}, {401, fault.NotFound},
		{500, fault.BadGateway}, {503, fault.BadGateway}, {204, fault.BadGateway}, {206, fault.BadGateway},
	} {
		_, err := h.Attributes(context.Background(), fmt.Sprint(tt.code))
		wantKind(t, fmt.Sprintf("origin %d", tt.code), err, tt.want)
		if tt.code == 403 && !strings.Contains(err.Error(), "403") {
			t.Errorf("a 403 must say so in the logged cause: %v", err)
		}
	}
}

func TestHTTPSizeLimits(t *testing.T) {
	origin := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/lying":
			// Declares more than the limit: refused from the header, before
			// the body is read.
			w.Header().Set("Content-Length", "1000000")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(make([]byte, 10))
		case "/endless":
			// Chunked, never ends: cut one byte past the limit.
			for {
				if _, err := w.Write(make([]byte, 4096)); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		case "/fits":
			_, _ = w.Write(make([]byte, 1000))
		}
	}))
	h := newHTTP(t, HTTPConfig{URL: origin.URL, AllowPrivateNetworks: true, MaxBytes: 1000, Timeout: 5 * time.Second})
	for _, key := range []string{"lying", "endless"} {
		start := time.Now()
		_, err := h.Attributes(context.Background(), key)
		wantKind(t, key, err, fault.TooLarge)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", key, d)
		}
	}
	if _, err := h.Attributes(context.Background(), "fits"); err != nil {
		t.Errorf("fits: %v", err)
	}
}

func TestHTTPTimeouts(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	origin := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-body" {
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write(make([]byte, 10))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	for _, tt := range []struct {
		key string
		cfg HTTPConfig
	}{
		{"slow-headers", HTTPConfig{Timeout: 5 * time.Second, HeaderTimeout: 200 * time.Millisecond}},
		{"slow-headers", HTTPConfig{Timeout: 200 * time.Millisecond}},
		{"slow-body", HTTPConfig{Timeout: 200 * time.Millisecond}},
	} {
		tt.cfg.URL, tt.cfg.AllowPrivateNetworks = origin.URL, true
		h := newHTTP(t, tt.cfg)
		start := time.Now()
		_, err := h.Attributes(context.Background(), tt.key)
		wantKind(t, tt.key, err, fault.UpstreamTimeout)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v", tt.key, d)
		}
	}
}

func TestHTTPRedirects(t *testing.T) {
	target := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("image bytes"))
	}))
	origin := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-allowed":
			http.Redirect(w, r, "http://cdn.allowed.test:"+target.Port+"/x.jpg", http.StatusFound)
		case "/to-wildcard":
			http.Redirect(w, r, "http://a.b.wild.test:"+target.Port+"/x.jpg", http.StatusFound)
		case "/to-other":
			http.Redirect(w, r, "http://other.test:"+target.Port+"/x.jpg", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/to-ftp":
			http.Redirect(w, r, "ftp://cdn.allowed.test/x.jpg", http.StatusFound)
		}
	}))
	r := testorigin.Resolver{
		"cdn.allowed.test": testorigin.Addrs("127.0.0.1"),
		"a.b.wild.test":    testorigin.Addrs("127.0.0.1"),
		"other.test":       testorigin.Addrs("127.0.0.1"),
	}
	h := newHTTP(t, HTTPConfig{URL: origin.URL, AllowPrivateNetworks: true, Resolver: r,
		AllowHosts: []string{"cdn.allowed.test", "*.wild.test"}})
	for _, key := range []string{"to-allowed", "to-wildcard"} {
		if a, err := h.Attributes(context.Background(), key); err != nil || a.Size != 11 {
			t.Errorf("%s: %+v, %v", key, a, err)
		}
	}
	for _, key := range []string{"to-other", "to-ftp"} {
		_, err := h.Attributes(context.Background(), key)
		wantKind(t, key, err, fault.Forbidden)
		if !errors.Is(err, ErrHostNotAllowed) {
			t.Errorf("%s: %v does not wrap ErrHostNotAllowed", key, err)
		}
	}
	_, err := h.Attributes(context.Background(), "loop")
	wantKind(t, "loop", err, fault.BadGateway)
	if n := origin.Count(0); n != 4+4 { // one each for the four above; 4 on the loop: the first and 3 redirects followed
		t.Errorf("origin saw %d requests", n)
	}
	if n := target.Count(0); n != 2 {
		t.Errorf("target saw %d requests, want 2 (other.test refused before any)", n)
	}
}

// TestHTTPRefusesPrivateAddresses: with allow_private_networks off, every
// spelling of a loopback, private or metadata address is refused before a
// connection is made: the loopback origin sees no connection at all. Host
// names resolve through the test's map, so no DNS query leaves the machine.
func TestHTTPRefusesPrivateAddresses(t *testing.T) {
	origin := testorigin.Start(t, testorigin.Files(t.TempDir()))
	r := testorigin.Resolver{
		"loopback.test": testorigin.Addrs("127.0.0.1"),
		"v6.test":       testorigin.Addrs("::1"),
		"mapped.test":   testorigin.Addrs("::ffff:127.0.0.1"),
		"0177.0.0.1":    testorigin.Addrs("127.0.0.1"), // as a libc resolver reads octal
		"0x7f.1":        testorigin.Addrs("127.0.0.1"),
		"meta.test":     testorigin.Addrs("169.254.169.254"),
		"ten.test":      testorigin.Addrs("10.0.0.1"),
		"meta6.test":    testorigin.Addrs("fd00:ec2::254"),
	}
	hosts := []string{"loopback.test", "v6.test", "mapped.test", "0177.0.0.1", "0x7f.1", "meta.test", "ten.test", "meta6.test",
		"127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "169.254.169.254", "10.0.0.1", "[::]", "0.0.0.0", "[fd00:ec2::254]"}
	for _, host := range hosts {
		h := newHTTP(t, HTTPConfig{URL: "http://" + host + ":" + origin.Port + "/", Resolver: r, Timeout: 2 * time.Second})
		_, err := h.Attributes(context.Background(), "x.jpg")
		wantKind(t, host, err, fault.Forbidden)
		if !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: %v does not wrap ErrBlockedAddress", host, err)
		}
	}
	if n := origin.Conns(); n != 0 {
		t.Errorf("the loopback origin accepted %d connections", n)
	}
}

// TestHTTPRedirectToRefusedAddress: an origin reachable by an explicit
// allow_networks entry redirects to a metadata or private address on an
// allowed host name: the redirect's address is refused like any other.
func TestHTTPRedirectToRefusedAddress(t *testing.T) {
	trap := testorigin.Start(t, testorigin.Files(t.TempDir())) // on 127.0.0.1 too, as [::1] would be
	origin := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/meta":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/ten":
			http.Redirect(w, r, "http://ten.test/x.jpg", http.StatusFound)
		case "/v6":
			http.Redirect(w, r, "http://[::1]:"+trap.Port+"/x.jpg", http.StatusFound)
		case "/trap":
			http.Redirect(w, r, "http://trap.test:"+trap.Port+"/x.jpg", http.StatusFound)
		}
	}))
	r := testorigin.Resolver{"ten.test": testorigin.Addrs("10.0.0.1"), "trap.test": testorigin.Addrs("127.0.0.2")}
	h := newHTTP(t, HTTPConfig{
		URL: origin.URL, Resolver: r, Timeout: 2 * time.Second,
		AllowNetworks: []netipPrefix{mustPrefix("127.0.0.1/32")},
		AllowHosts:    []string{"169.254.169.254", "ten.test", "::1", "trap.test"},
	})
	for _, key := range []string{"meta", "ten", "v6", "trap"} {
		_, err := h.Attributes(context.Background(), key)
		wantKind(t, key, err, fault.Forbidden)
		if !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: %v does not wrap ErrBlockedAddress", key, err)
		}
	}
	if n := origin.Count(http.StatusFound); n != 4 {
		t.Errorf("origin answered %d redirects, want 4", n)
	}
	if n := trap.Conns(); n != 0 {
		t.Errorf("the redirect target accepted %d connections", n)
	}
}

func TestHTTPAnyMode(t *testing.T) {
	origin := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("any " + r.URL.RequestURI()))
	}))
	r := testorigin.Resolver{"img.example.test": testorigin.Addrs("127.0.0.1"), "evil.test": testorigin.Addrs("127.0.0.1")}
	h := newHTTP(t, HTTPConfig{Any: true, AllowPrivateNetworks: true, Resolver: r, AllowHosts: []string{"img.example.test"}})
	enc := func(u string) string { return base64.RawURLEncoding.EncodeToString([]byte(u)) }
	ctx := context.Background()
	good := "http://img.example.test:" + origin.Port + "/a/b.jpg?v=2"
	a, err := h.Attributes(ctx, enc(good))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := h.ReadKnown(ctx, enc(good), a)
	if err != nil || string(obj.Data) != "any /a/b.jpg?v=2" {
		t.Errorf("ReadKnown = %q, %v", obj.Data, err)
	}
	if _, err := h.Attributes(ctx, base64.URLEncoding.EncodeToString([]byte(good))); err != nil {
		t.Errorf("padded base64: %v", err)
	}
	for _, tt := range []struct {
		key  string
		want fault.Kind
	}{
		{enc("http://evil.test:" + origin.Port + "/x.jpg"), fault.Forbidden},
		{enc("file:///etc/passwd"), fault.BadRequest},
		{enc("http://user:pw@img.example.test/x.jpg"), fault.BadRequest},
		{enc("/relative.jpg"), fault.BadRequest},
		{"not*base64", fault.BadRequest},
	} {
		_, err := h.Attributes(ctx, tt.key)
		wantKind(t, tt.key, err, tt.want)
	}
	if n := origin.Count(0); n != 2 {
		t.Errorf("origin saw %d requests, want 2", n)
	}
}

func TestNewHTTPRefuses(t *testing.T) {
	for _, tt := range []struct {
		cfg  HTTPConfig
		want string
	}{
		{HTTPConfig{URL: "ftp://x/"}, "not an http(s)"},
		{HTTPConfig{URL: "https://user:pw@x/"}, "no user"},
		{HTTPConfig{Any: true}, "needs allow_hosts"},
		{HTTPConfig{Any: true, AllowHosts: []string{"*"}}, "allow_hosts"},
		{HTTPConfig{Any: true, AllowHosts: []string{"https://x.com"}}, "allow_hosts"},
		{HTTPConfig{URL: "https://x/", Timeout: -1}, "negative"},
	} {
		if _, err := NewHTTP(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewHTTP(%+v) = %v, want an error mentioning %q", tt.cfg, err, tt.want)
		}
	}
}

type netipPrefix = netip.Prefix

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// TestHTTPHeaders: configured headers reach the origin (and follow a
// redirect to an allowed host), and never appear in an error.
func TestHTTPHeaders(t *testing.T) {
	var seen atomic.Value
	origin := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization") + "|" + r.Header.Get("X-Api-Key") + "|" + r.Header.Get("User-Agent"))
		if r.URL.Path == "/fail" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	h := newHTTP(t, HTTPConfig{URL: origin.URL, AllowPrivateNetworks: true,
		Headers: map[string]string{"Authorization": "Bearer s3cret", "X-Api-Key": "k3y"}})
	if _, err := h.Attributes(context.Background(), "ok"); err != nil {
		t.Fatal(err)
	}
	if got := seen.Load(); got != "Bearer s3cret|k3y|pixmill" {
		t.Errorf("origin saw %q", got)
	}
	_, err := h.Attributes(context.Background(), "fail")
	if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "k3y") {
		t.Errorf("error %v", err)
	}
}

// TestHTTPS: an https origin is reached over HTTP/2 on one reused
// connection.
func TestHTTPS(t *testing.T) {
	var protos []string
	var mu sync.Mutex
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos = append(protos, r.Proto)
		mu.Unlock()
		_, _ = w.Write([]byte("secure bytes"))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	h := newHTTP(t, HTTPConfig{URL: srv.URL + "/", AllowPrivateNetworks: true, RootCAs: roots})
	for _, key := range []string{"a.jpg", "b.jpg", "c.jpg"} {
		if a, err := h.Attributes(context.Background(), key); err != nil || a.Size != 12 {
			t.Fatalf("%s: %+v, %v", key, a, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range protos {
		if p != "HTTP/2.0" {
			t.Errorf("protocols %v, want HTTP/2.0", protos)
			break
		}
	}
}
