package server_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/app"
	"github.com/pixmill/pixmill/internal/testorigin"
	"github.com/pixmill/pixmill/presets"
)

const sourcesAdminToken = "admin-token-0123456789"

// purgeKey purges key and returns the answer's tag and count.
func (s *testServer) purgeKey(t *testing.T, key string) (tag string, source string, purged int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/purge?key="+presets.EscapeKey(key), nil)
	req.Header.Set("Authorization", "Bearer "+sourcesAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Tag, Source string
		Purged      int
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("purge %s: %d", key, resp.StatusCode)
	}
	return out.Tag, out.Source, out.Purged
}

// TestNamedSources: two blob sources and one HTTP source in one config,
// the same photo behind each: each key reaches its own source, and each
// serves, caches and purges on its own, with its own ETag and purge tag.
func TestNamedSources(t *testing.T) {
	corpus := corpusDir(t)
	origin := testorigin.Start(t, testorigin.Files(corpus))
	s := startServer(t, `
source: { url: "file://`+corpus+`" }
sources:
  media: { url: "file://`+corpus+`/photos" }
  web:   { url: "`+origin.URL+`/photos/", allow_private_networks: true, timeout: 5s }
signing: { keys: ["`+testKey+`"] }
admin: { token: "`+sourcesAdminToken+`" }
log: { level: warn }
`)
	const photo = "forest_path.jpg"
	paths := map[string]string{
		"default": s.sign(t, "/w=64,f=jpeg/photos/"+photo),
		"media":   s.sign(t, "/w=64,f=jpeg/media/"+photo),
		"web":     s.sign(t, "/w=64,f=jpeg/web/"+photo),
	}
	etags, tags := map[string]string{}, map[string]string{}
	for name, p := range paths {
		resp, body := s.get(t, p)
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MISS" || len(body) == 0 {
			t.Fatalf("%s: %d %s %s", name, resp.StatusCode, resp.Header.Get("X-Cache"), body)
		}
		etags[resp.Header.Get("ETag")] = name
		tags[strings.Fields(resp.Header.Get("Surrogate-Key"))[0]] = name
	}
	if len(etags) != 3 || len(tags) != 3 {
		t.Errorf("ETags %v and purge tags %v: want three of each, one per source", etags, tags)
	}
	if n := origin.Count(http.StatusOK); n != 1 {
		t.Errorf("the HTTP origin served %d bodies for one miss, want 1", n)
	}
	for name, p := range paths {
		if resp, _ := s.get(t, p); resp.Header.Get("X-Cache") != "HIT" {
			t.Errorf("%s again: X-Cache %q", name, resp.Header.Get("X-Cache"))
		}
	}

	// Purging web's photo purges web's variants only, with web's tag.
	tag, src, n := s.purgeKey(t, "web/"+photo)
	if src != "web" || n != 1 || tags[tag] != "web" {
		t.Errorf("purge web: source %q, %d purged, tag %q (tags %v)", src, n, tag, tags)
	}
	for name, p := range paths {
		want := "HIT"
		if name == "web" {
			want = "MISS"
		}
		if resp, _ := s.get(t, p); resp.Header.Get("X-Cache") != want {
			t.Errorf("after purging web: %s X-Cache %q, want %s", name, resp.Header.Get("X-Cache"), want)
		}
	}
	if tag, src, _ := s.purgeKey(t, "media/"+photo); src != "media" || tags[tag] != "media" {
		t.Errorf("purge media: source %q tag %q", src, tag)
	}
	if tag, src, _ := s.purgeKey(t, "photos/"+photo); src != "default" || tags[tag] != "default" {
		t.Errorf("purge default: source %q tag %q", src, tag)
	}
	// A name that is no source is a folder of the default source.
	if resp, _ := s.get(t, s.sign(t, "/w=64,f=jpeg/nosuch/"+photo)); resp.StatusCode != 404 {
		t.Errorf("unknown prefix: %d, want 404 from the default source", resp.StatusCode)
	}
}

// TestSingleSourceConfigUnchanged: a config with only source.url serves as
// before, with the ETag and purge tag a single-source server gave (the
// values below are pinned from before named sources existed).
func TestSingleSourceConfigUnchanged(t *testing.T) {
	s := startServer(t, `
source: { url: "file://`+samplesDir(t)+`" }
signing: { keys: ["`+testKey+`"] }
admin: { token: "`+sourcesAdminToken+`" }
log: { level: warn }
`)
	resp, _ := s.get(t, s.sign(t, "/w=64,f=jpeg/grace_hopper.jpg"))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := strings.Fields(resp.Header.Get("Surrogate-Key"))[0]; got != "src-aKn1zTItAEvwQaXw" {
		t.Errorf("purge tag %q changed", got)
	}
	if tag, src, n := s.purgeKey(t, "grace_hopper.jpg"); src != "default" || n != 1 || tag != "src-aKn1zTItAEvwQaXw" {
		t.Errorf("purge: %q %q %d", tag, src, n)
	}
}

