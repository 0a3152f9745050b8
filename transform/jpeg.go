package transform

import "encoding/binary"

// jpegComplete reports whether a JPEG's marker structure runs from SOI to
// EOI: every segment whole, every scan followed by a marker. It reads no
// pixels. Stray bytes between segments are skipped, as libjpeg does (with
// its "extraneous bytes before marker" warning); running off the end is
// truncation.
func jpegComplete(b []byte) bool {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return false
	}
	p := 2
	for p < len(b) {
		if b[p] != 0xFF { // stray data: resynchronise on the next marker
			p++
			continue
		}
		for p < len(b) && b[p] == 0xFF { // fill bytes
			p++
		}
		if p >= len(b) {
			return false
		}
		m := b[p]
		p++
		switch {
		case m == 0xD9: // EOI
			return true
		case m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7): // no length
			continue
		}
		if p+2 > len(b) {
			return false
		}
		n := int(binary.BigEndian.Uint16(b[p:]))
		if n < 2 || p+n > len(b) {
			return false
		}
		p += n
		if m != 0xDA { // SOS: entropy-coded data follows until a marker
			continue
		}
		for {
			for p < len(b) && b[p] != 0xFF {
				p++
			}
			if p+1 >= len(b) {
				return false
			}
			if next := b[p+1]; next == 0x00 || next == 0xFF || (next >= 0xD0 && next <= 0xD7) {
				p += 2 // stuffed byte, fill, or restart marker: still in the scan
				if next == 0xFF {
					p-- // the second 0xFF may start the marker
				}
				continue
			}
			break
		}
	}
	return false
}
