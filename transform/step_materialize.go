package transform

import (
	"github.com/pixmill/pixmill/transform/spec"
)

// materialize computes the finished pixels into memory before a WebP or PNG
// encoder runs.
//
// libvips builds a lazy pipeline: the encoder pulls pixels, which decodes
// the source on demand. When the source turns out to be corrupt halfway, the
// failure surfaces inside the encoder, and libvips 8.14's WebP saver then
// leaks its encoder state (~0.5 MB per failed still, 1.6–5.2 MB per failed
// animation; a soak of mixed traffic with hostile files grew to 4.8 GB in
// five minutes; PNG's saver leaks ~20 KB, JPEG's and AVIF's nothing
// measurable). Computed first, a decode failure is a clean error here and
// the encoder only ever reads finished pixels.
//
// vips_image_copy_memory keeps every header field and metadata item, so
// animations (page height, delays, loop) and metadata=keep (EXIF, XMP, ICC)
// go through it too: they are exactly the renders that leaked most. It is
// also cheaper than the uncompressed TIFF round trip it replaced (see
// BenchmarkMaterialize). JPEG and AVIF skip it: their savers fail cleanly,
// and the copy would add ~6 % to a JPEG miss.
func materialize(s *state) error {
	if s.plan.Format != spec.FormatWebP && s.plan.Format != spec.FormatPNG {
		return nil
	}
	if err := copyToMemory(s.img); err != nil {
		return err // libvips' failures come marked undecodable; a govips layout change stays a 500
	}
	s.kill.reset(s.img) // the pipeline behind the pixels can go now
	return nil
}
