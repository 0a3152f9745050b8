package main

import (
	"cmp"
	"encoding/gob"
	"fmt"
	"go/format"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/internal/masked"
	"github.com/pixmill/pixmill/internal/ssim"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// Issue 17's calibration of q=auto: candidate in-process distances (the
// masked-error family of internal/masked over its few parameters, and the
// multi-scale SSIM shipped before it as the baseline) are measured on
// every judged 800 px encode of the core variants, training and holdout
// images. Each candidate is judged by what q=auto needs from it, a
// guarantee: per format and level, the threshold that keeps every
// training image at or under the level's butteraugli target when each
// image gets the lowest grid quality whose distance is at or under it,
// and the median bytes that costs against the one fixed quality that
// keeps the same images under the target. The candidate that needs the
// fewest bytes on the training images is chosen; its thresholds are
// frozen and the same numbers are reported on the holdout. The chosen
// distance and thresholds are written to transform/auto_targets.go.

// maskings are the (Mask, Radius) pairs measured: each needs its own
// pass over the pixels; the band weights, chroma weight and norm are
// combined afterwards from the pooled components.
var maskings = []struct {
	Mask   float64
	Radius int
}{{0.5, 2}, {1, 2}, {2, 1}, {2, 2}, {2, 4}, {4, 2}, {8, 2}}

var candidateNorms = []int{2, 3, 4, 6, 8}

var bandWeightSets = [][masked.Bands + 1]float64{
	{1, 1, 1, 0},
	{1, 1, 1, 1},
	{0.5, 1, 1, 0},
	{0.5, 1, 1, 1},
	{0.25, 1, 1, 0.5},
	{0.25, 0.5, 1, 1},
	{0.25, 0.5, 1, 2},
	{0.25, 0.5, 0.5, 1},
	{0.125, 0.25, 1, 1},
	{0.125, 0.5, 1, 1},
	{0, 0.5, 1, 1},
	{0, 0.25, 1, 1},
	{0, 0, 1, 1},
	{0.25, 0.25, 0.5, 1},
	{1, 0.5, 0.25, 0},
	{1, 1, 0, 0},
	{1, 0, 0, 0},
}

var chromaWeights = []float64{0, 0.25, 0.5, 1, 1.5, 2}

// autoMargin is the safety margin taken off each calibrated threshold:
// the thresholds are the training set's tightest images' own, and a new
// image can need a little less (see quality-metric-variants.md: the
// holdout's worst against the target with and without it).
const autoMargin = 0.05

// levelDef is a q=auto level as the benchmark defines it.
type levelDef struct {
	Level spec.AutoLevel
	JPEG  int
}

var levelDefs = []levelDef{{spec.AutoLow, 65}, {spec.AutoMedium, 80}, {spec.AutoHigh, 90}}

// calibVariants are the encoders q=auto runs by default, one per format.
var calibVariants = []string{"jpeg", tableWebP, tableAVIF}

// encodeObs is one judged encode with every candidate's measurements.
type encodeObs struct {
	im      image
	variant string
	q       int
	bytes   int
	butter  float64
	ssim    float64                          // the previous distance
	comp    [][3][masked.Bands + 1][]float64 // per masking
	measure float64                          // ms to decode and measure the chosen-size masking once
}

// metricCandidate is one distance: how to read it from an observation.
type metricCandidate struct {
	name   string
	params *masked.Params // nil: the SSIM baseline
	m      int            // masking index
	n      int            // norm index
}

func (c metricCandidate) of(o encodeObs) float64 {
	if c.params == nil {
		return o.ssim
	}
	return c.params.Combine(masked.Components(o.comp[c.m]), c.n)
}

func metricCandidates() []metricCandidate {
	cs := []metricCandidate{{name: "multi-scale SSIM, 6-norm pooling, luma + 0.5×chroma (shipped before)"}}
	for m, mk := range maskings {
		for n, p := range candidateNorms {
			for _, bw := range bandWeightSets {
				for _, cw := range chromaWeights {
					prm := masked.Params{BandWeight: bw, ChromaWeight: cw, Mask: mk.Mask, Radius: mk.Radius, Norm: p}
					cs = append(cs, metricCandidate{name: paramsName(prm), params: &prm, m: m, n: n})
				}
			}
		}
	}
	return cs
}

func paramsName(p masked.Params) string {
	return fmt.Sprintf("masked: mask %g, radius %d, p=%d, bands %v, chroma %g", p.Mask, p.Radius, p.Norm, p.BandWeight, p.ChromaWeight)
}

// cachedObs is an observation's measurements as the cache keeps them.
type cachedObs struct {
	SSIM    float64
	Comp    [][3][masked.Bands + 1][]float64
	Measure float64
}

// obsCacheKey names what a cache holds: the maskings and norms measured.
func obsCacheKey() string { return fmt.Sprint(maskings, candidateNorms, masked.Bands) }

// measureObservations re-encodes every judged 800 px encode of the core
// variants and measures every masking and the SSIM baseline on it. What
// cache (a file; "" for none) holds is not measured again, and what is
// measured is added to it: the encoders and the measurements are
// deterministic.
func measureObservations(rows []row, corpus, cache string) ([]encodeObs, error) {
	cached := map[string]cachedObs{}
	if cache != "" {
		if f, err := os.Open(cache); err == nil {
			var key string
			dec := gob.NewDecoder(f)
			if dec.Decode(&key) == nil && key == obsCacheKey() {
				if err := dec.Decode(&cached); err != nil {
					cached = map[string]cachedObs{}
				}
			}
			f.Close()
		}
	}
	var obs []encodeObs
	add := func(im image, r row, c cachedObs) {
		obs = append(obs, encodeObs{im: im, variant: r.Variant, q: r.Q, bytes: r.Bytes, butter: r.Butteraugli, ssim: c.SSIM, comp: c.Comp, measure: c.Measure})
	}
	classOf := map[string]image{}
	for _, im := range imageSet(false) {
		classOf[im.Name] = im
	}
	byName := map[string]variant{}
	for _, v := range variants() {
		byName[v.Name] = v
	}
	for _, r := range rows {
		im, ok := classOf[r.Image]
		if c, hit := cached[r.key()]; ok && hit && r.Width == 800 && byName[r.Variant].Tier == tierCore {
			add(im, r, c)
		}
	}
	var refName string
	var refs []*masked.Reference
	var ry, rcb, rcr []float32
	var w, h int
	measured := 0
	want := func(im image, r row) bool { _, hit := cached[r.key()]; return !hit }
	err := eachCoreEncode(rows, corpus, want, func(im image, ref *vips.ImageRef, r row, body []byte) error {
		if refName != im.Name {
			var err error
			if ry, rcb, rcr, w, h, err = transform.YCbCrPlanes(ref); err != nil {
				return err
			}
			refs = refs[:0]
			for _, mk := range maskings {
				refs = append(refs, masked.NewReference(ry, rcb, rcr, w, h, masked.Params{Mask: mk.Mask, Radius: mk.Radius, ChromaWeight: 1}))
			}
			refName = im.Name
		}
		start := time.Now()
		d, err := vips.NewImageFromBuffer(body)
		if err != nil {
			return err
		}
		y, cb, cr, dw, dh, err := transform.YCbCrPlanes(d)
		d.Close()
		if err != nil {
			return err
		}
		if dw != w || dh != h {
			return fmt.Errorf("%s: decoded %dx%d, want %dx%d", im.Name, dw, dh, w, h)
		}
		var c cachedObs
		for i := range refs {
			c.Comp = append(c.Comp, refs[i].Components(y, cb, cr, candidateNorms))
			if i == 0 {
				c.Measure = float64(time.Since(start).Microseconds()) / 1000
			}
		}
		c.SSIM = ssimDistance(ry, rcb, rcr, y, cb, cr, w, h)
		cached[r.key()] = c
		add(im, r, c)
		measured++
		if measured%100 == 0 {
			log.Printf("%d encodes measured", measured)
			if err := saveObsCache(cache, cached); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && measured > 0 {
		err = saveObsCache(cache, cached)
	}
	return obs, err
}

func saveObsCache(path string, cached map[string]cachedObs) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	enc := gob.NewEncoder(f)
	if err := enc.Encode(obsCacheKey()); err == nil {
		err = enc.Encode(cached)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// ssimDistance is the distance q=auto used before: per plane, 100 × (1 −
// the geometric mean over three scales of (1 − the 6-norm of 1 − SSIM));
// luma plus 0.5 × Cb's and Cr's from half resolution.
func ssimDistance(ry, rcb, rcr, y, cb, cr []float32, w, h int) float64 {
	f64 := func(p []float32) []float64 {
		out := make([]float64, len(p))
		for i, v := range p {
			out[i] = float64(v)
		}
		return out
	}
	plane := func(a, b []float32, w, h int) float64 {
		pa, pb := f64(a), f64(b)
		prod := 1.0
		for s := range 3 {
			var sum float64
			var n int
			ssim.Windows(pa, pb, w, h, func(v float64) {
				l := max(1-v, 0)
				l3 := l * l * l
				sum += l3 * l3
				n++
			})
			if n > 0 {
				prod *= max(1-math.Pow(sum/float64(n), 1.0/6), 1e-6)
			}
			if s < 2 {
				pa, pb = ssim.Half(pa, w, h), ssim.Half(pb, w, h)
				w, h = w/2, h/2
			}
		}
		return 100 * (1 - math.Pow(prod, 1.0/3))
	}
	return plane(ry, y, w, h) + 0.5*(plane(rcb, cb, w/2, h/2)+plane(rcr, cr, w/2, h/2))
}

// curvePoint is one image's encode at one quality, as the calibration
// reads it.
type curvePoint struct {
	q, bytes  int
	d, butter float64
}

// imageCurves groups observations per variant and image, in quality order.
func imageCurves(obs []encodeObs, c metricCandidate, variant string, keep func(image) bool) map[string][]curvePoint {
	out := map[string][]curvePoint{}
	for _, o := range obs {
		if o.variant == variant && keep(o.im) {
			out[o.im.Name] = append(out[o.im.Name], curvePoint{o.q, o.bytes, c.of(o), o.butter})
		}
	}
	for _, ps := range out {
		slices.SortFunc(ps, func(a, b curvePoint) int { return a.q - b.q })
	}
	return out
}

// safeThreshold is the largest in-process threshold t for which picking
// the lowest quality with distance ≤ t keeps this image's butteraugli ≤
// target, with the curves linear between grid qualities (the search picks
// any quality, not only the grid's): the distance where butteraugli
// crosses the target for the last time, or less where a lower quality
// already measures less. ok is false when no quality reaches the target.
func safeThreshold(ps []curvePoint, target float64) (t float64, ok bool) {
	// The last grid point over the target; every point after it meets it.
	last := -1
	for i, p := range ps {
		if p.butter > target {
			last = i
		}
	}
	if last == len(ps)-1 {
		return 0, false
	}
	t = math.Inf(1)
	for i := 0; i <= last; i++ {
		t = min(t, ps[i].d)
	}
	if last >= 0 {
		a, b := ps[last], ps[last+1]
		x := (a.butter - target) / (a.butter - b.butter)
		t = min(t, a.d+x*(b.d-a.d))
	}
	return t, true
}

// pickAt is the lowest-quality point with distance ≤ t (the highest
// quality when none is).
func pickAt(ps []curvePoint, t float64) curvePoint {
	for _, p := range ps {
		if p.d <= t {
			return p
		}
	}
	return ps[len(ps)-1]
}

// guarantee is how a threshold does on a set of images for one format
// and level.
type guarantee struct {
	images      int      // reachable images judged
	unreachable []string // no grid quality meets the target: left out of the rest
	worst       float64  // worst butteraugli under the threshold
	worstImage  string
	over        int     // images over the target
	autoBytes   float64 // median bytes under the threshold
	fixedQ      int     // the one grid quality keeping every image ≤ max(target, worst)
	fixedBytes  float64 // median bytes at fixedQ
	perClass    map[string][]float64
}

func (g guarantee) saving() float64 {
	if g.fixedBytes == 0 {
		return math.NaN()
	}
	return g.autoBytes/g.fixedBytes - 1
}

// judge applies threshold t to the curves. Images no grid quality brings
// under the target are listed (with the best butteraugli any quality
// reaches) and left out of the rest: no threshold can keep them under it.
func judge(curves map[string][]curvePoint, classOf map[string]string, t, target float64) guarantee {
	g := guarantee{perClass: map[string][]float64{}}
	var auto []float64
	picks := map[string]curvePoint{}
	reachable := map[string][]curvePoint{}
	for name, ps := range curves {
		if _, ok := safeThreshold(ps, target); !ok {
			best := slices.MinFunc(ps, func(a, b curvePoint) int { return cmp.Compare(a.butter, b.butter) })
			g.unreachable = append(g.unreachable, fmt.Sprintf("%s (best %.3f at q%d)", name, best.butter, best.q))
			continue
		}
		reachable[name] = ps
		g.images++
		p := pickAt(ps, t)
		picks[name] = p
		auto = append(auto, float64(p.bytes))
		if p.butter > g.worst {
			g.worst, g.worstImage = p.butter, name
		}
		if p.butter > target*1.0001 {
			g.over++
		}
	}
	curves = reachable
	slices.Sort(g.unreachable)
	g.autoBytes = median(auto)
	bound := max(target, g.worst)
	var qs []int
	for _, ps := range curves {
		for _, p := range ps {
			if !slices.Contains(qs, p.q) {
				qs = append(qs, p.q)
			}
		}
	}
	slices.Sort(qs)
	for _, q := range qs {
		var fixed []float64
		ok := true
		for _, ps := range curves {
			i := slices.IndexFunc(ps, func(p curvePoint) bool { return p.q == q })
			if i < 0 || ps[i].butter > bound {
				ok = false
				break
			}
			fixed = append(fixed, float64(ps[i].bytes))
		}
		if ok {
			g.fixedQ, g.fixedBytes = q, median(fixed)
			for name, ps := range curves {
				i := slices.IndexFunc(ps, func(p curvePoint) bool { return p.q == q })
				cl := classOf[name]
				g.perClass[cl] = append(g.perClass[cl], float64(picks[name].bytes)/float64(ps[i].bytes)-1)
			}
			break
		}
	}
	return g
}

// calibration is a candidate's thresholds and how they do.
type calibration struct {
	c         metricCandidate
	threshold map[string]map[spec.AutoLevel]float64 // variant → level → threshold, margin applied
	train     map[string]map[spec.AutoLevel]guarantee
	holdout   map[string]map[spec.AutoLevel]guarantee
	all       map[string]map[spec.AutoLevel]guarantee // training and holdout together
	score     float64                                 // mean training saving over formats and levels
	spearman  float64                                 // pooled, training
	hoSpear   float64                                 // pooled, holdout
}

// levelTargets are the levels' butteraugli targets: JPEG's median 3-norm
// at the level's quality on the training photos and faces at 800 px.
func levelTargets(rows []row) map[spec.AutoLevel]float64 {
	train := trainingRows(rows)
	out := map[spec.AutoLevel]float64{}
	for _, l := range levelDefs {
		var ds []float64
		for _, r := range train {
			if r.Width == 800 && r.Variant == "jpeg" && r.Q == l.JPEG && photographic(r) {
				ds = append(ds, r.Butteraugli)
			}
		}
		out[l.Level] = median(ds)
	}
	return out
}

func calibrate(obs []encodeObs, c metricCandidate, targets map[spec.AutoLevel]float64, margin float64) calibration {
	isTrain := func(im image) bool { return !im.Holdout }
	isHoldout := func(im image) bool { return im.Holdout }
	classOf := map[string]string{}
	for _, im := range imageSet(false) {
		classOf[im.Name] = im.Class
	}
	cal := calibration{c: c, threshold: map[string]map[spec.AutoLevel]float64{},
		train: map[string]map[spec.AutoLevel]guarantee{}, holdout: map[string]map[spec.AutoLevel]guarantee{}, all: map[string]map[spec.AutoLevel]guarantee{}}
	var n int
	for _, v := range calibVariants {
		cal.threshold[v] = map[spec.AutoLevel]float64{}
		cal.train[v] = map[spec.AutoLevel]guarantee{}
		cal.holdout[v] = map[spec.AutoLevel]guarantee{}
		cal.all[v] = map[spec.AutoLevel]guarantee{}
		tc := imageCurves(obs, c, v, isTrain)
		hc := imageCurves(obs, c, v, isHoldout)
		ac := imageCurves(obs, c, v, func(image) bool { return true })
		for i, l := range levelDefs {
			target := targets[l.Level]
			t := math.Inf(1)
			for _, ps := range tc {
				if ti, ok := safeThreshold(ps, target); ok {
					t = min(t, ti)
				}
			}
			t *= 1 - margin
			// A stricter level never gets a looser threshold than the
			// level before it (levelDefs go from low to high): where a
			// different image binds each level, the looser level's bound
			// holds for the stricter one too.
			if i > 0 {
				t = min(t, cal.threshold[v][levelDefs[i-1].Level])
			}
			cal.threshold[v][l.Level] = t
			g := judge(tc, classOf, t, target)
			cal.train[v][l.Level] = g
			cal.holdout[v][l.Level] = judge(hc, classOf, t, target)
			cal.all[v][l.Level] = judge(ac, classOf, t, target)
			if s := g.saving(); !math.IsNaN(s) {
				cal.score += s
				n++
			}
		}
	}
	cal.score /= float64(max(n, 1))
	var a, b, ha, hb []float64
	for _, o := range obs {
		if o.im.Holdout {
			ha, hb = append(ha, c.of(o)), append(hb, o.butter)
		} else {
			a, b = append(a, c.of(o)), append(b, o.butter)
		}
	}
	cal.spearman, cal.hoSpear = spearman(a, b), spearman(ha, hb)
	return cal
}

// checkMetricVariants measures every candidate, chooses one, and writes
// quality-metric-variants.md and (when targets is not "") the chosen
// distance and thresholds to targets.
func checkMetricVariants(rows []row, corpus, out, targets, cache string) error {
	rows = fillTwins(rows)
	obs, err := measureObservations(rows, corpus, cache)
	if err != nil {
		return err
	}
	lt := levelTargets(rows)
	var cals []calibration
	for _, c := range metricCandidates() {
		cals = append(cals, calibrate(obs, c, lt, 0))
	}
	baseline := cals[0]
	ranked := slices.Clone(cals[1:])
	slices.SortStableFunc(ranked, func(x, y calibration) int { return cmp.Compare(x.score, y.score) })
	best := ranked[0]
	chosen := calibrate(obs, best.c, lt, autoMargin)
	var measureMs []float64
	for _, o := range obs {
		measureMs = append(measureMs, o.measure)
	}

	var s strings.Builder
	nTrain, nHold := 0, 0
	for _, im := range imageSet(false) {
		if im.Holdout {
			nHold++
		} else {
			nTrain++
		}
	}
	fmt.Fprintf(&s, "# q=auto's in-process distance: candidates, calibration, holdout\n\n"+
		"Written by `go run ./bench/quality -metric-variants` (which also writes `transform/auto_targets.go`) on %d judged encodes at 800 px: "+
		"JPEG, WebP e4 and AVIF e3 (the encoders' defaults) at qualities 10 to 100 in steps of 5 (and the older grids' points), on %d training images "+
		"and %d holdout images nobody calibrates on (`bench/quality/main.go`, `imageSet`). Judge: butteraugli 3-norm.\n\n", len(obs), nTrain, nHold)
	s.WriteString("Levels, in butteraugli 3-norm: JPEG's median at the level's quality on the training photos and faces at 800 px:")
	for _, l := range levelDefs {
		fmt.Fprintf(&s, " %s = q%d's %.3f;", l.Level, l.JPEG, lt[l.Level])
	}
	s.WriteString("\n\n## How a candidate is judged\n\nFor each format and level: the threshold on the candidate distance that keeps every training image at or " +
		"under the level's target when each image gets the lowest quality whose distance is at or under the threshold (curves linear between grid " +
		"qualities, since the search may pick any quality); then, with each image at the lowest *grid* quality under that threshold, the median bytes " +
		"against the median bytes of the one fixed grid quality that keeps every image under the target (or under q=auto's worst, where that is worse). " +
		"Training images no grid quality brings under the target are left out of the threshold. Score: the mean of that saving over the 3 formats × 3 levels " +
		"(lower is better). A distance that measured exactly what butteraugli measures would give every image the same threshold and the largest saving.\n\n")
	fmt.Fprintf(&s, "%d candidates: the masked-error family (`internal/masked`: mask floor, activity radius, p-norm, band weights full/half/quarter/residual, "+
		"chroma weight) and the multi-scale SSIM shipped before. Median time to decode an encode and measure one masking, all norms: %.1f ms "+
		"(shared 2-core machine; the chosen distance's own cost is in quality-metric.md).\n\n", len(cals), median(measureMs))
	s.WriteString("| candidate | training saving (mean of 9) | pooled Spearman, training | pooled Spearman, holdout |\n|---|---|---|---|\n")
	addRow := func(c calibration) {
		fmt.Fprintf(&s, "| %s | %+.1f %% | %.3f | %.3f |\n", c.c.name, 100*c.score, c.spearman, c.hoSpear)
	}
	addRow(baseline)
	for i, c := range ranked {
		if i >= 25 {
			break
		}
		addRow(c)
	}
	// The best by Spearman alone, for contrast.
	bySpear := slices.MaxFunc(cals, func(x, y calibration) int { return cmp.Compare(x.spearman, y.spearman) })
	s.WriteString("\nBest pooled Spearman among all candidates, for contrast (ranking agreement is not the guarantee):\n\n")
	s.WriteString("| candidate | training saving (mean of 9) | pooled Spearman, training | pooled Spearman, holdout |\n|---|---|---|---|\n")
	addRow(bySpear)

	fmt.Fprintf(&s, "\n## Chosen: %s\n\nThresholds: each format's and level's calibrated threshold less %.0f %% (autoMargin). "+
		"Training: by construction no image is over its target before the margin. Holdout: the same thresholds, frozen.\n\n", best.c.name, 100*autoMargin)
	guaranteeTable(&s, chosen, lt)
	s.WriteString("\nPer class, all images, each image's bytes under the threshold against its bytes at the set's fixed quality (median per class; reachable images):\n\n| format | level |")
	for _, cl := range classes {
		fmt.Fprintf(&s, " %s |", cl)
	}
	s.WriteString("\n|---|---|" + strings.Repeat("---|", len(classes)) + "\n")
	for _, v := range calibVariants {
		for _, l := range levelDefs {
			fmt.Fprintf(&s, "| %s | %s |", v, l.Level)
			for _, cl := range classes {
				if xs := chosen.all[v][l.Level].perClass[cl]; len(xs) > 0 {
					fmt.Fprintf(&s, " %+.0f %% |", 100*median(xs))
				} else {
					s.WriteString(" — |")
				}
			}
			s.WriteString("\n")
		}
	}
	s.WriteString("\n### Without the margin\n\n")
	guaranteeTable(&s, best, lt)
	s.WriteString("\n### The SSIM distance shipped before, calibrated the same way (no margin)\n\n")
	guaranteeTable(&s, baseline, lt)
	if err := os.WriteFile(filepath.Join(out, "quality-metric-variants.md"), []byte(s.String()), 0o644); err != nil {
		return err
	}
	if targets == "" {
		return nil
	}
	return writeAutoTargets(targets, chosen, lt)
}

// guaranteeTable writes, per format and level, the threshold and how it
// holds on the training and holdout images.
func guaranteeTable(s *strings.Builder, c calibration, lt map[spec.AutoLevel]float64) {
	s.WriteString("| format | level | target | threshold | set | worst butteraugli (image) | worst / target | over target | median bytes q=auto | fixed q | median bytes fixed | saving | unreachable |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, v := range calibVariants {
		for _, l := range levelDefs {
			for _, set := range []struct {
				name string
				g    guarantee
			}{{"training", c.train[v][l.Level]}, {"holdout", c.holdout[v][l.Level]}, {"all", c.all[v][l.Level]}} {
				g := set.g
				fixed, saving := "none", "—"
				if g.fixedQ > 0 {
					fixed, saving = fmt.Sprint(g.fixedQ), fmt.Sprintf("%+.0f %%", 100*g.saving())
				}
				fmt.Fprintf(s, "| %s | %s | %.3f | %.3f | %s | %.3f (%s) | %.3f | %d of %d | %.0f | %s | %.0f | %s | %s |\n",
					v, l.Level, lt[l.Level], c.threshold[v][l.Level], set.name, g.worst, g.worstImage, g.worst/lt[l.Level], g.over, g.images,
					g.autoBytes, fixed, g.fixedBytes, saving, strings.Join(g.unreachable, ", "))
			}
		}
	}
}

// writeAutoTargets writes the chosen distance's parameters and thresholds
// as transform/auto_targets.go.
func writeAutoTargets(path string, c calibration, lt map[spec.AutoLevel]float64) error {
	p := *c.c.params
	formatOf := map[string]string{"jpeg": "spec.FormatJPEG", tableWebP: "spec.FormatWebP", tableAVIF: "spec.FormatAVIF"}
	levelOf := map[spec.AutoLevel]string{spec.AutoLow: "spec.AutoLow", spec.AutoMedium: "spec.AutoMedium", spec.AutoHigh: "spec.AutoHigh"}
	var b strings.Builder
	b.WriteString("// Code generated by go run ./bench/quality -metric-variants; DO NOT EDIT.\n\npackage transform\n\n")
	b.WriteString("import (\n\t\"github.com/pixmill/pixmill/internal/masked\"\n\t\"github.com/pixmill/pixmill/transform/spec\"\n)\n\n")
	b.WriteString("// distanceParams are the in-process distance's parameters: the masked-error\n// candidate that needed the fewest bytes for the guarantee on the\n// benchmark's training images (docs/benchmarks/quality-metric-variants.md).\n")
	fmt.Fprintf(&b, "var distanceParams = masked.Params{BandWeight: [%d]float64{%s}, ChromaWeight: %g, Mask: %g, Radius: %d, Norm: %d}\n\n",
		masked.Bands+1, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(p.BandWeight)), ", "), "[]"), p.ChromaWeight, p.Mask, p.Radius, p.Norm)
	fmt.Fprintf(&b, "// autoLevels: each level's butteraugli target (JPEG's median 3-norm at\n// that quality on the training photos and faces at 800 px) and, per\n// format, the largest threshold on the distance that kept every training\n// image at or under it, less %.0f %%.\n", 100*autoMargin)
	b.WriteString("var autoLevels = map[spec.AutoLevel]autoLevel{\n")
	for _, l := range levelDefs {
		fmt.Fprintf(&b, "\t%s: {JPEG: %d, Butteraugli: %.4f, Threshold: map[spec.Format]float64{", levelOf[l.Level], l.JPEG, lt[l.Level])
		for i, v := range calibVariants {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s: %.4f", formatOf[v], c.threshold[v][l.Level])
		}
		b.WriteString("}},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}
