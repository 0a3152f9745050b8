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
			fast, err := bodyPlanes(body)
			if err != nil {
				t.Fatal(err)
			}
			d, err := vips.NewImageFromBuffer(body)
			if err != nil {
				t.Fatal(err)
			}
			want, err := yccOf(d)
			d.Close()
			if err != nil {
				t.Fatal(err)
			}
			if fast.w != want.w || fast.h != want.h || msDistance(want, fast) != 0 {
				t.Errorf("%s q%d: libwebp %dx%d, libvips %dx%d, distance between them %v; want the same pixels",
					rel, q, fast.w, fast.h, want.w, want.h, msDistance(want, fast))
			}
			for i := range want.y {
				if fast.y[i] != want.y[i] {
					t.Errorf("%s q%d: luma differs at %d: %v against %v", rel, q, i, fast.y[i], want.y[i])
					break
				}
			}
		}
	}
	if _, err := bodyPlanes([]byte("RIFF\x10\x00\x00\x00WEBPVP8 junk")); err == nil {
		t.Error("a broken WebP body: no error")
	}
}
