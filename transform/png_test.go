package transform

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/hostile"
	"github.com/pixmill/pixmill/transform/spec"
)

// testPNG builds a PNG from chunks: IHDR of a 1×1 grey image first, then the
// given ones (idat and iend are a real image's).
func testPNG(chunks ...[]byte) []byte {
	out := append([]byte{}, pngSignature...)
	out = append(out, hostile.PNGChunk("IHDR", []byte{0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0})...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out
}

var (
	idat = hostile.PNGChunk("IDAT", []byte{0x78, 0xda, 0x63, 0x68, 0x00, 0x00, 0x00, 0x82, 0x00, 0x81})
	iend = hostile.PNGChunk("IEND", nil)
)

func chunk(typ string, size int) []byte { return hostile.PNGChunk(typ, make([]byte, size)) }

// lying is a chunk header that declares n bytes, and nothing after it.
func lying(typ string, n uint32) []byte {
	return append(binary.BigEndian.AppendUint32(nil, n), typ...)
}

func text(key, value string) []byte { return hostile.PNGChunk("tEXt", []byte(key+"\x00"+value)) }

// ztxt and itxt compress size zero bytes.
func ztxt(size int) []byte {
	return hostile.PNGChunk("zTXt", append([]byte("k\x00\x00"), deflateZeros(size)...))
}

func itxt(size int) []byte {
	return hostile.PNGChunk("iTXt", append([]byte("k\x00\x01\x00en\x00k\x00"), deflateZeros(size)...))
}

func deflateZeros(n int) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(make([]byte, n))
	w.Close()
	return b.Bytes()
}

func repeat(c []byte, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = c
	}
	return out
}

func flat(parts ...any) []byte {
	var out [][]byte
	for _, p := range parts {
		switch p := p.(type) {
		case []byte:
			out = append(out, p)
		case [][]byte:
			out = append(out, p...)
		}
	}
	return testPNG(out...)
}

