package transform

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
	"github.com/pixmill/pixmill/vision"
)

func pxRegion(x, y, w, h float64) *spec.Region {
	return &spec.Region{X: spec.Coord{V: x}, Y: spec.Coord{V: y}, W: spec.Coord{V: w}, H: spec.Coord{V: h}}
}

func fracRegion(x, y, w, h float64) *spec.Region {
	return &spec.Region{X: spec.Coord{V: x, Frac: true}, Y: spec.Coord{V: y, Frac: true}, W: spec.Coord{V: w, Frac: true}, H: spec.Coord{V: h, Frac: true}}
}

// referenceWindow is the upright source cut at x,y,w,h and resized to
// ow×oh by libvips directly (load, autorotate, extract, resize): what the
// pipeline must match without knowing how it gets there.
func referenceWindow(t *testing.T, rel string, x, y, w, h, ow, oh int) decoded {
	t.Helper()
	testRenderer(t)
	img, err := vips.LoadImageFromBuffer(readCorpus(t, rel), vips.NewImportParams())
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.AutoRotate(); err != nil {
		t.Fatal(err)
	}
	if err := img.ExtractArea(x, y, w, h); err != nil {
		t.Fatal(err)
	}
	if ow != w || oh != h {
		if err := img.ResizeWithVScale(float64(ow)/float64(w), float64(oh)/float64(h), vips.KernelLanczos3); err != nil {
			t.Fatal(err)
		}
	}
	png, _, err := img.ExportPng(vips.NewPngExportParams())
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, png)
}

// TestRenderRegion: crop=x,y,w,h keeps that window of the EXIF-oriented
// source, in each of the eight orientations (files stored turned so that
// each shows the same upright photo), at full size and shrunk.
func TestRenderRegion(t *testing.T) {
	full := referenceWindow(t, "orientation/landscape_exif_orientation_1.jpg", 400, 300, 600, 450, 600, 450)
	shrunk := referenceWindow(t, "orientation/landscape_exif_orientation_1.jpg", 400, 300, 600, 450, 200, 150)
	// The check must be able to fail: the window next to it is far off.
	if d := meanAbsDiff(t, full, referenceWindow(t, "orientation/landscape_exif_orientation_1.jpg", 700, 300, 600, 450, 600, 450)); d < 10 {
		t.Fatalf("a neighbouring window differs by only %.1f", d)
	}
	for n := 1; n <= 8; n++ {
		rel := fmt.Sprintf("orientation/landscape_exif_orientation_%d.jpg", n)
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			for _, tt := range []struct {
				name string
				o    spec.Options
				ref  decoded
			}{
				{"pixels", spec.Options{Region: pxRegion(400, 300, 600, 450), Format: spec.FormatPNG}, full},
				{"fractions", spec.Options{Region: fracRegion(0.25, 0.25, 0.375, 0.375), Format: spec.FormatPNG}, full},
				{"shrunk", spec.Options{Region: pxRegion(400, 300, 600, 450), Width: 200, Format: spec.FormatPNG}, shrunk},
			} {
				res, got := renderDecoded(t, rel, tt.o, "")
				if res.Width != tt.ref.w || res.Height != tt.ref.h {
					t.Fatalf("%s: %dx%d, want %dx%d", tt.name, res.Width, res.Height, tt.ref.w, tt.ref.h)
				}
				if d := meanAbsDiff(t, tt.ref, got); d > 5 {
					t.Errorf("%s: differs from the reference window by %.1f", tt.name, d)
				}
			}
		})
	}
}

