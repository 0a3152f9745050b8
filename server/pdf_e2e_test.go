package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/internal/testpdf"
	"github.com/pixmill/pixmill/transform"
)

// PDF pages over HTTP: the generated 2-page PDF (red 200x100 pt, then blue
// 100x200 pt) served from a file source with pdf in formats.inputs.
func TestPDFPagesE2E(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "doc.pdf"), testpdf.TwoPages(), 0o600); err != nil {
		t.Fatal(err)
	}
	config := `
source: { url: "file://` + dir + `" }
signing: { keys: ["` + testKey + `"] }
`
	s := startServer(t, config+"formats: { inputs: [jpeg, png, pdf] }\n")
	tests := []struct {
		transform    string
		status, w, h int
	}{
		{"f=png", 200, 200, 100},
		{"page=2,f=png", 200, 100, 200},
		{"page=2,density=144,f=png", 200, 200, 400},
		{"page=2,density=144,w=50,f=png", 200, 50, 100},
		{"page=3,f=png", 400, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.transform, func(t *testing.T) {
			resp, body := s.get(t, s.sign(t, "/"+tt.transform+"/doc.pdf"))
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
	resp, body := s.get(t, s.sign(t, "/page=2,density=144,f=json/doc.pdf"))
	var d transform.Description
	if resp.StatusCode != 200 || json.Unmarshal(body, &d) != nil {
		t.Fatalf("f=json: %d %s", resp.StatusCode, body)
	}
	if d.Pages != 2 || d.Frames != 1 || d.Page != 2 || d.Density != 144 || d.Width != 200 || d.Height != 400 {
		t.Errorf("f=json %s: want pages 2, frames 1, page 2, density 144, 200x400", body)
	}

	off := startServer(t, config)
	if resp, body := off.get(t, off.sign(t, "/f=png/doc.pdf")); resp.StatusCode != 415 {
		t.Errorf("pdf not in formats.inputs: %d %s, want 415", resp.StatusCode, body)
	}
}
