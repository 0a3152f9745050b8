package transform

import "github.com/davidbyttow/govips/v2/vips"

// flatten removes alpha where the output cannot carry it (JPEG), or where the
// URL asked for an opaque background.
func flatten(s *state) error {
	if !s.img.HasAlpha() {
		return nil
	}
	bg := background(s.plan)
	if bg.A < 255 {
		return nil
	}
	if err := toRGB(s.img); err != nil {
		return undecodable(err)
	}
	return undecodable(s.img.Flatten(&vips.Color{R: bg.R, G: bg.G, B: bg.B}))
}
