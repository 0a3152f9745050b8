package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/transform"
)

// The Cloudflare-compatible route over HTTP, with the URL strings the
// loaders produce (presets/cloudflare_test.go says where each comes from),
// against a 1600x1200 (oriented) corpus photo.
func TestCloudflareRouteE2E(t *testing.T) {
	const key = "orientation/landscape_exif_orientation_6.jpg"
	const loaderPresets = `
  next: { transform: "q=75", widths: [640, 750, 828], public: true }
  nextauto: { transform: "q=75,f=auto", widths: [640, 750, 828], public: true }
  astro: { transform: "w=800,h=600,f=webp", widths: [400, 800], public: true }
  avatar: { transform: "w=200,h=100,fit=cover,f=webp", widths: [200, 400], public: true }
`
	off := corpusServer(t, loaderPresets)
	if resp, body := off.get(t, "/cdn-cgi/image/width=640,quality=75/"+key); resp.StatusCode != http.StatusForbidden {
		t.Errorf("compat.cloudflare off: %d %s, want 403 (an image path with a bad signature)", resp.StatusCode, body)
	}

	s := corpusServer(t, loaderPresets+"compat: { cloudflare: true }\n")
	tests := []struct {
		name, path   string
		status, w, h int
		contentType  string
		same         string // the _ path it must equal, byte for byte and ETag
	}{
		{"Next.js (Cloudflare docs)", "/cdn-cgi/image/width=640,quality=75/" + key, 200, 640, 480, "image/jpeg", "/_/next,w=640/" + key},
		{"Next.js (nextjs.org docs, src with /)", "/cdn-cgi/image/width=828,quality=75,format=auto//" + key, 200, 828, 621, "image/webp", "/_/nextauto,w=828/" + key},
		{"Astro", "/cdn-cgi/image/onerror=redirect,width=800,height=600,format=webp/" + key, 200, 800, 600, "image/webp", "/_/astro/" + key},
		{"Astro, smaller", "/cdn-cgi/image/onerror=redirect,width=400,height=300,format=webp/" + key, 200, 400, 300, "image/webp", "/_/astro,w=400/" + key},
		{"unpic", "/cdn-cgi/image/width=200,height=100,f=webp,fit=cover/" + key, 200, 200, 100, "image/webp", "/_/avatar/" + key},
		{"unpic at dpr 2", "/cdn-cgi/image/width=200,height=100,f=webp,fit=cover,dpr=2/" + key, 200, 400, 200, "image/webp", "/_/avatar,dpr=2/" + key},
		{"off the ladder", "/cdn-cgi/image/width=641,quality=75/" + key, 403, 0, 0, "", ""},
		{"no public preset means it", "/cdn-cgi/image/width=640,quality=75,blur=3/" + key, 403, 0, 0, "", ""},
		{"unsupported option", "/cdn-cgi/image/width=640,border=2/" + key, 400, 0, 0, "", ""},
		{"missing key", "/cdn-cgi/image/width=640,quality=75/" + strings.Repeat("no/", 2) + "such.jpg", 404, 0, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.get(t, tt.path, "Accept", "image/webp,*/*")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, strings.TrimSpace(string(body)), tt.status)
			}
			if tt.status != 200 {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type %s, want %s", ct, tt.contentType)
			}
			if w, h := imageSize(t, body); w != tt.w || h != tt.h {
				t.Errorf("%dx%d, want %dx%d", w, h, tt.w, tt.h)
			}
			same, sameBody := s.get(t, tt.same, "Accept", "image/webp,*/*")
			if same.StatusCode != 200 || same.Header.Get("ETag") != resp.Header.Get("ETag") || string(sameBody) != string(body) {
				t.Errorf("%s: ETag %s, %s has %d ETag %s: not the same image", tt.path, resp.Header.Get("ETag"), tt.same, same.StatusCode, same.Header.Get("ETag"))
			}
		})
	}

	// With signing off, the options are translated as they stand, and
	// format=json describes the plan.
	open := startServer(t, `
source: { url: "file://`+corpusDir(t)+`" }
signing: { allow_unsigned: true }
compat: { cloudflare: true }
`)
	resp, body := open.get(t, "/cdn-cgi/image/width=300,height=300,fit=cover,gravity=left,format=json/"+key)
	if resp.StatusCode != 200 {
		t.Fatalf("format=json: %d %s", resp.StatusCode, body)
	}
	var d transform.Description
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	if d.Output.Width != 300 || d.Output.Height != 300 || d.Crop == nil || d.Crop.X != 0 || d.Crop.Width != 1200 {
		t.Errorf("format=json: output %+v crop %+v, want 300x300 from the left 1200x1200", d.Output, d.Crop)
	}
}
