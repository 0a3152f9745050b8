package transform

import (
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

// withTables runs f with qScales replaced by tables.
func withTables(t *testing.T, tables []qScaleAt, f func()) {
	t.Helper()
	saved := qScales
	qScales = tables
	defer func() { qScales = saved }()
	f()
}

// withTable runs f with one table for every size.
func withTable(t *testing.T, rows []qScaleRow, f func()) {
	withTables(t, []qScaleAt{{Side: 800, Rows: rows}}, f)
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
			for _, side := range []int{100, 800, 3000} { // one table serves every size
				if got := scaledQuality(tt.f, tt.q, side); got != tt.want {
					t.Errorf("scaledQuality(%s, %d, %d) = %d, want %d", tt.f, tt.q, side, got, tt.want)
				}
			}
		}
	})
}

func TestScaledQualityBySize(t *testing.T) {
	tables := []qScaleAt{
		{Side: 400, Rows: []qScaleRow{{JPEG: 80, WebP: 80, AVIF: 60}}},
		{Side: 1600, Rows: []qScaleRow{{JPEG: 80, WebP: 90, AVIF: 72}}},
	}
	tests := []struct {
		f          spec.Format
		side, want int
	}{
		{spec.FormatAVIF, 400, 60},
		{spec.FormatAVIF, 1600, 72},
		{spec.FormatAVIF, 800, 66},  // halfway in log size: 60 + 12/2
		{spec.FormatWebP, 800, 85},  // 80 + 10/2
		{spec.FormatWebP, 566, 83},  // a quarter of the way in log size (566 ≈ 400·2^0.5): 80 + 10/4, rounded
		{spec.FormatAVIF, 100, 60},  // below the smallest size: its table
		{spec.FormatAVIF, 4000, 72}, // above the largest: its table
		{spec.FormatJPEG, 1600, 80}, // JPEG is the scale at every size
	}
	withTables(t, tables, func() {
		for _, tt := range tests {
			if got := scaledQuality(tt.f, 80, tt.side); got != tt.want {
				t.Errorf("scaledQuality(%s, 80, %d) = %d, want %d", tt.f, tt.side, got, tt.want)
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
			if got := tt.cfg.quality(tt.f, tt.opts, 800); got != tt.want {
				t.Errorf("%s: quality = %d, want %d", tt.name, got, tt.want)
			}
		}
	})
}

// TestQScaleTable checks the generated tables: sizes rising, and in each
// JPEG rising and the WebP and AVIF qualities never falling as JPEG's rise
// (a regenerated table from noisy curves could break that).
func TestQScaleTable(t *testing.T) {
	if len(qScales) < 2 {
		t.Fatalf("qScales has %d sizes", len(qScales))
	}
	for i, tab := range qScales {
		if i > 0 && tab.Side <= qScales[i-1].Side {
			t.Errorf("size %d after %d", tab.Side, qScales[i-1].Side)
		}
		if len(tab.Rows) < 2 {
			t.Fatalf("%d px: %d rows", tab.Side, len(tab.Rows))
		}
		for i := 1; i < len(tab.Rows); i++ {
			a, b := tab.Rows[i-1], tab.Rows[i]
			if b.JPEG <= a.JPEG || b.WebP < a.WebP || b.AVIF < a.AVIF {
				t.Errorf("%d px: row %d %+v after %+v: not monotonic", tab.Side, i, b, a)
			}
		}
	}
}

// rowFor is the q80 row of the table for the size nearest side (below
// the smallest size, the smallest's).
func rowFor(t *testing.T, side, q int) qScaleRow {
	t.Helper()
	tab := qScales[0]
	for _, x := range qScales {
		if x.Side <= side {
			tab = x
		}
	}
	for _, r := range tab.Rows {
		if r.JPEG == q {
			return r
		}
	}
	t.Fatalf("the %d px table has no row for JPEG %d", tab.Side, q)
	return qScaleRow{}
}

// TestAutoFormatAtMappedQuality: f=auto,q=80 gives each browser its best
// format at the quality the table maps 80 to, and a per-format override
// wins for its own format only.
func TestAutoFormatAtMappedQuality(t *testing.T) {
	small, large := rowFor(t, 200, 80), rowFor(t, 1600, 80)
	if large.AVIF == small.AVIF {
		t.Fatalf("the 1600 px table maps q80 to AVIF %d like the smallest: the size case below tests nothing", large.AVIF)
	}
	tests := []struct {
		name   string
		width  int
		accept string
		q      spec.FormatQualities
		format spec.Format
		want   int
	}{
		{"avif browser", 200, chromeAccept, spec.FormatQualities{}, spec.FormatAVIF, small.AVIF},
		{"avif browser, large image", 1600, chromeAccept, spec.FormatQualities{}, spec.FormatAVIF, large.AVIF},
		{"webp browser", 200, safari14, spec.FormatQualities{}, spec.FormatWebP, small.WebP},
		{"jpeg browser", 200, "*/*", spec.FormatQualities{}, spec.FormatJPEG, 80},
		{"avif override", 200, chromeAccept, spec.FormatQualities{AVIF: 50, WebP: 70}, spec.FormatAVIF, 50},
		{"webp override", 200, safari14, spec.FormatQualities{AVIF: 50, WebP: 70}, spec.FormatWebP, 70},
		{"override of another format", 200, "*/*", spec.FormatQualities{AVIF: 50}, spec.FormatJPEG, 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := spec.Options{Width: tt.width, Format: spec.FormatAuto, Quality: 80, QualityFor: tt.q}
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
