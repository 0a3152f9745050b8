package transform

// #cgo pkg-config: libwebp
// #include <webp/decode.h>
import "C"

import (
	"errors"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

// bodyPlanes decodes body, one of q=auto's encodes, into the planes the
// distance compares. WebP goes straight to libwebp: libvips 8.14's
// webpload took 21 ms of CPU for an 800×533 body that libwebp decodes in
// 5, a third of each WebP try's measurement (docs/benchmarks/quality.md,
// "q=auto's search"). The pixels are the same (TestBodyPlanesSameAsLibvips).
func bodyPlanes(body []byte) (y, cb, cr []float32, w, h int, err error) {
	if isWebP(body) {
		return webpPlanes(body)
	}
	d, err := vips.NewImageFromBuffer(body)
	if err != nil {
		return nil, nil, nil, 0, 0, err
	}
	defer d.Close()
	return YCbCrPlanes(d)
}

// isWebP says whether b is a RIFF WEBP container (for stripWebPMetadata
// too).
func isWebP(b []byte) bool {
	return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
}

// webpPlanes decodes a WebP body to 8-bit RGB with libwebp (alpha, which
// the distance ignores, dropped) and takes its planes.
func webpPlanes(body []byte) (y, cb, cr []float32, w, h int, err error) {
	var cw, ch C.int
	p := C.WebPDecodeRGB((*C.uint8_t)(unsafe.Pointer(&body[0])), C.size_t(len(body)), &cw, &ch)
	if p == nil {
		return nil, nil, nil, 0, 0, errors.New("libwebp: cannot decode the encode")
	}
	defer C.WebPFree(unsafe.Pointer(p))
	raw := unsafe.Slice((*byte)(unsafe.Pointer(p)), int(cw)*int(ch)*3)
	return yccPixels(raw, int(cw), int(ch), 3)
}
