// Command pixmill-vision is the smart-crop sidecar: face boxes (BlazeFace)
// and a saliency region (spectral residual) for a small preview, over HTTP on
// loopback or a unix socket, with ONNX Runtime on CUDA where it works and on
// the CPU otherwise. docs/vision.md describes it.
//
//	pixmill-vision --listen 127.0.0.1:8091 [--providers cuda,cpu] [--max-batch auto] [--max-wait auto]
//	               [--models DIR] [--ort-lib PATH] [--model full] [--threads 0]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/pixmill/pixmill/internal/tracing"
	"github.com/pixmill/pixmill/vision/engine"
	"github.com/pixmill/pixmill/vision/models"
	"github.com/pixmill/pixmill/vision/sidecar"
)

var version = "dev"

type options struct {
	listen, providers, models, ortLib, faceModels, logLevel string
	maxBatch, threads, queue, maxRequests, decoders         int
	maxWait                                                 time.Duration
	faceMinScore                                            float64
}

func main() {
	var o options
	fs := flag.NewFlagSet("pixmill-vision", flag.ExitOnError)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8091", "address: HOST:PORT, or unix:/path/to.sock")
	fs.StringVar(&o.providers, "providers", "cuda,cpu", "execution providers in order of preference; the first that works runs the models")
	o.maxWait = -1 // auto
	fs.Func("max-batch", "most previews per model run, or auto (cpu: 1, cuda: 16) (default auto)", func(v string) error {
		if v == "auto" {
			o.maxBatch = 0
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New("want a number >= 1 or auto")
		}
		o.maxBatch = n
		return nil
	})
	fs.Func("max-wait", "how long a batch waits for more previews after its first, or auto (cpu: 0, cuda: 2ms) (default auto)", func(v string) error {
		if v == "auto" {
			o.maxWait = -1
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return errors.New("want a duration >= 0 or auto")
		}
		o.maxWait = d
		return nil
	})
	fs.IntVar(&o.queue, "queue", sidecar.DefaultQueue, "previews that may wait for a batch before the sidecar answers 503")
	fs.IntVar(&o.maxRequests, "max-requests", 0, "analyze requests in the sidecar at once; more are answered 503 before their bodies are read (0: queue + max-batch)")
	fs.IntVar(&o.decoders, "decoders", 0, "admitted requests reading and decoding their previews at once (0: one per core)")
	fs.StringVar(&o.models, "models", "", "directory of the fetched models and runtime (default: vision/ next to the binary, as make vision puts it)")
	fs.StringVar(&o.ortLib, "ort-lib", "", "libonnxruntime.so.1 to load (default: MODELS/cuda/ when the CUDA route is fetched and cuda is listed first, else MODELS/)")
	faceHelp := "face detectors to run, comma-separated: full (MediaPipe full-range at 320 px), full-SIZE (SIZE a multiple of 32, 128-640), back (BlazeFace 256 px, [0,1] input), back-signed (the same at [-1,1]), front (128 px)"
	fs.StringVar(&o.faceModels, "model", strings.Join(engine.DefaultFaceModels, ","), faceHelp)
	fs.StringVar(&o.faceModels, "face-models", strings.Join(engine.DefaultFaceModels, ","), "the same as --model (the older name)")
	fs.Float64Var(&o.faceMinScore, "face-min-score", 0, "override every face model's score cut-off (0: each model's chosen one)")
	fs.IntVar(&o.threads, "threads", 0, "ONNX Runtime intra-op threads (0: one per core)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	showVersion := fs.Bool("version", false, "print the version and exit")
	_ = fs.Parse(os.Args[1:])
	if *showVersion {
		fmt.Println("pixmill-vision", version)
		return
	}
	if err := run(o); err != nil {
		slog.Error("pixmill-vision", "err", err)
		os.Exit(1)
	}
}

func run(o options) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	providers := splitList(o.providers)
	if o.models == "" {
		o.models = models.DefaultDir()
	}
	if o.ortLib == "" {
		o.ortLib = filepath.Join(o.models, models.RuntimeLib)
		cuda := filepath.Join(o.models, models.CUDADir, models.RuntimeLib)
		if len(providers) > 0 && providers[0] == engine.ProviderCUDA && models.Present(filepath.Dir(cuda), models.RuntimeLib) {
			o.ortLib = cuda
		}
	}
	eng, err := engine.Open(engine.Config{
		Lib: o.ortLib, ModelsDir: o.models, Providers: providers,
		FaceModels: splitList(o.faceModels), FaceMinScore: o.faceMinScore, Threads: o.threads, Logger: log,
	})
	if err != nil {
		return err
	}
	defer eng.Close()

	stopTracing, err := tracing.Setup(context.Background(), "pixmill-vision")
	if err != nil {
		return err
	}
	defer tracing.Stop(stopTracing, log) // runs after the server's shutdown: the last spans are flushed
	if tracing.On() {
		log.Info("tracing on: spans exported over OTLP HTTP (OTEL_* environment)")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := sidecar.New(eng, sidecar.Config{
		MaxBatch: o.maxBatch, MaxWait: o.maxWait, Queue: o.queue,
		MaxRequests: o.maxRequests, Decoders: o.decoders, Registry: reg, Logger: log,
	})
	defer srv.Close()

	ln, err := listen(o.listen)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	maxBatch, maxWait := srv.Batching()
	log.Info("pixmill-vision: serving", "listen", o.listen, "provider", eng.Provider(), "max_batch", maxBatch,
		"max_wait", maxWait, "version", version)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("pixmill-vision: shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(shutCtx)
}

// listen opens HOST:PORT, or unix:/path (replacing a stale socket file).
func listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(path)
		}
		return net.Listen("unix", path)
	}
	return net.Listen("tcp", addr)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(strings.ToLower(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}
