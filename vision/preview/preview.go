// Package preview turns what the server sends (raw RGB or an encoded JPEG or
// PNG) into the float tensors the models read: a letterboxed square for the
// face detector, a stretched square for saliency. Pure Go: the sidecar never
// links libvips.
package preview

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // encoded previews
	_ "image/png"
)

// Image is 8-bit interleaved RGB, rows top to bottom, no padding.
type Image struct {
	W, H int
	Pix  []byte
}

// ErrTooLarge is returned for a preview with a side over the limit.
var ErrTooLarge = errors.New("preview too large")

// FromRGB wraps raw RGB bytes after checking their length.
func FromRGB(pix []byte, w, h, maxSide int) (Image, error) {
	if w <= 0 || h <= 0 {
		return Image{}, fmt.Errorf("preview size %dx%d", w, h)
	}
	if w > maxSide || h > maxSide {
		return Image{}, fmt.Errorf("%w: %dx%d, limit %d", ErrTooLarge, w, h, maxSide)
	}
	if len(pix) != w*h*3 {
		return Image{}, fmt.Errorf("raw RGB %dx%d needs %d bytes, got %d", w, h, w*h*3, len(pix))
	}
	return Image{W: w, H: h, Pix: pix}, nil
}

// Decode decodes a JPEG or PNG, checking its size from the header before
// decoding any pixels.
func Decode(data []byte, maxSide int) (Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Image{}, fmt.Errorf("preview header: %w", err)
	}
	if cfg.Width > maxSide || cfg.Height > maxSide {
		return Image{}, fmt.Errorf("%w: %dx%d, limit %d", ErrTooLarge, cfg.Width, cfg.Height, maxSide)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Image{}, fmt.Errorf("preview: %w", err)
	}
	return FromImage(img), nil
}

// FromImage converts any image.Image to RGB (alpha is dropped, not blended).
func FromImage(img image.Image) Image {
	b := img.Bounds()
	rgba, ok := img.(*image.RGBA)
	if !ok {
		rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	}
	out := Image{W: b.Dx(), H: b.Dy(), Pix: make([]byte, b.Dx()*b.Dy()*3)}
	for y := 0; y < out.H; y++ {
		row := rgba.Pix[y*rgba.Stride : y*rgba.Stride+out.W*4]
		dst := out.Pix[y*out.W*3 : (y+1)*out.W*3]
		for x := 0; x < out.W; x++ {
			dst[3*x], dst[3*x+1], dst[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
		}
	}
	return out
}

// Norm maps a byte v to v*Scale + Offset: {1/255, 0} gives [0, 1],
// {2/255, -1} gives [-1, 1].
type Norm struct{ Scale, Offset float32 }

// Letterbox is where a preview sits inside a model's square input: scaled by
// Scale and shifted by (PadX, PadY) pixels, in a Size x Size square.
type Letterbox struct {
	Size       int
	Scale      float64
	PadX, PadY int
	W, H       int // the content's size inside the square, in pixels
	SrcW, SrcH int
}

// Fit computes the letterbox of a w x h preview in a size x size square:
// the whole preview, aspect kept, centred.
func Fit(w, h, size int) Letterbox {
	s := min(float64(size)/float64(w), float64(size)/float64(h))
	cw := max(1, min(size, int(float64(w)*s+0.5)))
	ch := max(1, min(size, int(float64(h)*s+0.5)))
	return Letterbox{Size: size, Scale: s, PadX: (size - cw) / 2, PadY: (size - ch) / 2, W: cw, H: ch, SrcW: w, SrcH: h}
}

// ToPreview maps a point in fractions of the model square to fractions of
// the preview.
func (l Letterbox) ToPreview(fx, fy float64) (px, py float64) {
	px = (fx*float64(l.Size) - float64(l.PadX)) / float64(l.W)
	py = (fy*float64(l.Size) - float64(l.PadY)) / float64(l.H)
	return px, py
}

// LetterboxInto writes img letterboxed into dst, an NHWC size x size x 3
// tensor, padding with the value a black pixel would have.
func LetterboxInto(dst []float32, img Image, size int, n Norm) Letterbox {
	lb := Fit(img.W, img.H, size)
	for i := range dst[:size*size*3] {
		dst[i] = n.Offset
	}
	resize(dst, size, lb.PadX, lb.PadY, lb.W, lb.H, img, n)
	return lb
}

// StretchInto writes img resized to fill dst, an NHWC size x size x 3 tensor,
// ignoring its aspect ratio (spectral residual saliency works on a fixed
// square; its map is mapped back by the same stretch).
func StretchInto(dst []float32, img Image, size int, n Norm) {
	resize(dst, size, 0, 0, size, size, img, n)
}

// Downscale returns img shrunk so that its long side is at most maxSide (img
// itself when it already fits): what the server does with libvips before it
// asks the sidecar, for callers and tests without libvips.
func Downscale(img Image, maxSide int) Image {
	if img.W <= maxSide && img.H <= maxSide {
		return img
	}
	lb := Fit(img.W, img.H, maxSide)
	sq := make([]float32, maxSide*maxSide*3)
	resize(sq, maxSide, 0, 0, lb.W, lb.H, img, Norm{Scale: 1})
	out := Image{W: lb.W, H: lb.H, Pix: make([]byte, lb.W*lb.H*3)}
	for y := 0; y < lb.H; y++ {
		for x := 0; x < lb.W*3; x++ {
			out.Pix[y*lb.W*3+x] = uint8(max(0, min(255, sq[y*maxSide*3+x]+0.5)))
		}
	}
	return out
}
