package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmill/pixmill/cache"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/server"
	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// scriptedRenderer stands in for libvips in the fast handler tests: it
// answers each render as its script says, so that the handler's own logic
// (validators, caching decisions, error mapping, coalescing) is checked in
// milliseconds. What rendering does to pixels is the end-to-end tests' job.
type scriptedRenderer struct {
	calls  atomic.Int64
	render func(ctx context.Context, opts spec.Options) (transform.Result, error)
}

func (r *scriptedRenderer) Render(ctx context.Context, _ transform.Original, opts spec.Options, _ string) (transform.Result, error) {
	r.calls.Add(1)
	return r.render(ctx, opts)
}

func jpegResult(body string) func(context.Context, spec.Options) (transform.Result, error) {
	return func(context.Context, spec.Options) (transform.Result, error) {
		return transform.Result{Body: []byte(body), Format: spec.FormatJPEG, Width: 1, Height: 1}, nil
	}
}

// handlerServer serves a real source (a folder with one file, photo.jpg),
// the real parser, cache, admission and headers, and the scripted renderer.
func handlerServer(t *testing.T, r server.Renderer) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "photo.jpg"), []byte("original bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := source.Open(context.Background(), source.Config{URL: "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	parser, err := presets.New(presets.Config{AllowUnsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.Headers = server.HeaderConfig{MaxAge: time.Hour, SMaxAge: 24 * time.Hour, DegradedTTL: time.Minute}
	cfg.Concurrency, cfg.Queue, cfg.RequestTimeout = 2, 8, 5*time.Second
	cfg.Cache = cache.Config{MaxBytes: 1 << 20}
	srv := server.New(cfg, parser, src, r, server.NewMetrics(), slog.New(slog.DiscardHandler))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

func fetch(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHandlerServesRendersOnceAndRevalidates(t *testing.T) {
	r := &scriptedRenderer{render: jpegResult("jpeg bytes")}
	base := handlerServer(t, r)
	url := base + "/_/w=100,f=jpeg/photo.jpg"

	resp, body := fetch(t, url)
	if resp.StatusCode != 200 || body != "jpeg bytes" || resp.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("first: %d %q X-Cache %q", resp.StatusCode, body, resp.Header.Get("X-Cache"))
	}
	for name, want := range map[string]string{
		"Content-Type":   "image/jpeg",
		"Content-Length": "10",
		"Cache-Control":  "public, max-age=3600, s-maxage=86400",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	etag := resp.Header.Get("ETag")
	resp, _ = fetch(t, url)
	if resp.Header.Get("X-Cache") != "HIT" || resp.Header.Get("ETag") != etag {
		t.Errorf("second: X-Cache %q ETag %s; want a HIT with %s", resp.Header.Get("X-Cache"), resp.Header.Get("ETag"), etag)
	}
	resp, body = fetch(t, url, "If-None-Match", etag)
	if resp.StatusCode != 304 || body != "" {
		t.Errorf("revalidation: %d %q, want 304 and no body", resp.StatusCode, body)
	}
	if n := r.calls.Load(); n != 1 {
		t.Errorf("%d renders, want 1", n)
	}
}

func TestHandlerCoalescesIdenticalMisses(t *testing.T) {
	release := make(chan struct{})
	r := &scriptedRenderer{render: func(context.Context, spec.Options) (transform.Result, error) {
		<-release
		return transform.Result{Body: []byte("x"), Format: spec.FormatWebP}, nil
	}}
	base := handlerServer(t, r)
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, _ := fetch(t, base+"/_/w=200,f=webp/photo.jpg"); resp.StatusCode == 200 {
				ok.Add(1)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond) // let all eight arrive
	close(release)
	wg.Wait()
	if ok.Load() != 8 || r.calls.Load() != 1 {
		t.Errorf("%d answered 200 with %d renders; want 8 with 1", ok.Load(), r.calls.Load())
	}
}

func TestHandlerDegradedResultIsServedNotKept(t *testing.T) {
	var degraded atomic.Bool
	degraded.Store(true)
	r := &scriptedRenderer{render: func(context.Context, spec.Options) (transform.Result, error) {
		res := transform.Result{Body: []byte("crop"), Format: spec.FormatJPEG}
		if degraded.Load() {
			res.FocusedBy, res.Degraded = "attention", "sidecar unavailable"
		}
		return res, nil
	}}
	base := handlerServer(t, r)
	url := base + "/_/w=100,h=100,fit=cover,g=face,f=jpeg/photo.jpg"
	var degradedETag string
	for range 2 {
		resp, _ := fetch(t, url)
		degradedETag = resp.Header.Get("ETag")
		if resp.Header.Get("X-Cache") != "MISS" || resp.Header.Get("Cache-Control") != "public, max-age=60, s-maxage=60" ||
			!strings.HasSuffix(degradedETag, `.degraded"`) {
			t.Errorf("degraded: X-Cache %q, Cache-Control %q, ETag %s", resp.Header.Get("X-Cache"), resp.Header.Get("Cache-Control"), degradedETag)
		}
	}
	degraded.Store(false)
	resp, _ := fetch(t, url, "If-None-Match", degradedETag)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == degradedETag || resp.Header.Get("Cache-Control") != "public, max-age=3600, s-maxage=86400" {
		t.Errorf("whole: %d, ETag %s, Cache-Control %q", resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"))
	}
	if resp, _ := fetch(t, url); resp.Header.Get("X-Cache") != "HIT" {
		t.Errorf("the whole result is not kept: X-Cache %q", resp.Header.Get("X-Cache"))
	}
	if n := r.calls.Load(); n != 3 {
		t.Errorf("%d renders, want 3 (two degraded, one whole)", n)
	}
}

// Errors map to statuses in one table; a bad source is cached briefly, a
// bug (an error without a kind, or a panic) is a 500 that nobody caches.
func TestHandlerRenderErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		panic bool
		code  int
		cc    string
	}{
		{"undecodable source", fault.New(fault.Undecodable, "source could not be decoded"), false, 422, "public, max-age=10"},
		{"too large", fault.New(fault.TooLarge, "source has too many pixels"), false, 413, "public, max-age=10"},
		{"overloaded", fault.New(fault.Overloaded, "request did not finish in time"), false, 503, "no-store"},
		{"a Go bug", errors.New("index out of range"), false, 500, "no-store"},
		{"a panic", nil, true, 500, "no-store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &scriptedRenderer{render: func(context.Context, spec.Options) (transform.Result, error) {
				if tc.panic {
					panic("boom")
				}
				return transform.Result{}, tc.err
			}}
			base := handlerServer(t, r)
			resp, body := fetch(t, base+"/_/w=100,f=jpeg/photo.jpg")
			if resp.StatusCode != tc.code || resp.Header.Get("Cache-Control") != tc.cc {
				t.Errorf("%d %q, want %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"), tc.code, tc.cc)
			}
			if tc.code == 500 && strings.TrimSpace(body) != "internal error" {
				t.Errorf("500 body %q leaks the cause", body)
			}
			if resp.Header.Get("ETag") != "" {
				t.Error("an error carries an ETag")
			}
		})
	}
}
