package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/testcorpus"
	"github.com/pixmill/pixmill/presets"
)

const key = "cli-test-signing-key-000001"

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSignSrcsetVersion(t *testing.T) {
	cfg := writeConfig(t, `
signing: { keys: ["`+key+`"] }
presets:
  thumb: { transform: "w=200,h=200,fit=cover", widths: [100, 200], public: true }
  hero:  { transform: "w=1600,h=900,fit=cover", widths: [320, 640] }
`)
	heroSig := func(w string) string {
		return "/" + presets.Signature([]byte(key), "/hero,w="+w+"/a%20b.jpg", 16) + "/hero,w=" + w + "/a%20b.jpg"
	}
	tests := []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{"sign", []string{"sign", "--config", cfg, "/w=400,f=webp/photos/cat.jpg"},
			"/" + presets.Signature([]byte(key), "/w=400,f=webp/photos/cat.jpg", 16) + "/w=400,f=webp/photos/cat.jpg\n", ""},
		{"sign refuses a bad transform", []string{"sign", "--config", cfg, "/wdth=400/cat.jpg"}, "", `unknown option "wdth"`},
		{"sign needs a path", []string{"sign", "--config", cfg}, "", "one path"},
		{"srcset public", []string{"srcset", "--config", cfg, "--preset", "thumb", "a b.jpg"},
			"/_/thumb,w=100/a%20b.jpg 100w, /_/thumb,w=200/a%20b.jpg 200w\n", ""},
		{"srcset signed", []string{"srcset", "--config", cfg, "--preset", "hero", "a b.jpg"},
			heroSig("320") + " 320w, " + heroSig("640") + " 640w\n", ""},
		{"srcset unknown preset", []string{"srcset", "--config", cfg, "--preset", "nope", "a.jpg"}, "", "nope"},
		{"unknown command", []string{"frobnicate"}, "", "unknown command"},
		{"bad config", []string{"sign", "--config", writeConfig(t, "limits: { queue: -1 }"), "/w=1/a.jpg"}, "", "limits.queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(tt.args, &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("output\n%q\nwant\n%q", out.String(), tt.want)
			}
		})
	}
	var out bytes.Buffer
	if err := run([]string{"version"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "libvips 8.") {
		t.Errorf("version: %q, %v", out.String(), err)
	}
}

// TestServeGracefulShutdown runs the real binary, sends SIGTERM while a
// request is being rendered, and checks that the request still completes,
// that new connections are refused, and that the process exits 0.
func TestServeGracefulShutdown(t *testing.T) {
	testcorpus.Path(t, "photos/kleiber_bird_20mp.jpg")
	corpus := testcorpus.Dir(t)
	bin := buildBinary(t)
	addr := freeAddr(t)
	cfg := writeConfig(t, `
listen: "`+addr+`"
metrics_listen: ""
source: { url: "file://`+corpus+`" }
signing: { keys: ["`+key+`"] }
`)
	cmd := exec.Command(bin, "serve", "--config", cfg)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	base := "http://" + addr
	waitHealthy(t, base)
	// The corpus holds none of the sample images: no example URL would
	// work, so none is printed (see TestExamplesOnlyForKeysThatExist).
	if strings.Contains(logs.String(), "example URLs:") {
		t.Errorf("start-up printed example URLs for samples the source does not hold:\n%s", logs.String())
	}

	// A 20 MP photo to 1600 px AVIF takes a while: long enough to be in flight.
	path := "/w=1600,f=avif/photos/kleiber_bird_20mp.jpg"
	path = "/" + presets.Signature([]byte(key), path, 16) + path
	type result struct {
		status int
		n      int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + path)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, len(b), err}
	}()
	time.Sleep(150 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.status != 200 || r.n == 0 {
		t.Fatalf("in-flight request: status %d, %d bytes, err %v\nlogs:\n%s", r.status, r.n, r.err, logs.String())
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\nlogs:\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not exit within 30s of SIGTERM")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("listener still accepts connections after shutdown")
	}
}

// TestServeShutdownAnswersLongRenders: a render longer than the shutdown
// grace period (here one waiting on a vision sidecar that never answers) is
// canceled when the grace period ends and answered 503 with Retry-After,
// and the process exits 0 (issue 9, class 9: it was dropped without an
// answer and the process exited 1, "context deadline exceeded").
func TestServeShutdownAnswersLongRenders(t *testing.T) {
	bin := buildBinary(t)
	asked, end := make(chan struct{}, 1), make(chan struct{})
	sidecar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		select { // never answers; the render waits for it
		case <-r.Context().Done():
		case <-end:
		}
	}))
	t.Cleanup(func() { close(end); sidecar.Close() })
	samples, err := filepath.Abs(filepath.Join("..", "..", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cfg := writeConfig(t, `
listen: "`+addr+`"
metrics_listen: ""
shutdown_grace: 1500ms
source: { url: "file://`+samples+`" }
signing: { keys: ["`+key+`"] }
limits: { request_timeout: 120s }
vision: { url: "`+sidecar.URL+`", timeout: 120s }
`)
	cmd := exec.Command(bin, "serve", "--config", cfg)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	base := "http://" + addr
	waitHealthy(t, base)

	path := "/w=100,h=100,fit=cover,g=face,f=jpeg/grace_hopper.jpg"
	path = "/" + presets.Signature([]byte(key), path, 16) + path
	type result struct {
		status     int
		retryAfter string
		err        error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + path)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, resp.Header.Get("Retry-After"), err}
	}()
	select {
	case <-asked:
	case <-time.After(20 * time.Second):
		t.Fatalf("the render never asked the sidecar\nlogs:\n%s", logs.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case r := <-done:
		if r.err != nil || r.status != http.StatusServiceUnavailable || r.retryAfter == "" {
			t.Errorf("in-flight request: status %d, Retry-After %q, err %v\nlogs:\n%s", r.status, r.retryAfter, r.err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no answer within 20s of SIGTERM")
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\nlogs:\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not exit within 20s of SIGTERM")
	}
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// buildBinary builds cmd/pixmill once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pixmill-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "pixmill")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHealthy(t *testing.T, base string) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server did not become healthy in 20s")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		_ = os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}
