package presets

import (
	"reflect"
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

// checkRoundTrip asserts the canonical property: "/_/"+Canonical()+"/"+key
// parses (unsigned allowed, same limits) to the same Options, and its own
// canonical string is the same.
func checkRoundTrip(t testing.TB, p *Parser, req Request, escKey string) {
	t.Helper()
	rp := *p
	rp.cfg.AllowUnsigned = true
	c := req.Canonical()
	again, err := rp.Parse("/_/" + c + "/" + escKey)
	if err != nil {
		t.Fatalf("canonical %q of %q does not parse: %v", c, req.Transform, err)
	}
	if !reflect.DeepEqual(again.Options, req.Options) {
		t.Fatalf("canonical %q of %q parses to\n %+v\nwant\n %+v", c, req.Transform, again.Options, req.Options)
	}
	if c2 := again.Canonical(); c2 != c {
		t.Fatalf("canonical of canonical %q is %q", c, c2)
	}
}

// TestCanonical: every transform in a row means the same thing, so each
// has the canonical string want.
func TestCanonical(t *testing.T) {
	tests := []struct {
		want       string
		transforms []string
	}{
		{"_", []string{"_", "dpr=1", "fit=scale-down", "g=center", "gravity=0.5x0.5", "metadata=none", "anim=true", "blur=0", "sharpen=0", "rotate=0", "plain",
			"dpr=1.0,fit=scale-down,g=center,metadata=none,anim=true,blur=0.0,sharpen=0,rotate=0"}},
		{"quality=80,width=400", []string{"w=400,q=80", "quality=80,width=400", "q=80,w=400", "w=100,q=80,w=400", "w=0400,q=080", "w=400,q=80,dpr=1,fit=scale-down"}},
		{"dpr=2", []string{"dpr=2", "dpr=2.0", "dpr=2.000", "dpr=02"}},
		// zoom is g=face's (Cloudflare's meaning); elsewhere it means nothing.
		{"gravity=face,zoom=0.5", []string{"g=face,zoom=0.5", "zoom=0.50,gravity=face", "gravity=face,zoom=0.500"}},
		{"gravity=face", []string{"g=face", "g=face,zoom=0", "g=face,zoom=0.0"}},
		{"gravity=auto", []string{"g=auto,zoom=1", "g=auto"}},
		{"width=10", []string{"w=10,zoom=0.3"}},
		// Per-format qualities: the scale's first, then by format name.
		{"quality=80;avif:50;webp:70", []string{"q=webp:70;avif:50;80", "q=80;avif:050;webp:70", "quality=avif:50;webp:70;80", "q=90,q=80;webp:70;avif:50"}},
		{"quality=avif:50;jpeg:85", []string{"q=jpeg:85;avif:50", "q=80,q=avif:50;jpeg:85"}},
		{"quality=auto", []string{"q=auto", "q=auto:medium", "q=80,q=auto"}},
		{"quality=auto:high;webp:70", []string{"q=webp:70;auto:high", "quality=auto:high;webp:70"}},
		{"dpr=1.5", []string{"dpr=1.5", "dpr=1.50", "dpr=01.5", "dpr=1.25", "dpr=1.3", "dpr=1.74", "dpr=1.50000000000001"}},
		// dpr is rounded to the nearest half: equal device pixels, one form.
		{"_", []string{"dpr=1.00001", "dpr=1.2", "dpr=1.2499"}},
		{"dpr=2", []string{"dpr=1.75", "dpr=2.2"}},
		{"dpr=4", []string{"dpr=3.75", "dpr=3.99999"}},
		{"background=ff8800", []string{"bg=ff8800", "bg=FF8800", "bg=ff8800ff", "background=Ff8800FF"}},
		{"background=ff880080", []string{"bg=ff880080", "bg=FF880080"}},
		{"gravity=0.25x0.75", []string{"g=0.25x0.75", "gravity=0.250x0.7500", "g=top,g=0.25x0.75"}},
		{"gravity=0x1", []string{"g=0x1", "g=0.0x1.0", "g=0.000x1"}},
		{"anim=false", []string{"anim=false", "anim=true,anim=false"}},
		{"flip=hv", []string{"flip=hv", "flip=h,flip=hv"}},
		{"blur=0.5,sharpen=2", []string{"blur=0.5,sharpen=2", "sharpen=2.0,blur=0.50", "blur=1,sharpen=2,blur=0.5"}},
		{"fit=cover,format=auto,gravity=auto,height=200,width=200", []string{"thumb", "w=200,h=200,fit=cover,g=auto,f=auto", "f=auto,g=auto,fit=cover,h=200,w=200", "thumb,w=200"}},
		{"fit=cover,format=auto,height=360,width=640", []string{"hero,w=640", "hero,h=360", "w=640,h=360,fit=cover,f=auto", "hero,w=320,w=640"}},
		{"blur=5,quality=60", []string{"soft", "blur=5,q=60", "q=60,blur=5.0"}},
		{"anim=false,background=000000,blur=1,dpr=3,fit=pad,flip=v,format=png,gravity=face,height=2,metadata=keep,quality=9,rotate=90,sharpen=1,width=1",
			[]string{"w=1,h=2,fit=pad,g=face,dpr=3,q=9,f=png,blur=1,sharpen=1,bg=000000,rotate=90,flip=v,metadata=keep,anim=false"}},
	}
	p := newParser(t, allowUnsigned)
	for _, tt := range tests {
		for _, tr := range tt.transforms {
			req, err := p.Parse("/_/" + tr + "/photos/cat.jpg")
			if err != nil {
				t.Errorf("Parse(%q): %v", tr, err)
				continue
			}
			if got := req.Canonical(); got != tt.want {
				t.Errorf("Canonical(%q) = %q, want %q", tr, got, tt.want)
			}
			checkRoundTrip(t, p, req, "photos/cat.jpg")
		}
	}
}

// TestCanonicalDistinct: different meanings must not share a canonical
// string (a cache key collision would serve the wrong image).
func TestCanonicalDistinct(t *testing.T) {
	pairs := [][2]string{
		{"_", "f=auto"},              // unset keeps the source format; auto negotiates
		{"_", "bg=ffffff"},           // unset background differs from white for pad
		{"_", "g=0.5x0.33"},          // focal point
		{"w=400", "h=400"},           // width vs height
		{"w=400", "w=400,dpr=2"},     // dpr
		{"flip=h", "flip=v"},         // axes
		{"g=auto", "g=face"},         // smart crops
		{"bg=ffffff", "bg=ffffff00"}, // alpha
		{"dpr=1.5", "dpr=2"},         // dpr steps stay distinct
	}
	p := newParser(t, allowUnsigned)
	for _, pair := range pairs {
		a, errA := p.Parse("/_/" + pair[0] + "/k.jpg")
		b, errB := p.Parse("/_/" + pair[1] + "/k.jpg")
		if errA != nil || errB != nil {
			t.Fatalf("Parse: %v / %v", errA, errB)
		}
		if a.Canonical() == b.Canonical() {
			t.Errorf("%q and %q share canonical %q", pair[0], pair[1], a.Canonical())
		}
	}
}

// TestCanonicalOfHandBuiltOptions: Canonical normalizes what it is given, so
// a Request built by hand (not by Parse) canonicalizes too.
func TestCanonicalOfHandBuiltOptions(t *testing.T) {
	tests := []struct {
		opts spec.Options
		want string
	}{
		{spec.Options{}, "_"},
		{spec.Options{DPR: 1, Fit: spec.FitScaleDown, Anim: ptr(true)}, "_"},
		{spec.Options{Width: 10, Gravity: spec.Gravity{Kind: spec.GravityTop, X: 0.3}}, "gravity=top,width=10"},
		{spec.Options{Gravity: spec.Gravity{Kind: spec.GravityFocal, X: 0.5, Y: 0.5}}, "_"},
		{spec.Options{Background: &spec.Color{R: 1, G: 2, B: 3, A: 4}}, "background=01020304"},
	}
	for _, tt := range tests {
		if got := (Request{Options: tt.opts}).Canonical(); got != tt.want {
			t.Errorf("Canonical(%+v) = %q, want %q", tt.opts, got, tt.want)
		}
	}
}
