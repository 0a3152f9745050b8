package presets

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/keys"
	"github.com/pixmill/pixmill/transform/spec"
)

// field is one bit per option: which fields of spec.Options an option (or a
// preset) sets. Presets are applied by copying the fields in their mask.
type field uint32

const (
	fWidth field = 1 << iota
	fHeight
	fFit
	fGravity
	fDPR
	fQuality
	fFormat
	fBlur
	fSharpen
	fBackground
	fRotate
	fFlip
	fMetadata
	fAnim
	fRegion
	fTrim
	fTrimThreshold
	fExpires
	fBrightness
	fContrast
	fGamma
	fSaturation
	fMaxBytes
	fRaw
	fPage
	fDensity
	fWatermark
	fWmPos
	fWmScale
	fWmOpacity
	fZoom
)

// option is one transform option: its name, its alias and how a value is
// parsed into spec.Options.
type option struct {
	name, alias string
	field       field
	set         func(p *Parser, o *spec.Options, v string) error
}

// valueParts is how many comma-separated values an option takes where it
// is more than one: crop=x,y,w,h. The parser joins them into one value.
var valueParts = map[string]int{"crop": 4}

// options is the option table, in documentation order.
var options = []*option{
	{"width", "w", fWidth, func(p *Parser, o *spec.Options, v string) (err error) {
		o.Width, err = parseInt("width", v, 1, p.cfg.MaxDimension)
		return err
	}},
	{"height", "h", fHeight, func(p *Parser, o *spec.Options, v string) (err error) {
		o.Height, err = parseInt("height", v, 1, p.cfg.MaxDimension)
		return err
	}},
	{"fit", "", fFit, func(_ *Parser, o *spec.Options, v string) error {
		for _, f := range spec.Fits {
			if string(f) == v {
				o.Fit = f
				return nil
			}
		}
		return notOneOf("fit", v, fitNames)
	}},
	{"gravity", "g", fGravity, func(_ *Parser, o *spec.Options, v string) (err error) {
		o.Gravity, err = parseGravity(v)
		return err
	}},
	{"dpr", "", fDPR, func(p *Parser, o *spec.Options, v string) error {
		d, err := parseDecimal("dpr", v, 1, p.cfg.MaxDPR)
		if err != nil {
			return err
		}
		o.DPR = p.roundDPR(d) // at parse time, so presets, URLs and hints share one grid
		return nil
	}},
	{"quality", "q", fQuality, func(_ *Parser, o *spec.Options, v string) error {
		return parseQuality(o, v)
	}},
	{"format", "f", fFormat, func(_ *Parser, o *spec.Options, v string) error {
		switch f := spec.Format(v); f {
		case spec.FormatAuto, spec.FormatAVIF, spec.FormatWebP, spec.FormatJPEG, spec.FormatPNG, spec.FormatJSON:
			o.Format = f
			return nil
		}
		return notOneOf("format", v, "auto, avif, webp, jpeg, png, json")
	}},
	{"blur", "", fBlur, func(_ *Parser, o *spec.Options, v string) (err error) {
		o.Blur, err = parseDecimal("blur", v, 0, 250)
		return err
	}},
	{"sharpen", "", fSharpen, func(_ *Parser, o *spec.Options, v string) (err error) {
		o.Sharpen, err = parseDecimal("sharpen", v, 0, 10)
		return err
	}},
	{"background", "bg", fBackground, func(_ *Parser, o *spec.Options, v string) error {
		c, ok := parseHexColor(v)
		if !ok {
			return bad("background: %q is not a hex colour rrggbb or rrggbbaa", v)
		}
		o.Background = &c
		return nil
	}},
	{"rotate", "", fRotate, func(_ *Parser, o *spec.Options, v string) error {
		switch v {
		case "0", "90", "180", "270":
			o.Rotate, _ = strconv.Atoi(v)
			return nil
		}
		return notOneOf("rotate", v, "0, 90, 180, 270")
	}},
	{"flip", "", fFlip, func(_ *Parser, o *spec.Options, v string) error {
		switch v {
		case "h":
			o.FlipH, o.FlipV = true, false
		case "v":
			o.FlipH, o.FlipV = false, true
		case "hv":
			o.FlipH, o.FlipV = true, true
		default:
			return notOneOf("flip", v, "h, v, hv")
		}
		return nil
	}},
	{"metadata", "", fMetadata, func(_ *Parser, o *spec.Options, v string) error {
		switch m := spec.Metadata(v); m {
		case spec.MetadataNone, spec.MetadataCopyright, spec.MetadataKeep:
			o.Metadata = m
			return nil
		}
		return notOneOf("metadata", v, "none, copyright, keep")
	}},
	{"anim", "", fAnim, func(_ *Parser, o *spec.Options, v string) error {
		switch v {
		case "true":
			o.Anim = nil // the default; one spelling for one meaning
		case "false":
			keep := false
			o.Anim = &keep
		default:
			return notOneOf("anim", v, "true, false")
		}
		return nil
	}},
	{"crop", "", fRegion, func(_ *Parser, o *spec.Options, v string) error {
		r, err := parseRegion(v)
		if err != nil {
			return err
		}
		o.Region = &r
		return nil
	}},
	{"trim", "", fTrim, func(_ *Parser, o *spec.Options, v string) error {
		if v == "auto" {
			o.Trim = &spec.Trim{Auto: true}
			return nil
		}
		parts := strings.Split(v, ";")
		if len(parts) != 4 {
			return bad("trim: %q is not auto or top;right;bottom;left in source pixels", v)
		}
		var m [4]int
		for i, s := range parts {
			n, err := parseInt("trim", s, 0, maxRegionPx)
			if err != nil {
				return err
			}
			m[i] = n
		}
		o.Trim = &spec.Trim{Top: m[0], Right: m[1], Bottom: m[2], Left: m[3]}
		return nil
	}},
	{"trim.threshold", "", fTrimThreshold, func(_ *Parser, o *spec.Options, v string) error {
		f, err := parseDecimal("trim.threshold", v, 0, 255)
		if err != nil {
			return err
		}
		o.TrimThreshold = &f
		return nil
	}},
	{"exp", "", fExpires, func(_ *Parser, o *spec.Options, v string) error {
		n, err := parseInt("exp", v, 1, maxExpires)
		o.Expires = int64(n)
		return err
	}},
	{"brightness", "", fBrightness, func(_ *Parser, o *spec.Options, v string) (err error) {
		o.Brightness, err = parseDecimal("brightness", v, 0, maxAdjust)
		return err
	}},
	{"contrast", "", fContrast, func(_ *Parser, o *spec.Options, v string) (err error) {
		o.Contrast, err = parseDecimal("contrast", v, 0, maxAdjust)
		return err
	}},
	{"gamma", "", fGamma, func(_ *Parser, o *spec.Options, v string) (err error) {
		o.Gamma, err = parseDecimal("gamma", v, 0, maxAdjust)
		return err
	}},
	{"saturation", "", fSaturation, func(_ *Parser, o *spec.Options, v string) error {
		f, err := parseDecimal("saturation", v, 0, maxAdjust)
		if err != nil {
			return err
		}
		o.Saturation = &f
		return nil
	}},
	{"max_bytes", "", fMaxBytes, func(_ *Parser, o *spec.Options, v string) (err error) {
		o.MaxBytes, err = parseInt("max_bytes", v, minMaxBytes, maxMaxBytes)
		return err
	}},
	{"raw", "", fRaw, func(_ *Parser, o *spec.Options, v string) error {
		switch v {
		case "true":
			o.Raw = true
		case "false":
			o.Raw = false
		default:
			return notOneOf("raw", v, "true, false")
		}
		return nil
	}},
	{"wm", "", fWatermark, func(_ *Parser, o *spec.Options, v string) error {
		key, err := url.PathUnescape(v)
		if err != nil {
			return bad("wm: invalid percent-encoding")
		}
		if key == "" {
			return bad("wm: empty source key")
		}
		if err := keys.Check(key); err != nil {
			return bad("wm: %s", fault.Message(err))
		}
		wm(o).Key = key
		return nil
	}},
	{"wm_pos", "", fWmPos, func(_ *Parser, o *spec.Options, v string) error {
		g, err := parseGravity(v)
		if err != nil || g.Kind == spec.GravityAuto || g.Kind == spec.GravityFace {
			return bad("wm_pos: %q is not a compass point (center, top, bottom-right, ...) or XxY fractions", v)
		}
		wm(o).Pos = g
		return nil
	}},
	{"wm_scale", "", fWmScale, func(_ *Parser, o *spec.Options, v string) error {
		f, err := parseDecimal("wm_scale", v, 0, 1)
		if err == nil && f == 0 {
			err = bad("wm_scale: 0 is out of range: a fraction of the output width above 0, at most 1")
		}
		wm(o).Scale = f
		return err
	}},
	{"zoom", "", fZoom, func(_ *Parser, o *spec.Options, v string) (err error) {
		o.Zoom, err = parseDecimal("zoom", v, 0, 1)
		return err
	}},
	{"wm_opacity", "", fWmOpacity, func(_ *Parser, o *spec.Options, v string) error {
		f, err := parseDecimal("wm_opacity", v, 0, 1)
		if err == nil && f == 0 {
			err = bad("wm_opacity: 0 would draw nothing; use a value above 0, at most 1")
		}
		wm(o).Opacity = f
		return err
	}},
	{"page", "", fPage, func(_ *Parser, o *spec.Options, v string) (err error) {
		o.Page, err = parseInt("page", v, 1, maxPage)
		return err
	}},
	{"density", "", fDensity, func(_ *Parser, o *spec.Options, v string) (err error) {
		o.Density, err = parseInt("density", v, 1, maxDensity)
		return err
	}},
}

