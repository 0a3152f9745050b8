package transform

import (
	"bytes"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// TestEncodeLossyKnobs: each knob that bench/quality measures reaches the
// encoder (the bytes change), the output is the format asked for, and a
// stripped WebP carries no EXIF, XMP or ICC chunk.
func TestEncodeLossyKnobs(t *testing.T) {
	testRenderer(t) // starts libvips
	img, err := vips.NewThumbnailFromBuffer(readCorpus(t, "photos/forest_path.jpg"), 240, 240, vips.InterestingNone)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := CopyToMemory(img); err != nil {
		t.Fatal(err)
	}
	base := DefaultConfig().Knobs()
	with := func(f func(*Knobs)) Knobs { k := base; f(&k); return k }
	tests := []struct {
		name   string
		format spec.Format
		knobs  Knobs
	}{
		{"jpeg progressive", spec.FormatJPEG, with(func(k *Knobs) { k.JPEGProgressive = true })},
		{"jpeg plain huffman", spec.FormatJPEG, with(func(k *Knobs) { k.JPEGPlainHuffman = true })},
		{"webp sharp yuv", spec.FormatWebP, with(func(k *Knobs) { k.WebPSharpYUV = true })},
		{"webp effort 6", spec.FormatWebP, with(func(k *Knobs) { k.WebPEffort = 6 })},
		{"avif 4:4:4", spec.FormatAVIF, with(func(k *Knobs) { k.AVIFChroma444 = true })},
		{"avif effort 5", spec.FormatAVIF, with(func(k *Knobs) { k.AVIFEffort = 5 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, err := EncodeLossy(img, tt.format, 70, base, true)
			if err != nil {
				t.Fatal(err)
			}
			got, err := EncodeLossy(img, tt.format, 70, tt.knobs, true)
			if err != nil {
				t.Fatal(err)
			}
			if f := sniffOutput(got); f != tt.format {
				t.Fatalf("output is %s, want %s", f, tt.format)
			}
			if bytes.Equal(def, got) {
				t.Errorf("the knob changed no byte (%d bytes)", len(got))
			}
			if tt.format == spec.FormatWebP {
				for _, chunk := range []string{"EXIF", "XMP ", "ICCP"} {
					if bytes.Contains(got, []byte(chunk)) {
						t.Errorf("stripped WebP has a %q chunk", chunk)
					}
				}
			}
		})
	}
	if _, err := EncodeLossy(img, spec.FormatPNG, 70, base, true); err == nil {
		t.Error("PNG is not lossy: want an error")
	}
}

// TestDistanceOrdersQualities: the in-process distance is 0 for a
// lossless copy and grows as the quality falls.
func TestDistanceOrdersQualities(t *testing.T) {
	testRenderer(t)
	img, err := vips.NewThumbnailFromBuffer(readCorpus(t, "photos/forest_path.jpg"), 320, 320, vips.InterestingNone)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := CopyToMemory(img); err != nil {
		t.Fatal(err)
	}
	png, _, err := img.ExportPng(&vips.PngExportParams{Compression: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := Distance(img, png); err != nil || d > 1e-9 {
		t.Fatalf("lossless copy: distance %v, %v; want 0", d, err)
	}
	prev := 0.0
	for _, q := range []int{95, 75, 40, 10} {
		body, err := EncodeLossy(img, spec.FormatJPEG, q, DefaultConfig().Knobs(), true)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Distance(img, body)
		if err != nil {
			t.Fatal(err)
		}
		if d <= prev {
			t.Errorf("q%d: distance %.3f, not above the higher quality's %.3f", q, d, prev)
		}
		prev = d
	}
}
