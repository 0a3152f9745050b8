package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// checkAuto runs q=auto (medium) on every image at 800 px in each format
// with the default knobs, judges what it keeps with butteraugli, and
// compares its bytes with the one fixed quality (from the TSV's curves)
// that keeps every image at least as good as q=auto's worst one.
func checkAuto(rows []row, corpus, out string) error {
	tmp, err := os.MkdirTemp("", "pixmill-quality-auto-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	byName := map[string]variant{}
	for _, v := range variants() {
		byName[v.Name] = v
	}
	type pick struct {
		im                  image
		q, encodes, bytes   int
		dist, ours, ms, ms1 float64
	}
	var s strings.Builder
	fmt.Fprintf(&s, "# q=auto against butteraugli\n\nWritten by `go run ./bench/quality -auto`: `q=auto` (medium: butteraugli target "+
		"%.3f, JPEG q80's median on the training photos; each format's threshold on the in-process distance from transform/auto_targets.go) "+
		"on each image, training and holdout, at 800 px, default knobs, at most 4 encodes; each kept "+
		"encode judged by butteraugli (3-norm). CPU: process CPU time of the whole search against one encode at the "+
		"table's q80 setting (decode and resize, common to both, are outside both), on a shared machine.\n\n", transform.AutoTarget(spec.AutoMedium))
	for _, name := range []string{"jpeg", tableWebP, tableAVIF} {
		v := byName[name]
		var picks []pick
		for _, im := range imageSet(false) {
			ref, err := reference(corpus, im, 800)
			if err != nil {
				return err
			}
			img, err := ref.Copy()
			if err != nil {
				return err
			}
			before := cpuTime()
			body, a, err := transform.AutoSearch(img, v.Format, spec.AutoMedium, v.Knobs, 4)
			ms := float64(cpuTime()-before) / 1e6
			img.Close()
			if err != nil {
				return err
			}
			_, ms1, err := encodeTimed(ref, v, transform.ScaledQuality(v.Format, 80, 800))
			if err != nil {
				return err
			}
			refPath, disPath := filepath.Join(tmp, "ref.png"), filepath.Join(tmp, "dis.png")
			png, _, err := ref.ExportPng(nil)
			if err == nil {
				err = os.WriteFile(refPath, png, 0o644)
			}
			if err == nil {
				err = decodeToPNG(body, disPath)
			}
			if err != nil {
				return err
			}
			d, err := butteraugli(refPath, disPath)
			if err != nil {
				return err
			}
			picks = append(picks, pick{im, a.Quality, a.Encodes, len(body), d, a.Distance, ms, ms1})
			ref.Close()
		}
		// Images no quality of the dense grid brings under the target are
		// left out of the comparison (no quality can keep them under it)
		// and marked.
		target := transform.AutoTarget(spec.AutoMedium)
		grid := v.gridFor(image{}, 800, false)
		reachable := map[string]bool{}
		for _, p := range picks {
			for _, q := range grid {
				if r, ok := find(rows, p.im.Name, 800, v.Name, q); ok && r.Butteraugli <= target {
					reachable[p.im.Name] = true
				}
			}
		}
		worst, worstAll := 0.0, 0.0
		for _, p := range picks {
			worstAll = max(worstAll, p.dist)
			if reachable[p.im.Name] {
				worst = max(worst, p.dist)
			}
		}
		// The lowest grid quality at which every reachable image is under
		// the target (or at least as good as q=auto's worst, where that
		// is worse).
		bound := max(worst, target)
		fixedQ := 0
		for _, q := range grid {
			ok := true
			for _, p := range picks {
				if !reachable[p.im.Name] {
					continue
				}
				r, found := find(rows, p.im.Name, 800, v.Name, q)
				ok = ok && found && r.Butteraugli <= bound
			}
			if ok {
				fixedQ = q
				break
			}
		}
		fmt.Fprintf(&s, "## %s\n\nWorst butteraugli under q=auto: %.3f over the images some quality ≤ 100 brings under the target %.3f (%.3f over all). ", v.Name, worst, target, worstAll)
		if fixedQ == 0 {
			s.WriteString("No fixed quality of the grid keeps every such image that good.\n\n")
		} else {
			fmt.Fprintf(&s, "The one fixed quality keeping every such image at or under %.3f: q%d. Images marked * cannot reach the target at any quality ≤ 100: left out of the comparison.\n\n", bound, fixedQ)
		}
		s.WriteString("| image | set | class | q=auto q | encodes | bytes | butteraugli | in-process | fixed q bytes | saving | CPU vs one encode |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		var ratios []float64
		saving := map[string][]float64{}
		for _, p := range picks {
			fixed := "—"
			sv := "—"
			if r, ok := find(rows, p.im.Name, 800, v.Name, fixedQ); ok && reachable[p.im.Name] {
				fixed = fmt.Sprint(r.Bytes)
				x := float64(p.bytes)/float64(r.Bytes) - 1
				sv = fmt.Sprintf("%+.0f %%", 100*x)
				saving[p.im.Class] = append(saving[p.im.Class], x)
			}
			ratios = append(ratios, p.ms/max(p.ms1, 0.01))
			set := "training"
			if p.im.Holdout {
				set = "holdout"
			}
			name := p.im.Name
			if !reachable[name] {
				name += " *"
			}
			fmt.Fprintf(&s, "| %s | %s | %s | %d | %d | %d | %.3f | %.3f | %s | %s | %.1fx |\n", name, set, p.im.Class, p.q, p.encodes, p.bytes, p.dist, p.ours, fixed, sv, p.ms/max(p.ms1, 0.01))
		}
		fmt.Fprintf(&s, "\nMedian CPU of the search against one encode: %.1fx. Median saving per class against the fixed quality:", median(ratios))
		for _, cl := range classes {
			if xs := saving[cl]; len(xs) > 0 {
				fmt.Fprintf(&s, " %s %+.0f %%;", cl, 100*median(xs))
			}
		}
		s.WriteString("\n\n")
	}
	return os.WriteFile(filepath.Join(out, "quality-auto.md"), []byte(s.String()), 0o644)
}

func find(rows []row, image string, width int, variant string, q int) (row, bool) {
	for _, r := range rows {
		if r.Image == image && r.Width == width && r.Variant == variant && r.Q == q {
			return r, true
		}
	}
	return row{}, false
}
