package transform

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"
)

// blurDirectMax is the widest Gaussian blurred at the output size. Its cost
// grows with the sigma (libvips' mask spans about 3.6 sigma each way), and
// libvips cannot be interrupted: blur=250 on a 1600 px output took 16 s.
// A wider blur runs on a copy shrunk until its sigma there is this, and is
// enlarged back: a blur that wide leaves no detail the shrink could lose.
const blurDirectMax = 4.0

// blurMinSide keeps the shrunk copy big enough to enlarge smoothly, and its
// edges far enough apart to blur as the full-size edges do.
const blurMinSide = 32

// blurBudget bounds a blur's work, in pixels × sigma: a 4096×4096 output at
// blurDirectMax, about a second on one core.
const blurBudget = 4096 * 4096 * blurDirectMax

// blurCost is the work of blurring a w×h strip (all frames) at sigma after
// shrinking it by f.
func blurCost(w, h int, sigma, f float64) float64 {
	return float64(w) / f * float64(h) / f * sigma / f
}

// blur applies a Gaussian blur of the URL's sigma, in output pixels.
func blur(s *state) error {
	sigma := s.plan.Options.Blur
	if sigma <= 0 {
		return nil
	}
	img := s.img
	w, ph := img.Width(), img.PageHeight()
	f := min(sigma/blurDirectMax, float64(min(w, ph))/blurMinSide)
	// The cost is the mask width times every pixel of every frame. Frames
	// too small to shrink to blurMinSide (w=1000,h=31 of a 500-frame GIF)
	// would blur all their pixels at the full sigma (a slot held 300 s):
	// over the budget they shrink further, which a blur that wide, compared
	// with the frame, cannot show.
	if blurCost(w, img.Height(), sigma, max(f, 1)) > blurBudget {
		f = sigma / blurDirectMax
	}
	if f <= 1 {
		return undecodable(img.GaussianBlur(sigma))
	}
	// Each frame of an animation shrinks to a whole number of rows, so
	// that the strip of frames still divides into them.
	sw, sph := max(1, int(math.Round(float64(w)/f))), max(1, int(math.Round(float64(ph)/f)))
	hs, vs := float64(sw)/float64(w), float64(sph)/float64(ph)
	if err := img.ResizeWithVScale(hs, vs, vips.KernelLanczos3); err != nil {
		return undecodable(err)
	}
	if err := img.GaussianBlur(sigma * (hs + vs) / 2); err != nil {
		return undecodable(err)
	}
	return undecodable(img.ResizeWithVScale(float64(w)/float64(sw), float64(ph)/float64(sph), vips.KernelLanczos3))
}

// sharpen maps the URL's 0..10 onto vips_sharpen's sigma: 1 is libvips'
// default mild sharpening (sigma 0.5), 10 is strong.
func sharpen(s *state) error {
	amount := s.plan.Options.Sharpen
	if amount <= 0 {
		return nil
	}
	return undecodable(s.img.Sharpen(amount*0.5, 2, 3))
}
