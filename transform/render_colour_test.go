package transform

import (
	"fmt"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

func rgba(r, g, b, a uint8) *spec.Color { return &spec.Color{R: r, G: g, B: b, A: a} }

// TestRenderPadBars checks the colour of the bars fit=pad adds.
func TestRenderPadBars(t *testing.T) {
	const photo = "photos/evening_glow_boats.jpg" // 2560x1600: 400x250 at y=75 in 400x400
	const grey = "formats/grayscale_pier.jpg"     // 2560x1600, one band
	tests := []struct {
		name   string
		src    string
		format spec.Format
		bg     *spec.Color
		bands  int
		want   []float64 // the bar's colour, alpha included where there is one
	}{
		{"jpeg red", photo, spec.FormatJPEG, rgba(255, 0, 0, 255), 3, []float64{255, 0, 0}},
		{"jpeg default white", photo, spec.FormatJPEG, nil, 3, []float64{255, 255, 255}},
		{"jpeg ignores bg alpha", photo, spec.FormatJPEG, rgba(0, 0, 255, 0), 3, []float64{0, 0, 255}},
		{"png default transparent", photo, spec.FormatPNG, nil, 4, []float64{0, 0, 0, 0}},
		{"png red", photo, spec.FormatPNG, rgba(255, 0, 0, 255), 3, []float64{255, 0, 0}},
		{"png half-transparent green", photo, spec.FormatPNG, rgba(0, 255, 0, 128), 4, []float64{0, 255, 0, 128}},
		{"webp default transparent", photo, spec.FormatWebP, nil, 4, []float64{0, 0, 0, 0}},
		{"webp blue", photo, spec.FormatWebP, rgba(0, 0, 255, 255), 3, []float64{0, 0, 255}},
		{"avif red", photo, spec.FormatAVIF, rgba(255, 0, 0, 255), 3, []float64{255, 0, 0}},
		{"grey source red bars", grey, spec.FormatJPEG, rgba(255, 0, 0, 255), 3, []float64{255, 0, 0}},
		{"grey source transparent bars", grey, spec.FormatPNG, nil, 4, []float64{0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := spec.Options{Width: 400, Height: 400, Fit: spec.FitPad, Background: tt.bg, Format: tt.format}
			res, d := renderDecoded(t, tt.src, o, "")
			if res.Width != 400 || res.Height != 400 {
				t.Fatalf("got %dx%d, want 400x400", res.Width, res.Height)
			}
			if d.bands != tt.bands {
				t.Errorf("output has %d bands, want %d", d.bands, tt.bands)
			}
			tol := 2.0
			if tt.format != spec.FormatPNG {
				tol = 12 // lossy chroma near the edge of a flat area
			}
			for _, y := range []int{10, 340} { // top bar, bottom bar
				bar := regionMean(d, 100, y, 200, 40)
				if colourDist(bar, tt.want) > tol {
					t.Errorf("bar at y=%d is %v, want %v", y, round(bar), tt.want)
				}
			}
			photoPart := regionMean(d, 100, 150, 200, 100)
			if colourDist(photoPart, tt.want) < 30 {
				t.Errorf("the photo area %v looks like the bar %v", round(photoPart), tt.want)
			}
			if d.bands == 4 && photoPart[3] < 254 {
				t.Errorf("the photo area has alpha %.0f, want opaque", photoPart[3])
			}
		})
	}
}

// TestRenderFlatten puts transparent pixels on the background where the
// output cannot carry alpha or an opaque background was asked for.
func TestRenderFlatten(t *testing.T) {
	const rose = "formats/png_rgba_rose_photo.png" // 400x301, transparent around the rose
	src := decode(t, readCorpus(t, rose))
	if c := src.at(2, 2); src.bands != 4 || c[3] != 0 {
		t.Fatalf("the test wants a transparent corner in %s, it has %v", rose, c)
	}
	tests := []struct {
		name   string
		src    string
		format spec.Format
		bg     *spec.Color
		bands  int
		corner []float64
	}{
		{"jpeg on white", rose, spec.FormatJPEG, nil, 3, []float64{255, 255, 255}},
		{"jpeg on blue", rose, spec.FormatJPEG, rgba(0, 0, 255, 255), 3, []float64{0, 0, 255}},
		{"png keeps alpha", rose, spec.FormatPNG, nil, 4, []float64{0, 0, 0, 0}},
		{"png on green", rose, spec.FormatPNG, rgba(0, 255, 0, 255), 3, []float64{0, 255, 0}},
		{"webp keeps alpha", rose, spec.FormatWebP, nil, 4, []float64{0, 0, 0, 0}},
		{"avif keeps alpha", rose, spec.FormatAVIF, nil, 4, []float64{0, 0, 0, 0}},
		{"16-bit png to jpeg", "formats/png16_rgba_cup.png", spec.FormatJPEG, nil, 3, []float64{255, 255, 255}},
		{"10-bit avif to jpeg", "formats/avif_10bit_alpha_cup_derived.avif", spec.FormatJPEG, nil, 3, []float64{255, 255, 255}},
		{"animated webp to jpeg", "formats/webp_animated_alpha.webp", spec.FormatJPEG, rgba(255, 0, 255, 255), 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d := renderDecoded(t, tt.src, spec.Options{Width: 200, Background: tt.bg, Format: tt.format}, "")
			if d.bands != tt.bands {
				t.Errorf("output has %d bands, want %d", d.bands, tt.bands)
			}
			if tt.corner == nil {
				return
			}
			tol := 3.0
			if tt.format == spec.FormatJPEG || tt.format == spec.FormatAVIF {
				tol = 8
			}
			if got := regionMean(d, 0, 0, 6, 6); colourDist(got, tt.corner) > tol {
				t.Errorf("corner is %v, want %v", round(got), tt.corner)
			}
		})
	}
}

