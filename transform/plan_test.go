package transform

import (
	"fmt"
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

var (
	landscape = Info{Format: "jpeg", Width: 4000, Height: 3000, Orientation: 1, Frames: 1}
	portrait  = Info{Format: "jpeg", Width: 3000, Height: 4000, Orientation: 1, Frames: 1}
	// Probe reports EXIF-oriented sizes: a 4000x3000 sensor image tagged 6
	// is a 3000x4000 picture.
	exif6 = Info{Format: "jpeg", Width: 3000, Height: 4000, Orientation: 6, Frames: 1}
)

type geometry struct {
	scaledW, scaledH int
	crop             *Rect
	canvasW, canvasH int
	padX, padY       int
}

func (g geometry) String() string {
	c := "none"
	if g.crop != nil {
		c = fmt.Sprintf("%+v", *g.crop)
	}
	return fmt.Sprintf("scaled %dx%d crop %s canvas %dx%d pad %d,%d", g.scaledW, g.scaledH, c, g.canvasW, g.canvasH, g.padX, g.padY)
}

func geometryOf(p *Plan) geometry {
	return geometry{p.ScaledW, p.ScaledH, p.Crop, p.CanvasW, p.CanvasH, p.PadX, p.PadY}
}

func rect(x, y, w, h int) *Rect { return &Rect{X: x, Y: y, Width: w, Height: h} }

func box(w, h int, f spec.Fit) spec.Options { return spec.Options{Width: w, Height: h, Fit: f} }

func TestNewPlanGeometry(t *testing.T) {
	type opt = spec.Options
	grav := func(o opt, k spec.GravityKind) opt { o.Gravity.Kind = k; return o }
	focal := func(o opt, x, y float64) opt { o.Gravity = spec.Gravity{Kind: spec.GravityFocal, X: x, Y: y}; return o }
	dpr := func(o opt, d float64) opt { o.DPR = d; return o }
	rot := func(o opt, r int) opt { o.Rotate = r; return o }

	tests := []struct {
		name string
		src  Info
		opts spec.Options
		want geometry
	}{
		// scale-down: contain that never enlarges
		{"scale-down w", landscape, box(400, 0, spec.FitScaleDown), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"scale-down h", landscape, box(0, 300, spec.FitScaleDown), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"scale-down box", landscape, box(400, 400, spec.FitScaleDown), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"scale-down larger box", landscape, box(8000, 8000, spec.FitScaleDown), geometry{4000, 3000, nil, 4000, 3000, 0, 0}},
		{"scale-down larger w", landscape, box(5000, 0, spec.FitScaleDown), geometry{4000, 3000, nil, 4000, 3000, 0, 0}},
		{"default fit is scale-down", landscape, opt{Width: 5000}, geometry{4000, 3000, nil, 4000, 3000, 0, 0}},
		{"no size keeps the source", landscape, opt{}, geometry{4000, 3000, nil, 4000, 3000, 0, 0}},
		{"scale-down portrait", portrait, box(400, 400, spec.FitScaleDown), geometry{300, 400, nil, 300, 400, 0, 0}},
		// contain: may enlarge
		{"contain w", landscape, box(400, 0, spec.FitContain), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"contain h", landscape, box(0, 300, spec.FitContain), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"contain box", landscape, box(400, 400, spec.FitContain), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"contain larger box", landscape, box(8000, 8000, spec.FitContain), geometry{8000, 6000, nil, 8000, 6000, 0, 0}},
		{"contain portrait", portrait, box(400, 400, spec.FitContain), geometry{300, 400, nil, 300, 400, 0, 0}},
		// cover: fill the box, crop the overflow (centre by default)
		{"cover box", landscape, box(400, 400, spec.FitCover), geometry{533, 400, rect(67, 0, 400, 400), 400, 400, 0, 0}},
		{"cover wide box", landscape, box(400, 100, spec.FitCover), geometry{400, 300, rect(0, 100, 400, 100), 400, 100, 0, 0}},
		{"cover w only", landscape, box(400, 0, spec.FitCover), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"cover h only", landscape, box(0, 300, spec.FitCover), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"cover larger box", landscape, box(8000, 8000, spec.FitCover), geometry{10667, 8000, rect(1334, 0, 8000, 8000), 8000, 8000, 0, 0}},
		{"cover portrait", portrait, box(400, 400, spec.FitCover), geometry{400, 533, rect(0, 67, 400, 400), 400, 400, 0, 0}},
		// crop: cover that never enlarges
		{"crop box", landscape, box(400, 400, spec.FitCrop), geometry{533, 400, rect(67, 0, 400, 400), 400, 400, 0, 0}},
		{"crop w only", landscape, box(400, 0, spec.FitCrop), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"crop h only", landscape, box(0, 300, spec.FitCrop), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"crop larger box", landscape, box(8000, 8000, spec.FitCrop), geometry{4000, 3000, nil, 4000, 3000, 0, 0}},
		{"crop box larger one way", landscape, box(5000, 2000, spec.FitCrop), geometry{4000, 3000, rect(0, 500, 4000, 2000), 4000, 2000, 0, 0}},
		{"crop larger w only", landscape, box(5000, 0, spec.FitCrop), geometry{4000, 3000, nil, 4000, 3000, 0, 0}},
		// pad: contain plus bars
		{"pad box", landscape, box(400, 400, spec.FitPad), geometry{400, 300, nil, 400, 400, 0, 50}},
		{"pad portrait", portrait, box(400, 400, spec.FitPad), geometry{300, 400, nil, 400, 400, 50, 0}},
		{"pad w only", landscape, box(400, 0, spec.FitPad), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"pad h only", landscape, box(0, 300, spec.FitPad), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"pad exact aspect", landscape, box(400, 300, spec.FitPad), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"pad larger box", landscape, box(8000, 8000, spec.FitPad), geometry{8000, 6000, nil, 8000, 8000, 0, 1000}},
		{"pad top", landscape, grav(box(400, 400, spec.FitPad), spec.GravityTop), geometry{400, 300, nil, 400, 400, 0, 0}},
		{"pad bottom-right", portrait, grav(box(400, 400, spec.FitPad), spec.GravityBottomRight), geometry{300, 400, nil, 400, 400, 100, 0}},
		// squeeze: exactly the box
		{"squeeze box", landscape, box(400, 400, spec.FitSqueeze), geometry{400, 400, nil, 400, 400, 0, 0}},
		{"squeeze w only", landscape, box(400, 0, spec.FitSqueeze), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"squeeze h only", landscape, box(0, 300, spec.FitSqueeze), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"squeeze larger box", landscape, box(8000, 1000, spec.FitSqueeze), geometry{8000, 1000, nil, 8000, 1000, 0, 0}},
		// dpr multiplies the box
		{"dpr 2 scale-down", landscape, dpr(box(400, 0, spec.FitScaleDown), 2), geometry{800, 600, nil, 800, 600, 0, 0}},
		{"dpr 2 cover", landscape, dpr(box(200, 200, spec.FitCover), 2), geometry{533, 400, rect(67, 0, 400, 400), 400, 400, 0, 0}},
		{"dpr 1.5 pad", landscape, dpr(box(200, 200, spec.FitPad), 1.5), geometry{300, 225, nil, 300, 300, 0, 38}},
		{"dpr 2 scale-down capped by source", landscape, dpr(box(3000, 0, spec.FitScaleDown), 2), geometry{4000, 3000, nil, 4000, 3000, 0, 0}},
		// rotate 90/270 swaps the oriented size; 180 does not
		{"rotate 90 w", landscape, rot(box(400, 0, spec.FitScaleDown), 90), geometry{400, 533, nil, 400, 533, 0, 0}},
		{"rotate 270 h", landscape, rot(box(0, 400, spec.FitScaleDown), 270), geometry{300, 400, nil, 300, 400, 0, 0}},
		{"rotate 180 w", landscape, rot(box(400, 0, spec.FitScaleDown), 180), geometry{400, 300, nil, 400, 300, 0, 0}},
		{"rotate 90 cover", landscape, rot(box(400, 200, spec.FitCover), 90), geometry{400, 533, rect(0, 167, 400, 200), 400, 200, 0, 0}},
		{"rotate 90 pad", landscape, rot(box(400, 400, spec.FitPad), 90), geometry{300, 400, nil, 400, 400, 50, 0}},
		{"rotate 90 of exif 6 is landscape again", exif6, rot(box(400, 0, spec.FitScaleDown), 90), geometry{400, 300, nil, 400, 300, 0, 0}},
		// EXIF orientation 6: the plan sees the upright 3000x4000 picture
		{"exif 6 w", exif6, box(400, 0, spec.FitScaleDown), geometry{400, 533, nil, 400, 533, 0, 0}},
		{"exif 6 cover", exif6, box(400, 400, spec.FitCover), geometry{400, 533, rect(0, 67, 400, 400), 400, 400, 0, 0}},
		{"exif 6 pad", exif6, box(400, 400, spec.FitPad), geometry{300, 400, nil, 400, 400, 50, 0}},
		// compass gravity on a landscape cover (133 px of slack across)
		{"gravity left", landscape, grav(box(400, 400, spec.FitCover), spec.GravityLeft), geometry{533, 400, rect(0, 0, 400, 400), 400, 400, 0, 0}},
		{"gravity right", landscape, grav(box(400, 400, spec.FitCover), spec.GravityRight), geometry{533, 400, rect(133, 0, 400, 400), 400, 400, 0, 0}},
		{"gravity top on landscape", landscape, grav(box(400, 400, spec.FitCover), spec.GravityTop), geometry{533, 400, rect(67, 0, 400, 400), 400, 400, 0, 0}},
		{"gravity top-left", landscape, grav(box(400, 400, spec.FitCover), spec.GravityTopLeft), geometry{533, 400, rect(0, 0, 400, 400), 400, 400, 0, 0}},
		{"gravity bottom-right", landscape, grav(box(400, 400, spec.FitCover), spec.GravityBottomRight), geometry{533, 400, rect(133, 0, 400, 400), 400, 400, 0, 0}},
		{"gravity top-right", landscape, grav(box(400, 400, spec.FitCover), spec.GravityTopRight), geometry{533, 400, rect(133, 0, 400, 400), 400, 400, 0, 0}},
		// compass gravity on a portrait cover (133 px of slack down)
		{"portrait gravity top", portrait, grav(box(400, 400, spec.FitCover), spec.GravityTop), geometry{400, 533, rect(0, 0, 400, 400), 400, 400, 0, 0}},
		{"portrait gravity bottom", portrait, grav(box(400, 400, spec.FitCover), spec.GravityBottom), geometry{400, 533, rect(0, 133, 400, 400), 400, 400, 0, 0}},
		{"portrait gravity bottom-left", portrait, grav(box(400, 400, spec.FitCover), spec.GravityBottomLeft), geometry{400, 533, rect(0, 133, 400, 400), 400, 400, 0, 0}},
		{"portrait gravity left", portrait, grav(box(400, 400, spec.FitCover), spec.GravityLeft), geometry{400, 533, rect(0, 67, 400, 400), 400, 400, 0, 0}},
		// focal points centre the window on themselves, clamped at the edges
		{"focal centre", landscape, focal(box(400, 400, spec.FitCover), 0.5, 0.5), geometry{533, 400, rect(67, 0, 400, 400), 400, 400, 0, 0}},
		{"focal 0.4", landscape, focal(box(400, 400, spec.FitCover), 0.4, 0.5), geometry{533, 400, rect(13, 0, 400, 400), 400, 400, 0, 0}},
		{"focal left edge clamps", landscape, focal(box(400, 400, spec.FitCover), 0.1, 0.5), geometry{533, 400, rect(0, 0, 400, 400), 400, 400, 0, 0}},
		{"focal right edge clamps", landscape, focal(box(400, 400, spec.FitCover), 0.95, 0.5), geometry{533, 400, rect(133, 0, 400, 400), 400, 400, 0, 0}},
		{"focal 0x0 clamps", landscape, focal(box(400, 400, spec.FitCover), 0, 0), geometry{533, 400, rect(0, 0, 400, 400), 400, 400, 0, 0}},
		{"focal 1x1 clamps", landscape, focal(box(400, 400, spec.FitCover), 1, 1), geometry{533, 400, rect(133, 0, 400, 400), 400, 400, 0, 0}},
		{"focal portrait y 0.45", portrait, focal(box(400, 400, spec.FitCover), 0.5, 0.45), geometry{400, 533, rect(0, 40, 400, 400), 400, 400, 0, 0}},
		{"focal portrait y 0.9 clamps", portrait, focal(box(400, 400, spec.FitCover), 0.5, 0.9), geometry{400, 533, rect(0, 133, 400, 400), 400, 400, 0, 0}},
		// auto and face start centred and are placed from the pixels
		{"auto starts centred", landscape, grav(box(400, 400, spec.FitCover), spec.GravityAuto), geometry{533, 400, rect(67, 0, 400, 400), 400, 400, 0, 0}},
		// scale-down never enlarges, not even by a rounding pixel
		{"scale-down 1px short of the box", Info{Width: 399, Height: 300, Frames: 1}, box(400, 0, spec.FitScaleDown), geometry{399, 300, nil, 399, 300, 0, 0}},
		{"extreme aspect w only", Info{Width: 16, Height: 17000, Frames: 1}, box(200, 0, spec.FitContain), geometry{8, 8192, nil, 8, 8192, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, tt.src, tt.opts.Normalize(), spec.FormatJPEG, DefaultConfig())
			if got := geometryOf(p); got.String() != tt.want.String() {
				t.Errorf("%dx%d %+v:\n got %v\nwant %v", tt.src.Width, tt.src.Height, tt.opts, got, tt.want)
			}
		})
	}
}

