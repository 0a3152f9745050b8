package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// metricValue reads one sample from the server's /metrics.
func (s *testServer) metricValue(t testing.TB, series string) float64 {
	t.Helper()
	resp, err := http.Get(s.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// copySamples makes a writable bucket with the sample images.
func copySamples(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"grace_hopper.jpg", "group.jpg", "rose.png"} {
		b, err := os.ReadFile(filepath.Join(samplesDir(t), name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const adminToken = "admin-token-for-tests-0001"

func cacheServer(t *testing.T, dir, extra string) *testServer {
	return startServer(t, `
source: { url: "file://`+dir+`" }
signing: { keys: ["`+testKey+`"] }
admin: { token: "`+adminToken+`" }
presets:
  thumb: { transform: "w=200,h=200,fit=cover,f=auto", widths: [100, 200, 400], public: true }
`+extra)
}

func TestL1HitsAndMisses(t *testing.T) {
	s := cacheServer(t, copySamples(t), "")
	path := s.sign(t, "/w=150,f=webp/grace_hopper.jpg")
	first, body1 := s.get(t, path)
	second, body2 := s.get(t, path)
	if first.Header.Get("X-Cache") != "MISS" || second.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("X-Cache %q then %q, want MISS then HIT", first.Header.Get("X-Cache"), second.Header.Get("X-Cache"))
	}
	if !bytes.Equal(body1, body2) || first.Header.Get("ETag") != second.Header.Get("ETag") {
		t.Error("a hit served other bytes or another ETag")
	}
	if got := s.metricValue(t, "pixmill_renders_total"); got != 1 {
		t.Errorf("renders %v, want 1", got)
	}
	if got := s.metricValue(t, `pixmill_cache_requests_total{result="hit",tier="l1"}`); got != 1 {
		t.Errorf("l1 hits %v, want 1", got)
	}
	if got := s.metricValue(t, `pixmill_cache_bytes{tier="l1"}`); got < float64(len(body1)) {
		t.Errorf("cache bytes %v < body %d", got, len(body1))
	}
	// Equivalent Accept headers share one variant: the second is a hit.
	auto := s.sign(t, "/w=150,f=auto/grace_hopper.jpg")
	a1, _ := s.get(t, auto, "Accept", "image/avif,image/webp,*/*")
	a2, _ := s.get(t, auto, "Accept", "image/webp;q=0.8, image/avif;q=0.9, text/html")
	if a1.Header.Get("X-Cache") != "MISS" || a2.Header.Get("X-Cache") != "HIT" || a2.Header.Get("Vary") != "Accept" {
		t.Errorf("equivalent Accept: %q then %q (Vary %q)", a1.Header.Get("X-Cache"), a2.Header.Get("X-Cache"), a2.Header.Get("Vary"))
	}
}

func TestCacheOff(t *testing.T) {
	s := cacheServer(t, copySamples(t), "cache: { max_bytes: 0 }\n")
	path := s.sign(t, "/w=150,f=webp/grace_hopper.jpg")
	for i := range 2 {
		if resp, _ := s.get(t, path); resp.Header.Get("X-Cache") != "MISS" {
			t.Errorf("request %d: X-Cache %q with the cache off", i, resp.Header.Get("X-Cache"))
		}
	}
}

// TestCoalescing: 32 concurrent identical requests on a cold cache render
// once; a client that gives up does not fail the others.
func TestCoalescing(t *testing.T) {
	dir := corpusDir(t)
	s := startServer(t, `
source: { url: "file://`+dir+`" }
signing: { keys: ["`+testKey+`"] }
`)
	// Slow enough (~0.5 s) that every request arrives while it renders.
	path := s.sign(t, "/w=1600,f=avif/photos/kleiber_bird_20mp.jpg")
	const n = 32
	var wg sync.WaitGroup
	results := make(chan string, n)
	bodies := make(chan int, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := s.get(t, path)
			if resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
			results <- resp.Header.Get("X-Cache")
			bodies <- len(body)
		}()
	}
	// One more client that gives up mid-render.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Log("the impatient client finished before its deadline; the render was fast")
	}
	wg.Wait()
	close(results)
	close(bodies)
	count := map[string]int{}
	for r := range results {
		count[r]++
	}
	size := -1
	for b := range bodies {
		if size >= 0 && b != size {
			t.Errorf("clients got different sizes: %d and %d", size, b)
		}
		size = b
	}
	if got := s.metricValue(t, "pixmill_renders_total"); got != 1 {
		t.Errorf("renders %v for %d identical requests, want 1 (X-Cache: %v)", got, n+1, count)
	}
	if count["MISS"] > 1 || count["MISS"]+count["COALESCED"]+count["HIT"] != n {
		t.Errorf("X-Cache counts %v", count)
	}
	if count["COALESCED"] == 0 {
		t.Errorf("no request was coalesced: %v", count)
	}
}

func TestSourceFreshness(t *testing.T) {
	dir := copySamples(t)
	s := cacheServer(t, dir, "cache: { source_ttl: 300ms }\n")
	path := s.sign(t, "/w=100,f=png/grace_hopper.jpg")
	first, body1 := s.get(t, path)
	// Replace the original with another picture.
	other, _ := os.ReadFile(filepath.Join(dir, "group.jpg"))
	if err := os.WriteFile(filepath.Join(dir, "grace_hopper.jpg"), other, 0o644); err != nil {
		t.Fatal(err)
	}
	within, body2 := s.get(t, path)
	if within.Header.Get("X-Cache") != "HIT" || !bytes.Equal(body1, body2) {
		t.Errorf("within the TTL: X-Cache %q, same bytes %v; want a HIT with no storage call", within.Header.Get("X-Cache"), bytes.Equal(body1, body2))
	}
	time.Sleep(400 * time.Millisecond)
	after, body3 := s.get(t, path)
	if after.Header.Get("ETag") == first.Header.Get("ETag") || bytes.Equal(body1, body3) {
		t.Error("after the TTL a changed original kept its old ETag or bytes")
	}
	if after.Header.Get("X-Cache") != "MISS" {
		t.Errorf("after the TTL: X-Cache %q, want MISS", after.Header.Get("X-Cache"))
	}
}

func TestPurge(t *testing.T) {
	s := cacheServer(t, copySamples(t), "")
	paths := []string{s.sign(t, "/w=100,f=webp/grace_hopper.jpg"), s.sign(t, "/w=120,f=jpeg/grace_hopper.jpg")}
	other := s.sign(t, "/w=100,f=webp/rose.png")
	for _, p := range append(paths, other) {
		s.get(t, p)
	}
	post := func(auth, query string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/purge"+query, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, _ := post("", "?key=grace_hopper.jpg"); resp.StatusCode != 403 {
		t.Errorf("no token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := post("Bearer wrong-token-wrong-token", "?key=grace_hopper.jpg"); resp.StatusCode != 403 {
		t.Errorf("wrong token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := s.get(t, "/admin/purge?key=grace_hopper.jpg", "Authorization", "Bearer "+adminToken); resp.StatusCode != 405 {
		t.Errorf("GET: %d, want 405", resp.StatusCode)
	}
	if resp, _ := post("Bearer "+adminToken, "?key=../etc/passwd"); resp.StatusCode != 400 {
		t.Errorf("bad key: %d, want 400", resp.StatusCode)
	}
	resp, body := post("Bearer "+adminToken, "?key=grace_hopper.jpg")
	var out struct {
		Key    string `json:"key"`
		Purged int    `json:"purged"`
		Tag    string `json:"tag"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("purge: %d %s", resp.StatusCode, body)
	}
	img, _ := s.get(t, paths[0])
	if out.Purged != 2 || out.Key != "grace_hopper.jpg" || !strings.Contains(img.Header.Get("Surrogate-Key"), out.Tag) {
		t.Errorf("purge answer %+v; image Surrogate-Key %q", out, img.Header.Get("Surrogate-Key"))
	}
	if img.Header.Get("X-Cache") != "MISS" {
		t.Errorf("after purge: X-Cache %q, want MISS", img.Header.Get("X-Cache"))
	}
	if resp, _ := s.get(t, other); resp.Header.Get("X-Cache") != "HIT" {
		t.Errorf("another source was purged too: X-Cache %q", resp.Header.Get("X-Cache"))
	}
	// With no token configured the endpoint does not exist.
	s2 := startServer(t, `source: { url: "file://`+samplesDir(t)+`" }`)
	req, _ := http.NewRequest(http.MethodPost, s2.URL+"/admin/purge?key=a.jpg", nil)
	req.Header.Set("Authorization", "Bearer anything-at-all-really")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 404 {
		t.Errorf("purge without admin.token: %v %v, want 404", resp.StatusCode, err)
	}
}

func TestEdgeHeaders(t *testing.T) {
	s := cacheServer(t, copySamples(t), `
headers:
  max_age: 1h
  s_maxage: 720h
  stale_while_revalidate: 60s
  stale_if_error: 24h
  immutable: true
  error_ttl: 5s
  cdn_cache_control: true
  surrogate_control: true
`)
	auto := s.sign(t, "/w=100,f=auto/grace_hopper.jpg")
	resp, _ := s.get(t, auto, "Accept", "image/webp")
	want := map[string]string{
		"Cache-Control":     "public, max-age=3600, s-maxage=2592000, stale-while-revalidate=60, stale-if-error=86400, immutable",
		"CDN-Cache-Control": "public, max-age=2592000, stale-while-revalidate=60, stale-if-error=86400, immutable",
		"Surrogate-Control": "max-age=2592000, stale-while-revalidate=60, stale-if-error=86400",
		"Vary":              "Accept",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	sk, ct := resp.Header.Get("Surrogate-Key"), resp.Header.Get("Cache-Tag")
	if f := strings.Fields(sk); len(f) != 2 || f[1] != "pixmill" || !strings.HasPrefix(f[0], "src-") {
		t.Errorf("Surrogate-Key %q, want space-separated source and global tags", sk)
	}
	if f := strings.Split(ct, ","); len(f) != 2 || f[1] != "pixmill" || f[0] != strings.Fields(sk)[0] {
		t.Errorf("Cache-Tag %q, want the same tags comma-separated", ct)
	}
	// 304 repeats ETag, Cache-Control and Vary.
	nm, _ := s.get(t, auto, "Accept", "image/webp", "If-None-Match", resp.Header.Get("ETag"))
	for _, k := range []string{"ETag", "Cache-Control", "Vary", "CDN-Cache-Control"} {
		if nm.StatusCode != 304 || nm.Header.Get(k) != resp.Header.Get(k) {
			t.Errorf("304 (status %d) %s = %q, want %q", nm.StatusCode, k, nm.Header.Get(k), resp.Header.Get(k))
		}
	}
	// Errors are cached briefly, 5xx-class never.
	e404, _ := s.get(t, s.sign(t, "/w=100/missing.jpg"))
	if e404.StatusCode != 404 || e404.Header.Get("Cache-Control") != "public, max-age=5" || e404.Header.Get("ETag") != "" {
		t.Errorf("404: Cache-Control %q ETag %q", e404.Header.Get("Cache-Control"), e404.Header.Get("ETag"))
	}
}

func TestClientHints(t *testing.T) {
	s := cacheServer(t, copySamples(t), "client_hints: { enabled: true, widths: [100, 300, 600] }\n")
	tests := []struct {
		name    string
		path    string
		headers []string
		wantW   int
		vary    string
	}{
		{"dpr hint doubles an explicit width", s.sign(t, "/w=100,f=png/grace_hopper.jpg"), []string{"Sec-CH-DPR", "2"}, 200, "Sec-CH-DPR"},
		{"explicit dpr ignores the hint", s.sign(t, "/w=100,dpr=1,f=png/grace_hopper.jpg"), []string{"Sec-CH-DPR", "2"}, 100, ""},
		{"width hint snaps up to the global ladder", s.sign(t, "/f=png/grace_hopper.jpg"), []string{"Sec-CH-Width", "250"}, 300, "Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width"},
		{"public preset: width hint snaps to its ladder", "/_/thumb/grace_hopper.jpg", []string{"Sec-CH-Width", "150"}, 200, "Accept, Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width"},
		{"both hints", s.sign(t, "/f=png/group.jpg"), []string{"Sec-CH-DPR", "2", "Sec-CH-Width", "500"}, 600, "Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width"},
		{"no hints sent: Vary names those that could change it", s.sign(t, "/w=100,f=png/grace_hopper.jpg"), nil, 100, "Sec-CH-DPR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.get(t, tt.path, tt.headers...)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d %s", resp.StatusCode, body)
			}
			if w, _ := imageSize(t, body); w != tt.wantW {
				t.Errorf("width %d, want %d", w, tt.wantW)
			}
			if got := resp.Header.Get("Vary"); got != tt.vary {
				t.Errorf("Vary %q, want %q", got, tt.vary)
			}
			if resp.Header.Get("Accept-CH") != "Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width" {
				t.Errorf("Accept-CH %q", resp.Header.Get("Accept-CH"))
			}
		})
	}
}

// TestCoalescedFailure: concurrent requests for an undecodable original all
// get its 422, and no image is cached; the next request gets the remembered
// 422 without rendering again (issue 9: retries cost nothing).
func TestCoalescedFailure(t *testing.T) {
	dir := copySamples(t)
	junk := make([]byte, 200_000)
	copy(junk, []byte{0xff, 0xd8, 0xff, 0xe0}) // a JPEG start, then nothing decodable
	if err := os.WriteFile(filepath.Join(dir, "broken.jpg"), junk, 0o644); err != nil {
		t.Fatal(err)
	}
	s := cacheServer(t, dir, "")
	path := s.sign(t, "/w=100,f=webp/broken.jpg")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, body := s.get(t, path); resp.StatusCode != 422 {
				t.Errorf("status %d %q, want 422", resp.StatusCode, body)
			}
		}()
	}
	wg.Wait()
	renders := s.metricValue(t, "pixmill_renders_total")
	if resp, _ := s.get(t, path); resp.StatusCode != 422 || resp.Header.Get("X-Cache") != "" {
		t.Errorf("after the failures: %d, X-Cache %q", resp.StatusCode, resp.Header.Get("X-Cache"))
	}
	if got := s.metricValue(t, "pixmill_renders_total"); got != renders {
		t.Errorf("the retry of a 422 rendered again (renders %v -> %v)", renders, got)
	}
}

// TestPurgePlusInKey: a "+" in the purge query is a plus, as it is in the
// image path (issue 9, class 10: ?key=a+b.jpg purged "a b.jpg" and answered
// with its tag). %2B means the same; a space is %20.
func TestPurgePlusInKey(t *testing.T) {
	dir := copySamples(t)
	img, err := os.ReadFile(filepath.Join(dir, "grace_hopper.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a+b.jpg", "a b.jpg"} {
		if err := os.WriteFile(filepath.Join(dir, name), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query, key, path, other string
	}{
		{"?key=a+b.jpg", "a+b.jpg", "/w=100,f=webp/a+b.jpg", "/w=100,f=webp/a%20b.jpg"},
		{"?key=a%2Bb.jpg", "a+b.jpg", "/w=100,f=webp/a+b.jpg", "/w=100,f=webp/a%20b.jpg"},
		{"?x=1&key=a%20b.jpg", "a b.jpg", "/w=100,f=webp/a%20b.jpg", "/w=100,f=webp/a+b.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			s := cacheServer(t, dir, "")
			path, other := s.sign(t, tt.path), s.sign(t, tt.other)
			first, _ := s.get(t, path)
			s.get(t, other)
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/purge"+tt.query, nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var out struct {
				Key    string `json:"key"`
				Purged int    `json:"purged"`
				Tag    string `json:"tag"`
			}
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if resp.StatusCode != 200 || err != nil {
				t.Fatalf("purge: %d, %v", resp.StatusCode, err)
			}
			if out.Key != tt.key || out.Purged != 1 || !strings.HasPrefix(first.Header.Get("Surrogate-Key"), out.Tag+" ") {
				t.Errorf("purge answered %+v; want key %q, 1 purged, the tag of Surrogate-Key %q", out, tt.key, first.Header.Get("Surrogate-Key"))
			}
			if again, _ := s.get(t, path); again.Header.Get("X-Cache") != "MISS" {
				t.Errorf("purged key: X-Cache %q, want MISS", again.Header.Get("X-Cache"))
			}
			if again, _ := s.get(t, other); again.Header.Get("X-Cache") != "HIT" {
				t.Errorf("the other key: X-Cache %q, want HIT", again.Header.Get("X-Cache"))
			}
		})
	}
}
