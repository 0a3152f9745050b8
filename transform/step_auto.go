package transform

import (
	"bytes"
	"fmt"
	"math"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// AutoQuality is how q=auto chose: the level and its target on the
// in-process distance (Distance), the quality kept and its distance, the
// encodes it took, and whether the target was met (false: no try within
// the bound met it, and the highest quality tried is served).
type AutoQuality struct {
	Level    spec.AutoLevel `json:"level"`
	Target   float64        `json:"target"`
	Quality  int            `json:"quality"`
	Distance float64        `json:"distance"`
	Encodes  int            `json:"encodes"`
	Met      bool           `json:"met"`
	// Mode is modeLossless when lossless WebP is served, "" for the lossy
	// scale.
	Mode string `json:"mode,omitempty"`
}

// autoLevel is one q=auto level (autoLevels, generated in
// auto_targets.go): the JPEG quality that defines it, its target in
// butteraugli 3-norm (that JPEG quality's median on the benchmark's
// training photos and faces at 800 px), and per format the threshold on
// the in-process distance that kept every training image at or under the
// target, less a safety margin. Where the search starts, and the slope it
// jumps along, are autoModel's (auto_model_table.go).
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

// AutoThreshold is autoThreshold, for bench/quality.
func AutoThreshold(level spec.AutoLevel, f spec.Format) float64 { return autoThreshold(level, f) }

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
	var lossless func() ([]byte, error)
	if p.Format == spec.FormatWebP {
		lossless = func() ([]byte, error) {
			b, err := encodeLosslessWebP(s.img, s.cfg.Knobs(), p.Options.Metadata == spec.MetadataNone)
			return b, undecodable(err)
		}
	}
	body, a, err := searchQuality(s.img, p.Format, p.Options.QualityAuto, s.cfg.AutoMaxEncodes, func(q int) ([]byte, error) {
		if err := encodeAt(s, q); err != nil {
			return nil, err
		}
		return s.out, nil
	}, lossless)
	if err != nil {
		return err
	}
	s.out, s.quality, s.auto = body, a.Quality, a
	return nil
}

// AutoSearch is q=auto for bench/quality: the search on img (in memory)
// for format f with knobs k, metadata stripped.
func AutoSearch(img *vips.ImageRef, f spec.Format, level spec.AutoLevel, k Knobs, maxEncodes int) ([]byte, *AutoQuality, error) {
	var lossless func() ([]byte, error)
	if f == spec.FormatWebP {
		lossless = func() ([]byte, error) { return encodeLosslessWebP(img, k, true) }
	}
	return searchQuality(img, f, level, maxEncodes, func(q int) ([]byte, error) {
		return EncodeLossy(img, f, q, k, true)
	}, lossless)
}

// modeLossless is AutoQuality.Mode when q=auto serves lossless WebP, which
// it also tries on flat WebP images (searchQuality). Lossy WebP is always
// 4:2:0 and smears saturated edges even at q100 (the benchmark's flat
// graphic, chart, logo and text on a gradient miss the target at every
// quality), and lossless is compact on exactly such flat images. JPEG and
// AVIF have no such step: libvips already keeps their full chroma from
// q90 on, and lossless AVIF is larger than PNG.
const modeLossless = "lossless"

// fidelityFlatShare is the share of pixels equal to their left or upper
// neighbour from which an image is flat enough for lossless WebP to be
// worth an encode: flat graphics, charts and text on a plain ground repeat
// most pixels and compress losslessly to less than lossy q100 (an 800×500
// chart: 9.8 KB against 17 KB); photos repeat almost none, and their
// lossless encode, 2-3x lossy q100's bytes, would be thrown away after
// 150-300 ms.
const fidelityFlatShare = 0.5

// fidelityFewColours is how many distinct colours a flat image may have
// for lossless WebP to be tried when a lossy try already met the target:
// graphics, charts, screenshots and text have a few thousand at most, and
// lossless is then often the smaller; a smooth gradient repeats pixels
// along its rows but has tens of thousands of colours, and its lossless
// encode (1.5 bits per pixel on the benchmark's gradients, against 0.2
// lossy) is always thrown away.
const fidelityFewColours = 4096

// losslessCandidate says whether lossless WebP is worth an encode for img:
// a flat image (flatShare), and when a lossy try met the target (met),
// one with few colours. It reads the pixels once.
func losslessCandidate(img *vips.ImageRef, met bool) bool {
	px, err := rawPixelsOf(img)
	if err != nil || px.flatShare() < fidelityFlatShare {
		return false
	}
	return !met || px.coloursAtMost(fidelityFewColours)
}

