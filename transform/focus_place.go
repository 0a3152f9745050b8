package transform

import (
	"math"
	"sort"

	"github.com/pixmill/pixmill/vision"
)

// Crop placement from what the vision sidecar found. Boxes are fractions of
// the oriented image; the window is cw×ch inside the scaled sw×sh image.

// minFaceScore is the detector confidence below which a box is not a face.
const minFaceScore = 0.6

// faceHeadroom extends a face box upwards by this share of its height (hair,
// forehead: detectors box the face from the brows) and downwards by
// faceChin (chin, neck), so that a kept face is a kept head.
const (
	faceHeadroom = 0.5
	faceChin     = 0.2
)

// placeByFaces keeps every face when their union (with headroom) fits the
// window, else as many of the largest faces as fit, centring the window on
// what it keeps. ok is false when there is no face to place by.
func placeByFaces(faces []vision.Box, sw, sh, cw, ch int) (x, y int, ok bool) {
	type rect struct{ x0, y0, x1, y1 float64 }
	var heads []rect
	for _, f := range faces {
		if f.Score < minFaceScore || f.Width <= 0 || f.Height <= 0 {
			continue
		}
		heads = append(heads, rect{
			x0: f.X * float64(sw), x1: (f.X + f.Width) * float64(sw),
			y0: math.Max(0, (f.Y-faceHeadroom*f.Height)*float64(sh)),
			y1: math.Min(float64(sh), (f.Y+f.Height*(1+faceChin))*float64(sh)),
		})
	}
	if len(heads) == 0 {
		return 0, 0, false
	}
	// Largest first, so that when not all fit, the biggest faces stay.
	sort.SliceStable(heads, func(i, j int) bool {
		return (heads[i].x1-heads[i].x0)*(heads[i].y1-heads[i].y0) > (heads[j].x1-heads[j].x0)*(heads[j].y1-heads[j].y0)
	})
	u := heads[0]
	for _, h := range heads[1:] {
		n := rect{math.Min(u.x0, h.x0), math.Min(u.y0, h.y0), math.Max(u.x1, h.x1), math.Max(u.y1, h.y1)}
		if n.x1-n.x0 <= float64(cw) && n.y1-n.y0 <= float64(ch) {
			u = n
		}
	}
	x = clamp(int(math.Round((u.x0+u.x1)/2-float64(cw)/2)), 0, sw-cw)
	y = clamp(int(math.Round((u.y0+u.y1)/2-float64(ch)/2)), 0, sh-ch)
	return x, y, true
}

// placeBySaliency puts the window where it holds the most saliency mass:
// over the grid when there is one, else centred on the salient box.
func placeBySaliency(r vision.Regions, sw, sh, cw, ch int) (x, y int) {
	if g := r.Grid; g != nil && g.Width > 0 && g.Height > 0 && len(g.Cells) == g.Width*g.Height {
		return placeOnGrid(g, sw, sh, cw, ch)
	}
	cx, cy := r.Salient.Center()
	x = clamp(int(math.Round(cx*float64(sw)-float64(cw)/2)), 0, sw-cw)
	y = clamp(int(math.Round(cy*float64(sh)-float64(ch)/2)), 0, sh-ch)
	return x, y
}

// placeOnGrid slides the window over the saliency grid in steps of about a
// cell and keeps the position with the most mass (cells partly covered count
// in proportion); ties go to the position nearest the centre.
func placeOnGrid(g *vision.Grid, sw, sh, cw, ch int) (int, int) {
	cellW, cellH := float64(sw)/float64(g.Width), float64(sh)/float64(g.Height)
	mass := func(x, y float64) float64 {
		var m float64
		for j := range g.Height {
			oy := overlap(y, y+float64(ch), float64(j)*cellH, float64(j+1)*cellH) / cellH
			if oy == 0 {
				continue
			}
			for i := range g.Width {
				if ox := overlap(x, x+float64(cw), float64(i)*cellW, float64(i+1)*cellW) / cellW; ox > 0 {
					m += float64(g.Cells[j*g.Width+i]) * ox * oy
				}
			}
		}
		return m
	}
	steps := func(room int, cell float64) []int {
		if room <= 0 {
			return []int{0}
		}
		n := max(1, int(math.Ceil(float64(room)/math.Max(1, cell/2))))
		out := make([]int, 0, n+1)
		for k := 0; k <= n; k++ {
			out = append(out, int(math.Round(float64(room)*float64(k)/float64(n))))
		}
		return out
	}
	bestX, bestY := (sw-cw)/2, (sh-ch)/2
	best, bestDist := -1.0, math.Inf(1)
	for _, y := range steps(sh-ch, cellH) {
		for _, x := range steps(sw-cw, cellW) {
			m := mass(float64(x), float64(y))
			d := math.Hypot(float64(x-(sw-cw)/2), float64(y-(sh-ch)/2))
			if m > best+1e-9 || (math.Abs(m-best) <= 1e-9 && d < bestDist) {
				best, bestDist, bestX, bestY = m, d, x, y
			}
		}
	}
	return bestX, bestY
}

func overlap(a0, a1, b0, b1 float64) float64 { return math.Max(0, math.Min(a1, b1)-math.Max(a0, b0)) }

// orientRegions maps what was found in the EXIF-oriented preview through the
// URL's rotate (clockwise) and flips, into the plan's coordinates. The grid
// is dropped when the image is turned; the salient box stands in for it.
func orientRegions(r vision.Regions, rotate int, flipH, flipV bool) vision.Regions {
	if rotate == 0 && !flipH && !flipV {
		return r
	}
	turn := func(b vision.Box) vision.Box {
		x, y, w, h := orientRect(b.X, b.Y, b.Width, b.Height, 1, 1, rotate, flipH, flipV)
		return vision.Box{X: x, Y: y, Width: w, Height: h, Score: b.Score}
	}
	out := vision.Regions{Salient: turn(r.Salient), Provider: r.Provider}
	for _, f := range r.Faces {
		out.Faces = append(out.Faces, turn(f))
	}
	return out
}
