package server_test

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/vision/sidecar"
	"github.com/pixmill/pixmill/vision/visiontest"
)

func describe(t *testing.T, s *testServer, path string) transform.Description {
	t.Helper()
	resp, body := s.get(t, s.sign(t, path))
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
	}
	var d transform.Description
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// contains reports whether the crop window (source px) holds the face box
// (fractions of the source) entirely.
func contains(c *transform.Rect, f transform.Box, w, h int) bool {
	x0, y0 := f.X*float64(w), f.Y*float64(h)
	x1, y1 := x0+f.Width*float64(w), y0+f.Height*float64(h)
	return float64(c.X) <= x0+1 && float64(c.Y) <= y0+1 && float64(c.X+c.Width) >= x1-1 && float64(c.Y+c.Height) >= y1-1
}

// TestSmartCropWithSidecar runs the real sidecar (ONNX Runtime on the CPU,
// BlazeFace, spectral-residual saliency) behind the real server: g=face
// crops are placed by the faces found and keep them, a srcset's widths reuse
// one analysis, and g=auto is placed by saliency.
func TestSmartCropWithSidecar(t *testing.T) {
	url := visiontest.Start(t, sidecar.Config{})
	s := startServer(t, `
source: { url: "file://`+corpusDir(t)+`" }
signing: { keys: ["`+testKey+`"] }
vision: { url: "`+url+`", timeout: 2s }
`)
	for _, tc := range []struct {
		file  string
		crops []string
	}{
		{"faces/grace_hopper.jpg", []string{"w=400,h=225", "w=300,h=300", "w=225,h=400"}},
		{"faces/group_portrait_1.jpg", []string{"w=400,h=400", "w=400,h=500"}},
		{"faces/footballer_action.jpg", []string{"w=200,h=200"}},
	} {
		for _, box := range tc.crops {
			d := describe(t, s, "/"+box+",fit=cover,g=face,f=json/"+presets.EscapeKey(tc.file))
			if d.FocusedBy != "faces" || len(d.Faces) == 0 || d.Crop == nil {
				t.Errorf("%s %s: focused by %q, %d faces, crop %v", tc.file, box, d.FocusedBy, len(d.Faces), d.Crop)
				continue
			}
			kept := 0
			for _, f := range d.Faces {
				if contains(d.Crop, f, d.Width, d.Height) {
					kept++
				}
			}
			if kept == 0 {
				t.Errorf("%s %s: crop %+v keeps none of the faces %+v", tc.file, box, *d.Crop, d.Faces)
			}
		}
	}
	if v := s.metricValue(t, `pixmill_vision_requests_total{result="cached"}`); v < 3 {
		t.Errorf("cached analyses %v: the widths of one source should reuse its analysis", v)
	}
	if v := s.metricValue(t, `pixmill_vision_requests_total{result="ok"}`); v != 3 {
		t.Errorf("sidecar analyses %v, want one per source (3)", v)
	}
	// zoom (g=face only) closes in on the face through the whole route, and
	// the output keeps its size.
	wide := describe(t, s, "/w=300,h=300,fit=cover,g=face,f=json/"+presets.EscapeKey("faces/grace_hopper.jpg"))
	tight := describe(t, s, "/w=300,h=300,fit=cover,g=face,zoom=1,f=json/"+presets.EscapeKey("faces/grace_hopper.jpg"))
	if wide.Crop == nil || tight.Crop == nil || tight.Crop.Width >= wide.Crop.Width || tight.FocusedBy != "faces" ||
		tight.Output.Width != 300 || tight.Output.Height != 300 || !contains(tight.Crop, tight.Faces[0], tight.Width, tight.Height) {
		t.Errorf("zoom=1: crop %+v (zoom=0: %+v), output %+v, focused by %q", tight.Crop, wide.Crop, tight.Output, tight.FocusedBy)
	}
	d := describe(t, s, "/w=300,h=300,fit=cover,g=auto,f=json/photos/object_lightbulb_bee.jpg")
	if d.FocusedBy != "saliency" || d.Crop == nil {
		t.Errorf("g=auto: focused by %q, crop %v", d.FocusedBy, d.Crop)
	}
	resp, body := s.get(t, s.sign(t, "/w=300,h=300,fit=cover,g=face,f=webp/faces/group_portrait_3.jpg"))
	if resp.StatusCode != 200 {
		t.Fatalf("render: %d", resp.StatusCode)
	}
	if w, h := imageSize(t, body); w != 300 || h != 300 {
		t.Errorf("render %dx%d", w, h)
	}
}