// rawPixels are an image's 8-bit pixels, w×h×bands interleaved.
type rawPixels struct {
	raw         []byte
	w, h, bands int
}

func rawPixelsOf(img *vips.ImageRef) (rawPixels, error) {
	raw, err := img.ToBytes()
	px := rawPixels{raw, img.Width(), img.Height(), img.Bands()}
	if err == nil && len(raw) < px.w*px.h*px.bands {
		err = fmt.Errorf("pixels: %d bytes for %dx%dx%d", len(raw), px.w, px.h, px.bands)
	}
	return px, err
}

// coloursAtMost reports whether the pixels have at most limit distinct
// colours (counted by their first three bands).
func (px rawPixels) coloursAtMost(limit int) bool {
	b := px.bands
	seen := make(map[uint32]struct{}, limit+1)
	for i := 0; i+b <= len(px.raw); i += b {
		c := uint32(px.raw[i])
		if b >= 3 {
			c = c<<16 | uint32(px.raw[i+1])<<8 | uint32(px.raw[i+2])
		}
		if seen[c] = struct{}{}; len(seen) > limit {
			return false
		}
	}
	return true
}

// flatShare is the share of the pixels equal, in every band, to their
// left or upper neighbour.
func (px rawPixels) flatShare() float64 {
	w, h, b, raw := px.w, px.h, px.bands, px.raw
	if w < 2 || h < 2 {
		return 0
	}
	stride, same := w*b, 0
	for i := stride + b; i+b <= h*stride; i += b {
		if i%stride == 0 {
			continue // a row's first pixel has no left neighbour
		}
		if bytes.Equal(raw[i:i+b], raw[i-b:i]) || bytes.Equal(raw[i:i+b], raw[i-stride:i-stride+b]) {
			same++
		}
	}
	return float64(same) / float64((w-1)*(h-1))
}

// encodeLosslessWebP encodes img as lossless WebP; strip leaves every
// metadata chunk out, as EncodeLossy does (stripWebPMetadata: libvips
// writes an EXIF chunk even when asked not to).
func encodeLosslessWebP(img *vips.ImageRef, k Knobs, strip bool) ([]byte, error) {
	out, _, err := img.ExportWebp(&vips.WebpExportParams{Lossless: true, StripMetadata: strip, ReductionEffort: k.WebPEffort})
	if err == nil && strip {
		out = stripWebPMetadata(out)
	}
	return out, err
}

// searchQuality finds the lowest quality whose distance to img stays under
// the level's threshold for f, in at most maxN encodes: the first at the model's
// start for the format and level (autoModel), then each at the quality a
// log-distance line through the tries so far says meets the target
// (nextAutoQuality). The lowest quality tried that met the target is
// served; when none did, the highest quality tried. Then, when the bound
// leaves an encode, encodeLossless is given (WebP) and the image is flat
// (losslessCandidate), lossless WebP is tried too and served when it is
// the only try that meets the target, or looks at least as good for no
// more bytes: on flat images lossless WebP often beats the lossy quality
// that meets the target (the benchmark's chart: 9.8 KB lossless against
// 17 KB at q100), and it reaches the look where no lossy quality can.
func searchQuality(img *vips.ImageRef, f spec.Format, level spec.AutoLevel, maxN int, encodeAt func(q int) ([]byte, error), encodeLossless func() ([]byte, error)) ([]byte, *AutoQuality, error) {
	target := autoThreshold(level, f)
	ref, err := yccOf(img)
	if err != nil {
		return nil, nil, undecodable(err)
	}
	if maxN <= 0 {
		maxN = DefaultConfig().AutoMaxEncodes
	}
	var bodies [][]byte
	tries, k, err := runAutoSearch(f, autoModelFor(f, level), target, maxN, func(q int) (float64, error) {
		body, err := encodeAt(q)
		if err != nil {
			return 0, err
		}
		bodies = append(bodies, body)
		d, err := distanceTo(ref, body)
		return d, undecodable(err)
	})
	if err != nil {
		return nil, nil, err
	}
	t := tries[k]
	a := &AutoQuality{Level: level, Target: target, Quality: t.Q, Distance: t.D, Encodes: len(tries), Met: t.D <= target}
	if encodeLossless == nil || len(tries) >= maxN || !losslessCandidate(img, a.Met) {
		return bodies[k], a, nil
	}
	body, err := encodeLossless()
	if err != nil {
		return nil, nil, err
	}
	d, err := distanceTo(ref, body)
	if err != nil {
		return nil, nil, undecodable(err)
	}
	a.Encodes++
	reaches := !a.Met && d <= target // the only try that meets the target
	if !reaches && (d > t.D || len(body) > len(bodies[k])) {
		return bodies[k], a, nil // not better, or better only for more bytes
	}
	a.Quality, a.Distance, a.Met, a.Mode = 100, d, d <= target, modeLossless
	return body, a, nil
}

