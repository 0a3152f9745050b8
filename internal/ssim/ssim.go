// Package ssim holds the pieces of a structural-similarity distance over
// float64 planes: the colour conversion, the box downsample between scales
// and the window walk. transform.Distance (q=auto) pools them one way;
// bench/quality's -metric-variants scores other poolings of the same
// windows, so both measure the same thing.
package ssim

// YCbCr is JPEG's full-range YCbCr of an 8-bit sRGB pixel.
func YCbCr(r, g, b float64) (y, cb, cr float64) {
	return 0.299*r + 0.587*g + 0.114*b,
		128 - 0.168736*r - 0.331264*g + 0.5*b,
		128 + 0.5*r - 0.418688*g - 0.081312*b
}

// Half is the w×h plane p box-downsampled by 2 ((w/2)×(h/2)).
func Half(p []float64, w, h int) []float64 {
	hw, hh := w/2, h/2
	q := make([]float64, hw*hh)
	for y := range hh {
		for x := range hw {
			i := 2*y*w + 2*x
			q[y*hw+x] = (p[i] + p[i+1] + p[i+w] + p[i+w+1]) / 4
		}
	}
	return q
}

// Window and Step: SSIM over 8×8 windows every 4 pixels.
const Window, Step = 8, 4

// Windows calls each with the SSIM of every window of the w×h planes a
// and b, row by row.
func Windows(a, b []float64, w, h int, each func(s float64)) {
	const c1, c2 = (0.01 * 255) * (0.01 * 255), (0.03 * 255) * (0.03 * 255)
	const k = Window * Window
	for y := 0; y+Window <= h; y += Step {
		for x := 0; x+Window <= w; x += Step {
			var sa, sb, saa, sbb, sab float64
			for dy := range Window {
				row := (y+dy)*w + x
				for dx := range Window {
					va, vb := a[row+dx], b[row+dx]
					sa += va
					sb += vb
					saa += va * va
					sbb += vb * vb
					sab += va * vb
				}
			}
			ma, mb := sa/k, sb/k
			va, vb := saa/k-ma*ma, sbb/k-mb*mb
			cov := sab/k - ma*mb
			each((2*ma*mb + c1) * (2*cov + c2) / ((ma*ma + mb*mb + c1) * (va + vb + c2)))
		}
	}
}
