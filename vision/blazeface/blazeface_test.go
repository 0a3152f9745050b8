package blazeface

import (
	"math"
	"testing"
)

// outputs builds empty heads (all logits -10) and lets a test light anchors.
func outputs() (scores, boxes [2][]float32) {
	for h := range 2 {
		scores[h] = make([]float32, HeadRows[h])
		for i := range scores[h] {
			scores[h][i] = -10
		}
		boxes[h] = make([]float32, HeadRows[h]*16)
	}
	return scores, boxes
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestDecodeAnchors(t *testing.T) {
	cases := []struct {
		name         string
		head, row    int
		reg          [4]float32 // dx, dy, w, h in input pixels
		size         int
		cx, cy, w, h float64
	}{
		// head 0: 16x16 cells, 2 anchors each; row 0 is cell (0, 0).
		{"first anchor, no offset", 0, 0, [4]float32{0, 0, 32, 16}, 128, 0.5 / 16, 0.5 / 16, 0.25, 0.125},
		{"second anchor of the same cell", 0, 1, [4]float32{0, 0, 32, 32}, 128, 0.5 / 16, 0.5 / 16, 0.25, 0.25},
		// row 2*(16*3+5) is cell x=5, y=3.
		{"offset in pixels of a 256 input", 0, 2 * (16*3 + 5), [4]float32{25.6, -12.8, 64, 64}, 256, 5.5/16 + 0.1, 3.5/16 - 0.05, 0.25, 0.25},
		// head 1: 8x8 cells, 6 anchors each; row 6*(8*7+2)+5 is cell x=2, y=7.
		{"last anchor of a coarse cell", 1, 6*(8*7+2) + 5, [4]float32{0, 0, 128, 64}, 128, 2.5 / 8, 7.5 / 8, 1, 0.5},
	}
	for _, c := range cases {
		scores, boxes := outputs()
		scores[c.head][c.row] = 5
		copy(boxes[c.head][c.row*16:], c.reg[:])
		got := Decoder{Size: c.size, MinScore: 0.5, IoU: 0.3}.Decode(scores, boxes)
		if len(got) != 1 {
			t.Errorf("%s: %d detections", c.name, len(got))
			continue
		}
		d := got[0]
		if !near(d.CX, c.cx) || !near(d.CY, c.cy) || !near(d.W, c.w) || !near(d.H, c.h) || !near(d.Score, 1/(1+math.Exp(-5))) {
			t.Errorf("%s: got %+v, want centre (%v, %v) size %vx%v", c.name, d, c.cx, c.cy, c.w, c.h)
		}
	}
}

func TestDecodeThreshold(t *testing.T) {
	scores, boxes := outputs()
	scores[0][7] = 0.5 // sigmoid 0.62
	copy(boxes[0][7*16:], []float32{0, 0, 10, 10})
	if n := len((Decoder{Size: 128, MinScore: 0.7, IoU: 0.3}).Decode(scores, boxes)); n != 0 {
		t.Errorf("below MinScore: %d detections", n)
	}
	if n := len((Decoder{Size: 128, MinScore: 0.6, IoU: 0.3}).Decode(scores, boxes)); n != 1 {
		t.Errorf("above MinScore: %d detections", n)
	}
}

func TestWeightedNMS(t *testing.T) {
	a := Detection{CX: 0.5, CY: 0.5, W: 0.2, H: 0.2, Score: 0.9}
	b := Detection{CX: 0.52, CY: 0.5, W: 0.2, H: 0.2, Score: 0.6} // same face
	c := Detection{CX: 0.1, CY: 0.1, W: 0.1, H: 0.1, Score: 0.7}  // another
	got := WeightedNMS([]Detection{b, c, a}, 0.3)
	if len(got) != 2 {
		t.Fatalf("%d groups, want 2: %+v", len(got), got)
	}
	wantCX := (0.5*0.9 + 0.52*0.6) / 1.5
	if !near(got[0].CX, wantCX) || got[0].Score != 0.9 || !near(got[1].CX, c.CX) || !near(got[1].W, c.W) || got[1].Score != c.Score {
		t.Errorf("got %+v, want the blend at cx %v with score 0.9, then %+v", got, wantCX, c)
	}
}

func TestSuppress(t *testing.T) {
	loose := Detection{CX: 0.5, CY: 0.5, W: 0.4, H: 0.4, Score: 0.7}
	tight := Detection{CX: 0.52, CY: 0.5, W: 0.15, H: 0.15, Score: 0.9} // inside loose: IoU 0.14
	other := Detection{CX: 0.9, CY: 0.9, W: 0.1, H: 0.1, Score: 0.5}
	if IoU(loose, tight) > 0.3 {
		t.Fatalf("fixture: IoU %v", IoU(loose, tight))
	}
	got := Suppress([]Detection{loose, other, tight}, 0.5)
	if len(got) != 2 || got[0] != tight || got[1] != other {
		t.Errorf("got %+v, want the tight box then the other", got)
	}
}

func TestIoU(t *testing.T) {
	a := Detection{CX: 0.5, CY: 0.5, W: 0.2, H: 0.2}
	cases := []struct {
		b    Detection
		want float64
	}{
		{a, 1},
		{Detection{CX: 0.6, CY: 0.5, W: 0.2, H: 0.2}, 0.5 / 1.5},
		{Detection{CX: 0.9, CY: 0.9, W: 0.1, H: 0.1}, 0},
		{Detection{CX: 0.5, CY: 0.5, W: 0, H: 0}, 0},
	}
	for _, c := range cases {
		if got := IoU(a, c.b); !near(got, c.want) {
			t.Errorf("IoU(%+v) = %v, want %v", c.b, got, c.want)
		}
	}
}

func TestGridDecoderAnchors(t *testing.T) {
	cases := []struct {
		name         string
		size, row    int
		reg          [4]float32
		cx, cy, w, h float64
	}{
		{"first cell of a 192 input", 192, 0, [4]float32{0, 0, 48, 24}, 0.5 / 48, 0.5 / 48, 0.25, 0.125},
		// 320 px: 80x80 cells; row 80*10+7 is cell x=7, y=10.
		{"offset in input pixels at 320", 320, 80*10 + 7, [4]float32{32, -16, 64, 96}, 7.5/80 + 0.1, 10.5/80 - 0.05, 0.2, 0.3},
		{"last cell of a 384 input", 384, 96*96 - 1, [4]float32{0, 0, 3.84, 3.84}, 95.5 / 96, 95.5 / 96, 0.01, 0.01},
	}
	for _, c := range cases {
		d := GridDecoder{Size: c.size, MinScore: 0.5, IoU: 0.3}
		scores := make([]float32, d.Rows())
		for i := range scores {
			scores[i] = -10
		}
		boxes := make([]float32, d.Rows()*16)
		scores[c.row] = 3
		copy(boxes[c.row*16:], c.reg[:])
		got := d.Decode(scores, boxes)
		if len(got) != 1 {
			t.Fatalf("%s: %d detections, want 1", c.name, len(got))
		}
		g := got[0]
		if !near(g.CX, c.cx) || !near(g.CY, c.cy) || !near(g.W, c.w) || !near(g.H, c.h) {
			t.Errorf("%s: got %+v, want cx %.4f cy %.4f w %.4f h %.4f", c.name, g, c.cx, c.cy, c.w, c.h)
		}
		if !near(g.Score, 1/(1+math.Exp(-3))) {
			t.Errorf("%s: score %v", c.name, g.Score)
		}
	}
}
