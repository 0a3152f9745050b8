package masked

import (
	"math/rand/v2"
	"testing"
)

// testPlanes is a w×h Y plane and half-resolution Cb and Cr planes of
// smooth values plus noise of amplitude noise (seeded).
func testPlanes(w, h int, seed uint64, noise float32) (y, cb, cr []float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	y = make([]float32, w*h)
	for i := range y {
		y[i] = float32(i%w)/float32(w)*200 + 20 + noise*(rng.Float32()-0.5)
	}
	cb, cr = make([]float32, w*h/4), make([]float32, w*h/4)
	for i := range cb {
		cb[i] = 128 + noise*(rng.Float32()-0.5)
		cr[i] = 120 + noise*(rng.Float32()-0.5)
	}
	return y, cb, cr
}

var testParams = Params{BandWeight: [Bands + 1]float64{1, 1, 1, 0.5}, ChromaWeight: 0.5, Mask: 2, Radius: 2, Norm: 4}

// TestDistance: identical planes are 0; more noise is more distance; a
// uniform error is seen whatever the band weights.
func TestDistance(t *testing.T) {
	const w, h = 96, 64
	ry, rcb, rcr := testPlanes(w, h, 1, 0)
	ref := NewReference(ry, rcb, rcr, w, h, testParams)
	if d := ref.Distance(ry, rcb, rcr); d != 0 {
		t.Errorf("identical: %v, want 0", d)
	}
	prev := 0.0
	for _, n := range []float32{2, 8, 32} {
		y, cb, cr := testPlanes(w, h, 2, n)
		d := ref.Distance(y, cb, cr)
		if d <= prev {
			t.Errorf("noise %v: distance %.3f, not above the smaller noise's %.3f", n, d, prev)
		}
		prev = d
	}
}

// TestBoxMeanAbs: the running-sum box mean matches a direct one,
// borders included.
func TestBoxMeanAbs(t *testing.T) {
	const w, h, r = 13, 9, 2
	p := plane{w, h, make([]float32, w*h)}
	for i := range p.px {
		p.px[i] = float32(i%7) - 3
	}
	got := boxMeanAbs(p, r)
	for y := range h {
		for x := range w {
			var s float32
			var n int
			for yy := max(y-r, 0); yy <= min(y+r, h-1); yy++ {
				for xx := max(x-r, 0); xx <= min(x+r, w-1); xx++ {
					s += abs32(p.px[yy*w+xx])
					n++
				}
			}
			if want := s / float32(n); abs32(got.px[y*w+x]-want) > 1e-4 {
				t.Fatalf("(%d,%d): %v, want %v", x, y, got.px[y*w+x], want)
			}
		}
	}
}

// BenchmarkDistance is the pixel work of one measurement at 800×500
// (no decode).
func BenchmarkDistance(b *testing.B) {
	const w, h = 800, 500
	ry, rcb, rcr := testPlanes(w, h, 1, 4)
	y, cb, cr := testPlanes(w, h, 2, 4)
	ref := NewReference(ry, rcb, rcr, w, h, testParams)
	for b.Loop() {
		ref.Distance(y, cb, cr)
	}
}
