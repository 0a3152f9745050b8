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
