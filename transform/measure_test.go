package transform

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// The measurements behind docs/benchmarks/transform.md. They print tables
// rather than assert, and run only with PIXMILL_MEASURE=1.

// measureRuns is how many times each measurement runs; the median is kept.
func measureRuns(def int) int {
	if n, err := strconv.Atoi(os.Getenv("PIXMILL_MEASURE_RUNS")); err == nil && n > 0 {
		return n
	}
	return def
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// timed runs f n times and returns the median duration and f's last size.
func timed(t *testing.T, n int, f func() (int, error)) (time.Duration, int) {
	t.Helper()
	var ds []time.Duration
	var size int
	for range n {
		start := time.Now()
		var err error
		if size, err = f(); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	return median(ds), size
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// TestMeasureFormats prints, for the 12 MP JPEG at 400 and 1600 px, the
// median render time, the time of the pixels alone, the encoder's share
// and the bytes, per output format. PIXMILL_MEASURE=1 runs it.
func TestMeasureFormats(t *testing.T) {
	if os.Getenv("PIXMILL_MEASURE") == "" {
		t.Skip("set PIXMILL_MEASURE=1 to measure")
	}
	buf := readCorpus(t, benchPhoto)
	r := testRenderer(t)
	n := measureRuns(7)
	var out strings.Builder
	fmt.Fprintf(&out, "| width | format | render ms | pixels ms | encode ms | bytes |\n|---|---|---:|---:|---:|---:|\n")
	for _, w := range []int{400, 1600} {
		px, _ := timed(t, n, func() (int, error) { p, err := pixels(r, buf, spec.Options{Width: w}); return len(p), err })
		for _, f := range benchFormats {
			total, size := timed(t, n, func() (int, error) {
				res, err := r.Render(context.Background(), Original{Data: buf}, spec.Options{Width: w, Format: f}, "")
				return len(res.Body), err
			})
			fmt.Fprintf(&out, "| %d | %s | %s | %s | %s | %d |\n", w, f, ms(total), ms(px), ms(total-px), size)
		}
	}
	t.Logf("median of %d runs, %s:\n%s", n, benchPhoto, out.String())
}

// avifPhotos are the photos the AVIF effort is chosen on.
var avifPhotos = []string{
	"photos/sunset_12mp_progressive.jpg",
	"photos/kleiber_bird_20mp.jpg",
	"photos/forest_path.jpg",
	"photos/object_colorful_cups_progressive.jpg",
	"photos/ladybird_macro.jpg",
	"faces/group_portrait_1.jpg",
}

// rdQualities are the qualities each effort's rate-distortion curve is
// drawn through: bytes and PSNR at a fixed quality say little alone, since
// a higher effort spends its time on quality as much as on size.
var rdQualities = []int{45, 50, 55, 60, 65, 70, 75}

// TestMeasureAVIFEffort renders each photo to AVIF at each effort and width.
// Per cell it prints the median render time and its encoder share at the
// default quality, the bytes and PSNR there, and the bytes the effort needs
// to reach the PSNR the highest effort reaches at the default quality
// (interpolated on its curve over rdQualities). PIXMILL_MEASURE=1 runs it;
// PIXMILL_MEASURE_EFFORTS (default "2,3,4,5") picks the efforts.
func TestMeasureAVIFEffort(t *testing.T) {
	if os.Getenv("PIXMILL_MEASURE") == "" {
		t.Skip("set PIXMILL_MEASURE=1 to measure")
	}
	efforts := []int{2, 3, 4, 5}
	if s := os.Getenv("PIXMILL_MEASURE_EFFORTS"); s != "" {
		efforts = nil
		for _, f := range strings.Split(s, ",") {
			e, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			efforts = append(efforts, e)
		}
	}
	n := measureRuns(3)
	base := testRenderer(t)
	q := DefaultConfig().Quality[spec.FormatAVIF]
	type sum struct {
		encodeMs, eqBytes float64
		bytes             int
		psnr              float64
	}
	sums := map[[2]int]*sum{}
	var rows strings.Builder
	fmt.Fprintf(&rows, "| photo | width | effort | render ms | encode ms | bytes q%d | PSNR q%d | bytes at equal PSNR |\n|---|---|---:|---:|---:|---:|---:|---:|\n", q, q)
	for _, src := range avifPhotos {
		buf := readCorpus(t, src)
		for _, w := range []int{400, 1600} {
			opts := spec.Options{Width: w, Format: spec.FormatAVIF}
			ref, err := pixels(base, buf, opts)
			if err != nil {
				t.Fatal(err)
			}
			px, _ := timed(t, n, func() (int, error) { p, err := pixels(base, buf, opts); return len(p), err })
			curves := map[int][][2]float64{} // effort → (PSNR, log bytes)
			type cell struct {
				d     time.Duration
				bytes int
				psnr  float64
			}
			cells := map[int]cell{}
			for _, e := range efforts {
				cfg := DefaultConfig()
				cfg.AVIFEffort = e
				r, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				for _, qq := range rdQualities {
					o := opts
					o.Quality = qq
					res, err := r.Render(context.Background(), Original{Data: buf}, o, "")
					if err != nil {
						t.Fatal(err)
					}
					p := psnr(t, ref, res.Body)
					curves[e] = append(curves[e], [2]float64{p, math.Log(float64(len(res.Body)))})
					if qq == q {
						cells[e] = cell{bytes: len(res.Body), psnr: p}
					}
				}
				d, _ := timed(t, n, func() (int, error) {
					res, err := r.Render(context.Background(), Original{Data: buf}, opts, "")
					return len(res.Body), err
				})
				c := cells[e]
				c.d = d
				cells[e] = c
			}
			target := cells[efforts[len(efforts)-1]].psnr
			for _, e := range efforts {
				c := cells[e]
				eq := math.Exp(interpolate(curves[e], target))
				fmt.Fprintf(&rows, "| %s | %d | %d | %s | %s | %d | %.2f | %.0f |\n",
					src[strings.LastIndex(src, "/")+1:], w, e, ms(c.d), ms(c.d-px), c.bytes, c.psnr, eq)
				k := [2]int{w, e}
				if sums[k] == nil {
					sums[k] = &sum{}
				}
				sums[k].encodeMs += float64((c.d - px).Microseconds()) / 1000
				sums[k].bytes += c.bytes
				sums[k].eqBytes += eq
				sums[k].psnr += c.psnr / float64(len(avifPhotos))
			}
		}
	}
	var tot strings.Builder
	last := efforts[len(efforts)-1]
	fmt.Fprintf(&tot, "| width | effort | encode ms (sum) | bytes q%d | mean PSNR q%d | bytes at equal PSNR | vs effort %d |\n|---|---:|---:|---:|---:|---:|---:|\n", q, q, last)
	for _, w := range []int{400, 1600} {
		ref := sums[[2]int{w, last}].eqBytes
		for _, e := range efforts {
			s := sums[[2]int{w, e}]
			fmt.Fprintf(&tot, "| %d | %d | %.0f | %d | %.2f | %.0f | %+.1f%% |\n", w, e, s.encodeMs, s.bytes, s.psnr, s.eqBytes, 100*(s.eqBytes/ref-1))
		}
	}
	t.Logf("median of %d runs for times; %d photos:\n%s\nsums:\n%s", n, len(avifPhotos), rows.String(), tot.String())
}

// interpolate reads y at x on a curve of (x, y) points, linearly between
// the two nearest points (extending the end segments).
func interpolate(pts [][2]float64, x float64) float64 {
	p := append([][2]float64(nil), pts...)
	sort.Slice(p, func(i, j int) bool { return p[i][0] < p[j][0] })
	i := sort.Search(len(p), func(i int) bool { return p[i][0] >= x })
	i = max(1, min(i, len(p)-1))
	a, b := p[i-1], p[i]
	if b[0] == a[0] {
		return a[1]
	}
	return a[1] + (x-a[0])*(b[1]-a[1])/(b[0]-a[0])
}

// psnr compares an encoded image with the pixels it was made from.
func psnr(t *testing.T, ref, body []byte) float64 {
	t.Helper()
	img, err := vips.NewImageFromBuffer(body)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	got, err := img.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ref) {
		t.Fatalf("decoded %d bytes, reference %d", len(got), len(ref))
	}
	var se float64
	for i := range got {
		d := float64(got[i]) - float64(ref[i])
		se += d * d
	}
	mse := se / float64(len(got))
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}
