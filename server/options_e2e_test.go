package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
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

// maxAges reads max-age and s-maxage from Cache-Control (-1 when absent).
func maxAges(cc string) (maxAge, sMaxAge int) {
	maxAge, sMaxAge = -1, -1
	for _, part := range strings.Split(cc, ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "max-age="); ok {
			maxAge, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(part, "s-maxage="); ok {
			sMaxAge, _ = strconv.Atoi(v)
		}
	}
	return maxAge, sMaxAge
}

func TestExpiresE2E(t *testing.T) {
	s := corpusServer(t, "headers: { error_ttl: 7s, cdn_cache_control: true }\n")
	const key = "orientation/landscape_exif_orientation_1.jpg"
	exp := time.Now().Unix() + 3600
	path := s.sign(t, fmt.Sprintf("/exp=%d,w=100,f=jpeg/%s", exp, key))
	for i, want := range []string{"MISS", "HIT"} {
		resp, body := s.get(t, path)
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != want {
			t.Fatalf("request %d: %d %s (%s), want 200 %s", i, resp.StatusCode, resp.Header.Get("X-Cache"), body, want)
		}
		if w, _ := imageSize(t, body); w != 100 {
			t.Errorf("width %d, want 100", w)
		}
		cc := resp.Header.Get("Cache-Control")
		ma, sma := maxAges(cc)
		if ma < 3500 || ma > 3600 || sma < 3500 || sma > 3600 || strings.Contains(cc, "stale") || strings.Contains(cc, "immutable") {
			t.Errorf("request %d: Cache-Control %q outlives or ignores the expiry in ~3600 s", i, cc)
		}
		if ma, _ := maxAges(resp.Header.Get("CDN-Cache-Control")); ma < 3500 || ma > 3600 {
			t.Errorf("CDN-Cache-Control %q outlives the expiry", resp.Header.Get("CDN-Cache-Control"))
		}
		// A 304 carries the same clipped policy.
		resp304, _ := s.get(t, path, "If-None-Match", resp.Header.Get("ETag"))
		if ma, _ := maxAges(resp304.Header.Get("Cache-Control")); resp304.StatusCode != 304 || ma < 3500 || ma > 3600 {
			t.Errorf("304: %d %q", resp304.StatusCode, resp304.Header.Get("Cache-Control"))
		}
	}
	// Without exp, the configured day-long policy.
	resp, _ := s.get(t, s.sign(t, "/w=100,f=jpeg/"+key))
	if ma, _ := maxAges(resp.Header.Get("Cache-Control")); ma != 86400 {
		t.Errorf("no exp: Cache-Control %q, want the configured max-age=86400", resp.Header.Get("Cache-Control"))
	}

	past := time.Now().Unix() - 1
	expired := s.sign(t, fmt.Sprintf("/exp=%d,w=100,f=jpeg/%s", past, key))
	resp, body := s.get(t, expired)
	if resp.StatusCode != http.StatusGone || resp.Header.Get("Cache-Control") != "public, max-age=7" {
		t.Errorf("expired: %d %q %q, want 410 with the error TTL", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
	// exp is covered by the signature: moving it forward breaks it (403,
	// not 410: the URL is not genuine).
	forged := strings.Replace(expired, fmt.Sprint(past), fmt.Sprint(exp), 1)
	if resp, _ := s.get(t, forged); resp.StatusCode != http.StatusForbidden {
		t.Errorf("exp changed after signing: %d, want 403", resp.StatusCode)
	}
	if resp, _ := s.get(t, fmt.Sprintf("/_/thumb,exp=%d/%s", exp, key)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned exp: %d, want 403", resp.StatusCode)
	}
}

func TestAdjustE2E(t *testing.T) {
	s := corpusServer(t, "")
	const key = "photos/object_colorful_cups_progressive.jpg"
	mean := func(transform string) []float64 {
		resp, body := s.get(t, s.sign(t, "/"+transform+",w=100,f=png/"+key))
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", transform, resp.StatusCode, body)
		}
		img, err := vips.NewImageFromBuffer(body)
		if err != nil {
			t.Fatal(err)
		}
		defer img.Close()
		pix, err := img.ToBytes()
		if err != nil {
			t.Fatal(err)
		}
		m := make([]float64, img.Bands())
		for i, v := range pix {
			m[i%len(m)] += float64(v)
		}
		for b := range m {
			m[b] /= float64(len(pix) / len(m))
		}
		return m
	}
	plain := mean("metadata=none")
	half := mean("brightness=0.5")
	for b := range 3 {
		if d := half[b] - plain[b]/2; d < -1.5 || d > 1.5 {
			t.Errorf("brightness=0.5: band %d mean %.1f, want half of %.1f", b, half[b], plain[b])
		}
	}
	grey := mean("saturation=0")
	if max(grey[0], grey[1], grey[2])-min(grey[0], grey[1], grey[2]) > 0.5 {
		t.Errorf("saturation=0: band means %v are not grey", grey)
	}
	d := describe(t, s, "/brightness=0.5,saturation=0,f=json/"+key)
	if d.Adjust == nil || *d.Adjust != (transform.Adjust{Brightness: 0.5, Contrast: 1, Gamma: 1, Saturation: 0}) {
		t.Errorf("f=json adjust %+v", d.Adjust)
	}
	if resp, _ := s.get(t, "/_/thumb,gamma=2/"+key); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned gamma: %d, want 403", resp.StatusCode)
	}
}

