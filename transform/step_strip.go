package transform

import (
	"slices"

	"github.com/pixmill/pixmill/transform/spec"
)

// animationFields always survive: they are the timing of the frames, and
// without them libwebp plays every frame for the same time.
var animationFields = []string{"delay", "loop", "gif-delay", "gif-loop"}

// strip removes metadata from the image itself before it is saved. The
// savers' own strip flag is not enough: libvips 8.14.1 keeps EXIF (GPS
// included) in WebP output even when asked to strip, and rebuilds a small
// EXIF block even from an image without any (see stripWebPMetadata).
//
// metadata=copyright keeps the Copyright and Artist tags, the IPTC
// CopyrightNotice and the XMP dc:rights, and nothing else: the EXIF block
// is dropped and the two tags are set again as plain fields, from which the
// saver builds a fresh block; IPTC and XMP are rebuilt with the notice alone. PNG output carries none then:
// libvips 8.14 writes a PNG's EXIF only from an existing block.
func strip(s *state) error {
	switch s.plan.Options.Metadata {
	case spec.MetadataKeep:
		return nil
	case spec.MetadataCopyright:
		var blob []byte
		if slices.Contains(s.img.GetFields(), "exif-data") {
			blob = s.img.GetBlob("exif-data")
		}
		copyright, artist := exifASCII(blob, exifTagCopyright), exifASCII(blob, exifTagArtist)
		fields := s.img.GetFields()
		var iptc, xmp []byte
		if slices.Contains(fields, "iptc-data") {
			if iim := iptcNotice(s.img.GetBlob("iptc-data")); iim != nil {
				iptc = iptcBlob(iim)
			}
		}
		if slices.Contains(fields, "xmp-data") {
			xmp = xmpBlob(xmpRights(s.img.GetBlob("xmp-data")))
		}
		if err := s.img.RemoveMetadata(animationFields...); err != nil {
			return undecodable(err)
		}
		// IPTC and XMP come back as fresh blocks with the notice alone
		// (see metadata_notice.go); the savers write what the formats
		// carry (JPEG both, WebP, PNG and AVIF the XMP).
		if err := setBlob(s.img, "iptc-data", iptc); err != nil {
			return err
		}
		if err := setBlob(s.img, "xmp-data", xmp); err != nil {
			return err
		}
		// libvips cuts a trailing " (...)" off the value before it writes
		// the tag (its own string form ends in one); give it one to cut,
		// so that a notice ending in "(2024)" survives whole.
		if copyright != "" {
			s.img.SetString("exif-ifd0-Copyright", copyright+" (ascii)")
		}
		if artist != "" {
			s.img.SetString("exif-ifd0-Artist", artist+" (ascii)")
		}
	default:
		if err := s.img.RemoveMetadata(animationFields...); err != nil {
			return undecodable(err)
		}
	}
	// The pixels are sRGB now, which is what browsers assume without a profile.
	if s.img.HasICCProfile() {
		if err := s.img.RemoveICCProfile(); err != nil {
			return undecodable(err)
		}
	}
	return nil
}