// TestRenderColour checks that every source comes out as 8-bit sRGB (or
// grey), without a profile, and that embedded profiles were applied.
func TestRenderColour(t *testing.T) {
	tests := []struct {
		src   string
		bands []int // allowed band counts
	}{
		{"formats/cmyk_swop_icc_sunglasses.jpg", []int{3}},
		{"formats/png16_rgba_cup.png", []int{4}},
		{"formats/tiff_16bit_video_frame.tiff", []int{3}},
		{"formats/avif_10bit_alpha_cup_derived.avif", []int{4}},
		{"formats/grayscale_pier.jpg", []int{1}},
		{"formats/grayscale_dotgain_icc.jpg", []int{1}},
		{"formats/jxl_grey_dotgain_icc.jxl", []int{1}},
		{"icc/prophoto_rgb_nebula.jpg", []int{3}},
		{"icc/dci_p3_smpte_small.jpg", []int{3}},
		{"faces/woman_sunglasses_adobergb_progressive.jpg", []int{3}},
		{"orientation/phone_photo_orient6_displayp3.jpg", []int{3}},
		{"formats/heic_limes_displayp3.heic", []int{3}},
		{"formats/png8_palette_yellowflower_derived.png", []int{3, 4}},
		{"formats/jpeg_rgb_no_ycbcr.jpeg", []int{3}},
		{"formats/tiff_old_style_lzw_shapes.tiff", []int{1, 2, 3, 4}},
		{"formats/jpeg2000_world.jp2", []int{3}},
	}
	for _, tt := range tests {
		for _, f := range outputFormats {
			t.Run(fmt.Sprintf("%s_%s", tt.src, f), func(t *testing.T) {
				res, d := renderDecoded(t, tt.src, spec.Options{Width: 120, Format: f}, "")
				ok := false
				for _, b := range tt.bands {
					if (f == spec.FormatWebP || f == spec.FormatAVIF) && b < 3 {
						b += 2 // libwebp has no grey, and libheif writes grey as RGB
					}
					if f == spec.FormatJPEG && (b == 2 || b == 4) {
						b-- // flattened
					}
					ok = ok || d.bands == b
				}
				if !ok {
					t.Errorf("output has %d bands, want one of %v", d.bands, tt.bands)
				}
				interp := d.img.Interpretation()
				if interp != vips.InterpretationSRGB && interp != vips.InterpretationBW {
					t.Errorf("output interpretation %v", interp)
				}
				if d.img.HasICCProfile() {
					t.Errorf("output carries a %d byte ICC profile", len(d.img.GetICCProfile()))
				}
				if res.Width > 120 {
					t.Errorf("width %d over the 120 asked for", res.Width)
				}
			})
		}
	}
}

