// Package spec holds the options a render takes, as plain values with no cgo.
// Package presets parses URLs into an Options; package transform renders one.
// It lives under transform because the pixel pipeline owns what the options
// mean; it is separate so that the URL parser (and its fuzzer) need no libvips.
package spec

// DefaultMaxDimension bounds each side of the output in device pixels
// unless configured otherwise (limits.max_output_dimension). The URL parser
// refuses boxes over it and the pipeline never renders past it, so both
// read it here.
const DefaultMaxDimension = 8192

// Fit says how the source is fitted into the target box (Cloudflare's terms).
type Fit string

const (
	FitScaleDown Fit = "scale-down" // contain, but never enlarge (default)
	FitContain   Fit = "contain"    // fit inside the box, keep aspect ratio
	FitCover     Fit = "cover"      // fill the box, crop the overflow
	FitCrop      Fit = "crop"       // cover, but never enlarge
	FitPad       Fit = "pad"        // contain, then pad to the box with the background
	FitSqueeze   Fit = "squeeze"    // stretch to the box, ignore aspect ratio
)

// Fits lists every Fit, in documentation order.
var Fits = []Fit{FitScaleDown, FitContain, FitCover, FitCrop, FitPad, FitSqueeze}

// GravityKind says which part of the image survives a crop.
type GravityKind string

const (
	GravityCenter      GravityKind = "center"
	GravityTop         GravityKind = "top"
	GravityBottom      GravityKind = "bottom"
	GravityLeft        GravityKind = "left"
	GravityRight       GravityKind = "right"
	GravityTopLeft     GravityKind = "top-left"
	GravityTopRight    GravityKind = "top-right"
	GravityBottomLeft  GravityKind = "bottom-left"
	GravityBottomRight GravityKind = "bottom-right"
	GravityAuto        GravityKind = "auto"  // the salient region
	GravityFace        GravityKind = "face"  // the faces, else as auto
	GravityFocal       GravityKind = "focal" // the point (X, Y), written "XxY" in URLs
)

// Gravity is a GravityKind plus, for GravityFocal, the focal point as
// fractions of the oriented source (0..1, from the top left).
type Gravity struct {
	Kind GravityKind
	X, Y float64
}

// Format is an output format, or FormatAuto (pick from Accept), or FormatJSON
// (metadata instead of pixels). The zero value means "not asked for": the
// output keeps the source's format where browsers can show it.
type Format string

const (
	FormatUnset Format = ""
	FormatAuto  Format = "auto"
	FormatAVIF  Format = "avif"
	FormatWebP  Format = "webp"
	FormatJPEG  Format = "jpeg"
	FormatPNG   Format = "png"
	FormatJSON  Format = "json"
)

// Metadata says what source metadata survives into the output.
type Metadata string

const (
	MetadataNone      Metadata = "none"      // strip everything, GPS included (default)
	MetadataCopyright Metadata = "copyright" // keep only the copyright/artist notice
	MetadataKeep      Metadata = "keep"      // keep EXIF/XMP/IPTC as they are
)

// AutoLevel is q=auto's target.
type AutoLevel string

const (
	AutoLow    AutoLevel = "low"
	AutoMedium AutoLevel = "medium" // q=auto
	AutoHigh   AutoLevel = "high"
)

// FormatQualities are encoder qualities per output format, each 1..100 on
// that encoder's own scale; 0 is unset.
type FormatQualities struct{ AVIF, JPEG, PNG, WebP int }

// QualityFormats are the formats a quality override may name, in
// canonical order.
var QualityFormats = []Format{FormatAVIF, FormatJPEG, FormatPNG, FormatWebP}

// Of is f's quality; 0 when unset or f has none.
func (q FormatQualities) Of(f Format) int {
	if p := q.ptr(f); p != nil {
		return *p
	}
	return 0
}

// Set sets f's quality; false when f takes none.
func (q *FormatQualities) Set(f Format, v int) bool {
	p := q.ptr(f)
	if p != nil {
		*p = v
	}
	return p != nil
}

func (q *FormatQualities) ptr(f Format) *int {
	switch f {
	case FormatAVIF:
		return &q.AVIF
	case FormatJPEG:
		return &q.JPEG
	case FormatPNG:
		return &q.PNG
	case FormatWebP:
		return &q.WebP
	}
	return nil
}

// Color is an sRGB colour with alpha.
type Color struct{ R, G, B, A uint8 }

