// Command quality measures bytes against look for pixmill's lossy
// encoders (issue 17): for JPEG, WebP and AVIF and the knobs that matter,
// at several qualities and widths, on photos, faces and rendered graphics,
// screenshots, text and gradients, it records the bytes, the encoder's CPU
// time, and the distance to the lossless resize by two judges nobody here
// wrote: libjxl's butteraugli_main (3-norm) and ssimulacra_main
// (apt-get install libjxl-devtools).
//
//	go run ./bench/quality -quick            # CI-size: 4 images, 400/800 px, base variants, report in bin/bench (~7 min)
//	go run ./bench/quality                   # full: 10 images, 400/800/1600 px, every knob (~40 min on a shared 2-core machine)
//	go run ./bench/quality -report           # charts, tables and the q table from the cached TSV only
//	go run ./bench/quality -metric-variants  # choose q=auto's in-process distance and calibrate its thresholds (writes transform/auto_targets.go)
//	go run ./bench/quality -metric           # q=auto's in-process distance against butteraugli (Spearman, cost)
//	go run ./bench/quality -auto             # q=auto judged by butteraugli, against one fixed quality
//	go run ./bench/quality -auto-model       # every quality measured in process; regenerates transform/auto_model_table.go
//	go run ./bench/quality -auto-cpu         # CPU per miss, fixed against q=auto, and q=auto against the exhaustive answer
//
// Every judged encode is appended to a TSV (-results) as it completes, and
// a rerun skips what is there, so a run can be stopped and resumed. The
// report (docs/benchmarks/quality-data.md and quality-*.svg) and the q
// table transform/qscale_table.go are written from the TSV.
package main

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// variant is one encoder setting measured over a grid of qualities.
type variant struct {
	Name   string
	Format spec.Format
	Knobs  transform.Knobs
	Grid   []int
	// SamePixelsAs names a variant whose decoded pixels are identical
	// (JPEG's progressive scans and Huffman tables are lossless coding
	// choices): only bytes and CPU are measured, the distances are its.
	SamePixelsAs string
	// Tier says where the variant is measured: tierCore everywhere,
	// tierBase at 400 and 800 px (and in -quick), tierKnob only on the
	// photos and faces at 800 px, the width the knobs are chosen at.
	Tier int
	// Lossless encodes once, losslessly (Grid is {100}): the bytes to beat
	// for f=auto on flat images.
	Lossless bool
}

const (
	tierCore = iota
	tierBase
	tierKnob
	tierLossless // every image, at 800 px only
)

// measured says whether v is measured on im at width.
func (v variant) measured(im image, width int, quick bool) bool {
	switch {
	case im.Holdout:
		return !quick && width == 800 && v.Tier == tierCore
	case width == 1600:
		return v.Tier == tierCore && im.Large
	case v.Tier == tierKnob:
		return !quick && width == 800 && (im.Class == "photo" || im.Class == "face")
	case v.Tier == tierLossless:
		return !quick && width == 800
	}
	return true
}

var (
	jpegGrid = []int{40, 50, 60, 70, 75, 80, 85, 90, 95}
	webpGrid = []int{40, 50, 60, 70, 75, 80, 85, 90, 95, 99}
	avifGrid = []int{25, 35, 45, 50, 55, 60, 65, 75, 85, 92}
)

func variants() []variant {
	d := transform.DefaultConfig().Knobs()
	with := func(f func(*transform.Knobs)) transform.Knobs { k := d; f(&k); return k }
	return []variant{
		{Name: "jpeg", Format: spec.FormatJPEG, Knobs: d, Grid: jpegGrid, Tier: tierCore},
		{Name: "jpeg-progressive", Format: spec.FormatJPEG, Knobs: with(func(k *transform.Knobs) { k.JPEGProgressive = true }), Grid: jpegGrid, SamePixelsAs: "jpeg", Tier: tierBase},
		{Name: "jpeg-plain-huffman", Format: spec.FormatJPEG, Knobs: with(func(k *transform.Knobs) { k.JPEGPlainHuffman = true }), Grid: jpegGrid, SamePixelsAs: "jpeg", Tier: tierKnob},
		{Name: "webp-e4", Format: spec.FormatWebP, Knobs: with(func(k *transform.Knobs) { k.WebPEffort = 4 }), Grid: webpGrid, Tier: tierCore},
		{Name: "webp-e4-sharp", Format: spec.FormatWebP, Knobs: with(func(k *transform.Knobs) { k.WebPEffort, k.WebPSharpYUV = 4, true }), Grid: webpGrid, Tier: tierBase},
		{Name: "webp-e6-sharp", Format: spec.FormatWebP, Knobs: with(func(k *transform.Knobs) { k.WebPEffort, k.WebPSharpYUV = 6, true }), Grid: webpGrid, Tier: tierKnob},
		{Name: "avif-e3", Format: spec.FormatAVIF, Knobs: with(func(k *transform.Knobs) { k.AVIFEffort = 3 }), Grid: avifGrid, Tier: tierCore},
		{Name: "avif-e3-444", Format: spec.FormatAVIF, Knobs: with(func(k *transform.Knobs) { k.AVIFEffort, k.AVIFChroma444 = 3, true }), Grid: avifGrid, Tier: tierBase},
		{Name: "avif-e5", Format: spec.FormatAVIF, Knobs: with(func(k *transform.Knobs) { k.AVIFEffort = 5 }), Grid: avifGrid, Tier: tierKnob},
		{Name: "webp-lossless", Format: spec.FormatWebP, Knobs: d, Grid: []int{100}, Tier: tierLossless, Lossless: true},
		{Name: "png", Format: spec.FormatPNG, Knobs: d, Grid: []int{100}, Tier: tierLossless, Lossless: true},
	}
}