func TestCleanPNG(t *testing.T) {
	const kib = 1 << 10
	plain := testPNG(idat, iend)
	tests := []struct {
		name string
		in   []byte
		want string // the chunk types kept, or "undecodable"
		same bool   // buf itself comes back: nothing was copied
	}{
		{"plain", plain, "IHDR IDAT IEND", true},
		{"small text kept", flat(text("Title", "x"), idat, iend), "IHDR tEXt IDAT IEND", true},
		{"junk after IEND, nothing dropped", append(testPNG(idat, iend), "junk"...), "IHDR IDAT IEND", true},

		{"tEXt declaring 1 GiB", testPNG(lying("tEXt", 1<<30), idat, iend), "undecodable", false},
		{"zTXt declaring 0x7fffffff", testPNG(lying("zTXt", 0x7fffffff), idat, iend), "undecodable", false},
		{"iTXt declaring 1 GiB", testPNG(lying("iTXt", 1<<30), idat, iend), "undecodable", false},
		{"sPLT declaring 1 GiB", testPNG(lying("sPLT", 1<<30), idat, iend), "undecodable", false},
		{"iCCP declaring 1 GiB", testPNG(lying("iCCP", 1<<30), idat, iend), "undecodable", false},
		{"unknown chunk over the end", testPNG(lying("prIv", 100), idat), "undecodable", false},
		{"IDAT over 2^31-1", testPNG(lying("IDAT", 0x80000000), iend), "undecodable", false},
		{"IDAT past the end: truncated, libvips decides", testPNG(lying("IDAT", 4096), []byte{1, 2, 3}), "IHDR", true},
		{"no IEND", testPNG(idat), "IHDR IDAT", true},
		{"signature only", append([]byte{}, pngSignature...), "", true},

		{"40 text chunks: 32 kept", flat(repeat(text("k", "v"), 40), idat, iend), "IHDR" + strings.Repeat(" tEXt", 32) + " IDAT IEND", false},
		{"text over the budget dropped, later small one kept", flat(chunk("tEXt", 200*kib), chunk("tEXt", 100*kib), chunk("tEXt", 10*kib), idat, iend), "IHDR tEXt tEXt IDAT IEND", false},
		{"zTXt bomb dropped, small zTXt kept", flat(ztxt(64<<20), ztxt(100), idat, iend), "IHDR zTXt IDAT IEND", false},
		{"compressed iTXt bomb dropped", flat(itxt(64<<20), idat, iend), "IHDR IDAT IEND", false},
		{"small compressed iTXt kept", flat(itxt(1000), idat, iend), "IHDR iTXt IDAT IEND", true},
		{"uncompressed iTXt counted by length", flat(hostile.PNGChunk("iTXt", []byte("k\x00\x00\x00\x00\x00hello")), idat, iend), "IHDR iTXt IDAT IEND", true},
		{"eXIf of 1 KiB kept", flat(chunk("eXIf", kib), idat, iend), "IHDR eXIf IDAT IEND", true},
		{"eXIf of 16 MiB dropped", flat(chunk("eXIf", 16<<20), idat, iend), "IHDR IDAT IEND", false},
		{"sPLT over the budget dropped", flat(chunk("sPLT", 300*kib), idat, iend), "IHDR IDAT IEND", false},
		{"iCCP and unknown chunks not counted", flat(chunk("iCCP", 300*kib), chunk("prIv", 300*kib), idat, iend), "IHDR iCCP prIv IDAT IEND", true},
		{"after IDAT, libvips reads nothing: left alone", flat(idat, chunk("tEXt", 300*kib), iend), "IHDR IDAT tEXt IEND", true},
		{"after IDAT, a chunk past the end is left alone", testPNG(idat, lying("tEXt", 1<<30)), "IHDR IDAT", true},
		{"dropped, then the rest kept byte for byte", append(flat(chunk("tEXt", 300*kib), idat, iend), "junk"...), "IHDR IDAT IEND", false},
		{"dropped, then truncated IDAT kept as it is", flat(chunk("tEXt", 300*kib), lying("IDAT", 4096), []byte{1, 2, 3}), "IHDR", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := cleanPNG(tt.in)
			if tt.want == "undecodable" {
				if fault.KindOf(err) != fault.Undecodable {
					t.Fatalf("err = %v, want undecodable", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got := strings.Join(pngChunkTypes(t, out), " "); got != tt.want {
				t.Errorf("kept %q, want %q", got, tt.want)
			}
			if same := len(out) > 0 && &out[0] == &tt.in[0]; same != tt.same {
				t.Errorf("returned the input itself: %v, want %v", same, tt.same)
			}
			if len(out) > len(tt.in) {
				t.Errorf("output %d bytes, longer than the input's %d", len(out), len(tt.in))
			}
			if rest := tt.in[pngFirstIDAT(tt.in):]; !bytes.HasSuffix(out, rest) {
				t.Errorf("the %d bytes from the first IDAT on were not kept as they are", len(rest))
			}
		})
	}
}

// pngChunkTypes lists the whole chunks of b, checking each CRC; a truncated
// tail after the last whole chunk is allowed.
func pngChunkTypes(t testing.TB, b []byte) []string {
	t.Helper()
	if !bytes.HasPrefix(b, pngSignature) {
		t.Fatalf("no PNG signature")
	}
	var types []string
	for p := len(pngSignature); p+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[p:]))
		if p+12+n > len(b) {
			break
		}
		typ := string(b[p+4 : p+8])
		if crc := binary.BigEndian.Uint32(b[p+8+n:]); crc != crc32.ChecksumIEEE(b[p+4:p+8+n]) {
			t.Errorf("chunk %s at %d: CRC %08x does not match", typ, p, crc)
		}
		types = append(types, typ)
		p += 12 + n
		if typ == "IEND" {
			break
		}
	}
	return types
}

