// Package engine runs the sidecar's models with ONNX Runtime (through
// github.com/yalue/onnxruntime_go, which loads libonnxruntime.so.1 by path):
// the BlazeFace detectors and the spectral residual saliency graph, on the
// first execution provider from the configured list that works.
package engine

import (
	"fmt"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// Provider names accepted in Config.Providers.
const (
	ProviderCUDA = "cuda"
	ProviderCPU  = "cpu"
)

var (
	envMu   sync.Mutex
	envPath string // the library the process-wide ORT environment was made from
)

// initRuntime loads the ONNX Runtime library once per process. ORT has one
// environment per process, so a second engine must name the same library.
func initRuntime(lib string) error {
	envMu.Lock()
	defer envMu.Unlock()
	if ort.IsInitialized() {
		if lib != envPath {
			return fmt.Errorf("engine: ONNX Runtime already loaded from %s, not %s", envPath, lib)
		}
		return nil
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("engine: loading ONNX Runtime %s: %w", lib, err)
	}
	envPath = lib
	return nil
}

// RuntimeVersion is the loaded library's version ("1.24.1"), or "" before any
// engine is open.
func RuntimeVersion() string {
	if !ort.IsInitialized() {
		return ""
	}
	return ort.GetVersion()
}

// sessionSpec is one model to load: its bytes and tensor names.
type sessionSpec struct {
	name    string
	onnx    []byte
	inputs  []string
	outputs []string
}

// tryProvider creates every session on provider p. A CUDA provider that is
// missing (CPU-only library), cannot load (no cuBLAS, no driver) or finds no
// GPU fails here, and Open tries the next provider.
func tryProvider(p string, threads int, specs []sessionSpec) ([]*ort.DynamicAdvancedSession, error) {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	if threads > 0 {
		if err := opts.SetIntraOpNumThreads(threads); err != nil {
			return nil, err
		}
	}
	// ORT's pool threads spin between runs by default, burning cores that
	// the server's libvips (or the next request's decoding) needs: two
	// concurrent callers got 41 previews/s with spinning, 62 without.
	if err := opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		return nil, err
	}
	switch strings.ToLower(p) {
	case ProviderCPU:
	case ProviderCUDA:
		if err := appendCUDA(opts); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown execution provider %q (want cuda or cpu)", p)
	}
	var sessions []*ort.DynamicAdvancedSession
	for _, s := range specs {
		sess, err := ort.NewDynamicAdvancedSessionWithONNXData(s.onnx, s.inputs, s.outputs, opts)
		if err != nil {
			for _, done := range sessions {
				done.Destroy()
			}
			return nil, fmt.Errorf("session %s: %w", s.name, err)
		}
		sessions = append(sessions, sess)
	}
	return sessions, nil
}

// appendCUDA adds the CUDA execution provider (device 0). This is the only
// CUDA-specific code: ORT then places every node it can on the GPU. It fails
// here when the library has no CUDA provider next to it
// (libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so),
// or when that provider cannot load its own dependencies (libcublasLt.so.13,
// libcudnn); session creation fails when no GPU answers.
func appendCUDA(opts *ort.SessionOptions) error {
	cuda, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return err
	}
	defer cuda.Destroy()
	if err := cuda.Update(map[string]string{"device_id": "0"}); err != nil {
		return err
	}
	return opts.AppendExecutionProviderCUDA(cuda)
}