// wm is o's watermark, made on first use (the wm_* options may come
// before wm=, or from a preset).
func wm(o *spec.Options) *spec.Watermark {
	if o.Watermark == nil {
		o.Watermark = &spec.Watermark{}
	}
	return o.Watermark
}

// PDF options' ranges: more pages than a PDF reader will open, and a dpi
// past print resolution (the pixel limit caps what a page renders at).
const (
	maxPage    = 100000
	maxDensity = 2400
)

// max_bytes' range: under a kilobyte no encoder's headers leave room for
// a picture; over 64 MiB it limits nothing an output can reach.
const (
	minMaxBytes = 1024
	maxMaxBytes = 64 << 20
)

// maxAdjust bounds the colour factors: past 10 every one of them has
// already pushed a photo to flat white, black or neon.
const maxAdjust = 10

// maxExpires is the last second exp= may name: the year 9999, past which
// no HTTP date can be written.
const maxExpires = 253402300799

// maxRegionPx bounds a region's pixel values: far past any source the
// limits admit, small enough that sums of them never overflow.
const maxRegionPx = 1 << 24

// parseRegion reads "x,y,w,h" (or "x;y;w;h"): each value is whole source
// pixels ("120") or a fraction of the source's side, written with a
// decimal point ("0.25", "1.0"). w and h must be positive.
func parseRegion(v string) (spec.Region, error) {
	sep := ","
	if strings.Contains(v, ";") {
		sep = ";"
	}
	parts := strings.Split(v, sep)
	if len(parts) != 4 {
		return spec.Region{}, bad("crop: %q is not x,y,w,h (source pixels, or fractions written with a decimal point)", v)
	}
	var c [4]spec.Coord
	for i, s := range parts {
		f, ok := decimal(s)
		if !ok {
			return spec.Region{}, bad("crop: %q is not a number of pixels or a fraction like 0.25", s)
		}
		c[i].Frac = strings.Contains(s, ".")
		switch {
		case c[i].Frac && f > 1:
			return spec.Region{}, bad("crop: fraction %s is out of range 0..1", s)
		case !c[i].Frac && f > maxRegionPx:
			return spec.Region{}, bad("crop: %s px is out of range 0..%d", s, maxRegionPx)
		case i >= 2 && f == 0:
			return spec.Region{}, bad("crop: width and height must be positive, got %s", s)
		}
		c[i].V = f
	}
	return spec.Region{X: c[0], Y: c[1], W: c[2], H: c[3]}, nil
}

