package transform

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// renderDecoded renders a corpus file, checks that the bytes are what the
// result says (format sniffed from the magic numbers, size from a reload)
// and returns the decoded output.
func renderDecoded(t testing.TB, rel string, o spec.Options, accept string) (Result, decoded) {
	t.Helper()
	res := renderFile(t, rel, o, accept)
	if got := sniffOutput(res.Body); got != res.Format {
		t.Fatalf("%s: body sniffs as %q, result says %q", rel, got, res.Format)
	}
	d := decode(t, res.Body)
	if d.w != res.Width || d.h != res.Height {
		t.Fatalf("%s: output decodes as %dx%d, result says %dx%d", rel, d.w, d.h, res.Width, res.Height)
	}
	return res, d
}

func TestRenderFitDims(t *testing.T) {
	const src = "photos/evening_glow_boats.jpg" // 2560x1600
	type opt = spec.Options
	tests := []struct {
		opts spec.Options
		w, h int
	}{
		{opt{Width: 400}, 400, 250},
		{opt{Height: 250}, 400, 250},
		{opt{Width: 400, Height: 400}, 400, 250},
		{opt{Width: 4000, Height: 4000}, 2560, 1600},
		{opt{Width: 400, Height: 400, Fit: spec.FitContain}, 400, 250},
		{opt{Width: 3000, Fit: spec.FitContain}, 3000, 1875},
		{opt{Width: 400, Height: 400, Fit: spec.FitCover}, 400, 400},
		{opt{Width: 400, Height: 100, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityBottom}}, 400, 100},
		{opt{Width: 400, Height: 400, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityAuto}}, 400, 400},
		{opt{Width: 300, Height: 500, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityFace}}, 300, 500},
		{opt{Width: 400, Height: 400, Fit: spec.FitCrop}, 400, 400},
		{opt{Width: 4000, Height: 1000, Fit: spec.FitCrop}, 2560, 1000},
		{opt{Width: 400, Height: 400, Fit: spec.FitCrop, Gravity: spec.Gravity{Kind: spec.GravityAuto}}, 400, 400},
		{opt{Width: 400, Height: 400, Fit: spec.FitPad}, 400, 400},
		{opt{Width: 400, Height: 300, Fit: spec.FitSqueeze}, 400, 300},
		{opt{Width: 200, DPR: 2}, 400, 250},
		{opt{Width: 400, Rotate: 90}, 400, 640},
		{opt{Width: 400, Height: 200, Fit: spec.FitCover, Rotate: 270, Gravity: spec.Gravity{Kind: spec.GravityAuto}}, 400, 200},
		{opt{Width: 400, Height: 400, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityFocal, X: 0.9, Y: 0.1}}, 400, 400},
	}
	for _, tt := range tests {
		o := tt.opts
		o.Format = spec.FormatJPEG
		t.Run(fmt.Sprintf("%s_%dx%d_r%d_%s", o.Fit, o.Width, o.Height, o.Rotate, o.Gravity.Kind), func(t *testing.T) {
			res, _ := renderDecoded(t, src, o, "")
			if res.Width != tt.w || res.Height != tt.h {
				t.Errorf("got %dx%d, want %dx%d", res.Width, res.Height, tt.w, tt.h)
			}
			// f=json promises the same size without rendering.
			desc, err := testRenderer(t).Describe(context.Background(), Original{Data: readCorpus(t, src)}, o, "")
			if err != nil {
				t.Fatal(err)
			}
			if desc.Output.Width != res.Width || desc.Output.Height != res.Height {
				t.Errorf("Describe says %dx%d, Render made %dx%d", desc.Output.Width, desc.Output.Height, res.Width, res.Height)
			}
			if c := desc.Crop; c != nil && (c.X < 0 || c.Y < 0 || c.X+c.Width > desc.Width || c.Y+c.Height > desc.Height) {
				t.Errorf("Describe crop %+v leaves the %dx%d source", *c, desc.Width, desc.Height)
			}
		})
	}
}

