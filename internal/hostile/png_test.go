package hostile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image/png"
	"io"
	"strings"
	"testing"
)

// TestPNGFiles: each crafted PNG is well-formed but for its one attack: the
// chunk-length files lie in one chunk header and nowhere else; the others
// have every CRC right, decode with Go's own decoder, and their compressed
// text really inflates to 64 MiB a chunk.
func TestPNGFiles(t *testing.T) {
	for _, f := range append(Class("png-chunk-length"), Class("png-text-bomb")...) {
		t.Run(f.Name, func(t *testing.T) {
			b := f.Make()
			if !bytes.HasPrefix(b, pngSignature) {
				t.Fatal("no signature")
			}
			lying := strings.HasPrefix(f.Name, "png_chunklen_")
			var types []string
			for p := len(pngSignature); p+8 <= len(b); {
				n := int(binary.BigEndian.Uint32(b[p:]))
				typ := string(b[p+4 : p+8])
				types = append(types, typ)
				if p+12+n > len(b) {
					if !lying || n < 1<<30 {
						t.Fatalf("chunk %s at %d runs past the end", typ, p)
					}
					if len(b) > 100 {
						t.Errorf("%d bytes, want a tiny file", len(b))
					}
					return
				}
				if crc := binary.BigEndian.Uint32(b[p+8+n:]); crc != crc32.ChecksumIEEE(b[p+4:p+8+n]) {
					t.Errorf("chunk %s at %d: bad CRC", typ, p)
				}
				if typ == "zTXt" || typ == "iTXt" {
					if got := inflatedText(t, typ, b[p+8:p+8+n]); got != 64<<20 {
						t.Errorf("%s at %d inflates to %d bytes, want 64 MiB", typ, p, got)
					}
				}
				p += 12 + n
			}
			if lying {
				t.Fatalf("no lying chunk in %v", types)
			}
			if types[len(types)-1] != "IEND" {
				t.Errorf("chunks %v do not end with IEND", types)
			}
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				t.Errorf("Go's decoder: %v", err)
			}
		})
	}
}

func inflatedText(t *testing.T, typ string, data []byte) int64 {
	k := bytes.IndexByte(data, 0)
	skip := 2 // method
	if typ == "iTXt" {
		skip = 5 // flag, method, empty language, empty translated keyword
	}
	zr, err := zlib.NewReader(bytes.NewReader(data[k+skip:]))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
