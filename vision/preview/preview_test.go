package preview

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"
)

func TestFit(t *testing.T) {
	cases := []struct {
		w, h, size         int
		cw, ch, padX, padY int
	}{
		{320, 320, 128, 128, 128, 0, 0},
		{320, 160, 128, 128, 64, 0, 32},
		{160, 320, 256, 128, 256, 64, 0},
		{273, 320, 256, 218, 256, 19, 0},
		{10, 5, 128, 128, 64, 0, 32},  // enlarges
		{1000, 1, 128, 128, 1, 0, 63}, // never below one pixel
	}
	for _, c := range cases {
		lb := Fit(c.w, c.h, c.size)
		if lb.W != c.cw || lb.H != c.ch || lb.PadX != c.padX || lb.PadY != c.padY {
			t.Errorf("Fit(%d, %d, %d) = %dx%d at (%d, %d), want %dx%d at (%d, %d)",
				c.w, c.h, c.size, lb.W, lb.H, lb.PadX, lb.PadY, c.cw, c.ch, c.padX, c.padY)
		}
	}
}

func TestToPreviewInvertsTheLetterbox(t *testing.T) {
	lb := Fit(320, 160, 128) // content rows 32..95
	cases := []struct{ fx, fy, px, py float64 }{
		{0, 32.0 / 128, 0, 0},
		{1, 96.0 / 128, 1, 1},
		{0.5, 0.5, 0.5, 0.5},
		{0.25, 48.0 / 128, 0.25, 0.25},
	}
	for _, c := range cases {
		px, py := lb.ToPreview(c.fx, c.fy)
		if math.Abs(px-c.px) > 1e-9 || math.Abs(py-c.py) > 1e-9 {
			t.Errorf("ToPreview(%v, %v) = (%v, %v), want (%v, %v)", c.fx, c.fy, px, py, c.px, c.py)
		}
	}
}

func solid(w, h int, r, g, b byte) Image {
	img := Image{W: w, H: h, Pix: make([]byte, w*h*3)}
	for i := 0; i < w*h; i++ {
		img.Pix[3*i], img.Pix[3*i+1], img.Pix[3*i+2] = r, g, b
	}
	return img
}

func TestLetterboxKeepsColoursAndPads(t *testing.T) {
	dst := make([]float32, 16*16*3)
	lb := LetterboxInto(dst, solid(40, 20, 255, 0, 51), 16, Norm{Scale: 1.0 / 255})
	at := func(x, y, c int) float32 { return dst[(y*16+x)*3+c] }
	if lb.PadY != 4 || lb.H != 8 {
		t.Fatalf("letterbox %+v", lb)
	}
	for _, p := range []struct {
		x, y int
		want [3]float32
	}{
		{0, 0, [3]float32{0, 0, 0}},   // pad
		{8, 3, [3]float32{0, 0, 0}},   // last pad row
		{8, 4, [3]float32{1, 0, 0.2}}, // first content row
		{15, 11, [3]float32{1, 0, 0.2}},
		{8, 12, [3]float32{0, 0, 0}},
	} {
		for c := range 3 {
			if got := at(p.x, p.y, c); math.Abs(float64(got-p.want[c])) > 1e-5 {
				t.Errorf("(%d, %d) channel %d = %v, want %v", p.x, p.y, c, got, p.want[c])
			}
		}
	}
}

func TestDownscaleAveragesStripes(t *testing.T) {
	img := Image{W: 4, H: 2, Pix: make([]byte, 4*2*3)}
	for y := range 2 {
		for x := range 4 {
			if x%2 == 0 {
				copy(img.Pix[(y*4+x)*3:], []byte{200, 200, 200})
			}
		}
	}
	out := Downscale(img, 2)
	if out.W != 2 || out.H != 1 {
		t.Fatalf("size %dx%d", out.W, out.H)
	}
	for i, v := range out.Pix {
		if v < 80 || v > 120 { // stripes of 200 and 0 average to about 100 (the triangle filter weighs the nearer stripe more)
			t.Errorf("byte %d = %d, want about 100", i, v)
		}
	}
}

func TestDecodeAndLimits(t *testing.T) {
	var buf bytes.Buffer
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	src.Set(2, 1, color.RGBA{10, 20, 30, 255})
	if err := png.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	img, err := Decode(buf.Bytes(), 8)
	if err != nil || img.W != 3 || img.H != 2 || !bytes.Equal(img.Pix[15:18], []byte{10, 20, 30}) {
		t.Fatalf("Decode = %+v, %v", img, err)
	}
	if _, err := Decode(buf.Bytes(), 2); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := Decode([]byte("not an image"), 8); err == nil {
		t.Error("garbage decoded")
	}
	if _, err := FromRGB(make([]byte, 17), 3, 2, 8); err == nil {
		t.Error("short raw RGB accepted")
	}
	if _, err := FromRGB(make([]byte, 27), 9, 1, 8); !errors.Is(err, ErrTooLarge) {
		t.Errorf("wide raw RGB: %v", err)
	}
}