// Options is everything a render needs to know about the output. The zero
// value of each field means "not set"; Normalize applies the defaults.
type Options struct {
	Width, Height int     // target box in CSS px; 0 = free
	DPR           float64 // device pixel ratio; 0 = 1
	Fit           Fit
	Gravity       Gravity
	// Zoom is how closely g=face crops toward the faces, as Cloudflare
	// defines it: 0 keeps the most context (the fit's own window), 1 crops
	// as closely to the faces as the aspect allows. Only g=face uses it.
	Zoom    float64
	Quality int // 1..100 on the JPEG-equivalent scale; 0 = the default from config
	// QualityFor is q=avif:50;webp:70: a format's own encoder quality,
	// which bypasses the scale for that format.
	QualityFor FormatQualities
	// QualityAuto is q=auto[:low|medium|high]: the lowest quality whose
	// in-process distance stays under the level's target, per image and
	// format ("" is off). It takes the place of Quality.
	QualityAuto  AutoLevel
	Format       Format
	Blur         float64 // Gaussian sigma; 0 = none
	Sharpen      float64 // 0 = none
	Background   *Color  // nil = not set (white for flatten, transparent for pad where alpha is possible)
	Rotate       int     // 0, 90, 180, 270, applied after EXIF orientation
	FlipH, FlipV bool
	Metadata     Metadata
	Anim         *bool // nil = default (keep animation)

	// Region is the part of the EXIF-oriented source that the rest of the
	// options apply to (crop=x,y,w,h); nil is the whole source.
	Region *Region
	// Trim removes a border inside the region: a uniform one found in the
	// pixels (trim=auto) or given margins (trim=t;r;b;l); nil trims nothing.
	Trim *Trim
	// TrimThreshold is trim.threshold for trim=auto; nil is the default.
	TrimThreshold *float64

	// Colour adjustments, as Cloudflare defines them: factors where 1 is
	// no change. Brightness, Contrast and Gamma: 0 is unset (Cloudflare
	// ignores 0). Saturation: nil is unset, 0 is greyscale.
	Brightness, Contrast, Gamma float64
	Saturation                  *float64

	// MaxBytes is max_bytes=: the most bytes the body may have (0 = no
	// limit). Quality, then size, are lowered until it fits.
	MaxBytes int

	// Raw is raw=true: the original's bytes, untouched. It takes no other
	// option but exp (the parser refuses the rest).
	Raw bool

	// Watermark is wm= and its wm_* options: another source drawn over
	// the output; nil (or no key) is none.
	Watermark *Watermark

	// Page is page=: the 1-based page of a PDF source (0 = the first);
	// Density is density=: the dpi a PDF page is rendered at (0 = 72,
	// PDF's own unit). Both mean nothing to other sources.
	Page, Density int

	// Expires is exp=: the Unix second after which the URL is refused
	// (0 = never). It changes no pixel; the server checks it, and clips the
	// caching headers to it.
	Expires int64
}

// DefaultTrimThreshold is libvips find_trim's default: how far a pixel
// may differ from the border colour and still count as border.
const DefaultTrimThreshold = 10

// Trim is trim=auto or explicit margins in source pixels, top, right,
// bottom, left as CSS writes them.
type Trim struct {
	Auto                     bool
	Top, Right, Bottom, Left int
}

// Threshold is trim=auto's threshold.
func (o Options) Threshold() float64 {
	if o.TrimThreshold == nil {
		return DefaultTrimThreshold
	}
	return *o.TrimThreshold
}

// Coord is one value of a region: source pixels, or a fraction (0..1) of
// the source's side when Frac is set.
type Coord struct {
	V    float64
	Frac bool
}

// px resolves c against a side of n pixels.
func (c Coord) px(n int) float64 {
	if c.Frac {
		return c.V * float64(n)
	}
	return c.V
}

// Region is a window x,y,w,h of the EXIF-oriented source.
type Region struct{ X, Y, W, H Coord }

// whole reports a region that is the whole source whatever its size.
func (r Region) whole() bool {
	return r.X.V == 0 && r.Y.V == 0 && r.W.Frac && r.W.V == 1 && r.H.Frac && r.H.V == 1
}

// Resolve is r in the pixels of a w×h source, clamped to it: edges are
// rounded, so that fractions that tile the source tile it exactly. ok is
// false when nothing of the source is left.
func (r Region) Resolve(w, h int) (x, y, rw, rh int, ok bool) {
	x0 := clampInt(roundInt(r.X.px(w)), 0, w)
	y0 := clampInt(roundInt(r.Y.px(h)), 0, h)
	x1 := clampInt(roundInt(r.X.px(w)+r.W.px(w)), x0, w)
	y1 := clampInt(roundInt(r.Y.px(h)+r.H.px(h)), y0, h)
	return x0, y0, x1 - x0, y1 - y0, x1 > x0 && y1 > y0
}

func roundInt(f float64) int {
	switch {
	case f >= 1<<30:
		return 1 << 30
	case f <= 0:
		return 0
	}
	return int(f + 0.5)
}

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

