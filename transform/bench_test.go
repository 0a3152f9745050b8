package transform

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

// benchPhoto is the 12 MP progressive JPEG the render benchmarks use.
const benchPhoto = "photos/sunset_12mp_progressive.jpg"

var benchFormats = []spec.Format{spec.FormatJPEG, spec.FormatWebP, spec.FormatAVIF, spec.FormatPNG}

// BenchmarkRender is a whole render (probe, decode with shrink-on-load,
// resize, colour, strip, encode) of a 12 MP JPEG, per output format and width.
func BenchmarkRender(b *testing.B) {
	buf := readCorpus(b, benchPhoto)
	r := testRenderer(b)
	for _, f := range benchFormats {
		for _, w := range []int{400, 1600} {
			b.Run(fmt.Sprintf("%s/w=%d", f, w), func(b *testing.B) {
				b.ReportAllocs()
				var size int
				for b.Loop() {
					res, err := r.Render(context.Background(), buf, spec.Options{Width: w, Format: f}, "")
					if err != nil {
						b.Fatal(err)
					}
					size = len(res.Body)
				}
				b.ReportMetric(float64(size), "B/img")
			})
		}
	}
}

// BenchmarkPixels is the render without the encoder: the pixels are
// computed into memory. Render minus Pixels is the encoder's time.
func BenchmarkPixels(b *testing.B) {
	buf := readCorpus(b, benchPhoto)
	r := testRenderer(b)
	for _, w := range []int{400, 1600} {
		b.Run(fmt.Sprintf("w=%d", w), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pixels(r, buf, spec.Options{Width: w, Format: spec.FormatJPEG}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProbe reads the header and plans, decoding nothing.
func BenchmarkProbe(b *testing.B) {
	for _, src := range []string{benchPhoto, "formats/gif_animated_photo_45frames.gif", "formats/heic_limes_displayp3.heic"} {
		buf := readCorpus(b, src)
		b.Run(src[strings.LastIndex(src, "/")+1:], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Probe(buf, DefaultConfig()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// pixels runs the steps before the encoder and computes the result into
// memory, returning the 8-bit pixels.
func pixels(r *Renderer, buf []byte, opts spec.Options) ([]byte, error) {
	plan, err := r.Prepare(buf, opts, "")
	if err != nil {
		return nil, err
	}
	s := &state{ctx: context.Background(), cfg: r.cfg, buf: buf, plan: plan}
	defer s.close()
	if err := s.run(append(pixelSteps, step{"strip", strip})); err != nil {
		return nil, err
	}
	return s.img.ToBytes()
}
