package transform

import (
	"bytes"
	"context"
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

// TestMaxBytes: the body fits the limit; quality goes down first (size
// kept), then the size; the encodes are bounded; a limit the first try
// meets changes nothing; f=json reports the same fit.
func TestMaxBytes(t *testing.T) {
	tests := []struct {
		name     string
		rel      string
		o        spec.Options
		fraction float64 // limit as a fraction of the plain render's size
		shrinks  bool    // the size must go down too
	}{
		{"jpeg, quality only", "photos/kleiber_bird_20mp.jpg", spec.Options{Width: 1200, Format: spec.FormatJPEG}, 0.5, false},
		{"webp, quality only", "photos/forest_path.jpg", spec.Options{Width: 800, Format: spec.FormatWebP}, 0.5, false},
		{"avif, quality only", "photos/object_fig_on_plate.jpg", spec.Options{Width: 400, Format: spec.FormatAVIF}, 0.6, false},
		// PNG's quality only steers the palette: q10 is about as big as
		// q90, so a PNG fits by its size.
		{"png, by its size", "formats/png_rgba_rose_photo.png", spec.Options{Width: 400, Format: spec.FormatPNG, Quality: 90}, 0.5, true},
		{"jpeg, then dimensions", "photos/kleiber_bird_20mp.jpg", spec.Options{Width: 1200, Format: spec.FormatJPEG}, 0.04, true},
		{"a limit already met", "photos/kleiber_bird_20mp.jpg", spec.Options{Width: 300, Format: spec.FormatJPEG}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := renderFile(t, tt.rel, tt.o, "")
			o := tt.o
			o.MaxBytes = max(1024, int(float64(len(plain.Body))*tt.fraction))
			res, got := renderDecoded(t, tt.rel, o, "")
			f := res.Fit
			t.Logf("plain %d B at q%d %dx%d; limit %d: %d B at q%d %dx%d in %d encodes", len(plain.Body), plain.Quality, plain.Width, plain.Height,
				o.MaxBytes, len(res.Body), res.Quality, res.Width, res.Height, f.Encodes)
			if len(res.Body) > o.MaxBytes || !f.Fits || f.Bytes != len(res.Body) || f.Quality != res.Quality {
				t.Fatalf("%d bytes over the limit %d (fit %+v)", len(res.Body), o.MaxBytes, *f)
			}
			if f.Encodes > 2+fitBisections+fitShrinks {
				t.Errorf("%d encodes, over the bound", f.Encodes)
			}
			if got.w != f.Width || got.h != f.Height {
				t.Errorf("body is %dx%d, fit says %dx%d", got.w, got.h, f.Width, f.Height)
			}
			switch {
			case tt.fraction >= 1:
				if !bytes.Equal(res.Body, plain.Body) || f.Encodes != 1 {
					t.Errorf("a limit already met changed the body (%d encodes)", f.Encodes)
				}
			case tt.shrinks:
				if res.Width >= plain.Width || res.Quality != minFitQuality {
					t.Errorf("%dx%d at q%d: want smaller than %d px at q%d", res.Width, res.Height, res.Quality, plain.Width, minFitQuality)
				}
			default:
				if res.Width != plain.Width || res.Height != plain.Height || res.Quality >= plain.Quality {
					t.Errorf("%dx%d at q%d: want the plain %dx%d at a lower quality than %d", res.Width, res.Height, res.Quality, plain.Width, plain.Height, plain.Quality)
				}
			}
			// f=json describes the URL without f: the same format only
			// where the source's is the one asked for.
			if sniffOutput(readCorpus(t, tt.rel)) != tt.o.Format {
				return
			}
			o.Format = spec.FormatJSON
			d, err := testRenderer(t).Describe(context.Background(), Original{Data: readCorpus(t, tt.rel)}, o, "")
			if err != nil {
				t.Fatal(err)
			}
			if d.MaxBytes == nil || *d.MaxBytes != *f || d.Output.Width != res.Width {
				t.Errorf("f=json max_bytes %+v output %dx%d, render %+v", d.MaxBytes, d.Output.Width, d.Output.Height, *f)
			}
		})
	}
}