// image is one member of the set: a corpus file or a rendered SVG.
type image struct {
	Name, Class string
	Path        string // under the corpus; "" for synthetic
	// Large images are also measured at 1600 px in the full run.
	Large bool
	// Holdout images are measured only at 800 px, on the core variants'
	// dense grid, and nothing is calibrated on them: the q table, the
	// report's curves and q=auto's thresholds read the training images
	// only; the holdout says whether what was calibrated generalises.
	Holdout bool
}

// imageSet is the training images and, unless quick, the holdout.
func imageSet(quick bool) []image {
	set := []image{
		{"kleiber_bird", "photo", "photos/kleiber_bird_20mp.jpg", true, false},
		{"forest_path", "photo", "photos/forest_path.jpg", true, false},
		{"sunset", "photo", "photos/sunset_12mp_progressive.jpg", true, false},
		{"colorful_cups", "photo", "photos/object_colorful_cups_progressive.jpg", true, false},
		{"ladybird_macro", "photo", "photos/ladybird_macro.jpg", true, false},
		{"group_portrait", "face", "faces/group_portrait_1.jpg", true, false},
		{"graphic", "graphic", "", true, false},
		{"screenshot", "screenshot", "", true, false},
		{"text", "text", "", true, false},
		{"gradient", "gradient", "", true, false},
		// The holdout: every other corpus photo and face at least 800 px
		// wide (nothing is upscaled), and synthetic kinds the training set
		// lacks.
		{"dragonfly_tree", "photo", "photos/dragonfly_tree_13mp_progressive.jpg", false, true},
		{"evening_glow_boats", "photo", "photos/evening_glow_boats.jpg", false, true},
		{"milkyway_vertical", "photo", "photos/milkyway_vertical_24mp.jpg", false, true},
		{"fig_on_plate", "photo", "photos/object_fig_on_plate.jpg", false, true},
		{"lightbulb_bee", "photo", "photos/object_lightbulb_bee.jpg", false, true},
		{"group_portrait_3", "face", "faces/group_portrait_3.jpg", false, true},
		{"group_portrait_5", "face", "faces/group_portrait_5.jpg", false, true},
		{"woman_sunglasses", "face", "faces/woman_sunglasses_adobergb_progressive.jpg", false, true},
		{"sky", "gradient", "", false, true},
		{"dark_ui", "screenshot", "", false, true},
		{"chart", "graphic", "", false, true},
		{"logo", "graphic", "", false, true},
		{"text_on_gradient", "text", "", false, true},
	}
	if quick {
		keep := map[string]bool{"forest_path": true, "colorful_cups": true, "screenshot": true, "gradient": true}
		set = slices.DeleteFunc(set, func(im image) bool { return !keep[im.Name] })
	}
	return set
}

// trainingSet is imageSet(false) without the holdout.
func trainingSet() []image {
	return slices.DeleteFunc(imageSet(false), func(im image) bool { return im.Holdout })
}

// holdoutNames says of each image name whether it is in the holdout.
func holdoutNames() map[string]bool {
	holdout := map[string]bool{}
	for _, im := range imageSet(false) {
		holdout[im.Name] = im.Holdout
	}
	return holdout
}

// trainingRows is rows without the holdout images'.
func trainingRows(rows []row) []row {
	holdout := holdoutNames()
	return slices.DeleteFunc(slices.Clone(rows), func(r row) bool { return holdout[r.Image] })
}

