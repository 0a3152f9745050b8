package transform

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// phoneGPS is a camera photo with full EXIF, GPS included, and orientation 6.
const phoneGPS = "orientation/phone_photo_orient6_displayp3.jpg"

var outputFormats = []spec.Format{spec.FormatJPEG, spec.FormatPNG, spec.FormatWebP, spec.FormatAVIF}

// metaFields lists the metadata fields libvips reads back from an output.
func metaFields(t *testing.T, body []byte) (fields []string, img *vips.ImageRef) {
	t.Helper()
	testRenderer(t)
	img, err := vips.NewImageFromBuffer(body)
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	t.Cleanup(img.Close)
	for _, f := range img.GetFields() {
		if strings.HasPrefix(f, "exif-") || strings.HasPrefix(f, "xmp") || strings.HasPrefix(f, "iptc") {
			fields = append(fields, f)
		}
	}
	return fields, img
}

func hasPrefix(fields []string, prefix string) bool {
	for _, f := range fields {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

// TestMetadataStrippedByDefault renders a photo with GPS to every format and
// looks for any trace of its metadata, through libvips and in the raw bytes.
func TestMetadataStrippedByDefault(t *testing.T) {
	src, _ := metaFields(t, readCorpus(t, phoneGPS))
	if !hasPrefix(src, "exif-ifd3-GPSLatitude") || !hasPrefix(src, "exif-ifd0-Make") {
		t.Fatalf("%s was expected to carry GPS and camera EXIF; it has %v", phoneGPS, src)
	}
	for _, f := range outputFormats {
		t.Run(string(f), func(t *testing.T) {
			res, _ := renderDecoded(t, phoneGPS, spec.Options{Height: 160, Format: f}, "")
			fields, img := metaFields(t, res.Body)
			if len(fields) > 0 {
				t.Errorf("metadata survived: %v", fields)
			}
			if img.HasICCProfile() {
				t.Errorf("an ICC profile survived")
			}
			lower := bytes.ToLower(res.Body)
			for _, needle := range []string{"exif", "gps", "apple", "iphone", "xmp", "photoshop"} {
				if bytes.Contains(lower, []byte(needle)) {
					t.Errorf("the output bytes contain %q", needle)
				}
			}
			if res.Width != 120 || res.Height != 160 {
				t.Errorf("got %dx%d, want the upright 120x160", res.Width, res.Height)
			}
		})
	}
}

// TestMetadataKeep keeps the camera EXIF, with the orientation reset to 1:
// the pixels are upright already, and a viewer must not turn them again.
func TestMetadataKeep(t *testing.T) {
	for _, f := range outputFormats {
		t.Run(string(f), func(t *testing.T) {
			res, _ := renderDecoded(t, phoneGPS, spec.Options{Height: 160, Format: f, Metadata: spec.MetadataKeep}, "")
			fields, img := metaFields(t, res.Body)
			kept := hasPrefix(fields, "exif-ifd0-Make") && hasPrefix(fields, "exif-ifd3-GPSLatitude")
			t.Logf("%s keeps %d metadata fields (camera and GPS: %v), orientation %d", f, len(fields), kept, img.Orientation())
			if (f == spec.FormatJPEG || f == spec.FormatWebP) && !kept {
				t.Errorf("EXIF was not kept: %v", fields)
			}
			if o := img.Orientation(); o > 1 {
				t.Errorf("output orientation %d on upright pixels", o)
			}
			if res.Width != 120 || res.Height != 160 {
				t.Errorf("got %dx%d, want the upright 120x160", res.Width, res.Height)
			}
		})
	}
}

// TestMetadataCopyright keeps only the copyright notice and artist. The
// corpus photo has neither, so the test writes them into a copy of it.
func TestMetadataCopyright(t *testing.T) {
	src := withCopyright(t, readCorpus(t, phoneGPS))
	fields, _ := metaFields(t, src)
	for _, want := range []string{"exif-ifd0-Copyright", "exif-ifd0-Artist", "exif-ifd3-GPSLatitude", "exif-ifd0-Make"} {
		if !hasPrefix(fields, want) {
			t.Fatalf("the constructed source lacks %s: %v", want, fields)
		}
	}
	for _, f := range outputFormats {
		t.Run(string(f), func(t *testing.T) {
			res, err := testRenderer(t).Render(context.Background(), Original{Data: src}, spec.Options{Width: 160, Format: f, Metadata: spec.MetadataCopyright}, "")
			if err != nil {
				t.Fatal(err)
			}
			fields, img := metaFields(t, res.Body)
			// The saver adds EXIF's mandatory fields (ExifVersion, ColorSpace,
			// sizes); none of the source's own may survive.
			for _, bad := range []string{"exif-ifd3-GPS", "exif-ifd0-Make", "exif-ifd0-Model", "exif-ifd0-Software", "exif-ifd0-DateTime",
				"exif-ifd2-DateTimeOriginal", "exif-ifd2-ExposureTime", "exif-ifd2-LensModel", "exif-ifd2-SubjectArea", "exif-ifd2-MakerNote", "exif-ifd1-", "xmp", "iptc"} {
				if hasPrefix(fields, bad) {
					t.Errorf("%s survived metadata=copyright: %v", bad, fields)
				}
			}
			if bytes.Contains(res.Body, []byte("GPS")) || bytes.Contains(res.Body, []byte("iPhone")) {
				t.Errorf("the output bytes contain GPS or camera strings")
			}
			copyright := img.GetString("exif-ifd0-Copyright")
			artist := img.GetString("exif-ifd0-Artist")
			t.Logf("%s: copyright %q artist %q fields %v", f, copyright, artist, fields)
			// The tags' raw values, as a viewer reads them. The notice ends in
			// a parenthesis, which libvips' own string handling would cut.
			if f != spec.FormatPNG {
				for _, raw := range []string{"(c) Pixmill Test Owner (2024)\x00", "Jane Tester\x00"} {
					if !bytes.Contains(res.Body, []byte(raw)) {
						t.Errorf("the output lacks the tag value %q", raw)
					}
				}
				if strings.Count(copyright, "Pixmill") != 2 { // value and its human form
					t.Errorf("copyright reads back as %q", copyright)
				}
			}
		})
	}
}

// withCopyright returns a small JPEG copy of a photo with its EXIF, plus a
// copyright notice and an artist.
func withCopyright(t *testing.T, buf []byte) []byte {
	t.Helper()
	testRenderer(t)
	img, err := vips.NewThumbnailFromBuffer(buf, 600, 600, vips.InterestingNone)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	img.SetString("exif-ifd0-Copyright", "(c) Pixmill Test Owner (2024) (cut by libvips)")
	img.SetString("exif-ifd0-Artist", "Jane Tester")
	out, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("(c) Pixmill Test Owner (2024)\x00")) {
		t.Fatal("the constructed source lacks its copyright notice")
	}
	return out
}

func TestExifASCII(t *testing.T) {
	// A TIFF block with IFD0 holding Artist (inline, 4 bytes) and Copyright
	// (at an offset, photographer and editor parts).
	build := func(order string) []byte {
		var bo binaryOrder = le{}
		if order == "MM" {
			bo = be{}
		}
		b := []byte("Exif\x00\x00" + order)
		b = append(b, bo.u16(42)...)
		b = append(b, bo.u32(8)...)
		b = append(b, bo.u16(2)...)
		b = append(b, bo.u16(exifTagArtist)...)
		b = append(b, bo.u16(2)...)
		b = append(b, bo.u32(4)...)
		b = append(b, "Bob\x00"...)
		copyright := "(c) Ann (2024)\x00 Ed\x00"
		b = append(b, bo.u16(exifTagCopyright)...)
		b = append(b, bo.u16(2)...)
		b = append(b, bo.u32(uint32(len(copyright)))...)
		b = append(b, bo.u32(8+2+24+4)...)
		b = append(b, bo.u32(0)...)
		return append(b, copyright...)
	}
	for _, order := range []string{"II", "MM"} {
		b := build(order)
		if got := exifASCII(b, exifTagArtist); got != "Bob" {
			t.Errorf("%s Artist = %q", order, got)
		}
		if got := exifASCII(b, exifTagCopyright); got != "(c) Ann (2024); Ed" {
			t.Errorf("%s Copyright = %q", order, got)
		}
		if got := exifASCII(b, 0x010F); got != "" {
			t.Errorf("%s missing tag = %q", order, got)
		}
		for n := 0; n < len(b); n++ { // truncated blocks never panic
			exifASCII(b[:n], exifTagCopyright)
		}
	}
	if got := exifASCII([]byte("garbage that is not tiff"), exifTagArtist); got != "" {
		t.Errorf("garbage = %q", got)
	}
}

type binaryOrder interface {
	u16(uint16) []byte
	u32(uint32) []byte
}
type le struct{}
type be struct{}

func (le) u16(v uint16) []byte { return []byte{byte(v), byte(v >> 8)} }
func (le) u32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
func (be) u16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }
func (be) u32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

