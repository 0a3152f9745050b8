package presets

import (
	"math"
	"net/url"
	"reflect"
	"strings"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/keys"
	"github.com/pixmill/pixmill/transform/spec"
)

// Request is a parsed, verified request path.
type Request struct {
	Signature string       // as sent ("_" = unsigned)
	Transform string       // raw transform segment as sent
	Key       string       // source key, percent-decoded
	Preset    string       // the first named preset used, if any
	Signed    bool         // a signature verified
	Options   spec.Options // normalized: defaults applied, equal meanings equal

	escKey  string // the key as sent, for re-parsing with client hints
	urlMask field  // options set by the URL's own items, not by presets
}

// Parse verifies and parses a request path in its escaped form, as
// r.URL.EscapedPath() gives it: "/{signature}/{transform}/{source-key}".
//
// Errors are fault.BadRequest (malformed path, transform or key) or
// fault.Forbidden (missing or bad signature, unsigned request that the
// unsigned rules do not allow). Authorization is decided before the
// transform is looked at in detail, so an unsigned client learns nothing
// from 400s about what it may not ask for.
func (p *Parser) Parse(escapedPath string) (Request, error) {
	sig, transform, escKey, err := splitPath(escapedPath)
	if err != nil {
		return Request{}, err
	}
	signed := false
	switch {
	case sig == "_":
		if !p.cfg.AllowUnsigned {
			if err := p.checkUnsigned(transform); err != nil {
				return Request{}, err
			}
		}
	case sig == "":
		return Request{}, fault.New(fault.Forbidden, "missing signature")
	default:
		// The signed message is the path after the signature segment,
		// exactly as sent: "/" + transform + "/" + escaped key.
		if !p.verify(sig, escapedPath[1+len(sig):]) {
			return Request{}, fault.New(fault.Forbidden, "bad signature")
		}
		signed = true
	}
	req, err := p.parseBody(transform, escKey)
	if err != nil {
		return Request{}, err
	}
	req.Signature, req.Signed = sig, signed
	return req, nil
}

// parseBody parses the transform and the key; it is Parse without the
// signature, shared with Sign.
func (p *Parser) parseBody(transform, escKey string) (Request, error) {
	key, err := decodeKey(escKey)
	if err != nil {
		return Request{}, err
	}
	st, err := p.applyTransform(transform, true)
	if err != nil {
		return Request{}, err
	}
	opts, err := p.finish(&st)
	if err != nil {
		return Request{}, err
	}
	return Request{Transform: transform, Key: key, Preset: st.preset, Options: opts, escKey: escKey, urlMask: st.urlMask}, nil
}

func splitPath(path string) (sig, transform, escKey string, err error) {
	rest, ok := strings.CutPrefix(path, "/")
	if ok {
		sig, rest, ok = strings.Cut(rest, "/")
	}
	if ok {
		transform, escKey, ok = strings.Cut(rest, "/")
	}
	if !ok {
		return "", "", "", bad("path must be /{signature}/{transform}/{source-key}")
	}
	return sig, transform, escKey, nil
}

// decodeKey percent-decodes the source key and checks it (keys.Check).
func decodeKey(esc string) (string, error) {
	if esc == "" {
		return "", bad("empty source key")
	}
	key, err := url.PathUnescape(esc)
	if err != nil {
		return "", bad("source key: invalid percent-encoding")
	}
	return key, keys.Check(key)
}

// state is what applying a transform accumulates.
type state struct {
	opts    spec.Options
	mask    field  // fields set by any item
	urlMask field  // fields set by option items (not by presets)
	preset  string // first preset named

	// The last preset that set both width and height, and whether items
	// after it set width or height: one set alone keeps the preset's
	// aspect ratio (finish derives the other).
	aspectW, aspectH int
	setW, setH       bool
}

