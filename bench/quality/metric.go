package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/transform"
)

// eachCoreEncode re-encodes the judged 800 px encodes of the core
// variants that want accepts (nil: all), image by image (the encoders are
// deterministic: the same bytes butteraugli judged), and calls f with the
// image's reference and each body.
func eachCoreEncode(rows []row, corpus string, want func(im image, r row) bool, f func(im image, ref *vips.ImageRef, r row, body []byte) error) error {
	byName := map[string]variant{}
	for _, v := range variants() {
		byName[v.Name] = v
	}
	for _, im := range imageSet(false) {
		if want != nil && !slices.ContainsFunc(rows, func(r row) bool { return r.Image == im.Name && want(im, r) }) {
			continue
		}
		ref, err := reference(corpus, im, 800)
		if err != nil {
			return err
		}
		for _, r := range rows {
			v, ok := byName[r.Variant]
			if r.Image != im.Name || r.Width != 800 || !ok || v.Tier != tierCore || (want != nil && !want(im, r)) {
				continue
			}
			body, _, err := encodeTimed(ref, v, r.Q)
			if err == nil {
				err = f(im, ref, r, body)
			}
			if err != nil {
				ref.Close()
				return err
			}
		}
		ref.Close()
	}
	return nil
}

// checkMetric re-encodes the judged 800 px encodes of the core variants
// (the encoders are deterministic: the same bytes butteraugli judged),
// measures transform.Distance on each, and reports its Spearman rank
// correlation with butteraugli: over the training and the holdout images
// separately, and per image (where q=auto uses it: to order the qualities
// of one image), and what one measurement costs.
func checkMetric(rows []row, corpus, out string) error {
	type pair struct{ ours, butter float64 }
	per := map[string][]pair{}
	var train, holdout []pair
	var took []float64
	tookBy := map[string][]float64{}
	jpegAt := map[int][]float64{} // JPEG's distance per quality, training photos and faces
	var refName string
	var dref *transform.DistanceReference
	err := eachCoreEncode(rows, corpus, nil, func(im image, ref *vips.ImageRef, r row, body []byte) error {
		if refName != im.Name {
			var err error
			if dref, err = transform.NewDistanceReference(ref); err != nil {
				return err
			}
			refName = im.Name
		}
		start := time.Now()
		d, err := dref.Distance(body)
		if err != nil {
			return err
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		took = append(took, ms)
		tookBy[r.Variant] = append(tookBy[r.Variant], ms)
		if r.Variant == "jpeg" && !im.Holdout && (im.Class == "photo" || im.Class == "face") {
			jpegAt[r.Q] = append(jpegAt[r.Q], d)
		}
		p := pair{d, r.Butteraugli}
		set := "training"
		if im.Holdout {
			set = "holdout"
			holdout = append(holdout, p)
		} else {
			train = append(train, p)
		}
		key := fmt.Sprintf("%s | %s | %s", set, im.Name, im.Class)
		per[key] = append(per[key], p)
		return nil
	})
	if err != nil {
		return err
	}
	split := func(ps []pair) (a, b []float64) {
		for _, p := range ps {
			a, b = append(a, p.ours), append(b, p.butter)
		}
		return a, b
	}
	var s strings.Builder
	fmt.Fprintf(&s, "# q=auto's in-process distance against butteraugli\n\nWritten by `go run ./bench/quality -metric`: "+
		"transform.Distance (a masked error in the manner of butteraugli: `internal/masked`, parameters in `transform/auto_targets.go`, chosen by "+
		"`go run ./bench/quality -metric-variants`, quality-metric-variants.md) on %d encodes at 800 px (JPEG, WebP e4, AVIF e3 over their quality "+
		"grids), against butteraugli's 3-norm.\n\n"+
		"Time per measurement, decode of the encoded body included, the reference prepared once as q=auto's search does "+
		"(wall clock, median, on a shared 2-core machine, so noisy): %.1f ms overall; JPEG %.1f ms, WebP %.1f ms, AVIF %.1f ms. "+
		"`go test ./transform -run XXX -bench BenchmarkDistance` times the same at 800×500 with and without the decode.\n\n",
		len(train)+len(holdout), median(took), median(tookBy["jpeg"]), median(tookBy[tableWebP]), median(tookBy[tableAVIF]))
	a, b := split(train)
	ha, hb := split(holdout)
	fmt.Fprintf(&s, "Spearman rank correlation over all encodes of the training images: **%.3f** (%d encodes); of the holdout images: **%.3f** (%d encodes).\n\n"+
		"| set | image | class | encodes | Spearman |\n|---|---|---|---|---|\n", spearman(a, b), len(train), spearman(ha, hb), len(holdout))
	names := make([]string, 0, len(per))
	for n := range per {
		names = append(names, n)
	}
	slices.SortFunc(names, func(x, y string) int {
		// Training first, then by name.
		if xh, yh := strings.HasPrefix(x, "holdout"), strings.HasPrefix(y, "holdout"); xh != yh {
			if xh {
				return 1
			}
			return -1
		}
		return strings.Compare(x, y)
	})
	for _, n := range names {
		a, b := split(per[n])
		fmt.Fprintf(&s, "| %s | %d | %.3f |\n", n, len(per[n]), spearman(a, b))
	}
	s.WriteString("\nMedian in-process distance of JPEG on the training photos and faces, per quality (for scale; q=auto's thresholds are calibrated per format in quality-metric-variants.md):\n\n| JPEG q | distance |\n|---|---|\n")
	qs := make([]int, 0, len(jpegAt))
	for q := range jpegAt {
		qs = append(qs, q)
	}
	slices.Sort(qs)
	for _, q := range qs {
		fmt.Fprintf(&s, "| %d | %.3f |\n", q, median(jpegAt[q]))
	}
	return os.WriteFile(filepath.Join(out, "quality-metric.md"), []byte(s.String()), 0o644)
}

// spearman is the rank correlation of a and b (average ranks for ties).
func spearman(a, b []float64) float64 {
	ra, rb := ranks(a), ranks(b)
	ma, mb := mean(ra), mean(rb)
	var num, da, db float64
	for i := range ra {
		num += (ra[i] - ma) * (rb[i] - mb)
		da += (ra[i] - ma) * (ra[i] - ma)
		db += (rb[i] - mb) * (rb[i] - mb)
	}
	if da == 0 || db == 0 {
		return 0
	}
	return num / math.Sqrt(da*db)
}

func ranks(xs []float64) []float64 {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		switch {
		case xs[i] < xs[j]:
			return -1
		case xs[i] > xs[j]:
			return 1
		}
		return 0
	})
	r := make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && xs[idx[j+1]] == xs[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return r
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