func TestNewPlanMaxOutputDimension(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxOutputDimension = 1000
	tests := []struct {
		name string
		src  Info
		opts spec.Options
		want geometry
	}{
		{"contain w over the limit", landscape, box(2000, 0, spec.FitContain), geometry{1000, 750, nil, 1000, 750, 0, 0}},
		{"contain h over the limit widens past it", landscape, box(0, 900, spec.FitContain), geometry{1000, 750, nil, 1000, 750, 0, 0}},
		{"contain box over the limit", landscape, box(3000, 3000, spec.FitContain), geometry{1000, 750, nil, 1000, 750, 0, 0}},
		{"scale-down no size", landscape, spec.Options{}, geometry{1000, 750, nil, 1000, 750, 0, 0}},
		{"scale-down dpr pushes over", landscape, spec.Options{Width: 800, DPR: 2}, geometry{1000, 750, nil, 1000, 750, 0, 0}},
		{"cover box over the limit", landscape, box(2000, 2000, spec.FitCover), geometry{1333, 1000, rect(167, 0, 1000, 1000), 1000, 1000, 0, 0}},
		{"cover keeps the box's aspect", landscape, box(4000, 1000, spec.FitCover), geometry{1000, 750, rect(0, 250, 1000, 250), 1000, 250, 0, 0}},
		{"crop box over the limit", landscape, box(2000, 2000, spec.FitCrop), geometry{1333, 1000, rect(167, 0, 1000, 1000), 1000, 1000, 0, 0}},
		{"pad box over the limit", landscape, box(2000, 2000, spec.FitPad), geometry{1000, 750, nil, 1000, 1000, 0, 125}},
		{"squeeze box over the limit", landscape, box(3000, 1500, spec.FitSqueeze), geometry{1000, 500, nil, 1000, 500, 0, 0}},
		{"portrait h over the limit", portrait, box(0, 5000, spec.FitContain), geometry{750, 1000, nil, 750, 1000, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, tt.src, tt.opts.Normalize(), spec.FormatJPEG, cfg)
			if got := geometryOf(p); got.String() != tt.want.String() {
				t.Errorf("%+v:\n got %v\nwant %v", tt.opts, got, tt.want)
			}
			if p.CanvasW > cfg.MaxOutputDimension || p.CanvasH > cfg.MaxOutputDimension {
				t.Errorf("canvas %dx%d over the limit %d", p.CanvasW, p.CanvasH, cfg.MaxOutputDimension)
			}
		})
	}
}

