package saliency

import (
	"math"
	"math/cmplx"
)

// Reference computes, in float64 Go, what spectral_residual.onnx computes:
// rgb is one Size x Size x 3 image in [0, 1] (NHWC), the result a Size x Size
// map in [0, 1]. The tests hold the model to it; gen_saliency.py documents
// the steps.
func Reference(rgb []float32) []float64 {
	const n = Size
	f := make([]complex128, n*n)
	for i := range f {
		r, g, b := float64(rgb[3*i]), float64(rgb[3*i+1]), float64(rgb[3*i+2])
		f[i] = complex(0.299*r+0.587*g+0.114*b, 0)
	}
	fft2(f, n, false)
	logAmp := make([]float64, n*n)
	for i, v := range f {
		logAmp[i] = math.Log(cmplx.Abs(v) + 1e-8)
	}
	for y := range n {
		for x := range n {
			// 3x3 mean over the cells inside the plane (AveragePool,
			// count_include_pad=0).
			var s float64
			var c int
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < n && yy < n {
						s += logAmp[yy*n+xx]
						c++
					}
				}
			}
			f[y*n+x] *= complex(math.Exp(-s/float64(c)), 0)
		}
	}
	fft2(f, n, true)
	raw := make([]float64, n*n)
	for i, v := range f {
		raw[i] = real(v)*real(v) + imag(v)*imag(v)
	}
	out := gaussian(raw, n)
	var peak float64
	for _, v := range out {
		peak = max(peak, v)
	}
	for i := range out {
		out[i] /= peak + 1e-12
	}
	return out
}

// gaussian blurs an n x n plane with the model's separable kernel (sigma 3,
// radius 9), mirroring at the borders without repeating the edge (ONNX Pad
// mode reflect).
func gaussian(p []float64, n int) []float64 {
	const sigma, radius = 3.0, 9
	k := make([]float64, 2*radius+1)
	var ks float64
	for i := range k {
		x := float64(i - radius)
		k[i] = math.Exp(-x * x / (2 * sigma * sigma))
		ks += k[i]
	}
	for i := range k {
		k[i] /= ks
	}
	reflect := func(i int) int {
		if i < 0 {
			return -i
		}
		if i >= n {
			return 2*(n-1) - i
		}
		return i
	}
	tmp := make([]float64, n*n)
	for y := range n {
		for x := range n {
			var s float64
			for j, w := range k {
				s += w * p[y*n+reflect(x+j-radius)]
			}
			tmp[y*n+x] = s
		}
	}
	out := make([]float64, n*n)
	for y := range n {
		for x := range n {
			var s float64
			for j, w := range k {
				s += w * tmp[reflect(y+j-radius)*n+x]
			}
			out[y*n+x] = s
		}
	}
	return out
}

// fft2 is an in-place 2-D FFT of an n x n plane (n a power of two); the
// inverse is unnormalised, which the final max-normalisation cancels.
func fft2(a []complex128, n int, inverse bool) {
	row := make([]complex128, n)
	for y := range n {
		copy(row, a[y*n:(y+1)*n])
		fft(row, inverse)
		copy(a[y*n:], row)
	}
	for x := range n {
		for y := range n {
			row[y] = a[y*n+x]
		}
		fft(row, inverse)
		for y := range n {
			a[y*n+x] = row[y]
		}
	}
}

// fft is an iterative radix-2 Cooley-Tukey transform.
func fft(a []complex128, inverse bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Rect(1, sign*2*math.Pi/float64(size))
		for start := 0; start < n; start += size {
			t := complex(1, 0)
			for k := 0; k < size/2; k++ {
				u, v := a[start+k], a[start+k+size/2]*t
				a[start+k], a[start+k+size/2] = u+v, u-v
				t *= w
			}
		}
	}
}
