package transform

import (
	"fmt"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// encode writes the image in the plan's format, within max_bytes when the
// URL sets it (see fitBytes).
func encode(s *state) error {
	p := s.plan
	q := s.cfg.quality(p.Format, p.Options, longSide(s.img))
	if p.Options.MaxBytes > 0 {
		return fitBytes(s, q)
	}
	if autoApplies(s) {
		return encodeAuto(s)
	}
	s.quality = q
	return encodeAt(s, q)
}

// encodeAt writes the image in the plan's format at quality q.
func encodeAt(s *state, q int) error {
	p := s.plan
	stripAll := p.Options.Metadata == spec.MetadataNone
	var err error
	switch p.Format {
	case spec.FormatJPEG, spec.FormatWebP, spec.FormatAVIF:
		s.out, err = EncodeLossy(s.img, p.Format, q, s.cfg.Knobs(), stripAll)
	case spec.FormatPNG:
		s.out, _, err = s.img.ExportPng(&vips.PngExportParams{
			StripMetadata: stripAll,
			Compression:   s.cfg.PNGCompression,
			Filter:        vips.PngFilterAll,
			Quality:       q,
			Palette:       q < 100,
		})
	default:
		return fmt.Errorf("cannot encode %q", p.Format)
	}
	return undecodable(err)
}
