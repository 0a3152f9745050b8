package transform

import (
	"github.com/davidbyttow/govips/v2/vips"
)

// load decodes the source straight to the scaled size. vips_thumbnail picks
// the cheapest way there (JPEG DCT scaling, WebP and HEIF scale-on-load, SVG
// and PDF density), which is ~10x cheaper than load-then-resize for small
// outputs, and applies the EXIF orientation on the way.
//
// When the crop's place must be found from the pixels (g=auto, g=face),
// vips_thumbnail crops too: its attention search runs on the shrunk image
// inside the same sequential pipeline, where a separate vips_smartcrop would
// need random access to a sequentially decoded source.
func load(s *state) error {
	p := s.plan
	params := vips.NewImportParams()
	params.FailOnError.Set(!s.lenient)
	if p.Animated {
		params.NumPages.Set(-1)
	}
	if p.Focus && !p.Animated {
		return loadFocused(s, params)
	}
	w, h := p.ScaledW, p.ScaledH
	if p.Options.Rotate == 90 || p.Options.Rotate == 270 {
		w, h = h, w // the URL's rotation comes after loading
	}
	if p.Window != nil {
		img, err := loadWindow(s, params, w, h)
		s.img = img
		return err
	}
	img, err := vips.LoadThumbnailFromBuffer(s.buf, w, h, vips.InterestingNone, vips.SizeForce, params)
	if err != nil {
		return decodeError(err)
	}
	s.img = img
	// vips_thumbnail rounds each side on its own; meet the plan exactly so
	// that later steps can rely on it.
	if img.Width() != w || img.PageHeight() != h {
		if p.Animated {
			return nil // frames are resized together; a pixel off is harmless
		}
		return undecodable(img.ResizeWithVScale(float64(w)/float64(img.Width()), float64(h)/float64(img.Height()), vips.KernelLanczos3))
	}
	return nil
}

// loadFocused shrinks and crops by attention in one vips_thumbnail call, then
// records where the window landed, in the plan's oriented coordinates.
func loadFocused(s *state, params *vips.ImportParams) error {
	p := s.plan
	c := p.Crop
	rotated := p.Options.Rotate == 90 || p.Options.Rotate == 270
	cw, ch := c.Width, c.Height
	sw, sh := p.ScaledW, p.ScaledH
	if rotated {
		cw, ch, sw, sh = ch, cw, sh, sw
	}
	var x, y int
	if p.Window != nil {
		img, wx, wy, err := loadWindowFocused(s, params, cw, ch, sw, sh)
		if err != nil {
			return err
		}
		s.img = img
		x, y = wx, wy
	} else {
		size := vips.SizeBoth
		if p.Options.Fit == "crop" {
			size = vips.SizeDown
		}
		img, err := vips.LoadThumbnailFromBuffer(s.buf, cw, ch, vips.InterestingAttention, size, params)
		if err != nil {
			return decodeError(err)
		}
		s.img = img
		// vips leaves the window's origin in the header as a negative offset.
		x, y = -img.OffsetX(), -img.OffsetY()
	}
	img := s.img
	p.FocusedBy = "attention"
	x, y = clamp(x, 0, sw-cw), clamp(y, 0, sh-ch)
	c.X, c.Y = orientWindow(x, y, cw, ch, sw, sh, p.Options.Rotate, p.Options.FlipH, p.Options.FlipV)
	if img.Width() != cw || img.Height() != ch {
		return undecodable(img.ResizeWithVScale(float64(cw)/float64(img.Width()), float64(ch)/float64(img.Height()), vips.KernelLanczos3))
	}
	return nil
}

// orientWindow maps a window found in the upright image (w×h at x,y inside
// W×H) through the URL's rotate (clockwise) and flips.
func orientWindow(x, y, w, h, W, H, rotate int, flipH, flipV bool) (int, int) {
	x, y, _, _ = orientRect(x, y, w, h, W, H, rotate, flipH, flipV)
	return x, y
}

// orientRect turns a rectangle inside a W×H frame clockwise by rotate and
// then flips it, in pixels (int) or in fractions of the frame (float64,
// with W = H = 1); it returns the rectangle in the turned frame.
func orientRect[T int | float64](x, y, w, h, W, H T, rotate int, flipH, flipV bool) (T, T, T, T) {
	switch rotate {
	case 90:
		x, y, W, H = H-y-h, x, H, W
		w, h = h, w
	case 180:
		x, y = W-x-w, H-y-h
	case 270:
		x, y, W, H = y, W-x-w, H, W
		w, h = h, w
	}
	if flipH {
		x = W - x - w
	}
	if flipV {
		y = H - y - h
	}
	return x, y, w, h
}
