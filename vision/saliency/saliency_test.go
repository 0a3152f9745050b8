package saliency_test

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pixmill/pixmill/vision"
	"github.com/pixmill/pixmill/vision/engine"
	"github.com/pixmill/pixmill/vision/preview"
	"github.com/pixmill/pixmill/vision/saliency"
	"github.com/pixmill/pixmill/vision/visiontest"
)

// debianPython is Debian's own interpreter, whose python3-onnx 1.12 the
// generator is written for (a pyenv python3 may come first on PATH).
const debianPython = "/usr/bin/python3"

// TestGeneratorReproducesTheModel regenerates spectral_residual.onnx and
// requires the committed bytes.
func TestGeneratorReproducesTheModel(t *testing.T) {
	if err := exec.Command(debianPython, "-c", "import onnx").Run(); err != nil {
		visiontest.Unavailable(t, "%s cannot import onnx (apt-get install python3-onnx): %v", debianPython, err)
	}
	out := filepath.Join(t.TempDir(), "sr.onnx")
	cmd := exec.Command(debianPython, "gen_saliency.py", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_saliency.py: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, saliency.Model) {
		t.Fatalf("gen_saliency.py wrote %d bytes that differ from the committed spectral_residual.onnx (%d bytes); "+
			"regenerate it: %s vision/saliency/gen_saliency.py vision/saliency/spectral_residual.onnx", len(got), len(saliency.Model), debianPython)
	}
}

// TestModelMatchesReference runs the model in ONNX Runtime on corpus
// photos and holds it to the Go reference computation.
func TestModelMatchesReference(t *testing.T) {
	e := visiontest.Engine(t)
	for _, rel := range []string{
		"faces/grace_hopper.jpg",
		"faces/group_portrait_1.jpg",
		"photos/object_lily_plain_bg_512.jpg",
		"photos/object_coffee_cup_512.jpg",
		"photos/forest_path.jpg",
	} {
		img := visiontest.Preview(t, rel)
		job := e.Prepare(img)
		if err := e.Run([]*engine.Job{job}); err != nil {
			t.Fatal(err)
		}
		in := make([]float32, saliency.Size*saliency.Size*3)
		preview.StretchInto(in, img, saliency.Size, preview.Norm{Scale: 1.0 / 255})
		want := saliency.Reference(in)
		var worst float64
		for i, v := range job.Saliency {
			worst = max(worst, math.Abs(float64(v)-want[i]))
		}
		if worst > 1e-4 { // measured: under 1e-6
			t.Errorf("%s: model and reference differ by up to %.2g (want <= 1e-4)", rel, worst)
		}
	}
}

func TestRegion(t *testing.T) {
	const n = 64
	blob := func(cx, cy, r int) []float32 {
		m := make([]float32, n*n)
		for y := range n {
			for x := range n {
				if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
					m[y*n+x] = 1
				}
			}
			for x := range n {
				m[y*n+x] += 0.01
			}
		}
		return m
	}
	twoBlobs := blob(16, 16, 6)
	for i, v := range blob(48, 40, 2) {
		twoBlobs[i] = max(twoBlobs[i], v)
	}
	cases := []struct {
		name string
		m    []float32
		want vision.Box // X, Y, Width, Height; Score checked to be > 0.5
	}{
		{"one disc", blob(32, 20, 8), vision.Box{X: 26.0 / n, Y: 14.0 / n, Width: 13.0 / n, Height: 13.0 / n}},
		{"a lone small outlier is trimmed", twoBlobs, vision.Box{X: 12.0 / n, Y: 12.0 / n, Width: 9.0 / n, Height: 9.0 / n}},
	}
	for _, c := range cases {
		got := saliency.Region(c.m, n)
		if math.Abs(got.X-c.want.X) > 1.5/n || math.Abs(got.Y-c.want.Y) > 1.5/n ||
			math.Abs(got.Width-c.want.Width) > 3.0/n || math.Abs(got.Height-c.want.Height) > 3.0/n || got.Score < 0.5 {
			t.Errorf("%s: got %+v, want about %+v with score > 0.5", c.name, got, c.want)
		}
	}
	flat := make([]float32, n*n)
	if got := saliency.Region(flat, n); got != (vision.Box{Width: 1, Height: 1}) {
		t.Errorf("zero map: %+v, want the whole frame with score 0", got)
	}
	for i := range flat {
		flat[i] = 0.5
	}
	if got := saliency.Region(flat, n); got != (vision.Box{Width: 1, Height: 1}) {
		t.Errorf("flat map: %+v, want the whole frame with score 0", got)
	}
}

func TestGrid(t *testing.T) {
	m := make([]float32, 64*64)
	for y := 32; y < 64; y++ {
		for x := 0; x < 32; x++ {
			m[y*64+x] = 0.8 // bottom-left quarter
		}
	}
	g := saliency.Grid(m, 64, 2)
	want := []float32{0, 0, 1, 0}
	if g.Width != 2 || g.Height != 2 || len(g.Cells) != 4 {
		t.Fatalf("grid %+v", g)
	}
	for i := range want {
		if g.Cells[i] != want[i] {
			t.Errorf("cells %v, want %v", g.Cells, want)
			break
		}
	}
}