// denseGrid is the qualities the core variants are measured at on every
// image at 800 px (besides their Grid): q=auto's thresholds are
// calibrated on it, from low's qualities on flat images to high's on
// detailed ones.
var denseGrid = func() []int {
	var g []int
	for q := 10; q <= 100; q += 5 {
		g = append(g, q)
	}
	return g
}()

// gridFor is the qualities v is measured at on im at width.
func (v variant) gridFor(im image, width int, quick bool) []int {
	if quick || width != 800 || v.Tier != tierCore {
		return v.Grid
	}
	g := slices.Clone(v.Grid)
	for _, q := range denseGrid {
		if !slices.Contains(g, q) {
			g = append(g, q)
		}
	}
	slices.Sort(g)
	return g
}

// row is one judged encode: the TSV's line.
type row struct {
	Image, Class string
	Width        int
	Variant      string
	Format       spec.Format
	Q            int
	Bytes        int
	Pixels       int
	EncodeMs     float64 // CPU time of the encode alone, user+system
	Butteraugli  float64 // 3-norm
	Ssimulacra   float64
}

var tsvHeader = []string{"image", "class", "width", "variant", "format", "q", "bytes", "pixels", "encode_cpu_ms", "butteraugli_3norm", "ssimulacra"}

func (r row) key() string { return fmt.Sprintf("%s|%d|%s|%d", r.Image, r.Width, r.Variant, r.Q) }

func (r row) fields() []string {
	return []string{r.Image, r.Class, strconv.Itoa(r.Width), r.Variant, string(r.Format), strconv.Itoa(r.Q),
		strconv.Itoa(r.Bytes), strconv.Itoa(r.Pixels), strconv.FormatFloat(r.EncodeMs, 'f', 2, 64),
		strconv.FormatFloat(r.Butteraugli, 'f', 4, 64), strconv.FormatFloat(r.Ssimulacra, 'f', 5, 64)}
}

func readRows(path string) ([]row, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comma = '\t'
	var rows []row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		if rec[0] == "image" {
			continue
		}
		atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
		atof := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
		rows = append(rows, row{rec[0], rec[1], atoi(rec[2]), rec[3], spec.Format(rec[4]), atoi(rec[5]),
			atoi(rec[6]), atoi(rec[7]), atof(rec[8]), atof(rec[9]), atof(rec[10])})
	}
}

