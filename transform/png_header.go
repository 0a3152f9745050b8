package transform

import (
	"encoding/binary"
	"hash/crc32"
)

// Bounds libvips 8.14 sets on libpng (vipspng.c, read_new): a side over
// VIPS_MAX_COORD, or a chunk other than IDAT over png_set_chunk_malloc_max,
// is an error in the header.
const (
	vipsMaxCoord      = 10_000_000
	vipsPNGChunkLimit = 50 << 20
)

// pngHeader reads the header of a well-formed PNG in Go, as libvips' loader
// reports it, so that probing a PNG costs libvips no read at all. libvips
// reads a PNG's header twice for every load (once for the loader's flags,
// once for the header) and once more to decode: with the probe's load, then
// vips_thumbnail's look at the header and its own load, a render read it
// seven times; five now, and f=json none.
//
// ok is false for anything libpng would refuse, treat specially or where
// reproducing libvips would mean more than reading fields: a bad CRC before
// the image data, an odd palette or tRNS, an unknown critical chunk, an
// eXIf (libvips takes the orientation from it), no IDAT. The caller then
// asks libvips, so an unusual file gets libvips' own verdict as before.
func pngHeader(buf []byte) (info Info, ok bool) {
	p := len(pngSignature)
	if len(buf) < p+25 || string(buf[p+4:p+8]) != "IHDR" || binary.BigEndian.Uint32(buf[p:]) != 13 || !pngCRCOK(buf[p:p+25]) {
		return Info{}, false
	}
	ihdr := buf[p+8 : p+21]
	w, h := binary.BigEndian.Uint32(ihdr), binary.BigEndian.Uint32(ihdr[4:])
	depth, ct := ihdr[8], ihdr[9]
	if w == 0 || h == 0 || w > vipsMaxCoord || h > vipsMaxCoord || ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] > 1 {
		return Info{}, false
	}
	if !pngDepthOK(ct, depth) {
		return Info{}, false
	}
	// libvips adds an alpha band for an alpha colour type or a valid tRNS.
	alpha := ct == 4 || ct == 6
	palette, trns := 0, false
	for p += 25; p+12 <= len(buf); {
		n := binary.BigEndian.Uint32(buf[p:])
		typ := buf[p+4 : p+8]
		if string(typ) == "IDAT" {
			// png_read_info stops at the first IDAT's header.
			if (ct == 3 && palette == 0) || n > vipsPNGChunkLimit {
				return Info{}, false
			}
			return Info{Format: "png", Width: int(w), Height: int(h), Orientation: 1, Frames: 1, HasAlpha: alpha}, true
		}
		end := p + 12 + int(n)
		if n > vipsPNGChunkLimit || end > len(buf) || !pngLetters(typ) || !pngCRCOK(buf[p:end]) {
			return Info{}, false
		}
		switch string(typ) {
		case "PLTE":
			if palette > 0 || trns || ct == 0 || ct == 4 || n == 0 || n%3 != 0 || n/3 > 256 || (ct == 3 && n/3 > 1<<depth) {
				return Info{}, false
			}
			palette = int(n / 3)
		case "tRNS":
			valid := (ct == 0 && n == 2) || (ct == 2 && n == 6) || (ct == 3 && n >= 1 && int(n) <= palette)
			if trns || !valid {
				return Info{}, false
			}
			trns, alpha = true, true
		case "eXIf", "IHDR", "IEND":
			return Info{}, false
		default:
			if typ[0]&0x20 == 0 { // an unknown critical chunk: libpng stops
				return Info{}, false
			}
		}
		p = end
	}
	return Info{}, false // no image data
}

// pngDepthOK is the PNG specification's table of bit depths per colour type.
func pngDepthOK(ct, depth byte) bool {
	switch ct {
	case 0:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
	case 3:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8
	case 2, 4, 6:
		return depth == 8 || depth == 16
	}
	return false
}

// pngCRCOK checks a whole chunk's CRC, which covers its type and data.
func pngCRCOK(c []byte) bool {
	n := len(c)
	return binary.BigEndian.Uint32(c[n-4:]) == crc32.ChecksumIEEE(c[4:n-4])
}

func pngLetters(typ []byte) bool {
	for _, c := range typ {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}
