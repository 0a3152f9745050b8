package transform

import (
	"fmt"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// TestOrientWindow maps a 100x50 window at (10,20) of a 400x200 upright
// image through the URL's rotate and flips, and checks the answer against
// what libvips' own rotate and flip do to a white rectangle drawn there.
func TestOrientWindow(t *testing.T) {
	testRenderer(t) // starts libvips
	tests := []struct {
		rotate       int
		flipH, flipV bool
		wantX, wantY int
	}{
		{0, false, false, 10, 20},
		{90, false, false, 130, 10},
		{180, false, false, 290, 130},
		{270, false, false, 20, 290},
		{0, true, false, 290, 20},
		{0, false, true, 10, 130},
		{0, true, true, 290, 130},
		{90, true, false, 20, 10},
		{90, false, true, 130, 290},
		{180, true, false, 10, 130},
		{270, true, true, 130, 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rotate%d_h%v_v%v", tt.rotate, tt.flipH, tt.flipV), func(t *testing.T) {
			x, y := orientWindow(10, 20, 100, 50, 400, 200, tt.rotate, tt.flipH, tt.flipV)
			if x != tt.wantX || y != tt.wantY {
				t.Errorf("orientWindow = (%d,%d), want (%d,%d)", x, y, tt.wantX, tt.wantY)
			}
			// What the orient step really does to the pixels.
			img, err := vips.Black(400, 200)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			if err := img.DrawRect(vips.ColorRGBA{R: 255, G: 255, B: 255, A: 255}, 10, 20, 100, 50, true); err != nil {
				t.Fatal(err)
			}
			s := &state{img: img, plan: &Plan{Options: spec.Options{Rotate: tt.rotate, FlipH: tt.flipH, FlipV: tt.flipV}}}
			if err := orient(s); err != nil {
				t.Fatal(err)
			}
			bx, by, bw, bh := whiteBox(t, s.img)
			w, h := 100, 50
			if tt.rotate == 90 || tt.rotate == 270 {
				w, h = h, w
			}
			if bx != x || by != y || bw != w || bh != h {
				t.Errorf("libvips put the window at (%d,%d) %dx%d; orientWindow says (%d,%d) %dx%d", bx, by, bw, bh, x, y, w, h)
			}
		})
	}
}

// whiteBox is the bounding box of the non-zero pixels of a one-band image.
func whiteBox(t *testing.T, img *vips.ImageRef) (x, y, w, h int) {
	t.Helper()
	if err := img.Cast(vips.BandFormatUchar); err != nil {
		t.Fatal(err)
	}
	pix, err := img.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	W, H, nb := img.Width(), img.Height(), img.Bands()
	x0, y0, x1, y1 := W, H, -1, -1
	for yy := 0; yy < H; yy++ {
		for xx := 0; xx < W; xx++ {
			if pix[(yy*W+xx)*nb] != 0 {
				x0, y0, x1, y1 = min(x0, xx), min(y0, yy), max(x1, xx), max(y1, yy)
			}
		}
	}
	return x0, y0, x1 - x0 + 1, y1 - y0 + 1
}