func main() {
	log.SetFlags(log.Ltime)
	quick := flag.Bool("quick", false, "CI-size run: 4 images, 400 and 800 px, base variants only")
	corpus := flag.String("corpus", "../shared/corpus", "corpus directory ($PIXMILL_CORPUS when set)")
	results := flag.String("results", "", "TSV of judged encodes (default bench/quality/results/{full,quick}.tsv)")
	out := flag.String("out", "", "directory for quality-data.md and the charts (default docs/benchmarks; -quick: bin/bench)")
	table := flag.String("table", "transform/qscale_table.go", "q table to write from the full results (\"\" to skip)")
	reportOnly := flag.Bool("report", false, "write the report from the TSV without encoding")
	auto := flag.Bool("auto", false, "run q=auto on every image at 800 px and judge it with butteraugli (docs/benchmarks/quality-auto.md)")
	metric := flag.Bool("metric", false, "compare q=auto's in-process distance with butteraugli on the TSV's 800 px encodes (docs/benchmarks/quality-metric.md)")
	metricVariants := flag.Bool("metric-variants", false, "score candidate in-process distances by the q=auto guarantee on the training images, check it on the holdout, and write quality-metric-variants.md (in -out) and -targets")
	metricCache := flag.String("metric-cache", "bin/bench/metric-components.gob", "cache of -metric-variants' measurements (\"\" for none); a rerun measures only new encodes")
	targets := flag.String("targets", "transform/auto_targets.go", "q=auto's distance parameters and thresholds to write with -metric-variants (\"\" to skip)")
	autoModel := flag.Bool("auto-model", false, "encode every image at every quality 10..100, measure each in process, cache the curves (-auto-curves) and write q=auto's model (transform/auto_model_table.go)")
	autoCPU := flag.Bool("auto-cpu", false, "CPU per miss of whole renders, fixed quality against q=auto, and q=auto against the exhaustive curves (quality-auto-cpu.md in -out)")
	autoCurves := flag.String("auto-curves", "bin/bench/auto-curves.tsv", "cache of the exhaustive curves for -auto-model and -auto-cpu")
	autoModelPath := flag.String("auto-model-table", "transform/auto_model_table.go", "q=auto's model table -auto-model writes")
	autoModelCached := flag.Bool("auto-model-cached", false, "with -auto-model: write the table from the cached curves (-auto-curves) without measuring again (only when the distance has not changed)")
	reps := flag.Int("reps", 3, "-auto-cpu: renders per measurement (the least CPU is kept)")
	jobs := flag.Int("jobs", 2, "judges run in parallel")
	flag.Parse()
	if c := os.Getenv("PIXMILL_CORPUS"); c != "" {
		*corpus = c
	}
	if *out == "" {
		*out = "docs/benchmarks"
		if *quick {
			*out = "bin/bench"
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	if *results == "" {
		*results = "bench/quality/results/full.tsv"
		if *quick {
			*results = "bench/quality/results/quick.tsv"
		}
	}
	vips.LoggingSettings(nil, vips.LogLevelError)
	vips.Startup(&vips.Config{ConcurrencyLevel: 1})
	defer vips.Shutdown()

	if *autoModel || *autoCPU {
		var err error
		if *autoModel {
			err = regenerateAutoModel(*corpus, *autoCurves, *autoModelPath, !*autoModelCached)
		}
		if err == nil && *autoCPU {
			err = checkAutoCPU(*corpus, *out, *autoCurves, *reps, false)
		}
		if err != nil {
			log.Fatal(err)
		}
		return
	}
	if *metricVariants {
		rows, err := readRows(*results)
		if err == nil {
			err = checkMetricVariants(rows, *corpus, *out, *targets, *metricCache)
		}
		if err != nil {
			log.Fatal(err)
		}
		return
	}
	if *metric || *auto {
		rows, err := readRows(*results)
		if err == nil && *metric {
			err = checkMetric(rows, *corpus, *out)
		}
		if err == nil && *auto {
			err = checkAuto(fillTwins(rows), *corpus, *out)
		}
		if err != nil {
			log.Fatal(err)
		}
		return
	}
	if !*reportOnly {
		if err := measure(*quick, *corpus, *results, *jobs); err != nil {
			log.Fatal(err)
		}
	}
	rows, err := readRows(*results)
	if err != nil {
		log.Fatal(err)
	}
	// The report and the q table read the training images only, at the
	// qualities of each variant's Grid (curveOf): the dense 800 px rows
	// and the holdout are for q=auto's calibration and its check.
	rows = trainingRows(rows)
	if err := report(rows, *out, *quick); err != nil {
		log.Fatal(err)
	}
	if *table != "" && !*quick {
		if err := writeTable(rows, *table); err != nil {
			log.Fatal(err)
		}
	}
}

// measure encodes and judges what the TSV lacks.
func measure(quick bool, corpus, results string, jobs int) error {
	for _, tool := range []string{"butteraugli_main", "ssimulacra_main"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: apt-get install libjxl-devtools", tool)
		}
	}
	done := map[string]bool{}
	old, err := readRows(results)
	if err != nil {
		return err
	}
	for _, r := range old {
		done[r.key()] = true
	}
	if err := os.MkdirAll(filepath.Dir(results), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(results, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Comma = '\t'
	if len(old) == 0 {
		w.Write(tsvHeader)
		w.Flush()
	}
	tmp, err := os.MkdirTemp("", "pixmill-quality-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	type job struct {
		r        row
		ref, dis string
	}
	work := make(chan job, 4)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var judgeErr error
	for range max(jobs, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				r := j.r
				var err error
				if r.Butteraugli, err = butteraugli(j.ref, j.dis); err == nil {
					r.Ssimulacra, err = ssimulacra(j.ref, j.dis)
				}
				os.Remove(j.dis)
				mu.Lock()
				if err != nil && judgeErr == nil {
					judgeErr = fmt.Errorf("%s: %w", r.key(), err)
				}
				if err == nil {
					w.Write(r.fields())
					w.Flush()
				}
				mu.Unlock()
			}
		}()
	}

	// 800 px first: the q table and the knobs are read there.
	widths := []int{800, 400, 1600}
	if quick {
		widths = widths[:2]
	}
	start := time.Now()
	n := 0
	for _, width := range widths {
		for _, im := range imageSet(quick) {
			if (width == 1600 && !im.Large) || (width != 800 && im.Holdout) {
				continue
			}
			ref, err := reference(corpus, im, width)
			if err != nil {
				return fmt.Errorf("%s: %w", im.Name, err)
			}
			refPath := filepath.Join(tmp, fmt.Sprintf("%s-%d.png", im.Name, width))
			png, _, err := ref.ExportPng(&vips.PngExportParams{Compression: 1})
			if err != nil {
				return err
			}
			if err := os.WriteFile(refPath, png, 0o644); err != nil {
				return err
			}
			// Distances of the pixel-identical variants come from their
			// twin, judged first in the same pass.
			for _, v := range variants() {
				if !v.measured(im, width, quick) {
					continue
				}
				for _, q := range v.gridFor(im, width, quick) {
					r := row{Image: im.Name, Class: im.Class, Width: width, Variant: v.Name, Format: v.Format, Q: q, Pixels: ref.Width() * ref.Height()}
					if done[r.key()] {
						continue
					}
					body, cpu, err := encodeTimed(ref, v, q)
					if err != nil {
						return fmt.Errorf("%s: %w", r.key(), err)
					}
					r.Bytes, r.EncodeMs = len(body), cpu
					if v.SamePixelsAs != "" {
						mu.Lock()
						w.Write(r.fields()) // distances filled in by the report from the twin
						w.Flush()
						mu.Unlock()
						continue
					}
					dis := filepath.Join(tmp, fmt.Sprintf("%s-%d-%s-%d.png", im.Name, width, v.Name, q))
					if err := decodeToPNG(body, dis); err != nil {
						return fmt.Errorf("%s: %w", r.key(), err)
					}
					work <- job{r, refPath, dis}
					n++
					if n%50 == 0 {
						log.Printf("%d judged encodes queued (%s)", n, time.Since(start).Round(time.Second))
					}
				}
			}
			ref.Close()
		}
	}
	close(work)
	wg.Wait()
	log.Printf("%d encodes judged in %s", n, time.Since(start).Round(time.Second))
	return judgeErr
}

// reference is the lossless resize every encode is compared with: the
// source fitted to width, in sRGB, 8-bit RGB, alpha flattened on white,
// held in memory.
func reference(corpus string, im image, width int) (*vips.ImageRef, error) {
	var buf []byte
	var err error
	if im.Path == "" {
		buf = []byte(synthetic[im.Name]())
	} else if buf, err = os.ReadFile(filepath.Join(corpus, im.Path)); err != nil {
		return nil, err
	}
	img, err := vips.NewThumbnailWithSizeFromBuffer(buf, width, 100000, vips.InterestingNone, vips.SizeDown)
	if err != nil {
		return nil, err
	}
	if img.HasICCProfile() {
		if err := img.TransformICCProfile(vips.SRGBIEC6196621ICCProfilePath); err != nil {
			return nil, err
		}
	}
	if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
		return nil, err
	}
	if img.HasAlpha() {
		if err := img.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
			return nil, err
		}
	}
	if err := img.Cast(vips.BandFormatUchar); err != nil {
		return nil, err
	}
	if err := img.RemoveMetadata(); err != nil {
		return nil, err
	}
	if err := transform.CopyToMemory(img); err != nil {
		return nil, err
	}
	return img, nil
}