// Normalize fills in the defaults and folds equal meanings into one form,
// so that equal meanings compare equal: anim=true is the default (nil), and
// the focal point 0.5x0.5 is the centre.
func (o Options) Normalize() Options {
	if o.DPR == 0 {
		o.DPR = 1
	}
	if o.Fit == "" {
		o.Fit = FitScaleDown
	}
	if o.Gravity.Kind == "" {
		o.Gravity.Kind = GravityCenter
	}
	if o.Gravity.Kind == GravityFocal && o.Gravity.X == 0.5 && o.Gravity.Y == 0.5 {
		o.Gravity.Kind = GravityCenter
	}
	if o.Gravity.Kind != GravityFocal {
		o.Gravity.X, o.Gravity.Y = 0, 0
	}
	// zoom means something only to g=face (Cloudflare ignores it elsewhere).
	if o.Gravity.Kind != GravityFace {
		o.Zoom = 0
	}
	if o.Anim != nil && *o.Anim {
		o.Anim = nil
	}
	if o.Metadata == "" {
		o.Metadata = MetadataNone
	}
	if t := o.Trim; t != nil && *t == (Trim{}) {
		o.Trim = nil
	}
	// The threshold means something only to trim=auto.
	if o.Trim == nil || !o.Trim.Auto || o.TrimThreshold != nil && *o.TrimThreshold == DefaultTrimThreshold {
		o.TrimThreshold = nil
	}
	for _, f := range []*float64{&o.Brightness, &o.Contrast, &o.Gamma} {
		if *f == 1 {
			*f = 0
		}
	}
	if o.Saturation != nil && *o.Saturation == 1 {
		o.Saturation = nil
	}
	if r := o.Region; r != nil {
		// Zero is zero in pixels or as a fraction: one spelling.
		if r.X.V == 0 && r.Y.V == 0 && r.X.Frac != r.Y.Frac || r.X.V == 0 && r.X.Frac || r.Y.V == 0 && r.Y.Frac {
			c := *r
			c.X.Frac = c.X.Frac && c.X.V != 0
			c.Y.Frac = c.Y.Frac && c.Y.V != 0
			r = &c
		}
		o.Region = r
		if r.whole() {
			o.Region = nil
		}
	}
	o.Watermark = normalizeWatermark(o.Watermark)
	if o.Page == 1 {
		o.Page = 0
	}
	if o.Density == DefaultDensity {
		o.Density = 0
	}
	return o
}

// Watermark is an overlay: the source key of an image, where it goes
// (a compass point, or a focal point of fractions of the free space, as
// gravity), its width as a fraction of the output's (0 = its own, shrunk
// to fit) and its opacity (0 = unset, opaque).
type Watermark struct {
	Key     string
	Pos     Gravity
	Scale   float64
	Opacity float64
}

// Fractions is where a compass or focal position puts a thing in the
// free space around it: 0 left/top, 0.5 centre, 1 right/bottom.
func (g Gravity) Fractions() (x, y float64) {
	switch g.Kind {
	case GravityFocal:
		return g.X, g.Y
	case GravityTop:
		return 0.5, 0
	case GravityBottom:
		return 0.5, 1
	case GravityLeft:
		return 0, 0.5
	case GravityRight:
		return 1, 0.5
	case GravityTopLeft:
		return 0, 0
	case GravityTopRight:
		return 1, 0
	case GravityBottomLeft:
		return 0, 1
	case GravityBottomRight:
		return 1, 1
	}
	return 0.5, 0.5
}

// normalizeWatermark gives each watermark one spelling: none without a
// key; bottom-right where unset; a focal point on a compass point is that
// point; opacity 1 is unset.
func normalizeWatermark(w *Watermark) *Watermark {
	if w == nil || w.Key == "" {
		return nil
	}
	c := *w
	if c.Pos.Kind == "" {
		c.Pos.Kind = GravityBottomRight
	}
	if c.Pos.Kind == GravityFocal {
		for _, k := range []GravityKind{GravityCenter, GravityTop, GravityBottom, GravityLeft, GravityRight,
			GravityTopLeft, GravityTopRight, GravityBottomLeft, GravityBottomRight} {
			if x, y := (Gravity{Kind: k}).Fractions(); x == c.Pos.X && y == c.Pos.Y {
				c.Pos = Gravity{Kind: k}
				break
			}
		}
	}
	if c.Pos.Kind != GravityFocal {
		c.Pos.X, c.Pos.Y = 0, 0
	}
	if c.Opacity == 1 {
		c.Opacity = 0
	}
	return &c
}

// DefaultDensity is the dpi a PDF page is rendered at when density= is
// unset: 72, one pixel per PDF point.
const DefaultDensity = 72

// Adjusts reports whether any colour adjustment is set (o normalized).
func (o Options) Adjusts() bool {
	return o.Brightness != 0 || o.Contrast != 0 || o.Gamma != 0 || o.Saturation != nil
}

// KeepAnimation reports whether animated sources stay animated.
func (o Options) KeepAnimation() bool { return o.Anim == nil || *o.Anim }

// TargetWidth and TargetHeight are the box in device pixels (CSS px × dpr),
// rounded; 0 means free.
func (o Options) TargetWidth() int  { return scale(o.Width, o.DPR) }
func (o Options) TargetHeight() int { return scale(o.Height, o.DPR) }

func scale(px int, dpr float64) int {
	if px == 0 {
		return 0
	}
	if dpr == 0 {
		dpr = 1
	}
	v := int(float64(px)*dpr + 0.5)
	if v < 1 {
		v = 1
	}
	return v
}
