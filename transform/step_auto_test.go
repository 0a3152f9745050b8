package transform

import (
	"context"
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

// TestAutoQualitySmoothBelowDetailed: q=auto keeps a lower quality for a
// smooth image (the same photo blurred) than for the detailed one, in
// every lossy format, and what it keeps meets the target.
func TestAutoQualitySmoothBelowDetailed(t *testing.T) {
	for _, f := range []spec.Format{spec.FormatJPEG, spec.FormatWebP, spec.FormatAVIF} {
		t.Run(string(f), func(t *testing.T) {
			detailed := renderFile(t, "photos/forest_path.jpg", spec.Options{Width: 320, Format: f, QualityAuto: spec.AutoMedium}, "")
			smooth := renderFile(t, "photos/forest_path.jpg", spec.Options{Width: 320, Format: f, QualityAuto: spec.AutoMedium, Blur: 6}, "")
			for name, r := range map[string]Result{"detailed": detailed, "smooth": smooth} {
				a := r.Auto
				if a == nil {
					t.Fatalf("%s: no q=auto report", name)
				}
				if !a.Met || a.Distance > a.Target || a.Quality != r.Quality {
					t.Errorf("%s: %+v (result quality %d): want the target met at the kept quality", name, *a, r.Quality)
				}
			}
			t.Logf("detailed %+v, smooth %+v", *detailed.Auto, *smooth.Auto)
			if smooth.Quality >= detailed.Quality {
				t.Errorf("smooth kept q%d, detailed q%d: want the smooth one lower", smooth.Quality, detailed.Quality)
			}
		})
	}
}

// TestAutoQualityEncodeBound: the search never encodes more than
// quality.max_encodes times, and a format's own override skips it.
func TestAutoQualityEncodeBound(t *testing.T) {
	for _, maxN := range []int{1, 2, 4} {
		cfg := DefaultConfig()
		cfg.AutoMaxEncodes = maxN
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, level := range []spec.AutoLevel{spec.AutoLow, spec.AutoHigh} {
			for _, rel := range []string{"photos/forest_path.jpg", "photos/object_lily_plain_bg_512.jpg"} {
				opts := spec.Options{Width: 256, Format: spec.FormatWebP, QualityAuto: level}
				res, err := r.Render(context.Background(), Original{Data: readCorpus(t, rel)}, opts, "")
				if err != nil {
					t.Fatal(err)
				}
				if res.Auto == nil || res.Auto.Encodes < 1 || res.Auto.Encodes > maxN {
					t.Errorf("max %d, %s %s: %+v", maxN, level, rel, res.Auto)
				}
			}
		}
	}
	res := renderFile(t, "photos/forest_path.jpg", spec.Options{Width: 256, Format: spec.FormatAVIF, QualityAuto: spec.AutoMedium, QualityFor: spec.FormatQualities{AVIF: 50}}, "")
	if res.Auto != nil || res.Quality != 50 {
		t.Errorf("avif:50 with q=auto: quality %d, auto %+v; want 50 and no search", res.Quality, res.Auto)
	}
}

// TestAutoQualityDescribed: f=json with q=auto renders to report the
// choice, the same one a render makes.
func TestAutoQualityDescribed(t *testing.T) {
	buf := readCorpus(t, "photos/forest_path.jpg")
	opts := spec.Options{Width: 200, Format: spec.FormatJSON, QualityAuto: spec.AutoLow}
	d, err := testRenderer(t).Describe(t.Context(), Original{Data: buf}, opts, "")
	if err != nil {
		t.Fatal(err)
	}
	opts.Format = spec.FormatJPEG
	res := renderFile(t, "photos/forest_path.jpg", opts, "")
	if d.QualityAuto == nil || res.Auto == nil || *d.QualityAuto != *res.Auto {
		t.Fatalf("described %+v, rendered %+v", d.QualityAuto, res.Auto)
	}
}
