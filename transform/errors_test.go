package transform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/testcorpus"
	"github.com/pixmill/pixmill/transform/spec"
)

// ok is the kind of a render that succeeded, in the tables below.
const ok fault.Kind = -1

func kindOf(err error) fault.Kind {
	if err == nil {
		return ok
	}
	return fault.KindOf(err)
}

func kindName(k fault.Kind) string {
	if k == ok {
		return "ok"
	}
	return k.String()
}

// expectedKinds says what each hostile or odd file must come to; a file
// may have two acceptable outcomes where libvips may reasonably decode what
// is left of it.
var expectedKinds = map[string][]fault.Kind{
	// not an image at all: 415
	"hostile/empty_zero_bytes.jpeg":           {fault.Unsupported},
	"hostile/text_not_an_image.jpg":           {fault.Unsupported},
	"hostile/html_named.png":                  {fault.Unsupported},
	"hostile/heif_16_bytes.heic":              {fault.Unsupported},
	"hostile/pngsuite_xcrn0g04.png":           {fault.Unsupported},
	"hostile/pngsuite_xlfn0g04.png":           {fault.Unsupported},
	"hostile/pngsuite_xs1n0g01.png":           {fault.Unsupported},
	"hostile/pngsuite_xs4n0g01.png":           {fault.Unsupported},
	"hostile/heif_fuzz_5120279175102464.heic": {fault.Unsupported, fault.Undecodable},
	// SVG is not among the default inputs, however it is named
	"hostile/bomb_svg_billion_laughs.svg":       {fault.Unsupported},
	"hostile/bomb_svg_canvas_100000x100000.svg": {fault.Unsupported},
	"hostile/svg_xxe_file_entity.svg":           {fault.Unsupported},
	"hostile/svg_script_onload.svg":             {fault.Unsupported},
	"hostile/svg_external_href.svg":             {fault.Unsupported},
	"formats/svg_logo.svg":                      {fault.Unsupported},
	// corrupt or truncated: 422
	"hostile/truncated_400bytes.jpg":             {fault.Undecodable},
	"hostile/truncated_heic_city_40pct.heic":     {fault.Undecodable},
	"hostile/truncated_image.png":                {fault.Undecodable},
	"hostile/truncated_progressive.jpeg":         {fault.Undecodable, ok},
	"hostile/truncated_evening_glow_40pct.jpg":   {fault.Undecodable},
	"hostile/truncated_astronaut_50pct.png":      {fault.Undecodable},
	"hostile/pngsuite_xc1n0g08.png":              {fault.Undecodable},
	"hostile/pngsuite_xd0n2c08.png":              {fault.Undecodable},
	"hostile/pngsuite_xhdn0g08.png":              {fault.Undecodable},
	"hostile/libpng_crasher_zero_width.png":      {fault.Undecodable},
	"hostile/libpng_crasher_missing_plte.png":    {fault.Undecodable},
	"hostile/libpng_crasher_huge_iCCP_chunk.png": {fault.Undecodable},
	"hostile/libpng_crasher_bad_iCCP.png":        {fault.Undecodable},
	"hostile/gdk_gif_overflow_codes.gif":         {fault.Undecodable},
	"hostile/pillow_decompression_bomb.gif":      {fault.Undecodable},
	"hostile/exiv2_issue1833_poc.jpg":            {fault.Undecodable, ok},
	"hostile/exiv2_issue1847_poc.jpg":            {fault.Undecodable, ok},
	"hostile/heif_clap_divide_by_zero.heic":      {fault.Undecodable},
	"hostile/extreme_aspect_16x17000.avif":       {fault.Undecodable},
	"formats/jpeg_12bit.jpg":                     {fault.Undecodable},
	"hostile/corrupt_photo.jpg":                  {fault.Undecodable, ok},
	"hostile/gdk_randomly_modified.jpeg":         {fault.Undecodable, ok},
	"hostile/truncated.gif":                      {fault.Undecodable, ok},
	"hostile/libpng_crasher_huge_IDAT.png":       {fault.Undecodable, ok},
	"hostile/libpng_crasher_badadler.png":        {fault.Undecodable, ok},
	"hostile/gdk_cve-2017-2862.jpg":              {fault.Undecodable, ok},
	"hostile/pillow_crash.tif":                   {fault.Undecodable, ok},
	"hostile/tiff_ifd_loop_to_self.tif":          {fault.Undecodable, ok},
	"hostile/tiff_lzw_hi_overflow.tiff":          {fault.Undecodable, ok},
	"hostile/pillow_bad_exif.jpg":                {fault.Undecodable, ok},
	"hostile/pillow_junk_before_soi.jpg":         {fault.Unsupported, fault.Undecodable, ok},
	"hostile/pillow_png_zlib_dos.png":            {fault.Undecodable, ok},
	// bigger than the pixel limit, as the header says: 413
	"hostile/bomb_png_header_50000x50000.png":    {fault.TooLarge},
	"hostile/bomb_png_zlib_1bit_40000x40000.png": {fault.TooLarge},
	"hostile/bomb_jpeg_sof_50000x50000.jpg":      {fault.TooLarge},
	"hostile/bomb_gif_50000x50000.gif":           {fault.TooLarge},
	"hostile/huge_real_25200x33300_blank.png":    {fault.TooLarge},
	"hostile/gdk_bug793470_crasher.png":          {fault.TooLarge},
	"hostile/gdk_tiff_overflow_dimensions.tiff":  {fault.TooLarge, fault.Undecodable},
	// images despite their names or their tricks
	"hostile/wrongext_png_photo.jpg":              {ok},
	"hostile/wrongext_jpeg_photo.png":             {ok},
	"hostile/polyglot_jpeg_zip.jpg":               {ok},
	"hostile/polyglot_gif_js.gif":                 {ok},
	"hostile/looks_like_svg.webp":                 {ok},
	"hostile/extreme_aspect_animated_13x169.webp": {ok},
}

