package transform

import (
	"context"
	"errors"

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
	r, err := s.vision.Regions(s.ctx, s.sourceID, func(longSide int) ([]byte, int, int, error) {
		return previewRGB(s.buf, longSide, s.lenient)
	})
	if err != nil {
		// The sidecar was meant to place this crop: what attention places
		// instead is a stand-in, never to be cached as the answer.
		p.Degraded = "vision sidecar unavailable: placed by libvips attention"
		return nil // attention decides in load
	}
	p.Faces = r.Faces // as found: fractions of the EXIF-oriented source, like f=json's crop
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
	return nil
}

// previewRGB decodes a small upright sRGB copy of the source, long side at
// most long, as raw 8-bit RGB for the sidecar.
func previewRGB(buf []byte, long int, lenient bool) ([]byte, int, int, error) {
	params := vips.NewImportParams()
	params.FailOnError.Set(!lenient)
	img, err := vips.LoadThumbnailFromBuffer(buf, long, long, vips.InterestingNone, vips.SizeDown, params)
	if err != nil {
		return nil, 0, 0, decodeError(err)
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

var errPreviewShape = errors.New("vision preview: unexpected pixel layout")
