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
// variants, image by image (the encoders are deterministic: the same bytes
// butteraugli judged), and calls f with the image's reference and each body.
func eachCoreEncode(rows []row, corpus string, f func(im image, ref *vips.ImageRef, r row, body []byte) error) error {
	byName := map[string]variant{}
	for _, v := range variants() {
		byName[v.Name] = v
	}
	for _, im := range imageSet(false) {
		ref, err := reference(corpus, im, 800)
		if err != nil {
			return err
		}
		for _, r := range rows {
			v, ok := byName[r.Variant]
			if r.Image != im.Name || r.Width != 800 || !ok || v.Tier != tierCore {
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
// correlation with butteraugli: over all of them, and per image (where
// q=auto uses it: to order the qualities of one image).
func checkMetric(rows []row, corpus, out string) error {
	type pair struct{ ours, butter float64 }
	per := map[string][]pair{}
	var all []pair
	var took []float64
	jpegAt := map[int][]float64{} // JPEG's distance per quality, photos and faces: q=auto's targets
	err := eachCoreEncode(rows, corpus, func(im image, ref *vips.ImageRef, r row, body []byte) error {
		start := time.Now()
		d, err := transform.Distance(ref, body)
		if err != nil {
			return err
		}
		took = append(took, float64(time.Since(start).Microseconds())/1000)
		if r.Variant == "jpeg" && (im.Class == "photo" || im.Class == "face") {
			jpegAt[r.Q] = append(jpegAt[r.Q], d)
		}
		p := pair{d, r.Butteraugli}
		per[im.Name+" ("+im.Class+")"] = append(per[im.Name+" ("+im.Class+")"], p)
		all = append(all, p)
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
		"transform.Distance (multi-scale SSIM over three scales, each scale's SSIM map pooled by the 6-norm of 1 − SSIM; luma plus 0.5 × "+
		"each of Cb and Cr measured from half resolution; computed in Go) on %d encodes at 800 px "+
		"(JPEG, WebP e4, AVIF e3 over their quality grids), against butteraugli's 3-norm. Median time per measurement, "+
		"decode of the encoded body included: %.1f ms. "+
		"The candidates tried before settling on this one, and their scores: quality-metric-variants.md "+
		"(`go run ./bench/quality -metric-variants`).\n\n", len(all), median(took))
	a, b := split(all)
	fmt.Fprintf(&s, "Spearman rank correlation over all of them: **%.3f**.\n\n| image | encodes | Spearman |\n|---|---|---|\n", spearman(a, b))
	names := make([]string, 0, len(per))
	for n := range per {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		a, b := split(per[n])
		fmt.Fprintf(&s, "| %s | %d | %.3f |\n", n, len(per[n]), spearman(a, b))
	}
	s.WriteString("\nMedian in-process distance of JPEG on the photos and faces, per quality (q=auto's targets):\n\n| JPEG q | distance |\n|---|---|\n")
	for _, q := range jpegGrid {
		if ds := jpegAt[q]; len(ds) > 0 {
			fmt.Fprintf(&s, "| %d | %.3f |\n", q, median(ds))
		}
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
