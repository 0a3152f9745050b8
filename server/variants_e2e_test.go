package server_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestDPRWithinOneStepRendersOnce: unsigned dpr decimals that round to the
// same step (issue 9, class 5) are one canonical form: one render, one ETag,
// the rest L1 hits. Before rounding each was its own render and cache entry.
func TestDPRWithinOneStepRendersOnce(t *testing.T) {
	s := cacheServer(t, copySamples(t), "")
	var etag string
	for i := range 20 {
		dpr := fmt.Sprintf("%.5f", 1.30+float64(i)*0.0101) // 1.30 .. 1.4919, all round to 1.5
		resp, _ := s.get(t, "/_/thumb,w=100,dpr="+dpr+"/grace_hopper.jpg", "Accept", "image/webp")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("dpr=%s: status %d", dpr, resp.StatusCode)
		}
		if i == 0 {
			etag = resp.Header.Get("ETag")
		} else if got := resp.Header.Get("ETag"); got != etag {
			t.Errorf("dpr=%s: ETag %s, want the first one's %s", dpr, got, etag)
		}
	}
	if got := s.metricValue(t, "pixmill_renders_total"); got != 1 {
		t.Errorf("20 dpr values within one step made %v renders, want 1", got)
	}
	// The next step is another variant.
	if resp, _ := s.get(t, "/_/thumb,w=100,dpr=2/grace_hopper.jpg", "Accept", "image/webp"); resp.Header.Get("ETag") == etag {
		t.Error("dpr=2 shares the ETag of dpr=1.5")
	}
}

// TestHintsNeverFail: issue 9, class 6. A signed f=webp URL with
// Sec-CH-Width: 9000 and Sec-CH-DPR: 4 was a 400 cached for everyone
// (public, max-age=10, no Vary). The hinted width now steps down the ladder
// until width x dpr fits max_output_dimension: 200, with Vary for every
// hint that can change the URL's answer, and a 304 carries the same Vary.
func TestHintsNeverFail(t *testing.T) {
	s := cacheServer(t, copySamples(t), "client_hints: { enabled: true }\n")
	const allHints = "Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width"
	tests := []struct {
		name      string
		path      string
		hints     []string
		wantWidth int
		vary      string
	}{
		{"hinted width x dpr over the limit", s.sign(t, "/fit=squeeze,h=10,f=webp/grace_hopper.jpg"),
			[]string{"Sec-CH-Width", "9000", "Sec-CH-DPR", "4"}, 1920 * 4, allHints},
		{"URL width x hinted dpr over the limit", s.sign(t, "/w=2560,fit=squeeze,h=10,f=webp/grace_hopper.jpg"),
			[]string{"Sec-CH-DPR", "4"}, 2560 * 3, "Sec-CH-DPR"},
		{"no hints", s.sign(t, "/f=webp/grace_hopper.jpg"), nil, 0, allHints},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.get(t, tt.path, tt.hints...)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d %q, Cache-Control %q", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
			}
			if w, _ := imageSize(t, body); tt.wantWidth != 0 && w != tt.wantWidth {
				t.Errorf("width %d, want %d", w, tt.wantWidth)
			}
			if got := resp.Header.Get("Vary"); got != tt.vary {
				t.Errorf("200: Vary %q, want %q", got, tt.vary)
			}
			etag := resp.Header.Get("ETag")
			nm, _ := s.get(t, tt.path, append([]string{"If-None-Match", etag}, tt.hints...)...)
			if nm.StatusCode != http.StatusNotModified {
				t.Fatalf("If-None-Match: status %d", nm.StatusCode)
			}
			if got := nm.Header.Get("Vary"); got != tt.vary {
				t.Errorf("304: Vary %q, want %q", got, tt.vary)
			}
		})
	}
}

// TestHeaderChosenErrorsAreNotCached: an error answered for a variant that
// request headers chose (here f=auto, chosen by Accept) is no-store: with
// the URL alone as a cache key it would be served to clients whose headers
// get another answer. The same failure on an explicit format is cached
// briefly, as before.
func TestHeaderChosenErrorsAreNotCached(t *testing.T) {
	dir := copySamples(t)
	junk := make([]byte, 50_000)
	copy(junk, []byte{0xff, 0xd8, 0xff, 0xe0})
	if err := os.WriteFile(filepath.Join(dir, "broken.jpg"), junk, 0o644); err != nil {
		t.Fatal(err)
	}
	s := cacheServer(t, dir, "headers: { error_ttl: 5s }\nclient_hints: { enabled: true }\n")
	tests := []struct {
		path, cacheControl string
	}{
		{s.sign(t, "/w=100,f=auto/broken.jpg"), "no-store"},
		{s.sign(t, "/f=webp/broken.jpg"), "no-store"}, // hints could change its size
		{s.sign(t, "/w=100,dpr=1,f=webp/broken.jpg"), "public, max-age=5"},
	}
	for _, tt := range tests {
		resp, _ := s.get(t, tt.path, "Accept", "image/avif,image/webp")
		if resp.StatusCode != http.StatusUnprocessableEntity || resp.Header.Get("Cache-Control") != tt.cacheControl {
			t.Errorf("%s: %d, Cache-Control %q, want 422 and %q", tt.path, resp.StatusCode, resp.Header.Get("Cache-Control"), tt.cacheControl)
		}
	}
}
