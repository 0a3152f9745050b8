package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// point is a variant's median over a group of images at one quality.
type point struct {
	Q                   int
	Dist, Ssim, Bpp, Ms float64
	N                   int
}

// curve is a variant's points in quality order.
type curve struct {
	Variant string
	Points  []point
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// fillTwins gives the pixel-identical variants their twin's distances.
func fillTwins(rows []row) []row {
	twin := map[string]string{}
	for _, v := range variants() {
		twin[v.Name] = v.SamePixelsAs
	}
	byKey := map[string]row{}
	for _, r := range rows {
		byKey[r.key()] = r
	}
	out := make([]row, 0, len(rows))
	for _, r := range rows {
		if t := twin[r.Variant]; t != "" {
			tr, ok := byKey[fmt.Sprintf("%s|%d|%s|%d", r.Image, r.Width, t, r.Q)]
			if !ok {
				continue
			}
			r.Butteraugli, r.Ssimulacra = tr.Butteraugli, tr.Ssimulacra
		}
		out = append(out, r)
	}
	return out
}

// curveOf is v's median curve over the rows that keep selects; a quality
// counts only where every selected image was measured at it.
func curveOf(rows []row, v variant, keep func(row) bool) curve {
	images := map[string]bool{}
	by := map[int][]row{}
	for _, r := range rows {
		if keep(r) {
			images[r.Image+"|"+fmt.Sprint(r.Width)] = true
			if r.Variant == v.Name {
				by[r.Q] = append(by[r.Q], r)
			}
		}
	}
	c := curve{Variant: v.Name}
	for _, q := range v.Grid {
		rs := by[q]
		if len(rs) == 0 || len(rs) < len(images) {
			continue
		}
		var d, s, b, ms []float64
		for _, r := range rs {
			d = append(d, r.Butteraugli)
			s = append(s, r.Ssimulacra)
			b = append(b, float64(r.Bytes)*8/float64(r.Pixels))
			ms = append(ms, r.EncodeMs/float64(r.Pixels)*1e6)
		}
		c.Points = append(c.Points, point{q, median(d), median(s), median(b), median(ms), len(rs)})
	}
	return c
}

// atDistance interpolates, between the two qualities whose median
// distances bracket d, the quality, bits per pixel and CPU per megapixel
// that reach d. ok is false when d is outside the curve.
func (c curve) atDistance(d float64) (q, bpp, ms float64, ok bool) {
	for i := 1; i < len(c.Points); i++ {
		a, b := c.Points[i-1], c.Points[i]
		if (a.Dist >= d && b.Dist <= d) || (a.Dist <= d && b.Dist >= d) {
			t := 0.0
			if a.Dist != b.Dist {
				t = (a.Dist - d) / (a.Dist - b.Dist)
			}
			lerp := func(x, y float64) float64 { return x + t*(y-x) }
			return lerp(float64(a.Q), float64(b.Q)), lerp(a.Bpp, b.Bpp), lerp(a.Ms, b.Ms), true
		}
	}
	return 0, 0, 0, false
}

// at is the curve's point at quality q (interpolated between grid points).
func (c curve) at(q float64) (p point, ok bool) {
	for i := 1; i < len(c.Points); i++ {
		a, b := c.Points[i-1], c.Points[i]
		if float64(a.Q) <= q && q <= float64(b.Q) {
			t := (q - float64(a.Q)) / float64(b.Q-a.Q)
			lerp := func(x, y float64) float64 { return x + t*(y-x) }
			return point{Q: int(math.Round(q)), Dist: lerp(a.Dist, b.Dist), Ssim: lerp(a.Ssim, b.Ssim), Bpp: lerp(a.Bpp, b.Bpp), Ms: lerp(a.Ms, b.Ms)}, true
		}
	}
	return point{}, false
}

var classes = []string{"photo", "face", "graphic", "screenshot", "text", "gradient"}

func photographic(r row) bool { return r.Class == "photo" || r.Class == "face" }

func report(rows []row, out string, quick bool) error {
	rows = fillTwins(rows)
	if len(rows) == 0 {
		return fmt.Errorf("no results to report")
	}
	suffix := ""
	if quick {
		suffix = "-quick"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Quality curves: generated data\n\nWritten by `go run ./bench/quality%s` on %s from %d judged encodes "+
		"(this file is regenerated; the analysis is in [quality.md](quality.md)). Distance: butteraugli 3-norm "+
		"(`butteraugli_main --pnorm 3`) and `ssimulacra_main`, against the lossless resize; lower is better. "+
		"bpp: bits per pixel. CPU: encoder CPU time per megapixel, one encode at a time on a shared 2-core machine.\n\n",
		suffix, time.Now().UTC().Format("2006-01-02"), len(rows))

	vs := slices.DeleteFunc(variants(), func(v variant) bool { return v.Lossless })
	widths := []int{400, 800, 1600}
	for _, w := range widths {
		keep := func(r row) bool { return r.Width == w && photographic(r) }
		jc := curveOf(rows, vs[0], keep)
		p80, ok := jc.at(80)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "## Photos and faces at %d px\n\nJPEG q80's median distance here: butteraugli %.3f, %.3f bpp. "+
			"Each variant at that distance (interpolated along its median curve):\n\n", w, p80.Dist, p80.Bpp)
		b.WriteString("| variant | q at JPEG q80's look | bpp | bytes vs JPEG q80 | encoder ms/MP |\n|---|---|---|---|---|\n")
		for _, v := range vs {
			c := curveOf(rows, v, keep)
			q, bpp, ms, ok := c.atDistance(p80.Dist)
			if len(c.Points) == 0 {
				fmt.Fprintf(&b, "| %s | not measured at %d px | | | |\n", v.Name, w)
				continue
			}
			if !ok {
				fmt.Fprintf(&b, "| %s | out of its grid | | | |\n", v.Name)
				continue
			}
			fmt.Fprintf(&b, "| %s | %.1f | %.3f | %+.1f %% | %.0f |\n", v.Name, q, bpp, 100*(bpp/p80.Bpp-1), ms)
		}
		b.WriteString("\n")
		if w == 800 {
			beforeAfter(&b, rows, keep)
			if err := writeCharts(rows, out, suffix, keep); err != nil {
				return err
			}
		}
		b.WriteString("Median curves (distance, ssimulacra, bpp, encoder ms/MP per quality):\n\n")
		b.WriteString("| variant | q | butteraugli | ssimulacra | bpp | ms/MP | images |\n|---|---|---|---|---|---|---|\n")
		for _, v := range vs {
			for _, p := range curveOf(rows, v, keep).Points {
				fmt.Fprintf(&b, "| %s | %d | %.3f | %.4f | %.3f | %.0f | %d |\n", v.Name, p.Q, p.Dist, p.Ssim, p.Bpp, p.Ms, p.N)
			}
		}
		b.WriteString("\n")
	}

	b.WriteString("## Per class at 800 px\n\nFor each class, bytes at that class's own JPEG q80 distance, relative to the JPEG:\n\n")
	b.WriteString("| class | JPEG q80 distance |")
	for _, v := range vs[1:] {
		fmt.Fprintf(&b, " %s |", v.Name)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(vs)-1) + "\n")
	for _, cl := range classes {
		keep := func(r row) bool { return r.Width == 800 && r.Class == cl }
		p80, ok := curveOf(rows, vs[0], keep).at(80)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "| %s | %.3f |", cl, p80.Dist)
		for _, v := range vs[1:] {
			c := curveOf(rows, v, keep)
			_, bpp, _, ok := c.atDistance(p80.Dist)
			if len(c.Points) == 0 {
				b.WriteString(" n/m |")
				continue
			}
			if !ok {
				b.WriteString(" — |")
				continue
			}
			fmt.Fprintf(&b, " %+.0f %% |", 100*(bpp/p80.Bpp-1))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n— : that variant's grid does not reach the distance. n/m: not measured on that class (the knob-only variants run on photos and faces).\n")
	lossless(&b, rows)
	return os.WriteFile(filepath.Join(out, "quality-data"+suffix+".md"), []byte(b.String()), 0o644)
}

