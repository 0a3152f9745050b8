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

	"github.com/pixmill/pixmill/internal/ssim"
)

// An experiment for issue 17: candidate changes to transform.Distance's
// pooling, channels and scale combination, each scored by the same
// Spearman checkMetric reports, on the same 800 px encodes. Every body is
// decoded once; per channel, scale and pooling norm one number is kept,
// and the candidates are combinations of those numbers.

// planeSet is an 8-bit image as Y, Cb, Cr planes (JPEG's YCbCr).
type planeSet [3][]float64

func planesOf(img *vips.ImageRef) (planeSet, int, int, error) {
	c, err := img.Copy()
	if err != nil {
		return planeSet{}, 0, 0, err
	}
	defer c.Close()
	if err := c.ToColorSpace(vips.InterpretationSRGB); err != nil {
		return planeSet{}, 0, 0, err
	}
	if err := c.Cast(vips.BandFormatUchar); err != nil {
		return planeSet{}, 0, 0, err
	}
	raw, err := c.ToBytes()
	if err != nil {
		return planeSet{}, 0, 0, err
	}
	w, h, bands := c.Width(), c.Height(), c.Bands()
	var ps planeSet
	for k := range ps {
		ps[k] = make([]float64, w*h)
	}
	for i := range w * h {
		s := raw[i*bands:]
		r, g, b := float64(s[0]), float64(s[0]), float64(s[0])
		if bands >= 3 {
			g, b = float64(s[1]), float64(s[2])
		}
		ps[0][i], ps[1][i], ps[2][i] = ssim.YCbCr(r, g, b)
	}
	return ps, w, h, nil
}

var poolNorms = []float64{1, 2, 3, 4, 6, 8}

// components[channel][scale][norm] = p-norm of (1 − SSIM) over windows;
// norm index 0 (p=1) is 1 − mean SSIM. Scale 3 (an eighth) is only for
// the candidates that measure chroma from half resolution.
type components [3][4][6]float64

func measureComponents(ref, dist planeSet, w, h int) components {
	var c components
	for ch := range 3 {
		a, b, cw, chh := ref[ch], dist[ch], w, h
		for s := range 4 {
			var m []float64
			ssim.Windows(a, b, cw, chh, func(v float64) { m = append(m, v) })
			for k, p := range poolNorms {
				var sum float64
				for _, v := range m {
					sum += math.Pow(max(1-v, 0), p)
				}
				c[ch][s][k] = math.Pow(sum/float64(max(len(m), 1)), 1/p)
			}
			if s < 3 {
				a, b = ssim.Half(a, cw, chh), ssim.Half(b, cw, chh)
				cw, chh = cw/2, chh/2
			}
		}
	}
	return c
}

type candidate struct {
	name string
	f    func(c components) float64
}

func candidates() []candidate {
	var cs []candidate
	// The shipped distance: geometric mean of the mean SSIM per scale.
	product := func(ch, norm int) func(c components) float64 {
		return func(c components) float64 {
			prod := 1.0
			for s := range 3 {
				prod *= max(1-c[ch][s][norm], 1e-6)
			}
			return 100 * (1 - math.Pow(prod, 1.0/3))
		}
	}
	meanScales := func(ch, norm int) func(c components) float64 {
		return func(c components) float64 {
			return 100 * (c[ch][0][norm] + c[ch][1][norm] + c[ch][2][norm]) / 3
		}
	}
	maxScales := func(ch, norm int) func(c components) float64 {
		return func(c components) float64 {
			return 100 * max(c[ch][0][norm], c[ch][1][norm], c[ch][2][norm])
		}
	}
	// Chroma from half resolution (scales half, quarter, eighth): a
	// quarter of the chroma work.
	halfProduct := func(ch, norm int) func(c components) float64 {
		return func(c components) float64 {
			prod := 1.0
			for s := 1; s < 4; s++ {
				prod *= max(1-c[ch][s][norm], 1e-6)
			}
			return 100 * (1 - math.Pow(prod, 1.0/3))
		}
	}
	for k, p := range poolNorms {
		for _, wc := range []float64{0.15, 0.25, 0.5, 0.75, 1} {
			y, cb, cr := product(0, k), halfProduct(1, k), halfProduct(2, k)
			cs = append(cs, candidate{
				fmt.Sprintf("luma + %g×(Cb+Cr) from half resolution, p=%g, product of scales", wc, p),
				func(c components) float64 { return y(c) + wc*(cb(c)+cr(c)) },
			})
		}
		cs = append(cs,
			candidate{fmt.Sprintf("luma, p=%g, product of scales", p), product(0, k)},
			candidate{fmt.Sprintf("luma, p=%g, mean of scales", p), meanScales(0, k)},
			candidate{fmt.Sprintf("luma, p=%g, max of scales", p), maxScales(0, k)},
		)
		for _, wc := range []float64{0.1, 0.15, 0.25, 0.5, 1} {
			for _, comb := range []struct {
				name string
				f    func(ch, norm int) func(c components) float64
			}{{"product", product}, {"max", maxScales}} {
				y, cb, cr := comb.f(0, k), comb.f(1, k), comb.f(2, k)
				cs = append(cs, candidate{
					fmt.Sprintf("luma + %g×(Cb+Cr), p=%g, %s of scales", wc, p, comb.name),
					func(c components) float64 { return y(c) + wc*(cb(c)+cr(c)) },
				})
			}
		}
	}
	return cs
}

