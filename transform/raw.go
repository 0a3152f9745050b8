package transform

import (
	"time"

	"github.com/pixmill/pixmill/internal/fault"
)

// rawTypes are the media types of the source formats raw=true may serve.
var rawTypes = map[string]string{
	"jpeg": "image/jpeg",
	"png":  "image/png",
	"webp": "image/webp",
	"gif":  "image/gif",
	"avif": "image/avif",
	"heif": "image/heif",
	"tiff": "image/tiff",
	"jp2k": "image/jp2",
	"jxl":  "image/jxl",
	"svg":  "image/svg+xml",
	"pdf":  "application/pdf",
	"bmp":  "image/bmp",
}

// renderRaw is raw=true: the original's bytes, untouched, typed from its
// own magic bytes (never from its key, which anyone who can upload can
// name "cat.jpg"). Only the formats the server decodes (formats.inputs)
// are served: raw does not turn the bucket into a file server. Nothing is
// decoded, so a decompression bomb costs no more than its bytes.
func (r *Renderer) renderRaw(orig Original) (Result, error) {
	start := time.Now()
	format := sniff(orig.Data)
	ctype, known := rawTypes[format]
	switch {
	case format == "" || !known:
		return Result{}, fault.New(fault.Unsupported, "raw: the source is not an image format pixmill knows")
	case !allowed(r.cfg.Inputs, format):
		return Result{}, fault.New(fault.Unsupported, "source format %s is not allowed", format)
	}
	return Result{Body: orig.Data, ContentType: ctype, Raw: format, Transform: time.Since(start)}, nil
}
