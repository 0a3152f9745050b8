package transform

import (
	"context"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

// bordered is a corpus photo placed at (left, top) on a white canvas
// extra px larger each way, encoded as PNG or JPEG, with its size.
func bordered(t *testing.T, rel string, left, top, extraW, extraH int, jpeg bool) ([]byte, int, int) {
	t.Helper()
	testRenderer(t)
	img, err := vips.LoadImageFromBuffer(readCorpus(t, rel), vips.NewImportParams())
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	w, h := img.Width(), img.Height()
	if err := img.EmbedBackground(left, top, w+extraW, h+extraH, &vips.Color{R: 255, G: 255, B: 255}); err != nil {
		t.Fatal(err)
	}
	var out []byte
	if jpeg {
		p := vips.NewJpegExportParams()
		p.Quality = 85
		out, _, err = img.ExportJpeg(p)
	} else {
		out, _, err = img.ExportPng(vips.NewPngExportParams())
	}
	if err != nil {
		t.Fatal(err)
	}
	return out, w, h
}

func renderBytes(t *testing.T, buf []byte, o spec.Options) (Result, decoded) {
	t.Helper()
	res, err := testRenderer(t).Render(context.Background(), Original{Data: buf}, o, "")
	if err != nil {
		t.Fatalf("%+v: %v", o, err)
	}
	return res, decode(t, res.Body)
}

// TestTrimAuto: a photo on a white border comes back as the photo: its
// size (exactly for PNG, within a pixel or two of JPEG ringing) and its
// pixels, and trim happens before the resize.
func TestTrimAuto(t *testing.T) {
	const rel = "photos/object_coffee_cup_512.jpg"
	auto := &spec.Trim{Auto: true}
	for _, tt := range []struct {
		name  string
		jpeg  bool
		slack int
	}{{"png", false, 0}, {"jpeg", true, 2}} {
		t.Run(tt.name, func(t *testing.T) {
			buf, w, h := bordered(t, rel, 37, 53, 100, 80, tt.jpeg)
			res, got := renderBytes(t, buf, spec.Options{Trim: auto, Format: spec.FormatPNG})
			if abs(res.Width-w) > tt.slack || abs(res.Height-h) > tt.slack {
				t.Fatalf("trimmed to %dx%d, want the %dx%d photo", res.Width, res.Height, w, h)
			}
			if !tt.jpeg {
				ref := referenceWindow(t, rel, 0, 0, w, h, w, h)
				if d := meanAbsDiff(t, ref, got); d > 1 {
					t.Errorf("trimmed pixels differ from the photo by %.2f", d)
				}
			}
			// Trim comes before the resize: w=100 is 100 px of photo.
			res, _ = renderBytes(t, buf, spec.Options{Trim: auto, Width: 100, Format: spec.FormatPNG})
			if wantH := (100*h + w/2) / w; res.Width != 100 || abs(res.Height-wantH) > 1 {
				t.Errorf("trim then w=100: %dx%d, want 100x%d", res.Width, res.Height, wantH)
			}
			// f=json reports the window found.
			d, err := testRenderer(t).Describe(context.Background(), Original{Data: buf}, spec.Options{Trim: auto, Format: spec.FormatJSON}, "")
			if err != nil {
				t.Fatal(err)
			}
			if r := d.Region; r == nil || abs(r.X-37) > tt.slack || abs(r.Y-53) > tt.slack || abs(r.Width-w) > tt.slack {
				t.Errorf("f=json region %+v, want about 37,53 %dx%d", r, w, h)
			}
		})
	}
}

// TestTrimThreshold: the threshold reaches libvips: at 255 everything is
// border, and a window that is all border is kept whole.
func TestTrimThreshold(t *testing.T) {
	buf, w, h := bordered(t, "photos/object_coffee_cup_512.jpg", 10, 10, 20, 20, false)
	th := 255.0
	res, _ := renderBytes(t, buf, spec.Options{Trim: &spec.Trim{Auto: true}, TrimThreshold: &th, Format: spec.FormatPNG})
	if res.Width != w+20 || res.Height != h+20 {
		t.Errorf("threshold 255: %dx%d, want the whole %dx%d", res.Width, res.Height, w+20, h+20)
	}
}

// TestTrimTransparent: a transparent border trims like a white one.
func TestTrimTransparent(t *testing.T) {
	const rel = "formats/png_rgba_logo.png"
	info, err := Probe(readCorpus(t, rel), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	d, err := testRenderer(t).Describe(context.Background(), Original{Data: readCorpus(t, rel)}, spec.Options{Trim: &spec.Trim{Auto: true}, Format: spec.FormatJSON}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%dx%d logo trimmed to %+v", info.Width, info.Height, d.Region)
	if d.Region == nil || d.Region.Width >= info.Width && d.Region.Height >= info.Height {
		t.Errorf("transparent border not trimmed: region %+v of %dx%d", d.Region, info.Width, info.Height)
	}
}

// TestTrimExplicit: trim=t;r;b;l cuts those margins of the EXIF-oriented
// source, inside a region when there is one.
func TestTrimExplicit(t *testing.T) {
	const src = "orientation/landscape_exif_orientation_6.jpg"
	const ref1 = "orientation/landscape_exif_orientation_1.jpg"
	trim := &spec.Trim{Top: 10, Right: 20, Bottom: 30, Left: 40}
	res, got := renderDecoded(t, src, spec.Options{Trim: trim, Format: spec.FormatPNG}, "")
	if res.Width != 1540 || res.Height != 1160 {
		t.Fatalf("%dx%d, want 1540x1160", res.Width, res.Height)
	}
	if d := meanAbsDiff(t, referenceWindow(t, ref1, 40, 10, 1540, 1160, 1540, 1160), got); d > 5 {
		t.Errorf("differs from the margins cut directly by %.1f", d)
	}
	res, got = renderDecoded(t, src, spec.Options{Region: pxRegion(100, 100, 400, 300), Trim: trim, Format: spec.FormatPNG}, "")
	if res.Width != 340 || res.Height != 260 {
		t.Fatalf("in a region: %dx%d, want 340x260", res.Width, res.Height)
	}
	if d := meanAbsDiff(t, referenceWindow(t, ref1, 140, 110, 340, 260, 340, 260), got); d > 5 {
		t.Errorf("in a region: differs by %.1f", d)
	}
	_, err := testRenderer(t).Render(context.Background(), Original{Data: readCorpus(t, src)}, spec.Options{Trim: &spec.Trim{Left: 800, Right: 800}}, "")
	if fault.KindOf(err) != fault.BadRequest {
		t.Errorf("trim past the source: %v, want bad request", err)
	}
}

func abs(v int) int { return max(v, -v) }
