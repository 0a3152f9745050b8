package server_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/hostile"
)

// hostileAnimServer serves the crafted files of issue 9's classes 3 and 4
// and the samples, with the shipped public thumb preset.
func hostileAnimServer(t *testing.T, extra string) *testServer {
	t.Helper()
	dir := copySamples(t)
	for _, class := range []string{"anim-output", "anim-corrupt", "meta-keep-truncated"} {
		for _, f := range hostile.Class(class) {
			if err := os.WriteFile(filepath.Join(dir, f.Name), f.Make(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return startServer(t, `
source: { url: "file://`+dir+`" }
signing: { keys: ["`+testKey+`"] }
presets:
  thumb: { transform: "w=200,h=200,fit=cover,g=auto,f=auto", widths: [100, 200, 400], public: true }
`+extra)
}

// TestAnimatedOutputsBounded: the requests that held a slot for 81 s and
// 300 s answer with a bounded image: an animation is never enlarged, and a
// wide blur counts its frames. The 5 s request_timeout is the time bound (a
// render past it is a 503, not a 200); a wall-clock check here only flaked on
// a loaded machine, so the time is logged, not asserted.
func TestAnimatedOutputsBounded(t *testing.T) {
	s := hostileAnimServer(t, "limits: { concurrency: 2, request_timeout: 5s }\n")
	const gif = "anim-500x316.gif"
	tests := []struct {
		name         string
		path         string
		wantW, wantH int
	}{
		{"thumb at dpr 4 (1600x1600 x 500 frames asked)", "/_/thumb,w=400,dpr=4/" + gif, hostile.AnimSide, hostile.AnimSide},
		{"squeeze 1000x31 with blur 250", s.sign(t, "/w=1000,h=31,fit=squeeze,blur=250/"+gif), hostile.AnimSide, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			resp, body := s.get(t, tt.path, "Accept", "image/webp,*/*")
			took := time.Since(start)
			t.Logf("%d, %d bytes in %v", resp.StatusCode, len(body), took)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d %q, want a bounded 200", resp.StatusCode, body)
			}
			if w, h := imageSize(t, body); w != tt.wantW || h != tt.wantH {
				t.Errorf("frames are %dx%d, want %dx%d (never larger than the source's)", w, h, tt.wantW, tt.wantH)
			}
		})
	}
}

// TestRenderFreesSlotAtDeadline: a render still running at the request
// deadline is stopped, and its slot serves the next request within 1 s.
// With one slot and a 1 s queue wait, the second request gets 200 only if
// the slot came free in time (without the kill it was held ~10 s: 503).
func TestRenderFreesSlotAtDeadline(t *testing.T) {
	s := hostileAnimServer(t, "limits: { concurrency: 1, queue: 4, queue_timeout: 1s, request_timeout: 2s }\n")
	// An 8000x8000 enlargement with blur and sharpening: ~10 s on one core,
	// none of it bounded by the animation caps.
	slow := s.sign(t, "/w=8000,h=8000,fit=squeeze,blur=4,sharpen=10,f=jpeg/grace_hopper.jpg")
	start := time.Now()
	resp, body := s.get(t, slow)
	deadline := time.Since(start)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("slow render: %d %q, want 503 at the deadline", resp.StatusCode, body)
	}
	next := time.Now()
	resp, body = s.get(t, "/_/thumb/grace_hopper.jpg")
	took := time.Since(next)
	queue := serverTiming(resp.Header.Get("Server-Timing"), "queue")
	t.Logf("slow render answered 503 after %v; the next request waited %v for the slot, answered %d in %v", deadline, queue, resp.StatusCode, took)
	if resp.StatusCode != 200 {
		t.Fatalf("next request: %d %q: the slot was not free within 1s of the deadline", resp.StatusCode, body)
	}
	if queue > time.Second {
		t.Errorf("the slot came free %v after the deadline, want < 1s", queue)
	}
	if v := s.metricValue(t, "pixmill_inflight_transforms"); v != 0 {
		t.Errorf("pixmill_inflight_transforms = %v after both answers", v)
	}
}

// serverTiming reads one metric's duration from a Server-Timing header.
func serverTiming(h, name string) time.Duration {
	m := regexp.MustCompile(`(?:^|,\s*)` + name + `;dur=([0-9.]+)`).FindStringSubmatch(h)
	if m == nil {
		return -1
	}
	ms, _ := strconv.ParseFloat(m[1], 64)
	return time.Duration(ms * float64(time.Millisecond))
}

// TestUndecodableRemembered: a 422 is remembered per variant for the error
// TTL, so a retry costs no render.
func TestUndecodableRemembered(t *testing.T) {
	s := hostileAnimServer(t, "")
	path := "/_/thumb/anim-corrupt-45.gif"
	first, body1 := s.get(t, path, "Accept", "image/webp")
	renders := s.metricValue(t, "pixmill_renders_total")
	second, body2 := s.get(t, path, "Accept", "image/webp")
	if first.StatusCode != 422 || second.StatusCode != 422 || string(body1) != string(body2) {
		t.Fatalf("got %d %q then %d %q, want the same 422 twice", first.StatusCode, body1, second.StatusCode, body2)
	}
	if after := s.metricValue(t, "pixmill_renders_total"); after != renders {
		t.Errorf("the retry rendered again (renders %v -> %v)", renders, after)
	}
	if cc := second.Header.Get("Cache-Control"); cc != first.Header.Get("Cache-Control") {
		t.Errorf("Cache-Control %q then %q", first.Header.Get("Cache-Control"), cc)
	}
	// Another variant of the same source is its own question: the first
	// frame alone decodes.
	if resp, body := s.get(t, s.sign(t, "/w=40,anim=false,f=png/anim-corrupt-45.gif")); resp.StatusCode != 200 {
		t.Errorf("first frame: %d %q, want 200", resp.StatusCode, body)
	}
}

// TestFailingEncodesDoNotLeak: 200 animated WebP renders of a GIF that
// fails to decode inside the pipeline, and 200 metadata-keeping WebP renders
// of a truncated JPEG, leave RSS within 20 MB of where it was after a
// warm-up. Each URL differs, so that each request really renders (422s are
// remembered per variant). Before the pixels were materialized first, the
// WebP saver leaked 1.6–5.2 MB per failed animation and 290 KB per failed
// metadata-keeping still.
func TestFailingEncodesDoNotLeak(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status")
	}
	s := hostileAnimServer(t, "")
	kinds := []struct {
		name string
		path func(i int) string
	}{
		{"corrupt 45-frame GIF via thumb as WebP", func(i int) string { return s.sign(t, fmt.Sprintf("/thumb,w=%d/anim-corrupt-45.gif", 10+i)) }},
		{"truncated JPEG, metadata=keep,f=webp", func(i int) string {
			return s.sign(t, fmt.Sprintf("/w=%d,metadata=keep,f=webp/meta-keep-truncated.jpg", 10+i))
		}},
	}
	run := func(k int, from, to int) {
		for i := from; i < to; i++ {
			resp, body := s.get(t, kinds[k].path(i), "Accept", "image/webp")
			if resp.StatusCode != 422 {
				t.Fatalf("%s #%d: %d %q, want 422", kinds[k].name, i, resp.StatusCode, body)
			}
		}
	}
	for k := range kinds {
		run(k, 0, 20) // warm-up: pools, arenas, caches
	}
	for k, kind := range kinds {
		before := rssKB(t)
		run(k, 1000, 1200)
		growth := rssKB(t) - before
		t.Logf("%s: RSS %d MiB, %+.1f MiB over 200 failing renders", kind.name, before>>10, float64(growth)/1024)
		if growth > 20<<10 {
			t.Errorf("%s: RSS grew %.1f MiB over 200 failing renders, want < 20 MiB", kind.name, float64(growth)/1024)
		}
	}
}

// rssKB is the process's resident set after returning what Go can.
func rssKB(t testing.TB) int {
	runtime.GC()
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
