package preview

import "math"

// taps are the source pixels and weights that make one output pixel along
// one axis.
type taps struct {
	start   int
	weights []float32
}

// filter computes separable triangle-filter taps from in to out samples,
// widened by the scale factor when shrinking so that every source pixel
// contributes (bilinear with antialiasing, as PIL and libvips' reduce do).
func filter(in, out int) []taps {
	scale := float64(in) / float64(out)
	support := max(scale, 1)
	res := make([]taps, out)
	for i := range res {
		center := (float64(i) + 0.5) * scale
		lo := max(0, int(math.Floor(center-support)))
		hi := min(in, int(math.Ceil(center+support)))
		ws := make([]float32, 0, hi-lo)
		var sum float64
		for j := lo; j < hi; j++ {
			w := 1 - math.Abs((float64(j)+0.5-center)/support)
			if w < 0 {
				w = 0
			}
			ws = append(ws, float32(w))
			sum += w
		}
		if sum == 0 { // cannot happen for in, out >= 1; keep the nearest pixel
			lo, ws, sum = min(in-1, int(center)), []float32{1}, 1
		}
		for k := range ws {
			ws[k] /= float32(sum)
		}
		res[i] = taps{start: lo, weights: ws}
	}
	return res
}

// resize writes img scaled to dw x dh into the NHWC square dst (side size)
// at (ox, oy), each channel normalised by n.
func resize(dst []float32, size, ox, oy, dw, dh int, img Image, n Norm) {
	fx := filter(img.W, dw)
	fy := filter(img.H, dh)
	// Horizontal pass: img.H rows of dw pixels.
	tmp := make([]float32, img.H*dw*3)
	for y := 0; y < img.H; y++ {
		src := img.Pix[y*img.W*3:]
		row := tmp[y*dw*3:]
		for x, t := range fx {
			var r, g, b float32
			for k, w := range t.weights {
				p := (t.start + k) * 3
				r += w * float32(src[p])
				g += w * float32(src[p+1])
				b += w * float32(src[p+2])
			}
			row[3*x], row[3*x+1], row[3*x+2] = r, g, b
		}
	}
	// Vertical pass into the square.
	for y, t := range fy {
		out := dst[((oy+y)*size+ox)*3:]
		for x := 0; x < dw*3; x++ {
			var v float32
			for k, w := range t.weights {
				v += w * tmp[(t.start+k)*dw*3+x]
			}
			out[x] = v*n.Scale + n.Offset
		}
	}
}
