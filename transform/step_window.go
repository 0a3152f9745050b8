package transform

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"
)

// loadWindow is load for a plan with a window (crop=x,y,w,h, trim): the
// window of the EXIF-oriented source, at w×h (before the URL's rotate).
//
// Shrinking, the whole source is loaded at the window's scale, which keeps
// shrink-on-load (JPEG DCT scaling, WebP and HEIF scale-on-load), and the
// window is cut from it: libvips decodes only the rows it covers and
// computes only the pixels it keeps. Enlarging, the window is cut at full
// size first, so that libvips never builds an enlarged whole source (a
// 10 px region of a large photo would be millions of pixels wide).
func loadWindow(s *state, params *vips.ImportParams, w, h int) (*vips.ImageRef, error) {
	p := s.plan
	win := p.Window
	srcW, srcH := p.Source.Width, p.Source.Height
	sx, sy := float64(w)/float64(win.Width), float64(h)/float64(win.Height)
	lw, lh := srcW, srcH
	if sx < 1 && sy < 1 {
		lw, lh = max(1, int(math.Round(float64(srcW)*sx))), max(1, int(math.Round(float64(srcH)*sy)))
	}
	img, err := vips.LoadThumbnailFromBuffer(s.buf, lw, lh, vips.InterestingNone, vips.SizeForce, params)
	if err != nil {
		return nil, decodeError(err)
	}
	// The window's edges at the scale vips_thumbnail actually gave.
	ax, ay := float64(img.Width())/float64(srcW), float64(img.PageHeight())/float64(srcH)
	x0 := clamp(int(math.Round(float64(win.X)*ax)), 0, img.Width()-1)
	y0 := clamp(int(math.Round(float64(win.Y)*ay)), 0, img.PageHeight()-1)
	x1 := clamp(int(math.Round(float64(win.X+win.Width)*ax)), x0+1, img.Width())
	y1 := clamp(int(math.Round(float64(win.Y+win.Height)*ay)), y0+1, img.PageHeight())
	if err := img.ExtractArea(x0, y0, x1-x0, y1-y0); err != nil {
		img.Close()
		return nil, undecodable(err)
	}
	if img.Width() != w || img.Height() != h {
		if err := img.ResizeWithVScale(float64(w)/float64(img.Width()), float64(h)/float64(img.Height()), vips.KernelLanczos3); err != nil {
			img.Close()
			return nil, undecodable(err)
		}
	}
	return img, nil
}

// loadWindowFocused is loadFocused inside a window: the attention search
// runs on the scaled window, copied to memory first because vips_smartcrop
// reads its input more than once and the load streams from a sequential
// decoder. The copy is of the scaled window only, not of the source.
func loadWindowFocused(s *state, params *vips.ImportParams, cw, ch, sw, sh int) (*vips.ImageRef, int, int, error) {
	img, err := loadWindow(s, params, sw, sh)
	if err != nil {
		return nil, 0, 0, err
	}
	if err := copyToMemory(img); err != nil {
		img.Close()
		return nil, 0, 0, undecodable(err)
	}
	if err := img.SmartCrop(cw, ch, vips.InterestingAttention); err != nil {
		img.Close()
		return nil, 0, 0, undecodable(err)
	}
	// vips_smartcrop cuts with vips_extract_area, which leaves the
	// window's origin in the header as a negative offset.
	return img, -img.OffsetX(), -img.OffsetY(), nil
}