// writeCharts draws, per format, median bpp against median butteraugli
// distance for each of its variants, with JPEG's curve on every chart.
func writeCharts(rows []row, out, suffix string, keep func(row) bool) error {
	vs := variants()
	colours := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}
	for _, f := range []string{"jpeg", "webp", "avif"} {
		var cs []curve
		for _, v := range vs {
			if string(v.Format) == f || v.Name == "jpeg" {
				if c := curveOf(rows, v, keep); len(c.Points) > 1 {
					cs = append(cs, c)
				}
			}
		}
		const W, H, L, B = 720, 460, 60, 50
		maxD, maxB := 0.0, 0.0
		for _, c := range cs {
			for _, p := range c.Points {
				maxD, maxB = max(maxD, p.Dist), max(maxB, p.Bpp)
			}
		}
		maxD, maxB = math.Ceil(maxD*2)/2, math.Ceil(maxB*4)/4
		x := func(d float64) float64 { return L + d/maxD*(W-L-20) }
		y := func(bpp float64) float64 { return H - B - bpp/maxB*(H-B-20) }
		var s strings.Builder
		fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`, W, H)
		fmt.Fprintf(&s, `<rect width="%d" height="%d" fill="#fff"/>`, W, H)
		for d := 0.0; d <= maxD+1e-9; d += 0.5 {
			fmt.Fprintf(&s, `<line x1="%.1f" y1="20" x2="%.1f" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%.1f</text>`, x(d), x(d), H-B, x(d), H-B+16, d)
		}
		for bp := 0.0; bp <= maxB+1e-9; bp += maxB / 5 {
			fmt.Fprintf(&s, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%.2f</text>`, L, y(bp), W-20, y(bp), L-6, y(bp)+4, bp)
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="middle">median butteraugli 3-norm (lower is better)</text>`, (W+L)/2, H-12)
		fmt.Fprintf(&s, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">median bits per pixel</text>`, H/2, H/2)
		fmt.Fprintf(&s, `<text x="%d" y="14" text-anchor="middle" font-weight="bold">%s: photos and faces at 800 px</text>`, (W+L)/2, strings.ToUpper(f))
		for i, c := range cs {
			col := colours[i%len(colours)]
			var pts []string
			for _, p := range c.Points {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.Dist), y(p.Bpp)))
			}
			fmt.Fprintf(&s, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), col)
			for _, p := range c.Points {
				fmt.Fprintf(&s, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, x(p.Dist), y(p.Bpp), col)
				if i == 0 || c.Variant == cs[1].Variant {
					fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" font-size="10" fill="%s">%d</text>`, x(p.Dist)+4, y(p.Bpp)-4, col, p.Q)
				}
			}
			fmt.Fprintf(&s, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/><text x="%d" y="%d">%s</text>`, W-200, 34+i*18, W-180, 34+i*18, col, W-174, 38+i*18, c.Variant)
		}
		s.WriteString("</svg>\n")
		if err := os.WriteFile(filepath.Join(out, "quality-"+f+suffix+".svg"), []byte(s.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeTable writes the Go table that makes q one scale: for each JPEG
// quality, the WebP and AVIF qualities whose median butteraugli distance
// on the photos and faces at 800 px matches JPEG's, along the variants
// the encoder uses.
func writeTable(rows []row, path string) error {
	rows = fillTwins(rows)
	byName := map[string]variant{}
	for _, v := range variants() {
		byName[v.Name] = v
	}
	var b strings.Builder
	b.WriteString("// Code generated by go run ./bench/quality; DO NOT EDIT.\n\npackage transform\n\n")
	fmt.Fprintf(&b, "// qScales map a JPEG quality to the WebP (%s) and AVIF (%s) qualities\n", tableWebP, tableAVIF)
	b.WriteString("// whose median butteraugli 3-norm distance on the benchmark's photos and\n// faces (landscape: the width is the longer side) matches JPEG's at that\n// quality, one table per measured width (docs/benchmarks/quality.md).\n")
	b.WriteString("var qScales = []qScaleAt{\n")
	for _, w := range []int{400, 800, 1600} {
		keep := func(r row) bool { return r.Width == w && photographic(r) }
		jc := curveOf(rows, byName["jpeg"], keep)
		wc := curveOf(rows, byName[tableWebP], keep)
		ac := curveOf(rows, byName[tableAVIF], keep)
		fmt.Fprintf(&b, "\t{Side: %d, Rows: []qScaleRow{\n", w)
		n, lastW, lastA := 0, 0, 0
		for q := 40; q <= 95; q += 5 {
			p, ok := jc.at(float64(q))
			if !ok {
				continue
			}
			wq, _, _, wok := wc.atDistance(p.Dist)
			aq, _, _, aok := ac.atDistance(p.Dist)
			if !wok || !aok {
				continue
			}
			// Noisy medians can dip; the scale never gives a lower
			// setting for a higher q.
			lastW, lastA = max(lastW, int(math.Round(wq))), max(lastA, int(math.Round(aq)))
			fmt.Fprintf(&b, "\t\t{JPEG: %d, WebP: %d, AVIF: %d, Distance: %.3f},\n", q, lastW, lastA, p.Dist)
			n++
		}
		b.WriteString("\t}},\n")
		if n < 2 {
			return fmt.Errorf("q table at %d px: only %d matched qualities; the curves do not overlap", w, n)
		}
	}
	b.WriteString("}\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// The variants the encoder's defaults use, and so the table's.
const (
	tableWebP = "webp-e4"
	tableAVIF = "avif-e3"
)

// beforeAfter compares, at 800 px, the defaults before the one scale
// (JPEG 80, WebP 75, AVIF 60, each on its own scale) with q=80 on the
// scale (the table's settings).
func beforeAfter(b *strings.Builder, rows []row, keep func(row) bool) {
	byName := map[string]variant{}
	for _, v := range variants() {
		byName[v.Name] = v
	}
	b.WriteString("Defaults before and after the one scale (no q in the URL), medians at 800 px:\n\n")
	b.WriteString("| format | before: q | butteraugli | bpp | after: q | butteraugli | bpp | bytes | ms/MP before → after |\n|---|---|---|---|---|---|---|---|---|\n")
	jc := curveOf(rows, byName["jpeg"], keep)
	j80, _ := jc.at(80)
	for _, f := range []struct {
		name   string
		before int
	}{{tableWebP, 75}, {tableAVIF, 60}} {
		c := curveOf(rows, byName[f.name], keep)
		pb, ok1 := c.at(float64(f.before))
		q, _, _, ok2 := c.atDistance(j80.Dist)
		pa, ok3 := c.at(q)
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		fmt.Fprintf(b, "| %s | %d | %.3f | %.3f | %.0f | %.3f | %.3f | %+.0f %% | %.0f → %.0f |\n",
			f.name, f.before, pb.Dist, pb.Bpp, q, pa.Dist, pa.Bpp, 100*(pa.Bpp/pb.Bpp-1), pb.Ms, pa.Ms)
	}
	fmt.Fprintf(b, "\nJPEG q80 (unchanged): butteraugli %.3f, %.3f bpp.\n\n", j80.Dist, j80.Bpp)
}

// lossless compares, per class at 800 px, the lossless encodes with JPEG
// q80 and with AVIF and WebP at JPEG q80's look: where lossless is smaller
// at a better look, f=auto should send it.
func lossless(b *strings.Builder, rows []row) {
	byName := map[string]variant{}
	for _, v := range variants() {
		byName[v.Name] = v
	}
	b.WriteString("\n## Lossless at 800 px\n\nMedian bits per pixel per class: lossless WebP and PNG (distance 0) against JPEG q80 and against WebP and AVIF at that class's JPEG q80 look.\n\n")
	b.WriteString("| class | JPEG q80 | WebP at that look | AVIF at that look | WebP lossless | PNG |\n|---|---|---|---|---|---|\n")
	for _, cl := range classes {
		keep := func(r row) bool { return r.Width == 800 && r.Class == cl }
		p80, ok := curveOf(rows, byName["jpeg"], keep).at(80)
		if !ok {
			continue
		}
		at := func(name string) string {
			_, bpp, _, ok := curveOf(rows, byName[name], keep).atDistance(p80.Dist)
			if !ok {
				return "—"
			}
			return fmt.Sprintf("%.3f", bpp)
		}
		one := func(name string) string {
			c := curveOf(rows, byName[name], keep)
			if len(c.Points) == 0 {
				return "n/m"
			}
			return fmt.Sprintf("%.3f", c.Points[0].Bpp)
		}
		fmt.Fprintf(b, "| %s | %.3f | %s | %s | %s | %s |\n", cl, p80.Bpp, at(tableWebP), at(tableAVIF), one("webp-lossless"), one("png"))
	}
}
