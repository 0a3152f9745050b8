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
// findings kept under testdata/fuzz. Whatever the input: no panic, every
// failure is a client error (415, 422, 413), never an internal one, and the
// renders stay within a time and a memory bound.
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
	for _, h := range append(hostile.Class("anim-output"), append(hostile.Class("anim-corrupt"), hostile.Class("meta-keep-truncated")...)...) {
		f.Add(h.Make()) // issue 9, classes 3 and 4
	}
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
		{Width: 64, Format: spec.FormatWebP, Metadata: spec.MetadataKeep}, // animations stay animated
	}
	// Bounds per input, honest for 2 shared cores: sources are at most 4 MP
	// and outputs 64 px, so a still decodes in ~0.1 s a core and the
	// 500-frame seed in ~1 s; 5 s leaves room for parallel fuzz workers. A
	// render past it is stopped (the context kills libvips) and fails the
	// input. libvips' own allocations (pixel buffers, memory images) for a
	// 4 MP image are 64 MB a copy at 4 float bands; past 512 MiB an input
	// is decoding far more than its header admitted.
	const renderBound, vipsMemBound = 5 * time.Second, 512 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Probe(data, cfg); err != nil {
			if fault.KindOf(err) == fault.Internal {
				t.Fatalf("Probe: internal error %v", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), renderBound)
		defer cancel()
		start := time.Now()
		defer func() {
			if took := time.Since(start); took > renderBound+time.Second {
				t.Fatalf("renders took %v: libvips was not stopped at %v", took, renderBound)
			}
			if _, high, _ := MemoryStats(); high > vipsMemBound {
				t.Fatalf("libvips memory high-water %d MiB, over %d MiB", high>>20, vipsMemBound>>20)
			}
		}()
		for _, o := range opts {
			res, err := r.Render(ctx, Original{Data: data}, o, "")
			if err != nil {
				switch fault.KindOf(err) {
				case fault.Internal:
					t.Fatalf("Render %+v: internal error %v", o, err)
				case fault.Overloaded:
					t.Fatalf("Render %+v: over %v", o, renderBound)
				}
				continue
			}
			if len(res.Body) == 0 || res.Width < 1 || res.Height < 1 {
				t.Fatalf("Render %+v: empty result %dx%d", o, res.Width, res.Height)
			}
		}
	})
}
