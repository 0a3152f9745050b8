package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"go/format"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// q=auto's cost and accuracy (issue 17): whole misses through
// transform.Renderer.Render from an original held in memory, fixed quality
// against q=auto, in process CPU time; and q=auto's choice against the
// exhaustive answer (every quality tried, the lowest that meets the target).

const autoWidth = 800

var (
	autoFormats = []spec.Format{spec.FormatJPEG, spec.FormatWebP, spec.FormatAVIF}
	autoLevels  = []spec.AutoLevel{spec.AutoLow, spec.AutoMedium, spec.AutoHigh}
)

// curvePointAuto is one quality of an exhaustive curve: the bytes of the
// encode (metadata stripped) and its in-process distance.
type curvePointAuto struct {
	Q, Bytes int
	Dist     float64
}

// autoCurve is every quality 10..100 of one image in one format, at 800 px.
type autoCurve struct {
	Image, Class string
	Format       spec.Format
	Points       []curvePointAuto // by quality, ascending
}

// lowestMet is the exhaustive answer: the lowest quality whose distance
// meets target, or false when none does.
func (c autoCurve) lowestMet(target float64) (curvePointAuto, bool) {
	for _, p := range c.Points {
		if p.Dist <= target {
			return p, true
		}
	}
	return curvePointAuto{}, false
}

func (c autoCurve) at(q int) (curvePointAuto, bool) {
	for _, p := range c.Points {
		if p.Q == q {
			return p, true
		}
	}
	return curvePointAuto{}, false
}

// autoOriginal is what a customer would upload: the corpus file, or for a
// synthetic image its SVG rendered at its native size to an RGB PNG.
func autoOriginal(corpus string, im image) ([]byte, error) {
	if im.Path != "" {
		return os.ReadFile(filepath.Join(corpus, im.Path))
	}
	img, err := vips.NewImageFromBuffer([]byte(synthetic[im.Name]()))
	if err != nil {
		return nil, err
	}
	defer img.Close()
	if img.HasAlpha() {
		if err := img.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
			return nil, err
		}
	}
	png, _, err := img.ExportPng(&vips.PngExportParams{Compression: 6})
	return png, err
}

// renderPixels is the 8-bit pixels a render at 800 px hands its encoder:
// the same render to lossless PNG, decoded and held in memory.
func renderPixels(r *transform.Renderer, orig []byte) (*vips.ImageRef, error) {
	res, err := r.Render(context.Background(), transform.Original{Data: orig}, spec.Options{Width: autoWidth, Format: spec.FormatPNG}, "")
	if err != nil {
		return nil, err
	}
	img, err := vips.NewImageFromBuffer(res.Body)
	if err != nil {
		return nil, err
	}
	return img, transform.CopyToMemory(img)
}

// exhaustiveCurves encodes every image at every quality 10..100 in each
// format with the default knobs and measures each (transform.Distance).
func exhaustiveCurves(r *transform.Renderer, corpus string) ([]autoCurve, error) {
	knobs := transform.DefaultConfig().Knobs()
	var curves []autoCurve
	start := time.Now()
	for _, im := range imageSet(false) {
		orig, err := autoOriginal(corpus, im)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", im.Name, err)
		}
		img, err := renderPixels(r, orig)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", im.Name, err)
		}
		ref, err := transform.NewDistanceReference(img)
		if err != nil {
			return nil, err
		}
		for _, f := range autoFormats {
			c := autoCurve{Image: im.Name, Class: im.Class, Format: f}
			for q := 10; q <= 100; q++ {
				body, err := transform.EncodeLossy(img, f, q, knobs, true)
				if err != nil {
					return nil, err
				}
				d, err := ref.Distance(body)
				if err != nil {
					return nil, err
				}
				c.Points = append(c.Points, curvePointAuto{q, len(body), d})
			}
			curves = append(curves, c)
			log.Printf("exhaustive: %s %s (%s)", im.Name, f, time.Since(start).Round(time.Second))
		}
		img.Close()
	}
	return curves, nil
}

