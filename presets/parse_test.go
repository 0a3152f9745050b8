package presets

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

func ptr[T any](v T) *T { return &v }

// TestParseOptions: transform -> Options (the want is normalized by the
// test, so only non-default fields are written). Unsigned is allowed here;
// signatures and the unsigned rules have their own tests.
func TestParseOptions(t *testing.T) {
	focal := func(x, y float64) spec.Gravity { return spec.Gravity{Kind: spec.GravityFocal, X: x, Y: y} }
	grav := func(k spec.GravityKind) spec.Gravity { return spec.Gravity{Kind: k} }
	tests := []struct {
		transform string
		want      spec.Options
	}{
		{"_", spec.Options{}},
		// every option and alias
		{"width=400", spec.Options{Width: 400}},
		{"w=400", spec.Options{Width: 400}},
		{"w=1", spec.Options{Width: 1}},
		{"w=8192", spec.Options{Width: 8192}},
		{"w=0400", spec.Options{Width: 400}},
		{"height=300", spec.Options{Height: 300}},
		{"h=300", spec.Options{Height: 300}},
		{"fit=scale-down", spec.Options{Fit: spec.FitScaleDown}},
		{"fit=contain", spec.Options{Fit: spec.FitContain}},
		{"fit=cover", spec.Options{Fit: spec.FitCover}},
		{"fit=crop", spec.Options{Fit: spec.FitCrop}},
		{"fit=pad", spec.Options{Fit: spec.FitPad}},
		{"fit=squeeze", spec.Options{Fit: spec.FitSqueeze}},
		{"gravity=center", spec.Options{Gravity: grav(spec.GravityCenter)}},
		{"g=top", spec.Options{Gravity: grav(spec.GravityTop)}},
		{"g=bottom", spec.Options{Gravity: grav(spec.GravityBottom)}},
		{"g=left", spec.Options{Gravity: grav(spec.GravityLeft)}},
		{"g=right", spec.Options{Gravity: grav(spec.GravityRight)}},
		{"g=top-left", spec.Options{Gravity: grav(spec.GravityTopLeft)}},
		{"g=top-right", spec.Options{Gravity: grav(spec.GravityTopRight)}},
		{"g=bottom-left", spec.Options{Gravity: grav(spec.GravityBottomLeft)}},
		{"g=bottom-right", spec.Options{Gravity: grav(spec.GravityBottomRight)}},
		{"g=auto", spec.Options{Gravity: grav(spec.GravityAuto)}},
		{"g=face", spec.Options{Gravity: grav(spec.GravityFace)}},
		{"g=0.5x0.33", spec.Options{Gravity: focal(0.5, 0.33)}},
		{"g=0x1", spec.Options{Gravity: focal(0, 1)}},
		{"g=1.0x0.0", spec.Options{Gravity: focal(1, 0)}},
		{"g=0.5x0.5", spec.Options{Gravity: grav(spec.GravityCenter)}}, // the focal centre is the centre
		{"dpr=1", spec.Options{DPR: 1}},
		{"dpr=2", spec.Options{DPR: 2}},
		{"dpr=1.5", spec.Options{DPR: 1.5}},
		{"dpr=4", spec.Options{DPR: 4}},
		{"dpr=4.0", spec.Options{DPR: 4}},
		{"quality=80", spec.Options{Quality: 80}},
		{"q=1", spec.Options{Quality: 1}},
		{"q=100", spec.Options{Quality: 100}},
		{"q=avif:50", spec.Options{QualityFor: spec.FormatQualities{AVIF: 50}}},
		{"q=avif:50;webp:70", spec.Options{QualityFor: spec.FormatQualities{AVIF: 50, WebP: 70}}},
		{"q=webp:70;80;jpeg:85;png:90", spec.Options{Quality: 80, QualityFor: spec.FormatQualities{JPEG: 85, PNG: 90, WebP: 70}}},
		{"q=avif:50,q=60", spec.Options{Quality: 60}}, // a later q replaces the whole value
		{"q=auto", spec.Options{QualityAuto: spec.AutoMedium}},
		{"q=auto:low", spec.Options{QualityAuto: spec.AutoLow}},
		{"q=auto:high;avif:50", spec.Options{QualityAuto: spec.AutoHigh, QualityFor: spec.FormatQualities{AVIF: 50}}},
		{"format=auto", spec.Options{Format: spec.FormatAuto}},
		{"f=avif", spec.Options{Format: spec.FormatAVIF}},
		{"f=webp", spec.Options{Format: spec.FormatWebP}},
		{"f=jpeg", spec.Options{Format: spec.FormatJPEG}},
		{"f=png", spec.Options{Format: spec.FormatPNG}},
		{"f=json", spec.Options{Format: spec.FormatJSON}},
		{"blur=0", spec.Options{}},
		{"blur=2.5", spec.Options{Blur: 2.5}},
		{"blur=250", spec.Options{Blur: 250}},
		{"sharpen=0", spec.Options{}},
		{"sharpen=10", spec.Options{Sharpen: 10}},
		{"sharpen=0.75", spec.Options{Sharpen: 0.75}},
		{"background=ff8800", spec.Options{Background: &spec.Color{R: 0xff, G: 0x88, B: 0, A: 0xff}}},
		{"bg=FF880080", spec.Options{Background: &spec.Color{R: 0xff, G: 0x88, B: 0, A: 0x80}}},
		{"bg=00000000", spec.Options{Background: &spec.Color{}}},
		{"rotate=0", spec.Options{}},
		{"rotate=90", spec.Options{Rotate: 90}},
		{"rotate=180", spec.Options{Rotate: 180}},
		{"rotate=270", spec.Options{Rotate: 270}},
		{"flip=h", spec.Options{FlipH: true}},
		{"flip=v", spec.Options{FlipV: true}},
		{"flip=hv", spec.Options{FlipH: true, FlipV: true}},
		{"metadata=none", spec.Options{Metadata: spec.MetadataNone}},
		{"metadata=copyright", spec.Options{Metadata: spec.MetadataCopyright}},
		{"metadata=keep", spec.Options{Metadata: spec.MetadataKeep}},
		{"anim=false", spec.Options{Anim: ptr(false)}},
		{"anim=true", spec.Options{}}, // the default: nil
		// later items override earlier ones
		{"w=100,w=200", spec.Options{Width: 200}},
		{"flip=hv,flip=v", spec.Options{FlipV: true}},
		{"anim=false,anim=true", spec.Options{}},
		{"bg=ffffff,bg=000000", spec.Options{Background: &spec.Color{A: 0xff}}},
		{"w=800,h=600,fit=cover,g=face,f=auto,q=75", spec.Options{Width: 800, Height: 600, Fit: spec.FitCover, Gravity: grav(spec.GravityFace), Format: spec.FormatAuto, Quality: 75}},
		// limits: width*dpr and height*dpr up to MaxDimension
		{"w=4096,dpr=2", spec.Options{Width: 4096, DPR: 2}},
		{"h=2048,dpr=4", spec.Options{Height: 2048, DPR: 4}},
		// presets expand in place, later items override them
		{"thumb", spec.Options{Width: 200, Height: 200, Fit: spec.FitCover, Gravity: grav(spec.GravityAuto), Format: spec.FormatAuto}},
		{"thumb,f=webp", spec.Options{Width: 200, Height: 200, Fit: spec.FitCover, Gravity: grav(spec.GravityAuto), Format: spec.FormatWebP}},
		{"f=webp,thumb", spec.Options{Width: 200, Height: 200, Fit: spec.FitCover, Gravity: grav(spec.GravityAuto), Format: spec.FormatAuto}},
		{"soft", spec.Options{Blur: 5, Quality: 60}},
		{"soft,thumb", spec.Options{Width: 200, Height: 200, Fit: spec.FitCover, Gravity: grav(spec.GravityAuto), Format: spec.FormatAuto, Blur: 5, Quality: 60}},
		{"plain", spec.Options{}},
		// overriding one dimension of a preset that sets both keeps its aspect ratio
		{"hero", spec.Options{Width: 1600, Height: 900, Fit: spec.FitCover, Format: spec.FormatAuto}},
		{"hero,w=640", spec.Options{Width: 640, Height: 360, Fit: spec.FitCover, Format: spec.FormatAuto}},
		{"hero,width=320", spec.Options{Width: 320, Height: 180, Fit: spec.FitCover, Format: spec.FormatAuto}},
		{"hero,h=450", spec.Options{Width: 800, Height: 450, Fit: spec.FitCover, Format: spec.FormatAuto}},
		{"hero,w=100", spec.Options{Width: 100, Height: 56, Fit: spec.FitCover, Format: spec.FormatAuto}},    // 56.25 rounds down
		{"hero,w=1000", spec.Options{Width: 1000, Height: 563, Fit: spec.FitCover, Format: spec.FormatAuto}}, // 562.5 rounds up
		{"hero,w=640,h=640", spec.Options{Width: 640, Height: 640, Fit: spec.FitCover, Format: spec.FormatAuto}},
		{"hero,w=640,w=320", spec.Options{Width: 320, Height: 180, Fit: spec.FitCover, Format: spec.FormatAuto}},
		{"hero,w=640,dpr=2", spec.Options{Width: 640, Height: 360, DPR: 2, Fit: spec.FitCover, Format: spec.FormatAuto}},
		{"hero,narrow", spec.Options{Width: 300, Height: 169, Fit: spec.FitCover, Format: spec.FormatAuto}}, // a preset setting only width overrides too
		{"w=50,hero", spec.Options{Width: 1600, Height: 900, Fit: spec.FitCover, Format: spec.FormatAuto}},
		{"hero,thumb,w=100", spec.Options{Width: 100, Height: 100, Fit: spec.FitCover, Gravity: grav(spec.GravityAuto), Format: spec.FormatAuto}}, // the last preset's ratio
		{"narrow,h=50", spec.Options{Width: 300, Height: 50}},                                                                                     // narrow sets only width: nothing to keep
		{"avatar,w=32", spec.Options{Width: 32, Height: 32, DPR: 2, Fit: spec.FitCover, Gravity: grav(spec.GravityFace)}},
	}
	p := newParser(t, allowUnsigned)
	for _, tt := range tests {
		t.Run(tt.transform, func(t *testing.T) {
			path := "/_/" + tt.transform + "/photos/cat.jpg"
			req, err := p.Parse(path)
			if err != nil {
				t.Fatalf("Parse(%q): %v", path, err)
			}
			if want := tt.want.Normalize(); !reflect.DeepEqual(req.Options, want) {
				t.Fatalf("Parse(%q).Options =\n %+v\nwant\n %+v", path, req.Options, want)
			}
			if req.Key != "photos/cat.jpg" || req.Transform != tt.transform || req.Signature != "_" || req.Signed {
				t.Fatalf("Parse(%q) = %+v", path, req)
			}
			checkRoundTrip(t, p, req, "photos/cat.jpg")
		})
	}
}