// TestRenderWideGamut compares the output of wide-gamut sources with a
// naive decode that ignores the profile: applying the profile makes colours
// more saturated, and never leaves them as they were.
func TestRenderWideGamut(t *testing.T) {
	tests := []struct {
		src      string
		minRatio float64 // output chroma / naive chroma
	}{
		{"icc/prophoto_rgb_nebula.jpg", 1.5},
		{"faces/woman_sunglasses_adobergb_progressive.jpg", 1.15},
		{"orientation/phone_photo_orient6_displayp3.jpg", 1.08},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			res, got := renderDecoded(t, tt.src, spec.Options{Width: 200, Format: spec.FormatPNG}, "")
			naive := naiveDecode(t, tt.src, res.Width, res.Height)
			gc, nc := meanChroma(got), meanChroma(naive)
			t.Logf("chroma: output %.2f, naive %.2f (x%.3f); mean abs diff %.2f", gc, nc, gc/nc, meanAbsDiff(t, got, naive))
			if gc < nc*tt.minRatio {
				t.Errorf("output chroma %.2f is not %.2fx the naive %.2f: the profile was not applied", gc, tt.minRatio, nc)
			}
		})
	}
}

// naiveDecode shrinks src to w×h and drops its profile without applying it.
func naiveDecode(t *testing.T, src string, w, h int) decoded {
	t.Helper()
	img, err := vips.LoadThumbnailFromBuffer(readCorpus(t, src), w, h, vips.InterestingNone, vips.SizeForce, vips.NewImportParams())
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.RemoveICCProfile(); err != nil {
		t.Fatal(err)
	}
	body, _, err := img.ExportPng(&vips.PngExportParams{StripMetadata: true, Compression: 1})
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, body)
}

// meanChroma is the mean of max(R,G,B) - min(R,G,B).
func meanChroma(d decoded) float64 {
	var sum float64
	for y := 0; y < d.h; y++ {
		for x := 0; x < d.w; x++ {
			p := d.at(x, y)
			sum += float64(max(p[0], p[1], p[2]) - min(p[0], p[1], p[2]))
		}
	}
	return sum / float64(d.w*d.h)
}

func round(v []float64) []int {
	r := make([]int, len(v))
	for i, x := range v {
		r[i] = int(x + 0.5)
	}
	return r
}

func TestICCDescription(t *testing.T) {
	tests := []struct {
		src, space, desc string
	}{
		{"photos/forest_path.jpg", "RGB ", "sRGB IEC61966-2.1"},
		{"orientation/phone_photo_orient6_displayp3.jpg", "RGB ", "Display P3"},
		{"icc/prophoto_rgb_nebula.jpg", "RGB ", "ProPhoto RGB"},
		{"faces/woman_sunglasses_adobergb_progressive.jpg", "RGB ", "Adobe RGB (1998)"},
		{"formats/png16_rgba_cup.png", "RGB ", "GIMP built-in sRGB"},
		{"formats/cmyk_swop_icc_sunglasses.jpg", "CMYK", "U.S. Web Coated (SWOP) v2"},
		{"formats/grayscale_dotgain_icc.jpg", "GRAY", "Dot Gain 20%"},
	}
	testRenderer(t)
	for _, tt := range tests {
		img, err := vips.NewImageFromBuffer(readCorpus(t, tt.src))
		if err != nil {
			t.Fatal(err)
		}
		p := img.GetICCProfile()
		img.Close()
		if got := iccColourSpace(p); got != tt.space {
			t.Errorf("%s: colour space %q, want %q", tt.src, got, tt.space)
		}
		if got := iccDescription(p); got != tt.desc {
			t.Errorf("%s: description %q, want %q", tt.src, got, tt.desc)
		}
	}
	for _, junk := range [][]byte{nil, make([]byte, 131), make([]byte, 200)} {
		if got := iccDescription(junk); got != "" {
			t.Errorf("iccDescription(%d zero bytes) = %q", len(junk), got)
		}
	}
}