// TestHTTPSourceRevalidates: after cache.source_ttl, an unchanged original
// costs a 304 at the origin and the L1 still serves the variant.
func TestHTTPSourceRevalidates(t *testing.T) {
	origin := testorigin.Start(t, testorigin.Files(samplesDir(t)))
	s := startServer(t, `
sources:
  web: { url: "`+origin.URL+`/", allow_private_networks: true }
signing: { keys: ["`+testKey+`"] }
cache: { source_ttl: 150ms }
log: { level: warn }
`)
	p := s.sign(t, "/w=64,f=jpeg/web/grace_hopper.jpg")
	if resp, _ := s.get(t, p); resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("first: %d %s", resp.StatusCode, resp.Header.Get("X-Cache"))
	}
	time.Sleep(300 * time.Millisecond)
	resp, _ := s.get(t, p)
	if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "HIT" {
		t.Errorf("after the TTL: %d %s, want a HIT", resp.StatusCode, resp.Header.Get("X-Cache"))
	}
	reqs := origin.Requests()
	if len(reqs) != 2 || reqs[0].Status != 200 || reqs[1].Status != 304 || reqs[1].IfNoneMatch == "" {
		t.Errorf("origin saw %+v, want a 200 then a conditional request answered 304", reqs)
	}
}

// TestHTTPSourceFailures: what an origin does wrong, as the client sees it.
func TestHTTPSourceFailures(t *testing.T) {
	photo := filepath.Join(samplesDir(t), "grace_hopper.jpg")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var broken atomic.Int64
	allowed := testorigin.Start(t, testorigin.Files(samplesDir(t)))
	origin := testorigin.Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/broken.jpg":
			broken.Add(1)
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/forbidden.jpg":
			http.Error(w, "no", http.StatusForbidden)
		case "/gone.jpg":
			http.Error(w, "gone", http.StatusGone)
		case "/lying.jpg":
			w.Header().Set("Content-Length", "900000")
			w.WriteHeader(200)
		case "/endless.jpg":
			for {
				if _, err := w.Write(make([]byte, 8192)); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		case "/slow-headers.jpg", "/slow-body.jpg":
			if r.URL.Path == "/slow-body.jpg" {
				w.Header().Set("Content-Length", "50000")
				_, _ = w.Write(make([]byte, 100))
				w.(http.Flusher).Flush()
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/moved.jpg":
			http.Redirect(w, r, "http://images.allowed.test:"+allowed.Port+"/grace_hopper.jpg", http.StatusMovedPermanently)
		case "/elsewhere.jpg":
			http.Redirect(w, r, "http://images.other.test:"+allowed.Port+"/grace_hopper.jpg", http.StatusFound)
		default:
			http.ServeFile(w, r, photo)
		}
	}))
	resolver := testorigin.Resolver{"images.allowed.test": testorigin.Addrs("127.0.0.1"), "images.other.test": testorigin.Addrs("127.0.0.1")}
	s := startServerWith(t, `
sources:
  web: { url: "`+origin.URL+`/", allow_private_networks: true, timeout: 400ms, max_bytes: 500000, allow_hosts: [images.allowed.test] }
signing: { keys: ["`+testKey+`"] }
headers: { error_ttl: 10s }
log: { level: warn }
`, app.Options{Resolver: resolver})
	tests := []struct {
		key          string
		status       int
		cacheControl string
	}{
		{"ok.jpg", 200, ""},
		{"broken.jpg", 502, "no-store"},
		{"forbidden.jpg", 404, "public, max-age=10"},
		{"gone.jpg", 404, "public, max-age=10"},
		{"lying.jpg", 413, "public, max-age=10"},
		{"endless.jpg", 413, "public, max-age=10"},
		{"slow-headers.jpg", 504, "no-store"},
		{"slow-body.jpg", 504, "no-store"},
		{"moved.jpg", 200, ""},
		{"elsewhere.jpg", 403, "public, max-age=10"},
	}
	for _, tt := range tests {
		start := time.Now()
		resp, body := s.get(t, s.sign(t, "/w=64,f=jpeg/web/"+tt.key))
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.key, resp.StatusCode, body, tt.status)
		}
		if tt.cacheControl != "" && resp.Header.Get("Cache-Control") != tt.cacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", tt.key, resp.Header.Get("Cache-Control"), tt.cacheControl)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", tt.key, d)
		}
	}
	// A 502 is not remembered: the next request asks the origin again.
	s.get(t, s.sign(t, "/w=64,f=jpeg/web/broken.jpg"))
	if n := broken.Load(); n != 2 {
		t.Errorf("the broken original was asked for %d times, want 2 (502 never cached)", n)
	}
	if n := allowed.Count(200); n != 1 {
		t.Errorf("the allowed redirect target served %d times, want 1", n)
	}
}

