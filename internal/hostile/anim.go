package hostile

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
)

// Issue 9, classes 3 and 4: animations whose output is unbounded, and
// failures that surface inside the encoder.
func init() {
	register(File{Name: "anim-500x316.gif", Class: "anim-output", Make: anim500})
	register(File{Name: "anim-corrupt-45.gif", Class: "anim-corrupt", Make: animCorrupt})
	register(File{Name: "meta-keep-truncated.jpg", Class: "meta-keep-truncated", Make: truncatedJPEG})
}

// AnimFrames and AnimSide are the shape of anim-500x316.gif: 316×316 × 500
// frames is 49.9 MP, just inside the default limits (50 MP, 500 frames), so
// the header check lets it through.
const (
	AnimFrames = 500
	AnimSide   = 316
)

// anim500 is a ~10 KB GIF of 500 frames at 316×316: one flat frame, then
// 499 frames that each repaint a 2×2 square somewhere else. Every decoded
// frame is the whole canvas (nothing is disposed), so each differs from the
// last by a few pixels: an encoder has real work per frame, while the file
// costs ~20 bytes a frame.
func anim500() []byte {
	pal := color.Palette{color.Gray{0x20}, color.Gray{0xe0}, color.RGBA{0xc0, 0x20, 0x20, 0xff}, color.RGBA{0x20, 0x20, 0xc0, 0xff}}
	g := &gif.GIF{Config: image.Config{ColorModel: pal, Width: AnimSide, Height: AnimSide}, LoopCount: 0}
	g.Image = append(g.Image, image.NewPaletted(image.Rect(0, 0, AnimSide, AnimSide), pal))
	g.Delay = append(g.Delay, 4)
	g.Disposal = append(g.Disposal, gif.DisposalNone)
	for i := 1; i < AnimFrames; i++ {
		x, y := (i*37)%(AnimSide-2), (i*101)%(AnimSide-2)
		f := image.NewPaletted(image.Rect(x, y, x+2, y+2), pal)
		for j := range f.Pix {
			f.Pix[j] = uint8(1 + i%3)
		}
		g.Image = append(g.Image, f)
		g.Delay = append(g.Delay, 4)
		g.Disposal = append(g.Disposal, gif.DisposalNone)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// animCorrupt is a 45-frame 40×40 GIF of noise whose last frame has 64 bytes
// of its LZW data overwritten, inside one data sub-block so that the block
// lengths still chain: reading the header walks every frame and succeeds,
// decoding the last frame fails, which happens while the encoder pulls it.
func animCorrupt() []byte {
	const side, frames = 40, 45
	pal := palette.Plan9[:64]
	g := &gif.GIF{Config: image.Config{ColorModel: color.Palette(pal), Width: side, Height: side}}
	seed := uint32(9)
	for i := 0; i < frames; i++ {
		f := image.NewPaletted(image.Rect(0, 0, side, side), pal)
		for j := range f.Pix {
			seed = seed*1664525 + 1013904223
			f.Pix[j] = uint8(seed>>24) % 64
		}
		g.Image = append(g.Image, f)
		g.Delay = append(g.Delay, 5)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		panic(err)
	}
	out := b.Bytes()
	// The last frame's data is a run of 255-byte sub-blocks ending a few
	// hundred bytes before the trailer; walk back from the end to the
	// start of one full sub-block and garble its middle.
	start := lastImageData(out)
	for off := start; off < len(out) && out[off] != 0; off += 1 + int(out[off]) {
		if out[off] == 255 && off+1+255 < len(out)-1 {
			start = off
		}
	}
	for i := range 64 {
		out[start+1+100+i] = 0xff // code 4095 and beyond: never a valid next code
	}
	return out
}

// lastImageData returns the offset of the first data sub-block's length
// byte of the last image in a GIF written by image/gif (global palette,
// every frame with a graphic control extension and no local palette).
func lastImageData(b []byte) int {
	last := -1
	for i := 0; i+10 < len(b); i++ {
		// An image descriptor follows a graphic control extension's
		// terminator: 0x21 0xF9 0x04 <4 bytes> 0x00 0x2C.
		if b[i] == 0x21 && b[i+1] == 0xf9 && b[i+2] == 0x04 && b[i+7] == 0 && b[i+8] == 0x2c {
			last = i + 8
		}
	}
	if last < 0 {
		panic("hostile: no image descriptor")
	}
	packed := b[last+9]
	off := last + 10
	if packed&0x80 != 0 { // local colour table
		off += 3 << (int(packed&7) + 1)
	}
	return off + 1 // skip the LZW minimum code size
}

// truncatedJPEG is a 640×480 JPEG with EXIF (so that metadata=keep has
// something to keep) cut at 60 %: the header reads fine, the scan ends
// early.
func truncatedJPEG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 0xff})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	full := b.Bytes()
	out := append([]byte{}, full[:2]...) // SOI
	out = append(out, exifSegment("pixmill hostile test")...)
	out = append(out, full[2:]...)
	return out[:len(out)*6/10]
}

// exifSegment is an APP1 Exif segment holding one IFD0 entry: Copyright.
func exifSegment(copyright string) []byte {
	val := append([]byte(copyright), 0)
	var t bytes.Buffer
	t.WriteString("II*\x00")
	_ = binary.Write(&t, binary.LittleEndian, uint32(8)) // IFD0 offset
	_ = binary.Write(&t, binary.LittleEndian, uint16(1)) // one entry
	for _, v := range []any{uint16(0x8298), uint16(2), uint32(len(val)), uint32(8 + 2 + 12 + 4), uint32(0)} {
		_ = binary.Write(&t, binary.LittleEndian, v) // tag, ASCII, count, value offset; no next IFD
	}
	t.Write(val)
	body := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}