// checkMetricVariants scores every candidate as checkMetric scores the
// shipped distance and writes quality-metric-variants.md.
func checkMetricVariants(rows []row, corpus, out string) error {
	type obs struct {
		image  string
		c      components
		butter float64
	}
	var all []obs
	var took []float64
	var refImage string // the image rp, w and h are the planes of
	var rp planeSet
	var w, h int
	err := eachCoreEncode(rows, corpus, func(im image, ref *vips.ImageRef, r row, body []byte) error {
		if refImage != im.Name {
			var err error
			if rp, w, h, err = planesOf(ref); err != nil {
				return err
			}
			refImage = im.Name
		}
		start := time.Now()
		d, err := vips.NewImageFromBuffer(body)
		if err != nil {
			return err
		}
		dp, dw, dh, err := planesOf(d)
		d.Close()
		if err != nil {
			return err
		}
		if dw != w || dh != h {
			return fmt.Errorf("%s: decoded %dx%d, want %dx%d", im.Name, dw, dh, w, h)
		}
		c := measureComponents(rp, dp, w, h)
		took = append(took, float64(time.Since(start).Microseconds())/1000)
		all = append(all, obs{im.Name, c, r.Butteraugli})
		return nil
	})
	if err != nil {
		return err
	}
	type score struct {
		name                string
		pooled, mean, worst float64
	}
	var scores []score
	for _, cand := range candidates() {
		var a, b []float64
		per := map[string][2][]float64{}
		for _, o := range all {
			d := cand.f(o.c)
			a, b = append(a, d), append(b, o.butter)
			p := per[o.image]
			p[0], p[1] = append(p[0], d), append(p[1], o.butter)
			per[o.image] = p
		}
		sc := score{name: cand.name, pooled: spearman(a, b), worst: 1}
		for _, p := range per {
			r := spearman(p[0], p[1])
			sc.mean += r / float64(len(per))
			sc.worst = min(sc.worst, r)
		}
		scores = append(scores, sc)
	}
	slices.SortStableFunc(scores, func(x, y score) int {
		switch {
		case x.pooled > y.pooled:
			return -1
		case x.pooled < y.pooled:
			return 1
		}
		return 0
	})
	var s strings.Builder
	fmt.Fprintf(&s, "# Candidate in-process distances against butteraugli\n\nWritten by `go run ./bench/quality -metric-variants` on %d encodes at 800 px; "+
		"median time to decode one body and measure every component (3 channels × 4 scales × %d norms): %.1f ms.\n\n"+
		"| candidate | pooled Spearman | mean per-image | worst per-image |\n|---|---|---|---|\n", len(all), len(poolNorms), median(took))
	for _, sc := range scores {
		fmt.Fprintf(&s, "| %s | %.3f | %.3f | %.3f |\n", sc.name, sc.pooled, sc.mean, sc.worst)
	}
	return os.WriteFile(filepath.Join(out, "quality-metric-variants.md"), []byte(s.String()), 0o644)
}