// TestHTTPSourceSSRF: with allow_private_networks off, a source whose host
// resolves to loopback (and an arbitrary URL naming it) is refused with 403
// and counted, and the origin never sees a connection.
func TestHTTPSourceSSRF(t *testing.T) {
	origin := testorigin.Start(t, testorigin.Files(samplesDir(t)))
	resolver := testorigin.Resolver{"origin.test": testorigin.Addrs("127.0.0.1"), "evil.example.test": testorigin.Addrs("10.0.0.1")}
	s := startServerWith(t, `
sources:
  web: { url: "http://origin.test:`+origin.Port+`/" }
  url: { mode: any, allow_hosts: ["origin.test", "*.example.test"] }
signing: { keys: ["`+testKey+`"] }
log: { level: warn }
`, app.Options{Resolver: resolver})
	enc := func(u string) string { return base64.RawURLEncoding.EncodeToString([]byte(u)) }
	for _, key := range []string{
		"web/grace_hopper.jpg",
		"url/" + enc("http://origin.test:"+origin.Port+"/grace_hopper.jpg"),
		"url/" + enc("http://evil.example.test/latest/meta-data"),
	} {
		resp, body := s.get(t, s.sign(t, "/w=64,f=jpeg/"+key))
		if resp.StatusCode != 403 || !strings.Contains(string(body), "address not allowed") {
			t.Errorf("%s: %d %s, want 403", key, resp.StatusCode, body)
		}
	}
	if n := origin.Conns(); n != 0 {
		t.Errorf("the loopback origin accepted %d connections", n)
	}
	if v := s.metricValue(t, `pixmill_rejected_total{reason="ssrf"}`); v != 3 {
		t.Errorf("rejected_total{reason=ssrf} = %v, want 3", v)
	}
}

// TestAnyURLSource: mode: any serves signed base64url URLs from allowed
// hosts only, and never unsigned ones, public preset or allow_unsigned.
func TestAnyURLSource(t *testing.T) {
	origin := testorigin.Start(t, testorigin.Files(samplesDir(t)))
	resolver := testorigin.Resolver{"img.example.test": testorigin.Addrs("127.0.0.1"), "other.test": testorigin.Addrs("127.0.0.1")}
	s := startServerWith(t, `
sources:
  url: { mode: any, allow_hosts: ["*.example.test"], allow_private_networks: true }
signing: { keys: ["`+testKey+`"], allow_unsigned: true }
presets:
  thumb: { transform: "w=64,f=jpeg", widths: [64], public: true }
log: { level: warn }
`, app.Options{Resolver: resolver})
	enc := func(u string) string { return base64.RawURLEncoding.EncodeToString([]byte(u)) }
	good := "url/" + enc("http://img.example.test:"+origin.Port+"/grace_hopper.jpg")
	resp, _ := s.get(t, s.sign(t, "/w=64,f=jpeg/"+good))
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="grace_hopper.jpg"`) {
		t.Errorf("signed: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	for _, p := range []string{"/_/thumb/" + good, "/_/w=64,f=jpeg/" + good} {
		if resp, _ := s.get(t, p); resp.StatusCode != 403 {
			t.Errorf("unsigned %s: %d, want 403", p, resp.StatusCode)
		}
	}
	for key, want := range map[string]int{
		"url/" + enc("http://other.test:"+origin.Port+"/grace_hopper.jpg"): 403,
		"url/" + enc("gopher://img.example.test/x"):                        400,
		"url/" + enc("http://img.example.test:"+origin.Port+"/none.jpg"):   404,
	} {
		if resp, body := s.get(t, s.sign(t, "/w=64,f=jpeg/"+key)); resp.StatusCode != want {
			t.Errorf("%s: %d %s, want %d", key, resp.StatusCode, body, want)
		}
	}
	if n := origin.Count(0); n != 2 {
		t.Errorf("origin saw %d requests, want 2 (the good URL and none.jpg)", n)
	}
}