// distanceTo decodes body (bodyPlanes) and measures it against ref: 0 for
// identical pixels, growing as they differ; +Inf when the decoded size
// differs.
func distanceTo(ref yccPlanes, body []byte) (float64, error) {
	y, cb, cr, w, h, err := bodyPlanes(body)
	if err != nil {
		return 0, err
	}
	if w != ref.w || h != ref.h {
		return math.Inf(1), nil
	}
	return ref.ref.Distance(y, cb, cr), nil
}

// The search's bounds and when it stops. No quality under autoMinQuality
// or over 100. A met try is kept without another encode when the bracket
// of met and missed tries, or the estimate of the lowest quality meeting
// the target, is within autoTolerance of it (a step or two of quality is a
// few per cent of bytes), or when its distance is already within autoClose
// of the target. A jump aims at autoAim of the target, a little under it,
// so that it more often meets the target at once: a miss costs another
// encode and measurement, each about a fixed-quality miss's whole encoder
// time or more. The last try the bound allows aims lower, at autoAimLast:
// a miss there is wasted, and a bracket's secant tends to creep up on the
// answer from the missed side. autoTolerance, autoClose, autoAim and
// autoAimLast were chosen by running the search's decisions on the
// benchmark's exhaustive curves (every quality of every image, format and
// level) with the earlier SSIM distance; with the masked distance and the
// regenerated model the same decisions take 1.5-2.1 encodes on average and
// keep +5 to +9 % mean bytes over the exhaustive answer
// (docs/benchmarks/quality-auto-cpu.md, last table).
const (
	autoMinQuality = 10
	autoTolerance  = 2
	autoClose      = 0.85
	autoAim        = 0.97
	autoAimLast    = 0.9
)

// autoTry is one try of the search: the quality encoded at and the
// distance measured.
type autoTry struct {
	Q int
	D float64
}

// autoBracket is lo, the highest quality tried that missed the target
// below hi, the lowest tried that met it (autoMinQuality−1 and 101 stand
// for none), and their tries' indices (−1: none).
func autoBracket(tries []autoTry, target float64) (lo, hi, loAt, hiAt int) {
	lo, hi, loAt, hiAt = autoMinQuality-1, 101, -1, -1
	for i, t := range tries {
		if t.D <= target && t.Q < hi {
			hi, hiAt = t.Q, i
		}
	}
	for i, t := range tries {
		if t.D > target && t.Q > lo && t.Q < hi {
			lo, loAt = t.Q, i
		}
	}
	return lo, hi, loAt, hiAt
}

// autoCostlyAVIF is the AVIF quality from which one encode costs about
// 1.5x one at the scale's default (800 px, bench/quality's TSV: 264 ms at
// q60, 397 at q90, 440 at q92, 534 at q100), so that a second encode would
// take the miss to over 3x a fixed one: a first AVIF try at or above it
// that meets the target ends the search (q=auto:high starts there). Later
// tries are not cut short: after a miss the search is bracketing, and
// stopping at the first met try could keep a far higher quality than needed.
const autoCostlyAVIF = 90

// nextAutoTry is nextAutoQuality, except that a first AVIF try at or above
// autoCostlyAVIF that meets the target ends the search.
func nextAutoTry(f spec.Format, tries []autoTry, target, slope float64, maxN int) int {
	if f == spec.FormatAVIF && len(tries) == 1 && tries[0].D <= target && tries[0].Q >= autoCostlyAVIF {
		return 0
	}
	return nextAutoQuality(tries, target, slope, maxN)
}

