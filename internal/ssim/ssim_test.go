package ssim

import "testing"

func TestWindows(t *testing.T) {
	const w, h = 16, 12
	a, b := make([]float64, w*h), make([]float64, w*h)
	for i := range a {
		a[i] = float64(i % 7 * 30)
		b[i] = a[i]
	}
	var n int
	Windows(a, a, w, h, func(s float64) {
		n++
		if s < 0.999999 {
			t.Errorf("identical planes: SSIM %v, want 1", s)
		}
	})
	if want := ((w-Window)/Step + 1) * ((h-Window)/Step + 1); n != want {
		t.Errorf("%d windows, want %d", n, want)
	}
	b[0] += 100
	var worst = 1.0
	Windows(a, b, w, h, func(s float64) { worst = min(worst, s) })
	if worst > 0.99 {
		t.Errorf("a changed pixel: worst SSIM %v, want below 0.99", worst)
	}
}

func TestHalf(t *testing.T) {
	p := []float64{0, 4, 8, 12, 1, 1, 1, 1}
	got := Half(p, 4, 2)
	if len(got) != 2 || got[0] != 1.5 || got[1] != 5.5 {
		t.Errorf("Half = %v, want [1.5 5.5]", got)
	}
}
