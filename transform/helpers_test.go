package transform

import (
	"bytes"
	"context"
	"math"
	"sync"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

var (
	testRendererOnce sync.Once
	testRendererVal  *Renderer
)

// testRenderer is one Renderer with the default config for the whole package.
func testRenderer(t testing.TB) *Renderer {
	t.Helper()
	testRendererOnce.Do(func() {
		r, err := New(DefaultConfig())
		if err != nil {
			panic(err)
		}
		testRendererVal = r
	})
	return testRendererVal
}

// renderFile renders a corpus file and fails the test on error.
func renderFile(t testing.TB, rel string, o spec.Options, accept string) Result {
	t.Helper()
	res, err := testRenderer(t).Render(context.Background(), Original{Data: readCorpus(t, rel)}, o, accept)
	if err != nil {
		t.Fatalf("%s %+v: render: %v (kind %v)", rel, o, err, fault.KindOf(err))
	}
	return res
}

// sniffOutput names the format of encoded bytes from their magic numbers,
// independently of libvips.
func sniffOutput(b []byte) spec.Format {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return spec.FormatJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return spec.FormatPNG
	case len(b) > 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return spec.FormatWebP
	case len(b) > 12 && string(b[4:8]) == "ftyp" && (string(b[8:12]) == "avif" || string(b[8:12]) == "avis"):
		return spec.FormatAVIF
	}
	return ""
}

// decoded is an output reloaded with libvips, all frames included.
type decoded struct {
	img                 *vips.ImageRef
	w, h, bands, frames int
	pix                 []byte // 8-bit, band-interleaved, all frames stacked
}

// at returns the bands of the pixel at (x, y) of frame 0.
func (d decoded) at(x, y int) []byte {
	i := (y*d.w + x) * d.bands
	return d.pix[i : i+d.bands]
}

// decode reloads an output, checking that it is a readable 8-bit image.
func decode(t testing.TB, body []byte) decoded {
	t.Helper()
	testRenderer(t) // libvips started with our logging
	p := vips.NewImportParams()
	if f := sniffOutput(body); f == spec.FormatWebP {
		p.NumPages.Set(-1)
	}
	img, err := vips.LoadImageFromBuffer(body, p)
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	t.Cleanup(img.Close)
	if img.BandFormat() != vips.BandFormatUchar {
		t.Fatalf("output band format %v, want uchar", img.BandFormat())
	}
	pix, err := img.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	frames := max(1, img.Height()/img.PageHeight())
	return decoded{img: img, w: img.Width(), h: img.PageHeight(), bands: img.Bands(), frames: frames, pix: pix}
}

// meanAbsDiff compares two decodes of the same shape over their first
// min(bands, 3) bands, frame 0 only.
func meanAbsDiff(t testing.TB, a, b decoded) float64 {
	t.Helper()
	if a.w != b.w || a.h != b.h {
		t.Fatalf("cannot compare %dx%d with %dx%d", a.w, a.h, b.w, b.h)
	}
	nb := min(a.bands, b.bands, 3)
	var sum float64
	for y := 0; y < a.h; y++ {
		for x := 0; x < a.w; x++ {
			pa, pb := a.at(x, y), b.at(x, y)
			for c := 0; c < nb; c++ {
				sum += math.Abs(float64(pa[c]) - float64(pb[c]))
			}
		}
	}
	return sum / float64(a.w*a.h*nb)
}

// regionMean is the mean of each band over a w×h window of frame 0.
func regionMean(d decoded, x0, y0, w, h int) []float64 {
	m := make([]float64, d.bands)
	for y := y0; y < y0+h; y++ {
		for x := x0; x < x0+w; x++ {
			for c, v := range d.at(x, y) {
				m[c] += float64(v)
			}
		}
	}
	for c := range m {
		m[c] /= float64(w * h)
	}
	return m
}

// colourDist is the largest per-band difference between two colours.
func colourDist(a, b []float64) float64 {
	var d float64
	for i := 0; i < min(len(a), len(b)); i++ {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

func boolPtr(b bool) *bool { return &b }

// mustPlan is NewPlan for options that need no pixels and fit the source.
func mustPlan(t testing.TB, info Info, opts spec.Options, format spec.Format, cfg Config) *Plan {
	t.Helper()
	p, err := NewPlan(info, opts, format, cfg)
	if err != nil {
		t.Fatalf("NewPlan(%+v, %+v): %v", info, opts, err)
	}
	return p
}
