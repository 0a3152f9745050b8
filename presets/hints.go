package presets

import (
	"math"
	"strconv"
)

// Hints are the client hints a request carried; zero means absent.
type Hints struct {
	DPR           float64 // Sec-CH-DPR
	Width         int     // Sec-CH-Width: the image's layout width in device pixels
	ViewportWidth int     // Sec-CH-Viewport-Width: CSS pixels
}

// HintsUsed says which hints changed the answer, for Vary.
type HintsUsed struct{ DPR, Width, ViewportWidth bool }

// DefaultLadder is the width ladder (CSS px) that client-hint widths snap up
// to when the preset has none, so that hints mint few variants.
var DefaultLadder = []int{160, 320, 480, 640, 800, 960, 1280, 1600, 1920, 2560}

// ApplyHints fills in dpr and width from client hints where the URL's own
// items set neither: dpr is rounded to the DPRStep grid (1..max_dpr) and
// the width, in CSS px, is snapped up to the preset's ladder, or to ladder
// when the preset has none. An unsigned request gets a hint width only from
// its preset's ladder, so hints never widen what unsigned URLs can ask for.
// The result is re-parsed as if the URL had carried the items, so presets'
// aspect ratios and every limit apply.
func (p *Parser) ApplyHints(req Request, h Hints, ladder []int) (Request, HintsUsed, error) {
	var used HintsUsed
	extra := ""
	dpr := req.Options.DPR
	if req.urlMask&fDPR == 0 && h.DPR > 0 {
		d := p.roundDPR(math.Max(1, math.Min(h.DPR, p.cfg.MaxDPR)))
		used.DPR = true
		if d != dpr {
			dpr = d
			extra += ",dpr=" + formatFloat(d)
		}
	}
	if req.urlMask&fWidth == 0 {
		steps := ladder
		if pr := p.presets[req.Preset]; pr != nil && len(pr.Widths) > 0 {
			steps = pr.Widths
		} else if !req.Signed && !p.cfg.AllowUnsigned {
			steps = nil
		}
		css := 0
		switch {
		case h.Width > 0:
			css = int(math.Ceil(float64(h.Width) / dpr))
			used.Width = len(steps) > 0
		case h.ViewportWidth > 0:
			css = h.ViewportWidth
			used.ViewportWidth = len(steps) > 0
		}
		if css > 0 && len(steps) > 0 {
			if w := snapUp(css, steps); w != req.Options.Width {
				extra += ",w=" + strconv.Itoa(w)
			}
		}
	}
	if extra == "" {
		return req, used, nil
	}
	transform := req.Transform + extra
	if req.Transform == "_" {
		transform = extra[1:]
	}
	out, err := p.parseBody(transform, req.escKey)
	if err != nil {
		return req, HintsUsed{}, err
	}
	out.Signature, out.Signed, out.Transform = req.Signature, req.Signed, req.Transform
	out.urlMask = req.urlMask
	return out, used, nil
}

// DPRStep is the grid every dpr is rounded to, from the URL and from
// Sec-CH-DPR alike. Without it each distinct decimal (1.00001, 1.00002, ...)
// would be its own canonical form: a render, an L1 entry and a CDN miss for
// identical pixels, mintable without a signature. Halves are what displays
// ship (1, 1.5, 2, 2.5, 3 ...; a 1.25 or 1.75 screen gets the next half up
// or down, a few percent of resolution either way), so the grid costs no
// visible quality and leaves at most 2*max_dpr-1 variants per width.
const DPRStep = 0.5

// roundDPR rounds d (already within 1..MaxDPR) to the nearest DPRStep,
// halves away from zero (1.25 -> 1.5), and keeps the result on the grid and
// within MaxDPR when MaxDPR itself is off the grid (max_dpr 2.75: 2.5).
func (p *Parser) roundDPR(d float64) float64 {
	r := math.Round(d/DPRStep) * DPRStep
	if r > p.cfg.MaxDPR {
		r = math.Floor(p.cfg.MaxDPR/DPRStep) * DPRStep
	}
	return math.Max(1, r)
}

// snapUp is the smallest step at least w, else the largest step.
func snapUp(w int, steps []int) int {
	best := 0
	for _, s := range steps {
		if s >= w && (best == 0 || s < best) {
			best = s
		}
	}
	if best == 0 {
		for _, s := range steps {
			best = max(best, s)
		}
	}
	return best
}
