package transform

import (
	"errors"
	"fmt"
	"math"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/vision"

	"github.com/pixmill/pixmill/transform/spec"
)

// Rect is a window in pixels.
type Rect struct {
	X      int `json:"x"`
	Y      int `json:"y"`
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Plan is everything the steps need, computed from the header and the options
// before any pixel is decoded. f=json returns it without running the steps.
type Plan struct {
	Source   Info
	Options  spec.Options // normalized
	Format   spec.Format  // output format, after negotiation
	Animated bool         // frames are kept
	// Animation says why an animated source that would have stayed
	// animated gives its first frame instead ("" when nothing was dropped).
	Animation string

	// Window is the part of the EXIF-oriented source the URL keeps before
	// anything else (crop=x,y,w,h, then trim), in its pixels; nil is the
	// whole source. Everything below treats the window as the source.
	Window *Rect
	// Oriented is the window's size after the URL's rotate.
	OrientedW, OrientedH int
	// Scaled is the whole oriented source after resizing, before cropping.
	ScaledW, ScaledH int
	// Crop is the window kept from the scaled image, in its frame after the
	// URL's rotate and flips (gravity points at the output); nil keeps all.
	// When Focus is set, its size is fixed but its position is found from
	// the pixels (g=auto, g=face) and Crop.X/Y are filled in by the crop step.
	Crop  *Rect
	Focus bool
	// FocusedBy says what placed a Focus window: "faces" or "saliency" from
	// the vision sidecar, "attention" from libvips; Faces are the faces the
	// sidecar found, as fractions of the EXIF-oriented source.
	FocusedBy string
	Faces     []vision.Box
	// Degraded says why the crop is not what the URL asked for, or "":
	// the sidecar was asked and did not answer, so libvips attention placed
	// a g=face or g=auto window instead. Such a result is served but not
	// kept, and the edge may keep it only briefly (see server).
	Degraded string
	// Canvas is the output size; larger than the kept image only for fit=pad,
	// where the image sits at (PadX, PadY).
	CanvasW, CanvasH int
	PadX, PadY       int
}

// SourceCrop is the crop window in the pixels of the EXIF-oriented source
// (the frame f=json reports width and height in), or nil. The URL's rotate
// and flips are undone: Crop lives in the frame after them.
func (p *Plan) SourceCrop() *Rect {
	if p.Crop == nil {
		return nil
	}
	// Each axis is mapped by its own ratio, as the resize did; edges are
	// rounded rather than sizes so that the window never leaves the source.
	sx := float64(p.OrientedW) / float64(p.ScaledW)
	sy := float64(p.OrientedH) / float64(p.ScaledH)
	x0 := clamp(int(math.Round(float64(p.Crop.X)*sx)), 0, p.OrientedW)
	y0 := clamp(int(math.Round(float64(p.Crop.Y)*sy)), 0, p.OrientedH)
	x1 := clamp(int(math.Round(float64(p.Crop.X+p.Crop.Width)*sx)), x0, p.OrientedW)
	y1 := clamp(int(math.Round(float64(p.Crop.Y+p.Crop.Height)*sy)), y0, p.OrientedH)
	r := Rect{X: x0, Y: y0, Width: x1 - x0, Height: y1 - y0}

	o := p.Options
	if o.FlipH {
		r.X = p.OrientedW - r.X - r.Width
	}
	if o.FlipV {
		r.Y = p.OrientedH - r.Y - r.Height
	}
	if o.Rotate == 90 || o.Rotate == 180 || o.Rotate == 270 {
		r.X, r.Y = orientWindow(r.X, r.Y, r.Width, r.Height, p.OrientedW, p.OrientedH, 360-o.Rotate, false, false)
		if o.Rotate != 180 {
			r.Width, r.Height = r.Height, r.Width
		}
	}
	if w := p.Window; w != nil {
		r.X += w.X
		r.Y += w.Y
	}
	return &r
}

// KeptSource is what f=json reports as crop: the part of the EXIF-oriented
// source the output shows, in its pixels, or nil when that is all of it.
func (p *Plan) KeptSource() *Rect {
	if p.Crop == nil && p.Window != nil {
		w := *p.Window
		return &w
	}
	return p.SourceCrop()
}

// regionWindow is the URL's crop region in the pixels of the EXIF-oriented
// source, or nil when it keeps all of it. A region wholly outside the
// source is the URL's mistake, not the source's.
func regionWindow(info Info, opts spec.Options) (*Rect, error) {
	if opts.Region == nil {
		return nil, nil
	}
	x, y, w, h, ok := opts.Region.Resolve(info.Width, info.Height)
	if !ok {
		return nil, fault.New(fault.BadRequest, "crop: the region lies outside the %dx%d source", info.Width, info.Height)
	}
	if x == 0 && y == 0 && w == info.Width && h == info.Height {
		return nil, nil
	}
	return &Rect{X: x, Y: y, Width: w, Height: h}, nil
}

// NewPlan computes the geometry of a render. opts must be normalized, and
// must not need pixels to find its window (trim=auto; see prepare).
func NewPlan(info Info, opts spec.Options, format spec.Format, cfg Config) (*Plan, error) {
	if opts.Trim != nil && opts.Trim.Auto {
		return nil, errTrimNeedsPixels
	}
	win, err := findWindow(nil, info, opts)
	if err != nil {
		return nil, err
	}
	return newPlan(info, opts, format, cfg, win), nil
}

var errTrimNeedsPixels = errors.New("transform: trim=auto needs the pixels: use Prepare")

// newPlan is NewPlan with the window found.
func newPlan(info Info, opts spec.Options, format spec.Format, cfg Config, win *Rect) *Plan {
	p := &Plan{
		Source:    info,
		Options:   opts,
		Format:    format,
		Animated:  info.Animated() && opts.KeepAnimation() && format == spec.FormatWebP,
		Window:    win,
		OrientedW: info.Width,
		OrientedH: info.Height,
	}
	if win != nil {
		p.OrientedW, p.OrientedH = win.Width, win.Height
		if p.Animated {
			// Frames are loaded as one strip; a window of each is not
			// worth its cost yet.
			p.Animated = false
			p.Animation = "first frame: crop and trim apply to the first frame only"
		}
	}
	if opts.Rotate == 90 || opts.Rotate == 270 {
		p.OrientedW, p.OrientedH = p.OrientedH, p.OrientedW
	}
	maxDim := cfg.MaxOutputDimension
	if maxDim <= 0 {
		maxDim = DefaultConfig().MaxOutputDimension
	}
	tw, th, fit := targetBox(p, opts, maxDim)
	ow, oh := float64(p.OrientedW), float64(p.OrientedH)
	fw, fh := float64(tw), float64(th)

	var scale float64
	switch fit {
	case spec.FitSqueeze:
		p.ScaledW, p.ScaledH = tw, th
	case spec.FitContain, spec.FitPad:
		scale = math.Min(fw/ow, fh/oh)
	case spec.FitCover:
		scale = math.Max(fw/ow, fh/oh)
	case spec.FitCrop:
		scale = math.Min(math.Max(fw/ow, fh/oh), 1)
	default: // scale-down
		scale = math.Min(math.Min(fw/ow, fh/oh), 1)
	}
	if fit != spec.FitSqueeze {
		p.ScaledW, p.ScaledH = scaledSize(ow, oh, scale, tw, th)
	}
	// Cover of an extreme aspect ratio enlarges one side far past the box
	// before the crop; libvips computes only the window, but its sizes
	// must stay within its coordinate limits.
	if limit := maxScaledFactor * maxDim; p.ScaledW > limit || p.ScaledH > limit {
		s := math.Min(float64(limit)/float64(p.ScaledW), float64(limit)/float64(p.ScaledH))
		p.ScaledW = max(1, int(float64(p.ScaledW)*s))
		p.ScaledH = max(1, int(float64(p.ScaledH)*s))
	}
	p.CanvasW, p.CanvasH = p.ScaledW, p.ScaledH

	if fit == spec.FitCover || fit == spec.FitCrop {
		cw, ch := min(tw, p.ScaledW), min(th, p.ScaledH)
		if cw < p.ScaledW || ch < p.ScaledH {
			p.Crop = &Rect{Width: cw, Height: ch}
			p.Focus = opts.Gravity.Kind == spec.GravityAuto || opts.Gravity.Kind == spec.GravityFace
			p.Crop.X, p.Crop.Y = place(p.ScaledW, p.ScaledH, cw, ch, opts.Gravity)
			p.CanvasW, p.CanvasH = cw, ch
		}
	}
	if fit == spec.FitPad && (p.ScaledW < tw || p.ScaledH < th) {
		p.CanvasW, p.CanvasH = tw, th
		p.PadX, p.PadY = place(tw, th, p.ScaledW, p.ScaledH, opts.Gravity)
	}
	capFrames(p, cfg)
	return p
}

// targetBox is the box the output must fit, in device px, and the fit mode
// that applies to it.
func targetBox(p *Plan, opts spec.Options, maxDim int) (tw, th int, fit spec.Fit) {
	ow, oh := float64(p.OrientedW), float64(p.OrientedH)
	tw, th, fit = opts.TargetWidth(), opts.TargetHeight(), opts.Fit
	// A box with one free side takes the source's aspect ratio: every fit
	// mode then reduces to contain (or scale-down for the never-enlarging ones).
	if tw == 0 || th == 0 {
		switch fit {
		case spec.FitCrop, spec.FitScaleDown:
			fit = spec.FitScaleDown
		default:
			fit = spec.FitContain
		}
		switch {
		case tw == 0 && th == 0:
			tw, th = p.OrientedW, p.OrientedH
			fit = spec.FitScaleDown
		case tw == 0:
			tw = max(1, int(math.Round(float64(th)*ow/oh)))
		default:
			th = max(1, int(math.Round(float64(tw)*oh/ow)))
		}
	}
	// The output is bounded: a box over the limit shrinks as a whole, so
	// that the output keeps the shape that was asked for. Every fit then
	// stays inside the box (cover and crop by cropping to it).
	tw, th = shrinkBox(tw, th, maxDim, maxDim)
	// An animation is never enlarged: every frame is computed and encoded,
	// so its cost is the output size times the frames. The box shrinks as
	// a whole until it fits the frame; every fit then stays within it.
	if p.Animated {
		tw, th = shrinkBox(tw, th, p.OrientedW, p.OrientedH)
	}
	return tw, th, fit
}

// shrinkBox scales a w×h box down as a whole, keeping its shape, until it
// fits within maxW×maxH; a box that fits is returned as it is.
func shrinkBox(w, h, maxW, maxH int) (int, int) {
	if w <= maxW && h <= maxH {
		return w, h
	}
	s := math.Min(float64(maxW)/float64(w), float64(maxH)/float64(h))
	return clamp(int(math.Round(float64(w)*s)), 1, maxW), clamp(int(math.Round(float64(h)*s)), 1, maxH)
}

// capFrames bounds an animated output's pixels, all frames counted, at the
// source pixel limit; over it, the first frame alone is rendered and the
// plan says why (f=json shows it). With animations never enlarged this
// holds already for any source the limits let in; the check keeps it true
// whatever the geometry above becomes.
func capFrames(p *Plan, cfg Config) {
	limit := cfg.MaxSourcePixels
	if limit <= 0 {
		limit = DefaultConfig().MaxSourcePixels
	}
	frames := int64(p.Source.Frames)
	if !p.Animated || int64(max(p.CanvasW, p.ScaledW))*int64(max(p.CanvasH, p.ScaledH))*frames <= limit {
		return
	}
	p.Animated = false
	p.Animation = fmt.Sprintf("first frame: %d frames × %dx%d over the pixel limit", frames, p.CanvasW, p.CanvasH)
}

// maxScaledFactor bounds the scaled image, before the crop, at this many
// times the output limit.
const maxScaledFactor = 16

// scaledSize applies scale, snapping a side to the box when it is less than a
// pixel off, so that cover and contain meet the box exactly. A side a whole
// pixel short (a 399 px source in a 400 px box) is not enlarged.
func scaledSize(ow, oh, scale float64, tw, th int) (int, int) {
	w := max(1, int(math.Round(ow*scale)))
	h := max(1, int(math.Round(oh*scale)))
	if w != tw && math.Abs(ow*scale-float64(tw)) < 1 {
		w = tw
	}
	if h != th && math.Abs(oh*scale-float64(th)) < 1 {
		h = th
	}
	return w, h
}

// place positions an inner w×h window inside an outer W×H area by gravity:
// compass points share out the slack, a focal point centres the window on
// itself as far as the edges allow. auto and face start centred.
func place(outerW, outerH, w, h int, g spec.Gravity) (int, int) {
	fx, fy := 0.5, 0.5
	switch g.Kind {
	case spec.GravityTop:
		fy = 0
	case spec.GravityBottom:
		fy = 1
	case spec.GravityLeft:
		fx = 0
	case spec.GravityRight:
		fx = 1
	case spec.GravityTopLeft:
		fx, fy = 0, 0
	case spec.GravityTopRight:
		fx, fy = 1, 0
	case spec.GravityBottomLeft:
		fx, fy = 0, 1
	case spec.GravityBottomRight:
		fx, fy = 1, 1
	case spec.GravityFocal:
		x := clamp(int(math.Round(g.X*float64(outerW)-float64(w)/2)), 0, outerW-w)
		y := clamp(int(math.Round(g.Y*float64(outerH)-float64(h)/2)), 0, outerH-h)
		return x, y
	}
	return int(math.Round(fx * float64(outerW-w))), int(math.Round(fy * float64(outerH-h)))
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return max(lo, min(v, hi))
}
