package transform

import "testing"

func TestJPEGComplete(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"photos/mountain_valley_small.jpg", true},
		{"photos/sunset_12mp_progressive.jpg", true},
		{"photos/object_coffee_cup_512.jpg", true},
		{"orientation/phone_photo_orient6_displayp3.jpg", true}, // EXIF thumbnail with its own EOI
		{"formats/cmyk_swop_icc_sunglasses.jpg", true},
		{"formats/jpeg_subsampling_410.jpeg", true},
		{"hostile/polyglot_jpeg_zip.jpg", true}, // a ZIP after the EOI
		{"hostile/pillow_bad_exif.jpg", true},
		{"hostile/pillow_junk_before_soi.jpg", true},
		{"hostile/truncated_400bytes.jpg", false},
		{"hostile/truncated_progressive.jpeg", true}, // cut mid-scan, then given an end marker
		{"hostile/truncated_evening_glow_40pct.jpg", false},
		{"hostile/text_not_an_image.jpg", false},
		{"hostile/empty_zero_bytes.jpeg", false},
	}
	for _, tt := range tests {
		if got := jpegComplete(readCorpus(t, tt.src)); got != tt.want {
			t.Errorf("jpegComplete(%s) = %v, want %v", tt.src, got, tt.want)
		}
	}
	// Every cut of a complete file before its end marker is incomplete
	// (the cut at len-1 keeps 0xFF but loses 0xD9).
	b := readCorpus(t, "photos/object_coffee_cup_512.jpg")
	for n := 0; n < len(b)-1; n += 97 {
		if jpegComplete(b[:n]) {
			t.Fatalf("a cut at %d of %d bytes reads as complete", n, len(b))
		}
	}
	if jpegComplete(b[:len(b)-1]) {
		t.Errorf("a file without its last byte reads as complete")
	}
	hand := []struct {
		name string
		b    string
		want bool
	}{
		{"soi eoi", "\xff\xd8\xff\xd9", true},
		{"segment", "\xff\xd8\xff\xe0\x00\x04ab\xff\xd9", true},
		{"segment past the end", "\xff\xd8\xff\xe0\x00\x10ab", false},
		{"scan with stuffing and restart", "\xff\xd8\xff\xda\x00\x02\x12\xff\x00\x34\xff\xd0\x56\xff\xd9", true},
		{"scan without end", "\xff\xd8\xff\xda\x00\x02\x12\xff\x00\x34", false},
		{"fill bytes", "\xff\xd8\xff\xff\xff\xd9", true},
		{"stray bytes", "\xff\xd8junk\xff\xd9", true},
		{"not jpeg", "\x89PNG\r\n\x1a\n", false},
	}
	for _, tt := range hand {
		if got := jpegComplete([]byte(tt.b)); got != tt.want {
			t.Errorf("%s: jpegComplete = %v, want %v", tt.name, got, tt.want)
		}
	}
}
