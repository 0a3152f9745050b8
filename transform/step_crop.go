package transform

// crop keeps the plan's window. A window found by attention (g=auto, g=face)
// was already cut on load; see loadFocused.
func crop(s *state) error {
	c := s.plan.Crop
	if c == nil || (s.plan.Focus && !s.plan.Animated) {
		return nil
	}
	return undecodable(s.img.ExtractArea(c.X, c.Y, c.Width, c.Height))
}
