package main

import (
	"math"
	"testing"
)

func TestSpearman(t *testing.T) {
	tests := []struct {
		name string
		a, b []float64
		want float64
	}{
		{"same order", []float64{1, 2, 3, 4}, []float64{10, 20, 25, 100}, 1},
		{"reversed", []float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		{"one swap", []float64{1, 2, 3, 4, 5}, []float64{1, 2, 3, 5, 4}, 0.9},
		{"ties get average ranks", []float64{1, 1, 2}, []float64{1, 2, 3}, math.Sqrt(3) / 2},
	}
	for _, tt := range tests {
		if got := spearman(tt.a, tt.b); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: spearman = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCurveAtDistance(t *testing.T) {
	c := curve{Points: []point{{Q: 40, Dist: 2, Bpp: 0.2}, {Q: 60, Dist: 1.5, Bpp: 0.4}, {Q: 80, Dist: 1, Bpp: 0.8}}}
	tests := []struct {
		d      float64
		q, bpp float64
		ok     bool
	}{
		{2, 40, 0.2, true},
		{1.25, 70, 0.6, true},
		{1, 80, 0.8, true},
		{0.5, 0, 0, false}, // beyond the grid
		{3, 0, 0, false},
	}
	for _, tt := range tests {
		q, bpp, _, ok := c.atDistance(tt.d)
		if ok != tt.ok || math.Abs(q-tt.q) > 1e-9 || math.Abs(bpp-tt.bpp) > 1e-9 {
			t.Errorf("atDistance(%v) = %v, %v, %v; want %v, %v, %v", tt.d, q, bpp, ok, tt.q, tt.bpp, tt.ok)
		}
	}
	if p, ok := c.at(70); !ok || math.Abs(p.Dist-1.25) > 1e-9 {
		t.Errorf("at(70) = %+v, %v; want distance 1.25", p, ok)
	}
}

// TestFillTwins: a pixel-identical variant takes its twin's distances,
// and is dropped when the twin was not judged.
func TestFillTwins(t *testing.T) {
	rows := []row{
		{Image: "a", Width: 800, Variant: "jpeg", Q: 80, Butteraugli: 1.2, Ssimulacra: 0.02},
		{Image: "a", Width: 800, Variant: "jpeg-progressive", Q: 80},
		{Image: "a", Width: 800, Variant: "jpeg-progressive", Q: 90},
	}
	got := fillTwins(rows)
	if len(got) != 2 || got[1].Butteraugli != 1.2 || got[1].Ssimulacra != 0.02 {
		t.Fatalf("fillTwins = %+v", got)
	}
}

// TestSafeThreshold: the threshold that keeps an image at or under the
// target is the distance where butteraugli crosses it (linear between
// grid qualities), capped by any lower quality that measures less.
func TestSafeThreshold(t *testing.T) {
	tests := []struct {
		name   string
		ps     []curvePoint
		target float64
		want   float64
		ok     bool
	}{
		{"crossing between grid points", []curvePoint{{q: 50, d: 6, butter: 2}, {q: 60, d: 4, butter: 1.5}, {q: 70, d: 2, butter: 0.5}}, 1, 3, true},
		{"every quality meets it", []curvePoint{{q: 50, d: 6, butter: 0.9}, {q: 60, d: 4, butter: 0.5}}, 1, math.Inf(1), true},
		{"none meets it", []curvePoint{{q: 50, d: 6, butter: 2}, {q: 60, d: 4, butter: 1.5}}, 1, 0, false},
		{"a lower quality measures less", []curvePoint{{q: 50, d: 2.5, butter: 2}, {q: 60, d: 4, butter: 1.5}, {q: 70, d: 2, butter: 0.5}}, 1, 2.5, true},
		{"met, missed, met again", []curvePoint{{q: 50, d: 6, butter: 0.9}, {q: 60, d: 5, butter: 1.2}, {q: 70, d: 1, butter: 0.6}}, 1, 5 - 4*(0.2/0.6), true},
	}
	for _, tt := range tests {
		got, ok := safeThreshold(tt.ps, tt.target)
		if ok != tt.ok || (ok && math.Abs(got-tt.want) > 1e-9) {
			t.Errorf("%s: safeThreshold = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// TestJudge: under a threshold each image gets its lowest grid quality at
// or under it; the fixed quality is the lowest keeping every image under
// the target.
func TestJudge(t *testing.T) {
	curves := map[string][]curvePoint{
		"smooth":   {{q: 50, bytes: 100, d: 1, butter: 0.8}, {q: 60, bytes: 150, d: 0.5, butter: 0.6}, {q: 70, bytes: 200, d: 0.2, butter: 0.4}},
		"detailed": {{q: 50, bytes: 300, d: 5, butter: 1.6}, {q: 60, bytes: 400, d: 3, butter: 1.2}, {q: 70, bytes: 500, d: 1.5, butter: 0.9}},
	}
	g := judge(curves, map[string]string{"smooth": "gradient", "detailed": "photo"}, 2, 1)
	if g.worst != 0.9 || g.worstImage != "detailed" || g.over != 0 || g.fixedQ != 70 {
		t.Fatalf("judge = %+v; want worst 0.9 (detailed), none over, fixed q70", g)
	}
	if g.autoBytes != 300 || g.fixedBytes != 350 {
		t.Errorf("median bytes %v under the threshold, %v fixed; want 300 and 350", g.autoBytes, g.fixedBytes)
	}
}

// TestImageSets: the quick set has no holdout image, the full set has
// both, and trainingRows drops the holdout's rows.
func TestImageSets(t *testing.T) {
	for _, im := range imageSet(true) {
		if im.Holdout {
			t.Errorf("quick set holds holdout image %s", im.Name)
		}
	}
	var train, hold int
	for _, im := range imageSet(false) {
		if im.Holdout {
			hold++
			if im.Path == "" && synthetic[im.Name] == nil {
				t.Errorf("holdout %s: no generator", im.Name)
			}
		} else {
			train++
		}
	}
	if train != 10 || hold < 12 {
		t.Errorf("%d training, %d holdout images; want 10 and at least 12", train, hold)
	}
	rows := trainingRows([]row{{Image: "forest_path"}, {Image: "sky"}, {Image: "dragonfly_tree"}})
	if len(rows) != 1 || rows[0].Image != "forest_path" {
		t.Errorf("trainingRows kept %+v", rows)
	}
}