// nextAutoQuality is the quality the search encodes at next, given the
// tries so far, the target and the format's model slope (d ln distance /
// d quality, negative), or 0 when the search stops: maxN tries made, the
// bracket of met and missed tries within autoTolerance, the estimate of
// the lowest quality meeting the target within autoTolerance of a met try,
// or no quality left to try on the side the target lies. The estimate is
// log-distance linear in quality: through the two tries nearest the
// target (secant) once there are two, along the model's slope from one.
func nextAutoQuality(tries []autoTry, target, slope float64, maxN int) int {
	if len(tries) == 0 || len(tries) >= maxN {
		return 0
	}
	lo, hi, loAt, hiAt := autoBracket(tries, target)
	if hi-lo <= autoTolerance || (hiAt < 0 && lo >= 100) || (loAt < 0 && hi <= autoMinQuality) {
		return 0
	}
	// a is the try the jump starts from, the bracket's end; b the other
	// end, else the next try on a's side, for the secant.
	a, b := loAt, hiAt
	if a < 0 {
		a, b = hiAt, nextOnSide(tries, target, hiAt)
	} else if b < 0 {
		b = nextOnSide(tries, target, loAt)
	}
	s := slope
	if b >= 0 && tries[a].Q != tries[b].Q {
		sec := (logDist(tries[a].D) - logDist(tries[b].D)) / float64(tries[a].Q-tries[b].Q)
		// A rising stretch (noise, a non-monotone encoder) says nothing of
		// the slope: the model's stands. Otherwise the secant, kept within
		// 4x of the model's either way.
		if sec < 0 {
			s = min(max(sec, 4*slope), slope/4)
		}
	}
	at := func(aim float64) float64 {
		return float64(tries[a].Q) + (math.Log(aim)-logDist(tries[a].D))/s
	}
	if hiAt >= 0 && (tries[hiAt].D >= autoClose*target || at(target) >= float64(hi-autoTolerance)) {
		return 0 // the met try is already about the lowest
	}
	aim := autoAim
	if len(tries) == maxN-1 {
		aim = autoAimLast
	}
	q := int(math.Ceil(at(aim * target)))
	return min(max(q, lo+1, autoMinQuality), hi-1, 100)
}

// nextOnSide is the index of the try nearest to tries[i] on its side of
// the target (met: the next higher quality; missed: the next lower), or −1.
func nextOnSide(tries []autoTry, target float64, i int) int {
	met := tries[i].D <= target
	next := -1
	for j, t := range tries {
		if (t.D <= target) != met || t.Q == tries[i].Q || (t.Q > tries[i].Q) != met {
			continue
		}
		if next < 0 || (met && t.Q < tries[next].Q) || (!met && t.Q > tries[next].Q) {
			next = j
		}
	}
	return next
}

// logDist is ln d, with 0 (identical pixels) kept finite.
func logDist(d float64) float64 { return math.Log(max(d, 1e-3)) }

// keptAutoTry is the index of the try the search serves: the lowest
// quality that met the target, else the highest quality tried.
func keptAutoTry(tries []autoTry, target float64) int {
	_, _, _, hiAt := autoBracket(tries, target)
	if hiAt >= 0 {
		return hiAt
	}
	best := 0
	for i, t := range tries {
		if t.Q > tries[best].Q {
			best = i
		}
	}
	return best
}

// AutoSearchOnCurve runs the search's decisions for format f at level on
// a known distance curve (distance(q) for every quality 10..100) instead
// of encodes, for bench/quality: the quality kept and the encodes it
// would have made.
func AutoSearchOnCurve(f spec.Format, level spec.AutoLevel, maxN int, distance func(q int) float64) (quality, encodes int) {
	tries, k, _ := runAutoSearch(f, autoModelFor(f, level), autoThreshold(level, f), maxN, func(q int) (float64, error) {
		return distance(q), nil
	})
	return tries[k].Q, len(tries)
}

// runAutoSearch is the search's loop, shared by searchQuality (which
// encodes and measures each try), AutoSearchOnCurve and the tests (which
// read a curve): from m's start, each next quality from nextAutoTry,
// measure giving a try's distance. It returns the tries and the index of
// the one to serve (keptAutoTry).
func runAutoSearch(f spec.Format, m autoStart, target float64, maxN int, measure func(q int) (float64, error)) ([]autoTry, int, error) {
	var tries []autoTry
	for q := m.Start; q > 0; q = nextAutoTry(f, tries, target, m.Slope, maxN) {
		d, err := measure(q)
		if err != nil {
			return nil, 0, err
		}
		tries = append(tries, autoTry{q, d})
	}
	return tries, keptAutoTry(tries, target), nil
}
