package transform

import (
	"testing"

	"github.com/pixmill/pixmill/vision"
)

func TestPlaceByFaces(t *testing.T) {
	face := func(x, y, w, h float64) vision.Box { return vision.Box{X: x, Y: y, Width: w, Height: h, Score: 0.9} }
	tests := []struct {
		name         string
		faces        []vision.Box
		sw, sh       int
		cw, ch       int
		wantX, wantY int
		wantOK       bool
	}{
		{"no faces", nil, 1000, 500, 500, 500, 0, 0, false},
		{"low score is not a face", []vision.Box{{X: 0.8, Y: 0.3, Width: 0.1, Height: 0.2, Score: 0.3}}, 1000, 500, 500, 500, 0, 0, false},
		// Face at x 0.8..0.9 (800..900 px); the head centre is 850: the
		// window centres there and is clamped at the right edge.
		{"one face near the right edge", []vision.Box{face(0.8, 0.3, 0.1, 0.2)}, 1000, 500, 500, 500, 500, 0, true},
		{"one face left of centre", []vision.Box{face(0.3, 0.4, 0.1, 0.2)}, 1000, 500, 400, 500, 150, 0, true},
		// Two faces at 100..200 and 600..700 px: their union (100..700) fits
		// a 700 px window, centred on 400; heads span 350..520 vertically.
		{"two faces that fit together", []vision.Box{face(0.1, 0.4, 0.1, 0.1), face(0.6, 0.4, 0.1, 0.1)}, 1000, 1000, 700, 300, 50, 285, true},
		// The same faces in a 300 px window cannot both fit: the larger one wins.
		{"two that do not fit: the larger stays", []vision.Box{face(0.1, 0.4, 0.05, 0.05), face(0.6, 0.4, 0.1, 0.1)}, 1000, 1000, 300, 300, 500, 285, true},
		// A large face at 50..250 px and three small ones at 600..810: a
		// 300 px window holds the three, and keeps them rather than the
		// largest face; centred on them (705) within where all three stay.
		{"the most whole faces, not the largest", []vision.Box{face(0.05, 0.3, 0.2, 0.3), face(0.6, 0.3, 0.05, 0.1), face(0.68, 0.3, 0.05, 0.1), face(0.76, 0.3, 0.05, 0.1)}, 1000, 500, 300, 500, 555, 0, true},
		// Faces at 200..300, 380..480 and 500..600 px: a 350 px window
		// holds two. Centred on the first two (165) it would take 15 px
		// of the third; at 150 it keeps both and cuts none.
		{"a small move avoids cutting a face", []vision.Box{face(0.2, 0.4, 0.1, 0.2), face(0.38, 0.4, 0.1, 0.2), face(0.5, 0.4, 0.1, 0.2)}, 1000, 500, 350, 500, 150, 0, true},
		// Headroom: the head spans 150..320 px (half a face above the box,
		// a fifth below), centred at 235 in a 400 px window.
		{"vertical placement keeps headroom", []vision.Box{face(0.4, 0.2, 0.2, 0.1)}, 1000, 1000, 1000, 400, 0, 35, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y, ok := placeByFaces(tt.faces, tt.sw, tt.sh, tt.cw, tt.ch)
			if ok != tt.wantOK || (ok && (x != tt.wantX || y != tt.wantY)) {
				t.Errorf("got (%d,%d,%v), want (%d,%d,%v)", x, y, ok, tt.wantX, tt.wantY, tt.wantOK)
			}
			if ok {
				if x < 0 || y < 0 || x+tt.cw > tt.sw || y+tt.ch > tt.sh {
					t.Errorf("window (%d,%d %dx%d) leaves the %dx%d image", x, y, tt.cw, tt.ch, tt.sw, tt.sh)
				}
			}
		})
	}
}

func TestPlaceBySaliency(t *testing.T) {
	// A 4x4 grid with all its mass in the bottom-left cell.
	cells := make([]float32, 16)
	cells[12] = 1
	grid := &vision.Grid{Width: 4, Height: 4, Cells: cells}
	tests := []struct {
		name         string
		r            vision.Regions
		sw, sh       int
		cw, ch       int
		wantX, wantY int
	}{
		{"salient box, no grid", vision.Regions{Salient: vision.Box{X: 0.7, Y: 0.1, Width: 0.2, Height: 0.2}}, 1000, 1000, 400, 400, 600, 0},
		{"grid mass bottom-left", vision.Regions{Grid: grid}, 1000, 1000, 400, 400, 0, 600},
		{"uniform grid stays centred", vision.Regions{Grid: &vision.Grid{Width: 2, Height: 2, Cells: []float32{1, 1, 1, 1}}}, 1000, 800, 500, 800, 250, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := placeBySaliency(tt.r, tt.sw, tt.sh, tt.cw, tt.ch)
			if x != tt.wantX || y != tt.wantY {
				t.Errorf("got (%d,%d), want (%d,%d)", x, y, tt.wantX, tt.wantY)
			}
		})
	}
}

func TestOrientRegions(t *testing.T) {
	r := vision.Regions{Faces: []vision.Box{{X: 0.1, Y: 0.2, Width: 0.3, Height: 0.1, Score: 1}}}
	tests := []struct {
		rotate       int
		flipH, flipV bool
		want         vision.Box
	}{
		{0, false, false, vision.Box{X: 0.1, Y: 0.2, Width: 0.3, Height: 0.1, Score: 1}},
		{90, false, false, vision.Box{X: 0.7, Y: 0.1, Width: 0.1, Height: 0.3, Score: 1}},
		{180, false, false, vision.Box{X: 0.6, Y: 0.7, Width: 0.3, Height: 0.1, Score: 1}},
		{270, false, false, vision.Box{X: 0.2, Y: 0.6, Width: 0.1, Height: 0.3, Score: 1}},
		{0, true, false, vision.Box{X: 0.6, Y: 0.2, Width: 0.3, Height: 0.1, Score: 1}},
		{0, false, true, vision.Box{X: 0.1, Y: 0.7, Width: 0.3, Height: 0.1, Score: 1}},
	}
	for _, tt := range tests {
		got := orientRegions(r, tt.rotate, tt.flipH, tt.flipV).Faces[0]
		if !near(got.X, tt.want.X) || !near(got.Y, tt.want.Y) || !near(got.Width, tt.want.Width) || !near(got.Height, tt.want.Height) {
			t.Errorf("rotate %d flip %v/%v: %+v, want %+v", tt.rotate, tt.flipH, tt.flipV, got, tt.want)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
