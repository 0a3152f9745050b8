package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/pixmill/pixmill/vision"
	"github.com/pixmill/pixmill/vision/blazeface"
	"github.com/pixmill/pixmill/vision/models"
	"github.com/pixmill/pixmill/vision/preview"
	"github.com/pixmill/pixmill/vision/saliency"
)

// Face models by name, for Config.FaceModels.
const (
	FaceFront = "front" // 128x128, faces near the camera
	FaceBack  = "back"  // 256x256, smaller faces (groups, wide shots)
)

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
	Logger  *slog.Logger
}

// Engine holds one ORT session per model. Run is safe for concurrent use,
// though the sidecar calls it from one batching goroutine.
type Engine struct {
	provider string
	faces    []*faceModel
	sal      *ort.DynamicAdvancedSession
}

type faceModel struct {
	name string
	dec  blazeface.Decoder
	sess *ort.DynamicAdvancedSession
}

// faceNorm is the detectors' input range: [0, 1], what Unity feeds this
// conversion, not MediaPipe's [-1, 1]. Measured on the corpus (back model):
// with [0, 1] the 15 faces score 0.72-0.94 and the best non-face 0.68; with
// [-1, 1] the faces score 0.69-0.94 and a non-face 0.68, with twice as many
// stray low-score boxes. docs/vision.md has the table.
var faceNorm = preview.Norm{Scale: 1.0 / 255}

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
		file, dec, err := faceSpec(name)
		if err != nil {
			return nil, err
		}
		raw, err := models.Read(cfg.ModelsDir, file)
		if err != nil {
			return nil, err
		}
		batched, err := models.DynamicBatch(raw)
		if err != nil {
			return nil, fmt.Errorf("engine: %s: %w", file, err)
		}
		outs := []string{blazeface.ScoreOutputs[0], blazeface.ScoreOutputs[1], blazeface.BoxOutputs[0], blazeface.BoxOutputs[1]}
		specs = append(specs, sessionSpec{name: file, onnx: batched, inputs: []string{blazeface.InputName}, outputs: outs})
		faces = append(faces, &faceModel{name: name, dec: dec})
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

// DefaultFaceModels is the back (256 px) detector alone: on the corpus it
// finds every face the front model finds plus the small ones of group
// photos that the front model misses (3 of 15), at about 3x its cost; adding the
// front model finds nothing more. docs/vision.md has the measurements.
var DefaultFaceModels = []string{FaceBack}

func faceSpec(name string) (string, blazeface.Decoder, error) {
	switch name {
	case FaceFront:
		return models.FaceFront, blazeface.Decoder{Size: 128, MinScore: 0.5, IoU: 0.3}, nil
	case FaceBack:
		// 0.7 rather than MediaPipe's 0.65: it separates the corpus' faces
		// (>= 0.72) from its best non-face (0.68, a boat at dusk).
		return models.FaceBack, blazeface.Decoder{Size: 256, MinScore: 0.7, IoU: 0.3}, nil
	}
	return "", blazeface.Decoder{}, fmt.Errorf("engine: unknown face model %q (want front or back)", name)
}

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
		t := make([]float32, f.dec.Size*f.dec.Size*3)
		j.lbs = append(j.lbs, preview.LetterboxInto(t, img, f.dec.Size, faceNorm))
		j.face = append(j.face, t)
	}
	preview.StretchInto(j.sal, img, saliency.Size, preview.Norm{Scale: 1.0 / 255})
	return j
}
