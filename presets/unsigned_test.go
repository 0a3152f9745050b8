package presets

import (
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

// TestUnsigned: with unsigned requests off, "_" may name a public preset
// first, then only width (on its ladder) and dpr. Public: thumb (100, 200,
// 400), avatar (32, 64), narrow (no ladder), plain. Not public: hero, soft.
func TestUnsigned(t *testing.T) {
	tests := []struct {
		transform string
		kind      fault.Kind // Internal = accepted
		msg       string
		open      fault.Kind // with AllowUnsigned; Internal = accepted
	}{
		{"thumb", fault.Internal, "", fault.Internal},
		{"plain", fault.Internal, "", fault.Internal},
		{"thumb,w=100", fault.Internal, "", fault.Internal},
		{"thumb,width=400", fault.Internal, "", fault.Internal},
		{"thumb,w=100,w=200", fault.Internal, "", fault.Internal},
		{"thumb,dpr=2", fault.Internal, "", fault.Internal},
		{"thumb,w=200,dpr=1.5", fault.Internal, "", fault.Internal},
		{"avatar,w=32", fault.Internal, "", fault.Internal},
		{"narrow,dpr=3", fault.Internal, "", fault.Internal},
		{"thumb,w=300", fault.Forbidden, `width 300 is not on the ladder of preset "thumb" (100, 200, 400); other widths need a signature`, fault.Internal},
		{"thumb,w=100,w=300", fault.Forbidden, `width 300 is not on the ladder of preset "thumb" (100, 200, 400); other widths need a signature`, fault.Internal},
		{"narrow,w=300", fault.Forbidden, `width 300 is not on the ladder of preset "narrow" (it has none); other widths need a signature`, fault.Internal},
		{"hero", fault.Forbidden, `unsigned URLs must start with a public preset; "hero" is not public`, fault.Internal},
		{"hero,w=640", fault.Forbidden, `unsigned URLs must start with a public preset; "hero" is not public`, fault.Internal},
		{"w=100", fault.Forbidden, "unsigned URLs must start with a public preset", fault.Internal},
		{"w=100,thumb", fault.Forbidden, "unsigned URLs must start with a public preset", fault.Internal},
		{"_", fault.Forbidden, "unsigned URLs must start with a public preset", fault.Internal},
		{"nosuch", fault.Forbidden, `unsigned URLs must start with a public preset; there is no preset "nosuch" (public presets: avatar, narrow, plain, thumb)`, fault.BadRequest},
		{"thumb,h=100", fault.Forbidden, `unsigned URLs may override only width and dpr; "h=100" needs a signature`, fault.Internal},
		{"thumb,f=png", fault.Forbidden, `unsigned URLs may override only width and dpr; "f=png" needs a signature`, fault.Internal},
		{"thumb,q=90", fault.Forbidden, `unsigned URLs may override only width and dpr; "q=90" needs a signature`, fault.Internal},
		{"thumb,hero", fault.Forbidden, `unsigned URLs may override only width and dpr; "hero" needs a signature`, fault.Internal},
		{"thumb,plain", fault.Forbidden, `unsigned URLs may override only width and dpr; "plain" needs a signature`, fault.Internal},
		{"thumb,thumb", fault.Forbidden, `unsigned URLs may override only width and dpr; "thumb" needs a signature`, fault.Internal},
		// allowed shapes with bad values are still 400s
		{"thumb,w=abc", fault.BadRequest, `width: "abc" is not an integer`, fault.BadRequest},
		{"thumb,dpr=9", fault.BadRequest, "dpr: 9 is out of range 1..4", fault.BadRequest},
		{"thumb,,w=100", fault.Forbidden, `unsigned URLs may override only width and dpr; "" needs a signature`, fault.BadRequest},
	}
	strict := newParser(t)
	open := newParser(t, allowUnsigned)
	for _, tt := range tests {
		t.Run(tt.transform, func(t *testing.T) {
			path := "/_/" + tt.transform + "/photos/cat.jpg"
			req, err := strict.Parse(path)
			if tt.kind != fault.Internal {
				wantErr(t, err, tt.kind, tt.msg)
			} else if err != nil || req.Signed {
				t.Fatalf("Parse(%q) = %+v, %v; want accepted unsigned", path, req, err)
			}
			// AllowUnsigned lets everything through that parses.
			req, err = open.Parse(path)
			if tt.open != fault.Internal {
				if fault.KindOf(err) != tt.open {
					t.Fatalf("AllowUnsigned Parse(%q) = %v, want %v", path, err, tt.open)
				}
			} else if err != nil || req.Signed {
				t.Fatalf("AllowUnsigned Parse(%q) = %+v, %v", path, req, err)
			}
		})
	}
}

// TestUnsignedNoKeys: a parser with no keys and unsigned off still serves
// public presets, and refuses everything signed.
func TestUnsignedNoKeys(t *testing.T) {
	p := newParser(t, func(c *Config) { c.Keys = nil })
	if _, err := p.Parse("/_/thumb,w=200/photos/cat.jpg"); err != nil {
		t.Errorf("public preset: %v", err)
	}
	_, err := p.Parse("/_/hero/photos/cat.jpg")
	wantErr(t, err, fault.Forbidden, `unsigned URLs must start with a public preset; "hero" is not public`)
	_, err = p.Parse("/" + vecSig16 + vecPath)
	wantErr(t, err, fault.Forbidden, "bad signature")
}

// TestUnsignedNoPresets: with no presets (a config file that states
// none), the error names the preset that is missing.
func TestUnsignedNoPresets(t *testing.T) {
	p := newParser(t, func(c *Config) { c.Presets = nil })
	_, err := p.Parse("/_/thumb/photos/cat.jpg")
	wantErr(t, err, fault.Forbidden, `unsigned URLs must start with a public preset; there is no preset "thumb" (public presets: none)`)
}