// TestRenderFocusCropMatchesDescribe renders g=auto, then renders again with
// the window Describe reported as a focal point: the pixels must agree,
// which shows that the window found on load is the one reported.
func TestRenderFocusCropMatchesDescribe(t *testing.T) {
	const src = "faces/group_portrait_1.jpg"
	for _, rotate := range []int{0, 90} {
		t.Run(fmt.Sprintf("rotate%d", rotate), func(t *testing.T) {
			o := spec.Options{Width: 200, Height: 200, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityAuto}, Format: spec.FormatPNG, Rotate: rotate}
			desc, err := testRenderer(t).Describe(context.Background(), Original{Data: readCorpus(t, src)}, o, "")
			if err != nil {
				t.Fatal(err)
			}
			if desc.Crop == nil {
				t.Fatal("g=auto cover reported no crop")
			}
			_, auto := renderDecoded(t, src, o, "")
			c := *desc.Crop
			// Back into the rotated frame, where gravity points live.
			ow, oh := desc.Width, desc.Height
			if rotate == 90 {
				c.X, c.Y = orientWindow(c.X, c.Y, c.Width, c.Height, ow, oh, 90, false, false)
				c.Width, c.Height = c.Height, c.Width
				ow, oh = oh, ow
			}
			o.Gravity = spec.Gravity{Kind: spec.GravityFocal,
				X: (float64(c.X) + float64(c.Width)/2) / float64(ow),
				Y: (float64(c.Y) + float64(c.Height)/2) / float64(oh)}
			_, focal := renderDecoded(t, src, o, "")
			if d := meanAbsDiff(t, auto, focal); d > 4 {
				t.Errorf("g=auto and the focal point of its reported window %+v differ by %.1f", *desc.Crop, d)
			}
		})
	}
}

// TestRenderEXIFOrientation renders the eight landscape files, whose pixels
// were stored turned so that each tag shows the same upright photo.
func TestRenderEXIFOrientation(t *testing.T) {
	o := spec.Options{Width: 400, Format: spec.FormatPNG}
	_, ref := renderDecoded(t, "orientation/landscape_exif_orientation_1.jpg", o, "")
	wrong := o
	wrong.FlipH = true
	_, mirrored := renderDecoded(t, "orientation/landscape_exif_orientation_1.jpg", wrong, "")
	// The check must be able to fail: a mirrored picture is far off.
	if d := meanAbsDiff(t, ref, mirrored); d < 15 {
		t.Fatalf("a mirrored picture differs by only %.1f; the comparison cannot tell orientations apart", d)
	}
	for n := 1; n <= 8; n++ {
		rel := fmt.Sprintf("orientation/landscape_exif_orientation_%d.jpg", n)
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			info, err := Probe(readCorpus(t, rel), DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			if info.Orientation != n || info.Width != 1600 || info.Height != 1200 {
				t.Errorf("Probe = orientation %d %dx%d, want %d 1600x1200", info.Orientation, info.Width, info.Height, n)
			}
			res, got := renderDecoded(t, rel, o, "")
			if res.Width != 400 || res.Height != 300 {
				t.Fatalf("got %dx%d, want 400x300", res.Width, res.Height)
			}
			d := meanAbsDiff(t, ref, got)
			t.Logf("orientation %d: mean abs diff %.2f from orientation 1", n, d)
			if d > 5 {
				t.Errorf("orientation %d differs from orientation 1 by %.1f (mirrored: %.1f)", n, d, meanAbsDiff(t, ref, mirrored))
			}
		})
	}
}

// TestRenderEXIFOrientationDerived uses files whose pixels are all the same
// and only the tag differs: each must look like the untagged photo turned as
// the tag says, by the URL's own rotate and flip.
func TestRenderEXIFOrientationDerived(t *testing.T) {
	type turn struct {
		rotate       int
		flipH, flipV bool
	}
	// EXIF orientation → what a viewer does to the stored pixels.
	turns := map[int]turn{1: {}, 2: {0, true, false}, 3: {180, false, false}, 4: {0, false, true},
		5: {90, true, false}, 6: {90, false, false}, 7: {270, true, false}, 8: {270, false, false}}
	for n := 1; n <= 8; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rel := fmt.Sprintf("orientation/grace_hopper_exif_orientation_%d_derived.jpg", n)
			res, got := renderDecoded(t, rel, spec.Options{Format: spec.FormatPNG}, "")
			w, h := 512, 600
			if n >= 5 {
				w, h = 600, 512
			}
			if res.Width != w || res.Height != h {
				t.Fatalf("got %dx%d, want %dx%d", res.Width, res.Height, w, h)
			}
			tr := turns[n]
			_, want := renderDecoded(t, "faces/grace_hopper.jpg", spec.Options{Format: spec.FormatPNG, Rotate: tr.rotate, FlipH: tr.flipH, FlipV: tr.flipV}, "")
			if d := meanAbsDiff(t, want, got); d > 1 {
				t.Errorf("orientation %d differs by %.2f from the photo turned by %+v", n, d, tr)
			}
		})
	}
}

