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