var autoCurvesHeader = []string{"image", "class", "format", "q", "bytes", "distance"}

func writeAutoCurves(curves []autoCurve, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Comma = '\t'
	w.Write(autoCurvesHeader)
	for _, c := range curves {
		for _, p := range c.Points {
			w.Write([]string{c.Image, c.Class, string(c.Format), strconv.Itoa(p.Q), strconv.Itoa(p.Bytes), strconv.FormatFloat(p.Dist, 'f', 4, 64)})
		}
	}
	w.Flush()
	return w.Error()
}

func readAutoCurves(path string) ([]autoCurve, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comma = '\t'
	var curves []autoCurve
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return curves, nil
		}
		if err != nil {
			return nil, err
		}
		if rec[0] == "image" {
			continue
		}
		q, _ := strconv.Atoi(rec[3])
		n, _ := strconv.Atoi(rec[4])
		d, _ := strconv.ParseFloat(rec[5], 64)
		if k := len(curves) - 1; k < 0 || curves[k].Image != rec[0] || curves[k].Format != spec.Format(rec[2]) {
			curves = append(curves, autoCurve{Image: rec[0], Class: rec[1], Format: spec.Format(rec[2])})
		}
		k := len(curves) - 1
		curves[k].Points = append(curves[k].Points, curvePointAuto{q, n, d})
	}
}

// autoCurvesFor reads the cached curves at path, or measures and caches
// them when there are none (or fresh is set).
func autoCurvesFor(r *transform.Renderer, corpus, path string, fresh bool) ([]autoCurve, error) {
	if !fresh {
		if c, err := readAutoCurves(path); err == nil && len(c) > 0 {
			return c, nil
		}
	}
	c, err := exhaustiveCurves(r, corpus)
	if err == nil {
		err = writeAutoCurves(c, path)
	}
	return c, err
}

