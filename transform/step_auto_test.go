package transform

import (
	"bytes"
	"context"
	stdimage "image"
	"image/color"
	"image/png"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/transform/spec"
)

// contentSVG are flat and smooth images for TestAutoQualitySmoothBelowDetailed,
// kin to bench/quality's synthetic images.
var contentSVG = map[string]string{
	// Black text on white.
	"text": `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><rect width="640" height="400" fill="#fff"/>` +
		`<text x="20" y="60" font-family="DejaVu Serif" font-size="44">Bytes per look</text>` +
		`<text x="20" y="120" font-family="DejaVu Sans" font-size="20">the quick brown fox jumps over the lazy dog</text>` +
		`<text x="20" y="160" font-family="DejaVu Sans" font-size="16">pixmill resizes images for every browser at fewer bytes</text></svg>`,
	// A dusk sky: a vertical gradient, a glow, a soft dark hill.
	"gradient": `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><defs>` +
		`<linearGradient id="s" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#0b1d51"/><stop offset="0.6" stop-color="#e07a5f"/><stop offset="1" stop-color="#f2cc8f"/></linearGradient>` +
		`<radialGradient id="g" cx="0.5" cy="0.5" r="0.5"><stop offset="0" stop-color="#fff6d5"/><stop offset="1" stop-color="#fff6d5" stop-opacity="0"/></radialGradient>` +
		`<filter id="b"><feGaussianBlur stdDeviation="16"/></filter></defs>` +
		`<rect width="640" height="400" fill="url(#s)"/><circle cx="440" cy="256" r="128" fill="url(#g)"/>` +
		`<path d="M0 340 Q 160 304 320 336 T 640 328 V 400 H 0 Z" fill="#3d405b" filter="url(#b)"/></svg>`,
}

// svgToPNG rasterises svg with libvips (SVG is not a default input).
func svgToPNG(t *testing.T, svg string) []byte {
	t.Helper()
	img, err := vips.NewImageFromBuffer([]byte(svg))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
		t.Fatal(err)
	}
	body, _, err := img.ExportPng(&vips.PngExportParams{Compression: 1})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestAutoQualitySmoothBelowDetailed: q=auto keeps a lower quality for a
// flat or smooth image than for a detailed photo, in every lossy format,
// and what it keeps meets the format's threshold. Which image is "smooth"
// is butteraugli's call, per format, as measured on bench/quality's set
// at 800 px (docs/benchmarks/quality-metric-variants.md): text needs WebP
// and AVIF q45 where forest_path needs q80 and q65; a dusk gradient needs
// JPEG q65 where forest_path needs q85. A blurred photo, the earlier
// test's smooth image, needs more, not less, in butteraugli's terms (with
// nothing to mask them its errors show: at 320 px WebP q85 scores 0.95
// on the blurred forest_path, 0.84 on the sharp one), and q=auto's
// distance now follows butteraugli there.
func TestAutoQualitySmoothBelowDetailed(t *testing.T) {
	for _, tc := range []struct {
		f      spec.Format
		smooth string
	}{{spec.FormatJPEG, "gradient"}, {spec.FormatWebP, "text"}, {spec.FormatAVIF, "text"}} {
		t.Run(string(tc.f)+"/"+tc.smooth, func(t *testing.T) {
			opts := spec.Options{Width: 320, Format: tc.f, QualityAuto: spec.AutoMedium}
			detailed := renderFile(t, "photos/forest_path.jpg", opts, "")
			smooth, err := testRenderer(t).Render(context.Background(), Original{Data: svgToPNG(t, contentSVG[tc.smooth])}, opts, "")
			if err != nil {
				t.Fatal(err)
			}
			for name, r := range map[string]Result{"detailed": detailed, "smooth": smooth} {
				a := r.Auto
				if a == nil {
					t.Fatalf("%s: no q=auto report", name)
				}
				if !a.Met || a.Distance > a.Target || a.Quality != r.Quality || a.Target != autoThreshold(spec.AutoMedium, tc.f) {
					t.Errorf("%s: %+v (result quality %d): want the format's threshold met at the kept quality", name, *a, r.Quality)
				}
			}
			t.Logf("detailed %+v, smooth %+v", *detailed.Auto, *smooth.Auto)
			if smooth.Quality >= detailed.Quality {
				t.Errorf("smooth kept q%d, detailed q%d: want the smooth one lower", smooth.Quality, detailed.Quality)
			}
		})
	}
}

