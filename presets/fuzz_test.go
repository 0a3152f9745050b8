package presets

import (
	"math"
	"reflect"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

var fuzzSeeds = []string{
	"/_/_/k.jpg",
	"/_/thumb/photos/cat.jpg",
	"/_/thumb,w=200,dpr=2/photos/cat.jpg",
	"/_/thumb,w=300/photos/cat.jpg",
	"/_/hero,w=640/photos/cat.jpg",
	"/_/hero,h=450,dpr=1.5/a/b/c.jpg",
	"/_/w=50,hero,thumb,w=100/k",
	"/_/soft,thumb/k",
	"/_/avatar,w=32/k",
	"/" + vecSig16 + vecPath,
	"/" + vecEscSig16 + vecEscPath,
	"/" + vecSig8 + vecPath,
	"/Nn3q0T8c1W0cG9l4Q5e9Aw/w=800,h=600,fit=cover,g=face,f=auto/photos/cat.jpg",
	"/_/w=800,h=600,fit=pad,g=0.5x0.33,dpr=2,q=80,f=webp,blur=1.5,sharpen=2,bg=ff880080,rotate=90,flip=hv,metadata=keep,anim=false/x.png",
	"/_/width=1,height=8192,fit=squeeze,gravity=bottom-right,quality=100,format=json,background=FFFFFF/x",
	"/_/g=0.5x0.5/x",
	"/_/g=1e-3x0.1/x",
	"/_/dpr=1.00000000000000000001/x",
	"/_/thumb,dpr=1.00001/x.jpg",
	"/_/thumb,dpr=1.25/x.jpg",
	"/_/thumb,dpr=3.999999999/x.jpg",
	"/_/w=4096,dpr=2.2/x",
	"/_/g=0.00000000000000000000000000000000000000000000000001x1/x",
	"/_/w=99999999999999999999/x",
	"/_/w=4097,dpr=2/x",
	"/_/w=1,,h=2/x",
	"/_/_,w=1/x",
	"/_//x",
	"/_/w=1/",
	"/_/w=1//x",
	"/_/w=1/../x",
	"/_/w=1/%2e%2e/x",
	"/_/w=1/a%5Cb",
	"/_/w=1/a%00b",
	"/_/w=1/a%C2%85b",
	"/_/w=1/a%ffb",
	"/_/w=1/a%zzb",
	"/_/w=1/name%20with%20spaces%20%26%20%C3%BC.jpg",
	"/_/wdth=1/x",
	"/_/nosuch/x",
	"//w=1/x",
	"/x/w=1/x",
	"/_/bg=%23ffffff/x",
	"",
	"/",
	"/_",
}

// FuzzParse: Parse never panics, fails only with 400 or 403, and whatever it
// accepts has a canonical form that parses back to the same Options, with
// dpr on the DPRStep grid (so unsigned decimals cannot mint variants). A path
// signed with Sign parses to what the unsigned-allowed parser gives.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	for _, r := range newOptionRows {
		f.Add("/_/" + r.transform + "/k.jpg")
	}
	for _, r := range newOptionErrors {
		f.Add("/_/" + r.transform + "/k.jpg")
	}
	for _, r := range cloudflareRows { // the Cloudflare route's translations
		f.Add(r.strict)
		f.Add(r.unsigned)
	}
	strict := newParser(f)
	open := newParser(f, allowUnsigned)
	f.Fuzz(func(t *testing.T, path string) {
		for _, p := range []*Parser{strict, open} {
			req, err := p.Parse(path)
			if err != nil {
				if k := fault.KindOf(err); k != fault.BadRequest && k != fault.Forbidden {
					t.Fatalf("Parse(%q): kind %v: %v", path, k, err)
				}
				continue
			}
			if d := req.Options.DPR; d < 1 || d > p.cfg.MaxDPR || d != math.Round(d/DPRStep)*DPRStep {
				t.Fatalf("Parse(%q): dpr %v is off the %v grid or out of 1..%v", path, d, DPRStep, p.cfg.MaxDPR)
			}
			_, _, escKey, _ := splitPath(path)
			checkRoundTrip(t, p, req, escKey)
		}

		_, transform, escKey, err := splitPath(path)
		if err != nil {
			return
		}
		body := "/" + transform + "/" + escKey
		want, wantErr := open.Parse("/_" + body)
		signed, err := strict.Sign(body)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("Sign(%q) error %v, but unsigned Parse error %v", body, err, wantErr)
		}
		if err != nil {
			if fault.KindOf(err) != fault.BadRequest {
				t.Fatalf("Sign(%q): kind %v: %v", body, fault.KindOf(err), err)
			}
			return
		}
		got, err := strict.Parse(signed)
		if err != nil || !got.Signed {
			t.Fatalf("Parse(Sign(%q)) = %+v, %v", body, got, err)
		}
		if !reflect.DeepEqual(got.Options, want.Options) {
			t.Fatalf("signed %q parses to %+v, unsigned to %+v", body, got.Options, want.Options)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	p := newParser(b)
	path, err := p.Sign("/w=800,h=600,fit=cover,g=face,q=80,f=webp/photos/2024/cat.jpg")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCanonical(b *testing.B) {
	p := newParser(b)
	path, _ := p.Sign("/w=800,h=600,fit=cover,g=face,q=80,f=webp/photos/2024/cat.jpg")
	b.ReportAllocs()
	for b.Loop() {
		req, _ := p.Parse(path)
		_ = req.Canonical()
	}
}

func BenchmarkSign(b *testing.B) {
	p := newParser(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Sign("/w=800,h=600,fit=cover,g=face,q=80,f=webp/photos/2024/cat.jpg"); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzApplyHints: whatever hints come with an accepted path, the hinted
// request stays within every limit, its dpr on the grid, and its canonical
// form round-trips (a hint never makes a request fail).
func FuzzApplyHints(f *testing.F) {
	f.Add("/_/thumb/k.jpg", 4.0, 9000, 0)
	f.Add("/_/hero/k.jpg", 2.6, 0, 3000)
	f.Add("/_/w=2560,f=webp/k", 4.0, 0, 0)
	f.Add("/_/h=8192/k", 3.0, 100000, 5)
	p := newParser(f, allowUnsigned)
	f.Fuzz(func(t *testing.T, path string, dpr float64, width, vw int) {
		req, err := p.Parse(path)
		if err != nil {
			return
		}
		// As the server reads them: positive, finite, at most 100000.
		clamp := func(v float64) float64 {
			if !(v > 0 && v <= 100_000) {
				return 0
			}
			return v
		}
		h := Hints{DPR: clamp(dpr), Width: int(clamp(float64(width))), ViewportWidth: int(clamp(float64(vw)))}
		got, _ := p.ApplyHints(req, h, DefaultLadder)
		o, lim := got.Options, p.cfg.MaxDimension
		if o.TargetWidth() > lim || o.TargetHeight() > lim || o.DPR < 1 || o.DPR > p.cfg.MaxDPR || o.DPR != math.Round(o.DPR/DPRStep)*DPRStep {
			t.Fatalf("ApplyHints(%q, %+v) = %dx%d at dpr %v: off the grid or over the limits", path, h, o.Width, o.Height, o.DPR)
		}
		_, _, escKey, _ := splitPath(path)
		checkRoundTrip(t, p, got, escKey)
	})
}
