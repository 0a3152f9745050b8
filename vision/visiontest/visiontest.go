// Package visiontest starts a real vision sidecar for tests: the ONNX
// Runtime library and the models that `make vision` (or `make test`, through
// vision-test-deps) fetched into bin/vision, served over loopback HTTP. A
// test that cannot have them is skipped outside CI and fails in CI
// (CI=true), as STYLE.md asks.
package visiontest

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/testcorpus"
	"github.com/pixmill/pixmill/vision/engine"
	"github.com/pixmill/pixmill/vision/models"
	"github.com/pixmill/pixmill/vision/preview"
	"github.com/pixmill/pixmill/vision/sidecar"
)

// Unavailable skips the test outside CI and fails it in CI.
var Unavailable = testcorpus.Unavailable

// Dir returns the directory holding the fetched runtime and models.
func Dir(t testing.TB) string {
	t.Helper()
	dir := models.DefaultDir()
	for _, f := range []string{models.RuntimeLib, models.FaceFront, models.FaceBack, models.FaceFull} {
		if !models.Present(dir, f) {
			Unavailable(t, "vision: %s missing: run `make vision` (or scripts/vision-fetch.sh)", filepath.Join(dir, f))
		}
	}
	return dir
}

// CUDAEnv names the environment variable that turns the CUDA tests on
// (PIXMILL_VISION_CUDA=1): they need a CUDA 13 GPU machine and
// `scripts/vision-fetch.sh --cuda`.
const CUDAEnv = "PIXMILL_VISION_CUDA"

// Lib is the ONNX Runtime library the tests load. ORT is one per process,
// so with CUDAEnv set every test uses the CUDA route's library (which runs
// the CPU provider too), and the CUDA test can compare the two providers.
func Lib(t testing.TB) string {
	dir := Dir(t)
	if os.Getenv(CUDAEnv) == "1" {
		lib := filepath.Join(dir, models.CUDADir, models.RuntimeLib)
		if !models.Present(filepath.Dir(lib), models.RuntimeLib) {
			t.Fatalf("%s=1 but %s is missing: run scripts/vision-fetch.sh --cuda", CUDAEnv, lib)
		}
		return lib
	}
	return filepath.Join(dir, models.RuntimeLib)
}

var (
	engMu   sync.Mutex
	engines = map[string]*engine.Engine{}
)

// Engine returns a CPU engine with the default face models, opened once per
// test binary (opening costs ~0.5 s; ONNX Runtime is process-wide anyway).
func Engine(t testing.TB) *engine.Engine {
	return EngineWith(t, engine.DefaultFaceModels...)
}

// EngineWith is Engine with a chosen set of face models.
func EngineWith(t testing.TB, faceModels ...string) *engine.Engine {
	t.Helper()
	dir := Dir(t)
	key := filepath.Join(faceModels...)
	engMu.Lock()
	defer engMu.Unlock()
	if e := engines[key]; e != nil {
		return e
	}
	e, err := engine.Open(engine.Config{
		Lib: Lib(t), ModelsDir: dir, Providers: []string{benchProvider()}, FaceModels: faceModels,
		Logger: slog.New(slog.DiscardHandler),
	})
	if errors.Is(err, models.ErrMissing) {
		Unavailable(t, "vision: %v", err)
	}
	if err != nil {
		t.Fatalf("vision: opening the engine: %v", err)
	}
	engines[key] = e
	return e
}

// benchProvider is the provider the shared engines run on: the CPU, or
// CUDA when scripts/gpu-check.sh sets PIXMILL_BENCH_PROVIDER=cuda for its
// benchmarks.
func benchProvider() string {
	if os.Getenv("PIXMILL_BENCH_PROVIDER") == engine.ProviderCUDA {
		return engine.ProviderCUDA
	}
	return engine.ProviderCPU
}

// Start serves a sidecar on 127.0.0.1 with the shared CPU engine and the
// given batching policy (zero values: the sidecar's defaults), and returns
// its base URL; it stops in t.Cleanup.
func Start(t testing.TB, cfg sidecar.Config) string {
	return StartStoppable(t, cfg).URL
}

// Sidecar is a real sidecar that a test can stop and start again on the
// same address, as an operator's restart or a crash would.
type Sidecar struct {
	URL  string
	t    testing.TB
	cfg  sidecar.Config
	addr string
	srv  *sidecar.Server
	hs   *http.Server
}

// StartStoppable is Start, returning the Sidecar so the test can Stop and
// Start it; it stops in t.Cleanup.
func StartStoppable(t testing.TB, cfg sidecar.Config) *Sidecar {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Sidecar{t: t, cfg: cfg, addr: "127.0.0.1:0"}
	s.Start()
	s.URL = "http://" + s.addr
	t.Cleanup(s.Stop)
	return s
}

// Start serves the sidecar (again) on its address.
func (s *Sidecar) Start() {
	s.t.Helper()
	if s.hs != nil {
		return
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("vision: listen: %v", err)
	}
	s.addr = ln.Addr().String()
	s.srv = sidecar.New(Engine(s.t), s.cfg)
	hs := &http.Server{Handler: s.srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	s.hs = hs
	go func() { _ = hs.Serve(ln) }()
}

// Stop closes the listener and every connection: from now on connections
// to URL are refused.
func (s *Sidecar) Stop() {
	if s.hs == nil {
		return
	}
	_ = s.hs.Close()
	s.srv.Close()
	s.hs, s.srv = nil, nil
}

// CorpusPath finds a file of the shared corpus (see testcorpus).
var CorpusPath = testcorpus.Path

// Preview decodes a corpus image and shrinks it to a long side of 320 px,
// the preview the server sends.
func Preview(t testing.TB, rel string) preview.Image {
	t.Helper()
	b, err := os.ReadFile(CorpusPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	img, err := preview.Decode(b, 1<<15)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return preview.Downscale(img, PreviewSide)
}

// PreviewSide is the long side of the previews the tests send.
const PreviewSide = 320
