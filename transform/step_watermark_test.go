package transform

import (
	"math"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

func TestPlaceWatermark(t *testing.T) {
	logo := Info{Width: 500, Height: 250}
	br := spec.Gravity{Kind: spec.GravityBottomRight}
	tests := []struct {
		name   string
		cw, ch int
		w      spec.Watermark
		want   Rect
	}{
		{"own size, bottom-right", 1000, 800, spec.Watermark{Pos: br}, Rect{X: 500, Y: 550, Width: 500, Height: 250}},
		{"a quarter of the width", 1000, 800, spec.Watermark{Pos: br, Scale: 0.25}, Rect{X: 750, Y: 675, Width: 250, Height: 125}},
		{"shrunk to fit", 200, 50, spec.Watermark{Pos: br}, Rect{X: 100, Y: 0, Width: 100, Height: 50}},
		{"top-left", 1000, 800, spec.Watermark{Pos: spec.Gravity{Kind: spec.GravityTopLeft}, Scale: 0.1}, Rect{Width: 100, Height: 50}},
		{"centre", 1000, 800, spec.Watermark{Pos: spec.Gravity{Kind: spec.GravityCenter}, Scale: 0.1}, Rect{X: 450, Y: 375, Width: 100, Height: 50}},
		{"focal", 1000, 800, spec.Watermark{Pos: spec.Gravity{Kind: spec.GravityFocal, X: 0.1, Y: 0.5}, Scale: 0.2}, Rect{X: 80, Y: 350, Width: 200, Height: 100}},
		{"tiny output", 1, 1, spec.Watermark{Pos: br, Scale: 1}, Rect{Width: 1, Height: 1}},
	}
	for _, tt := range tests {
		if got := placeWatermark(logo, tt.cw, tt.ch, tt.w); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// regionDiff is the mean absolute difference of a and b inside r (first
// three bands).
func regionDiff(a, b decoded, r Rect) float64 {
	var sum float64
	for y := r.Y; y < r.Y+r.Height; y++ {
		for x := r.X; x < r.X+r.Width; x++ {
			pa, pb := a.at(x, y), b.at(x, y)
			for c := 0; c < 3; c++ {
				sum += math.Abs(float64(pa[c]) - float64(pb[c]))
			}
		}
	}
	return sum / float64(3*r.Width*r.Height)
}

// The corpus logo over a corpus photo: the pixels change inside the
// watermark's place only, less at half opacity; f=json says where.
func TestWatermarkCorpus(t *testing.T) {
	const photo = "orientation/landscape_exif_orientation_6.jpg" // 1600x1200 oriented
	logo := readCorpus(t, "formats/png_rgba_logo.png")           // 500x500, alpha
	r := testRenderer(t)
	render := func(o spec.Options) decoded {
		t.Helper()
		res, err := r.Render(t.Context(), Original{Data: readCorpus(t, photo), Watermark: logo}, o, "")
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		return decode(t, res.Body)
	}
	base := spec.Options{Width: 400, Format: spec.FormatPNG}
	plain := render(base)
	wm := func(pos spec.GravityKind, scale, opacity float64) spec.Options {
		o := base
		o.Watermark = &spec.Watermark{Key: "logo.png", Pos: spec.Gravity{Kind: pos}, Scale: scale, Opacity: opacity}
		return o
	}
	inner := func(r Rect) Rect { // the middle of the logo, where it is opaque
		return Rect{X: r.X + r.Width/4, Y: r.Y + r.Height/4, Width: r.Width / 2, Height: r.Height / 2}
	}
	br := Rect{X: 300, Y: 200, Width: 100, Height: 100}
	full := render(wm(spec.GravityBottomRight, 0.25, 0))
	if full.w != 400 || full.h != 300 || full.bands != 3 {
		t.Fatalf("%dx%d with %d bands, want 400x300 RGB", full.w, full.h, full.bands)
	}
	outside := Rect{Width: 300, Height: 300}
	if d := regionDiff(plain, full, outside); d != 0 {
		t.Errorf("outside the watermark: diff %.2f, want 0", d)
	}
	dFull := regionDiff(plain, full, inner(br))
	if dFull < 10 {
		t.Errorf("inside the watermark: diff %.2f, want a visible logo (>= 10)", dFull)
	}
	half := render(wm(spec.GravityBottomRight, 0.25, 0.5))
	if dHalf := regionDiff(plain, half, inner(br)); dHalf < dFull*0.3 || dHalf > dFull*0.7 {
		t.Errorf("opacity 0.5: diff %.2f, want about half of %.2f", dHalf, dFull)
	}
	tl := render(wm(spec.GravityTopLeft, 0.25, 0))
	if d := regionDiff(plain, tl, inner(Rect{Width: 100, Height: 100})); d < 10 {
		t.Errorf("top-left: diff %.2f there, want the logo", d)
	}
	if d := regionDiff(plain, tl, br); d != 0 {
		t.Errorf("top-left: diff %.2f at bottom-right, want 0", d)
	}

	o := wm(spec.GravityBottomRight, 0.25, 0)
	o.Format = spec.FormatJSON
	desc, err := r.Describe(t.Context(), Original{Data: readCorpus(t, photo), Watermark: logo}, o, "")
	if err != nil {
		t.Fatal(err)
	}
	if desc.Watermark == nil || *desc.Watermark != br {
		t.Errorf("f=json watermark %+v, want %+v", desc.Watermark, br)
	}

	// The watermark is a source like any other: the same formats and limits.
	small := DefaultConfig()
	small.MaxSourcePixels = 300_000 // the logo (250,000) fits as a source, the photo as a watermark does not
	sr, err := New(small)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sr.Render(t.Context(), Original{Data: readCorpus(t, "formats/png_rgba_logo.png"), Watermark: readCorpus(t, photo)}, wm(spec.GravityCenter, 0.5, 0), "")
	if fault.KindOf(err) != fault.TooLarge || !strings.HasPrefix(fault.Message(err), "watermark logo.png: ") {
		t.Errorf("watermark over the pixel limit: %v, want TooLarge", err)
	}
}

// Watermarks made in any colour space or depth the corpus has are drawn as
// 8-bit sRGB: the output stays 400x300 RGB and changes where they go.
func TestWatermarkCorpusFormats(t *testing.T) {
	const photo = "orientation/landscape_exif_orientation_6.jpg"
	r := testRenderer(t)
	base := spec.Options{Width: 400, Format: spec.FormatPNG}
	res, err := r.Render(t.Context(), Original{Data: readCorpus(t, photo)}, base, "")
	if err != nil {
		t.Fatal(err)
	}
	plain := decode(t, res.Body)
	for _, file := range []string{
		"formats/cmyk_swop_icc_sunglasses.jpg",
		"formats/grayscale_pier.jpg",
		"formats/png16_rgba_cup.png",
		"formats/webp_alpha_dice.webp",
		"formats/avif_10bit_alpha_cup_derived.avif",
		"formats/png_palette_pngsuite_basn3p08.png",
	} {
		o := base
		o.Watermark = &spec.Watermark{Key: file, Pos: spec.Gravity{Kind: spec.GravityCenter}, Scale: 0.5}
		res, err := r.Render(t.Context(), Original{Data: readCorpus(t, photo), Watermark: readCorpus(t, file)}, o, "")
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		d := decode(t, res.Body)
		if d.w != 400 || d.h != 300 || d.bands != 3 {
			t.Errorf("%s: %dx%d with %d bands, want 400x300 RGB", file, d.w, d.h, d.bands)
			continue
		}
		info, err := Probe(readCorpus(t, file), DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		at := placeWatermark(info, 400, 300, *o.Watermark)
		if diff := regionDiff(plain, d, at); diff == 0 {
			t.Errorf("%s: unchanged at %+v", file, at)
		}
		if diff := regionDiff(plain, d, Rect{Width: at.X, Height: 300}); diff != 0 {
			t.Errorf("%s: diff %.2f left of the watermark at %+v, want 0", file, diff, at)
		}
	}
}