// writeAutoModel writes transform/auto_model_table.go from the curves: per
// format and level, the median over the training images of the lowest
// quality meeting the target (101 for an image none meets), and the median
// least-squares slope of ln distance over quality within ±10 of it.
func writeAutoModel(curves []autoCurve, path string) error {
	var b strings.Builder
	b.WriteString("// Code generated by go run ./bench/quality -auto-model; DO NOT EDIT.\n\npackage transform\n\n")
	b.WriteString("import \"github.com/pixmill/pixmill/transform/spec\"\n\n")
	b.WriteString("// autoModel: per format and q=auto level, the median lowest quality meeting\n// the target and the median log-distance slope around it, over the\n")
	b.WriteString("// benchmark's training images at 800 px, every quality 10..100 tried\n// (docs/benchmarks/quality-auto-cpu.md).\n")
	b.WriteString("var autoModel = map[spec.Format]map[spec.AutoLevel]autoStart{\n")
	holdout := holdoutNames()
	for _, f := range autoFormats {
		fmt.Fprintf(&b, "\tspec.Format%s: {\n", formatIdent(f))
		for _, level := range autoLevels {
			target := transform.AutoThreshold(level, f)
			var starts, slopes []float64
			for _, c := range curves {
				if c.Format != f || holdout[c.Image] {
					continue // the model is fitted on the training images only
				}
				opt, ok := c.lowestMet(target)
				if !ok {
					// No quality meets it: the search will end at 100, so
					// the start counts it there (where most images of a
					// format cannot reach a level, it starts at 100 and
					// spares them a try on the way).
					starts = append(starts, 101)
					continue
				}
				starts = append(starts, float64(opt.Q))
				if s, ok := logSlope(c, opt.Q-10, opt.Q+10); ok {
					slopes = append(slopes, s)
				}
			}
			if len(starts) == 0 || len(slopes) == 0 {
				return fmt.Errorf("auto model: no image of %s meets %s's target", f, level)
			}
			fmt.Fprintf(&b, "\t\tspec.Auto%s: {Start: %d, Slope: %.4f},\n", levelIdent(level), min(int(math.Round(median(starts))), 100), median(slopes))
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}

// regenerateAutoModel measures the curves afresh (the distance may have
// changed; unless !fresh, when the cached ones are read), caches them, and
// writes the model table from them.
func regenerateAutoModel(corpus, curvesPath, table string, fresh bool) error {
	_, curves, err := rendererAndCurves(corpus, curvesPath, fresh)
	if err != nil {
		return err
	}
	return writeAutoModel(curves, table)
}

// rendererAndCurves is a renderer with the default config and the
// exhaustive curves (autoCurvesFor) it makes or reads.
func rendererAndCurves(corpus, curvesPath string, fresh bool) (*transform.Renderer, []autoCurve, error) {
	r, err := transform.New(transform.DefaultConfig())
	if err != nil {
		return nil, nil, err
	}
	curves, err := autoCurvesFor(r, corpus, curvesPath, fresh)
	return r, curves, err
}

// logSlope is the least-squares slope of ln distance over quality for
// the curve's points from lo to hi (clamped to 10..100).
func logSlope(c autoCurve, lo, hi int) (float64, bool) {
	var n, sx, sy, sxx, sxy float64
	for _, p := range c.Points {
		if p.Q < lo || p.Q > hi || p.Dist <= 0 {
			continue
		}
		x, y := float64(p.Q), math.Log(p.Dist)
		n, sx, sy, sxx, sxy = n+1, sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if n < 3 || den == 0 {
		return 0, false
	}
	s := (n*sxy - sx*sy) / den
	return s, s < 0
}

func formatIdent(f spec.Format) string {
	return map[spec.Format]string{spec.FormatJPEG: "JPEG", spec.FormatWebP: "WebP", spec.FormatAVIF: "AVIF"}[f]
}

func levelIdent(l spec.AutoLevel) string {
	return map[spec.AutoLevel]string{spec.AutoLow: "Low", spec.AutoMedium: "Medium", spec.AutoHigh: "High"}[l]
}

// renderCPU renders reps times and returns the least process CPU time of
// one render in ms (the least disturbed by the other work on the machine)
// and the last result.
func renderCPU(r *transform.Renderer, orig []byte, opts spec.Options, reps int) (float64, transform.Result, error) {
	best := math.Inf(1)
	var res transform.Result
	for range max(reps, 1) {
		before := cpuTime()
		var err error
		res, err = r.Render(context.Background(), transform.Original{Data: orig}, opts, "")
		if err != nil {
			return 0, res, err
		}
		best = min(best, float64(cpuTime()-before)/float64(time.Millisecond))
	}
	return best, res, nil
}

// autoMiss is one image, format and level: the fixed miss's and q=auto's
// CPU, q=auto's choice, and the exhaustive answer from the curve.
type autoMiss struct {
	im               image
	fixedMs, autoMs  float64
	auto             transform.AutoQuality
	opt              curvePointAuto // the exhaustive answer
	optOK            bool
	chosen           curvePointAuto // the curve at q=auto's quality
	chosenOK         bool
	bytesVsOptimum   float64 // chosen bytes / optimum bytes − 1
	distanceMismatch bool    // the render's distance differs from the curve's at that quality
}

// checkAutoCPU measures whole misses, fixed against q=auto at each level,
// and compares q=auto's choices with the exhaustive curves; it writes
// quality-auto-cpu.md in out.
func checkAutoCPU(corpus, out, curvesPath string, reps int, fresh bool) error {
	r, curves, err := rendererAndCurves(corpus, curvesPath, fresh)
	if err != nil {
		return err
	}
	curveOf := func(name string, f spec.Format) (autoCurve, bool) {
		for _, c := range curves {
			if c.Image == name && c.Format == f {
				return c, true
			}
		}
		return autoCurve{}, false
	}
	misses := map[spec.Format]map[spec.AutoLevel][]autoMiss{}
	for _, f := range autoFormats {
		misses[f] = map[spec.AutoLevel][]autoMiss{}
	}
	for _, im := range imageSet(false) {
		orig, err := autoOriginal(corpus, im)
		if err != nil {
			return fmt.Errorf("%s: %w", im.Name, err)
		}
		for _, f := range autoFormats {
			fixedMs, _, err := renderCPU(r, orig, spec.Options{Width: autoWidth, Format: f}, reps)
			if err != nil {
				return fmt.Errorf("%s %s: %w", im.Name, f, err)
			}
			c, haveCurve := curveOf(im.Name, f)
			for _, level := range autoLevels {
				ms, res, err := renderCPU(r, orig, spec.Options{Width: autoWidth, Format: f, QualityAuto: level}, reps)
				if err != nil {
					return fmt.Errorf("%s %s %s: %w", im.Name, f, level, err)
				}
				m := autoMiss{im: im, fixedMs: fixedMs, autoMs: ms, auto: *res.Auto}
				if haveCurve {
					m.opt, m.optOK = c.lowestMet(res.Auto.Target)
					m.chosen, m.chosenOK = c.at(res.Auto.Quality)
					if m.optOK && m.chosenOK {
						m.bytesVsOptimum = float64(m.chosen.Bytes)/float64(m.opt.Bytes) - 1
					}
					m.distanceMismatch = m.chosenOK && math.Abs(m.chosen.Dist-res.Auto.Distance) > 0.01
				}
				misses[f][level] = append(misses[f][level], m)
			}
			log.Printf("auto-cpu: %s %s done", im.Name, f)
		}
	}
	return os.WriteFile(filepath.Join(out, "quality-auto-cpu.md"), []byte(autoCPUReport(misses, reps)+simulatedReport(curves)), 0o644)
}

// simulatedReport runs the search's decisions on every exhaustive curve
// (transform.AutoSearchOnCurve): no encodes and no timing, so it is exact
// and repeatable, and it is what the search's constants were chosen on.
func simulatedReport(curves []autoCurve) string {
	var s strings.Builder
	s.WriteString("\n## The search's decisions on the exhaustive curves\n\n" +
		"Every image and level, the search run on the curve instead of encodes (exact, no timing): mean encodes, and the kept " +
		"encode's bytes over the exhaustive answer's.\n\n| format | mean encodes | encodes 1 / 2 / 3 / 4 | mean bytes vs exhaustive | worst |\n|---|---|---|---|---|\n")
	for _, f := range autoFormats {
		var n, enc, sum float64
		hist := make([]int, 5)
		worst := 0.0
		for _, level := range autoLevels {
			target := transform.AutoThreshold(level, f)
			for _, c := range curves {
				if c.Format != f {
					continue
				}
				dist := func(q int) float64 { p, _ := c.at(q); return p.Dist }
				q, e := transform.AutoSearchOnCurve(f, level, 4, dist)
				n, enc = n+1, enc+float64(e)
				hist[min(e, 4)]++
				opt, ok := c.lowestMet(target)
				kept, kok := c.at(q)
				if ok && kok {
					x := float64(kept.Bytes)/float64(opt.Bytes) - 1
					sum += x
					worst = max(worst, x)
				}
			}
		}
		fmt.Fprintf(&s, "| %s | %.2f | %d / %d / %d / %d | %+.1f %% | %+.1f %% |\n", f, enc/n, hist[1], hist[2], hist[3], hist[4], 100*sum/n, 100*worst)
	}
	return s.String()
}

func autoCPUReport(misses map[spec.Format]map[spec.AutoLevel][]autoMiss, reps int) string {
	var s strings.Builder
	fmt.Fprintf(&s, "# q=auto: CPU per miss and the exhaustive answer\n\n"+
		"Written by `go run ./bench/quality -auto-cpu` (curves cached in `bin/bench/auto-curves.tsv`; `-auto-model` remeasures them "+
		"and regenerates `transform/auto_model_table.go`). Each miss is a whole `transform.Renderer.Render` at w=%d from the original "+
		"held in memory (the corpus JPEG; for the synthetic images their SVG rendered at 1600×1000 to an RGB PNG): decode, resize, "+
		"encode(s) and q=auto's measurements. CPU is the process's user+system time (getrusage), the least of %d renders, "+
		"on a shared 2-core machine. *fixed* is the format's default quality (q unset); the ratio is q=auto's CPU over fixed's. "+
		"*exhaustive* is the lowest quality 10..100 whose in-process distance meets the target, every quality encoded; "+
		"*bytes vs exhaustive* compares the encodes at the two qualities (metadata stripped).\n\n", autoWidth, reps)
	s.WriteString("## Summary\n\n| format | level | median ratio | worst ratio (image) | median encodes | met | q = exhaustive | median q − exhaustive | worst q − exhaustive | median bytes vs exhaustive | worst bytes vs exhaustive |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range autoFormats {
		for _, level := range autoLevels {
			ms := misses[f][level]
			var ratios, encodes, dq, db []float64
			worst, worstAt, met, exact := 0.0, "", 0, 0
			worstDQ, worstDB := math.Inf(-1), math.Inf(-1)
			for _, m := range ms {
				ratio := m.autoMs / max(m.fixedMs, 0.01)
				ratios = append(ratios, ratio)
				if ratio > worst {
					worst, worstAt = ratio, m.im.Name
				}
				encodes = append(encodes, float64(m.auto.Encodes))
				if m.auto.Met {
					met++
				}
				if m.optOK {
					d := float64(m.auto.Quality - m.opt.Q)
					dq = append(dq, d)
					worstDQ = max(worstDQ, d)
					if d == 0 {
						exact++
					}
				}
				if m.optOK && m.chosenOK {
					db = append(db, m.bytesVsOptimum)
					worstDB = max(worstDB, m.bytesVsOptimum)
				}
			}
			fmt.Fprintf(&s, "| %s | %s | %.2fx | %.2fx (%s) | %.1f | %d/%d | %d/%d | %+.1f | %+.0f | %+.1f %% | %+.1f %% |\n",
				f, level, median(ratios), worst, worstAt, median(encodes), met, len(ms), exact, len(dq), median(dq), worstDQ, 100*median(db), 100*worstDB)
		}
	}
	for _, f := range autoFormats {
		fmt.Fprintf(&s, "\n## %s\n\n| image | class | fixed ms |", f)
		for _, level := range autoLevels {
			fmt.Fprintf(&s, " %s ms (ratio) | %s q (exhaustive), encodes |", level, level)
		}
		s.WriteString("\n|---|---|---|" + strings.Repeat("---|---|", len(autoLevels)) + "\n")
		for i, m0 := range misses[f][autoLevels[0]] {
			fmt.Fprintf(&s, "| %s | %s | %.0f |", m0.im.Name, m0.im.Class, m0.fixedMs)
			for _, level := range autoLevels {
				m := misses[f][level][i]
				opt := "none"
				if m.optOK {
					opt = strconv.Itoa(m.opt.Q)
				}
				flag := ""
				if !m.auto.Met {
					flag = " not met"
				}
				if m.distanceMismatch {
					flag += " †"
				}
				fmt.Fprintf(&s, " %.0f (%.2fx) | %d (%s), %d%s |", m.autoMs, m.autoMs/max(m.fixedMs, 0.01), m.auto.Quality, opt, m.auto.Encodes, flag)
			}
			s.WriteString("\n")
		}
	}
	s.WriteString("\n† the render's distance at that quality differs from the curve's by more than 0.01 (the curve's pixels are the render's to lossless PNG).\n")
	return s.String()
}
