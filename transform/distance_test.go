package transform

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/transform/spec"
)

// rgbImage is a w×h 8-bit sRGB image in libvips from px(x, y).
func rgbImage(t testing.TB, w, h int, px func(x, y int) (r, g, b float64)) *vips.ImageRef {
	t.Helper()
	img, err := vips.NewImageFromBuffer(pngOf(t, w, h, px))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(img.Close)
	if img.Bands() != 3 {
		t.Fatalf("test image has %d bands, want 3 (Go writes an opaque PNG as RGB)", img.Bands())
	}
	return img
}

// pngOf is a w×h opaque PNG from px(x, y), written by Go's encoder.
func pngOf(t testing.TB, w, h int, px func(x, y int) (r, g, b float64)) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			r, g, b := px(x, y)
			m.SetNRGBA(x, y, color.NRGBA{clamp8(r), clamp8(g), clamp8(b), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func clamp8(v float64) byte { return byte(math.Round(min(max(v, 0), 255))) }

// losslessPNG is img as a PNG: distanceTo measures exactly these pixels.
func losslessPNG(t testing.TB, img *vips.ImageRef) []byte {
	t.Helper()
	body, _, err := img.ExportPng(&vips.PngExportParams{Compression: 1})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// distanceOf is the distance of dist's pixels to ref's.
func distanceOf(t testing.TB, ref, dist *vips.ImageRef) float64 {
	t.Helper()
	d, err := Distance(ref, losslessPNG(t, dist))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDistanceIdenticalIsZero: the same pixels measure 0, whatever they
// are.
func TestDistanceIdenticalIsZero(t *testing.T) {
	for _, tc := range []struct {
		name string
		px   func(x, y int) (r, g, b float64)
	}{
		{"flat", func(x, y int) (float64, float64, float64) { return 90, 140, 200 }},
		{"gradient", func(x, y int) (float64, float64, float64) { return float64(x) / 2, 100, 255 - float64(y) }},
		{"noise", func(x, y int) (float64, float64, float64) {
			v := float64((x*7919 + y*104729) % 251)
			return v, 255 - v, v / 2
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := rgbImage(t, 256, 160, tc.px)
			if d := distanceOf(t, img, img); d != 0 {
				t.Errorf("distance %.4f to itself, want 0", d)
			}
		})
	}
}

// TestDistanceSeesBanding: on a smooth gradient, posterising (bands of 6
// levels, as a coarse quantiser leaves) scores clearly worse than fine
// random dither of the same PSNR, as butteraugli scores them
// (butteraugli_main: 2.231 against 1.275, 3-norm, 1.75×).
func TestDistanceSeesBanding(t *testing.T) {
	const w, h = 512, 320
	grad := func(x, y int) float64 { return 40 + 160*float64(x)/w + 20*float64(y)/h }
	ref := rgbImage(t, w, h, func(x, y int) (float64, float64, float64) {
		v := grad(x, y)
		return v, v * 0.9, v * 0.7
	})
	const step = 6.0
	bands := rgbImage(t, w, h, func(x, y int) (float64, float64, float64) {
		v := step * math.Round(grad(x, y)/step)
		return v, v * 0.9, v * 0.7
	})
	rng := rand.New(rand.NewPCG(1, 2))
	// Uniform noise of ±step/2 has the same mean square error as
	// rounding to steps of step.
	dither := rgbImage(t, w, h, func(x, y int) (float64, float64, float64) {
		v := grad(x, y) + (rng.Float64()-0.5)*step
		return v, v * 0.9, v * 0.7
	})
	refPx, err := ref.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	pb, pd := psnr(t, refPx, losslessPNG(t, bands)), psnr(t, refPx, losslessPNG(t, dither))
	if math.Abs(pb-pd) > 1.5 {
		t.Fatalf("PSNR banded %.2f dB, dithered %.2f dB: the test wants them within 1.5 dB", pb, pd)
	}
	db, dd := distanceOf(t, ref, bands), distanceOf(t, ref, dither)
	t.Logf("banded %.3f (PSNR %.1f dB), dithered %.3f (PSNR %.1f dB)", db, pb, dd, pd)
	if db < 1.3*dd {
		t.Errorf("banded %.3f, dithered %.3f: want banding at least 1.3× the dither's distance", db, dd)
	}
}

// TestDistanceSeesRingingByFlatEdge: the same ripple scores far more in
// the flat area next to a sharp edge (where JPEG's and AVIF's ringing
// shows) than inside texture (where it hides). butteraugli_main scores
// these two images 0.847 and 0.484 (3-norm), 1.75×.
func TestDistanceSeesRingingByFlatEdge(t *testing.T) {
	const w, h = 512, 256
	rng := rand.New(rand.NewPCG(3, 4))
	texture := make([]float64, w*h)
	for i := range texture {
		texture[i] = (rng.Float64() - 0.5) * 80
	}
	// Left half: flat light grey with a dark bar from x=120 to 136; right
	// half: texture around the same grey with the same bar at 376..392.
	base := func(x, y int) float64 {
		v := 200.0
		if x >= w/2 {
			v += texture[y*w+x]
		}
		if (x >= 120 && x < 136) || (x >= 376 && x < 392) {
			v = 30
		}
		return v
	}
	ref := rgbImage(t, w, h, func(x, y int) (float64, float64, float64) { v := base(x, y); return v, v, v })
	// ripple is a decaying oscillation in the 12 pixels right of the bar
	// that starts at x0: what a quantised edge leaves.
	ripple := func(x, x0 int) float64 {
		d := x - (x0 + 16)
		if d < 0 || d >= 12 {
			return 0
		}
		return 10 * math.Cos(math.Pi*float64(d)/2) * math.Exp(-float64(d)/6)
	}
	flatRing := rgbImage(t, w, h, func(x, y int) (float64, float64, float64) {
		v := base(x, y) + ripple(x, 120)
		return v, v, v
	})
	texRing := rgbImage(t, w, h, func(x, y int) (float64, float64, float64) {
		v := base(x, y) + ripple(x, 376)
		return v, v, v
	})
	df, dt := distanceOf(t, ref, flatRing), distanceOf(t, ref, texRing)
	t.Logf("ringing by the flat edge %.3f, in texture %.3f", df, dt)
	if df < 1.5*dt || df <= 0 {
		t.Errorf("ringing by the flat edge %.3f, in texture %.3f: want the flat one at least 1.5×", df, dt)
	}
}

// TestDistanceFallsWithJPEGQuality: on a photo, the distance of libvips'
// JPEG encodes falls as the quality rises (allowing 3 % for the noise of
// near-equal neighbours), and is well above 0 at q30.
func TestDistanceFallsWithJPEGQuality(t *testing.T) {
	img, err := vips.NewThumbnailWithSizeFromBuffer(readCorpus(t, "photos/forest_path.jpg"), 480, 10000, vips.InterestingNone, vips.SizeDown)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := CopyToMemory(img); err != nil {
		t.Fatal(err)
	}
	ref, err := yccOf(img)
	if err != nil {
		t.Fatal(err)
	}
	prev := math.Inf(1)
	for _, q := range []int{30, 50, 70, 80, 90, 97} {
		body, err := EncodeLossy(img, spec.FormatJPEG, q, DefaultConfig().Knobs(), true)
		if err != nil {
			t.Fatal(err)
		}
		d, err := distanceTo(ref, body)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("q%d: %.3f", q, d)
		if d > prev*1.03 {
			t.Errorf("q%d: distance %.3f, above the lower quality's %.3f", q, d, prev)
		}
		if q == 30 && d < 1 {
			t.Errorf("q30: distance %.3f, want clearly above 0", d)
		}
		prev = d
	}
}

// TestDistanceSeesChroma: damage to one chroma channel alone, luma kept,
// is a distance above 0.
func TestDistanceSeesChroma(t *testing.T) {
	ref := rgbImage(t, 128, 128, func(x, y int) (float64, float64, float64) { return 128, 128, 128 })
	for _, tc := range []struct {
		name    string
		r, g, b float64
	}{
		// Both keep Y = 0.299r + 0.587g + 0.114b at 128.
		{"blue-yellow", 118, 118, 128 + 10*(0.299+0.587)/0.114},
		{"red-green", 128 + 20, 128 - 20*0.299/0.587, 128},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dist := rgbImage(t, 128, 128, func(x, y int) (float64, float64, float64) {
				if x >= 32 && x < 64 && y >= 32 && y < 64 {
					return tc.r, tc.g, tc.b
				}
				return 128, 128, 128
			})
			if d := distanceOf(t, ref, dist); d <= 0.1 {
				t.Errorf("distance %.3f, want > 0.1 for a chroma-only block", d)
			}
		})
	}
}

// TestDistanceNotDilutedByFlatArea: the same local damage in an image 16
// times larger keeps most of its distance (a mean over the image would
// divide it by about 16), as butteraugli's worst-region-led norm does.
func TestDistanceNotDilutedByFlatArea(t *testing.T) {
	block := func(n int, v float64) *vips.ImageRef {
		return rgbImage(t, n, n, func(x, y int) (float64, float64, float64) {
			if x >= 8 && x < 24 && y >= 8 && y < 24 {
				return v, v, v
			}
			return 128, 128, 128
		})
	}
	small := distanceOf(t, block(128, 128), block(128, 60))
	large := distanceOf(t, block(512, 128), block(512, 60))
	if small <= 0 || large < small/4 {
		t.Errorf("block damage: %.3f on 128×128, %.3f on 512×512; want the larger image's at least a quarter", small, large)
	}
}

// TestAutoThresholdsEveryLevelAndFormat: q=auto has a positive, finite
// threshold for every level and lossy format, and a butteraugli target
// per level that rises from high to low; a stricter level has the lower
// threshold.
func TestAutoThresholdsEveryLevelAndFormat(t *testing.T) {
	levels := []spec.AutoLevel{spec.AutoHigh, spec.AutoMedium, spec.AutoLow}
	for _, f := range []spec.Format{spec.FormatJPEG, spec.FormatWebP, spec.FormatAVIF} {
		prev := 0.0
		for _, l := range levels {
			th := autoThreshold(l, f)
			if th <= 0 || math.IsInf(th, 0) || math.IsNaN(th) {
				t.Errorf("%s %s: threshold %v", l, f, th)
			}
			if th < prev {
				t.Errorf("%s %s: threshold %.3f below the stricter level's %.3f", l, f, th, prev)
			}
			prev = th
		}
	}
	for i := 1; i < len(levels); i++ {
		if AutoTarget(levels[i]) <= AutoTarget(levels[i-1]) {
			t.Errorf("butteraugli target %s %.3f not above %s %.3f", levels[i], AutoTarget(levels[i]), levels[i-1], AutoTarget(levels[i-1]))
		}
	}
}

// BenchmarkDistance is one q=auto measurement at 800×500 (decode of the
// encoded body included, the reference prepared once as searchQuality
// does): the cost each try of the search adds to its encode.
func BenchmarkDistance(b *testing.B) {
	img, err := vips.NewThumbnailWithSizeFromBuffer(readCorpus(b, "photos/forest_path.jpg"), 800, 500, vips.InterestingNone, vips.SizeDown)
	if err != nil {
		b.Fatal(err)
	}
	defer img.Close()
	if err := CopyToMemory(img); err != nil {
		b.Fatal(err)
	}
	b.Run("reference", func(b *testing.B) {
		cpu0 := processCPU()
		defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op") }()
		for b.Loop() {
			if _, err := yccOf(img); err != nil {
				b.Fatal(err)
			}
		}
	})
	ref, err := yccOf(img)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []spec.Format{spec.FormatJPEG, spec.FormatWebP, spec.FormatAVIF} {
		encode := func(b *testing.B) []byte {
			body, err := EncodeLossy(img, f, scaledQuality(f, 80, longSide(img)), DefaultConfig().Knobs(), true)
			if err != nil {
				b.Fatal(err)
			}
			return body
		}
		b.Run(fmt.Sprintf("%s/%dx%d", f, img.Width(), img.Height()), func(b *testing.B) {
			body := encode(b)
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := distanceTo(ref, body); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time is steadier than wall time on a shared machine.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
		})
		b.Run(fmt.Sprintf("%s/decode-only", f), func(b *testing.B) {
			body := encode(b)
			cpu0 := processCPU()
			defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op") }()
			for b.Loop() {
				d, err := vips.NewImageFromBuffer(body)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := d.ToBytes(); err != nil {
					b.Fatal(err)
				}
				d.Close()
			}
		})
	}
}
