package transform

import (
	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// AutoQuality is how q=auto chose: the level and its target on the
// in-process distance (Distance), the quality kept and its distance, the
// encodes it took, and whether the target was met (false: no try within
// the bound met it, and the best-looking try is served).
type AutoQuality struct {
	Level    spec.AutoLevel `json:"level"`
	Target   float64        `json:"target"`
	Quality  int            `json:"quality"`
	Distance float64        `json:"distance"`
	Encodes  int            `json:"encodes"`
	Met      bool           `json:"met"`
}

// autoTargets are each level's JPEG quality on the scale and the target
// distance: the median in-process distance of JPEG at that quality on the
// benchmark's photos and faces at 800 px (docs/benchmarks/quality-metric.md).
// The search starts from the table's setting for that JPEG quality.
var autoTargets = map[spec.AutoLevel]struct {
	JPEG     int
	Distance float64
}{
	spec.AutoLow:    {65, autoTargetLow},
	spec.AutoMedium: {80, autoTargetMedium},
	spec.AutoHigh:   {90, autoTargetHigh},
}

// The search's bounds: no quality under autoMinQuality; a first step of
// autoStep before there is a bracket to halve.
const (
	autoMinQuality = 10
	autoStep       = 10
)

// autoApplies says whether q=auto chooses this render's quality: a still
// lossy output without an override for its format.
func autoApplies(s *state) bool {
	p := s.plan
	switch {
	case p.Options.QualityAuto == "" || p.Options.QualityFor.Of(p.Format) > 0:
		return false
	case p.Format != spec.FormatJPEG && p.Format != spec.FormatWebP && p.Format != spec.FormatAVIF:
		return false
	}
	return s.img.Pages() <= 1
}

// encodeAuto finds the lowest quality whose distance to the pixels stays
// under the level's target: the table's estimate first, then steps down
// (or up) and halves the bracket, at most cfg.AutoMaxEncodes encodes, all
// in this render (the request's admission slot). The pixels are computed
// into memory first: every try reads them again.
func encodeAuto(s *state) error {
	p := s.plan
	lvl := autoTargets[p.Options.QualityAuto]
	if err := copyToMemory(s.img); err != nil {
		return undecodable(err)
	}
	s.kill.reset(s.img)
	ref, err := lumaOf(s.img)
	if err != nil {
		return undecodable(err)
	}
	a := &AutoQuality{Level: p.Options.QualityAuto, Target: lvl.Distance}
	s.auto = a
	maxN := s.cfg.AutoMaxEncodes
	if maxN <= 0 {
		maxN = DefaultConfig().AutoMaxEncodes
	}
	// lo is the highest quality tried that missed the target, hi the
	// lowest that met it; 9 and 101 stand for "none".
	lo, hi := autoMinQuality-1, 101
	var met, missed []byte
	var metD, missedD float64
	missedQ := 0
	q := scaledQuality(p.Format, lvl.JPEG)
	for a.Encodes < maxN {
		a.Encodes++
		if err := encodeAt(s, q); err != nil {
			return err
		}
		d, err := distanceTo(ref, s.out)
		if err != nil {
			return undecodable(err)
		}
		if d <= lvl.Distance {
			hi, met, metD = q, s.out, d
		} else {
			lo = q
			if q > missedQ {
				missed, missedD, missedQ = s.out, d, q
			}
		}
		next := (lo + hi) / 2
		switch {
		case hi > 100:
			next = min(q+autoStep, 100)
		case lo < autoMinQuality:
			next = max(q-autoStep, autoMinQuality)
		}
		if next <= lo || next >= hi {
			break
		}
		q = next
	}
	if met != nil {
		s.out, s.quality, a.Quality, a.Distance, a.Met = met, hi, hi, metD, true
	} else {
		s.out, s.quality, a.Quality, a.Distance = missed, missedQ, missedQ, missedD
	}
	return nil
}

// distanceTo decodes body and measures it against ref (msDistance).
func distanceTo(ref lumaPlane, body []byte) (float64, error) {
	d, err := vips.NewImageFromBuffer(body)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	l, err := lumaOf(d)
	if err != nil {
		return 0, err
	}
	return msDistance(ref, l), nil
}
