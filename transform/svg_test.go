package transform

import (
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

func TestCheckSVG(t *testing.T) {
	const head = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">`
	tests := []struct {
		name string
		svg  string
		ok   bool
	}{
		{"plain shapes", head + `<rect width="10" height="10" fill="red"/></svg>`, true},
		{"internal use", head + `<defs><circle id="c" r="2"/></defs><use xlink:href="#c"/></svg>`, true},
		{"gradient by url(#id)", head + `<rect fill="url(#g)" width="1" height="1"/></svg>`, true},
		{"data: image", head + `<image href="data:image/png;base64,iVBORw0KGgo="/></svg>`, true},
		{"namespace URIs are not references", head + `</svg>`, true},
		{"file image", head + `<image xlink:href="file:///etc/passwd"/></svg>`, false},
		{"http image", head + `<image href="http://127.0.0.1:1/x.png"/></svg>`, false},
		{"relative image", head + `<image href="other.png"/></svg>`, false},
		{"single quotes", head + `<image href='//evil.example/x.png'/></svg>`, false},
		{"external use", head + `<use xlink:href="http://example.invalid/a.svg#s"/></svg>`, false},
		{"css url", head + `<rect style="fill:url(http://x/y)"/></svg>`, false},
		{"css url quoted", head + `<style>rect{background:url('file:///etc/passwd')}</style></svg>`, false},
		{"css import", head + `<style>@import "http://x/y.css";</style></svg>`, false},
		{"doctype entity", `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + head + `&x;</svg>`, false},
		{"xinclude", head + `<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/></svg>`, false},
		{"script src", head + `<script src="http://x/y.js"/></svg>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkSVG([]byte(tt.svg))
			if tt.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tt.ok && fault.KindOf(err) != fault.Unsupported {
				t.Errorf("err = %v, want Unsupported", err)
			}
		})
	}
}

// TestSVGAttackFiles: with SVG allowed, every SVG attack in the corpus is
// refused before libvips reads it (the huge canvas by the pixel limit), and
// the corpus's ordinary SVG files still render.
func TestSVGAttackFiles(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Inputs = append(cfg.Inputs, "svg")
	want := map[string]fault.Kind{
		"hostile/svg_xxe_file_entity.svg":           fault.Unsupported,
		"hostile/svg_external_href.svg":             fault.Unsupported,
		"hostile/bomb_svg_billion_laughs.svg":       fault.Unsupported,
		"hostile/bomb_svg_canvas_100000x100000.svg": fault.TooLarge,
		"hostile/svg_script_onload.svg":             fault.Unsupported, // href="x", javascript: link
	}
	for file, kind := range want {
		if _, err := Probe(readCorpus(t, file), cfg); fault.KindOf(err) != kind {
			t.Errorf("%s: %v, want %v", file, err, kind)
		}
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"formats/svg_logo.svg", "formats/svg_drawing.svg"} {
		res, err := r.Render(t.Context(), Original{Data: readCorpus(t, file)}, spec.Options{Width: 100, Format: spec.FormatPNG}, "")
		if err != nil || res.Width != 100 {
			t.Errorf("%s: %v (width %d)", file, err, res.Width)
		}
	}
}
