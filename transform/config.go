package transform

import (
	"fmt"

	"github.com/pixmill/pixmill/transform/spec"
)

// Config is what the pipeline needs from the server's configuration.
type Config struct {
	// DefaultQuality is the quality on the one scale (JPEG's) when the URL
	// sets none; WebP and AVIF get the setting that looks the same
	// (qscale.go).
	DefaultQuality int
	// Quality overrides the scale for a format with that encoder's own
	// quality (absent or 0: from DefaultQuality).
	Quality map[spec.Format]int
	// AVIFEffort is libheif's CPU effort, 0 (fastest) to 9. Effort dominates
	// AVIF cost; docs/benchmarks/transform.md has the measurement behind the
	// default (3: effort 4 saves ~4 % of the bytes for 3.4x the encoder time).
	AVIFEffort int
	// WebPEffort is libwebp's reduction effort, 0..6.
	WebPEffort int
	// WebPSharpYUV turns on libwebp's sharp RGB to YUV conversion
	// (libvips' smart_subsample).
	WebPSharpYUV bool
	// AVIFChroma444 keeps full-resolution chroma in AVIF at every quality.
	AVIFChroma444 bool
	// JPEGProgressive writes progressive JPEGs (smaller above ~10 KB, slower).
	JPEGProgressive bool
	// PNGCompression is zlib's level, 0..9.
	PNGCompression int
	// AutoMaxEncodes bounds the encodes q=auto may make per render
	// (quality.max_encodes).
	AutoMaxEncodes int
	// MaxSourcePixels bounds width × height × frames, checked from the header.
	MaxSourcePixels int64
	// MaxFrames bounds the frames of an animated source.
	MaxFrames int
	// MaxOutputDimension bounds each side of the output in pixels.
	MaxOutputDimension int
	// Inputs lists the source formats that are decoded; anything else is 415.
	Inputs []string
	// VipsConcurrency is libvips' worker threads per image. Requests already
	// run in parallel, so 1 avoids oversubscribing the cores.
	VipsConcurrency int
}

// DefaultInputs are the source formats decoded unless configured otherwise.
// SVG, PDF and ImageMagick-handled formats are left out: they can reach
// files or the network, or widen the attack surface far beyond photos.
var DefaultInputs = []string{"jpeg", "png", "webp", "gif", "avif", "heif", "tiff", "jp2k", "jxl"}

// DefaultConfig returns the built-in defaults.
func DefaultConfig() Config {
	return Config{
		DefaultQuality:     80,
		Quality:            map[spec.Format]int{},
		AutoMaxEncodes:     4,
		AVIFEffort:         3,
		WebPEffort:         4,
		JPEGProgressive:    false,
		PNGCompression:     6,
		MaxSourcePixels:    50_000_000,
		MaxFrames:          500,
		MaxOutputDimension: spec.DefaultMaxDimension,
		Inputs:             DefaultInputs,
		VipsConcurrency:    1,
	}
}

// Validate names the first bad field.
func (c Config) Validate() error {
	if c.DefaultQuality < 1 || c.DefaultQuality > 100 {
		return fmt.Errorf("formats.quality: %d is out of range 1..100", c.DefaultQuality)
	}
	for f, q := range c.Quality {
		if q < 0 || q > 100 {
			return fmt.Errorf("formats.%s.quality: %d is out of range 1..100 (0: from formats.quality)", f, q)
		}
	}
	switch {
	case c.AVIFEffort < 0 || c.AVIFEffort > 9:
		return fmt.Errorf("formats.avif.effort: %d is out of range 0..9", c.AVIFEffort)
	case c.WebPEffort < 0 || c.WebPEffort > 6:
		return fmt.Errorf("formats.webp.effort: %d is out of range 0..6", c.WebPEffort)
	case c.PNGCompression < 0 || c.PNGCompression > 9:
		return fmt.Errorf("formats.png.compression: %d is out of range 0..9", c.PNGCompression)
	case c.AutoMaxEncodes < 1 || c.AutoMaxEncodes > 16:
		return fmt.Errorf("quality.max_encodes: %d is out of range 1..16", c.AutoMaxEncodes)
	case c.MaxSourcePixels <= 0:
		return fmt.Errorf("limits.max_source_pixels must be positive")
	case c.MaxFrames <= 0:
		return fmt.Errorf("limits.max_frames must be positive")
	case c.MaxOutputDimension <= 0 || c.MaxOutputDimension > 65535:
		return fmt.Errorf("limits.max_output_dimension: %d is out of range 1..65535", c.MaxOutputDimension)
	}
	for _, in := range c.Inputs {
		if _, ok := inputFormats[in]; !ok {
			return fmt.Errorf("formats.inputs: unknown format %q", in)
		}
	}
	return nil
}

// Knobs are the encoder settings other than quality, from c.
func (c Config) Knobs() Knobs {
	return Knobs{
		JPEGProgressive: c.JPEGProgressive,
		WebPEffort:      c.WebPEffort,
		WebPSharpYUV:    c.WebPSharpYUV,
		AVIFEffort:      c.AVIFEffort,
		AVIFChroma444:   c.AVIFChroma444,
	}
}
