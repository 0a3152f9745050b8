package server_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/testgw"
)

// storeServer is cacheServer with the durable store at storeURL.
func storeServer(t *testing.T, dir, storeURL, extra string) *testServer {
	t.Helper()
	return cacheServer(t, dir, "cache: { store: { url: \""+storeURL+"\", timeout: 1s } }\n"+extra)
}

// storeBackends are the stores the restart test runs over: a directory
// (fast) and a real S3 server (versitygw on loopback).
func storeBackends() []struct {
	name string
	url  func(t *testing.T) string
} {
	return []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"file", func(t *testing.T) string { return "file://" + t.TempDir() + "?no_tmp_dir=1" }},
		{"s3", func(t *testing.T) string { return testgw.Start(t).Bucket(t, "derivatives") }},
	}
}

var storeVariants = []struct{ path, accept string }{
	{"/w=120,f=webp/grace_hopper.jpg", ""},
	{"/w=160,f=jpeg/grace_hopper.jpg", ""},
	{"/w=140,f=auto/grace_hopper.jpg", "image/webp,*/*"},
	{"/w=100,f=png/rose.png", ""},
}

// sameHeaders are the headers a stored answer must repeat exactly.
var sameHeaders = []string{"ETag", "Content-Type", "Content-Length", "Cache-Control", "Last-Modified",
	"Content-Disposition", "Surrogate-Key", "Cache-Tag", "Vary"}

// TestStoreSurvivesRestart: a process renders and stores; the next one,
// with an empty L1 and the same store, answers every variant from the
// store with zero renders (same bytes, same headers, X-Cache STORE), then
// from its L1; a purge removes one source's stored variants and no other's.
func TestStoreSurvivesRestart(t *testing.T) {
	for _, b := range storeBackends() {
		t.Run(b.name, func(t *testing.T) {
			dir, storeURL := copySamples(t), b.url(t)
			first := storeServer(t, dir, storeURL, "")
			type answer struct {
				h    http.Header
				body []byte
			}
			var answers []answer
			for _, v := range storeVariants {
				resp, body := first.get(t, first.sign(t, v.path), "Accept", v.accept)
				if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MISS" {
					t.Fatalf("first process, %s: %d, X-Cache %q; want 200 MISS", v.path, resp.StatusCode, resp.Header.Get("X-Cache"))
				}
				answers = append(answers, answer{resp.Header, body})
			}
			first.Stop() // a deploy: queued writes finish, the memory goes

			second := storeServer(t, dir, storeURL, "")
			for round, want := range []string{"STORE", "HIT"} {
				for i, v := range storeVariants {
					resp, body := second.get(t, second.sign(t, v.path), "Accept", v.accept)
					if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != want {
						t.Fatalf("restarted, round %d, %s: %d, X-Cache %q; want 200 %s", round, v.path, resp.StatusCode, resp.Header.Get("X-Cache"), want)
					}
					if !bytes.Equal(body, answers[i].body) {
						t.Errorf("restarted, %s: %d bytes, want the %d rendered", v.path, len(body), len(answers[i].body))
					}
					for _, name := range sameHeaders {
						if got, was := resp.Header.Get(name), answers[i].h.Get(name); got != was {
							t.Errorf("restarted, %s: %s %q, rendered with %q", v.path, name, got, was)
						}
					}
				}
			}
			for series, want := range map[string]float64{
				"pixmill_renders_total":                                   0,
				`pixmill_cache_requests_total{result="hit",tier="store"}`: float64(len(storeVariants)),
				`pixmill_cache_requests_total{result="hit",tier="l1"}`:    float64(len(storeVariants)),
				`pixmill_store_failures_total{op="read"}`:                 0,
			} {
				if got := second.metricValue(t, series); got != want {
					t.Errorf("restarted: %s = %v, want %v", series, got, want)
				}
			}

			// Purge one source: its three stored variants go, rose's stays.
			req, _ := http.NewRequest(http.MethodPost, second.URL+"/admin/purge?key=grace_hopper.jpg", nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var purged struct {
				Purged       int `json:"purged"`
				PurgedStored int `json:"purged_stored"`
			}
			err = json.NewDecoder(resp.Body).Decode(&purged)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || purged.Purged != 3 || purged.PurgedStored != 3 {
				t.Fatalf("purge: %d %+v %v; want 200, 3 from the L1 and 3 from the store", resp.StatusCode, purged, err)
			}
			second.Stop()
			third := storeServer(t, dir, storeURL, "")
			for _, tc := range []struct{ path, want string }{
				{storeVariants[0].path, "MISS"},
				{storeVariants[3].path, "STORE"},
			} {
				if resp, _ := third.get(t, third.sign(t, tc.path)); resp.Header.Get("X-Cache") != tc.want {
					t.Errorf("after purge, %s: X-Cache %q, want %s", tc.path, resp.Header.Get("X-Cache"), tc.want)
				}
			}
		})
	}
}

