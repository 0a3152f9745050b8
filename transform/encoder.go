package transform

// #cgo pkg-config: vips
// #include <stdlib.h>
// #include <vips/vips.h>
//
// /* govips 2.16 exposes neither webpsave's smart_subsample (libvips maps it
//    to libwebp's use_sharp_yuv) nor heifsave's subsample_mode; the save
//    operations are variadic, which cgo cannot call, hence these wrappers.
//    "profile" "none" is what govips passes when no ICC profile was
//    optimised, which pixmill never does. */
// static int pixmill_webpsave(VipsImage *in, void **buf, size_t *len,
//     int q, int effort, int sharp_yuv, int strip) {
//   return vips_webpsave_buffer(in, buf, len, "Q", q, "effort", effort,
//       "smart_subsample", sharp_yuv, "strip", strip, "profile", "none", NULL);
// }
// static int pixmill_avifsave(VipsImage *in, void **buf, size_t *len,
//     int q, int effort, int chroma444, int strip) {
//   return vips_heifsave_buffer(in, buf, len, "Q", q, "effort", effort,
//       "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "bitdepth", 8,
//       "subsample_mode", chroma444 ? VIPS_FOREIGN_SUBSAMPLE_OFF : VIPS_FOREIGN_SUBSAMPLE_AUTO,
//       "strip", strip, NULL);
// }
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// Knobs are the lossy encoders' settings other than quality: what
// bench/quality measures, bytes against look and CPU, and what the
// pipeline encodes with (from Config).
type Knobs struct {
	// JPEGProgressive writes progressive scans; JPEGPlainHuffman turns
	// Huffman optimisation off. Neither changes a pixel.
	JPEGProgressive  bool
	JPEGPlainHuffman bool
	// WebPEffort is libwebp's method, 0..6; WebPSharpYUV its sharp
	// (iterative) RGB to YUV 4:2:0 conversion.
	WebPEffort   int
	WebPSharpYUV bool
	// AVIFEffort is libheif/aom's effort, 0..9; AVIFChroma444 keeps full
	// chroma (libvips subsamples to 4:2:0 below q90).
	AVIFEffort    int
	AVIFChroma444 bool
}

// EncodeLossy writes img as JPEG, WebP or AVIF at quality q with k;
// strip leaves every metadata chunk out.
func EncodeLossy(img *vips.ImageRef, f spec.Format, q int, k Knobs, strip bool) ([]byte, error) {
	switch f {
	case spec.FormatJPEG:
		out, _, err := img.ExportJpeg(&vips.JpegExportParams{
			Quality:        q,
			StripMetadata:  strip,
			Interlace:      k.JPEGProgressive,
			OptimizeCoding: !k.JPEGPlainHuffman,
			SubsampleMode:  vips.VipsForeignSubsampleAuto,
		})
		return out, err
	case spec.FormatWebP, spec.FormatAVIF:
		in := cImage(img)
		if in == nil {
			return nil, errGovipsLayout
		}
		var buf unsafe.Pointer
		var n C.size_t
		var rc C.int
		op := "vips_webpsave_buffer"
		if f == spec.FormatWebP {
			rc = C.pixmill_webpsave(in, &buf, &n, C.int(q), C.int(k.WebPEffort), cBool(k.WebPSharpYUV), cBool(strip))
		} else {
			op = "vips_heifsave_buffer"
			rc = C.pixmill_avifsave(in, &buf, &n, C.int(q), C.int(k.AVIFEffort), cBool(k.AVIFChroma444), cBool(strip))
		}
		if rc != 0 {
			return nil, vipsError(op)
		}
		defer C.g_free(C.gpointer(buf))
		out := C.GoBytes(buf, C.int(n))
		if strip && f == spec.FormatWebP {
			out = stripWebPMetadata(out)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%q is not a lossy format", f)
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// CopyToMemory computes img's pixels into memory, so that each of many
// encodes of it (bench/quality) pays for the encoder alone.
func CopyToMemory(img *vips.ImageRef) error { return copyToMemory(img) }