// encodeTimed encodes a copy of ref and returns the process CPU time the
// encode took. Encodes run one at a time on this goroutine; the judges are
// child processes, whose time is not the process's own.
func encodeTimed(ref *vips.ImageRef, v variant, q int) ([]byte, float64, error) {
	img, err := ref.Copy()
	if err != nil {
		return nil, 0, err
	}
	defer img.Close()
	before := cpuTime()
	var body []byte
	switch {
	case v.Lossless && v.Format == spec.FormatPNG:
		body, _, err = img.ExportPng(&vips.PngExportParams{StripMetadata: true, Compression: transform.DefaultConfig().PNGCompression, Filter: vips.PngFilterAll})
	case v.Lossless:
		body, _, err = img.ExportWebp(&vips.WebpExportParams{StripMetadata: true, Lossless: true, ReductionEffort: v.Knobs.WebPEffort})
	default:
		body, err = transform.EncodeLossy(img, v.Format, q, v.Knobs, true)
	}
	return body, float64(cpuTime()-before) / float64(time.Millisecond), err
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func decodeToPNG(body []byte, path string) error {
	img, err := vips.NewImageFromBuffer(body)
	if err != nil {
		return err
	}
	defer img.Close()
	png, _, err := img.ExportPng(&vips.PngExportParams{Compression: 1})
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// butteraugli runs butteraugli_main and reads its 3-norm line.
func butteraugli(ref, dis string) (float64, error) {
	out, err := exec.Command("butteraugli_main", ref, dis, "--pnorm", "3").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("butteraugli_main: %v: %s", err, out)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "3-norm:"); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("butteraugli_main printed no 3-norm: %s", out)
}

// ssimulacra runs ssimulacra_main, which prints the distance alone.
func ssimulacra(ref, dis string) (float64, error) {
	out, err := exec.Command("ssimulacra_main", ref, dis).Output()
	if err != nil {
		return 0, fmt.Errorf("ssimulacra_main: %v", err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}
