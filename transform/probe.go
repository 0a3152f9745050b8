package transform

import (
	"bytes"
	"errors"
	"strings"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/internal/fault"
)

// Info describes a source as its header tells it, before any pixel is decoded.
type Info struct {
	Format      string // "jpeg", "png", "webp", "gif", "avif", "heif", "tiff", "jp2k", "jxl", ...
	Width       int    // one frame, after EXIF orientation
	Height      int
	Orientation int // EXIF orientation 1..8 (1 when absent)
	Frames      int
	HasAlpha    bool

	// A PDF's page count, and the page (1-based) and density (dpi) that
	// Width and Height are of once rasterizePDF rendered it; 0 otherwise.
	Pages, Page, Density int
}

// Animated reports whether the source has more than one frame.
func (i Info) Animated() bool { return i.Frames > 1 }

var inputFormats = map[string]vips.ImageType{
	"jpeg": vips.ImageTypeJPEG,
	"png":  vips.ImageTypePNG,
	"webp": vips.ImageTypeWEBP,
	"gif":  vips.ImageTypeGIF,
	"avif": vips.ImageTypeAVIF,
	"heif": vips.ImageTypeHEIF,
	"tiff": vips.ImageTypeTIFF,
	"jp2k": vips.ImageTypeJP2K,
	"jxl":  vips.ImageTypeJXL,
	"svg":  vips.ImageTypeSVG,
	"pdf":  vips.ImageTypePDF,
	"bmp":  vips.ImageTypeBMP,
}

// multiFrame formats are loaded with all their frames so that the header
// reports the frame count, which the pixel limit sums over.
var multiFrame = map[string]bool{"gif": true, "webp": true}

// sniff names the source format from its magic bytes.
func sniff(buf []byte) string {
	t := vips.DetermineImageType(buf)
	// govips looks at four bytes of PNG's eight; a signature mangled by a
	// line-ending conversion is not a PNG, and libvips agrees.
	if t == vips.ImageTypePNG && !bytes.HasPrefix(buf, []byte("\x89PNG\r\n\x1a\n")) {
		return ""
	}
	for name, it := range inputFormats {
		if it == t {
			return name
		}
	}
	return ""
}

// Probe reads the header of buf and checks it against the limits. It decodes
// no pixels: libvips loaders are lazy until a pixel is asked for.
func Probe(buf []byte, cfg Config) (Info, error) {
	_, info, err := probe(buf, cfg)
	return info, err
}

// probe is Probe that also returns the bytes every later load must use: buf
// itself, or a PNG without the chunks cleanPNG dropped.
func probe(buf []byte, cfg Config) ([]byte, Info, error) {
	img, buf, info, err := openHeader(buf, cfg)
	if img != nil {
		img.Close()
	}
	return buf, info, err
}

// openHeader loads the header and returns the lazily loaded image, so that a
// caller that needs pixels anyway (f=json with g=auto) can reuse it, and the
// bytes it was loaded from (see probe). The image is nil for a PNG whose
// header was read in Go (see pngHeader).
func openHeader(buf []byte, cfg Config) (*vips.ImageRef, []byte, Info, error) {
	if len(buf) == 0 {
		return nil, nil, Info{}, fault.New(fault.Unsupported, "source is empty")
	}
	format := sniff(buf)
	if format == "" {
		return nil, nil, Info{}, fault.New(fault.Unsupported, "source format not recognised")
	}
	if !allowed(cfg.Inputs, format) {
		return nil, nil, Info{}, fault.New(fault.Unsupported, "source format %s is not allowed", format)
	}
	switch format {
	case "svg":
		if err := checkSVG(buf); err != nil {
			return nil, nil, Info{}, err
		}
	case "png":
		// Before libvips reads a byte: libpng allocates what a chunk
		// declares and inflates its text, on each of its header reads.
		var err error
		if buf, err = cleanPNG(buf); err != nil {
			return nil, nil, Info{}, err
		}
		if info, ok := pngHeader(buf); ok { // libvips reads it only to render
			if err := checkLimits(info, cfg); err != nil {
				return nil, nil, info, err
			}
			return nil, buf, info, nil
		}
	}
	img, info, err := loadHeader(buf, format)
	if err != nil {
		return nil, nil, info, err
	}
	if err := checkLimits(info, cfg); err != nil {
		img.Close()
		return nil, nil, info, err
	}
	return img, buf, info, nil
}

