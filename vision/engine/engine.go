package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/pixmill/pixmill/vision"
	"github.com/pixmill/pixmill/vision/blazeface"
	"github.com/pixmill/pixmill/vision/models"
	"github.com/pixmill/pixmill/vision/preview"
	"github.com/pixmill/pixmill/vision/saliency"
)

// Face models by name, for Config.FaceModels.
const (
	FaceFront      = "front"       // BlazeFace front, 128x128, [0, 1] input: faces near the camera
	FaceBack       = "back"        // BlazeFace back, 256x256, [0, 1] input (the first default)
	FaceBackSigned = "back-signed" // the same at MediaPipe's [-1, 1] input range
	FaceFull       = "full"        // MediaPipe full-range at FullDefaultSize px
	// "full-256", "full-320", "full-384" (any multiple of 32 from 128 to
	// 640) run the full-range model at that input size.
	FaceFullPrefix = "full-"
)

// FullDefaultSize is the input side "full" runs at.
const FullDefaultSize = 320

// Config says what to load and where to run it.
type Config struct {
	// Lib is libonnxruntime.so.1; empty means ModelsDir's.
	Lib string
	// ModelsDir holds the fetched models (bin/vision).
	ModelsDir string
	// Providers in order of preference: "cuda", "cpu".
	Providers []string
	// FaceModels to run, each on every preview; detections are merged.
	FaceModels []string
	// Threads is ORT's intra-op thread count; 0 lets ORT use every core.
	Threads int
	// FaceMinScore overrides every face model's score cut-off when > 0
	// (for measuring; the defaults are each model's chosen threshold).
	FaceMinScore float64
	Logger       *slog.Logger
}

// Engine holds one ORT session per model. Run is safe for concurrent use,
// though the sidecar calls it from one batching goroutine.
type Engine struct {
	provider string
	faces    []*faceModel
	sal      *ort.DynamicAdvancedSession
}

// faceModel is one detector: the two-head BlazeFace models (front, back)
// decode with dec, the full-range model with grid.
type faceModel struct {
	name string
	file string
	size int
	norm preview.Norm
	dec  blazeface.Decoder
	grid *blazeface.GridDecoder
	sess *ort.DynamicAdvancedSession
}

// Input ranges. The Barracuda conversions of the front and back models were
// chosen at [0, 1] (what Unity feeds them) on detector-labelled faces;
// MediaPipe's own range is [-1, 1], which the full-range model and
// back-signed use. docs/smart-crop.md compares them on faces labelled by eye.
var (
	unitNorm   = preview.Norm{Scale: 1.0 / 255}
	signedNorm = preview.Norm{Scale: 2.0 / 255, Offset: -1}
)

// Open loads the runtime and the models and picks the execution provider.
func Open(cfg Config) (*Engine, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Lib == "" {
		cfg.Lib = filepath.Join(cfg.ModelsDir, models.RuntimeLib)
	}
	if len(cfg.Providers) == 0 {
		cfg.Providers = []string{ProviderCUDA, ProviderCPU}
	}
	if len(cfg.FaceModels) == 0 {
		cfg.FaceModels = DefaultFaceModels
	}
	if !filepathExists(cfg.Lib) {
		return nil, fmt.Errorf("engine: ONNX Runtime library %s: %w", cfg.Lib, models.ErrMissing)
	}
	if err := initRuntime(cfg.Lib); err != nil {
		return nil, err
	}
	var specs []sessionSpec
	var faces []*faceModel
	for _, name := range cfg.FaceModels {
		fm, err := faceSpec(name)
		if err != nil {
			return nil, err
		}
		if cfg.FaceMinScore > 0 {
			fm.dec.MinScore = cfg.FaceMinScore
			if fm.grid != nil {
				fm.grid.MinScore = cfg.FaceMinScore
			}
		}
		raw, err := models.Read(cfg.ModelsDir, fm.file)
		if err != nil {
			return nil, err
		}
		if fm.grid != nil {
			// The converter exports a dynamic batch and input size already.
			specs = append(specs, sessionSpec{name: fm.file, onnx: raw, inputs: []string{FullInput}, outputs: FullOutputs[:]})
		} else {
			batched, err := models.DynamicBatch(raw)
			if err != nil {
				return nil, fmt.Errorf("engine: %s: %w", fm.file, err)
			}
			outs := []string{blazeface.ScoreOutputs[0], blazeface.ScoreOutputs[1], blazeface.BoxOutputs[0], blazeface.BoxOutputs[1]}
			specs = append(specs, sessionSpec{name: fm.file, onnx: batched, inputs: []string{blazeface.InputName}, outputs: outs})
		}
		faces = append(faces, fm)
	}
	specs = append(specs, sessionSpec{name: "spectral_residual.onnx", onnx: saliency.Model,
		inputs: []string{saliency.InputName}, outputs: []string{saliency.OutputName}})
	// The first provider whose sessions open and complete a warm-up run
	// wins. The warm-up also pays the first run's planning (~0.3 s on the
	// CPU) here rather than in the first request, and catches a CUDA
	// provider whose libraries load but fail on first use.
	var errs []error
	var e *Engine
	for _, p := range cfg.Providers {
		var err error
		if e, err = openOn(p, cfg.Threads, specs, faces); err == nil {
			break
		}
		log.Info("vision: execution provider unavailable, trying the next", "provider", p, "err", err)
		errs = append(errs, fmt.Errorf("%s: %w", p, err))
	}
	if e == nil {
		return nil, fmt.Errorf("engine: no execution provider works: %w", errors.Join(errs...))
	}
	provider := e.provider
	log.Info("vision: models loaded", "provider", provider, "runtime", ort.GetVersion(), "lib", cfg.Lib,
		"face_models", cfg.FaceModels, "threads", cfg.Threads)
	return e, nil
}

