package transform

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"
)

// BytesFit is how max_bytes was met: the limit, the body's size, the
// quality and size it was encoded at, how many encodes it took, and
// whether it fits (false: the smallest of the bounded tries is served).
type BytesFit struct {
	Limit   int  `json:"limit"`
	Bytes   int  `json:"bytes"`
	Quality int  `json:"quality"`
	Width   int  `json:"width"`
	Height  int  `json:"height"`
	Encodes int  `json:"encodes"`
	Fits    bool `json:"fits"`
}

// The bounds of max_bytes: quality goes no lower than minFitQuality, found
// by at most fitBisections halvings between it and the quality asked
// for; then the size shrinks, at most fitShrinks times. So a render
// encodes at most 2 + fitBisections + fitShrinks times (8).
const (
	minFitQuality = 10
	fitBisections = 3
	fitShrinks    = 3
	minFitShrink  = 0.25 // per step: a smaller estimate is not trusted
)

// fitBytes encodes at q0 and, while the body is over max_bytes, lowers the
// quality (to the highest of the tried qualities that fits), then the
// dimensions at the lowest quality, each step bounded. The pixels are
// computed into memory first: every try reads them again, and a pipeline
// from a sequential decoder cannot be read twice.
func fitBytes(s *state, q0 int) error {
	limit := s.plan.Options.MaxBytes
	fit := &BytesFit{Limit: limit}
	s.fit = fit
	if err := copyToMemory(s.img); err != nil {
		return undecodable(err)
	}
	s.kill.reset(s.img)

	var best []byte
	bestQ := 0
	try := func(q int) (bool, error) {
		fit.Encodes++
		if err := encodeAt(s, q); err != nil {
			return false, err
		}
		// Keep the best try: one that fits at the highest quality, else
		// the smallest.
		n := len(s.out)
		fits, bestFits := n <= limit, best != nil && len(best) <= limit
		if best == nil || fits != bestFits && fits || fits && bestFits && q > bestQ || !fits && !bestFits && n < len(best) {
			best, bestQ = s.out, q
		}
		return fits, nil
	}
	done := func() error {
		s.out, s.quality = best, bestQ
		fit.Bytes, fit.Quality, fit.Fits = len(best), bestQ, len(best) <= limit
		fit.Width, fit.Height = s.img.Width(), s.img.PageHeight()
		return nil
	}

	ok, err := try(q0)
	if err != nil || ok {
		return orDone(err, done)
	}
	lo := min(minFitQuality, q0)
	if lo < q0 {
		if ok, err = try(lo); err != nil {
			return err
		}
		if ok {
			// The highest quality that fits lies in [lo, q0): bisect.
			good, bad := lo, q0
			for range fitBisections {
				if bad-good <= 1 {
					break
				}
				mid := (good + bad) / 2
				ok, err := try(mid)
				if err != nil {
					return err
				}
				if ok {
					good = mid
				} else {
					bad = mid
				}
			}
			return done()
		}
	}
	// Not even the lowest quality fits: shrink, at that quality. Frames of
	// an animation are one strip, which a resize would blend: they only
	// get the quality steps.
	if s.plan.Animated {
		return done()
	}
	for range fitShrinks {
		f := math.Sqrt(float64(limit)/float64(len(s.out))) * 0.95
		f = min(max(f, minFitShrink), 0.95)
		w, h := s.img.Width(), s.img.Height()
		if w <= 1 && h <= 1 {
			break
		}
		nw, nh := max(1, int(math.Round(float64(w)*f))), max(1, int(math.Round(float64(h)*f)))
		if err := s.img.ResizeWithVScale(float64(nw)/float64(w), float64(nh)/float64(h), vips.KernelLanczos3); err != nil {
			return undecodable(err)
		}
		if err := copyToMemory(s.img); err != nil {
			return undecodable(err)
		}
		best = nil // a smaller image replaces every larger try
		ok, err := try(lo)
		if err != nil {
			return err
		}
		if ok {
			break
		}
	}
	return done()
}

func orDone(err error, done func() error) error {
	if err != nil {
		return err
	}
	return done()
}
