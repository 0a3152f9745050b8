package transform

import (
	"bytes"
	"context"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

// TestRenderRaw: raw=true gives the original's bytes, typed from the
// bytes, for the formats the server decodes; nothing else.
func TestRenderRaw(t *testing.T) {
	withSVG := DefaultConfig()
	withSVG.Inputs = append(append([]string{}, DefaultInputs...), "svg")
	svgRenderer := &Renderer{cfg: withSVG}
	tests := []struct {
		rel   string
		r     *Renderer
		ctype string
		kind  fault.Kind
	}{
		{"photos/forest_path.jpg", nil, "image/jpeg", 0},
		{"photos/no_extension_mountain", nil, "image/jpeg", 0},
		{"formats/png_rgba_logo.png", nil, "image/png", 0},
		{"formats/avif_street_photo.avif", nil, "image/avif", 0},
		{"formats/heic_city_river.heic", nil, "image/heif", 0},
		{"formats/gif_animated_banana.gif", nil, "image/gif", 0},
		{"formats/webp_animated_alpha.webp", nil, "image/webp", 0},
		{"hostile/bomb_png_header_50000x50000.png", nil, "image/png", 0}, // nothing is decoded
		{"formats/svg_logo.svg", nil, "", fault.Unsupported},             // svg is not in the default inputs
		{"formats/svg_logo.svg", svgRenderer, "image/svg+xml", 0},
		{"MANIFEST.tsv", nil, "", fault.Unsupported},
		{"hostile/empty_zero_bytes.jpeg", nil, "", fault.Unsupported},
	}
	for _, tt := range tests {
		r := tt.r
		if r == nil {
			r = testRenderer(t)
		}
		data := readCorpus(t, tt.rel)
		res, err := r.Render(context.Background(), Original{Data: data}, spec.Options{Raw: true}, "image/avif,image/webp")
		if tt.kind != 0 {
			if fault.KindOf(err) != tt.kind {
				t.Errorf("%s: %v (kind %v), want %v", tt.rel, err, fault.KindOf(err), tt.kind)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.rel, err)
			continue
		}
		if !bytes.Equal(res.Body, data) || res.ContentType != tt.ctype {
			t.Errorf("%s: %d bytes of %d, %q; want the original as %q", tt.rel, len(res.Body), len(data), res.ContentType, tt.ctype)
		}
	}
}