func TestParseRecordsPreset(t *testing.T) {
	p := newParser(t, allowUnsigned)
	for transform, want := range map[string]string{"thumb": "thumb", "w=1,hero,thumb": "hero", "w=1": "", "_": ""} {
		req, err := p.Parse("/_/" + transform + "/k.jpg")
		if err != nil || req.Preset != want {
			t.Errorf("Parse(%q).Preset = %q, %v; want %q", transform, req.Preset, err, want)
		}
	}
}

// TestParseErrors: malformed transforms are 400s whose message names the
// offending item.
func TestParseErrors(t *testing.T) {
	tests := []struct{ transform, msg string }{
		{"", "empty transform (use _ for no options)"},
		{"wdth=3", `unknown option "wdth"`},
		{"W=3", `unknown option "W"`},
		{"=3", `unknown option ""`},
		{"foo", `unknown preset "foo"`},
		{"Thumb", `unknown preset "Thumb"`},
		{"w=1,,h=2", `transform "w=1,,h=2" has an empty item`},
		{"w=1,", `transform "w=1," has an empty item`},
		{",w=1", `transform ",w=1" has an empty item`},
		{"_,w=1", `transform "_,w=1": "_" (no options) must stand alone`},
		{"w=1,_", `transform "w=1,_": "_" (no options) must stand alone`},
		{"width=abc", `width: "abc" is not an integer`},
		{"w=", `width: "" is not an integer`},
		{"w=-1", `width: "-1" is not an integer`},
		{"w=+1", `width: "+1" is not an integer`},
		{"w=1.5", `width: "1.5" is not an integer`},
		{"w=1e3", `width: "1e3" is not an integer`},
		{"w= 1", `width: " 1" is not an integer`},
		{"w=1=2", `width: "1=2" is not an integer`},
		{"w=0", "width: 0 is out of range 1..8192"},
		{"w=8193", "width: 8193 is out of range 1..8192"},
		{"w=99999999999999999999999", "width: 99999999999999999999999 is out of range 1..8192"},
		{"h=0", "height: 0 is out of range 1..8192"},
		{"h=x", `height: "x" is not an integer`},
		{"fit=fill", `fit: "fill" is not one of scale-down, contain, cover, crop, pad, squeeze`},
		{"fit=", `fit: "" is not one of scale-down, contain, cover, crop, pad, squeeze`},
		{"g=middle", `gravity: "middle" is not one of center, top, bottom, left, right, top-left, top-right, bottom-left, bottom-right, auto, face, XxY`},
		{"g=1.5x0.2", "gravity: 1.5x0.2 is out of range: both fractions must be in 0..1"},
		{"g=0.5x2", "gravity: 0.5x2 is out of range: both fractions must be in 0..1"},
		{"g=0.5x", `gravity: "0.5x" is not a focal point XxY of two fractions like 0.5x0.33`},
		{"g=x0.5", `gravity: "x0.5" is not a focal point XxY of two fractions like 0.5x0.33`},
		{"g=-0.1x0.5", `gravity: "-0.1x0.5" is not a focal point XxY of two fractions like 0.5x0.33`},
		{"g=0.5x0.5x0.5", `gravity: "0.5x0.5x0.5" is not a focal point XxY of two fractions like 0.5x0.33`},
		{"g=.5x.5", `gravity: ".5x.5" is not a focal point XxY of two fractions like 0.5x0.33`},
		{"dpr=0", "dpr: 0 is out of range 1..4"},
		{"dpr=0.5", "dpr: 0.5 is out of range 1..4"},
		{"dpr=4.01", "dpr: 4.01 is out of range 1..4"},
		{"dpr=two", `dpr: "two" is not a decimal number`},
		{"dpr=1e0", `dpr: "1e0" is not a decimal number`},
		{"dpr=0x1p1", `dpr: "0x1p1" is not a decimal number`},
		{"dpr=NaN", `dpr: "NaN" is not a decimal number`},
		{"dpr=inf", `dpr: "inf" is not a decimal number`},
		{"dpr=2.", `dpr: "2." is not a decimal number`},
		{"dpr=.5", `dpr: ".5" is not a decimal number`},
		{"dpr=1..5", `dpr: "1..5" is not a decimal number`},
		{"q=0", "quality: 0 is out of range 1..100"},
		{"quality=101", "quality: 101 is out of range 1..100"},
		{"q=high", `quality: "high" is not an integer`},
		{"q=gif:50", `quality: "gif:50" names no format with a quality (avif, jpeg, png, webp)`},
		{"q=avif:0", "quality: 0 is out of range 1..100"},
		{"q=avif:x", `quality: "x" is not an integer`},
		{"q=avif:50;avif:60", `quality: "avif:50;avif:60" sets avif twice`},
		{"q=80;70", `quality: "80;70" sets the quality twice`},
		{"q=auto;80", `quality: "auto;80" sets the quality twice`},
		{"q=80;auto", `quality: "80;auto" sets the quality twice`},
		{"q=auto:best", `quality: "auto:best" is not auto, auto:low, auto:medium or auto:high`},
		{"q=avif:50;", `quality: "" is not an integer`},
		{"q=AVIF:50", `quality: "AVIF:50" names no format with a quality (avif, jpeg, png, webp)`},
		{"f=gif", `format: "gif" is not one of auto, avif, webp, jpeg, png, json`},
		{"f=JPEG", `format: "JPEG" is not one of auto, avif, webp, jpeg, png, json`},
		{"blur=251", "blur: 251 is out of range 0..250"},
		{"blur=-1", `blur: "-1" is not a decimal number`},
		{"sharpen=10.5", "sharpen: 10.5 is out of range 0..10"},
		{"sharpen=lots", `sharpen: "lots" is not a decimal number`},
		{"bg=fff", `background: "fff" is not a hex colour rrggbb or rrggbbaa`},
		{"bg=gggggg", `background: "gggggg" is not a hex colour rrggbb or rrggbbaa`},
		{"background=red", `background: "red" is not a hex colour rrggbb or rrggbbaa`},
		{"bg=ff00ff0", `background: "ff00ff0" is not a hex colour rrggbb or rrggbbaa`},
		{"rotate=45", `rotate: "45" is not one of 0, 90, 180, 270`},
		{"rotate=360", `rotate: "360" is not one of 0, 90, 180, 270`},
		{"rotate=-90", `rotate: "-90" is not one of 0, 90, 180, 270`},
		{"flip=x", `flip: "x" is not one of h, v, hv`},
		{"flip=vh", `flip: "vh" is not one of h, v, hv`},
		{"metadata=all", `metadata: "all" is not one of none, copyright, keep`},
		{"anim=yes", `anim: "yes" is not one of true, false`},
		{"anim=1", `anim: "1" is not one of true, false`},
		// the device-pixel limit, after presets and overrides
		{"w=4097,dpr=2", "4097x0 at dpr 2 is 8194x0 device px, over the limit of 8192"},
		{"w=3000,h=3000,dpr=3", "3000x3000 at dpr 3 is 9000x9000 device px, over the limit of 8192"},
		{"hero,h=8000", "14222x8000 at dpr 1 is 14222x8000 device px, over the limit of 8192"},
		{"thumb,dpr=4,w=4000", "4000x4000 at dpr 4 is 16000x16000 device px, over the limit of 8192"},
	}
	p := newParser(t, allowUnsigned)
	for _, tt := range tests {
		t.Run(tt.transform, func(t *testing.T) {
			_, err := p.Parse("/_/" + tt.transform + "/photos/cat.jpg")
			wantErr(t, err, fault.BadRequest, tt.msg)
		})
	}
}