func TestNewPlanAnimated(t *testing.T) {
	anim := Info{Format: "gif", Width: 200, Height: 100, Frames: 10, HasAlpha: true}
	tests := []struct {
		name   string
		format spec.Format
		anim   *bool
		want   bool
	}{
		{"webp keeps frames", spec.FormatWebP, nil, true},
		{"anim=false", spec.FormatWebP, boolPtr(false), false},
		{"png cannot animate", spec.FormatPNG, nil, false},
		{"avif is not animated here", spec.FormatAVIF, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, anim, spec.Options{Width: 100, Anim: tt.anim}.Normalize(), tt.format, DefaultConfig())
			if p.Animated != tt.want {
				t.Errorf("Animated = %v, want %v", p.Animated, tt.want)
			}
		})
	}
}

// TestNewPlanAnimationNeverEnlarges: an animated output is at most the
// source frame; a box that would enlarge shrinks as a whole (keeping its
// shape), and an output over the pixel cap, frames counted, falls back to
// the first frame and says so.
func TestNewPlanAnimationNeverEnlarges(t *testing.T) {
	gif500 := Info{Format: "gif", Width: 316, Height: 316, Frames: 500}
	tiny := DefaultConfig()
	tiny.MaxSourcePixels = 316 * 316 * 100 // less than the source: only NewPlan's cap stands
	tests := []struct {
		name         string
		opts         spec.Options
		cfg          Config
		wantW, wantH int
		wantAnimated bool
		wantReason   string
	}{
		{"thumb w=400 dpr=4 (1600x1600 cover)", spec.Options{Width: 400, Height: 400, DPR: 4, Fit: spec.FitCover}, DefaultConfig(), 316, 316, true, ""},
		{"squeeze 1000x31 keeps its shape", spec.Options{Width: 1000, Height: 31, Fit: spec.FitSqueeze}, DefaultConfig(), 316, 10, true, ""},
		{"pad 1600x800", spec.Options{Width: 1600, Height: 800, Fit: spec.FitPad}, DefaultConfig(), 316, 158, true, ""},
		{"contain w=2000", spec.Options{Width: 2000, Fit: spec.FitContain}, DefaultConfig(), 316, 316, true, ""},
		{"shrinking is unchanged", spec.Options{Width: 100, Height: 50, Fit: spec.FitCover}, DefaultConfig(), 100, 50, true, ""},
		{"over the cap: first frame", spec.Options{Width: 316}, tiny, 316, 316, false, "first frame: 500 frames × 316x316 over the pixel limit"},
		{"under the cap after shrinking", spec.Options{Width: 100}, tiny, 100, 100, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, gif500, tt.opts.Normalize(), spec.FormatWebP, tt.cfg)
			if p.CanvasW != tt.wantW || p.CanvasH != tt.wantH || p.Animated != tt.wantAnimated || p.Animation != tt.wantReason {
				t.Errorf("got %dx%d animated %v %q, want %dx%d animated %v %q", p.CanvasW, p.CanvasH, p.Animated, p.Animation,
					tt.wantW, tt.wantH, tt.wantAnimated, tt.wantReason)
			}
		})
	}
	// A still may still be enlarged.
	if p := mustPlan(t, Info{Format: "gif", Width: 316, Height: 316, Frames: 1}, spec.Options{Width: 1000, Fit: spec.FitContain}.Normalize(), spec.FormatWebP, DefaultConfig()); p.CanvasW != 1000 {
		t.Errorf("still: %dx%d, want 1000 wide", p.CanvasW, p.CanvasH)
	}
}