// applyTransform applies the comma-separated items of t in order, later
// ones overriding earlier ones. withPresets is false while presets
// themselves are loaded: presets may not name presets.
func (p *Parser) applyTransform(t string, withPresets bool) (state, error) {
	var st state
	switch t {
	case "":
		return st, bad("empty transform (use _ for no options)")
	case "_":
		return st, nil
	}
	for rest, more := t, true; more; {
		var item string
		item, rest, more = strings.Cut(rest, ",")
		name, val, isOption := strings.Cut(item, "=")
		switch {
		case item == "":
			return st, bad("transform %q has an empty item", t)
		case item == "_":
			return st, bad(`transform %q: "_" (no options) must stand alone`, t)
		case isOption:
			o := optionByName[name]
			if o == nil {
				return st, bad("unknown option %q", name)
			}
			// An option of several values takes the items after it
			// (crop=x,y,w,h), unless its value says it is whole.
			if n := valueParts[o.name]; n > 1 && !strings.Contains(val, ";") {
				for range n - 1 {
					var next string
					if !more {
						return st, bad("%s: %q needs %d comma-separated values", name, item, n)
					}
					next, rest, more = strings.Cut(rest, ",")
					val += "," + next
				}
			}
			if err := o.set(p, &st.opts, val); err != nil {
				return st, err
			}
			st.mask |= o.field
			st.urlMask |= o.field
			st.setW = st.setW || o.field == fWidth
			st.setH = st.setH || o.field == fHeight
		case !withPresets:
			return st, bad("%q: a preset cannot name another preset", item)
		default:
			d := p.presets[item]
			if d == nil {
				return st, bad("unknown preset %q", item)
			}
			if st.preset == "" {
				st.preset = item
			}
			copyFields(&st.opts, &d.opts, d.mask)
			st.mask |= d.mask
			if d.mask&(fWidth|fHeight) == fWidth|fHeight {
				st.aspectW, st.aspectH = d.opts.Width, d.opts.Height
				st.setW, st.setH = false, false
			} else {
				st.setW = st.setW || d.mask&fWidth != 0
				st.setH = st.setH || d.mask&fHeight != 0
			}
		}
	}
	return st, nil
}

// finish derives a dimension from a preset's aspect ratio where only the
// other was overridden, normalizes, and checks the device-pixel limit.
func (p *Parser) finish(st *state) (spec.Options, error) {
	if st.aspectW > 0 && st.setW != st.setH {
		if st.setW {
			st.opts.Height = ratio(st.opts.Width, st.aspectH, st.aspectW)
		} else {
			st.opts.Width = ratio(st.opts.Height, st.aspectW, st.aspectH)
		}
	}
	o := st.opts.Normalize()
	if o.Raw {
		rest := o
		rest.Raw, rest.Expires = false, 0
		if !reflect.DeepEqual(rest, spec.Options{}.Normalize()) {
			return o, bad("raw=true serves the original untouched: it takes no other option but exp (got %s)", canonical(rest))
		}
	}
	if tw, th, lim := o.TargetWidth(), o.TargetHeight(), p.cfg.MaxDimension; tw > lim || th > lim {
		return o, bad("%dx%d at dpr %s is %dx%d device px, over the limit of %d",
			o.Width, o.Height, formatFloat(o.DPR), tw, th, lim)
	}
	return o, nil
}

// ratio is round(n * num / den), at least 1, saturating rather than
// overflowing (finish's limit check then rejects it).
func ratio(n, num, den int) int {
	v := math.Round(float64(n) * float64(num) / float64(den))
	switch {
	case v < 1:
		return 1
	case v > math.MaxInt32:
		return math.MaxInt32
	}
	return int(v)
}

// ParseCanonical parses a canonical transform (Request.Canonical) and a
// source key without a signature: for a request another replica already
// verified and hands over on the authenticated peer port. The result
// counts as signed.
func (p *Parser) ParseCanonical(canonical, key string) (Request, error) {
	req, err := p.parseBody(canonical, EscapeKey(key))
	if err != nil {
		return Request{}, err
	}
	req.Signed = true
	return req, nil
}