func TestRenderOtherOrientations(t *testing.T) {
	tests := []struct {
		rel          string
		orientation  int
		srcW, srcH   int
		outW, outH   int
		outputFormat spec.Format
	}{
		// libheif applies irot/imir itself: the header is already upright.
		{"orientation/avif_orientation_6.avif", 1, 3024, 4032, 300, 400, spec.FormatJPEG},
		{"orientation/webp_orientation_6.webp", 6, 391, 521, 300, 400, spec.FormatWebP},
		{"orientation/phone_photo_orient6_displayp3.jpg", 6, 3024, 4032, 300, 400, spec.FormatAVIF},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			info, err := Probe(readCorpus(t, tt.rel), DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			if info.Orientation != tt.orientation || info.Width != tt.srcW || info.Height != tt.srcH {
				t.Errorf("Probe = orientation %d %dx%d, want %d %dx%d", info.Orientation, info.Width, info.Height, tt.orientation, tt.srcW, tt.srcH)
			}
			res, _ := renderDecoded(t, tt.rel, spec.Options{Height: 400, Format: tt.outputFormat}, "")
			if res.Width != tt.outW || res.Height != tt.outH {
				t.Errorf("got %dx%d, want %dx%d", res.Width, res.Height, tt.outW, tt.outH)
			}
		})
	}
}

// TestRenderRotateFlipMovePixels follows the top-left corner of a photo
// through each rotate and flip.
func TestRenderRotateFlipMovePixels(t *testing.T) {
	const src = "photos/evening_glow_boats.jpg" // dark water at the bottom, bright sky at the top
	const n = 12                                // corner block size
	o := spec.Options{Width: 320, Format: spec.FormatPNG}
	_, ref := renderDecoded(t, src, o, "")
	corners := func(d decoded) (tl, tr, bl, br []float64) {
		return regionMean(d, 0, 0, n, n), regionMean(d, d.w-n, 0, n, n), regionMean(d, 0, d.h-n, n, n), regionMean(d, d.w-n, d.h-n, n, n)
	}
	tl, tr, bl, br := corners(ref)
	for name, c := range map[string][]float64{"top-right": tr, "bottom-left": bl, "bottom-right": br} {
		if colourDist(tl, c) < 20 {
			t.Fatalf("the top-left corner %v is too close to the %s one %v for this test", tl, name, c)
		}
	}
	tests := []struct {
		name   string
		rotate int
		flip   string
		where  string
	}{
		{"rotate 90", 90, "", "top-right"},
		{"rotate 180", 180, "", "bottom-right"},
		{"rotate 270", 270, "", "bottom-left"},
		{"flip h", 0, "h", "top-right"},
		{"flip v", 0, "v", "bottom-left"},
		{"flip hv", 0, "hv", "bottom-right"},
		{"rotate 90 flip h", 90, "h", "top-left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := o
			o.Rotate, o.FlipH, o.FlipV = tt.rotate, tt.flip == "h" || tt.flip == "hv", tt.flip == "v" || tt.flip == "hv"
			_, got := renderDecoded(t, src, o, "")
			gtl, gtr, gbl, gbr := corners(got)
			at := map[string][]float64{"top-left": gtl, "top-right": gtr, "bottom-left": gbl, "bottom-right": gbr}[tt.where]
			if d := colourDist(tl, at); d > 6 {
				t.Errorf("the source's top-left corner %v should be at the %s, which is %v", tl, tt.where, at)
			}
		})
	}
}

