package server_test

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

func sampleServer(t *testing.T) *testServer {
	return startServer(t, `
source: { url: "file://`+samplesDir(t)+`" }
signing: { keys: ["`+testKey+`", "older-key-still-valid-0001"] }
presets:
  thumb: { transform: "w=200,h=200,fit=cover,f=auto", widths: [100, 200, 400], public: true }
  hero:  { transform: "w=1600,h=900,fit=cover,f=webp", widths: [320, 640] }
`)
}

// flipSigChar changes one character of the signature segment of a path.
func flipSigChar(path string) string {
	b := []byte(path)
	if b[1] == 'A' {
		b[1] = 'B'
	} else {
		b[1] = 'A'
	}
	return string(b)
}

func TestSigningAndPublicPresets(t *testing.T) {
	s := sampleServer(t)
	signed := s.sign(t, "/w=300,f=jpeg/grace_hopper.jpg")
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantType   string
	}{
		{"signed", signed, 200, "image/jpeg"},
		{"one changed signature byte", flipSigChar(signed), 403, "text/plain; charset=utf-8"},
		{"signature of another path", signed[:strings.Index(signed[1:], "/")+1] + "/w=301,f=jpeg/grace_hopper.jpg", 403, "text/plain; charset=utf-8"},
		{"unsigned inline options", "/_/w=300/grace_hopper.jpg", 403, "text/plain; charset=utf-8"},
		{"unsigned non-public preset", "/_/hero/grace_hopper.jpg", 403, "text/plain; charset=utf-8"},
		{"public preset unsigned", "/_/thumb/grace_hopper.jpg", 200, "image/jpeg"},
		{"ladder width unsigned", "/_/thumb,w=100/grace_hopper.jpg", 200, "image/jpeg"},
		{"off-ladder width unsigned", "/_/thumb,w=150/grace_hopper.jpg", 403, "text/plain; charset=utf-8"},
		{"dpr unsigned", "/_/thumb,dpr=2/grace_hopper.jpg", 200, "image/jpeg"},
		{"signed with the second key", "/" + sigWith(t, "older-key-still-valid-0001", "/w=120/grace_hopper.jpg") + "/w=120/grace_hopper.jpg", 200, "image/jpeg"},
		{"signed, missing source", s.sign(t, "/w=100/nope.jpg"), 404, "text/plain; charset=utf-8"},
		{"signed, bad option", "/" + sigWith(t, testKey, "/wdth=100/grace_hopper.jpg") + "/wdth=100/grace_hopper.jpg", 400, "text/plain; charset=utf-8"},
		{"signed, dot-dot key", "/" + sigWith(t, testKey, "/w=100/a/../grace_hopper.jpg") + "/w=100/a/../grace_hopper.jpg", 400, "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.get(t, tt.path)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s: status %d (%q), want %d", tt.path, resp.StatusCode, body, tt.wantStatus)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if resp.StatusCode >= 400 {
				if bytes.Count(body, []byte("\n")) != 1 || len(body) > 200 {
					t.Errorf("error body is not one short line: %q", body)
				}
				if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") && cc != "no-store" {
					t.Errorf("error Cache-Control = %q", cc)
				}
			}
		})
	}
}

func TestUnsignedLadderKeepsPresetAspect(t *testing.T) {
	s := sampleServer(t)
	// thumb is 200x200: w=400 from its ladder stays square.
	resp, body := s.get(t, "/_/thumb,w=400/group.jpg")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	w, h := imageSize(t, body)
	if w != 400 || h != 400 {
		t.Errorf("size %dx%d, want 400x400", w, h)
	}
}

func TestFormatNegotiationAndVary(t *testing.T) {
	s := sampleServer(t)
	auto := s.sign(t, "/w=200,f=auto/group.jpg")
	tests := []struct {
		name     string
		path     string
		accept   string
		wantType string
		wantVary string
	}{
		{"auto, AVIF accepted", auto, "image/avif,image/webp,*/*", "image/avif", "Accept"},
		{"auto, WebP only", auto, "image/webp,*/*", "image/webp", "Accept"},
		{"auto, AVIF refused with q=0", auto, "image/avif;q=0,image/webp", "image/webp", "Accept"},
		{"auto, nothing modern", auto, "*/*", "image/jpeg", "Accept"},
		{"auto, alpha source without modern formats", s.sign(t, "/w=200,f=auto/rose.png"), "*/*", "image/png", "Accept"},
		{"explicit webp", s.sign(t, "/w=200,f=webp/group.jpg"), "image/avif,image/webp,*/*", "image/webp", ""},
		{"format unset keeps the source's", s.sign(t, "/w=200/group.jpg"), "image/avif,image/webp,*/*", "image/jpeg", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.get(t, tt.path, "Accept", tt.accept)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := resp.Header.Get("Vary"); got != tt.wantVary {
				t.Errorf("Vary = %q, want %q", got, tt.wantVary)
			}
			if got := sniff(body); got != tt.wantType {
				t.Errorf("body is %s, header says %s", got, tt.wantType)
			}
		})
	}
}

