package transform

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
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
					res, err := r.Render(context.Background(), Original{Data: buf}, spec.Options{Width: w, Format: f}, "")
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

// BenchmarkMaterialize compares the two ways of making finished pixels
// resident before a WebP or PNG encode: the uncompressed TIFF round trip
// (the only lossless one govips offers, used until issue 9) and
// vips_image_copy_memory. Each iteration materializes a lazy copy of an
// image already in memory, then reads every pixel once, as the encoder
// will: for the TIFF path that read decodes the TIFF.
func BenchmarkMaterialize(b *testing.B) {
	testRenderer(b)
	buf := readCorpus(b, benchPhoto)
	ways := []struct {
		name string
		run  func(*vips.ImageRef) (*vips.ImageRef, error)
	}{
		{"tiff", func(img *vips.ImageRef) (*vips.ImageRef, error) {
			raw, _, err := img.ExportTiff(&vips.TiffExportParams{Compression: vips.TiffCompressionNone, Predictor: vips.TiffPredictorNone})
			if err != nil {
				return nil, err
			}
			img.Close()
			return vips.LoadImageFromBuffer(raw, vips.NewImportParams())
		}},
		{"copy_memory", func(img *vips.ImageRef) (*vips.ImageRef, error) { return img, copyToMemory(img) }},
	}
	for _, w := range []int{512, 1920} {
		base, err := vips.LoadThumbnailFromBuffer(buf, w, w, vips.InterestingNone, vips.SizeDown, vips.NewImportParams())
		if err != nil {
			b.Fatal(err)
		}
		if err := copyToMemory(base); err != nil {
			b.Fatal(err)
		}
		for _, way := range ways {
			b.Run(fmt.Sprintf("%s/w=%d", way.name, w), func(b *testing.B) {
				for b.Loop() {
					lazy, err := base.Copy()
					if err != nil {
						b.Fatal(err)
					}
					img, err := way.run(lazy)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := img.Average(); err != nil {
						b.Fatal(err)
					}
					img.Close()
				}
			})
		}
		base.Close()
	}
}

// autoMissPhoto is the corpus photo BenchmarkAutoMiss renders.
const autoMissPhoto = "photos/forest_path.jpg"

// BenchmarkAutoMiss is a whole miss at 800 px (decode of the original in
// memory, resize, encode(s), q=auto's measurements) per lossy format, at
// the format's default quality ("fixed") and under q=auto at each level.
// cpu-ms/op is the process's CPU time (user+system) per render, the number
// the q=auto target (at most 2.5x fixed) is about; encodes/op is q=auto's.
func BenchmarkAutoMiss(b *testing.B) {
	buf := readCorpus(b, autoMissPhoto)
	r := testRenderer(b)
	for _, f := range []spec.Format{spec.FormatJPEG, spec.FormatWebP, spec.FormatAVIF} {
		for _, level := range []spec.AutoLevel{"", spec.AutoLow, spec.AutoMedium, spec.AutoHigh} {
			name := "fixed"
			if level != "" {
				name = "auto-" + string(level)
			}
			b.Run(fmt.Sprintf("%s/%s", f, name), func(b *testing.B) {
				opts := spec.Options{Width: 800, Format: f, QualityAuto: level}
				var size, encodes int
				before := processCPU()
				for b.Loop() {
					res, err := r.Render(context.Background(), Original{Data: buf}, opts, "")
					if err != nil {
						b.Fatal(err)
					}
					size = len(res.Body)
					if res.Auto != nil {
						encodes += res.Auto.Encodes
					}
				}
				b.ReportMetric(float64(processCPU()-before)/1e6/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(encodes)/float64(b.N), "encodes/op")
				b.ReportMetric(float64(size), "B/img")
			})
		}
	}
}

// processCPU is the process's user+system CPU time in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
