package transform

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// EXIF tags kept by metadata=copyright.
const (
	exifTagArtist    = 0x013B
	exifTagCopyright = 0x8298
)

// exifASCII reads an ASCII tag of IFD0 from a raw EXIF block ("Exif\0\0"
// and a TIFF structure, as libvips stores it in "exif-data"), or "".
//
// libvips' own string form of the tag cannot be written back: the
// Copyright tag renders as "X (Photographer) - [None] (Editor)", and
// libvips, cutting its " (...)" suffix at the last parenthesis, would save
// a mangled notice.
func exifASCII(blob []byte, tag uint16) string {
	b := bytes.TrimPrefix(blob, []byte("Exif\x00\x00"))
	if len(b) < 8 {
		return ""
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return ""
	}
	ifd := int64(bo.Uint32(b[4:]))
	if ifd < 8 || ifd+2 > int64(len(b)) {
		return ""
	}
	n := int64(bo.Uint16(b[ifd:]))
	for i := int64(0); i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(b)) {
			return ""
		}
		if bo.Uint16(b[e:]) != tag {
			continue
		}
		typ, count := bo.Uint16(b[e+2:]), int64(bo.Uint32(b[e+4:]))
		if typ != 2 || count <= 0 { // 2 = ASCII
			return ""
		}
		off := e + 8
		if count > 4 {
			off = int64(bo.Uint32(b[e+8:]))
		}
		if off+count > int64(len(b)) {
			return ""
		}
		// Copyright may hold "photographer\0editor\0"; keep both parts.
		var parts []string
		for _, p := range bytes.Split(b[off:off+count], []byte{0}) {
			if s := strings.TrimSpace(asciiOnly(p)); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

func asciiOnly(p []byte) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, string(p))
}

// stripWebPMetadata removes the EXIF, XMP and ICC chunks of a WebP file and
// clears their flags. libvips 8.14.1 writes an EXIF chunk even when asked to
// strip: it rebuilds one from the image's header (orientation, resolution)
// whatever metadata was removed before saving. Anything that does not parse
// as a WebP container is returned as it is.
func stripWebPMetadata(b []byte) []byte {
	if !isWebP(b) {
		return b
	}
	drop := map[string]byte{"EXIF": 0x08, "XMP ": 0x04, "ICCP": 0x20}
	out := make([]byte, 0, len(b))
	out = append(out, b[:12]...)
	var flags byte
	vp8x := -1
	for p := 12; p+8 <= len(b); {
		size := int(binary.LittleEndian.Uint32(b[p+4:]))
		end := p + 8 + size + size&1 // chunks are padded to an even size
		if size < 0 || end > len(b) || end < p {
			return b
		}
		fourCC := string(b[p : p+4])
		if flag, ok := drop[fourCC]; ok {
			flags |= flag
		} else {
			if fourCC == "VP8X" {
				vp8x = len(out)
			}
			out = append(out, b[p:end]...)
		}
		p = end
	}
	if flags == 0 {
		return b
	}
	if vp8x >= 0 && vp8x+8 < len(out) {
		out[vp8x+8] &^= flags
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}
