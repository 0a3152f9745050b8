package transform

// blur applies a Gaussian blur of the URL's sigma, in output pixels.
func blur(s *state) error {
	if s.plan.Options.Blur <= 0 {
		return nil
	}
	return s.img.GaussianBlur(s.plan.Options.Blur)
}

// sharpen maps the URL's 0..10 onto vips_sharpen's sigma: 1 is libvips'
// default mild sharpening (sigma 0.5), 10 is strong.
func sharpen(s *state) error {
	amount := s.plan.Options.Sharpen
	if amount <= 0 {
		return nil
	}
	return s.img.Sharpen(amount*0.5, 2, 3)
}
