package presets

import (
	"reflect"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

// The options the URL language took from its peers (crop, trim, exp,
// colour adjustments, max_bytes, raw): each row is a transform, the Options
// it parses to (normalized by the test) and its canonical form. Every row
// also round-trips through the canonical form and through Sign.
func px(v float64) spec.Coord   { return spec.Coord{V: v} }
func frac(v float64) spec.Coord { return spec.Coord{V: v, Frac: true} }

var newOptionRows = []struct {
	transform string
	want      spec.Options
	canonical string
}{
	// crop=x,y,w,h: source pixels, or fractions written with a point.
	{"crop=10,20,300,200", spec.Options{Region: &spec.Region{X: px(10), Y: px(20), W: px(300), H: px(200)}}, "crop=10,20,300,200"},
	{"crop=10;20;300;200", spec.Options{Region: &spec.Region{X: px(10), Y: px(20), W: px(300), H: px(200)}}, "crop=10,20,300,200"},
	{"crop=0.25,0.1,0.5,0.80", spec.Options{Region: &spec.Region{X: frac(0.25), Y: frac(0.1), W: frac(0.5), H: frac(0.8)}}, "crop=0.25,0.1,0.5,0.8"},
	{"crop=0.0,0,1.0,0.5", spec.Options{Region: &spec.Region{X: px(0), Y: px(0), W: frac(1), H: frac(0.5)}}, "crop=0,0,1.0,0.5"},
	{"crop=0,0,1,1", spec.Options{Region: &spec.Region{X: px(0), Y: px(0), W: px(1), H: px(1)}}, "crop=0,0,1,1"},
	{"crop=0,0,1.0,1.0", spec.Options{}, "_"}, // the whole source
	{"crop=5,5,10,10,w=100", spec.Options{Width: 100, Region: &spec.Region{X: px(5), Y: px(5), W: px(10), H: px(10)}}, "crop=5,5,10,10,width=100"},
	{"w=100,crop=1,2,3,4,fit=cover,h=50", spec.Options{Width: 100, Height: 50, Fit: spec.FitCover, Region: &spec.Region{X: px(1), Y: px(2), W: px(3), H: px(4)}}, "crop=1,2,3,4,fit=cover,height=50,width=100"},
	{"crop=1,2,3,4,crop=0.5,0.5,0.5,0.5", spec.Options{Region: &spec.Region{X: frac(0.5), Y: frac(0.5), W: frac(0.5), H: frac(0.5)}}, "crop=0.5,0.5,0.5,0.5"},
	// trim=auto with trim.threshold, or explicit margins t;r;b;l.
	{"trim=auto", spec.Options{Trim: &spec.Trim{Auto: true}}, "trim=auto"},
	{"trim=auto,trim.threshold=25", spec.Options{Trim: &spec.Trim{Auto: true}, TrimThreshold: ptr(25.0)}, "trim=auto,trim.threshold=25"},
	{"trim.threshold=0,trim=auto", spec.Options{Trim: &spec.Trim{Auto: true}, TrimThreshold: ptr(0.0)}, "trim=auto,trim.threshold=0"},
	{"trim=auto,trim.threshold=10.0", spec.Options{Trim: &spec.Trim{Auto: true}}, "trim=auto"},
	{"trim.threshold=30", spec.Options{}, "_"}, // no trim, no threshold
	{"trim=1;2;3;4,trim.threshold=30", spec.Options{Trim: &spec.Trim{Top: 1, Right: 2, Bottom: 3, Left: 4}}, "trim=1;2;3;4"},
	{"trim=0;0;0;0", spec.Options{}, "_"},
	{"trim=010;0;0;0", spec.Options{Trim: &spec.Trim{Top: 10}}, "trim=10;0;0;0"},
	{"crop=0.5,0,0.5,1.0,trim=auto", spec.Options{Region: &spec.Region{X: frac(0.5), Y: px(0), W: frac(0.5), H: frac(1)}, Trim: &spec.Trim{Auto: true}}, "crop=0.5,0,0.5,1.0,trim=auto"},
	// exp=UNIX_SECONDS: part of the signed path and of the canonical form.
	{"exp=1767225600", spec.Options{Expires: 1767225600}, "exp=1767225600"},
	{"w=10,exp=01767225600", spec.Options{Width: 10, Expires: 1767225600}, "exp=1767225600,width=10"},
	{"exp=1,exp=253402300799", spec.Options{Expires: 253402300799}, "exp=253402300799"},
	// Colour adjustments: Cloudflare's factors, 1 = no change.
	{"brightness=1.5", spec.Options{Brightness: 1.5}, "brightness=1.5"},
	{"brightness=1.0", spec.Options{}, "_"},
	{"brightness=0", spec.Options{}, "_"}, // Cloudflare ignores 0
	{"contrast=0.50", spec.Options{Contrast: 0.5}, "contrast=0.5"},
	{"gamma=2", spec.Options{Gamma: 2}, "gamma=2"},
	{"saturation=0", spec.Options{Saturation: ptr(0.0)}, "saturation=0"}, // greyscale
	{"saturation=1", spec.Options{}, "_"},
	{"saturation=10", spec.Options{Saturation: ptr(10.0)}, "saturation=10"},
	{"saturation=0.5,gamma=0.8,contrast=1.2,brightness=0.9,w=10", spec.Options{Width: 10, Brightness: 0.9, Contrast: 1.2, Gamma: 0.8, Saturation: ptr(0.5)}, "brightness=0.9,contrast=1.2,gamma=0.8,saturation=0.5,width=10"},
	// max_bytes=N
	{"max_bytes=20000", spec.Options{MaxBytes: 20000}, "max_bytes=20000"},
	{"max_bytes=1024,q=90,f=webp", spec.Options{MaxBytes: 1024, Quality: 90, Format: spec.FormatWebP}, "format=webp,max_bytes=1024,quality=90"},
	{"height=5,max_bytes=67108864", spec.Options{Height: 5, MaxBytes: 67108864}, "height=5,max_bytes=67108864"},
	// wm=KEY (percent-escaped in the segment) with wm_pos, wm_scale, wm_opacity.
	{"wm=logo.png", spec.Options{Watermark: &spec.Watermark{Key: "logo.png", Pos: spec.Gravity{Kind: spec.GravityBottomRight}}}, "wm=logo.png"},
	{"wm=brand%2Flogo%2C1.png,wm_pos=top-left", spec.Options{Watermark: &spec.Watermark{Key: "brand/logo,1.png", Pos: spec.Gravity{Kind: spec.GravityTopLeft}}}, "wm=brand%2Flogo%2C1.png,wm_pos=top-left"},
	{"wm_scale=0.25,wm_opacity=0.5,wm_pos=0.1x0.9,wm=l.png", spec.Options{Watermark: &spec.Watermark{Key: "l.png", Pos: spec.Gravity{Kind: spec.GravityFocal, X: 0.1, Y: 0.9}, Scale: 0.25, Opacity: 0.5}}, "wm=l.png,wm_opacity=0.5,wm_pos=0.1x0.9,wm_scale=0.25"},
	{"wm=l.png,wm_pos=1x1,wm_opacity=1", spec.Options{Watermark: &spec.Watermark{Key: "l.png", Pos: spec.Gravity{Kind: spec.GravityBottomRight}}}, "wm=l.png"},
	{"wm=l.png,wm_pos=0.5x0", spec.Options{Watermark: &spec.Watermark{Key: "l.png", Pos: spec.Gravity{Kind: spec.GravityTop}}}, "wm=l.png,wm_pos=top"},
	{"wm_pos=top,wm_scale=0.5", spec.Options{}, "_"}, // no key, no watermark
	{"w=300,wm=l.png,wm_pos=center", spec.Options{Width: 300, Watermark: &spec.Watermark{Key: "l.png", Pos: spec.Gravity{Kind: spec.GravityCenter}}}, "width=300,wm=l.png,wm_pos=center"},
	// page=N (1-based) and density=DPI: PDF pages.
	{"page=2", spec.Options{Page: 2}, "page=2"},
	{"page=1", spec.Options{}, "_"}, // the first page is the default
	{"page=002,w=300", spec.Options{Page: 2, Width: 300}, "page=2,width=300"},
	{"density=150", spec.Options{Density: 150}, "density=150"},
	{"density=72", spec.Options{}, "_"}, // PDF's own unit
	{"w=100,density=300,page=3,dpr=2", spec.Options{Width: 100, DPR: 2, Density: 300, Page: 3}, "density=300,dpr=2,page=3,width=100"},
	// raw=true: the original, alone or with exp.
	{"raw=true", spec.Options{Raw: true}, "raw=true"},
	{"raw=false", spec.Options{}, "_"},
	{"raw=true,exp=1767225600", spec.Options{Raw: true, Expires: 1767225600}, "exp=1767225600,raw=true"},
	{"raw=false,w=10", spec.Options{Width: 10}, "width=10"},
}

var newOptionErrors = []struct{ transform, msg string }{
	{"crop=1,2,3", `crop: "crop=1" needs 4 comma-separated values`},
	{"page=0", `page: 0 is out of range 1..100000`},
	{"wm=", `wm: empty source key`},
	{"wm=a%2F..%2Fb", `wm: source key: contains a ".." segment`},
	{"wm=l.png,wm_pos=face", `wm_pos: "face" is not a compass point (center, top, bottom-right, ...) or XxY fractions`},
	{"wm=l.png,wm_scale=0", `wm_scale: 0 is out of range: a fraction of the output width above 0, at most 1`},
	{"wm=l.png,wm_scale=1.5", `wm_scale: 1.5 is out of range 0..1`},
	{"wm=l.png,wm_opacity=0", `wm_opacity: 0 would draw nothing; use a value above 0, at most 1`},
	{"page=x", `page: "x" is not an integer`},
	{"density=2401", `density: 2401 is out of range 1..2400`},
	{"density=1.5", `density: "1.5" is not an integer`},
	{"crop=1;2;3", `crop: "1;2;3" is not x,y,w,h (source pixels, or fractions written with a decimal point)`},
	{"crop=1;2;3;4;5", `crop: "1;2;3;4;5" is not x,y,w,h (source pixels, or fractions written with a decimal point)`},
	{"crop=1,2,0,4", "crop: width and height must be positive, got 0"},
	{"crop=1,2,3,0.0", "crop: width and height must be positive, got 0.0"},
	{"crop=1,2,3,1.5", "crop: fraction 1.5 is out of range 0..1"},
	{"crop=-1,2,3,4", `crop: "-1" is not a number of pixels or a fraction like 0.25`},
	{"crop=1,2,3,w=4", `crop: "w=4" is not a number of pixels or a fraction like 0.25`},
	{"crop=1,2,3,99999999", "crop: 99999999 px is out of range 0..16777216"},
	{"exp=0", "exp: 0 is out of range 1..253402300799"},
	{"exp=253402300800", "exp: 253402300800 is out of range 1..253402300799"},
	{"exp=-5", `exp: "-5" is not an integer`},
	{"exp=1.5", `exp: "1.5" is not an integer`},
	{"brightness=11", "brightness: 11 is out of range 0..10"},
	{"contrast=-1", `contrast: "-1" is not a decimal number`},
	{"gamma=1e1", `gamma: "1e1" is not a decimal number`},
	{"saturation=10.5", "saturation: 10.5 is out of range 0..10"},
	{"max_bytes=1023", "max_bytes: 1023 is out of range 1024..67108864"},
	{"max_bytes=67108865", "max_bytes: 67108865 is out of range 1024..67108864"},
	{"max_bytes=10k", `max_bytes: "10k" is not an integer`},
	{"raw=true,w=10", "raw=true serves the original untouched: it takes no other option but exp (got width=10)"},
	{"f=webp,raw=true", "raw=true serves the original untouched: it takes no other option but exp (got format=webp)"},
	{"raw=yes", `raw: "yes" is not one of true, false`},
	{"trim=border", `trim: "border" is not auto or top;right;bottom;left in source pixels`},
	{"trim=1;2;3", `trim: "1;2;3" is not auto or top;right;bottom;left in source pixels`},
	{"trim=1,2,3,4", `trim: "1" is not auto or top;right;bottom;left in source pixels`},
	{"trim=1;2;3;-4", `trim: "-4" is not an integer`},
	{"trim.threshold=256", "trim.threshold: 256 is out of range 0..255"},
	{"trim.threshold=x", `trim.threshold: "x" is not a decimal number`},
}

func TestNewOptions(t *testing.T) {
	open := newParser(t, allowUnsigned)
	strict := newParser(t)
	for _, tt := range newOptionRows {
		path := "/_/" + tt.transform + "/photos/cat.jpg"
		req, err := open.Parse(path)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.transform, err)
			continue
		}
		if want := tt.want.Normalize(); !reflect.DeepEqual(req.Options, want) {
			t.Errorf("Parse(%q) =\n %+v\nwant\n %+v", tt.transform, req.Options, want)
		}
		if got := req.Canonical(); got != tt.canonical {
			t.Errorf("Canonical(%q) = %q, want %q", tt.transform, got, tt.canonical)
		}
		checkRoundTrip(t, open, req, "photos/cat.jpg")

		// Signed: the signature covers the option; unsigned, it is refused.
		signed, err := strict.Sign("/" + tt.transform + "/photos/cat.jpg")
		if err != nil {
			t.Errorf("Sign(%q): %v", tt.transform, err)
			continue
		}
		got, err := strict.Parse(signed)
		if err != nil || !reflect.DeepEqual(got.Options, req.Options) {
			t.Errorf("Parse(Sign(%q)) = %+v, %v", tt.transform, got.Options, err)
		}
		if tt.canonical != "_" {
			if _, err := strict.Parse(path); fault.KindOf(err) != fault.Forbidden {
				t.Errorf("unsigned %q: %v, want 403", tt.transform, err)
			}
			if _, err := strict.Parse("/_/thumb," + tt.transform + "/photos/cat.jpg"); fault.KindOf(err) != fault.Forbidden {
				t.Errorf("unsigned thumb,%q: %v, want 403", tt.transform, err)
			}
		}
	}
}

