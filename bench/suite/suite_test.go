package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/bench/internal/harness"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

func TestPeersAreSkippedWithoutTheirVariables(t *testing.T) {
	t.Setenv("PIXMILL_BENCH_IMGPROXY", "")
	t.Setenv("PIXMILL_BENCH_IMAGOR", filepath.Join(t.TempDir(), "no-such-binary"))
	on, skipped := configuredPeers()
	if len(on) != 0 {
		t.Fatalf("peers configured: %v", on)
	}
	want := []string{"imgproxy: skipped (PIXMILL_BENCH_IMGPROXY is not set)", "imagor: skipped (PIXMILL_BENCH_IMAGOR="}
	if len(skipped) != 2 || skipped[0] != want[0] || !strings.HasPrefix(skipped[1], want[1]) {
		t.Fatalf("skipped = %q", skipped)
	}
}

func TestEquivalentURLs(t *testing.T) {
	box := Op{Key: "photos/name with spaces & ü.jpg", Width: 512, Height: 512, Format: "avif", Quality: 63}
	wide := Op{Key: "photos/sunset.jpg", Width: 640, Format: "png"}
	for _, tc := range []struct {
		name string
		url  func(Op) string
		op   Op
		want string
	}{
		{"imgproxy box", imgproxy.URL, box, "/insecure/rs:fit:512:512:0/q:63/plain/local:///photos/name%20with%20spaces%20&%20%C3%BC.jpg@avif"},
		{"imgproxy width", imgproxy.URL, wide, "/insecure/rs:fit:640:0:0/plain/local:///photos/sunset.jpg@png"},
		{"imagor box", imagor.URL, box, "/unsafe/fit-in/512x512/filters:format(avif):quality(63):strip_exif()/photos/name%20with%20spaces%20&%20%C3%BC.jpg"},
		{"imagor width", imagor.URL, wide, "/unsafe/fit-in/640x0/filters:format(png):strip_exif()/photos/sunset.jpg"},
	} {
		if got := tc.url(tc.op); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// The pixmill URL of an op is signed with the bench key and asks for what
// the op says.
func TestPixmillPath(t *testing.T) {
	p, err := presets.New(presets.Config{Keys: [][]byte{[]byte(harness.PixmillKey)}, SignatureSize: 16, MaxDimension: 8192, MaxDPR: 4})
	if err != nil {
		t.Fatal(err)
	}
	req, err := p.Parse(Op{Key: "photos/a b.jpg", Width: 512, Height: 512, Format: "webp", Quality: 75}.pixmillPath())
	if err != nil {
		t.Fatal(err)
	}
	o := req.Options
	if req.Key != "photos/a b.jpg" || o.Width != 512 || o.Height != 512 || o.Fit != spec.FitScaleDown || o.Format != spec.FormatWebP || o.QualityFor.WebP != 75 || o.Quality != 0 {
		t.Fatalf("parsed %q %+v", req.Key, o)
	}
}

// The floor renders the same bytes as pixmill's pipeline for the ops the
// suite sends (a fit within a box, a width alone), in every format.
func TestFloorMatchesPixmill(t *testing.T) {
	r, err := transform.New(transform.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Op{
		{Key: "grace_hopper.jpg", Width: 200, Height: 200, Format: "jpeg", Quality: 80},
		{Key: "landscape_exif6.jpg", Width: 200, Height: 200, Format: "webp", Quality: 75},
		{Key: "grace_hopper.jpg", Width: 120, Height: 120, Format: "avif", Quality: 63},
		{Key: "landscape_exif6.jpg", Width: 150, Format: "png"},
	} {
		buf, err := os.ReadFile(filepath.Join("..", "..", "samples", o.Key))
		if err != nil {
			t.Fatal(err)
		}
		w, h, err := outputSize(buf, o)
		if err != nil {
			t.Fatal(err)
		}
		floorOut, err := floorRender(buf, o, [2]int{w, h})
		if err != nil {
			t.Fatal(err)
		}
		opts := spec.Options{Width: o.Width, Height: o.Height, Format: spec.Format(o.Format)}
		opts.QualityFor.Set(opts.Format, o.Quality)
		if o.Height > 0 {
			opts.Fit = spec.FitScaleDown
		}
		res, err := r.Render(context.Background(), transform.Original{Data: buf}, opts, "")
		if err != nil {
			t.Fatal(err)
		}
		if res.Width != w || res.Height != h {
			t.Errorf("%v: pixmill %dx%d, floor %dx%d", o, res.Width, res.Height, w, h)
		}
		if !bytes.Equal(res.Body, floorOut) {
			t.Errorf("%v: pixmill %d bytes, floor %d bytes, not the same", o, len(res.Body), len(floorOut))
		}
	}
}

func TestMedianAndPairedRatios(t *testing.T) {
	run := func(rps float64) RunStat {
		return RunStat{ReqPerSec: rps, Latency: harness.Latency{Percentiles: []float64{rps}}}
	}
	pix := &Target{Runs: []RunStat{run(9), run(20), run(10)}}
	flo := &Target{Runs: []RunStat{run(10), run(10), run(10)}}
	if m := medianStat(pix.Runs); m.ReqPerSec != 10 || m.Latency.Percentiles[0] != 10 {
		t.Errorf("median = %+v", m)
	}
	med, lo, hi := paired(pix, flo, func(r RunStat) float64 { return r.ReqPerSec })
	if med != 1 || lo != 0.9 || hi != 2 {
		t.Errorf("paired = %v %v %v", med, lo, hi)
	}
}

func TestSameBytes(t *testing.T) {
	if got := sameBytes(map[string]string{"a": "1", "b": "2"}, map[string]string{"a": "1", "b": "3"}); got != "1/2" {
		t.Errorf("sameBytes = %s", got)
	}
}
