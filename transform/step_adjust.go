package transform

import (
	"bytes"
	"image"
	"image/png"
	"math"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// adjust applies the colour adjustments (Cloudflare's brightness, contrast,
// gamma and saturation), at the output size, on the 8-bit sRGB or grey
// pixels toSRGB made, before pad and flatten so that the bars and the
// background keep the colour the URL asked for.
//
// Brightness, contrast and gamma are one function of each channel's value,
// applied as one lookup table (vips_maplut) so that the pixels are read
// once and the three compose without clipping in between; alpha maps to
// itself. Saturation scales chroma in LCh (vips Modulate), so 0 is grey
// and the lightness is kept.
func adjust(s *state) error {
	o := s.plan.Options
	if !o.Adjusts() {
		return nil
	}
	img := s.img
	if o.Brightness != 0 || o.Contrast != 0 || o.Gamma != 0 {
		lut, err := adjustLUT(o, img.Bands(), img.HasAlpha())
		if err != nil {
			return err
		}
		defer lut.Close()
		interp := img.Interpretation()
		if err := img.Maplut(lut); err != nil {
			return undecodable(err)
		}
		// vips_maplut takes the table's interpretation (grey): give the
		// image its own back, without converting anything.
		if img.Interpretation() != interp {
			c, err := img.CopyChangingInterpretation(interp)
			if err != nil {
				return undecodable(err)
			}
			s.img.Close()
			s.img = c
		}
	}
	img = s.img
	if o.Saturation != nil && img.Bands() >= 3 {
		if err := img.Modulate(1, *o.Saturation, 0); err != nil {
			return undecodable(err)
		}
		if img.BandFormat() != vips.BandFormatUchar {
			return undecodable(img.Cast(vips.BandFormatUchar))
		}
	}
	return nil
}

// adjustValue is what brightness, then contrast (about mid-grey), then
// gamma make of one 8-bit channel value.
func adjustValue(o spec.Options, v float64) float64 {
	if o.Brightness != 0 {
		v *= o.Brightness
	}
	if o.Contrast != 0 {
		v = (v-127.5)*o.Contrast + 127.5
	}
	v = min(max(v, 0), 255)
	if o.Gamma != 0 {
		v = 255 * math.Pow(v/255, 1/o.Gamma)
	}
	return math.Round(min(max(v, 0), 255))
}

// adjustLUT is a 256×1 table with one band per image band: adjustValue
// for the colour bands, identity for alpha. The table goes to libvips as a
// PNG, the one way govips takes pixels it did not decode itself.
func adjustLUT(o spec.Options, bands int, alpha bool) (*vips.ImageRef, error) {
	colour := bands
	if alpha {
		colour--
	}
	g := image.NewGray(image.Rect(0, 0, 256, 1))
	for i := range 256 {
		g.Pix[i] = uint8(adjustValue(o, float64(i)))
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		return nil, err
	}
	lut, err := vips.LoadImageFromBuffer(buf.Bytes(), vips.NewImportParams())
	if err != nil {
		return nil, err // our own PNG: a bug, not the source's fault
	}
	var extra []*vips.ImageRef
	for range colour - 1 {
		c, err := lut.Copy()
		if err != nil {
			lut.Close()
			return nil, err
		}
		extra = append(extra, c)
	}
	if alpha {
		id, err := vips.Identity(false)
		if err != nil {
			lut.Close()
			return nil, err
		}
		extra = append(extra, id)
	}
	if len(extra) > 0 {
		err = lut.BandJoin(extra...)
		for _, e := range extra {
			e.Close()
		}
		if err != nil {
			lut.Close()
			return nil, err
		}
	}
	return lut, nil
}
