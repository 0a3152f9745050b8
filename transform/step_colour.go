package transform

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"

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
			return undecodable(err)
		}
	}
	switch img.Interpretation() {
	case vips.InterpretationSRGB:
		return toUchar(img, vips.InterpretationRGB16, vips.InterpretationSRGB)
	case vips.InterpretationBW:
		return toUchar(img, vips.InterpretationGrey16, vips.InterpretationBW)
	case vips.InterpretationGrey16:
		return undecodable(img.ToColorSpace(vips.InterpretationBW))
	}
	return undecodable(img.ToColorSpace(vips.InterpretationSRGB))
}

// toUchar makes an 8-bit image of an sRGB or grey one whose band format is
// wider. 16-bit values are scaled down, not clipped.
func toUchar(img *vips.ImageRef, sixteen, eight vips.Interpretation) error {
	switch img.BandFormat() {
	case vips.BandFormatUchar:
		return nil
	case vips.BandFormatUshort:
		if err := img.ToColorSpace(sixteen); err != nil {
			return undecodable(err)
		}
		return undecodable(img.ToColorSpace(eight))
	}
	return undecodable(img.Cast(vips.BandFormatUchar))
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
	profile := img.GetICCProfile()
	switch space := iccColourSpace(profile); {
	case space == "RGB " && colour == 3:
		if strings.Contains(iccDescription(profile), "sRGB") {
			// Already sRGB: converting costs ~20 ms at 1600 px for nothing.
			return undecodable(img.RemoveICCProfile())
		}
		return undecodable(img.TransformICCProfileWithFallback(srgbProfile, srgbProfile))
	case space == "GRAY" && colour == 1:
		if err := img.TransformICCProfileWithFallback(vips.SGrayV2MicroICCProfilePath, vips.SGrayV2MicroICCProfilePath); err == nil {
			return nil
		}
		// The sGray profile lives in a temporary file govips writes; where
		// it cannot, the grey values are kept as they are.
	}
	return undecodable(img.RemoveICCProfile())
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

// iccDescription is the profile's 'desc' tag ("sRGB IEC61966-2.1",
// "Display P3", ...), from an ICC v2 textDescription or a v4
// multiLocalizedUnicode (first record), or "" when it cannot be read.
func iccDescription(profile []byte) string {
	be := binary.BigEndian
	if len(profile) < 132 {
		return ""
	}
	n := int(be.Uint32(profile[128:]))
	for i := 0; i < n && 132+12*(i+1) <= len(profile); i++ {
		e := profile[132+12*i:]
		if string(e[:4]) != "desc" {
			continue
		}
		off, size := int(be.Uint32(e[4:])), int(be.Uint32(e[8:]))
		if off < 0 || size < 12 || off+size > len(profile) || off+size < off {
			return ""
		}
		tag := profile[off : off+size]
		switch string(tag[:4]) {
		case "desc": // uInt32 ASCII count, then the string with its NUL
			count := int(be.Uint32(tag[8:]))
			if count < 0 || 12+count > len(tag) {
				return ""
			}
			return strings.TrimRight(string(tag[12:12+count]), "\x00")
		case "mluc": // records of lang, country, byte length, offset
			if len(tag) < 28 || be.Uint32(tag[8:]) == 0 {
				return ""
			}
			l, o := int(be.Uint32(tag[20:])), int(be.Uint32(tag[24:]))
			if l < 0 || o < 0 || o+l > len(tag) || o+l < o {
				return ""
			}
			u := make([]uint16, l/2)
			for j := range u {
				u[j] = be.Uint16(tag[o+2*j:])
			}
			return string(utf16.Decode(u))
		}
		return ""
	}
	return ""
}