// openOn opens every session on provider p and runs a warm-up batch.
func openOn(p string, threads int, specs []sessionSpec, faces []*faceModel) (*Engine, error) {
	sessions, err := tryProvider(p, threads, specs)
	if err != nil {
		return nil, err
	}
	e := &Engine{provider: p, sal: sessions[len(sessions)-1]}
	for i, f := range faces {
		fm := *f
		fm.sess = sessions[i]
		e.faces = append(e.faces, &fm)
	}
	if err := e.Run([]*Job{e.Prepare(preview.Image{W: 8, H: 8, Pix: make([]byte, 8*8*3)})}); err != nil {
		e.Close()
		return nil, fmt.Errorf("warm-up run: %w", err)
	}
	return e, nil
}

// DefaultFaceModels is the full-range detector at 320 px with the back model
// at [-1, 1] beside it: on faces labelled by eye the full-range model finds
// the profile, downcast and small faces the back model misses (31 of 31
// faces together, 0.93 of the small-face mosaics), the back model the faces
// turned sideways or upside down by EXIF orientation that the full-range
// model misses, and neither puts a box on the no-face photos at its own
// cut-off. docs/smart-crop.md has the comparison.
var DefaultFaceModels = []string{FaceFull, FaceBackSigned}

// Tensor names of the converted full-range model.
var (
	FullInput   = "input"
	FullOutputs = [2]string{"reshaped_classifier_face_4", "reshaped_regressor_face_4"}
)

func faceSpec(name string) (*faceModel, error) {
	switch name {
	case FaceFront:
		return &faceModel{name: name, file: models.FaceFront, size: 128, norm: unitNorm,
			dec: blazeface.Decoder{Size: 128, MinScore: 0.5, IoU: 0.3}}, nil
	case FaceBack:
		// 0.7 rather than MediaPipe's 0.65: it separated the detector-labelled
		// faces (>= 0.72) from the best non-face (0.68, a boat at dusk).
		return &faceModel{name: name, file: models.FaceBack, size: 256, norm: unitNorm,
			dec: blazeface.Decoder{Size: 256, MinScore: 0.7, IoU: 0.3}}, nil
	case FaceBackSigned:
		return &faceModel{name: name, file: models.FaceBack, size: 256, norm: signedNorm,
			dec: blazeface.Decoder{Size: 256, MinScore: BackSignedMinScore, IoU: 0.3}}, nil
	}
	size := 0
	if name == FaceFull {
		size = FullDefaultSize
	} else if v, ok := strings.CutPrefix(name, FaceFullPrefix); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 128 || n > 640 || n%32 != 0 {
			return nil, fmt.Errorf("engine: face model %q: the size must be a multiple of 32 from 128 to 640", name)
		}
		size = n
	}
	if size == 0 {
		return nil, fmt.Errorf("engine: unknown face model %q (want full, full-SIZE, back, back-signed or front)", name)
	}
	return &faceModel{name: name, file: models.FaceFull, size: size, norm: signedNorm,
		grid: &blazeface.GridDecoder{Size: size, MinScore: FullMinScore, IoU: 0.3}}, nil
}

// Score cut-offs chosen on the independent labels (docs/smart-crop.md).
const (
	FullMinScore       = 0.5
	BackSignedMinScore = 0.68
)

// Provider is the execution provider the models run on: "cuda" or "cpu".
func (e *Engine) Provider() string { return e.provider }

// Close releases the sessions (the process-wide runtime stays loaded).
func (e *Engine) Close() {
	for _, f := range e.faces {
		f.sess.Destroy()
	}
	e.sal.Destroy()
}

// Job is one preview prepared for the models, and then their answer.
type Job struct {
	face [][]float32 // per face model: NHWC size x size x 3
	lbs  []preview.Letterbox
	sal  []float32 // NHWC 64 x 64 x 3

	// Faces in fractions of the preview, best first.
	Faces []vision.Box
	// Saliency is the 64 x 64 saliency map, row-major, in [0, 1].
	Saliency []float32
}

// Prepare resizes a preview for every model. It is the CPU-heavy half of
// the per-request work that does not need ORT, so callers run it in their
// own goroutine before queueing the job for a batch.
func (e *Engine) Prepare(img preview.Image) *Job {
	j := &Job{sal: make([]float32, saliency.Size*saliency.Size*3)}
	for _, f := range e.faces {
		t := make([]float32, f.size*f.size*3)
		j.lbs = append(j.lbs, preview.LetterboxInto(t, img, f.size, f.norm))
		j.face = append(j.face, t)
	}
	preview.StretchInto(j.sal, img, saliency.Size, preview.Norm{Scale: 1.0 / 255})
	return j
}