// TestAutoQualityEncodeBound: the search never encodes more than
// quality.max_encodes times, and a format's own override skips it.
func TestAutoQualityEncodeBound(t *testing.T) {
	for _, maxN := range []int{1, 2, 4} {
		cfg := DefaultConfig()
		cfg.AutoMaxEncodes = maxN
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, level := range []spec.AutoLevel{spec.AutoLow, spec.AutoHigh} {
			for _, rel := range []string{"photos/forest_path.jpg", "photos/object_lily_plain_bg_512.jpg"} {
				opts := spec.Options{Width: 256, Format: spec.FormatWebP, QualityAuto: level}
				res, err := r.Render(context.Background(), Original{Data: readCorpus(t, rel)}, opts, "")
				if err != nil {
					t.Fatal(err)
				}
				if res.Auto == nil || res.Auto.Encodes < 1 || res.Auto.Encodes > maxN {
					t.Errorf("max %d, %s %s: %+v", maxN, level, rel, res.Auto)
				}
			}
		}
	}
	res := renderFile(t, "photos/forest_path.jpg", spec.Options{Width: 256, Format: spec.FormatAVIF, QualityAuto: spec.AutoMedium, QualityFor: spec.FormatQualities{AVIF: 50}}, "")
	if res.Auto != nil || res.Quality != 50 {
		t.Errorf("avif:50 with q=auto: quality %d, auto %+v; want 50 and no search", res.Quality, res.Auto)
	}
}

// TestAutoQualityDescribed: f=json with q=auto renders to report the
// choice, the same one a render makes.
func TestAutoQualityDescribed(t *testing.T) {
	buf := readCorpus(t, "photos/forest_path.jpg")
	opts := spec.Options{Width: 200, Format: spec.FormatJSON, QualityAuto: spec.AutoLow}
	d, err := testRenderer(t).Describe(t.Context(), Original{Data: buf}, opts, "")
	if err != nil {
		t.Fatal(err)
	}
	opts.Format = spec.FormatJPEG
	res := renderFile(t, "photos/forest_path.jpg", opts, "")
	if d.QualityAuto == nil || res.Auto == nil || *d.QualityAuto != *res.Auto {
		t.Fatalf("described %+v, rendered %+v", d.QualityAuto, res.Auto)
	}
}