func TestParseLimitsFromConfig(t *testing.T) {
	p := newParser(t, allowUnsigned, func(c *Config) { c.MaxDimension = 1000; c.MaxDPR = 2; c.Presets = nil })
	for transform, msg := range map[string]string{
		"w=1001":       "width: 1001 is out of range 1..1000",
		"dpr=2.5":      "dpr: 2.5 is out of range 1..2",
		"w=600,dpr=2":  "600x0 at dpr 2 is 1200x0 device px, over the limit of 1000",
		"h=501,dpr=2":  "0x501 at dpr 2 is 0x1002 device px, over the limit of 1000",
		"w=500,dpr=2x": `dpr: "2x" is not a decimal number`,
	} {
		_, err := p.Parse("/_/" + transform + "/k.jpg")
		wantErr(t, err, fault.BadRequest, msg)
	}
	if _, err := p.Parse("/_/w=500,dpr=2/k.jpg"); err != nil {
		t.Errorf("500 at dpr 2 is exactly the limit: %v", err)
	}
}

// TestParseKey: the source key is the rest of the path, percent-decoded,
// and refused (400) when it could escape, alias or confuse storage.
func TestParseKey(t *testing.T) {
	tests := []struct {
		key  string // escaped, as sent
		want string // decoded key; "" when msg is set
		msg  string
	}{
		{"cat.jpg", "cat.jpg", ""},
		{"photos/2024/cat.jpg", "photos/2024/cat.jpg", ""},
		{"name%20with%20spaces%20%26%20%C3%BC.jpg", "name with spaces & ü.jpg", ""},
		{"photos/na%C3%AFve%2Bplus+raw.jpg", "photos/naïve+plus+raw.jpg", ""},
		{"a%2Fb.jpg", "a/b.jpg", ""},
		{"%E6%97%A5%E6%9C%AC.png", "日本.png", ""},
		{"..hidden/x..y.jpg", "..hidden/x..y.jpg", ""},
		{"", "", "empty source key"},
		{"../etc/passwd", "", `source key: contains a ".." segment`},
		{"photos/../../etc/passwd", "", `source key: contains a ".." segment`},
		{"photos/..", "", `source key: contains a ".." segment`},
		{"%2e%2e/secret", "", `source key: contains a ".." segment`},
		{"photos/%2E%2E/x", "", `source key: contains a ".." segment`},
		{"photos%2F..%2Fx", "", `source key: contains a ".." segment`},
		{"./cat.jpg", "", `source key: contains a "." segment`},
		{"/etc/passwd", "", "source key: must not start with /"},
		{"%2Fetc/passwd", "", "source key: must not start with /"},
		{"photos//cat.jpg", "", "source key: contains an empty segment (// or a trailing /)"},
		{"photos/", "", "source key: contains an empty segment (// or a trailing /)"},
		{`photos\cat.jpg`, "", "source key: contains a backslash"},
		{"photos%5C..%5Ccat.jpg", "", "source key: contains a backslash"},
		{"cat%00.jpg", "", "source key: contains NUL or a control character"},
		{"cat%0A.jpg", "", "source key: contains NUL or a control character"},
		{"cat%1F.jpg", "", "source key: contains NUL or a control character"},
		{"cat%7F.jpg", "", "source key: contains NUL or a control character"},
		{"cat%C2%85.jpg", "", "source key: contains NUL or a control character"}, // U+0085, a C1 control
		{"cat%ff.jpg", "", "source key: not valid UTF-8"},
		{"cat%zz.jpg", "", "source key: invalid percent-encoding"},
		{"cat%2.jpg", "", "source key: invalid percent-encoding"},
		{"cat%", "", "source key: invalid percent-encoding"},
	}
	p := newParser(t, allowUnsigned)
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			req, err := p.Parse("/_/w=100/" + tt.key)
			if tt.msg != "" {
				wantErr(t, err, fault.BadRequest, tt.msg)
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if req.Key != tt.want {
				t.Fatalf("Key = %q, want %q", req.Key, tt.want)
			}
		})
	}
}

