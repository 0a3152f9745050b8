package transform

import (
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// TestBodyPlanesSameAsLibvips: q=auto's WebP decode through libwebp gives
// the planes libvips' decode gives, with and without alpha, so the
// distance is the same either way.
func TestBodyPlanesSameAsLibvips(t *testing.T) {
	testRenderer(t)
	for _, rel := range []string{"photos/forest_path.jpg", "formats/png_rgba_logo.png", "formats/grayscale_pier.jpg"} {
		img, err := vips.NewThumbnailWithSizeFromBuffer(readCorpus(t, rel), 301, 100000, vips.InterestingNone, vips.SizeDown)
		if err != nil {
			t.Fatal(err)
		}
		defer img.Close()
		if err := copyToMemory(img); err != nil {
			t.Fatal(err)
		}
		for _, q := range []int{30, 90} {
			body, err := EncodeLossy(img, spec.FormatWebP, q, DefaultConfig().Knobs(), true)
			if err != nil {
				t.Fatal(err)
			}
			if !isWebP(body) {
				t.Fatalf("%s q%d: not sniffed as WebP", rel, q)
			}
			fy, fcb, fcr, fw, fh, err := bodyPlanes(body)
			if err != nil {
				t.Fatal(err)
			}
			d, err := vips.NewImageFromBuffer(body)
			if err != nil {
				t.Fatal(err)
			}
			wy, wcb, wcr, ww, wh, err := YCbCrPlanes(d)
			d.Close()
			if err != nil {
				t.Fatal(err)
			}
			if fw != ww || fh != wh {
				t.Fatalf("%s q%d: libwebp %dx%d, libvips %dx%d", rel, q, fw, fh, ww, wh)
			}
			for _, pl := range []struct {
				name       string
				fast, want []float32
			}{{"Y", fy, wy}, {"Cb", fcb, wcb}, {"Cr", fcr, wcr}} {
				for i := range pl.want {
					if pl.fast[i] != pl.want[i] {
						t.Errorf("%s q%d: %s differs at %d: %v against %v", rel, q, pl.name, i, pl.fast[i], pl.want[i])
						break
					}
				}
			}
		}
	}
	if _, _, _, _, _, err := bodyPlanes([]byte("RIFF\x10\x00\x00\x00WEBPVP8 junk")); err == nil {
		t.Error("a broken WebP body: no error")
	}
}
