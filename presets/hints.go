package presets

import (
	"math"
	"slices"
	"strconv"
)

// Hints are the client hints a request carried; zero means absent.
type Hints struct {
	DPR           float64 // Sec-CH-DPR
	Width         int     // Sec-CH-Width: the image's layout width in device pixels
	ViewportWidth int     // Sec-CH-Viewport-Width: CSS pixels
}

// HintsVary says which hints can change the answer for a URL, whether or
// not this request carried them: the Vary list of every response to it (200
// and 304 alike), so that a cache never serves one client's hinted variant
// to another.
type HintsVary struct{ DPR, Width, ViewportWidth bool }

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
//
// A hint never makes a request fail: hints are what a browser says, not
// what the URL's author asked for, and the same URL must keep working for
// every client. When the hinted size is over max_output_dimension, the
// width steps down the ladder, then the dpr steps down its grid, and at
// worst the URL is served as if no hints had come (req itself parsed).
func (p *Parser) ApplyHints(req Request, h Hints, ladder []int) (Request, HintsVary) {
	if req.Options.Raw { // the original has no width or dpr to choose
		return req, HintsVary{}
	}
	steps := ladder
	if pr := p.presets[req.Preset]; pr != nil && len(pr.Widths) > 0 {
		steps = pr.Widths
	} else if !req.Signed && !p.cfg.AllowUnsigned {
		steps = nil
	}
	widthFree := req.urlMask&fWidth == 0 && len(steps) > 0
	vary := HintsVary{DPR: req.urlMask&fDPR == 0, Width: widthFree, ViewportWidth: widthFree}

	// Only a hinted dpr steps down: the URL's or its preset's is kept.
	dpr, lowest := req.Options.DPR, req.Options.DPR
	if vary.DPR && h.DPR > 0 {
		dpr, lowest = p.roundDPR(math.Max(1, math.Min(h.DPR, p.cfg.MaxDPR))), 1
	}
	for d := dpr; d >= lowest; d -= DPRStep {
		css := 0
		switch {
		case !widthFree:
		case h.Width > 0:
			css = int(math.Ceil(float64(h.Width) / d))
		case h.ViewportWidth > 0:
			css = h.ViewportWidth
		}
		if css == 0 {
			if out, ok := p.withHints(req, d, 0); ok {
				return out, vary
			}
			continue
		}
		// The snapped width, then each smaller step, largest first.
		w := snapUp(css, steps)
		for _, sw := range append([]int{w}, stepsBelow(w, steps)...) {
			if out, ok := p.withHints(req, d, sw); ok {
				return out, vary
			}
		}
	}
	return req, vary
}

// withHints is req re-parsed with dpr d and, when w > 0, width w appended
// to its transform; ok is false when that is over a limit.
func (p *Parser) withHints(req Request, d float64, w int) (Request, bool) {
	extra := ""
	if d != req.Options.DPR {
		extra += ",dpr=" + formatFloat(d)
	}
	if w > 0 && w != req.Options.Width {
		extra += ",w=" + strconv.Itoa(w)
	}
	if extra == "" {
		return req, true
	}
	transform := req.Transform + extra
	if req.Transform == "_" {
		transform = extra[1:]
	}
	out, err := p.parseBody(transform, req.escKey)
	if err != nil {
		return req, false
	}
	out.Signature, out.Signed, out.Transform = req.Signature, req.Signed, req.Transform
	out.urlMask = req.urlMask
	return out, true
}

// stepsBelow is the steps smaller than w, largest first.
func stepsBelow(w int, steps []int) []int {
	var below []int
	for _, s := range steps {
		if s < w {
			below = append(below, s)
		}
	}
	slices.SortFunc(below, func(a, b int) int { return b - a })
	return below
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
