package transform

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/transform/spec"
	"github.com/pixmill/pixmill/vision"
)

// Locator finds where the faces and salient regions of a source are
// (vision.Locator: the sidecar behind its timeout, breaker and cache). An
// error means no answer; focus then leaves the crop to libvips attention.
type Locator interface {
	Regions(ctx context.Context, id string, preview vision.Preview) (vision.Regions, error)
}

// focus places the crop window for g=face and g=auto from what the vision
// sidecar finds in a small preview: every face when they fit (with headroom),
// else the largest; for saliency, the window with the most saliency mass.
// Without a sidecar, or when it fails or times out, the window is left to
// libvips' attention search in load, and the result is marked degraded.
func focus(s *state) error {
	p := s.plan
	if !p.Focus || p.Animated || p.Crop == nil {
		return nil
	}
	if s.vision == nil {
		return nil
	}
	faces := p.Options.Gravity.Kind == spec.GravityFace
	id := s.sourceID
	if w := p.Window; w != nil && id != "" {
		// The sidecar sees the window: its analysis is of that window.
		id += fmt.Sprintf("#%d,%d,%d,%d", w.X, w.Y, w.Width, w.Height)
	}
	r, err := s.vision.Regions(s.ctx, id, func(longSide int) ([]byte, int, int, error) {
		return previewRGB(s.buf, longSide, s.lenient, p.Window, p.Source.Width, p.Source.Height)
	})
	if err != nil {
		// The sidecar was meant to place this crop: what attention places
		// instead is a stand-in, never to be cached as the answer.
		p.Degraded = "vision sidecar unavailable: placed by libvips attention"
		return nil // attention decides in load
	}
	p.Faces = sourceFractions(r.Faces, p.Window, p.Source.Width, p.Source.Height) // fractions of the EXIF-oriented source, like f=json's crop
	r = orientRegions(r, p.Options.Rotate, p.Options.FlipH, p.Options.FlipV)
	c := p.Crop
	x, y, ok := 0, 0, false
	if faces {
		x, y, ok = placeByFaces(r.Faces, p.ScaledW, p.ScaledH, c.Width, c.Height)
		if ok {
			p.FocusedBy = "faces"
		}
	}
	if !ok {
		x, y = placeBySaliency(r, p.ScaledW, p.ScaledH, c.Width, c.Height)
		p.FocusedBy = "saliency"
	}
	c.X, c.Y = x, y
	p.Focus = false // the window is placed: load and crop as for a fixed one
	if p.FocusedBy == "faces" && p.Options.Zoom > 0 {
		zoomToFaces(s, r.Faces)
	}
	return nil
}

// zoomToFaces narrows a placed g=face window toward the faces it holds, by
// Options.Zoom as Cloudflare defines it: 0 keeps the window, 1 the tightest
// window of the same aspect around those faces' heads; the window stays
// inside the placed one, so it keeps the same faces. The plan is then made
// again with that part of the source as its window, so that it is resized
// to the output size rather than cropped small.
func zoomToFaces(s *state, faces []vision.Box) {
	p := s.plan
	c := *p.Crop
	sw, sh := float64(p.ScaledW), float64(p.ScaledH)
	var u faceRect
	n := 0
	for _, f := range faces {
		if f.Score < minFaceScore || f.Width <= 0 || f.Height <= 0 {
			continue
		}
		b := faceRect{f.X * sw, f.Y * sh, (f.X + f.Width) * sw, (f.Y + f.Height) * sh}
		if !b.inside(float64(c.X), float64(c.Y), float64(c.Width), float64(c.Height)) {
			continue
		}
		h := faceRect{b.x0, b.y0 - faceHeadroom*(b.y1-b.y0), b.x1, b.y1 + faceChin*(b.y1-b.y0)}
		if n == 0 {
			u = h
		} else {
			u = faceRect{math.Min(u.x0, h.x0), math.Min(u.y0, h.y0), math.Max(u.x1, h.x1), math.Max(u.y1, h.y1)}
		}
		n++
	}
	if n == 0 {
		return
	}
	aspect := float64(c.Width) / float64(c.Height)
	tightW := math.Max(u.x1-u.x0, (u.y1-u.y0)*aspect)
	if tightW >= float64(c.Width) {
		return // the faces fill the window already
	}
	zw := int(math.Round(float64(c.Width) - p.Options.Zoom*(float64(c.Width)-tightW)))
	zh := int(math.Round(float64(zw) / aspect))
	zw, zh = max(1, min(zw, c.Width)), max(1, min(zh, c.Height))
	zx := clamp(int(math.Round((u.x0+u.x1)/2-float64(zw)/2)), c.X, c.X+c.Width-zw)
	zy := clamp(int(math.Round((u.y0+u.y1)/2-float64(zh)/2)), c.Y, c.Y+c.Height-zh)
	p.Crop = &Rect{X: zx, Y: zy, Width: zw, Height: zh}
	win := p.SourceCrop()
	if win == nil || win.Width < 1 || win.Height < 1 {
		p.Crop = &c
		return
	}
	np := newPlan(p.Source, p.Options, p.Format, s.cfg, win)
	if np.Crop != nil {
		// The window has the output's aspect up to rounding: what is left
		// to crop is a pixel or two, centred.
		np.Focus = false
		np.Crop.X, np.Crop.Y = (np.ScaledW-np.Crop.Width)/2, (np.ScaledH-np.Crop.Height)/2
	}
	np.FocusedBy, np.Faces, np.Degraded = p.FocusedBy, p.Faces, p.Degraded
	*p = *np
}

