// Package masked is a masked-error distance between two images given as
// Y, Cb and Cr planes: butteraugli's idea at a fraction of its cost. The
// error between reference and distorted image is split into frequency
// bands (a Laplacian-style pyramid: the detail at full, half and quarter
// resolution, each a level minus its [1 2 1] blur, and what is left at an
// eighth), each band's error is divided by the reference's local
// activity in that band (visibility masking: an error in texture hides,
// the same error on a flat area or a smooth gradient shows), and each
// band's masked error map is pooled by a high p-norm, so that the worst
// regions lead as they lead butteraugli's 3-norm.
//
// transform.Distance (q=auto) uses it with the parameters bench/quality
// -metric-variants chose; the benchmark scores other parameters with the
// same code, so both measure the same thing.
package masked

import (
	"math"
	"sync"
)

// scratchPool holds the float32 planes the reference's preparation needs
// only while it runs: allocating (and the runtime zeroing) a dozen
// full-size planes per search cost about a quarter of it.
var scratchPool sync.Pool

// getScratch is a plane-sized buffer of n floats from the pool (not zeroed:
// every user writes each element before reading it).
func getScratch(n int) []float32 {
	if b, ok := scratchPool.Get().(*[]float32); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]float32, n)
}

func putScratch(b []float32) { scratchPool.Put(&b) }

// Bands is how many band-pass levels are measured (full, half, quarter
// resolution); the residual at an eighth is one more term.
const Bands = 3

// Params are the distance's few free parameters.
type Params struct {
	// BandWeight weighs each band's pooled masked error (full, half,
	// quarter resolution, residual): the eye's sensitivity per spatial
	// frequency.
	BandWeight [Bands + 1]float64
	// ChromaWeight weighs Cb's and Cr's distance against luma's.
	ChromaWeight float64
	// Mask is the masking floor in 8-bit levels: an error of Mask levels
	// on a flat area counts as much as one of Mask+a levels next to
	// activity a. Smaller: flat areas weigh more.
	Mask float64
	// Radius is the half-size of the box over which the reference's
	// activity is averaged (per band, in that band's pixels).
	Radius int
	// Norm is the pooling p-norm: 2, 3, 4, 6 or 8.
	Norm int
}

// plane is a w×h float32 plane.
type plane struct {
	w, h int
	px   []float32
}

// half is p box-downsampled by 2.
func (p plane) half() plane { return p.halfInto(make([]float32, (p.w/2)*(p.h/2))) }

// halfInto is half written to buf (at least a quarter of p's size, not
// p's own pixels).
func (p plane) halfInto(buf []float32) plane {
	hw, hh := p.w/2, p.h/2
	q := plane{hw, hh, buf[:hw*hh]}
	for y := range hh {
		r0 := p.px[2*y*p.w:]
		r1 := p.px[(2*y+1)*p.w:]
		out := q.px[y*hw : (y+1)*hw]
		for x := range out {
			out[x] = (r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1]) * 0.25
		}
	}
	return q
}

// blur3 is p filtered by [1 2 1]/4 across and down (edges repeated),
// written to out (p's size).
func (p plane) blur3(out []float32) plane {
	tmp := getScratch(p.w * p.h)
	defer putScratch(tmp)
	return p.blurBand(tmp, out, nil)
}

