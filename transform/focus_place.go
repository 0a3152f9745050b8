package transform

import (
	"math"
	"sort"

	"github.com/pixmill/pixmill/vision"
)

// Crop placement from what the vision sidecar found. Boxes are fractions of
// the oriented image; the window is cw×ch inside the scaled sw×sh image.

// minFaceScore is the detector confidence below which a box is not a face:
// the sidecar's own cut-offs (0.5 for the full-range model) decide, this
// only drops what an older sidecar might still send below them.
const minFaceScore = 0.5

// faceHeadroom extends a face box upwards by this share of its height (hair,
// forehead: detectors box the face from the brows) and downwards by
// faceChin (chin, neck), so that a kept face is a kept head.
const (
	faceHeadroom = 0.5
	faceChin     = 0.2
)

type faceRect struct{ x0, y0, x1, y1 float64 }

func (r faceRect) area() float64 { return (r.x1 - r.x0) * (r.y1 - r.y0) }

// inside says whether r lies wholly in the window at (x, y), half a pixel
// of rounding allowed.
func (r faceRect) inside(x, y, cw, ch float64) bool {
	return r.x0 >= x-0.5 && r.y0 >= y-0.5 && r.x1 <= x+cw+0.5 && r.y1 <= y+ch+0.5
}

// cut says whether the window at (x, y) takes part of r but not all of it.
func (r faceRect) cut(x, y, cw, ch float64) bool {
	return overlap(r.x0, r.x1, x, x+cw) > 0.5 && overlap(r.y0, r.y1, y, y+ch) > 0.5 && !r.inside(x, y, cw, ch)
}

// placeByFaces places the window by the faces: it keeps the most whole faces
// a window of its size can hold (ties: the most face area), every one when
// they fit; among the positions that keep that set it centres on their heads
// (with headroom), then moves as little as it must so that no other face is
// cut in half where a position that keeps the set and cuts none exists.
// ok is false when there is no face to place by.
func placeByFaces(faces []vision.Box, sw, sh, cw, ch int) (x, y int, ok bool) {
	var boxes, heads []faceRect
	for _, f := range faces {
		if f.Score < minFaceScore || f.Width <= 0 || f.Height <= 0 {
			continue
		}
		b := faceRect{f.X * float64(sw), f.Y * float64(sh), (f.X + f.Width) * float64(sw), (f.Y + f.Height) * float64(sh)}
		boxes = append(boxes, b)
		heads = append(heads, faceRect{b.x0, math.Max(0, b.y0-faceHeadroom*(b.y1-b.y0)), b.x1, math.Min(float64(sh), b.y1+faceChin*(b.y1-b.y0))})
	}
	if len(boxes) == 0 {
		return 0, 0, false
	}
	W, H := float64(cw), float64(ch)
	// Every window that keeps a different set of whole faces has an edge on
	// some face's edge (or the image's), so those positions are enough.
	xs := positions(boxes, sw, cw, func(r faceRect) (float64, float64) { return r.x0, r.x1 })
	ys := positions(boxes, sh, ch, func(r faceRect) (float64, float64) { return r.y0, r.y1 })
	bestN, bestArea := -1, -1.0
	var keep []int
	for _, wy := range ys {
		for _, wx := range xs {
			n, area := 0, 0.0
			var in []int
			for i, b := range boxes {
				if b.inside(float64(wx), float64(wy), W, H) {
					n++
					area += b.area()
					in = append(in, i)
				}
			}
			if n > bestN || (n == bestN && area > bestArea+1e-9) {
				bestN, bestArea, keep = n, area, in
			}
		}
	}
	if len(keep) == 0 {
		// No face fits whole (a face larger than the window): centre on the
		// largest face.
		big := 0
		for i, b := range boxes {
			if b.area() > boxes[big].area() {
				big = i
			}
		}
		keep = []int{big}
	}
	// The range of positions that keep the chosen faces whole.
	kb, kh := boxes[keep[0]], heads[keep[0]]
	kept := make([]bool, len(boxes))
	for _, i := range keep {
		kept[i] = true
		kb = faceRect{math.Min(kb.x0, boxes[i].x0), math.Min(kb.y0, boxes[i].y0), math.Max(kb.x1, boxes[i].x1), math.Max(kb.y1, boxes[i].y1)}
		kh = faceRect{math.Min(kh.x0, heads[i].x0), math.Min(kh.y0, heads[i].y0), math.Max(kh.x1, heads[i].x1), math.Max(kh.y1, heads[i].y1)}
	}
	rangeOf := func(lo0, hi0 float64, win, size int) (int, int) {
		lo := clamp(int(math.Ceil(hi0-float64(win)-0.5)), 0, size-win)
		hi := clamp(int(math.Floor(lo0+0.5)), 0, size-win)
		if lo > hi { // the kept faces are larger than the window on this axis
			mid := clamp(int(math.Round((lo0+hi0)/2-float64(win)/2)), 0, size-win)
			return mid, mid
		}
		return lo, hi
	}
	xlo, xhi := rangeOf(kb.x0, kb.x1, cw, sw)
	ylo, yhi := rangeOf(kb.y0, kb.y1, ch, sh)
	cx := clamp(int(math.Round((kh.x0+kh.x1)/2-W/2)), xlo, xhi)
	cy := clamp(int(math.Round((kh.y0+kh.y1)/2-H/2)), ylo, yhi)
	// Candidates: the centred position, and each position where a face not
	// kept just leaves the window.
	candX, candY := []int{cx}, []int{cy}
	for i, b := range boxes {
		if kept[i] {
			continue
		}
		for _, v := range []float64{math.Ceil(b.x1), math.Floor(b.x0) - W} {
			candX = append(candX, clamp(int(v), xlo, xhi))
		}
		for _, v := range []float64{math.Ceil(b.y1), math.Floor(b.y0) - H} {
			candY = append(candY, clamp(int(v), ylo, yhi))
		}
	}
	bestCuts, bestMove := math.MaxInt, math.MaxInt
	for _, py := range candY {
		for _, px := range candX {
			cuts := 0
			for i, b := range boxes {
				if !kept[i] && b.cut(float64(px), float64(py), W, H) {
					cuts++
				}
			}
			move := absInt(px-cx) + absInt(py-cy)
			if cuts < bestCuts || (cuts == bestCuts && move < bestMove) {
				bestCuts, bestMove, x, y = cuts, move, px, py
			}
		}
	}
	return x, y, true
}

// positions lists the window offsets along one axis that put a window edge
// on a face edge, and the two ends, clamped to the image.
func positions(boxes []faceRect, size, win int, edges func(faceRect) (float64, float64)) []int {
	seen := map[int]bool{}
	var out []int
	add := func(v int) {
		v = clamp(v, 0, size-win)
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	add(0)
	add(size - win)
	for _, b := range boxes {
		lo, hi := edges(b)
		add(int(math.Floor(lo)))
		add(int(math.Ceil(hi)) - win)
	}
	sort.Ints(out)
	return out
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
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
