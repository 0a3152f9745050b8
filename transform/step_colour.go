package transform

import (
	"github.com/davidbyttow/govips/v2/vips"
)

// toSRGB brings every source into 8-bit sRGB (or 8-bit grey).
//
// vips_thumbnail in libvips 8.14 converts only CMYK to sRGB; an RGB or grey
// image keeps its pixels in the space of its embedded profile (Adobe RGB,
// Display P3, ProPhoto, Dot Gain 20%), and since the strip step drops the
// profile, browsers would show those numbers as sRGB: washed-out colours.
// So the profile is applied here, at the output size, where it is cheap.
func toSRGB(s *state) error {
	img := s.img
	if img.HasICCProfile() {
		if err := importProfile(img); err != nil {
			return err
		}
	}
	switch img.Interpretation() {
	case vips.InterpretationSRGB:
		return toUchar(img, vips.InterpretationRGB16, vips.InterpretationSRGB)
	case vips.InterpretationBW:
		return toUchar(img, vips.InterpretationGrey16, vips.InterpretationBW)
	case vips.InterpretationGrey16:
		return img.ToColorSpace(vips.InterpretationBW)
	}
	return img.ToColorSpace(vips.InterpretationSRGB)
}

// toUchar makes an 8-bit image of an sRGB or grey one whose band format is
// wider. 16-bit values are scaled down, not clipped.
func toUchar(img *vips.ImageRef, sixteen, eight vips.Interpretation) error {
	switch img.BandFormat() {
	case vips.BandFormatUchar:
		return nil
	case vips.BandFormatUshort:
		if err := img.ToColorSpace(sixteen); err != nil {
			return err
		}
		return img.ToColorSpace(eight)
	}
	return img.Cast(vips.BandFormatUchar)
}

// importProfile converts the pixels from the embedded ICC profile to sRGB
// (grey to sGray, keeping one band). A profile that does not describe the
// pixels is dropped: vips_thumbnail already turned CMYK into sRGB but leaves
// the CMYK profile attached.
func importProfile(img *vips.ImageRef) error {
	colour := img.Bands()
	if img.HasAlpha() {
		colour--
	}
	switch space := iccColourSpace(img.GetICCProfile()); {
	case space == "RGB " && colour == 3:
		return img.TransformICCProfileWithFallback(srgbProfile, srgbProfile)
	case space == "GRAY" && colour == 1:
		if err := img.TransformICCProfileWithFallback(vips.SGrayV2MicroICCProfilePath, vips.SGrayV2MicroICCProfilePath); err == nil {
			return nil
		}
		// The sGray profile lives in a temporary file govips writes; where
		// it cannot, the grey values are kept as they are.
	}
	return img.RemoveICCProfile()
}

// srgbProfile names libvips' built-in sRGB profile.
const srgbProfile = "srgb"

// iccColourSpace is the data colour space signature of an ICC profile
// (bytes 16..19 of its header: "RGB ", "GRAY", "CMYK", "Lab "), or "".
func iccColourSpace(profile []byte) string {
	if len(profile) < 128 {
		return ""
	}
	return string(profile[16:20])
}