// sourceFractions maps boxes found in a window (fractions of it) to
// fractions of the whole srcW×srcH source.
func sourceFractions(boxes []vision.Box, win *Rect, srcW, srcH int) []vision.Box {
	if win == nil {
		return boxes
	}
	out := make([]vision.Box, len(boxes))
	for i, b := range boxes {
		fw, fh := float64(win.Width)/float64(srcW), float64(win.Height)/float64(srcH)
		b.X = float64(win.X)/float64(srcW) + b.X*fw
		b.Y = float64(win.Y)/float64(srcH) + b.Y*fh
		b.Width *= fw
		b.Height *= fh
		out[i] = b
	}
	return out
}

// previewRGB decodes a small upright sRGB copy of the source, or of its
// window win (nil: all of it) when srcW×srcH is the source's size, long
// side at most long, as raw 8-bit RGB for the sidecar.
func previewRGB(buf []byte, long int, lenient bool, win *Rect, srcW, srcH int) ([]byte, int, int, error) {
	params := vips.NewImportParams()
	params.FailOnError.Set(!lenient)
	img, err := loadPreview(buf, long, params, win, srcW, srcH)
	if err != nil {
		return nil, 0, 0, err
	}
	defer img.Close()
	if img.HasAlpha() {
		if err := img.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
			return nil, 0, 0, undecodable(err)
		}
	}
	if img.Interpretation() != vips.InterpretationSRGB || img.BandFormat() != vips.BandFormatUchar || img.Bands() != 3 {
		if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
			return nil, 0, 0, undecodable(err)
		}
		if img.Bands() > 3 {
			if err := img.ExtractBand(0, 3); err != nil {
				return nil, 0, 0, undecodable(err)
			}
		}
		if img.BandFormat() != vips.BandFormatUchar {
			if err := img.Cast(vips.BandFormatUchar); err != nil {
				return nil, 0, 0, undecodable(err)
			}
		}
	}
	pix, err := img.ToBytes()
	if err != nil {
		return nil, 0, 0, undecodable(err)
	}
	w, h := img.Width(), img.Height()
	if len(pix) != w*h*3 {
		return nil, 0, 0, errPreviewShape
	}
	return pix, w, h, nil
}

// loadPreview loads the source, or its window, with its long side at most
// long.
func loadPreview(buf []byte, long int, params *vips.ImportParams, win *Rect, srcW, srcH int) (*vips.ImageRef, error) {
	if win == nil {
		img, err := vips.LoadThumbnailFromBuffer(buf, long, long, vips.InterestingNone, vips.SizeDown, params)
		if err != nil {
			return nil, decodeError(err)
		}
		return img, nil
	}
	f := min(1, float64(long)/float64(max(win.Width, win.Height)))
	w, h := max(1, int(float64(win.Width)*f)), max(1, int(float64(win.Height)*f))
	s := &state{buf: buf, plan: &Plan{Source: Info{Width: srcW, Height: srcH}, Window: win}}
	return loadWindow(s, params, w, h)
}

var errPreviewShape = errors.New("vision preview: unexpected pixel layout")
