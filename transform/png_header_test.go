package transform

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/hostile"
	"github.com/pixmill/pixmill/internal/testcorpus"
)

// encodePNG encodes img with Go's encoder and inserts chunks right after
// IHDR, or after PLTE when there is one (where tRNS must go).
func encodePNG(t testing.TB, img image.Image, chunks ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	enc := b.Bytes()
	at := 8 + 25
	if i := bytes.Index(enc, []byte("PLTE")); i > 0 {
		at = i - 4 + 12 + int(uint32(enc[i-4])<<24|uint32(enc[i-3])<<16|uint32(enc[i-2])<<8|uint32(enc[i-1]))
	}
	out := append([]byte{}, enc[:at]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, enc[at:]...)
}

// withIHDR replaces a tiny PNG's IHDR fields.
func withIHDR(w, h uint32, depth, ct, interlace byte) []byte {
	ihdr := []byte{byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w), byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h), depth, ct, 0, 0, interlace}
	out := append([]byte{}, pngSignature...)
	out = append(out, hostile.PNGChunk("IHDR", ihdr)...)
	return append(append(out, idat...), iend...)
}

// TestPNGHeader: where the Go reading of a PNG header says it is sure, it
// says what libvips says; where libvips would refuse the header or read
// something special, it is not sure and libvips is asked.
func TestPNGHeader(t *testing.T) {
	testRenderer(t)
	pal := color.Palette{color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 0}}
	opaquePal := color.Palette{color.Gray{0}, color.Gray{255}}
	badCRC := testPNG(idat, iend)
	badCRC[8+21] ^= 1
	tests := []struct {
		name string
		buf  []byte
		want bool // read in Go
	}{
		{"grey", encodePNG(t, image.NewGray(image.Rect(0, 0, 7, 5))), true},
		{"grey 16", encodePNG(t, image.NewGray16(image.Rect(0, 0, 7, 5))), true},
		{"rgb", encodePNG(t, opaqueRGBA(7, 5)), true},
		{"rgba", encodePNG(t, image.NewNRGBA(image.Rect(0, 0, 7, 5))), true},
		{"rgba 16", encodePNG(t, image.NewNRGBA64(image.Rect(0, 0, 7, 5))), true},
		{"palette with tRNS", encodePNG(t, image.NewPaletted(image.Rect(0, 0, 7, 5), pal)), true},
		{"palette opaque", encodePNG(t, image.NewPaletted(image.Rect(0, 0, 7, 5), opaquePal)), true},
		{"grey with tRNS", encodePNG(t, image.NewGray(image.Rect(0, 0, 7, 5)), hostile.PNGChunk("tRNS", []byte{0, 0})), true},
		{"rgb with tRNS", encodePNG(t, opaqueRGBA(7, 5), hostile.PNGChunk("tRNS", []byte{0, 0, 0, 0, 0, 0})), true},
		{"text chunks", hostile.Bytes("png_text_100_small_ok.png"), true},
		{"grey with a bad tRNS", encodePNG(t, image.NewGray(image.Rect(0, 0, 7, 5)), hostile.PNGChunk("tRNS", []byte{0})), false},
		{"rgba with tRNS", encodePNG(t, image.NewNRGBA(image.Rect(0, 0, 7, 5)), hostile.PNGChunk("tRNS", []byte{0, 0})), false},
		{"eXIf", encodePNG(t, image.NewGray(image.Rect(0, 0, 7, 5)), hostile.PNGChunk("eXIf", []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x00"))), false},
		{"unknown critical chunk", encodePNG(t, image.NewGray(image.Rect(0, 0, 7, 5)), hostile.PNGChunk("CRIT", nil)), false},
		{"bad CRC", badCRC, false},
		{"bad depth", withIHDR(1, 1, 3, 0, 0), false},
		{"bad colour type", withIHDR(1, 1, 8, 5, 0), false},
		{"zero width", withIHDR(0, 1, 8, 0, 0), false},
		{"over VIPS_MAX_COORD", withIHDR(10_000_001, 1, 8, 0, 0), false},
		{"bad interlace", withIHDR(1, 1, 8, 0, 2), false},
		{"palette without PLTE", withIHDR(1, 1, 8, 3, 0), false},
		{"no IDAT", testPNG(iend), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pngHeader(tt.buf)
			if ok != tt.want {
				t.Fatalf("read in Go: %v, want %v", ok, tt.want)
			}
			if ok {
				sameAsLibvips(t, tt.buf, got)
			}
		})
	}
}

// TestPNGHeaderCorpus compares the Go reading with libvips' on every PNG of
// the corpus: the same header where Go is sure; and the same verdict from
// Probe (kind of error, or none) as libvips alone gave.
func TestPNGHeaderCorpus(t *testing.T) {
	testRenderer(t)
	dir := testcorpus.Dir(t)
	var inGo, total int
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		buf, err := os.ReadFile(p)
		if err != nil || sniff(buf) != "png" {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		total++
		t.Run(rel, func(t *testing.T) {
			clean, err := cleanPNG(buf)
			if err != nil {
				return // refused before any header is read
			}
			if info, ok := pngHeader(clean); ok {
				inGo++
				sameAsLibvips(t, clean, info)
			}
			_, perr := Probe(buf, DefaultConfig())
			img, info, lerr := loadHeader(clean, "png")
			if img != nil {
				img.Close()
			}
			if lerr == nil {
				lerr = checkLimits(info, DefaultConfig())
			}
			if kindOf(perr) != kindOf(lerr) {
				t.Errorf("Probe: %s (%v); libvips alone: %s (%v)", kindName(kindOf(perr)), perr, kindName(kindOf(lerr)), lerr)
			}
		})
		return nil
	})
	t.Logf("%d of %d corpus PNGs read in Go", inGo, total)
	if total > 0 && inGo*2 < total {
		t.Errorf("only %d of %d PNGs read in Go", inGo, total)
	}
}

func sameAsLibvips(t *testing.T, buf []byte, got Info) {
	t.Helper()
	img, want, err := loadHeader(buf, "png")
	if err != nil {
		t.Fatalf("read in Go as %+v; libvips: %v (%s)", got, err, kindName(fault.KindOf(err)))
	}
	img.Close()
	if got != want {
		t.Errorf("Go: %+v\nlibvips: %+v", got, want)
	}
}

func opaqueRGBA(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	return img
}

// BenchmarkPNGHeader is the probe's header read of a 790 KB photo PNG in Go,
// and the libvips load it replaces (which reads the header twice).
func BenchmarkPNGHeader(b *testing.B) {
	testRenderer(b)
	buf := readCorpus(b, "faces/astronaut_eileen_collins.png")
	b.Run("go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := pngHeader(buf); !ok {
				b.Fatal("not read in Go")
			}
		}
	})
	b.Run("libvips", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			img, _, err := loadHeader(buf, "png")
			if err != nil {
				b.Fatal(err)
			}
			img.Close()
		}
	})
}