// optionByName maps names and aliases to options.
var optionByName = func() map[string]*option {
	m := make(map[string]*option, 2*len(options))
	for _, o := range options {
		m[o.name] = o
		if o.alias != "" {
			m[o.alias] = o
		}
	}
	return m
}()

var fitNames = func() string {
	names := make([]string, len(spec.Fits))
	for i, f := range spec.Fits {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}()

var gravityKinds = []spec.GravityKind{
	spec.GravityCenter, spec.GravityTop, spec.GravityBottom, spec.GravityLeft, spec.GravityRight,
	spec.GravityTopLeft, spec.GravityTopRight, spec.GravityBottomLeft, spec.GravityBottomRight,
	spec.GravityAuto, spec.GravityFace,
}

// parseGravity reads a named gravity or a focal point "XxY" (fractions 0..1).
func parseGravity(v string) (spec.Gravity, error) {
	for _, k := range gravityKinds {
		if string(k) == v {
			return spec.Gravity{Kind: k}, nil
		}
	}
	xs, ys, ok := strings.Cut(v, "x")
	if !ok {
		return spec.Gravity{}, notOneOf("gravity", v,
			"center, top, bottom, left, right, top-left, top-right, bottom-left, bottom-right, auto, face, XxY")
	}
	x, okx := decimal(xs)
	y, oky := decimal(ys)
	if !okx || !oky {
		return spec.Gravity{}, bad("gravity: %q is not a focal point XxY of two fractions like 0.5x0.33", v)
	}
	if x > 1 || y > 1 {
		return spec.Gravity{}, bad("gravity: %s is out of range: both fractions must be in 0..1", v)
	}
	return spec.Gravity{Kind: spec.GravityFocal, X: x, Y: y}, nil
}

// parseInt reads a decimal integer (digits only: no sign, no spaces) in lo..hi.
func parseInt(name, v string, lo, hi int) (int, error) {
	if v == "" {
		return 0, bad("%s: %q is not an integer", name, v)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, bad("%s: %q is not an integer", name, v)
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi { // err: only ErrRange is left
		return 0, bad("%s: %s is out of range %d..%d", name, v, lo, hi)
	}
	return n, nil
}

// parseDecimal reads digits with an optional fraction ("2", "1.5") in lo..hi.
func parseDecimal(name, v string, lo, hi float64) (float64, error) {
	f, ok := decimal(v)
	if !ok {
		return 0, bad("%s: %q is not a decimal number", name, v)
	}
	if f < lo || f > hi {
		return 0, bad("%s: %s is out of range %s..%s", name, v, formatFloat(lo), formatFloat(hi))
	}
	return f, nil
}

// decimal accepts only [0-9]+(\.[0-9]+)? so that exponents, hex floats,
// signs, "inf" and "nan" (all of which strconv.ParseFloat takes) never
// reach an Options.
func decimal(v string) (float64, bool) {
	digits, frac := 0, -1
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case '0' <= c && c <= '9':
			digits++
		case c == '.' && frac < 0 && digits > 0:
			frac = i
		default:
			return 0, false
		}
	}
	if digits == 0 || frac == len(v)-1 {
		return 0, false
	}
	f, _ := strconv.ParseFloat(v, 64) // syntax is checked; a range error gives ±Inf or 0, caught by the range check
	return f, true
}

