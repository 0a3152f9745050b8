package transform

import (
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/testpdf"
	"github.com/pixmill/pixmill/transform/spec"
)

func pdfRenderer(t *testing.T, edit func(*Config)) *Renderer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Inputs = append(append([]string{}, DefaultInputs...), "pdf")
	if edit != nil {
		edit(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// PDF pages: page= picks the page (1-based), density= its dpi, capped by
// the pixel limit; the test PDF's page 1 is red 200x100 pt, page 2 blue
// 100x200 pt.
func TestPDFPages(t *testing.T) {
	pdf := testpdf.TwoPages()
	if _, err := Probe(pdf, DefaultConfig()); fault.KindOf(err) != fault.Unsupported {
		t.Errorf("pdf not in formats.inputs: %v, want Unsupported", err)
	}
	r := pdfRenderer(t, nil)
	tests := []struct {
		name    string
		opts    spec.Options
		w, h    int
		rgb     [3]byte
		density int // as f=json reports it
	}{
		{"first page at 72 dpi", spec.Options{}, 200, 100, [3]byte{255, 0, 0}, 72},
		{"page 2", spec.Options{Page: 2}, 100, 200, [3]byte{0, 0, 255}, 72},
		{"page 2 at 144 dpi", spec.Options{Page: 2, Density: 144}, 200, 400, [3]byte{0, 0, 255}, 144},
		{"page 2 at 144 dpi, resized", spec.Options{Page: 2, Density: 144, Width: 50}, 50, 100, [3]byte{0, 0, 255}, 144},
		{"page 1 at 36 dpi", spec.Options{Page: 1, Density: 36}, 100, 50, [3]byte{255, 0, 0}, 36},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Format = spec.FormatPNG
			res, err := r.Render(t.Context(), Original{Data: pdf}, o, "")
			if err != nil {
				t.Fatal(err)
			}
			d := decode(t, res.Body)
			if d.w != tt.w || d.h != tt.h {
				t.Fatalf("%dx%d, want %dx%d", d.w, d.h, tt.w, tt.h)
			}
			if px := d.at(d.w/2, d.h/2); px[0] != tt.rgb[0] || px[1] != tt.rgb[1] || px[2] != tt.rgb[2] {
				t.Errorf("centre pixel %v, want %v", px[:3], tt.rgb)
			}
			desc, err := r.Describe(t.Context(), Original{Data: pdf}, tt.opts, "")
			if err != nil {
				t.Fatal(err)
			}
			if desc.Pages != 2 || desc.Frames != 1 || desc.Page != max(tt.opts.Page, 1) || desc.Density != tt.density || desc.Format != "pdf" {
				t.Errorf("f=json pages %d frames %d page %d density %d format %s; want 2, 1, %d, %d, pdf",
					desc.Pages, desc.Frames, desc.Page, desc.Density, desc.Format, max(tt.opts.Page, 1), tt.density)
			}
			if desc.Output.Format != "jpeg" {
				t.Errorf("no f: output %s, want jpeg (the page is flattened onto white)", desc.Output.Format)
			}
		})
	}

	if _, err := r.Render(t.Context(), Original{Data: pdf}, spec.Options{Page: 3}, ""); fault.KindOf(err) != fault.BadRequest {
		t.Errorf("page 3 of 2: %v, want BadRequest", err)
	}

	// The pixel limit caps the density: 200x100 pt under 80,000 pixels is
	// at most 144 dpi (400x200 = 80,000), less one for rounding.
	capped := pdfRenderer(t, func(c *Config) { c.MaxSourcePixels = 80_000 })
	desc, err := capped.Describe(t.Context(), Original{Data: pdf}, spec.Options{Density: 600}, "")
	if err != nil {
		t.Fatal(err)
	}
	if desc.Density != 143 || desc.Width*desc.Height > 80_000 || desc.Width != 397 {
		t.Errorf("capped: %dx%d at %d dpi, want 143 dpi (397x199) within 80,000 pixels", desc.Width, desc.Height, desc.Density)
	}
}

func TestCapDensity(t *testing.T) {
	tests := []struct {
		asked, w, h int
		max         int64
		want        int
	}{
		{300, 612, 792, 0, 300},           // no limit
		{300, 612, 792, 50_000_000, 300},  // a letter page at 300 dpi: 8.7 Mpx
		{2400, 612, 792, 50_000_000, 730}, // 731.3 dpi fits, less one
		{600, 200, 100, 80_000, 143},      // 144 fits exactly, less one
		{72, 100000, 100000, 1_000, 1},    // never under 1
		{100, 200, 100, 50_000_000, 100},  // under the cap
	}
	for _, tt := range tests {
		if got := capDensity(tt.asked, tt.w, tt.h, tt.max); got != tt.want {
			t.Errorf("capDensity(%d, %d, %d, %d) = %d, want %d", tt.asked, tt.w, tt.h, tt.max, got, tt.want)
		}
	}
}