func TestStripWebPMetadata(t *testing.T) {
	chunk := func(fourCC, payload string) string {
		n := len(payload)
		s := fourCC + string(le{}.u32(uint32(n))) + payload
		if n%2 == 1 {
			s += "\x00"
		}
		return s
	}
	riff := func(chunks ...string) []byte {
		body := "WEBP" + strings.Join(chunks, "")
		return []byte("RIFF" + string(le{}.u32(uint32(len(body)))) + body)
	}
	vp8x := func(flags byte) string { return chunk("VP8X", string([]byte{flags, 0, 0, 0, 1, 0, 0, 1, 0, 0})) }
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"exif and xmp dropped, flags cleared", riff(vp8x(0x08|0x04|0x10), chunk("ALPH", "a"), chunk("VP8 ", "data"), chunk("EXIF", "Exif\x00\x00II"), chunk("XMP ", "<x/>")),
			riff(vp8x(0x10), chunk("ALPH", "a"), chunk("VP8 ", "data"))},
		{"icc dropped", riff(vp8x(0x20), chunk("ICCP", "prof"), chunk("VP8L", "px")), riff(vp8x(0), chunk("VP8L", "px"))},
		{"nothing to drop", riff(chunk("VP8 ", "data")), riff(chunk("VP8 ", "data"))},
		{"not webp", []byte("RIFF\x04\x00\x00\x00WAVE"), []byte("RIFF\x04\x00\x00\x00WAVE")},
		{"chunk past the end is left alone", append(riff(vp8x(0x08)), "EXIF\xff\x00\x00\x00x"...), append(riff(vp8x(0x08)), "EXIF\xff\x00\x00\x00x"...)},
	}
	for _, tt := range tests {
		if got := stripWebPMetadata(tt.in); !bytes.Equal(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}
