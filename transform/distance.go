package transform

import (
	"fmt"
	"math"

	"github.com/davidbyttow/govips/v2/vips"
)

// The in-process distance q=auto steers by: multi-scale SSIM on luma,
// computed here in Go from 8-bit pixels libvips hands over. Butteraugli
// (the benchmark's judge) takes seconds per megapixel; this takes
// milliseconds, and bench/quality -metric reports how well its order
// agrees with butteraugli's (Spearman) on the benchmark set.

// lumaPlane is an 8-bit luma image as float64.
type lumaPlane struct {
	w, h int
	px   []float64
}

// lumaOf is img's luma (Rec. 601 weights on the sRGB values, as JPEG's
// Y), alpha ignored.
func lumaOf(img *vips.ImageRef) (lumaPlane, error) {
	c, err := img.Copy()
	if err != nil {
		return lumaPlane{}, err
	}
	defer c.Close()
	if err := c.ToColorSpace(vips.InterpretationSRGB); err != nil {
		return lumaPlane{}, err
	}
	if err := c.Cast(vips.BandFormatUchar); err != nil {
		return lumaPlane{}, err
	}
	raw, err := c.ToBytes()
	if err != nil {
		return lumaPlane{}, err
	}
	w, h, bands := c.Width(), c.Height(), c.Bands()
	if len(raw) < w*h*bands {
		return lumaPlane{}, fmt.Errorf("luma: %d bytes for %dx%dx%d", len(raw), w, h, bands)
	}
	p := lumaPlane{w: w, h: h, px: make([]float64, w*h)}
	for i := range p.px {
		s := raw[i*bands:]
		if bands >= 3 {
			p.px[i] = 0.299*float64(s[0]) + 0.587*float64(s[1]) + 0.114*float64(s[2])
		} else {
			p.px[i] = float64(s[0])
		}
	}
	return p, nil
}

// half is p box-downsampled by 2.
func (p lumaPlane) half() lumaPlane {
	w, h := p.w/2, p.h/2
	q := lumaPlane{w: w, h: h, px: make([]float64, w*h)}
	for y := range h {
		for x := range w {
			i := 2*y*p.w + 2*x
			q.px[y*w+x] = (p.px[i] + p.px[i+1] + p.px[i+p.w] + p.px[i+p.w+1]) / 4
		}
	}
	return q
}

// ssim is the mean SSIM of a and b over 8x8 windows every 4 pixels.
func ssim(a, b lumaPlane) float64 {
	const c1, c2 = (0.01 * 255) * (0.01 * 255), (0.03 * 255) * (0.03 * 255)
	const win, step = 8, 4
	var sum float64
	var n int
	for y := 0; y+win <= a.h; y += step {
		for x := 0; x+win <= a.w; x += step {
			var sa, sb, saa, sbb, sab float64
			for dy := range win {
				row := (y+dy)*a.w + x
				for dx := range win {
					va, vb := a.px[row+dx], b.px[row+dx]
					sa += va
					sb += vb
					saa += va * va
					sbb += vb * vb
					sab += va * vb
				}
			}
			const k = win * win
			ma, mb := sa/k, sb/k
			va, vb := saa/k-ma*ma, sbb/k-mb*mb
			cov := sab/k - ma*mb
			sum += (2*ma*mb + c1) * (2*cov + c2) / ((ma*ma + mb*mb + c1) * (va + vb + c2))
			n++
		}
	}
	if n == 0 {
		return 1
	}
	return sum / float64(n)
}

// msDistance is 100 × (1 − MS-SSIM) of ref and dist over three scales
// (full, half, quarter), geometric mean with equal weights: 0 for
// identical images, growing as they differ.
func msDistance(ref, dist lumaPlane) float64 {
	if ref.w != dist.w || ref.h != dist.h {
		return math.Inf(1)
	}
	prod := 1.0
	const scales = 3
	for s := range scales {
		v := max(ssim(ref, dist), 1e-6)
		prod *= v
		if s < scales-1 {
			ref, dist = ref.half(), dist.half()
		}
	}
	return 100 * (1 - math.Pow(prod, 1.0/scales))
}

// Distance is the in-process distance between ref and the decoded
// encoded image body (see msDistance); bench/quality compares it with
// butteraugli.
func Distance(ref *vips.ImageRef, body []byte) (float64, error) {
	r, err := lumaOf(ref)
	if err != nil {
		return 0, err
	}
	d, err := vips.NewImageFromBuffer(body)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	dl, err := lumaOf(d)
	if err != nil {
		return 0, err
	}
	return msDistance(r, dl), nil
}