// stripesPNG is 1 px columns of saturated red and blue: 4:2:0 chroma (every
// lossy WebP, AVIF below its full-chroma mode) averages each pair to
// purple, so no quality on the lossy scale comes near the look.
func stripesPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	m := stdimage.NewRGBA(stdimage.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 230, G: 20, B: 40, A: 255}
			if x%2 == 1 {
				c = color.RGBA{R: 20, G: 40, B: 220, A: 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAutoQualityFidelityMode: an image no lossy WebP quality brings
// under the threshold gets lossless WebP when the encode bound leaves room
// for it, meets the threshold with it, and says so; with no room left it
// gets the best lossy try and met false. JPEG, which has no such mode,
// serves its best lossy try.
func TestAutoQualityFidelityMode(t *testing.T) {
	src := stripesPNG(t, 240, 160)
	for _, tc := range []struct {
		f    spec.Format
		mode string
	}{{spec.FormatWebP, "lossless"}} {
		t.Run(string(tc.f), func(t *testing.T) {
			res, err := testRenderer(t).Render(context.Background(), Original{Data: src}, spec.Options{Format: tc.f, QualityAuto: spec.AutoMedium}, "")
			if err != nil {
				t.Fatal(err)
			}
			a := res.Auto
			if a == nil || a.Mode != tc.mode || !a.Met || a.Distance > a.Target || a.Encodes > DefaultConfig().AutoMaxEncodes {
				t.Fatalf("%+v: want mode %s, the threshold met, within the bound", a, tc.mode)
			}
			// What is served is that mode, not a lossy try: the lossy
			// encode at the same quality is far from the threshold.
			img, err := vips.NewImageFromBuffer(src)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			lossy, err := EncodeLossy(img, tc.f, min(a.Quality, 100), DefaultConfig().Knobs(), true)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Distance(img, lossy)
			if err != nil {
				t.Fatal(err)
			}
			if d <= a.Target {
				t.Fatalf("lossy %s q%d already meets the threshold (%.3f ≤ %.3f): the image tests nothing", tc.f, a.Quality, d, a.Target)
			}
			if served, err := Distance(img, res.Body); err != nil || served != a.Distance {
				t.Errorf("served body's distance %.3f (%v), reported %.3f", served, err, a.Distance)
			}
			// metadata=none (the default) strips lossless WebP too: libvips
			// writes an EXIF chunk unless stripWebPMetadata removes it.
			if bytes.Contains(res.Body, []byte("EXIF")) {
				t.Error("the lossless body carries an EXIF chunk")
			}
		})
	}
	cfg := DefaultConfig()
	cfg.AutoMaxEncodes = 1
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(context.Background(), Original{Data: src}, spec.Options{Format: spec.FormatWebP, QualityAuto: spec.AutoMedium}, "")
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Auto; a == nil || a.Encodes != 1 || a.Mode != "" || a.Met {
		t.Errorf("max_encodes 1: %+v; want the one lossy try, unmet", a)
	}
	jpeg, err := testRenderer(t).Render(context.Background(), Original{Data: src}, spec.Options{Format: spec.FormatJPEG, QualityAuto: spec.AutoMedium}, "")
	if err != nil {
		t.Fatal(err)
	}
	if a := jpeg.Auto; a == nil || a.Mode != "" || sniffOutput(jpeg.Body) != spec.FormatJPEG {
		t.Errorf("jpeg: %+v; want a lossy JPEG", a)
	}
}

// TestFlatShare: what decides whether lossless WebP is worth an encode.
func TestFlatShare(t *testing.T) {
	testRenderer(t)
	photo, err := vips.NewThumbnailWithSizeFromBuffer(readCorpus(t, "photos/forest_path.jpg"), 400, 400, vips.InterestingNone, vips.SizeDown)
	if err != nil {
		t.Fatal(err)
	}
	defer photo.Close()
	if err := copyToMemory(photo); err != nil { // read twice below, as the search reads it
		t.Fatal(err)
	}
	load := func(b []byte) *vips.ImageRef {
		img, err := vips.NewImageFromBuffer(b)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(img.Close)
		return img
	}
	for _, tc := range []struct {
		name   string
		img    *vips.ImageRef
		lo, hi float64
	}{
		{"photo", photo, 0, 0.2},
		{"text on white", load(svgToPNG(t, contentSVG["text"])), fidelityFlatShare, 1},
		{"stripes", load(stripesPNG(t, 64, 32)), 0.99, 1},
	} {
		px, err := rawPixelsOf(tc.img)
		if err != nil {
			t.Fatal(err)
		}
		if got := px.flatShare(); got < tc.lo || got > tc.hi {
			t.Errorf("%s: flat share %.3f, want %.2f..%.2f", tc.name, got, tc.lo, tc.hi)
		}
	}
	// Few colours: the stripes (2) and text on white (grey levels) yes, a
	// smooth gradient and a photo no.
	for _, tc := range []struct {
		name string
		img  *vips.ImageRef
		want bool
	}{
		{"stripes", load(stripesPNG(t, 64, 32)), true},
		{"text on white", load(svgToPNG(t, contentSVG["text"])), true},
		{"gradient", load(svgToPNG(t, contentSVG["gradient"])), false},
		{"photo", photo, false},
	} {
		px, err := rawPixelsOf(tc.img)
		if err != nil {
			t.Fatal(err)
		}
		if got := px.coloursAtMost(fidelityFewColours); got != tc.want {
			t.Errorf("%s: at most %d colours = %v, want %v", tc.name, fidelityFewColours, got, tc.want)
		}
	}
}