// loadHeader has libvips read the header of buf, a source of format.
func loadHeader(buf []byte, format string) (*vips.ImageRef, Info, error) {
	params := vips.NewImportParams()
	// A JPEG header with stray bytes between its segments (Photoshop and
	// broken EXIF writers leave them) is read as libjpeg reads it; whether
	// the pixels are good enough is decided when they are decoded.
	params.FailOnError.Set(format != "jpeg")
	if multiFrame[format] {
		params.NumPages.Set(-1)
	}
	img, err := vips.LoadImageFromBuffer(buf, params)
	if err != nil {
		return nil, Info{}, decodeError(err)
	}
	// Only GIF and WebP pages are frames of an animation, and only those
	// were loaded: a HEIF's second image or a JPEG 2000's resolution levels
	// also count as pages in libvips' header, but are not frames.
	frames, pageHeight := 1, img.Height()
	if multiFrame[format] {
		if ph := img.PageHeight(); ph > 0 && img.Height()%ph == 0 {
			frames, pageHeight = img.Height()/ph, ph
		}
	}
	info := Info{
		Format:      format,
		Width:       img.Width(),
		Height:      pageHeight,
		Orientation: img.Orientation(),
		Frames:      frames,
		HasAlpha:    img.HasAlpha(),
	}
	if format == "pdf" {
		info.Pages = max(img.Pages(), 1)
	}
	if format == "avif" && img.OriginalFormat() == vips.ImageTypeHEIF {
		info.Format = "heif"
	}
	if info.Orientation < 1 || info.Orientation > 8 {
		info.Orientation = 1
	}
	if info.Orientation >= 5 {
		info.Width, info.Height = info.Height, info.Width
	}
	return img, info, nil
}

func checkLimits(info Info, cfg Config) error {
	if info.Width <= 0 || info.Height <= 0 {
		return fault.New(fault.Undecodable, "source has no pixels")
	}
	if cfg.MaxFrames > 0 && info.Frames > cfg.MaxFrames {
		return fault.New(fault.TooLarge, "source has %d frames, over the limit of %d", info.Frames, cfg.MaxFrames)
	}
	pixels := int64(info.Width) * int64(info.Height) * int64(info.Frames)
	if cfg.MaxSourcePixels > 0 && pixels > cfg.MaxSourcePixels {
		return fault.New(fault.TooLarge, "source has %d pixels, over the limit of %d", pixels, cfg.MaxSourcePixels)
	}
	return nil
}

func allowed(inputs []string, format string) bool {
	if inputs == nil {
		inputs = DefaultInputs
	}
	for _, in := range inputs {
		if in == format {
			return true
		}
	}
	return false
}

// decodeError turns a libvips failure into a client error. libvips reports
// corrupt and truncated data, and formats it has no loader for, only as text.
func decodeError(err error) error {
	err = trimError(err)
	if errors.Is(err, vips.ErrUnsupportedImageFormat) {
		return fault.Wrap(fault.Unsupported, err, "source format not supported")
	}
	msg := err.Error()
	if strings.Contains(msg, "is not a known file format") || strings.Contains(msg, "not a known buffer format") {
		return fault.Wrap(fault.Unsupported, err, "source format not supported")
	}
	return fault.Wrap(fault.Undecodable, err, "source could not be decoded")
}

// trimError drops the Go stack that govips appends to libvips' messages, so
// that logs carry one line per failure.
func trimError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "\n"); i >= 0 {
		return &trimmed{msg: strings.TrimSpace(msg[:i]), err: err}
	}
	return err
}

type trimmed struct {
	msg string
	err error
}

func (t *trimmed) Error() string { return t.msg }
func (t *trimmed) Unwrap() error { return t.err }