func parseHexColor(v string) (spec.Color, bool) {
	if len(v) != 6 && len(v) != 8 {
		return spec.Color{}, false
	}
	var b [4]byte
	b[3] = 0xff
	for i := 0; i < len(v); i += 2 {
		hi, ok1 := unhex(v[i])
		lo, ok2 := unhex(v[i+1])
		if !ok1 || !ok2 {
			return spec.Color{}, false
		}
		b[i/2] = hi<<4 | lo
	}
	return spec.Color{R: b[0], G: b[1], B: b[2], A: b[3]}, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// copyFields copies the fields in mask from src to dst. Pointers are copied
// deeply so that no two Options share a mutable value.
func copyFields(dst, src *spec.Options, mask field) {
	if mask&fWidth != 0 {
		dst.Width = src.Width
	}
	if mask&fHeight != 0 {
		dst.Height = src.Height
	}
	if mask&fFit != 0 {
		dst.Fit = src.Fit
	}
	if mask&fGravity != 0 {
		dst.Gravity = src.Gravity
	}
	if mask&fDPR != 0 {
		dst.DPR = src.DPR
	}
	if mask&fQuality != 0 {
		dst.Quality, dst.QualityFor, dst.QualityAuto = src.Quality, src.QualityFor, src.QualityAuto
	}
	if mask&fFormat != 0 {
		dst.Format = src.Format
	}
	if mask&fBlur != 0 {
		dst.Blur = src.Blur
	}
	if mask&fSharpen != 0 {
		dst.Sharpen = src.Sharpen
	}
	if mask&fBackground != 0 {
		dst.Background = clonePtr(src.Background)
	}
	if mask&fRotate != 0 {
		dst.Rotate = src.Rotate
	}
	if mask&fFlip != 0 {
		dst.FlipH, dst.FlipV = src.FlipH, src.FlipV
	}
	if mask&fMetadata != 0 {
		dst.Metadata = src.Metadata
	}
	if mask&fAnim != 0 {
		dst.Anim = clonePtr(src.Anim)
	}
	if mask&fRegion != 0 {
		dst.Region = clonePtr(src.Region)
	}
	if mask&fBrightness != 0 {
		dst.Brightness = src.Brightness
	}
	if mask&fContrast != 0 {
		dst.Contrast = src.Contrast
	}
	if mask&fGamma != 0 {
		dst.Gamma = src.Gamma
	}
	if mask&fSaturation != 0 {
		dst.Saturation = clonePtr(src.Saturation)
	}
	if mask&fRaw != 0 {
		dst.Raw = src.Raw
	}
	if mask&(fWatermark|fWmPos|fWmScale|fWmOpacity) != 0 && src.Watermark != nil {
		d, s := wm(dst), src.Watermark
		if mask&fWatermark != 0 {
			d.Key = s.Key
		}
		if mask&fWmPos != 0 {
			d.Pos = s.Pos
		}
		if mask&fWmScale != 0 {
			d.Scale = s.Scale
		}
		if mask&fWmOpacity != 0 {
			d.Opacity = s.Opacity
		}
	}
	if mask&fPage != 0 {
		dst.Page = src.Page
	}
	if mask&fZoom != 0 {
		dst.Zoom = src.Zoom
	}
	if mask&fDensity != 0 {
		dst.Density = src.Density
	}
	if mask&fMaxBytes != 0 {
		dst.MaxBytes = src.MaxBytes
	}
	if mask&fExpires != 0 {
		dst.Expires = src.Expires
	}
	if mask&fTrim != 0 {
		dst.Trim = clonePtr(src.Trim)
	}
	if mask&fTrimThreshold != 0 {
		dst.TrimThreshold = clonePtr(src.TrimThreshold)
	}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func bad(format string, args ...any) error { return fault.New(fault.BadRequest, format, args...) }

func notOneOf(name, v, list string) error {
	return bad("%s: %q is not one of %s", name, v, list)
}

// parseQuality reads q: a quality on the one scale (JPEG's) or auto,
// per-format overrides on each encoder's own scale, or both, separated by
// ";": "80", "avif:50;webp:70", "80;avif:50", "auto:high;avif:50".
func parseQuality(o *spec.Options, v string) error {
	o.Quality, o.QualityFor, o.QualityAuto = 0, spec.FormatQualities{}, ""
	for part := range strings.SplitSeq(v, ";") {
		name, num, perFormat := strings.Cut(part, ":")
		if name == "auto" {
			if o.Quality != 0 || o.QualityAuto != "" {
				return bad("quality: %q sets the quality twice", v)
			}
			switch l := spec.AutoLevel(num); {
			case !perFormat:
				o.QualityAuto = spec.AutoMedium
			case l == spec.AutoLow || l == spec.AutoMedium || l == spec.AutoHigh:
				o.QualityAuto = l
			default:
				return bad("quality: %q is not auto, auto:low, auto:medium or auto:high", part)
			}
			continue
		}
		if !perFormat {
			if o.Quality != 0 || o.QualityAuto != "" {
				return bad("quality: %q sets the quality twice", v)
			}
			q, err := parseInt("quality", part, 1, 100)
			if err != nil {
				return err
			}
			o.Quality = q
			continue
		}
		f := spec.Format(name)
		if !slices.Contains(spec.QualityFormats, f) {
			return bad("quality: %q names no format with a quality (avif, jpeg, png, webp)", part)
		}
		if o.QualityFor.Of(f) != 0 {
			return bad("quality: %q sets %s twice", v, f)
		}
		q, err := parseInt("quality", num, 1, 100)
		if err != nil {
			return err
		}
		o.QualityFor.Set(f, q)
	}
	return nil
}
