package transform

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// AutoQuality is how q=auto chose: the level and its threshold on the
// in-process distance (Distance) for the format, the quality kept and its
// distance, the encodes it took, and whether the threshold was met
// (false: no try within the bound met it, and the best-looking try is
// served).
type AutoQuality struct {
	Level    spec.AutoLevel `json:"level"`
	Target   float64        `json:"target"`
	Quality  int            `json:"quality"`
	Distance float64        `json:"distance"`
	Encodes  int            `json:"encodes"`
	Met      bool           `json:"met"`
}

// autoLevel is one q=auto level (autoLevels, generated in
// auto_targets.go): the JPEG quality that defines it, its target in
// butteraugli 3-norm (that JPEG quality's median on the benchmark's
// training photos and faces at 800 px), and per format the threshold on
// the in-process distance that kept every training image at or under the
// target, less a safety margin.
type autoLevel struct {
	JPEG        int
	Butteraugli float64
	Threshold   map[spec.Format]float64
}

// AutoTarget is level's target in butteraugli 3-norm: what q=auto's
// thresholds (autoThreshold, on the in-process distance) are calibrated to
// keep every benchmark training image under.
func AutoTarget(level spec.AutoLevel) float64 { return autoLevels[level].Butteraugli }

// autoThreshold is the in-process distance (Distance) an encode of format
// f must not exceed at level.
func autoThreshold(level spec.AutoLevel, f spec.Format) float64 {
	return autoLevels[level].Threshold[f]
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

// encodeAuto runs the q=auto search on the render's pixels, computed into
// memory first: every try reads them again, all in this render (the
// request's admission slot).
func encodeAuto(s *state) error {
	p := s.plan
	if err := copyToMemory(s.img); err != nil {
		return undecodable(err)
	}
	s.kill.reset(s.img)
	body, a, err := searchQuality(s.img, p.Format, p.Options.QualityAuto, s.cfg.AutoMaxEncodes, func(q int) ([]byte, error) {
		if err := encodeAt(s, q); err != nil {
			return nil, err
		}
		return s.out, nil
	})
	if err != nil {
		return err
	}
	s.out, s.quality, s.auto = body, a.Quality, a
	return nil
}

// AutoSearch is q=auto for bench/quality: the search on img (in memory)
// for format f with knobs k, metadata stripped.
func AutoSearch(img *vips.ImageRef, f spec.Format, level spec.AutoLevel, k Knobs, maxEncodes int) ([]byte, *AutoQuality, error) {
	return searchQuality(img, f, level, maxEncodes, func(q int) ([]byte, error) {
		return EncodeLossy(img, f, q, k, true)
	})
}

// searchQuality finds the lowest quality whose distance to img stays under
// the level's threshold for f: the table's estimate first, then a step down (or
// up) and halvings of the bracket, at most maxN encodes. When no try meets
// the target, the highest quality tried is kept.
func searchQuality(img *vips.ImageRef, f spec.Format, level spec.AutoLevel, maxN int, encodeAt func(q int) ([]byte, error)) ([]byte, *AutoQuality, error) {
	lvl, threshold := autoLevels[level], autoThreshold(level, f)
	ref, err := yccOf(img)
	if err != nil {
		return nil, nil, undecodable(err)
	}
	if maxN <= 0 {
		maxN = DefaultConfig().AutoMaxEncodes
	}
	a := &AutoQuality{Level: level, Target: threshold}
	// lo is the highest quality tried that missed the target, hi the
	// lowest that met it; 9 and 101 stand for "none".
	lo, hi := autoMinQuality-1, 101
	var met, missed []byte
	var metD, missedD float64
	missedQ := 0
	q := scaledQuality(f, lvl.JPEG, longSide(img))
	for a.Encodes < maxN {
		a.Encodes++
		body, err := encodeAt(q)
		if err != nil {
			return nil, nil, err
		}
		d, err := distanceTo(ref, body)
		if err != nil {
			return nil, nil, undecodable(err)
		}
		if d <= threshold {
			hi, met, metD = q, body, d
		} else {
			lo = q
			if q > missedQ {
				missed, missedD, missedQ = body, d, q
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
		a.Quality, a.Distance, a.Met = hi, metD, true
		return met, a, nil
	}
	a.Quality, a.Distance = missedQ, missedD
	return missed, a, nil
}

// distanceTo decodes body and measures it against ref: 0 for identical
// pixels, growing as they differ; +Inf when the decoded size differs.
func distanceTo(ref yccPlanes, body []byte) (float64, error) {
	d, err := vips.NewImageFromBuffer(body)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	y, cb, cr, w, h, err := YCbCrPlanes(d)
	if err != nil {
		return 0, err
	}
	if w != ref.w || h != ref.h {
		return math.Inf(1), nil
	}
	return ref.ref.Distance(y, cb, cr), nil
}