func TestParsePathShape(t *testing.T) {
	p := newParser(t, allowUnsigned)
	for _, path := range []string{"", "/", "_/w=1/k.jpg", "/_", "/_/", "/_/w=1", "/thumb"} {
		_, err := p.Parse(path)
		wantErr(t, err, fault.BadRequest, "path must be /{signature}/{transform}/{source-key}")
	}
}

// TestDPRGrid: dpr is rounded to the nearest DPRStep at parse time, signed
// or not, so distinct decimals for the same device pixels share one
// canonical form; the signature still covers the path exactly as sent.
func TestDPRGrid(t *testing.T) {
	tests := []struct {
		maxDPR    float64
		transform string
		want      float64
	}{
		{4, "dpr=1", 1},
		{4, "dpr=1.00001", 1},
		{4, "dpr=1.2499", 1},
		{4, "dpr=1.25", 1.5}, // halves round away from zero: a 1.25 screen gets the sharper step
		{4, "dpr=1.3", 1.5},
		{4, "dpr=1.7499", 1.5},
		{4, "dpr=2.625", 2.5},
		{4, "dpr=3.9", 4},
		{4, "thumb,dpr=3.99999", 4},
		{4, "avatar", 2},        // a preset's own dpr is on the grid too
		{2.75, "dpr=2.75", 2.5}, // off-grid max_dpr: the largest step within it
		{2.75, "dpr=2.6", 2.5},
		{1.2, "dpr=1.2", 1},
	}
	for _, tt := range tests {
		p := newParser(t, allowUnsigned, func(c *Config) {
			c.MaxDPR = tt.maxDPR
			if tt.maxDPR < 2 {
				delete(c.Presets, "avatar") // its dpr=2 is over this max_dpr
			}
		})
		req, err := p.Parse("/_/" + tt.transform + "/k.jpg")
		if err != nil {
			t.Errorf("max_dpr %v, %q: %v", tt.maxDPR, tt.transform, err)
			continue
		}
		if req.Options.DPR != tt.want {
			t.Errorf("max_dpr %v, %q: dpr %v, want %v", tt.maxDPR, tt.transform, req.Options.DPR, tt.want)
		}
	}

	// Signed with an off-grid dpr: verifies over the path as sent, and is
	// cached under the rounded canonical form.
	p := newParser(t)
	signed, err := p.Sign("/w=400,dpr=1.3/k.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(signed, "dpr=1.3/") {
		t.Fatalf("Sign rewrote the path: %s", signed)
	}
	req, err := p.Parse(signed)
	if err != nil || !req.Signed {
		t.Fatalf("Parse(%s) = %+v, %v", signed, req, err)
	}
	if got := req.Canonical(); got != "dpr=1.5,width=400" {
		t.Errorf("canonical %q, want dpr=1.5,width=400", got)
	}
}
