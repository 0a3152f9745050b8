package server_test

import (
	"fmt"
	"net/http"
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