// TestHostileCorpus renders every file under hostile/ (and the odd formats
// above) to a 200 px WebP: none may panic or fail as an internal error, and
// the listed ones must come to their listed kind.
func TestHostileCorpus(t *testing.T) {
	dir := filepath.Join(testcorpus.Dir(t), "hostile")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{}
	for _, e := range entries {
		files = append(files, "hostile/"+e.Name())
	}
	for f := range expectedKinds {
		if !strings.HasPrefix(f, "hostile/") {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	r := testRenderer(t)
	var table strings.Builder
	for _, f := range files {
		buf := readCorpus(t, f)
		start := time.Now()
		res, err := renderNoPanic(t, r, f, buf)
		k := kindOf(err)
		fmt.Fprintf(&table, "%-48s %-12s %8s", f, kindName(k), time.Since(start).Round(time.Millisecond))
		if err != nil {
			fmt.Fprintf(&table, "  %s\n", fault.Message(err))
		} else {
			fmt.Fprintf(&table, "  %dx%d %s %d bytes\n", res.Width, res.Height, res.Format, len(res.Body))
		}
		if k == fault.Internal {
			t.Errorf("%s: internal error: %v", f, err)
		}
		if err == nil && sniffOutput(res.Body) != spec.FormatWebP {
			t.Errorf("%s: rendered, but the body is not WebP", f)
		}
		if want, listed := expectedKinds[f]; listed && !containsKind(want, k) {
			t.Errorf("%s: %s (%v), want one of %v", f, kindName(k), err, kindNames(want))
		}
	}
	t.Logf("file → kind:\n%s", table.String())
}

func renderNoPanic(t *testing.T, r *Renderer, name string, buf []byte) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s: panic: %v", name, p)
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return r.Render(context.Background(), Original{Data: buf}, spec.Options{Width: 200, Format: spec.FormatWebP}, "")
}

func containsKind(ks []fault.Kind, k fault.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func kindNames(ks []fault.Kind) []string {
	var s []string
	for _, k := range ks {
		s = append(s, kindName(k))
	}
	return s
}

// TestProbeRefusesBombsFromTheHeader checks that the pixel limit is applied
// to the header alone: Probe refuses each bomb, and libvips' own memory
// high-water mark does not move while it does.
func TestProbeRefusesBombsFromTheHeader(t *testing.T) {
	testRenderer(t)
	bombs := []string{
		"hostile/bomb_png_header_50000x50000.png",
		"hostile/bomb_png_zlib_1bit_40000x40000.png",
		"hostile/bomb_jpeg_sof_50000x50000.jpg",
		"hostile/bomb_gif_50000x50000.gif",
		"hostile/huge_real_25200x33300_blank.png",
		"hostile/gdk_bug793470_crasher.png",
	}
	for _, f := range bombs {
		t.Run(f, func(t *testing.T) {
			buf := readCorpus(t, f)
			var before, after vips.MemoryStats
			vips.ReadVipsMemStats(&before)
			start := time.Now()
			_, err := Probe(buf, DefaultConfig())
			elapsed := time.Since(start)
			vips.ReadVipsMemStats(&after)
			if kindOf(err) != fault.TooLarge {
				t.Fatalf("Probe: %v (%s), want too_large", err, kindName(kindOf(err)))
			}
			grew := after.MemHigh - before.MemHigh
			t.Logf("refused in %v; libvips high-water mark grew by %d bytes", elapsed, grew)
			if grew > 16<<20 {
				t.Errorf("libvips allocated %d MB to refuse a bomb", grew>>20)
			}
			if _, err := testRenderer(t).Describe(context.Background(), Original{Data: buf}, spec.Options{Format: spec.FormatJSON}, ""); kindOf(err) != fault.TooLarge {
				t.Errorf("Describe: %v, want too_large", err)
			}
		})
	}
}

// TestLimits applies small limits to ordinary files.
func TestLimits(t *testing.T) {
	small := func(mut func(*Config)) Config { c := DefaultConfig(); mut(&c); return c }
	tests := []struct {
		name string
		src  string
		cfg  Config
		want fault.Kind
	}{
		{"under the pixel limit", "photos/mountain_valley_small.jpg", small(func(c *Config) { c.MaxSourcePixels = 550 * 368 }), ok},
		{"one pixel over", "photos/mountain_valley_small.jpg", small(func(c *Config) { c.MaxSourcePixels = 550*368 - 1 }), fault.TooLarge},
		{"12 MP photo, 1 MP limit", "photos/sunset_12mp_progressive.jpg", small(func(c *Config) { c.MaxSourcePixels = 1_000_000 }), fault.TooLarge},
		{"frames are summed", "formats/gif_animated_photo_45frames.gif", small(func(c *Config) { c.MaxSourcePixels = 10_000_000 }), fault.TooLarge},
		{"one frame of them fits", "formats/gif_animated_photo_45frames.gif", small(func(c *Config) { c.MaxSourcePixels = 45 * 660 * 666 }), ok},
		{"too many frames", "hostile/extreme_aspect_animated_13x169.webp", small(func(c *Config) { c.MaxFrames = 50 }), fault.TooLarge},
		{"format not allowed", "formats/webp_lossy_flower.webp", small(func(c *Config) { c.Inputs = []string{"jpeg", "png"} }), fault.Unsupported},
		{"format allowed", "formats/webp_lossy_flower.webp", small(func(c *Config) { c.Inputs = []string{"webp"} }), ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Probe(readCorpus(t, tt.src), tt.cfg)
			if k := kindOf(err); k != tt.want {
				t.Errorf("Probe: %v (%s), want %s", err, kindName(k), kindName(tt.want))
			}
		})
	}
}

func TestRenderCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := testRenderer(t).Render(ctx, Original{Data: readCorpus(t, "photos/mountain_valley_small.jpg")}, spec.Options{Width: 100}, "")
	if k := kindOf(err); k != fault.Canceled {
		t.Errorf("canceled render: %v (%s), want canceled", err, kindName(k))
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = testRenderer(t).Render(ctx, Original{Data: readCorpus(t, "photos/mountain_valley_small.jpg")}, spec.Options{Width: 100}, "")
	if k := kindOf(err); k != fault.Overloaded {
		t.Errorf("render past its deadline: %v (%s), want overloaded", err, kindName(k))
	}
}