func TestConditionalRequests(t *testing.T) {
	s := sampleServer(t)
	path := s.sign(t, "/w=200,f=auto/group.jpg")
	first, body := s.get(t, path, "Accept", "image/avif,image/webp,*/*")
	etag := first.Header.Get("ETag")
	if first.StatusCode != 200 || !strings.HasPrefix(etag, `"`) || len(body) == 0 {
		t.Fatalf("first: status %d, ETag %q", first.StatusCode, etag)
	}
	// Same variant: 304 with the validators and caching headers repeated.
	again, body304 := s.get(t, path, "Accept", "image/avif,image/webp,*/*", "If-None-Match", etag)
	if again.StatusCode != http.StatusNotModified || len(body304) != 0 {
		t.Fatalf("revalidation: status %d, %d bytes", again.StatusCode, len(body304))
	}
	for _, h := range []string{"ETag", "Cache-Control", "Vary"} {
		if again.Header.Get(h) != first.Header.Get(h) {
			t.Errorf("304 %s = %q, 200 had %q", h, again.Header.Get(h), first.Header.Get(h))
		}
	}
	// Another Accept is another variant: the old ETag must not match.
	other, _ := s.get(t, path, "Accept", "image/webp", "If-None-Match", etag)
	if other.StatusCode != 200 || other.Header.Get("ETag") == etag {
		t.Errorf("other variant: status %d, ETag %q (first %q)", other.StatusCode, other.Header.Get("ETag"), etag)
	}
	// An equivalent Accept header is the same variant.
	equiv, _ := s.get(t, path, "Accept", "image/webp;q=0.9, image/avif", "If-None-Match", etag)
	if equiv.StatusCode != http.StatusNotModified {
		t.Errorf("equivalent Accept: status %d, want 304", equiv.StatusCode)
	}
}

func TestSuccessHeaders(t *testing.T) {
	s := sampleServer(t)
	resp, body := s.get(t, s.sign(t, "/w=200,f=webp/grace_hopper.jpg"))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := map[string]string{
		"Content-Type":        "image/webp",
		"Content-Disposition": `inline; filename="grace_hopper.webp"`,
		"X-Cache":             "MISS",
		"Cache-Control":       "public, max-age=86400, s-maxage=31536000, stale-while-revalidate=86400, stale-if-error=604800",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if resp.Header.Get("Content-Length") != itoa(len(body)) {
		t.Errorf("Content-Length %q for %d bytes", resp.Header.Get("Content-Length"), len(body))
	}
	for _, k := range []string{"Last-Modified", "Surrogate-Key", "Cache-Tag", "ETag"} {
		if resp.Header.Get(k) == "" {
			t.Errorf("%s missing", k)
		}
	}
	st := resp.Header.Get("Server-Timing")
	for _, stage := range []string{"queue;dur=", "fetch;dur=", "transform;dur=", "encode;dur="} {
		if !strings.Contains(st, stage) {
			t.Errorf("Server-Timing %q lacks %s", st, stage)
		}
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	s := sampleServer(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if resp, body := s.get(t, p); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	s.get(t, s.sign(t, "/w=100,f=png/rose.png"))
	s.get(t, "/_/w=1/rose.png")
	resp, err := http.Get(s.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	m := buf.String()
	for _, want := range []string{
		`pixmill_requests_total{format="png",status="200"} 1`,
		`pixmill_requests_total{format="none",status="403"} 1`,
		`pixmill_request_duration_seconds_bucket{stage="total"`,
		`pixmill_request_duration_seconds_bucket{stage="encode"`,
		"pixmill_inflight_transforms 0",
		"pixmill_queue_depth 0",
		"pixmill_source_bytes_total",
		"pixmill_response_bytes_total",
		`pixmill_rejected_total{reason="signature"} 1`,
		"pixmill_vips_memory_bytes",
		"go_goroutines",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestReadyzFailsWhenSourceIsGone(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, `source: { url: "file://`+dir+`" }`)
	if resp, _ := s.get(t, "/readyz"); resp.StatusCode != 200 {
		t.Fatalf("readyz %d before the bucket went away", resp.StatusCode)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if resp, _ := s.get(t, "/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz %d", resp.StatusCode)
	}
	if resp, _ := s.get(t, "/readyz"); resp.StatusCode != 503 {
		t.Errorf("readyz %d, want 503", resp.StatusCode)
	}
}

func TestJSONMetadata(t *testing.T) {
	s := sampleServer(t)
	resp, body := s.get(t, s.sign(t, "/w=300,h=300,fit=cover,f=json/landscape_exif6.jpg"))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`"width":1600`, `"height":1200`, `"orientation":6`, `"frames":1`,
		`"output":{"width":300,"height":300`, `"crop":{"x":200,"y":0,"width":1200,"height":1200}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("json %s lacks %s", body, want)
		}
	}
}

func sigWith(t *testing.T, key, path string) string {
	t.Helper()
	return presetsSignature([]byte(key), path)
}

func imageSize(t testing.TB, body []byte) (int, int) {
	t.Helper()
	img, err := vips.NewImageFromBuffer(body)
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	defer img.Close()
	return img.Width(), img.PageHeight()
}

// sniff names an image's type from its bytes alone.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(b) > 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	case len(b) > 12 && string(b[4:12]) == "ftypavif":
		return "image/avif"
	case bytes.HasPrefix(b, []byte("{")):
		return "application/json"
	}
	return "unknown"
}