// TestSmartCropFallsBackWithoutSidecar: with the sidecar unreachable the
// request still succeeds, placed by libvips attention; failures are counted
// and, past the threshold, the breaker stops trying.
func TestSmartCropFallsBackWithoutSidecar(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	s := startServer(t, `
source: { url: "file://`+corpusDir(t)+`" }
signing: { keys: ["`+testKey+`"] }
vision: { url: "http://`+dead+`", breaker_failures: 2, breaker_cooldown: 1m }
`)
	for i, file := range []string{"faces/grace_hopper.jpg", "faces/group_portrait_1.jpg", "faces/group_portrait_3.jpg"} {
		d := describe(t, s, "/w=300,h=300,fit=cover,g=face,f=json/"+file)
		if d.FocusedBy != "attention" || d.Crop == nil {
			t.Errorf("request %d: focused by %q, crop %v; want libvips attention", i, d.FocusedBy, d.Crop)
		}
	}
	if v := s.metricValue(t, `pixmill_vision_fallbacks_total{reason="sidecar"}`); v != 3 {
		t.Errorf("fallbacks %v, want 3", v)
	}
	if v := s.metricValue(t, `pixmill_vision_requests_total{result="error"}`); v != 2 {
		t.Errorf("sidecar errors %v, want 2 before the breaker opened", v)
	}
	if v := s.metricValue(t, `pixmill_vision_requests_total{result="breaker_open"}`); v != 1 {
		t.Errorf("breaker_open %v, want 1", v)
	}
}

// TestDegradedCropIsNotCachedAsWhole: with the real sidecar stopped, a g=face
// crop falls back to libvips attention and is served as degraded: a short
// Cache-Control with no immutable, an ETag of its own, and not kept in the
// L1. Once the sidecar is started again, the next request (an edge
// revalidating with the degraded ETag) renders the face crop under the
// whole result's ETag, and that one is kept.
func TestDegradedCropIsNotCachedAsWhole(t *testing.T) {
	sc := visiontest.StartStoppable(t, sidecar.Config{})
	sc.Stop()
	s := startServer(t, `
source: { url: "file://`+corpusDir(t)+`" }
signing: { keys: ["`+testKey+`"] }
vision: { url: "`+sc.URL+`", timeout: 2s, breaker_failures: 100 }
headers: { degraded_ttl: 45s, cdn_cache_control: true, surrogate_control: true, immutable: true }
`)
	const transform = "/w=300,h=300,fit=cover,g=face"
	const key = "/faces/group_portrait_1.jpg"
	image := s.sign(t, transform+",f=jpeg"+key)

	// The sidecar is down: a degraded crop, every time, never from the L1.
	if d := describe(t, s, transform+",f=json"+key); d.FocusedBy != "attention" || d.Degraded == "" {
		t.Fatalf("sidecar down: f=json focused by %q, degraded %q; want attention, degraded", d.FocusedBy, d.Degraded)
	}
	var degradedETag string
	for i := range 2 {
		resp, _ := s.get(t, image)
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("X-Cache") != "MISS" {
			t.Fatalf("sidecar down, request %d: %d, X-Cache %q; want 200 MISS (a degraded crop is never kept)", i, resp.StatusCode, h.Get("X-Cache"))
		}
		for name, want := range map[string]string{
			"Cache-Control":     "public, max-age=45, s-maxage=45",
			"CDN-Cache-Control": "public, max-age=45",
			"Surrogate-Control": "max-age=45",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("sidecar down: %s %q, want %q", name, got, want)
			}
		}
		degradedETag = h.Get("ETag")
		if !strings.HasSuffix(degradedETag, `.degraded"`) {
			t.Errorf("sidecar down: ETag %s does not mark the degraded result", degradedETag)
		}
	}
	if v := s.metricValue(t, `pixmill_cache_bytes{tier="l1"}`); v != 0 {
		t.Errorf("L1 holds %v bytes after degraded renders; want none", v)
	}

	// The sidecar is back: the edge revalidates with the degraded ETag and
	// gets the face crop, under the whole result's ETag and TTL.
	sc.Start()
	if d := describe(t, s, transform+",f=json"+key); d.FocusedBy != "faces" || d.Degraded != "" {
		t.Fatalf("sidecar back: f=json focused by %q, degraded %q; want faces", d.FocusedBy, d.Degraded)
	}
	resp, _ := s.get(t, image, "If-None-Match", degradedETag)
	if resp.StatusCode != 200 {
		t.Fatalf("sidecar back, revalidating the degraded ETag: %d, want 200 with the face crop", resp.StatusCode)
	}
	wholeETag := resp.Header.Get("ETag")
	if wholeETag == degradedETag || strings.Contains(wholeETag, "degraded") {
		t.Errorf("sidecar back: ETag %s, want the whole result's (not %s)", wholeETag, degradedETag)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "s-maxage=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("sidecar back: Cache-Control %q, want the whole result's policy", cc)
	}
	resp, _ = s.get(t, image)
	if resp.Header.Get("X-Cache") != "HIT" || resp.Header.Get("ETag") != wholeETag {
		t.Errorf("the whole crop is not kept: X-Cache %q, ETag %s", resp.Header.Get("X-Cache"), resp.Header.Get("ETag"))
	}
	resp, _ = s.get(t, image, "If-None-Match", wholeETag)
	if resp.StatusCode != 304 {
		t.Errorf("revalidating the whole ETag: %d, want 304", resp.StatusCode)
	}
}
