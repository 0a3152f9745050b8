package engine_test

import (
	"log/slog"
	"os"
	"testing"

	"github.com/pixmill/pixmill/vision/engine"
	"github.com/pixmill/pixmill/vision/visiontest"
)

func testingCUDA() bool { return os.Getenv(visiontest.CUDAEnv) == "1" }

// TestCUDA runs the models on the GPU. It needs a CUDA 13 machine (cuBLAS
// and cuDNN on LD_LIBRARY_PATH) and the CUDA route fetched:
//
//	scripts/vision-fetch.sh --cuda
//	PIXMILL_VISION_CUDA=1 go test ./vision/engine -run CUDA -v
//
// It covers the CUDA code path: appendCUDA (the CUDA provider options and
// AppendExecutionProviderCUDA), session creation and the warm-up run on
// the CUDA provider in tryProvider/openOn, and batched inference of the
// dynamic-batch BlazeFace and the spectral residual DFT graph on the GPU,
// which must agree with the CPU. Without the variable it skips.
func TestCUDA(t *testing.T) {
	if !testingCUDA() {
		t.Skip("no GPU here: set " + visiontest.CUDAEnv + "=1 on a CUDA 13 machine after scripts/vision-fetch.sh --cuda")
	}
	gpu, err := engine.Open(engine.Config{
		Lib: visiontest.Lib(t), ModelsDir: visiontest.Dir(t), Providers: []string{engine.ProviderCUDA},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		t.Fatalf("CUDA provider: %v", err)
	}
	defer gpu.Close()
	if gpu.Provider() != engine.ProviderCUDA {
		t.Fatalf("provider %s", gpu.Provider())
	}
	cpu := visiontest.Engine(t)
	var files []string
	for _, c := range faceCases {
		files = append(files, c.file)
	}
	onGPU := analyze(t, gpu, files...) // one batch of every case
	onCPU := analyze(t, cpu, files...)
	for i, c := range faceCases {
		if n := len(onGPU[i].Faces); n < c.faces || n > c.faces+c.extra {
			t.Errorf("%s on CUDA: %d faces, want %d (+%d)", c.file, n, c.faces, c.extra)
		}
		if !sameBoxes(onGPU[i].Faces, onCPU[i].Faces, 5e-3) {
			t.Errorf("%s: CUDA %v, CPU %v", c.file, onGPU[i].Faces, onCPU[i].Faces)
		}
	}
}