// TestRegionGeometry: the region combines with every fit and gravity
// (gravity works inside it), is clamped to the source, and f=json reports
// it and the kept window in source pixels.
func TestRegionGeometry(t *testing.T) {
	const src = "orientation/landscape_exif_orientation_6.jpg" // 1600x1200 upright
	r := func(x, y, w, h int) *Rect { return &Rect{X: x, Y: y, Width: w, Height: h} }
	tests := []struct {
		name       string
		o          spec.Options
		w, h       int
		region     *Rect
		crop       *Rect
		focusInReg bool
	}{
		{"region alone", spec.Options{Region: pxRegion(100, 200, 800, 400)}, 800, 400, r(100, 200, 800, 400), r(100, 200, 800, 400), false},
		{"clamped at the edges", spec.Options{Region: pxRegion(1200, 1000, 5000, 5000)}, 400, 200, r(1200, 1000, 400, 200), r(1200, 1000, 400, 200), false},
		{"scale-down never enlarges", spec.Options{Region: pxRegion(0, 0, 100, 50), Width: 400}, 100, 50, r(0, 0, 100, 50), r(0, 0, 100, 50), false},
		{"contain enlarges the region", spec.Options{Region: pxRegion(0, 0, 100, 50), Width: 400, Fit: spec.FitContain}, 400, 200, r(0, 0, 100, 50), r(0, 0, 100, 50), false},
		{"cover left inside the region", spec.Options{Region: pxRegion(200, 100, 800, 400), Width: 100, Height: 100, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityLeft}}, 100, 100, r(200, 100, 800, 400), r(200, 100, 400, 400), false},
		{"cover right inside the region", spec.Options{Region: pxRegion(200, 100, 800, 400), Width: 100, Height: 100, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityRight}}, 100, 100, r(200, 100, 800, 400), r(600, 100, 400, 400), false},
		{"pad around the region", spec.Options{Region: pxRegion(0, 0, 800, 400), Width: 200, Height: 200, Fit: spec.FitPad}, 200, 200, r(0, 0, 800, 400), r(0, 0, 800, 400), false},
		{"squeeze", spec.Options{Region: pxRegion(0, 0, 800, 400), Width: 100, Height: 100, Fit: spec.FitSqueeze}, 100, 100, r(0, 0, 800, 400), r(0, 0, 800, 400), false},
		{"rotate 90 after the region", spec.Options{Region: pxRegion(0, 0, 800, 400), Rotate: 90}, 400, 800, r(0, 0, 800, 400), r(0, 0, 800, 400), false},
		{"attention inside the region", spec.Options{Region: pxRegion(800, 600, 800, 600), Width: 100, Height: 100, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityAuto}}, 100, 100, r(800, 600, 800, 600), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Format = spec.FormatJSON
			d, err := testRenderer(t).Describe(context.Background(), Original{Data: readCorpus(t, src)}, o.Normalize(), "")
			if err != nil {
				t.Fatal(err)
			}
			if d.Output.Width != tt.w || d.Output.Height != tt.h {
				t.Errorf("f=json output %dx%d, want %dx%d", d.Output.Width, d.Output.Height, tt.w, tt.h)
			}
			if d.Region == nil || *d.Region != *tt.region {
				t.Errorf("region %+v, want %+v", d.Region, tt.region)
			}
			if tt.focusInReg {
				reg := tt.region
				if c := d.Crop; c == nil || c.X < reg.X || c.Y < reg.Y || c.X+c.Width > reg.X+reg.Width || c.Y+c.Height > reg.Y+reg.Height {
					t.Errorf("attention window %+v is not inside the region %+v", c, reg)
				}
			} else if d.Crop == nil || *d.Crop != *tt.crop {
				t.Errorf("crop %+v, want %+v", d.Crop, tt.crop)
			}
			// And the pixels come out at the size f=json said.
			res, _ := renderDecoded(t, src, tt.o, "")
			if res.Width != tt.w || res.Height != tt.h {
				t.Errorf("rendered %dx%d, want %dx%d", res.Width, res.Height, tt.w, tt.h)
			}
		})
	}
}

// TestRegionGravityPixels: g=left and g=right inside a region keep that
// region's left and right squares, compared with the squares cut directly.
func TestRegionGravityPixels(t *testing.T) {
	const src = "orientation/landscape_exif_orientation_1.jpg"
	for _, tt := range []struct {
		g spec.GravityKind
		x int
	}{{spec.GravityLeft, 200}, {spec.GravityRight, 600}} {
		o := spec.Options{Region: pxRegion(200, 100, 800, 400), Width: 200, Height: 200, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: tt.g}, Format: spec.FormatPNG}
		_, got := renderDecoded(t, src, o, "")
		ref := referenceWindow(t, src, tt.x, 100, 400, 400, 200, 200)
		if d := meanAbsDiff(t, ref, got); d > 5 {
			t.Errorf("g=%s: differs from the square at x=%d by %.1f", tt.g, tt.x, d)
		}
	}
}

// TestRegionOutside: a region wholly outside the source is the URL's
// mistake (400), not the source's.
func TestRegionOutside(t *testing.T) {
	for _, reg := range []*spec.Region{pxRegion(1600, 0, 10, 10), pxRegion(0, 5000, 10, 10), fracRegion(1, 0, 0.5, 0.5)} {
		_, err := testRenderer(t).Render(context.Background(), Original{Data: readCorpus(t, "orientation/landscape_exif_orientation_1.jpg")}, spec.Options{Region: reg}, "")
		if fault.KindOf(err) != fault.BadRequest {
			t.Errorf("region %+v: %v (kind %v), want bad request", *reg, err, fault.KindOf(err))
		}
	}
}

