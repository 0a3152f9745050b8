package server_test

import (
	"bytes"
	"regexp"
	"testing"
)

// TestAutoQualityCachedAndReported: q=auto's choice is in Server-Timing on
// the miss, and the second request is served from the cache with the same
// bytes and the same reported quality, without a second search.
func TestAutoQualityCachedAndReported(t *testing.T) {
	s := cacheServer(t, copySamples(t), "")
	path := s.sign(t, "/w=160,f=webp,q=auto:high/grace_hopper.jpg")
	first, body1 := s.get(t, path)
	second, body2 := s.get(t, path)
	if first.StatusCode != 200 || first.Header.Get("X-Cache") != "MISS" || second.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("status %d, X-Cache %q then %q; want 200, MISS then HIT", first.StatusCode, first.Header.Get("X-Cache"), second.Header.Get("X-Cache"))
	}
	choice := regexp.MustCompile(`quality;desc="auto:high q(\d+) distance [0-9.]+ target [0-9.]+ encodes [1-4] met (true|false)"`)
	t1, t2 := first.Header.Values("Server-Timing"), second.Header.Values("Server-Timing")
	if len(t1) != 2 || !choice.MatchString(t1[1]) {
		t.Fatalf("Server-Timing on the miss: %q", t1)
	}
	if len(t2) != 2 || t2[1] != t1[1] {
		t.Errorf("Server-Timing on the hit: %q, want the miss's choice %q", t2, t1[1])
	}
	if !bytes.Equal(body1, body2) {
		t.Error("the hit served other bytes")
	}
	if got := s.metricValue(t, "pixmill_renders_total"); got != 1 {
		t.Errorf("renders %v, want 1: the second request searched again", got)
	}
}