func TestNewOptionErrors(t *testing.T) {
	p := newParser(t, allowUnsigned)
	for _, tt := range newOptionErrors {
		t.Run(tt.transform, func(t *testing.T) {
			_, err := p.Parse("/_/" + tt.transform + "/k.jpg")
			wantErr(t, err, fault.BadRequest, tt.msg)
		})
	}
}

// TestPresetWithExp: a preset cannot carry exp= (it would expire every URL
// naming it at once).
func TestPresetWithExp(t *testing.T) {
	_, err := New(Config{Presets: map[string]Preset{"old": {Transform: "w=10,exp=1767225600"}}})
	if err == nil || err.Error() != `presets: preset "old": exp= belongs in a URL: a preset would expire every URL that names it` {
		t.Errorf("New: %v", err)
	}
}

// A preset can carry a watermark (a marketing preset with the logo); the
// URL's own wm_* items after it change only what they name.
func TestPresetWatermark(t *testing.T) {
	p := newParser(t, func(c *Config) {
		c.Presets = map[string]Preset{"promo": {Transform: "w=400,wm=brand%2Flogo.png,wm_scale=0.2", Widths: []int{400, 800}, Public: true}}
	})
	req, err := p.Parse("/_/promo,w=800/photos/cat.jpg")
	if err != nil {
		t.Fatal(err)
	}
	want := &spec.Watermark{Key: "brand/logo.png", Pos: spec.Gravity{Kind: spec.GravityBottomRight}, Scale: 0.2}
	if !reflect.DeepEqual(req.Options.Watermark, want) || req.Options.Width != 800 {
		t.Errorf("promo,w=800: %+v, want %+v at width 800", req.Options.Watermark, want)
	}
	if c := req.Canonical(); c != "width=800,wm=brand%2Flogo.png,wm_scale=0.2" {
		t.Errorf("canonical %s", c)
	}
	signed, err := p.Sign("/promo,wm_pos=top-left,wm_opacity=0.5/photos/cat.jpg")
	if err != nil {
		t.Fatal(err)
	}
	req, err = p.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	want = &spec.Watermark{Key: "brand/logo.png", Pos: spec.Gravity{Kind: spec.GravityTopLeft}, Scale: 0.2, Opacity: 0.5}
	if !reflect.DeepEqual(req.Options.Watermark, want) {
		t.Errorf("promo with wm_pos, wm_opacity: %+v, want %+v", req.Options.Watermark, want)
	}
	if _, err := p.Parse("/_/promo,wm_opacity=0.5/photos/cat.jpg"); fault.KindOf(err) != fault.Forbidden {
		t.Errorf("unsigned wm_opacity: %v, want 403", err)
	}
}
