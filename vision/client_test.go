package vision_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/vision"
)

// fake records what the client sent and answers a fixed Regions.
type fake struct {
	method, path, query, ctype string
	body                       []byte
	status                     int
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.method, f.path, f.query, f.ctype = r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type")
	f.body, _ = io.ReadAll(r.Body)
	if f.status != 0 {
		http.Error(w, "busy", f.status)
		return
	}
	_, _ = io.WriteString(w, `{"faces":[{"x":0.25,"y":0.1,"width":0.5,"height":0.4,"score":0.9}],"salient":{"x":0,"y":0,"width":1,"height":1,"score":0},"provider":"cpu"}`)
}

func pngBytes(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAnalyzeRequests(t *testing.T) {
	raw := make([]byte, 4*3*3)
	cases := []struct {
		name      string
		preview   []byte
		w, h      int
		wantQuery string
		wantCType string
	}{
		{"raw RGB carries its size", raw, 4, 3, "h=3&w=4", vision.ContentTypeRGB},
		{"encoded PNG is sniffed", pngBytes(t), 0, 0, "", "image/png"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fake{}
			srv := httptest.NewServer(f)
			defer srv.Close()
			r, err := vision.NewClient(srv.URL+"/", time.Second).Analyze(context.Background(), c.preview, c.w, c.h)
			if err != nil {
				t.Fatal(err)
			}
			if f.method != http.MethodPost || f.path != vision.AnalyzePath || f.query != c.wantQuery || f.ctype != c.wantCType || !bytes.Equal(f.body, c.preview) {
				t.Fatalf("sent %s %s?%s %s (%d bytes)", f.method, f.path, f.query, f.ctype, len(f.body))
			}
			if len(r.Faces) != 1 || r.Faces[0].Width != 0.5 || r.Provider != "cpu" {
				t.Fatalf("decoded %+v", r)
			}
		})
	}
}

func TestAnalyzeRefusesBadPreviews(t *testing.T) {
	c := vision.NewClient("http://127.0.0.1:1", time.Second)
	cases := []struct {
		name    string
		preview []byte
		w, h    int
		want    string
	}{
		{"raw RGB of the wrong length", make([]byte, 10), 4, 3, "needs 36 bytes"},
		{"half a size", make([]byte, 36), 4, 0, "preview size"},
		{"neither JPEG nor PNG", []byte("GIF89a......"), 0, 0, "JPEG or PNG"},
	}
	for _, tc := range cases {
		if _, err := c.Analyze(context.Background(), tc.preview, tc.w, tc.h); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestAnalyzeStatusAndTimeout(t *testing.T) {
	f := &fake{status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(f)
	defer srv.Close()
	_, err := vision.NewClient(srv.URL, time.Second).Analyze(context.Background(), make([]byte, 3), 1, 1)
	var se *vision.StatusError
	if !errors.As(err, &se) || se.Code != 503 || !vision.IsOverloaded(err) {
		t.Fatalf("503: got %v", err)
	}

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // then the server notices the client leaving
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	start := time.Now()
	_, err = vision.NewClient(slow.URL, 50*time.Millisecond).Analyze(context.Background(), make([]byte, 3), 1, 1)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("timeout: got %v after %v", err, time.Since(start))
	}
}

func TestClientOverUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "vision.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix sockets here: %v", err)
	}
	f := &fake{}
	srv := &http.Server{Handler: f}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	c := vision.NewClient("unix:"+sock, time.Second)
	if _, err := c.Analyze(context.Background(), make([]byte, 3), 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil || f.path != "/healthz" {
		t.Fatalf("ping: %v, path %s", err, f.path)
	}
}
