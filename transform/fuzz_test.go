package transform

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/hostile"
	"github.com/pixmill/pixmill/internal/testcorpus"
	"github.com/pixmill/pixmill/transform/spec"
)

// FuzzDecode feeds arbitrary bytes through Probe and a small Render. Seeds
// are the corpus files up to 64 KiB (hostile ones included) and the
// findings kept under testdata/fuzz. Whatever the input: no panic, and every
// failure is a client error (415, 422, 413), never an internal one.
func FuzzDecode(f *testing.F) {
	dir, _ := testcorpus.Find() // without the corpus, the kept seeds alone
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || d.Name() == "MANIFEST.tsv" {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Size() <= 64<<10 {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
		return nil
	})
	// Issue 9's crafted PNGs, the small ones (the text bombs are megabytes).
	for _, h := range hostile.Class("png-chunk-length") {
		f.Add(h.Make())
	}
	f.Add(hostile.Bytes("png_text_100_small_ok.png"))
	cfg := DefaultConfig()
	cfg.MaxSourcePixels = 4_000_000 // keep each run cheap; the limit path is fuzzed too
	cfg.Inputs = append(cfg.Inputs, "svg")
	r, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	opts := []spec.Options{
		{Width: 64, Format: spec.FormatJPEG},
		{Width: 48, Height: 48, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityAuto}, Format: spec.FormatPNG},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Probe(data, cfg); err != nil {
			if fault.KindOf(err) == fault.Internal {
				t.Fatalf("Probe: internal error %v", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, o := range opts {
			res, err := r.Render(ctx, data, o, "")
			if err != nil {
				if k := fault.KindOf(err); k == fault.Internal {
					t.Fatalf("Render %+v: internal error %v", o, err)
				}
				continue
			}
			if len(res.Body) == 0 || res.Width < 1 || res.Height < 1 {
				t.Fatalf("Render %+v: empty result %dx%d", o, res.Width, res.Height)
			}
		}
	})
}
