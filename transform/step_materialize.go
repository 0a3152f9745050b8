package transform

import (
	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/transform/spec"
)

// materialize computes the finished pixels before a WebP or PNG encoder runs.
//
// libvips builds a lazy pipeline: the encoder pulls pixels, which decodes
// the source on demand. When the source turns out to be corrupt halfway, the
// failure surfaces inside the encoder, and libvips 8.14's WebP saver then
// leaks its encoder state (~0.5 MB per failed request, measured: a soak of
// mixed traffic with hostile files grew to 4.8 GB in five minutes; PNG's
// saver leaks ~20 KB, JPEG's and AVIF's nothing measurable). So for those
// two the pixels are written to an uncompressed in-memory TIFF first (the
// only lossless raw round trip govips offers), where a decode failure is a
// clean error, and the encoder reads finished pixels. The copy costs ~1 ms
// at 512 px and ~6 ms at 1920 px (docs/benchmarks/miss-path.md), about 6 %
// of a JPEG miss, which is why JPEG and AVIF skip it.
//
// Animations keep their strip as is, and so do images whose metadata is
// kept: the TIFF round trip would drop EXIF, and govips 2.16 cannot set a
// blob back (its SetBlob passes the slice header, not the bytes).
func materialize(s *state) error {
	if s.plan.Animated || s.plan.Options.Metadata != spec.MetadataNone ||
		(s.plan.Format != spec.FormatWebP && s.plan.Format != spec.FormatPNG) {
		return nil
	}
	raw, _, err := s.img.ExportTiff(&vips.TiffExportParams{Compression: vips.TiffCompressionNone, Predictor: vips.TiffPredictorNone})
	if err != nil {
		return err
	}
	img, err := vips.LoadImageFromBuffer(raw, vips.NewImportParams())
	if err != nil {
		return err
	}
	s.img.Close()
	s.img = img
	return nil
}