func TestMaxBytesE2E(t *testing.T) {
	s := corpusServer(t, "")
	const key = "photos/kleiber_bird_20mp.jpg"
	resp, plain := s.get(t, s.sign(t, "/w=1200,f=jpeg/"+key))
	if resp.StatusCode != 200 {
		t.Fatalf("plain: %d", resp.StatusCode)
	}
	for _, limit := range []int{len(plain) / 2, 4000} {
		resp, body := s.get(t, s.sign(t, fmt.Sprintf("/w=1200,f=jpeg,max_bytes=%d/%s", limit, key)))
		if resp.StatusCode != 200 || len(body) > limit || resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Fatalf("max_bytes=%d: %d, %d bytes", limit, resp.StatusCode, len(body))
		}
		w, _ := imageSize(t, body)
		d := describe(t, s, fmt.Sprintf("/w=1200,max_bytes=%d,f=json/%s", limit, key))
		t.Logf("max_bytes=%d (plain %d): %d bytes, %d px wide, f=json %+v", limit, len(plain), len(body), w, d.MaxBytes)
		if d.MaxBytes == nil || d.MaxBytes.Bytes != len(body) || d.MaxBytes.Width != w || !d.MaxBytes.Fits || d.Output.Width != w {
			t.Errorf("f=json max_bytes %+v output %+v, body %d bytes %d px", d.MaxBytes, d.Output, len(body), w)
		}
		if limit == 4000 && w >= 1200 {
			t.Errorf("max_bytes=4000 kept %d px: the size should have gone down", w)
		}
		if limit > 4000 && w != 1200 {
			t.Errorf("max_bytes=%d changed the width to %d: quality alone fits it", limit, w)
		}
	}
}

func TestRawE2E(t *testing.T) {
	s := startServer(t, `
source: { url: "file://`+corpusDir(t)+`" }
signing: { keys: ["`+testKey+`"], allow_unsigned: true }
formats: { inputs: [jpeg, png, webp, gif, avif, heif, svg] }
`)
	tests := []struct {
		key, ctype, disposition, csp string
	}{
		{"photos/forest_path.jpg", "image/jpeg", `inline; filename="forest_path.jpg"`, ""},
		{"photos/no_extension_mountain", "image/jpeg", `inline; filename="no_extension_mountain"`, ""},
		{"formats/png_rgba_logo.png", "image/png", `inline; filename="png_rgba_logo.png"`, ""},
		{"formats/svg_logo.svg", "image/svg+xml", `attachment; filename="svg_logo.svg"`, "sandbox"},
		{"photos/name with spaces & ünïcode.jpg", "image/jpeg", `inline; filename="name with spaces & __n__code.jpg"; filename*=UTF-8''name%20with%20spaces%20&%20%C3%BCn%C3%AFcode.jpg`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(corpusDir(t), tt.key))
			if err != nil {
				t.Fatal(err)
			}
			resp, body := s.get(t, s.sign(t, "/raw=true/"+url.PathEscape(tt.key)))
			if resp.StatusCode != 200 || !bytes.Equal(body, want) {
				t.Fatalf("%d, %d bytes; want 200 and the %d original bytes", resp.StatusCode, len(body), len(want))
			}
			h := resp.Header
			if h.Get("Content-Type") != tt.ctype || h.Get("Content-Disposition") != tt.disposition || h.Get("Content-Security-Policy") != tt.csp || h.Get("Vary") != "" {
				t.Errorf("headers %q %q %q %q", h.Get("Content-Type"), h.Get("Content-Disposition"), h.Get("Content-Security-Policy"), h.Get("Vary"))
			}
		})
	}
	// Signed only, even with allow_unsigned; and not with other options.
	if resp, _ := s.get(t, "/_/raw=true/photos/forest_path.jpg"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned raw: %d, want 403", resp.StatusCode)
	}
	if resp, _ := s.get(t, "/_/raw=true,w=10/photos/forest_path.jpg"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("raw with w: %d, want 400", resp.StatusCode)
	}
	if resp, _ := s.get(t, s.sign(t, "/raw=true/MANIFEST.tsv")); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("raw of a non-image: %d, want 415", resp.StatusCode)
	}

	inline := corpusServer(t, "formats: { inputs: [jpeg, svg] }\nraw: { svg_inline: true }\n")
	resp, _ := inline.get(t, inline.sign(t, "/raw=true/formats/svg_logo.svg"))
	if resp.Header.Get("Content-Disposition") != `inline; filename="svg_logo.svg"` || resp.Header.Get("Content-Security-Policy") != "sandbox" {
		t.Errorf("svg_inline: %q %q", resp.Header.Get("Content-Disposition"), resp.Header.Get("Content-Security-Policy"))
	}
}
