package server

import (
	"testing"
	"time"
)

func TestCachePolicies(t *testing.T) {
	full := HeaderConfig{
		MaxAge: 24 * time.Hour, SMaxAge: 365 * 24 * time.Hour, StaleWhileRevalidate: time.Hour,
		StaleIfError: 2 * time.Hour, Immutable: true, CDNCacheControl: true, SurrogateControl: true,
		DegradedTTL: time.Minute,
	}
	noEdge := full
	noEdge.CDNCacheControl, noEdge.SurrogateControl = false, false
	off := full
	off.DegradedTTL = 0
	for _, tc := range []struct {
		name string
		got  cachePolicy
		want cachePolicy
	}{
		{"whole", full.policy(), cachePolicy{
			"public, max-age=86400, s-maxage=31536000, stale-while-revalidate=3600, stale-if-error=7200, immutable",
			"public, max-age=31536000, stale-while-revalidate=3600, stale-if-error=7200, immutable",
			"max-age=31536000, stale-while-revalidate=3600, stale-if-error=7200",
		}},
		{"degraded", full.degradedPolicy(), cachePolicy{"public, max-age=60, s-maxage=60", "public, max-age=60", "max-age=60"}},
		{"degraded, edge headers off", noEdge.degradedPolicy(), cachePolicy{"public, max-age=60, s-maxage=60", "", ""}},
		{"degraded_ttl 0", off.degradedPolicy(), cachePolicy{"no-store", "no-store", "max-age=0"}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, tc.got, tc.want)
		}
	}
}

func TestDegradedETag(t *testing.T) {
	whole := `"abc"`
	if got := degradedETag(whole); got != `"abc.degraded"` || etagMatches(got, whole) || etagMatches(whole, got) {
		t.Errorf("degradedETag(%s) = %s: must differ from, and never match, the whole ETag", whole, got)
	}
}

// TestExpiringPolicy: with exp=, no lifetime in the caching headers
// outlives the URL, for browsers (max-age), edges (s-maxage,
// CDN-Cache-Control, Surrogate-Control) or stale serving.
func TestExpiringPolicy(t *testing.T) {
	full := HeaderConfig{
		MaxAge: 24 * time.Hour, SMaxAge: 365 * 24 * time.Hour, StaleWhileRevalidate: time.Hour,
		StaleIfError: 2 * time.Hour, Immutable: true, CDNCacheControl: true, SurrogateControl: true,
		DegradedTTL: time.Minute,
	}
	for _, tc := range []struct {
		name      string
		remaining time.Duration
		degraded  bool
		want      cachePolicy
	}{
		{"a minute and a half left", 90*time.Second + 500*time.Millisecond, false, cachePolicy{"public, max-age=90, s-maxage=90", "public, max-age=90", "max-age=90"}},
		{"two days left: max-age kept, s-maxage and stale clipped", 48 * time.Hour, false, cachePolicy{"public, max-age=86400, s-maxage=172800", "public, max-age=172800", "max-age=172800"}},
		{"past a year and more: untouched", 400 * 24 * time.Hour, false, full.policy()},
		{"a year and an hour: stale shortened to what is left", 365*24*time.Hour + 1800*time.Second, false, cachePolicy{
			"public, max-age=86400, s-maxage=31536000, stale-while-revalidate=1800, stale-if-error=1800",
			"public, max-age=31536000, stale-while-revalidate=1800, stale-if-error=1800",
			"max-age=31536000, stale-while-revalidate=1800, stale-if-error=1800"}},
		{"under a second left", 300 * time.Millisecond, false, cachePolicy{"public, max-age=0", "public, max-age=0", "max-age=0"}},
		{"degraded, longer than its TTL", time.Hour, true, full.degradedPolicy()},
		{"degraded, shorter than its TTL", 20 * time.Second, true, cachePolicy{"public, max-age=20, s-maxage=20", "public, max-age=20", "max-age=20"}},
	} {
		if got := full.expiringPolicy(tc.remaining, tc.degraded); got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}
