package transform

import (
	"math"
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

// TestAdjustPixels: each output pixel is the function of the plain
// render's pixel that the factors define (Cloudflare's semantics: 1 is no
// change, brightness 0.5 is half as bright, gamma 2 lightens, contrast
// 0.5 flattens about mid-grey), on corpus photos, with alpha untouched.
func TestAdjustPixels(t *testing.T) {
	for _, rel := range []string{"photos/object_colorful_cups_progressive.jpg", "formats/png_rgba_logo.png", "formats/grayscale_pier.jpg"} {
		base := spec.Options{Width: 200, Format: spec.FormatPNG}
		_, plain := renderDecoded(t, rel, base, "")
		for _, tt := range []struct {
			name string
			o    spec.Options
			f    func(float64) float64
		}{
			{"brightness=0.5", spec.Options{Brightness: 0.5}, func(v float64) float64 { return v / 2 }},
			{"brightness=2", spec.Options{Brightness: 2}, func(v float64) float64 { return min(255, 2*v) }},
			{"contrast=0.5", spec.Options{Contrast: 0.5}, func(v float64) float64 { return (v-127.5)/2 + 127.5 }},
			{"gamma=2", spec.Options{Gamma: 2}, func(v float64) float64 { return 255 * math.Sqrt(v/255) }},
			{"gamma=0.5", spec.Options{Gamma: 0.5}, func(v float64) float64 { return 255 * (v / 255) * (v / 255) }},
			{"all three", spec.Options{Brightness: 0.8, Contrast: 1.5, Gamma: 1.2}, func(v float64) float64 {
				v = min(max((v*0.8-127.5)*1.5+127.5, 0), 255)
				return 255 * math.Pow(v/255, 1/1.2)
			}},
		} {
			o := tt.o
			o.Width, o.Format = base.Width, base.Format
			_, got := renderDecoded(t, rel, o, "")
			if got.w != plain.w || got.h != plain.h || got.bands != plain.bands {
				t.Fatalf("%s %s: %dx%dx%d, plain %dx%dx%d", rel, tt.name, got.w, got.h, got.bands, plain.w, plain.h, plain.bands)
			}
			colour := plain.bands
			if plain.img.HasAlpha() {
				colour--
			}
			worst := 0.0
			for i, v := range plain.pix {
				want := float64(v)
				if i%plain.bands < colour {
					want = tt.f(want)
				}
				worst = max(worst, math.Abs(float64(got.pix[i])-want))
			}
			if worst > 1 {
				t.Errorf("%s %s: a channel is %.0f off the factor's function of the plain pixel", rel, tt.name, worst)
			}
		}
	}
}

// TestSaturation: 0 is greyscale with the same lightness; 2 is more
// colourful; alpha is kept.
func TestSaturation(t *testing.T) {
	const rel = "photos/object_colorful_cups_progressive.jpg"
	base := spec.Options{Width: 200, Format: spec.FormatPNG}
	_, plain := renderDecoded(t, rel, base, "")
	grey, more := base, base
	zero, two := 0.0, 2.0
	grey.Saturation, more.Saturation = &zero, &two
	_, g := renderDecoded(t, rel, grey, "")
	_, m := renderDecoded(t, rel, more, "")
	chroma := func(d decoded) float64 {
		var sum float64
		for i := 0; i+2 < len(d.pix); i += d.bands {
			r, gg, b := float64(d.pix[i]), float64(d.pix[i+1]), float64(d.pix[i+2])
			sum += max(r, gg, b) - min(r, gg, b)
		}
		return sum / float64(d.w*d.h)
	}
	luma := func(d decoded) float64 {
		m := regionMean(d, 0, 0, d.w, d.h)
		return 0.2126*m[0] + 0.7152*m[1] + 0.0722*m[2]
	}
	cp, cg, cm := chroma(plain), chroma(g), chroma(m)
	t.Logf("mean chroma (max-min of RGB): plain %.1f, saturation=0 %.1f, saturation=2 %.1f", cp, cg, cm)
	if cg > 1.5 {
		t.Errorf("saturation=0 is not grey: mean chroma %.1f", cg)
	}
	if cm < cp*1.4 {
		t.Errorf("saturation=2 raised chroma only from %.1f to %.1f", cp, cm)
	}
	if d := math.Abs(luma(g) - luma(plain)); d > 6 {
		t.Errorf("saturation=0 moved the mean luma by %.1f", d)
	}
	// Alpha survives.
	_, pa := renderDecoded(t, "formats/png_rgba_logo.png", base, "")
	o := base
	o.Saturation = &zero
	_, ga := renderDecoded(t, "formats/png_rgba_logo.png", o, "")
	if ga.bands != 4 {
		t.Fatalf("saturation=0 of an RGBA logo has %d bands", ga.bands)
	}
	for i := 3; i < len(pa.pix); i += 4 {
		if pa.pix[i] != ga.pix[i] {
			t.Fatalf("alpha changed at byte %d: %d -> %d", i, pa.pix[i], ga.pix[i])
		}
	}
}

// TestAdjustAnimation: the adjustments keep every frame of an animation.
func TestAdjustAnimation(t *testing.T) {
	const rel = "formats/gif_animated_banana.gif"
	plainRes, plain := renderDecoded(t, rel, spec.Options{Format: spec.FormatWebP}, "")
	half := 0.5
	res, got := renderDecoded(t, rel, spec.Options{Format: spec.FormatWebP, Brightness: 0.5, Saturation: &half}, "")
	if got.frames != plain.frames || got.frames < 2 || res.Width != plainRes.Width || res.Height != plainRes.Height {
		t.Errorf("adjusted animation: %d frames %dx%d, plain %d frames %dx%d", got.frames, res.Width, res.Height, plain.frames, plainRes.Width, plainRes.Height)
	}
}