// boxMeanAbs is the mean of |p| over the (2r+1)² box around each pixel
// (clamped at the borders), by running sums: sums across, then down, and
// one multiplication by the box's inverse size at the end (the reference's
// preparation is a fixed cost of every q=auto search, so this is kept to
// adds in the inner loops).
func boxMeanAbs(p plane, r int) plane {
	w, h := p.w, p.h
	abs, tmp := getScratch(w*h), getScratch(w*h)
	defer putScratch(abs)
	defer putScratch(tmp)
	for i, v := range p.px {
		abs[i] = abs32(v)
	}
	for y := range h {
		row := abs[y*w : (y+1)*w]
		o := tmp[y*w : (y+1)*w]
		var s float32
		for x := 0; x <= min(r, w-1); x++ {
			s += row[x]
		}
		x := 0
		for ; x < w && x-r < 0; x++ { // left border: nothing leaves the box
			o[x] = s
			if x+r+1 < w {
				s += row[x+r+1]
			}
		}
		for ; x+r+1 < w; x++ { // interior
			o[x] = s
			s += row[x+r+1] - row[x-r]
		}
		for ; x < w; x++ { // right border: nothing enters the box
			o[x] = s
			s -= row[x-r]
		}
	}
	inv := make([]float32, w)
	for x := range w {
		inv[x] = 1 / float32(min(x+r, w-1)-max(x-r, 0)+1)
	}
	// Vertical pass.
	out := plane{w, h, make([]float32, w*h)}
	sums := make([]float32, w)
	for y := 0; y <= min(r, h-1); y++ {
		for x, v := range tmp[y*w : (y+1)*w] {
			sums[x] += v
		}
	}
	for y := range h {
		lo, hi := max(y-r, 0), min(y+r, h-1)
		invY := 1 / float32(hi-lo+1)
		o := out.px[y*w : (y+1)*w]
		for x := range o {
			o[x] = sums[x] * inv[x] * invY
		}
		if y+r+1 < h {
			for x, v := range tmp[(y+r+1)*w : (y+r+2)*w] {
				sums[x] += v
			}
		}
		if y-r >= 0 {
			for x, v := range tmp[(y-r)*w : (y-r+1)*w] {
				sums[x] -= v
			}
		}
	}
	return out
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// channelRef is one channel of the reference: its plane and, per band of
// its Laplacian-style pyramid, the weight 1/(Mask + activity) of an error
// at each pixel.
type channelRef struct {
	base plane
	mask [Bands]plane
}

// newChannelRef builds p's pyramid level by level: each band is the level
// minus its [1 2 1] blur (the detail at that scale, which unlike a box
// pyramid's does not vanish where an edge falls on the 2×2 grid), and the
// next level is the blur halved. Only the bands' masks are kept.
func newChannelRef(p plane, prm Params) channelRef {
	c := channelRef{base: p}
	level := p
	for k := range Bands {
		n := len(level.px)
		blurred := level.blur3(getScratch(n))
		band := plane{level.w, level.h, getScratch(n)}
		for i, v := range level.px {
			band.px[i] = v - blurred.px[i]
		}
		a := boxMeanAbs(band, prm.Radius)
		putScratch(band.px)
		for i, v := range a.px {
			a.px[i] = 1 / (float32(prm.Mask) + v)
		}
		c.mask[k] = a
		level = blurred.half()
		putScratch(blurred.px)
	}
	return c
}

// Reference is the reference image prepared once for any number of
// distances to it (q=auto measures up to quality.max_encodes encodes).
//
// A Reference measures one distance at a time (it reuses its scratch
// planes): not for concurrent use.
type Reference struct {
	prm      Params
	w, h     int
	y, cb, c channelRef
	// scratch: the error, its horizontal blur and its blur, full size,
	// reused by every level of every measurement.
	scratch [3][]float32
}

// NewReference prepares the reference given as its w×h Y plane and its
// Cb and Cr planes at half resolution ((w/2)×(h/2)).
func NewReference(y, cb, cr []float32, w, h int, prm Params) *Reference {
	return &Reference{
		scratch: [3][]float32{make([]float32, w*h), make([]float32, w*h), make([]float32, w*h)},
		prm:     prm, w: w, h: h,
		y:  newChannelRef(plane{w, h, y}, prm),
		cb: newChannelRef(plane{w / 2, h / 2, cb}, prm),
		c:  newChannelRef(plane{w / 2, h / 2, cr}, prm),
	}
}

// Distance is the masked-error distance of the distorted image (planes as
// for NewReference, the same size) to r: 0 for identical planes.
func (r *Reference) Distance(y, cb, cr []float32) float64 {
	norms := []int{r.prm.Norm}
	c := r.Components(y, cb, cr, norms)
	return r.prm.Combine(c, 0)
}

// Components are the pooled masked errors of a distorted image:
// [channel: Y, Cb, Cr][band: full, half, quarter, residual][norm index].
type Components [3][Bands + 1][]float64

// Combine is the distance prm makes of c, reading norm index n: the
// bands' weighted sum, luma's plus ChromaWeight times Cb's and Cr's.
func (prm Params) Combine(c Components, n int) float64 {
	var d [3]float64
	for ch := range 3 {
		for k, w := range prm.BandWeight {
			if w != 0 {
				d[ch] += w * c[ch][k][n]
			}
		}
	}
	return d[0] + prm.ChromaWeight*(d[1]+d[2])
}

// Components pools the masked error of the distorted image in every
// channel and band by each of norms (2, 3, 4, 6 or 8): what Distance
// combines, for scoring other Params (Combine) on the same masking (Mask
// and Radius) without measuring again.
func (r *Reference) Components(y, cb, cr []float32, norms []int) Components {
	var c Components
	skipChroma := r.prm.ChromaWeight == 0
	for ch, pair := range []struct {
		ref channelRef
		px  []float32
	}{{r.y, y}, {r.cb, cb}, {r.c, cr}} {
		if ch > 0 && skipChroma {
			for k := range c[ch] {
				c[ch][k] = make([]float64, len(norms))
			}
			continue
		}
		c[ch] = r.channelComponents(pair.ref, pair.px, norms)
	}
	return c
}

// channelComponents pools, per band, the masked error between ref and
// the distorted plane px. The error's pyramid is built and pooled row by
// row without keeping its bands (the pyramid is linear: each band of the
// error is the difference of the two images' bands).
func (r *Reference) channelComponents(ref channelRef, px []float32, norms []int) [Bands + 1][]float64 {
	n := len(ref.base.px)
	p := plane{ref.base.w, ref.base.h, r.scratch[0][:n]}
	for i, v := range ref.base.px {
		p.px[i] = v - px[i]
	}
	var out [Bands + 1][]float64
	for k := range Bands {
		acc := newAccumulator(norms)
		mask := ref.mask[k].px
		n := len(p.px)
		blurred := p.blurBand(r.scratch[1][:n], r.scratch[2][:n], func(y int, band []float32) {
			acc.add(band, mask[y*len(band):(y+1)*len(band)])
		})
		out[k] = acc.result(n)
		// The next level overwrites the error, which this level no
		// longer needs.
		p = blurred.halfInto(r.scratch[0])
	}
	// The residual (what is left at an eighth: shifts of the mean colour
	// over 8×8 blocks), on the flat-area scale.
	acc := newAccumulator(norms)
	m := make([]float32, p.w)
	for i := range m {
		m[i] = 1 / float32(r.prm.Mask)
	}
	for y := range p.h {
		acc.add(p.px[y*p.w:(y+1)*p.w], m)
	}
	out[Bands] = acc.result(len(p.px))
	return out
}

// blurBand is p's blur3 (written to out; tmp is scratch of p's size),
// calling band, unless nil, with each row of p minus its blur.
func (p plane) blurBand(tmp, out []float32, band func(y int, row []float32)) plane {
	w, h := p.w, p.h
	for y := range h {
		row := p.px[y*w : (y+1)*w]
		o := tmp[y*w : (y+1)*w]
		for x := range row {
			l, r := row[max(x-1, 0)], row[min(x+1, w-1)]
			o[x] = 0.25*(l+r) + 0.5*row[x]
		}
	}
	diff := make([]float32, w)
	for y := range h {
		up := tmp[max(y-1, 0)*w : max(y-1, 0)*w+w]
		mid := tmp[y*w : y*w+w]
		down := tmp[min(y+1, h-1)*w : min(y+1, h-1)*w+w]
		src := p.px[y*w : y*w+w]
		o := out[y*w : y*w+w]
		for x := range o {
			o[x] = 0.25*(up[x]+down[x]) + 0.5*mid[x]
		}
		if band != nil {
			for x, b := range o {
				diff[x] = src[x] - b
			}
			band(y, diff)
		}
	}
	return plane{w, h, out[:w*h]}
}

// accumulator sums |v|·mask to the powers of norms (2, 3, 4, 6 or 8), in
// float32 per row and float64 across rows.
type accumulator struct {
	norms []int
	sums  [9]float64
}

func newAccumulator(norms []int) *accumulator { return &accumulator{norms: norms} }

func (a *accumulator) add(v, mask []float32) {
	mask = mask[:len(v)]
	if len(a.norms) == 1 {
		var s float32
		switch a.norms[0] {
		case 2:
			for i, x := range v {
				x *= mask[i]
				s += x * x
			}
		case 3:
			for i, x := range v {
				x = abs32(x) * mask[i]
				s += x * x * x
			}
		case 4:
			for i, x := range v {
				x *= mask[i]
				x *= x
				s += x * x
			}
		case 6:
			for i, x := range v {
				x *= mask[i]
				x *= x
				s += x * x * x
			}
		case 8:
			for i, x := range v {
				x *= mask[i]
				x *= x
				x *= x
				s += x * x
			}
		}
		a.sums[a.norms[0]] += float64(s)
		return
	}
	var s2, s3, s4, s6, s8 float32
	for i, x := range v {
		x = abs32(x) * mask[i]
		x2 := x * x
		x3 := x2 * x
		x4 := x2 * x2
		s2 += x2
		s3 += x3
		s4 += x4
		s6 += x3 * x3
		s8 += x4 * x4
	}
	a.sums[2] += float64(s2)
	a.sums[3] += float64(s3)
	a.sums[4] += float64(s4)
	a.sums[6] += float64(s6)
	a.sums[8] += float64(s8)
}

// result is the p-norms over n values.
func (a *accumulator) result(n int) []float64 {
	out := make([]float64, len(a.norms))
	if n == 0 {
		return out
	}
	for i, p := range a.norms {
		out[i] = math.Pow(a.sums[p]/float64(n), 1/float64(p))
	}
	return out
}
