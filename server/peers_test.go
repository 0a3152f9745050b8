package server

import (
	"testing"

	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// TestPeerKeyRoundTrip: what the asker puts in a shared-tier key, the
// owner reads back, whatever the source key holds.
func TestPeerKeyRoundTrip(t *testing.T) {
	tests := []struct{ etag, class, canonical, key string }{
		{`"abc"`, "avif+webp", "format=auto,width=320", "photos/cat.jpg"},
		{`"abc"`, "", "_", "a b/ünï\ncode.jpg"},
		{`"x"`, "none", "crop=0.1,0.2,0.5,0.5,format=webp", "https:/x/y?z"},
	}
	for _, tc := range tests {
		etag, class, canonical, key, err := parsePeerKey(peerKey(tc.etag, tc.class, tc.canonical, tc.key))
		if err != nil || etag != tc.etag || class != tc.class || canonical != tc.canonical || key != tc.key {
			t.Errorf("%+v: read back %q %q %q %q %v", tc, etag, class, canonical, key, err)
		}
	}
	for _, bad := range []string{"", "pm1", "pm0\na\nb\nc\nd", "pm1\na\nb\nc"} {
		if _, _, _, _, err := parsePeerKey(bad); err == nil {
			t.Errorf("parsePeerKey(%q) accepted", bad)
		}
	}
}

// TestAcceptClass: the owner's Accept negotiates as the asker's did.
func TestAcceptClass(t *testing.T) {
	for _, accept := range []string{"", "*/*", "image/webp,*/*", "image/avif,image/webp,image/apng,*/*;q=0.8", "image/avif", "image/avif;q=0,image/webp"} {
		class := acceptClass(spec.Options{Format: spec.FormatAuto}, accept)
		if got := transform.ParseAccept(acceptOf(class)).Class(); got != transform.ParseAccept(accept).Class() {
			t.Errorf("Accept %q: class %q, the owner's Accept %q gives %q", accept, class, acceptOf(class), got)
		}
		if c := acceptClass(spec.Options{Format: spec.FormatWebP}, accept); c != "" {
			t.Errorf("f=webp, Accept %q: class %q, want none (the ETag ignores Accept)", accept, c)
		}
	}
}
