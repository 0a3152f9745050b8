package transform

import (
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

// withTable runs f with qScale replaced by rows.
func withTable(t *testing.T, rows []qScaleRow, f func()) {
	t.Helper()
	saved := qScale
	qScale = rows
	defer func() { qScale = saved }()
	f()
}

func TestScaledQuality(t *testing.T) {
	table := []qScaleRow{{JPEG: 50, WebP: 40, AVIF: 30}, {JPEG: 80, WebP: 70, AVIF: 55}, {JPEG: 90, WebP: 85, AVIF: 70}}
	tests := []struct {
		f    spec.Format
		q    int
		want int
	}{
		{spec.FormatAVIF, 80, 55},   // a row
		{spec.FormatWebP, 80, 70},   // the same row, WebP's column
		{spec.FormatAVIF, 85, 63},   // between rows: 55 + 5/10*15, rounded
		{spec.FormatWebP, 60, 50},   // 40 + 10/30*30
		{spec.FormatAVIF, 1, 1},     // below the table: towards 1
		{spec.FormatAVIF, 25, 15},   // 1 + 24/49*29, rounded
		{spec.FormatAVIF, 100, 100}, // above the table: towards 100
		{spec.FormatWebP, 95, 93},   // 85 + 5/10*15, rounded
		{spec.FormatJPEG, 63, 63},   // JPEG is the scale
		{spec.FormatPNG, 63, 63},    // PNG's quality is its palette's, as asked
	}
	withTable(t, table, func() {
		for _, tt := range tests {
			if got := scaledQuality(tt.f, tt.q); got != tt.want {
				t.Errorf("scaledQuality(%s, %d) = %d, want %d", tt.f, tt.q, got, tt.want)
			}
		}
	})
}

func TestConfigQuality(t *testing.T) {
	table := []qScaleRow{{JPEG: 80, WebP: 70, AVIF: 55}, {JPEG: 90, WebP: 85, AVIF: 70}}
	cfg := DefaultConfig()
	overridden := DefaultConfig()
	overridden.Quality = map[spec.Format]int{spec.FormatAVIF: 40}
	overridden.DefaultQuality = 90
	tests := []struct {
		name string
		cfg  Config
		f    spec.Format
		opts spec.Options
		want int
	}{
		{"default scale, jpeg", cfg, spec.FormatJPEG, spec.Options{}, 80},
		{"default scale, avif", cfg, spec.FormatAVIF, spec.Options{}, 55},
		{"default png is lossless", cfg, spec.FormatPNG, spec.Options{}, 100},
		{"url q on the scale", cfg, spec.FormatWebP, spec.Options{Quality: 90}, 85},
		{"url override", cfg, spec.FormatAVIF, spec.Options{Quality: 90, QualityFor: spec.FormatQualities{AVIF: 33}}, 33},
		{"url override of another format", cfg, spec.FormatWebP, spec.Options{Quality: 90, QualityFor: spec.FormatQualities{AVIF: 33}}, 85},
		{"config override", overridden, spec.FormatAVIF, spec.Options{}, 40},
		{"config default on the scale", overridden, spec.FormatWebP, spec.Options{}, 85},
		{"url q beats config override", overridden, spec.FormatAVIF, spec.Options{Quality: 80}, 55},
	}
	withTable(t, table, func() {
		for _, tt := range tests {
			if got := tt.cfg.quality(tt.f, tt.opts); got != tt.want {
				t.Errorf("%s: quality = %d, want %d", tt.name, got, tt.want)
			}
		}
	})
}

// TestQScaleTable checks the generated table: JPEG rising, and the WebP
// and AVIF qualities never falling as JPEG's rise (a regenerated table
// from noisy curves could break that).
func TestQScaleTable(t *testing.T) {
	if len(qScale) < 2 {
		t.Fatalf("qScale has %d rows", len(qScale))
	}
	for i := 1; i < len(qScale); i++ {
		a, b := qScale[i-1], qScale[i]
		if b.JPEG <= a.JPEG || b.WebP < a.WebP || b.AVIF < a.AVIF {
			t.Errorf("row %d %+v after %+v: not monotonic", i, b, a)
		}
	}
}

// TestAutoFormatAtMappedQuality: f=auto,q=80 gives each browser its best
// format at the quality the table maps 80 to, and a per-format override
// wins for its own format only.
func TestAutoFormatAtMappedQuality(t *testing.T) {
	var row qScaleRow
	for _, r := range qScale {
		if r.JPEG == 80 {
			row = r
		}
	}
	if row.JPEG == 0 {
		t.Fatal("the table has no row for JPEG 80")
	}
	tests := []struct {
		name   string
		accept string
		q      spec.FormatQualities
		format spec.Format
		want   int
	}{
		{"avif browser", chromeAccept, spec.FormatQualities{}, spec.FormatAVIF, row.AVIF},
		{"webp browser", safari14, spec.FormatQualities{}, spec.FormatWebP, row.WebP},
		{"jpeg browser", "*/*", spec.FormatQualities{}, spec.FormatJPEG, 80},
		{"avif override", chromeAccept, spec.FormatQualities{AVIF: 50, WebP: 70}, spec.FormatAVIF, 50},
		{"webp override", safari14, spec.FormatQualities{AVIF: 50, WebP: 70}, spec.FormatWebP, 70},
		{"override of another format", "*/*", spec.FormatQualities{AVIF: 50}, spec.FormatJPEG, 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := spec.Options{Width: 200, Format: spec.FormatAuto, Quality: 80, QualityFor: tt.q}
			res := renderFile(t, "photos/forest_path.jpg", opts, tt.accept)
			if res.Format != tt.format || sniffOutput(res.Body) != tt.format {
				t.Fatalf("format %s (bytes say %s), want %s", res.Format, sniffOutput(res.Body), tt.format)
			}
			if res.Quality != tt.want {
				t.Errorf("encoded at quality %d, want %d", res.Quality, tt.want)
			}
		})
	}
}
