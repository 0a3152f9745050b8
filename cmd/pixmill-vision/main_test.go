package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pixmill/pixmill/vision"
	"github.com/pixmill/pixmill/vision/visiontest"
)

// TestBinary builds pixmill-vision, starts it as a user would (only
// --listen; the runtime and models found where make vision puts them),
// analyses a photo over loopback and stops it with SIGTERM.
func TestBinary(t *testing.T) {
	dir := visiontest.Dir(t)
	photo := visiontest.Preview(t, "faces/grace_hopper.jpg")
	bin := filepath.Join(t.TempDir(), "pixmill-vision")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	var logs bytes.Buffer
	cmd := exec.Command(bin, "--listen", addr, "--providers", "cpu")
	cmd.Env = append(os.Environ(), "PIXMILL_VISION_DIR="+dir)
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})

	c := vision.NewClient("http://"+addr, 10*time.Second)
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for c.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 20 s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	r, err := c.Analyze(ctx, photo.Pix, photo.W, photo.H)
	if err != nil || len(r.Faces) != 1 || r.Provider != "cpu" {
		t.Fatalf("analyze: %+v %v", r, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("still running 15 s after SIGTERM")
	}
	for _, want := range []string{"provider=cpu", "max_batch=1", "shutting down"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestSplitList(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"cuda,cpu", []string{"cuda", "cpu"}},
		{" CUDA , cpu ,", []string{"cuda", "cpu"}},
		{"", nil},
	}
	for _, c := range cases {
		if got := splitList(c.in); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("splitList(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
