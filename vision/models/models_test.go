package models_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/vision/models"
	"github.com/pixmill/pixmill/vision/visiontest"
)

func TestPinned(t *testing.T) {
	for _, name := range []string{models.RuntimeLib, models.FaceFront, models.FaceBack, models.FaceFull, models.FaceShort,
		"face_detection_full_range.tflite", "mediapipe-face_detection-0.4.1657300184.tgz",
		"cuda/libonnxruntime.so.1", "cuda/libonnxruntime_providers_cuda.so", "cuda/libonnxruntime_providers_shared.so"} {
		if sum, ok := models.Pinned(name); !ok || len(sum) != 64 {
			t.Errorf("Pinned(%q) = %q, %v", name, sum, ok)
		}
	}
	if _, ok := models.Pinned("face_detection_full_range_sparse.onnx"); ok {
		t.Error("an unpinned file has a sum")
	}
}

func TestReadChecksTheSum(t *testing.T) {
	dir := t.TempDir()
	if _, err := models.Read(dir, models.FaceFront); !errors.Is(err, models.ErrMissing) {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, models.FaceFront), []byte("not the model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := models.Read(dir, models.FaceFront); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("tampered file: %v", err)
	}
}

// TestDynamicBatch checks the rewrite's structure; the engine tests check
// that a batch gives the same answers as its images one at a time.
func TestDynamicBatch(t *testing.T) {
	dir := visiontest.Dir(t)
	for _, name := range []string{models.FaceFront, models.FaceBack} {
		raw, err := models.Read(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := models.DynamicBatch(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := string(out)
		for _, gone := range []string{"ConstantOfShape"} {
			if strings.Contains(s, gone) {
				t.Errorf("%s: %s left in the graph", name, gone)
			}
		}
		if strings.Count(s, "Pad") < 10 || !strings.Contains(s, "input:0") {
			t.Errorf("%s: paddings not rewritten to Pad", name)
		}
		if len(out) > len(raw)+4096 || len(out) < len(raw)/2 {
			t.Errorf("%s: %d bytes from %d", name, len(out), len(raw))
		}
		again, err := models.DynamicBatch(out)
		if err != nil || string(again) != s {
			t.Errorf("%s: rewriting twice changes the model again (%v)", name, err)
		}
	}
}
