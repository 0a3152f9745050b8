package presets

import (
	"bytes"
	"net/url"
	"strconv"

	"github.com/pixmill/pixmill/transform/spec"
)

// Canonical is the one transform string for r's meaning: aliases resolved,
// presets expanded, defaults omitted, items sorted by option name, numbers
// in their shortest form, "_" when nothing is left. Two paths that mean the
// same output have the same Canonical, and Canonical parses back to the
// same Options. See docs/url.md, "Canonical form".
func (r Request) Canonical() string { return canonical(r.Options) }

func canonical(o spec.Options) string {
	o = o.Normalize()
	b := make([]byte, 0, 64)
	item := func(name string) {
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, name...)
		b = append(b, '=')
	}
	// Sorted by option name; keep this order when adding options.
	if o.Anim != nil {
		item("anim")
		b = strconv.AppendBool(b, *o.Anim)
	}
	if c := o.Background; c != nil {
		item("background")
		b = appendHex(b, c.R, c.G, c.B)
		if c.A != 0xff {
			b = appendHex(b, c.A)
		}
	}
	if o.Blur != 0 {
		item("blur")
		b = appendFloat(b, o.Blur)
	}
	if o.Brightness != 0 {
		item("brightness")
		b = appendFloat(b, o.Brightness)
	}
	if o.Contrast != 0 {
		item("contrast")
		b = appendFloat(b, o.Contrast)
	}
	if r := o.Region; r != nil {
		item("crop")
		for i, c := range []spec.Coord{r.X, r.Y, r.W, r.H} {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCoord(b, c)
		}
	}
	if o.Density != 0 {
		item("density")
		b = strconv.AppendInt(b, int64(o.Density), 10)
	}
	if o.DPR != 1 {
		item("dpr")
		b = appendFloat(b, o.DPR)
	}
	if o.Expires != 0 {
		item("exp")
		b = strconv.AppendInt(b, o.Expires, 10)
	}
	if o.Fit != spec.FitScaleDown {
		item("fit")
		b = append(b, o.Fit...)
	}
	if o.FlipH || o.FlipV {
		item("flip")
		if o.FlipH {
			b = append(b, 'h')
		}
		if o.FlipV {
			b = append(b, 'v')
		}
	}
	if o.Format != spec.FormatUnset {
		item("format")
		b = append(b, o.Format...)
	}
	if o.Gamma != 0 {
		item("gamma")
		b = appendFloat(b, o.Gamma)
	}
	if o.Gravity.Kind != spec.GravityCenter {
		item("gravity")
		b = appendGravity(b, o.Gravity)
	}
	if o.Height != 0 {
		item("height")
		b = strconv.AppendInt(b, int64(o.Height), 10)
	}
	if o.MaxBytes != 0 {
		item("max_bytes")
		b = strconv.AppendInt(b, int64(o.MaxBytes), 10)
	}
	if o.Metadata != spec.MetadataNone {
		item("metadata")
		b = append(b, o.Metadata...)
	}
	if o.Page != 0 {
		item("page")
		b = strconv.AppendInt(b, int64(o.Page), 10)
	}
	if o.Quality != 0 || o.QualityAuto != "" || o.QualityFor != (spec.FormatQualities{}) {
		item("quality")
		b = appendQuality(b, o.Quality, o.QualityAuto, o.QualityFor)
	}
	if o.Raw {
		item("raw")
		b = append(b, "true"...)
	}
	if o.Rotate != 0 {
		item("rotate")
		b = strconv.AppendInt(b, int64(o.Rotate), 10)
	}
	if o.Saturation != nil {
		item("saturation")
		b = appendFloat(b, *o.Saturation)
	}
	if o.Sharpen != 0 {
		item("sharpen")
		b = appendFloat(b, o.Sharpen)
	}
	if t := o.Trim; t != nil {
		item("trim")
		if t.Auto {
			b = append(b, "auto"...)
		} else {
			for i, m := range []int{t.Top, t.Right, t.Bottom, t.Left} {
				if i > 0 {
					b = append(b, ';')
				}
				b = strconv.AppendInt(b, int64(m), 10)
			}
		}
	}
	if th := o.TrimThreshold; th != nil {
		item("trim.threshold")
		b = appendFloat(b, *th)
	}
	if o.Width != 0 {
		item("width")
		b = strconv.AppendInt(b, int64(o.Width), 10)
	}
	if w := o.Watermark; w != nil {
		item("wm")
		b = append(b, url.PathEscape(w.Key)...) // escapes / and , too
		if w.Opacity != 0 {
			item("wm_opacity")
			b = appendFloat(b, w.Opacity)
		}
		if w.Pos.Kind != spec.GravityBottomRight {
			item("wm_pos")
			b = appendGravity(b, w.Pos)
		}
		if w.Scale != 0 {
			item("wm_scale")
			b = appendFloat(b, w.Scale)
		}
	}
	if o.Zoom != 0 {
		item("zoom")
		b = appendFloat(b, o.Zoom)
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// appendFloat writes the shortest decimal that parses back to f exactly,
// never with an exponent: 2 -> "2", 1.50 -> "1.5".
func appendFloat(b []byte, f float64) []byte { return strconv.AppendFloat(b, f, 'f', -1, 64) }

// appendCoord writes a region value; a fraction keeps its decimal point
// ("1.0", not "1"), which is what tells it from pixels.
func appendCoord(b []byte, c spec.Coord) []byte {
	n := len(b)
	b = appendFloat(b, c.V)
	if c.Frac && !bytes.ContainsRune(b[n:], '.') {
		b = append(b, ".0"...)
	}
	return b
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func appendHex(b []byte, vs ...byte) []byte {
	const digits = "0123456789abcdef"
	for _, v := range vs {
		b = append(b, digits[v>>4], digits[v&0xf])
	}
	return b
}

// appendGravity writes a gravity as the URL does: a compass name, or the
// focal point "XxY".
func appendGravity(b []byte, g spec.Gravity) []byte {
	if g.Kind != spec.GravityFocal {
		return append(b, g.Kind...)
	}
	b = appendFloat(b, g.X)
	b = append(b, 'x')
	return appendFloat(b, g.Y)
}

// appendQuality writes q's value: the scale's quality or auto first
// ("auto" for medium), then each format's override in the order of
// spec.QualityFormats.
func appendQuality(b []byte, q int, auto spec.AutoLevel, per spec.FormatQualities) []byte {
	sep := false
	switch {
	case q != 0:
		b = strconv.AppendInt(b, int64(q), 10)
		sep = true
	case auto == spec.AutoMedium:
		b = append(b, "auto"...)
		sep = true
	case auto != "":
		b = append(append(b, "auto:"...), auto...)
		sep = true
	}
	for _, f := range spec.QualityFormats {
		if v := per.Of(f); v != 0 {
			if sep {
				b = append(b, ';')
			}
			b = append(b, f...)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(v), 10)
			sep = true
		}
	}
	return b
}
