package transform

import (
	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// pad places the image on the canvas for fit=pad. The bars are the URL's
// background, else transparent where the output format has alpha, else white.
func pad(s *state) error {
	p := s.plan
	if p.CanvasW == s.img.Width() && p.CanvasH == s.img.PageHeight() {
		return nil
	}
	c := background(p)
	if err := toRGB(s.img); err != nil {
		return undecodable(err)
	}
	if c.A < 255 && !s.img.HasAlpha() {
		if err := s.img.AddAlpha(); err != nil {
			return undecodable(err)
		}
	}
	return undecodable(s.img.EmbedBackgroundRGBA(p.PadX, p.PadY, p.CanvasW, p.CanvasH,
		&vips.ColorRGBA{R: c.R, G: c.G, B: c.B, A: c.A}))
}

// background is the colour for bars and for flattening.
func background(p *Plan) spec.Color {
	if bg := p.Options.Background; bg != nil {
		if !hasAlpha(p.Format) {
			return spec.Color{R: bg.R, G: bg.G, B: bg.B, A: 255}
		}
		return *bg
	}
	if hasAlpha(p.Format) {
		return spec.Color{}
	}
	return spec.Color{R: 255, G: 255, B: 255, A: 255}
}

func hasAlpha(f spec.Format) bool { return f != spec.FormatJPEG }

// toRGB turns a grey image into sRGB before it meets a background colour:
// govips hands libvips three or four background values, one per band of an
// RGB(A) image, and a grey image cannot show a red bar anyway.
func toRGB(img *vips.ImageRef) error {
	if img.Bands()-boolInt(img.HasAlpha()) >= 3 {
		return nil
	}
	return undecodable(img.ToColorSpace(vips.InterpretationSRGB))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
