package transform

import "github.com/pixmill/pixmill/transform/spec"

// copyrightFields survive metadata=copyright.
var copyrightFields = []string{"exif-ifd0-Copyright", "exif-ifd0-Artist"}

// strip removes metadata from the image itself before it is saved. The
// savers' own strip flag is not enough: libvips 8.14.1 keeps EXIF (GPS
// included) in WebP output even when asked to strip.
func strip(s *state) error {
	switch s.plan.Options.Metadata {
	case spec.MetadataKeep:
		return nil
	case spec.MetadataCopyright:
		if err := s.img.RemoveMetadata(copyrightFields...); err != nil {
			return err
		}
	default:
		if err := s.img.RemoveMetadata(); err != nil {
			return err
		}
	}
	// The pixels are sRGB now, which is what browsers assume without a profile.
	if s.img.HasICCProfile() {
		if err := s.img.RemoveICCProfile(); err != nil {
			return err
		}
	}
	return nil
}
