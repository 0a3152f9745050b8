package engine

import (
	"fmt"
	"math"
	"os"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/pixmill/pixmill/vision"
	"github.com/pixmill/pixmill/vision/blazeface"
	"github.com/pixmill/pixmill/vision/saliency"
)

// Run runs every model once over the whole batch and fills each job's
// Faces and Saliency.
func (e *Engine) Run(jobs []*Job) error {
	if len(jobs) == 0 {
		return nil
	}
	dets := make([][]blazeface.Detection, len(jobs)) // per job, in preview fractions
	for m, f := range e.faces {
		if err := e.runFace(m, f, jobs, dets); err != nil {
			return err
		}
	}
	for i, j := range jobs {
		if len(e.faces) > 1 {
			// Two detectors box the same face differently (the front model's
			// boxes are looser), so their boxes are not averaged: the best
			// one wins and any box mostly inside it goes.
			dets[i] = blazeface.Suppress(dets[i], 0.5)
		}
		j.Faces = toBoxes(dets[i])
	}
	return e.runSaliency(jobs)
}

// runFace runs face model m over the batch and appends each job's
// detections, mapped back to preview fractions, to dets.
func (e *Engine) runFace(m int, f *faceModel, jobs []*Job, dets [][]blazeface.Detection) error {
	n := f.size * f.size * 3
	in := make([]float32, len(jobs)*n)
	for i, j := range jobs {
		copy(in[i*n:], j.face[m])
	}
	nOut := 4
	if f.grid != nil {
		nOut = 2
	}
	outs, err := run(f.sess, in, ort.NewShape(int64(len(jobs)), int64(f.size), int64(f.size), 3), nOut)
	if err != nil {
		return fmt.Errorf("engine: face model %s: %w", f.name, err)
	}
	for i, j := range jobs {
		var found []blazeface.Detection
		if f.grid != nil {
			rows := f.grid.Rows()
			found = f.grid.Decode(outs[0][i*rows:(i+1)*rows], outs[1][i*rows*16:(i+1)*rows*16])
		} else {
			var scores, boxes [2][]float32
			for h := range 2 {
				rows := blazeface.HeadRows[h]
				scores[h] = outs[h][i*rows : (i+1)*rows]
				boxes[h] = outs[2+h][i*rows*16 : (i+1)*rows*16]
			}
			found = f.dec.Decode(scores, boxes)
		}
		lb := j.lbs[m]
		for _, d := range found {
			x0, y0 := lb.ToPreview(d.CX-d.W/2, d.CY-d.H/2)
			x1, y1 := lb.ToPreview(d.CX+d.W/2, d.CY+d.H/2)
			x0, y0, x1, y1 = clamp01(x0), clamp01(y0), clamp01(x1), clamp01(y1)
			if x1 <= x0 || y1 <= y0 {
				continue
			}
			dets[i] = append(dets[i], blazeface.Detection{CX: (x0 + x1) / 2, CY: (y0 + y1) / 2, W: x1 - x0, H: y1 - y0, Score: d.Score})
		}
	}
	return nil
}

func (e *Engine) runSaliency(jobs []*Job) error {
	const s = saliency.Size
	in := make([]float32, len(jobs)*s*s*3)
	for i, j := range jobs {
		copy(in[i*s*s*3:], j.sal)
	}
	outs, err := run(e.sal, in, ort.NewShape(int64(len(jobs)), s, s, 3), 1)
	if err != nil {
		return fmt.Errorf("engine: saliency model: %w", err)
	}
	for i, j := range jobs {
		j.Saliency = outs[0][i*s*s : (i+1)*s*s]
	}
	return nil
}

// run feeds one float input to a session and copies out nOut float outputs.
func run(sess *ort.DynamicAdvancedSession, in []float32, shape ort.Shape, nOut int) ([][]float32, error) {
	t, err := ort.NewTensor(shape, in)
	if err != nil {
		return nil, err
	}
	defer t.Destroy()
	outs := make([]ort.Value, nOut)
	if err := sess.Run([]ort.Value{t}, outs); err != nil {
		return nil, err
	}
	defer func() {
		for _, o := range outs {
			o.Destroy()
		}
	}()
	res := make([][]float32, nOut)
	for i, o := range outs {
		ft, ok := o.(*ort.Tensor[float32])
		if !ok {
			return nil, fmt.Errorf("output %d is %T, want float32 tensor", i, o)
		}
		res[i] = append([]float32(nil), ft.GetData()...)
	}
	return res, nil
}

func toBoxes(dets []blazeface.Detection) []vision.Box {
	boxes := make([]vision.Box, 0, len(dets))
	for _, d := range dets {
		boxes = append(boxes, vision.Box{X: round4(d.CX - d.W/2), Y: round4(d.CY - d.H/2),
			Width: round4(d.W), Height: round4(d.H), Score: round4(d.Score)})
	}
	return boxes
}

func clamp01(v float64) float64 { return max(0, min(1, v)) }

// round4 keeps four decimals: a 10000 px source is placed to the pixel, and
// the JSON stays short.
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func filepathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