// TestStoreChangedOriginal: a new version of the original has a new ETag,
// so the store never serves the old derivative.
func TestStoreChangedOriginal(t *testing.T) {
	dir, storeURL := copySamples(t), "file://"+t.TempDir()+"?no_tmp_dir=1"
	path := "/w=120,f=webp/grace_hopper.jpg"
	first := storeServer(t, dir, storeURL, "")
	resp1, _ := first.get(t, first.sign(t, path))
	first.Stop()
	rose, err := os.ReadFile(filepath.Join(dir, "rose.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "grace_hopper.jpg"), rose, 0o644); err != nil {
		t.Fatal(err)
	}
	second := storeServer(t, dir, storeURL, "")
	resp2, _ := second.get(t, second.sign(t, path))
	if resp2.StatusCode != 200 || resp2.Header.Get("X-Cache") != "MISS" || resp2.Header.Get("ETag") == resp1.Header.Get("ETag") {
		t.Fatalf("changed original: %d, X-Cache %q, ETag %s (was %s); want 200 MISS with a new ETag",
			resp2.StatusCode, resp2.Header.Get("X-Cache"), resp2.Header.Get("ETag"), resp1.Header.Get("ETag"))
	}
}

// TestStoreNeverKeepsDegraded: a smart crop that fell back (the sidecar
// is down) is served but never written, so a restarted process renders it
// again rather than serve the fallback as whole.
func TestStoreNeverKeepsDegraded(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	dir, storeURL := copySamples(t), "file://"+t.TempDir()+"?no_tmp_dir=1"
	extra := "vision: { url: \"http://" + dead + "\" }\n"
	path := "/w=100,h=100,fit=cover,g=face,f=webp/grace_hopper.jpg"
	for i := range 2 {
		s := storeServer(t, dir, storeURL, extra)
		resp, _ := s.get(t, s.sign(t, path))
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MISS" || !strings.HasSuffix(resp.Header.Get("ETag"), `.degraded"`) {
			t.Fatalf("process %d: %d, X-Cache %q, ETag %s; want 200 MISS, degraded", i, resp.StatusCode, resp.Header.Get("X-Cache"), resp.Header.Get("ETag"))
		}
		if got := s.metricValue(t, `pixmill_cache_requests_total{result="miss",tier="store"}`); got != 1 {
			t.Errorf("process %d: store misses %v, want 1", i, got)
		}
		s.Stop()
	}
}

// TestStoreFaults: the store stopped mid-run, hung, or refusing writes:
// every request is still answered 200 by rendering, the failures are
// counted, and after a few in a row the store is skipped (its breaker)
// rather than waited on by every miss.
func TestStoreFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) (url string, breakIt func())
		// failures that must be counted once broken ("a + b": their sum)
		series []string
	}{
		{"versitygw stopped mid-run", func(t *testing.T) (string, func()) {
			gw := testgw.Start(t)
			return gw.Bucket(t, "derivatives"), gw.Stop
		}, []string{`pixmill_store_failures_total{op="read"}`, `pixmill_store_failures_total{op="write"} + pixmill_store_failures_total{op="dropped"}`, `pixmill_cache_requests_total{result="error",tier="store"}`,
			`pixmill_cache_requests_total{result="skipped",tier="store"}`}}, // the breaker opened: no more waiting on it
		{"bucket gone (writes refused)", func(t *testing.T) (string, func()) {
			gw := testgw.Start(t)
			u := gw.Bucket(t, "derivatives")
			return u, func() {
				if err := os.RemoveAll(filepath.Join(gw.Root, "derivatives")); err != nil {
					t.Fatal(err)
				}
			}
		}, []string{`pixmill_store_failures_total{op="write"} + pixmill_store_failures_total{op="dropped"}`}},
		{"endpoint hung", func(t *testing.T) (string, func()) {
			testgw.Env(t)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			go func() { // accept and never answer
				var held []net.Conn
				defer func() {
					for _, c := range held {
						c.Close()
					}
				}()
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					held = append(held, c)
				}
			}()
			return testgw.URL("derivatives", "http://"+l.Addr().String()), func() {}
		}, []string{`pixmill_store_failures_total{op="read"}`, `pixmill_store_failures_total{op="write"} + pixmill_store_failures_total{op="dropped"}`,
			`pixmill_cache_requests_total{result="skipped",tier="store"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storeURL, breakIt := tc.setup(t)
			s := storeServer(t, copySamples(t), storeURL, "")
			get := func(path string) {
				t.Helper()
				start := time.Now()
				resp, body := s.get(t, s.sign(t, path))
				if resp.StatusCode != 200 || len(body) == 0 {
					t.Errorf("%s: %d (%d bytes) after %v; want 200", path, resp.StatusCode, len(body), time.Since(start))
				}
			}
			get("/w=110,f=webp/grace_hopper.jpg")
			breakIt()
			for w := 120; w < 130; w++ {
				get("/w=" + strconv.Itoa(w) + ",f=webp/grace_hopper.jpg")
			}
			get("/w=110,f=webp/grace_hopper.jpg")        // from the L1 whatever the store does
			deadline := time.Now().Add(15 * time.Second) // writes are behind the responses
			// "a + b": a write not made is failed, or dropped once the breaker opened
			sum := func(series string) float64 {
				n := 0.0
				for _, one := range strings.Split(series, " + ") {
					n += s.metricValue(t, one)
				}
				return n
			}
			for _, series := range tc.series {
				for sum(series) < 1 && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
				if got := sum(series); got < 1 {
					t.Errorf("%s = %v, want at least 1", series, got)
				}
			}
			if got := s.metricValue(t, `pixmill_requests_total{format="webp",status="200"}`); got != 12 {
				t.Errorf("200s counted %v, want 12", got)
			}
		})
	}
}