// pngFirstIDAT is the offset of the first IDAT chunk, or of the end.
func pngFirstIDAT(b []byte) int {
	p := len(pngSignature)
	for p+8 <= len(b) && string(b[p+4:p+8]) != "IDAT" {
		p += 12 + int(binary.BigEndian.Uint32(b[p:]))
	}
	return min(p, len(b))
}

// TestHostilePNGs renders every crafted PNG of issue 9 the way the public
// thumb preset does: the chunk bombs are refused by the walk before libvips
// reads them; the text bombs lose their text and render.
func TestHostilePNGs(t *testing.T) {
	r := testRenderer(t)
	thumb := spec.Options{Width: 200, Height: 200, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityAuto}, Format: spec.FormatWebP}
	for _, class := range []string{"png-chunk-length", "png-text-bomb"} {
		for _, f := range hostile.Class(class) {
			t.Run(f.Name, func(t *testing.T) {
				buf := f.Make()
				want := ok
				if class == "png-chunk-length" {
					want = fault.Undecodable
				}
				_, err := r.Render(context.Background(), Original{Data: buf}, thumb, "")
				if k := kindOf(err); k != want {
					t.Errorf("Render: %v (%s), want %s", err, kindName(k), kindName(want))
				}
				if _, err := r.Describe(context.Background(), Original{Data: buf}, spec.Options{Format: spec.FormatJSON}, ""); kindOf(err) != want {
					t.Errorf("Describe: %v, want %s", err, kindName(want))
				}
			})
		}
	}
}

// FuzzPNGChunks: whatever follows the signature, the walk never panics; what
// it returns is never longer than its input, is made of the input's own
// chunks, keeps everything from the first IDAT on, and has nothing left for
// a second walk to drop.
func FuzzPNGChunks(f *testing.F) {
	for _, name := range []string{"png_chunklen_tEXt_1gib.png", "png_chunklen_zTXt_7fffffff.png", "png_chunklen_sPLT_1gib.png", "png_text_100_small_ok.png"} {
		f.Add(hostile.Bytes(name))
	}
	f.Add(flat(repeat(text("k", "v"), 40), idat, iend))
	f.Add(flat(ztxt(1<<20), itxt(1000), idat, iend))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := append(append([]byte{}, pngSignature...), bytes.TrimPrefix(data, pngSignature)...)
		out, err := cleanPNG(in)
		if err != nil {
			if fault.KindOf(err) != fault.Undecodable {
				t.Fatalf("error of kind %v: %v", fault.KindOf(err), err)
			}
			return
		}
		if len(out) > len(in) {
			t.Fatalf("output %d bytes, input %d", len(out), len(in))
		}
		if !bytes.HasPrefix(out, pngSignature) {
			t.Fatal("output lost the signature")
		}
		// Every chunk of the output is a chunk of the input, byte for byte.
		for p := len(pngSignature); p+12 <= len(out); {
			n := int(binary.BigEndian.Uint32(out[p:]))
			if p+12+n > len(out) {
				break
			}
			if !bytes.Contains(in, out[p:p+12+n]) {
				t.Fatalf("chunk at %d is not in the input", p)
			}
			p += 12 + n
		}
		if rest := in[pngFirstIDAT(in):]; !bytes.HasSuffix(out, rest) {
			t.Fatal("what follows the first IDAT was not kept as it is")
		}
		// A second walk has nothing left to drop.
		again, err := cleanPNG(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second walk: %d bytes, %v; first gave %d", len(again), err, len(out))
		}
	})
}

// BenchmarkCleanPNG is the walk over a normal photo-sized PNG (nothing to
// drop: no copy) and over the ten-zTXt bomb (a copy without them).
func BenchmarkCleanPNG(b *testing.B) {
	for _, tt := range []struct {
		name string
		buf  []byte
	}{
		{"photo_512x512_790KB", readCorpus(b, "faces/astronaut_eileen_collins.png")},
		{"ztxt_bomb_10x64MiB", hostile.Bytes("png_ztxt_bomb_10x64mib.png")},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cleanPNG(tt.buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
