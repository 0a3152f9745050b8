package sidecar_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixmill/pixmill/vision"
	"github.com/pixmill/pixmill/vision/engine"
	"github.com/pixmill/pixmill/vision/preview"
	"github.com/pixmill/pixmill/vision/sidecar"
	"github.com/pixmill/pixmill/vision/visiontest"
)

// fakeAnalyzer answers one face and a saliency map with a bright top-left
// quarter, optionally after a delay, without ONNX Runtime.
type fakeAnalyzer struct{ delay time.Duration }

func (fakeAnalyzer) Prepare(preview.Image) *engine.Job { return &engine.Job{} }
func (fakeAnalyzer) Provider() string                  { return "cpu" }
func (f fakeAnalyzer) Run(jobs []*engine.Job) error {
	time.Sleep(f.delay)
	for _, j := range jobs {
		j.Faces = []vision.Box{{X: 0.1, Y: 0.2, Width: 0.3, Height: 0.4, Score: 0.9}}
		j.Saliency = make([]float32, 64*64)
		for y := range 32 {
			for x := range 32 {
				j.Saliency[y*64+x] = 1
			}
		}
	}
	return nil
}

func serve(t *testing.T, an sidecar.Analyzer, cfg sidecar.Config) string {
	cfg.Logger = slog.New(slog.DiscardHandler)
	s := sidecar.New(an, cfg)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { srv.Close(); s.Close() })
	return srv.URL
}

func TestAnalyzeAnswers(t *testing.T) {
	base := serve(t, fakeAnalyzer{}, sidecar.Config{})
	cases := []struct {
		name, query, ctype string
		body               []byte
		status             int
		want               string
	}{
		{"raw RGB", "?w=2&h=2", vision.ContentTypeRGB, make([]byte, 12), 200, `"faces":[{"x":0.1`},
		{"raw RGB, no type", "?w=2&h=2", "", make([]byte, 12), 200, `"provider":"cpu"`},
		{"grid", "?w=2&h=2&grid=2", vision.ContentTypeRGB, make([]byte, 12), 200, `"grid":{"width":2,"height":2,"cells":[1,0,0,0]}`},
		{"salient box (15% trimmed from each end of the bright quarter)", "?w=2&h=2", vision.ContentTypeRGB, make([]byte, 12), 200, `"salient":{"x":0.0625,"y":0.0625,"width":0.375,"height":0.375,"score":0.5625}`},
		{"JPEG", "", "image/jpeg", jpegBytes(t, 8, 6), 200, `"faces"`},
		{"short raw RGB", "?w=2&h=2", vision.ContentTypeRGB, make([]byte, 11), 400, "needs 12 bytes"},
		{"no size", "", vision.ContentTypeRGB, make([]byte, 12), 400, "needs w and h"},
		{"bad grid", "?w=2&h=2&grid=0", vision.ContentTypeRGB, make([]byte, 12), 400, "grid must be"},
		{"GIF", "", "image/gif", []byte("GIF89a"), 400, "unsupported Content-Type"},
		{"broken JPEG", "", "image/jpeg", []byte{0xff, 0xd8, 0xff}, 400, "preview"},
		{"too wide", "?w=2000&h=1", vision.ContentTypeRGB, make([]byte, 6000), 413, "too large"},
		{"JPEG over the limit", "", "image/jpeg", jpegBytes(t, 1100, 8), 413, "too large"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodPost, base+vision.AnalyzePath+c.query, bytes.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, resp.StatusCode, body, c.status, c.want)
		}
	}
	if resp, err := http.Get(base + vision.AnalyzePath); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET analyze: %v %v", resp.StatusCode, err)
	}
}

