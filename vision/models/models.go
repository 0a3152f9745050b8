// Package models knows where the sidecar's fetched files live, what their
// sha256 must be, and how to load a BlazeFace model so that it takes a batch.
// Pure Go: it reads bytes, ONNX Runtime is the engine package's.
package models

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Files fetched by scripts/vision-fetch.sh, relative to the vision directory.
const (
	RuntimeLib = "libonnxruntime.so.1"
	FaceFront  = "face_detection_front_128x128_barracuda.onnx"
	FaceBack   = "face_detection_back_256x256_barracuda.onnx"
	// FaceFull and FaceShort are converted by vision/models/convert from
	// MediaPipe's TFLite files (FaceShort only for the converter's test).
	FaceFull  = "face_detection_full_range.onnx"
	FaceShort = "face_detection_short_range.onnx"
	CUDADir   = "cuda" // the CUDA route: core library and provider libraries
)

//go:embed models.sha256
var sumsFile []byte

// Pinned returns the pinned sha256 (hex) of a fetched file, by its path
// relative to the vision directory.
func Pinned(name string) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(sumsFile))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && !strings.HasPrefix(f[0], "#") && f[1] == name {
			return f[0], true
		}
	}
	return "", false
}

// ErrMissing wraps every "not fetched yet" error, so that tests can tell a
// machine without `make vision` from a broken file.
var ErrMissing = errors.New("not fetched (run make vision)")

// Read reads a fetched file and checks its pinned sha256.
func Read(dir, name string) ([]byte, error) {
	want, ok := Pinned(name)
	if !ok {
		return nil, fmt.Errorf("models: %s has no pinned sha256", name)
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("models: %s: %w", filepath.Join(dir, name), ErrMissing)
	}
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, fmt.Errorf("models: %s: sha256 %s, pinned %s", filepath.Join(dir, name), got, want)
	}
	return b, nil
}

// Present reports whether a fetched file exists (without hashing it).
func Present(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// DefaultDir is where the sidecar looks when --models is not given:
// $PIXMILL_VISION_DIR, else vision/ next to the executable (bin/vision for
// bin/pixmill-vision, where `make vision` puts it), else bin/vision in the
// source tree that holds the working directory (for `go run` and tests).
func DefaultDir() string {
	if d := os.Getenv("PIXMILL_VISION_DIR"); d != "" {
		return d
	}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Join(filepath.Dir(exe), "vision")
		if Present(d, RuntimeLib) {
			return d
		}
	}
	if root, ok := SourceRoot(); ok {
		return filepath.Join(root, "bin", "vision")
	}
	return filepath.Join("bin", "vision")
}

// SourceRoot walks up from the working directory to the pixmill module
// root, for tests and `go run` in the source tree.
func SourceRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/pixmill/pixmill\n")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