func TestRenderFiltersChangePixels(t *testing.T) {
	const src = "photos/ladybird_macro.jpg"
	o := spec.Options{Width: 300, Format: spec.FormatPNG}
	_, plain := renderDecoded(t, src, o, "")
	tests := []struct {
		name    string
		blur    float64
		sharpen float64
		minDiff float64
	}{
		// libvips' Gaussian mask drops taps under 0.2 of the peak, so a
		// sigma under ~0.6 leaves the pixels as they are.
		{"blur 1", 1, 0, 0.3},
		{"blur 5", 5, 0, 2},
		{"sharpen 1", 0, 1, 0.1},
		{"sharpen 10", 0, 10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := o
			o.Blur, o.Sharpen = tt.blur, tt.sharpen
			res, got := renderDecoded(t, src, o, "")
			if res.Width != plain.w || res.Height != plain.h {
				t.Fatalf("filter changed the size to %dx%d", res.Width, res.Height)
			}
			if d := meanAbsDiff(t, plain, got); d < tt.minDiff {
				t.Errorf("mean abs diff %.2f, want at least %.2f", d, tt.minDiff)
			}
		})
	}
}

// TestRenderWideBlur checks that a wide blur, run on a shrunk copy, looks
// like the same blur at full size.
func TestRenderWideBlur(t *testing.T) {
	const src = "photos/ladybird_macro.jpg"
	o := spec.Options{Width: 300, Format: spec.FormatPNG}
	plain := renderFile(t, src, o, "")
	for _, sigma := range []float64{6, 15, 40, 250} {
		t.Run(fmt.Sprint(sigma), func(t *testing.T) {
			o := o
			o.Blur = sigma
			res, got := renderDecoded(t, src, o, "")
			if res.Width != 300 || res.Height != plain.Height {
				t.Fatalf("blur changed the size to %dx%d", res.Width, res.Height)
			}
			// The reference: libvips' Gaussian over the whole unblurred output.
			img, err := vips.NewImageFromBuffer(plain.Body)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			if err := img.GaussianBlur(sigma); err != nil {
				t.Fatal(err)
			}
			body, _, err := img.ExportPng(&vips.PngExportParams{Compression: 1})
			if err != nil {
				t.Fatal(err)
			}
			want := decode(t, body)
			d := meanAbsDiff(t, want, got)
			t.Logf("blur %v: mean abs diff %.2f from the full-size blur", sigma, d)
			if d > 2 {
				t.Errorf("blur %v differs from the full-size blur by %.2f", sigma, d)
			}
		})
	}
}

// TestRenderConcurrent renders the same requests from several goroutines
// and expects the bytes of a sequential render: nothing is shared between
// renders but libvips itself.
func TestRenderConcurrent(t *testing.T) {
	reqs := []struct {
		src  string
		opts spec.Options
	}{
		{"photos/mountain_valley_small.jpg", spec.Options{Width: 200, Format: spec.FormatJPEG}},
		{"orientation/landscape_exif_orientation_6.jpg", spec.Options{Width: 300, Rotate: 90, Format: spec.FormatPNG}},
		{"formats/png_rgba_rose_photo.png", spec.Options{Width: 150, Height: 150, Fit: spec.FitPad, Format: spec.FormatJPEG}},
		{"formats/gif_animated_banana.gif", spec.Options{Width: 60, Format: spec.FormatWebP}},
		{"faces/grace_hopper.jpg", spec.Options{Width: 100, Height: 100, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityAuto}, Format: spec.FormatJPEG}},
	}
	want, bufs := make([][]byte, len(reqs)), make([][]byte, len(reqs))
	for i, r := range reqs {
		want[i], bufs[i] = renderFile(t, r.src, r.opts, "").Body, readCorpus(t, r.src)
	}
	r := testRenderer(t)
	const workers = 4
	errs := make(chan error, workers*len(reqs)*3)
	done := make(chan struct{})
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			for k := 0; k < 3*len(reqs); k++ {
				i := (w + k) % len(reqs)
				res, err := r.Render(context.Background(), Original{Data: bufs[i]}, reqs[i].opts, "")
				if err != nil {
					errs <- fmt.Errorf("%s: %v", reqs[i].src, err)
				} else if !bytes.Equal(res.Body, want[i]) {
					errs <- fmt.Errorf("%s: concurrent render differs from the sequential one", reqs[i].src)
				}
			}
		}(w)
	}
	for w := 0; w < workers; w++ {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