func jpegBytes(t *testing.T, w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOverloadAnswers503(t *testing.T) {
	base := serve(t, fakeAnalyzer{delay: 200 * time.Millisecond}, sidecar.Config{MaxBatch: 1, Queue: 1})
	c := vision.NewClient(base, 5*time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	overloaded := 0
	for range 6 {
		wg.Go(func() {
			_, err := c.Analyze(context.Background(), make([]byte, 3), 1, 1)
			if vision.IsOverloaded(err) {
				mu.Lock()
				overloaded++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if overloaded == 0 {
		t.Error("six concurrent requests on a one-deep queue: no 503")
	}
	metrics := get(t, base+"/metrics")
	if !strings.Contains(metrics, `pixmill_vision_requests_total{provider="cpu",result="overloaded"}`) {
		t.Errorf("overloads not counted:\n%s", metrics)
	}
}

func get(t *testing.T, url string) string { return getTB(t, url) }

func getTB(t testing.TB, url string) string {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestSidecarOnTheCorpus talks to a real sidecar (ONNX Runtime, the fetched
// models) over loopback, with the client the server uses.
func TestSidecarOnTheCorpus(t *testing.T) {
	base := visiontest.Start(t, sidecar.Config{})
	c := vision.NewClient(base, 10*time.Second)
	c.GridSize = 8
	ctx := context.Background()

	img := visiontest.Preview(t, "faces/grace_hopper.jpg")
	r, err := c.Analyze(ctx, img.Pix, img.W, img.H)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Faces) != 1 || r.Provider != "cpu" || r.Grid == nil || len(r.Grid.Cells) != 64 {
		t.Fatalf("grace_hopper raw RGB: %+v", r)
	}
	if x, y := r.Faces[0].Center(); x < 0.45 || x > 0.6 || y < 0.3 || y > 0.5 {
		t.Errorf("face centre (%.2f, %.2f)", x, y)
	}

	// The same photo as an encoded JPEG gives the same face.
	jpg, err := os.ReadFile(visiontest.CorpusPath(t, "faces/grace_hopper.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	rj, err := c.Analyze(ctx, jpg, 0, 0)
	if err != nil || len(rj.Faces) != 1 {
		t.Fatalf("grace_hopper JPEG: %+v %v", rj, err)
	}
	if dx := rj.Faces[0].X - r.Faces[0].X; dx > 0.02 || dx < -0.02 {
		t.Errorf("JPEG face at x %.3f, raw at %.3f", rj.Faces[0].X, r.Faces[0].X)
	}

	lily := visiontest.Preview(t, "photos/object_lily_plain_bg_512.jpg")
	rl, err := c.Analyze(ctx, lily.Pix, lily.W, lily.H)
	if err != nil || len(rl.Faces) != 0 || rl.Salient.Score <= 0 || rl.Salient.Width >= 1 {
		t.Fatalf("lily: %+v %v", rl, err)
	}

	if err := c.Ping(ctx); err != nil {
		t.Error(err)
	}
	var health map[string]string
	if err := json.Unmarshal([]byte(get(t, base+"/healthz")), &health); err != nil || health["provider"] != "cpu" {
		t.Errorf("healthz: %v %v", health, err)
	}
	metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`pixmill_vision_requests_total{provider="cpu",result="ok"} 3`,
		`pixmill_vision_duration_seconds_count{provider="cpu"} 3`,
		`pixmill_vision_batch_size_count{provider="cpu"}`,
		`pixmill_vision_provider{provider="cpu"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// gatedAnalyzer holds every Run until gate is closed.
type gatedAnalyzer struct {
	fakeAnalyzer
	gate chan struct{}
}

func (g gatedAnalyzer) Run(jobs []*engine.Job) error {
	<-g.gate
	return g.fakeAnalyzer.Run(jobs)
}

// stalledBody is a 3 MB preview body whose first 64 KiB arrive and the rest
// never does (until the request is canceled): a sidecar that reads bodies before it
// admits them hangs on it instead of answering.
type stalledBody struct {
	sent int
	ctx  context.Context // the request's: the transport waits for Read to return
}

func (b *stalledBody) Read(p []byte) (int, error) {
	if b.sent >= 64<<10 {
		<-b.ctx.Done()
		return 0, io.ErrUnexpectedEOF
	}
	n := min(len(p), 64<<10-b.sent)
	clear(p[:n])
	b.sent += n
	return n, nil
}

// TestAdmissionBeforeReading: issue 9, class 10. Requests beyond
// MaxRequests are answered 503 without their bodies being read, so a flood
// of large previews cannot make the sidecar hold them all in memory.
func TestAdmissionBeforeReading(t *testing.T) {
	gate := make(chan struct{})
	openGate := sync.OnceFunc(func() { close(gate) })
	// MaxRequests defaults to Queue + MaxBatch: two.
	base := serve(t, gatedAnalyzer{gate: gate}, sidecar.Config{MaxBatch: 1, Queue: 1})
	t.Cleanup(openGate) // runs before serve's, which waits for handlers
	c := vision.NewClient(base, 10*time.Second)

	// Two small requests fill the two places: one running, one queued.
	held := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := c.Analyze(context.Background(), make([]byte, 3), 1, 1)
			held <- err
		}()
	}
	waitFor(t, func() bool {
		return strings.Contains(get(t, base+"/metrics"), `pixmill_vision_queue_depth{provider="cpu"} 1`)
	})

	// Big bodies beyond the bound: 503 at once, the bodies left unread.
	const w, h = 1000, 1000 // 3 MB of raw RGB
	for i := range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+vision.AnalyzePath+"?w=1000&h=1000", &stalledBody{ctx: ctx})
		req.ContentLength = w * h * 3
		req.Header.Set("Content-Type", vision.ContentTypeRGB)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("big body %d: %v (the sidecar read it instead of refusing it)", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("big body %d: %d, Retry-After %q, want 503", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}

	openGate()
	for range 2 {
		if err := <-held; err != nil {
			t.Errorf("admitted request: %v", err)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5s")
}
