package server_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform"
)

// rgbDiff is the mean absolute RGB difference of two same-sized encoded
// images inside x0,y0..x1,y1.
func rgbDiff(t *testing.T, a, b []byte, x0, y0, x1, y1 int) float64 {
	t.Helper()
	pix := func(body []byte) ([]byte, int, int) {
		img, err := vips.NewImageFromBuffer(body)
		if err != nil {
			t.Fatal(err)
		}
		defer img.Close()
		p, err := img.ToBytes()
		if err != nil {
			t.Fatal(err)
		}
		return p, img.Width(), img.Bands()
	}
	pa, w, na := pix(a)
	pb, _, nb := pix(b)
	var sum float64
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			for c := 0; c < 3; c++ {
				sum += math.Abs(float64(pa[(y*w+x)*na+c]) - float64(pb[(y*w+x)*nb+c]))
			}
		}
	}
	return sum / float64(3*(x1-x0)*(y1-y0))
}

// wm= over HTTP: the logo read from the same source, its version in the
// ETag, a public preset carrying it, and f=json saying where it goes.
func TestWatermarkE2E(t *testing.T) {
	dir := t.TempDir()
	copyFile := func(from, to string) {
		b, err := os.ReadFile(filepath.Join(corpusDir(t), from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("orientation/landscape_exif_orientation_6.jpg", "photo.jpg") // 1600x1200 oriented
	copyFile("formats/png_rgba_logo.png", "logo.png")                     // 500x500
	s := startServer(t, `
source: { url: "file://`+dir+`" }
signing: { keys: ["`+testKey+`"] }
cache: { source_ttl: 1ms }
presets:
  promo: { transform: "w=400,wm=logo.png,wm_scale=0.25,f=png", widths: [400], public: true }
`)
	resp, plain := s.get(t, s.sign(t, "/w=400,f=png/photo.jpg"))
	if resp.StatusCode != 200 {
		t.Fatalf("plain: %d %s", resp.StatusCode, plain)
	}
	resp, marked := s.get(t, s.sign(t, "/w=400,wm=logo.png,wm_scale=0.25,f=png/photo.jpg"))
	if resp.StatusCode != 200 {
		t.Fatalf("wm: %d %s", resp.StatusCode, marked)
	}
	if w, h := imageSize(t, marked); w != 400 || h != 300 {
		t.Fatalf("%dx%d, want 400x300", w, h)
	}
	if d := rgbDiff(t, plain, marked, 0, 0, 300, 300); d != 0 {
		t.Errorf("outside the logo's 100x100 at 300,200: diff %.2f, want 0", d)
	}
	if d := rgbDiff(t, plain, marked, 325, 225, 375, 275); d < 10 {
		t.Errorf("inside the logo: diff %.2f, want a visible logo", d)
	}
	etag := resp.Header.Get("ETag")

	// The public preset carries the same watermark, unsigned.
	resp, promo := s.get(t, "/_/promo/photo.jpg")
	if resp.StatusCode != 200 || string(promo) != string(marked) {
		t.Errorf("/_/promo: %d, same bytes as the signed URL: %v", resp.StatusCode, string(promo) == string(marked))
	}

	// A new version of the logo is a new variant: a new ETag.
	time.Sleep(10 * time.Millisecond)
	copyFile("formats/png_rgba_logo.png", "logo.png")
	now := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(dir, "logo.png"), now, now); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	resp, _ = s.get(t, s.sign(t, "/w=400,wm=logo.png,wm_scale=0.25,f=png/photo.jpg"))
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag {
		t.Errorf("after the logo changed: %d, ETag %s (was %s), want a new one", resp.StatusCode, resp.Header.Get("ETag"), etag)
	}

	resp, body := s.get(t, s.sign(t, "/w=400,wm=logo.png,wm_scale=0.25,wm_pos=top-left,f=json/photo.jpg"))
	var d transform.Description
	if resp.StatusCode != 200 || json.Unmarshal(body, &d) != nil {
		t.Fatalf("f=json: %d %s", resp.StatusCode, body)
	}
	if d.Watermark == nil || *d.Watermark != (transform.Rect{Width: 100, Height: 100}) {
		t.Errorf("f=json watermark %s, want 100x100 at 0,0", body)
	}

	if resp, body := s.get(t, s.sign(t, "/w=400,wm=nosuch.png/photo.jpg")); resp.StatusCode != 404 {
		t.Errorf("missing watermark: %d %s, want 404", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if resp, _ := s.get(t, "/_/promo,wm_opacity=0.5/photo.jpg"); resp.StatusCode != 403 {
		t.Errorf("unsigned wm_opacity: %d, want 403", resp.StatusCode)
	}
}
