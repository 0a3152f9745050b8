package transform

import "github.com/davidbyttow/govips/v2/vips"

// orient applies the URL's rotate (clockwise) and flips; EXIF orientation
// was applied on load, so these turn the upright image.
//
// The loaded image streams from a sequential decoder, and rotating or
// flipping vertically reads it out of order ("out of order read" from
// libjpeg once nothing was shrunk). vips_thumbnail copies the image to
// memory before it applies an orientation tag, and govips exposes no other
// way to do that; so the turn is written as the EXIF orientation that means
// it, and a same-size vips_thumbnail_image applies it. That resamples
// nothing: the pixels equal those of a plain rotate (see step_orient_test).
func orient(s *state) error {
	o := s.plan.Options
	if s.plan.Animated {
		return orientFrames(s.img, o.Rotate, o.FlipH, o.FlipV)
	}
	code := exifOrientation(o.Rotate, o.FlipH, o.FlipV)
	switch code {
	case 1:
		return nil
	case 2: // a mirror reads each row in order: no copy needed
		return undecodable(s.img.Flip(vips.DirectionHorizontal))
	}
	w, h := s.img.Width(), s.img.Height()
	if code >= 5 {
		w, h = h, w
	}
	if err := s.img.SetOrientation(code); err != nil {
		return undecodable(err)
	}
	return undecodable(s.img.ThumbnailWithSize(w, h, vips.InterestingNone, vips.SizeForce))
}

// exifOrientation is the EXIF orientation tag (1..8) whose display
// transform is a clockwise rotation by rotate followed by the flips.
func exifOrientation(rotate int, flipH, flipV bool) int {
	// A vertical flip is a half turn plus a horizontal flip.
	if flipV {
		rotate, flipH = (rotate+180)%360, !flipH
	}
	codes := map[int][2]int{0: {1, 2}, 90: {6, 5}, 180: {3, 4}, 270: {8, 7}}
	c, ok := codes[rotate]
	if !ok {
		return 1
	}
	if flipH {
		return c[1]
	}
	return c[0]
}

// orientFrames turns each frame of an animation (a strip of frames, one
// above the other) in place, keeping the frame order: govips rotates strips
// by quarter turns frame by frame, and a horizontal flip of the strip flips
// each frame. A half turn is two quarter turns, since rotating the strip by
// 180° would also reverse the frames.
func orientFrames(img *vips.ImageRef, rotate int, flipH, flipV bool) error {
	if flipV {
		rotate, flipH = (rotate+180)%360, !flipH
	}
	switch rotate {
	case 90:
		if err := img.Rotate(vips.Angle90); err != nil {
			return undecodable(err)
		}
	case 180:
		for range 2 {
			if err := img.Rotate(vips.Angle90); err != nil {
				return undecodable(err)
			}
		}
	case 270:
		if err := img.Rotate(vips.Angle270); err != nil {
			return undecodable(err)
		}
	}
	if flipH {
		return undecodable(img.Flip(vips.DirectionHorizontal))
	}
	return nil
}
