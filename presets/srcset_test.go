package presets

import (
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

func TestSrcset(t *testing.T) {
	const key = "photos/name with spaces & ü.jpg"
	const esc = "photos/name%20with%20spaces%20&%20%C3%BC.jpg"
	tests := []struct{ preset, key, want string }{
		// public: unsigned URLs, widths sorted
		{"thumb", "photos/cat.jpg", "/_/thumb,w=100/photos/cat.jpg 100w, /_/thumb,w=200/photos/cat.jpg 200w, /_/thumb,w=400/photos/cat.jpg 400w"},
		// the descriptor is device pixels: avatar has dpr=2
		{"avatar", "a.png", "/_/avatar,w=32/a.png 64w, /_/avatar,w=64/a.png 128w"},
		// not public: signed (signatures from openssl, as in sign_test.go:
		// printf '%s' '/banner,w=320/photos/name%20with%20spaces%20&%20%C3%BC.jpg' | openssl dgst -sha256 -hmac 'secret' -binary | head -c 16 | basenc --base64url | tr -d '=')
		{"banner", key, "/n8vgFK9AWkP5Wh1BmRGl3g/banner,w=320/" + esc + " 320w, /Adgzm6y7RRqYx2oOnCRM1Q/banner,w=640/" + esc + " 640w"},
		{"thumb", "a,b.jpg", "/_/thumb,w=100/a%2Cb.jpg 100w, /_/thumb,w=200/a%2Cb.jpg 200w, /_/thumb,w=400/a%2Cb.jpg 400w"},
	}
	p := newParser(t)
	for _, tt := range tests {
		got, err := p.Srcset(tt.preset, tt.key)
		if err != nil || got != tt.want {
			t.Errorf("Srcset(%q, %q) =\n %q, %v\nwant\n %q", tt.preset, tt.key, got, err, tt.want)
		}
	}

	for _, tt := range []struct{ preset, key, msg string }{
		{"nosuch", "a.jpg", `unknown preset "nosuch"`},
		{"soft", "a.jpg", `preset "soft" has no widths`},
		{"thumb", "../a.jpg", `source key: contains a ".." segment`},
		{"thumb", "/a.jpg", "source key: must not start with /"},
		{"thumb", "", "empty source key"},
	} {
		_, err := p.Srcset(tt.preset, tt.key)
		wantErr(t, err, fault.BadRequest, tt.msg)
	}

	none := newParser(t, func(c *Config) { c.Keys = nil })
	if _, err := none.Srcset("banner", "a.jpg"); err == nil {
		t.Error("Srcset of a private preset with no keys: no error")
	}
}

func TestEscapeKey(t *testing.T) {
	for key, want := range map[string]string{
		"photos/cat.jpg":           "photos/cat.jpg",
		"name with spaces & ü.jpg": "name%20with%20spaces%20&%20%C3%BC.jpg",
		"a?b#c;d,e/f%g":            "a%3Fb%23c%3Bd%2Ce/f%25g",
	} {
		if got := EscapeKey(key); got != want {
			t.Errorf("EscapeKey(%q) = %q, want %q", key, got, want)
		}
		if got, _ := decodeKey(EscapeKey(key)); got != key {
			t.Errorf("decodeKey(EscapeKey(%q)) = %q", key, got)
		}
	}
}