// TestSourceCrop checks the f=json crop: the window kept, in the pixels of
// the EXIF-oriented source (the frame its width and height are reported in),
// whatever the URL's rotate and flip did afterwards.
func TestSourceCrop(t *testing.T) {
	wide := Info{Width: 4000, Height: 2000, Frames: 1} // cover 200x200 scales by exactly 0.1
	tall := Info{Width: 2000, Height: 4000, Frames: 1}
	o := func(g spec.GravityKind, rotate int, flip string) spec.Options {
		return spec.Options{Width: 200, Height: 200, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: g},
			Rotate: rotate, FlipH: flip == "h" || flip == "hv", FlipV: flip == "v" || flip == "hv"}
	}
	tests := []struct {
		name string
		src  Info
		opts spec.Options
		want *Rect
	}{
		{"no crop", wide, spec.Options{Width: 200}, nil},
		{"centre", wide, o(spec.GravityCenter, 0, ""), rect(1000, 0, 2000, 2000)},
		{"left", wide, o(spec.GravityLeft, 0, ""), rect(0, 0, 2000, 2000)},
		{"right", wide, o(spec.GravityRight, 0, ""), rect(2000, 0, 2000, 2000)},
		// the output's top after a clockwise quarter turn is the source's left
		{"rotate 90 top", wide, o(spec.GravityTop, 90, ""), rect(0, 0, 2000, 2000)},
		{"rotate 90 bottom", wide, o(spec.GravityBottom, 90, ""), rect(2000, 0, 2000, 2000)},
		{"rotate 180 left", wide, o(spec.GravityLeft, 180, ""), rect(2000, 0, 2000, 2000)},
		{"rotate 270 top", wide, o(spec.GravityTop, 270, ""), rect(2000, 0, 2000, 2000)},
		{"rotate 270 bottom", wide, o(spec.GravityBottom, 270, ""), rect(0, 0, 2000, 2000)},
		{"flip h left", wide, o(spec.GravityLeft, 0, "h"), rect(2000, 0, 2000, 2000)},
		{"flip v left", wide, o(spec.GravityLeft, 0, "v"), rect(0, 0, 2000, 2000)},
		{"flip v top", tall, o(spec.GravityTop, 0, "v"), rect(0, 2000, 2000, 2000)},
		{"flip hv top", tall, o(spec.GravityTop, 0, "hv"), rect(0, 2000, 2000, 2000)},
		{"rotate 90 flip v top", wide, o(spec.GravityTop, 90, "v"), rect(2000, 0, 2000, 2000)},
		{"rotate 90 flip h top", wide, o(spec.GravityTop, 90, "h"), rect(0, 0, 2000, 2000)},
		{"rotate 270 flip v top", wide, o(spec.GravityTop, 270, "v"), rect(0, 0, 2000, 2000)},
		// rounded scales: the window stays inside the source
		{"landscape cover", landscape, spec.Options{Width: 400, Height: 400, Fit: spec.FitCover}, rect(503, 0, 3002, 3000)},
		{"landscape cover right", landscape, o(spec.GravityRight, 0, ""), rect(1004, 0, 2996, 3000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, tt.src, tt.opts.Normalize(), spec.FormatJPEG, DefaultConfig())
			got := p.SourceCrop()
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("SourceCrop = %+v, want %+v (plan %v)", got, tt.want, geometryOf(p))
			}
			if got != nil && (got.X < 0 || got.Y < 0 || got.X+got.Width > tt.src.Width || got.Y+got.Height > tt.src.Height) {
				t.Errorf("window %+v leaves the %dx%d source", *got, tt.src.Width, tt.src.Height)
			}
		})
	}
}
