package transform

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"

	"github.com/pixmill/pixmill/internal/fault"
)

// Limits on a PNG's metadata chunks. libpng reads each ancillary chunk whole
// into one buffer sized by its declared length, and inflates zTXt and iTXt
// up to 50 MB each (libvips' chunk_malloc_max), on every one of the header
// reads a render makes. No image needs more text than this; past it the
// chunks are dropped, not refused.
const (
	pngMetaBudget = 256 << 10 // bytes of metadata kept, compressed text counted inflated
	pngMetaChunks = 32        // metadata chunks looked at; later ones are dropped unread
	pngMaxLength  = 0x7fffffff
)

// pngMetadata are the ancillary chunks that carry only metadata: libvips
// turns them into image fields and nothing in the pixels depends on them.
// eXIf holds the orientation, so it is kept while it fits the budget, which
// any real EXIF block does (JPEG caps it at 64 KB). iCCP, tRNS, gAMA and the
// rest change the pixels and are left alone; libpng bounds them itself.
func pngMetadata(typ []byte) bool {
	switch string(typ) { // no allocation: the conversion is only compared
	case "tEXt", "zTXt", "iTXt", "sPLT", "eXIf":
		return true
	}
	return false
}

// cleanPNG walks the chunks of a PNG (buf starts with the signature) before
// libvips sees them. It refuses a chunk whose declared length is over the
// format's 2^31-1 or over the bytes left, and drops metadata chunks beyond
// pngMetaChunks or pngMetaBudget. Chunks are copied whole, CRC included,
// and only when one is dropped; otherwise buf itself comes back.
//
// The walk ends at the first IDAT: libpng reads every chunk before it in
// png_read_info, but after it only image data, in small pieces, and libvips
// never calls png_read_end. What follows is kept as it is, truncated or
// not; libvips decides about it when it decodes the pixels, after the
// header has been checked against the limits.
//
// The same cap applies whatever the URL's metadata option: with the default
// metadata=none the chunks would be stripped anyway, and metadata=keep keeps
// the first 32 within 256 KiB, which is every chunk of any real image.
func cleanPNG(buf []byte) ([]byte, error) {
	var (
		out    []byte // nil until a chunk is dropped
		budget = pngMetaBudget
		seen   int
	)
	p := len(pngSignature)
	for p+8 <= len(buf) {
		n := binary.BigEndian.Uint32(buf[p:])
		typ := buf[p+4 : p+8]
		if n > pngMaxLength {
			return nil, fault.New(fault.Undecodable, "PNG chunk %q declares %d bytes, over the format's limit", typ, n)
		}
		if string(typ) == "IDAT" || string(typ) == "IEND" {
			break
		}
		end := p + 12 + int(n)
		if end > len(buf) {
			return nil, fault.New(fault.Undecodable, "PNG chunk %q declares %d bytes; only %d follow", typ, n, max(0, len(buf)-p-12))
		}
		keep := true
		if pngMetadata(typ) {
			seen++
			keep = seen <= pngMetaChunks
			if keep {
				size := pngMetaSize(typ, buf[p+8:p+8+int(n)], budget)
				keep = size <= budget
				if keep {
					budget -= size
				}
			}
		}
		switch {
		case !keep && out == nil:
			out = append([]byte(nil), buf[:p]...)
		case keep && out != nil:
			out = append(out, buf[p:end]...)
		}
		p = end
	}
	if out == nil {
		return buf, nil
	}
	return append(out, buf[p:]...), nil
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// pngMetaSize is what a metadata chunk costs libpng: its length, or for
// compressed text the inflated length, found by inflating at most limit+1
// bytes of it.
func pngMetaSize(typ []byte, data []byte, limit int) int {
	var z []byte
	switch string(typ) {
	case "zTXt": // keyword NUL method stream
		k := bytes.IndexByte(data, 0)
		if k < 0 || k+2 > len(data) {
			return len(data)
		}
		z = data[k+2:]
	case "iTXt": // keyword NUL flag method language NUL translated NUL text
		k := bytes.IndexByte(data, 0)
		if k < 0 || k+3 > len(data) || data[k+1] == 0 {
			return len(data) // uncompressed text, or malformed: libpng reads it as is
		}
		rest := data[k+3:]
		for range 2 { // language tag, translated keyword
			i := bytes.IndexByte(rest, 0)
			if i < 0 {
				return len(data)
			}
			rest = rest[i+1:]
		}
		z = rest
	default:
		return len(data)
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return len(data) // libpng fails on it too, after reading no more than this
	}
	inflated, _ := io.Copy(io.Discard, io.LimitReader(zr, int64(limit)+1))
	return max(len(data), int(inflated))
}
