package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/transform"
)

// The options of issue 12 over HTTP, against the shared corpus.

func corpusServer(t *testing.T, extra string) *testServer {
	return startServer(t, `
source: { url: "file://`+corpusDir(t)+`" }
signing: { keys: ["`+testKey+`"] }
presets:
  thumb: { transform: "w=200,h=200,fit=cover", widths: [100, 200], public: true }
`+extra)
}

func TestRegionE2E(t *testing.T) {
	s := corpusServer(t, "")
	const key = "orientation/landscape_exif_orientation_6.jpg"
	tests := []struct {
		name, transform string
		status, w, h    int
	}{
		{"pixels", "crop=400,300,600,450,f=png", 200, 600, 450},
		{"semicolons", "crop=400;300;600;450,f=png", 200, 600, 450},
		{"fractions", "crop=0.25,0.25,0.5,0.5,f=jpeg", 200, 800, 600},
		{"with cover", "crop=0,0,800,400,w=100,h=100,fit=cover,g=right,f=jpeg", 200, 100, 100},
		{"clamped", "crop=1500,1100,500,500,f=jpeg", 200, 100, 100},
		{"outside", "crop=1600,0,10,10,f=jpeg", 400, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.get(t, s.sign(t, "/"+tt.transform+"/"+key))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, strings.TrimSpace(string(body)), tt.status)
			}
			if tt.status != 200 {
				return
			}
			if w, h := imageSize(t, body); w != tt.w || h != tt.h {
				t.Errorf("%dx%d, want %dx%d", w, h, tt.w, tt.h)
			}
		})
	}
	d := describe(t, s, "/crop=0,0,800,400,w=100,h=100,fit=cover,g=right,f=json/"+key)
	if r, c := d.Region, d.Crop; r == nil || c == nil || *r != (transform.Rect{Width: 800, Height: 400}) || *c != (transform.Rect{X: 400, Width: 400, Height: 400}) {
		t.Errorf("f=json region %+v crop %+v, want region 0,0,800x400 and crop 400,0,400x400", r, c)
	}
	if resp, _ := s.get(t, "/_/thumb,crop=0,0,10,10/"+key); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned crop: %d, want 403", resp.StatusCode)
	}
}

func TestTrimE2E(t *testing.T) {
	s := corpusServer(t, "")
	tests := []struct {
		name, path   string
		status, w, h int
	}{
		{"explicit", "/trim=10;20;30;40,f=jpeg/orientation/landscape_exif_orientation_6.jpg", 200, 1540, 1160},
		{"explicit in a region", "/crop=100,100,400,300,trim=10;20;30;40,f=jpeg/orientation/landscape_exif_orientation_6.jpg", 200, 340, 260},
		{"auto: transparent border", "/trim=auto,f=png/formats/png_rgba_logo.png", 200, 480, 480},
		{"auto then resize", "/trim=auto,w=240,f=png/formats/png_rgba_logo.png", 200, 240, 240},
		{"auto, threshold 255: all border, kept", "/trim=auto,trim.threshold=255,f=png/formats/png_rgba_logo.png", 200, 500, 500},
		{"past the source", "/trim=0;800;0;800,f=jpeg/orientation/landscape_exif_orientation_6.jpg", 400, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.get(t, s.sign(t, tt.path))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, strings.TrimSpace(string(body)), tt.status)
			}
			if tt.status != 200 {
				return
			}
			if w, h := imageSize(t, body); w != tt.w || h != tt.h {
				t.Errorf("%dx%d, want %dx%d", w, h, tt.w, tt.h)
			}
		})
	}
	d := describe(t, s, "/trim=auto,f=json/formats/png_rgba_logo.png")
	if r := d.Region; r == nil || *r != (transform.Rect{X: 11, Y: 10, Width: 480, Height: 480}) {
		t.Errorf("f=json region %+v, want 11,10 480x480", r)
	}
	if resp, _ := s.get(t, "/_/thumb,trim=auto/formats/png_rgba_logo.png"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned trim: %d, want 403", resp.StatusCode)
	}
}
