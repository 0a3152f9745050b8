package presets

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

// testPresets is the preset set every test uses. thumb's widths are given
// unsorted on purpose: New sorts them.
func testPresets() map[string]Preset {
	return map[string]Preset{
		"thumb":  {Transform: "w=200,h=200,fit=cover,g=auto,f=auto", Widths: []int{400, 100, 200}, Public: true},
		"hero":   {Transform: "w=1600,h=900,fit=cover,f=auto", Widths: []int{320, 640, 960, 1280, 1600, 1920}},
		"banner": {Transform: "w=1200,h=300,fit=cover", Widths: []int{640, 320}},
		"avatar": {Transform: "w=64,h=64,fit=cover,g=face,dpr=2", Widths: []int{32, 64}, Public: true},
		"soft":   {Transform: "blur=5,q=60"},
		"narrow": {Transform: "w=300", Public: true},
		"plain":  {Transform: "_", Public: true},
	}
}

// newParser builds a Parser over testPresets with key "secret" (and
// whatever edit changes), failing the test if New refuses it.
func newParser(t testing.TB, edit ...func(*Config)) *Parser {
	t.Helper()
	cfg := Config{Keys: [][]byte{[]byte("secret")}, Presets: testPresets()}
	for _, e := range edit {
		e(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func allowUnsigned(c *Config) { c.AllowUnsigned = true }

// wantErr checks err's kind and client message.
func wantErr(t *testing.T, err error, kind fault.Kind, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v %q", kind, msg)
	}
	if fault.KindOf(err) != kind || fault.Message(err) != msg {
		t.Fatalf("got %v %q, want %v %q", fault.KindOf(err), fault.Message(err), kind, msg)
	}
}

func TestNewValidates(t *testing.T) {
	one := func(name, transform string) func(*Config) {
		return func(c *Config) { c.Presets = map[string]Preset{name: {Transform: transform}} }
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" = valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"no keys, unsigned off", func(c *Config) { c.Keys = nil }, ""},
		{"size 8", func(c *Config) { c.SignatureSize = 8 }, ""},
		{"size 32", func(c *Config) { c.SignatureSize = 32 }, ""},
		{"size 7", func(c *Config) { c.SignatureSize = 7 }, "signing.size: 7 is out of range 8..32"},
		{"size 33", func(c *Config) { c.SignatureSize = 33 }, "signing.size: 33 is out of range 8..32"},
		{"empty key", func(c *Config) { c.Keys = [][]byte{[]byte("a"), nil} }, "Keys[1] (signing.keys) is empty"},
		{"max dimension", func(c *Config) { c.MaxDimension = -1 }, "limits.max_output_dimension: -1 must be positive"},
		{"max dpr", func(c *Config) { c.MaxDPR = 0.5 }, "limits.max_dpr: 0.5 must be at least 1"},
		{"bad transform names preset", one("card", "w=abc"), `preset "card": width: "abc" is not an integer`},
		{"unknown option", one("card", "wdth=3"), `preset "card": unknown option "wdth"`},
		{"nested preset", one("card", "w=3,thumb"), `preset "card": "thumb": a preset cannot name another preset`},
		{"preset over limit", one("card", "w=5000,dpr=2"), `preset "card": 5000x0 at dpr 2 is 10000x0 device px, over the limit of 8192`},
		{"empty transform", one("card", ""), `preset "card": empty transform (use _ for no options)`},
		{"upper case name", one("Card", "w=1"), `preset "Card": name must match [a-z0-9_-]+`},
		{"space in name", one("a b", "w=1"), `preset "a b": name must match`},
		{"underscore alone", one("_", "w=1"), `preset "_": name must match`},
		{"empty name", one("", "w=1"), `preset "": name must match`},
		{"option name", one("width", "w=1"), `preset "width": name collides with an option name or alias`},
		{"alias", one("bg", "w=1"), `preset "bg": name collides`},
		{"alias w", one("w", "w=1"), `preset "w": name collides`},
		{"name ok", one("card_2-x", "w=1"), ""},
		{"zero width", func(c *Config) { c.Presets = map[string]Preset{"c": {Transform: "_", Widths: []int{0}}} }, `preset "c": width 0 is out of range 1..8192`},
		{"negative width", func(c *Config) { c.Presets = map[string]Preset{"c": {Transform: "_", Widths: []int{-5}}} }, `preset "c": width -5 is out of range`},
		{"width over max", func(c *Config) { c.Presets = map[string]Preset{"c": {Transform: "_", Widths: []int{9000}}} }, `preset "c": width 9000 is out of range 1..8192`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Keys: [][]byte{[]byte("secret")}, Presets: testPresets()}
			tt.edit(&cfg)
			_, err := New(cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("New: no error, want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("New: %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPresetsSortedCopy(t *testing.T) {
	p := newParser(t)
	got := p.Presets()
	if w := got["thumb"].Widths; !reflect.DeepEqual(w, []int{100, 200, 400}) {
		t.Errorf("thumb widths = %v, want sorted [100 200 400]", w)
	}
	if len(got) != len(testPresets()) {
		t.Errorf("got %d presets, want %d", len(got), len(testPresets()))
	}
	got["thumb"].Widths[0] = 999 // a copy: must not reach the parser
	if w := p.Presets()["thumb"].Widths[0]; w != 100 {
		t.Errorf("Presets returned shared widths: now %d", w)
	}
}

func TestNewCopiesKeys(t *testing.T) {
	key := []byte("secret")
	p, err := New(Config{Keys: [][]byte{key}})
	if err != nil {
		t.Fatal(err)
	}
	key[0] = 'X'
	if _, err := p.Parse("/SleOGMTV_1vS7zPD69E-3w/w=400,f=webp/photos/cat.jpg"); err != nil {
		t.Fatalf("changing the caller's key slice changed the parser: %v", err)
	}
}