// BenchmarkRegion: a region of a 20 MP JPEG shrunk to a thumbnail, loaded
// through shrink-on-load (the pipeline) and cut at full size then resized
// (what it would cost without).
func BenchmarkRegion(b *testing.B) {
	const src = "photos/kleiber_bird_20mp.jpg"
	buf := readCorpus(b, src)
	o := spec.Options{Region: fracRegion(0.1, 0.1, 0.8, 0.8), Width: 200, Format: spec.FormatJPEG}
	b.Run("pipeline", func(b *testing.B) {
		for b.Loop() {
			if _, err := testRenderer(b).Render(context.Background(), Original{Data: buf}, o, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full-size-cut", func(b *testing.B) {
		for b.Loop() {
			img, err := vips.LoadImageFromBuffer(buf, vips.NewImportParams())
			if err != nil {
				b.Fatal(err)
			}
			w, h := img.Width(), img.Height()
			_ = img.ExtractArea(w/10, h/10, w*8/10, h*8/10)
			_ = img.Resize(200/float64(img.Width()), vips.KernelLanczos3)
			if _, _, err := img.ExportJpeg(vips.NewJpegExportParams()); err != nil {
				b.Fatal(err)
			}
			img.Close()
		}
	})
}

// windowLocator is a vision sidecar that sees one face in the middle of
// whatever preview it is given, and records what it was given.
type windowLocator struct {
	id   string
	w, h int
}

func (l *windowLocator) Regions(_ context.Context, id string, preview vision.Preview) (vision.Regions, error) {
	_, w, h, err := preview(256)
	l.id, l.w, l.h = id, w, h
	return vision.Regions{Faces: []vision.Box{{X: 0.45, Y: 0.45, Width: 0.1, Height: 0.1, Score: 0.9}}}, err
}

// TestRegionVision: with a region, the sidecar is shown the region (its
// analysis cached under the region too), its face boxes come back as
// fractions of the whole source in f=json, and the crop follows them.
func TestRegionVision(t *testing.T) {
	loc := &windowLocator{}
	r := &Renderer{cfg: testRenderer(t).cfg, vision: loc}
	o := spec.Options{Region: pxRegion(800, 600, 800, 600), Width: 100, Height: 100, Fit: spec.FitCover,
		Gravity: spec.Gravity{Kind: spec.GravityFace}, Format: spec.FormatJSON}
	d, err := r.Describe(context.Background(), Original{Data: readCorpus(t, "orientation/landscape_exif_orientation_1.jpg"), ID: "k@1"}, o.Normalize(), "")
	if err != nil {
		t.Fatal(err)
	}
	if loc.id != "k@1#800,600,800,600" || loc.w != 256 || loc.h != 192 {
		t.Errorf("sidecar saw %q %dx%d, want the 800x600 region at 256x192", loc.id, loc.w, loc.h)
	}
	if len(d.Faces) != 1 || math.Abs(d.Faces[0].X-0.725) > 1e-9 || math.Abs(d.Faces[0].Width-0.05) > 1e-9 || math.Abs(d.Faces[0].Y-0.725) > 1e-9 {
		t.Errorf("faces %+v, want one at 0.725,0.725 0.05 wide (fractions of the source)", d.Faces)
	}
	c := d.Crop
	if d.FocusedBy != "faces" || c == nil || c.X < 800 || c.Y < 600 || c.X+c.Width > 1600 || c.Y+c.Height > 1200 || c.X > 1200 || c.X+c.Width < 1200 {
		t.Errorf("crop %+v by %q: want a window inside the region holding the face at x=1200", c, d.FocusedBy)
	}
	res, err := r.Render(context.Background(), Original{Data: readCorpus(t, "orientation/landscape_exif_orientation_1.jpg"), ID: "k@1"}, spec.Options{Region: o.Region, Width: 100, Height: 100, Fit: spec.FitCover, Gravity: o.Gravity, Format: spec.FormatJPEG}, "")
	if err != nil || res.Width != 100 || res.Height != 100 || res.FocusedBy != "faces" {
		t.Errorf("render: %dx%d by %q, %v", res.Width, res.Height, res.FocusedBy, err)
	}
}
