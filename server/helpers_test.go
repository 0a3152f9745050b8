package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/app"
	"github.com/pixmill/pixmill/internal/config"
	"github.com/pixmill/pixmill/internal/testcorpus"
)

// testServer is a real pixmill server on loopback, built from a config file
// the test wrote, exactly as `pixmill serve --config` builds it.
type testServer struct {
	URL        string // http://127.0.0.1:PORT
	MetricsURL string
	App        *app.App
	stop       func()
}

// Stop shuts the server down now, as a deploy does (queued store writes
// finish first); the test's end does it otherwise.
func (s *testServer) Stop() { s.stop() }

// startServer writes configYAML to a file, loads it like the CLI does, and
// serves it on 127.0.0.1:0 until the test ends.
func startServer(t testing.TB, configYAML string) *testServer {
	t.Helper()
	return startServerWith(t, configYAML, app.Options{})
}

// startServerWith is startServer with app options (an injected resolver).
func startServerWith(t testing.TB, configYAML string, opts app.Options) *testServer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("PIXMILL_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.NewWith(ctx, cfg, log, opts)
	if err != nil {
		cancel()
		t.Fatalf("app: %v", err)
	}
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	met, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, pub, met, 5*time.Second) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Error("server did not shut down within 10s")
			}
			_ = a.Close()
		})
	}
	t.Cleanup(stop)
	return &testServer{URL: "http://" + pub.Addr().String(), MetricsURL: "http://" + met.Addr().String() + "/metrics", App: a, stop: stop}
}

// get sends a GET with optional header pairs and returns the response with
// its body read.
func (s *testServer) get(t testing.TB, path string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", path, err)
	}
	return resp, body
}

// sign signs "/{transform}/{key}" with the server's own parser.
func (s *testServer) sign(t testing.TB, path string) string {
	t.Helper()
	p, err := s.App.Parser.Sign(path)
	if err != nil {
		t.Fatalf("sign %s: %v", path, err)
	}
	return p
}

// corpusDir is the shared corpus (see testcorpus).
func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

// samplesDir is the bundled sample images.
func samplesDir(t testing.TB) string {
	abs, err := filepath.Abs(filepath.Join("..", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

const testKey = "test-signing-key-0123456789"
