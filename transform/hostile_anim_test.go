package transform

import (
	"os"

	"context"
	"github.com/davidbyttow/govips/v2/vips"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/hostile"
	"github.com/pixmill/pixmill/transform/spec"
)

// TestHostileAnimFiles: the crafted files of issue 9's classes 3 and 4 are
// what they claim to be: their headers read fine (so the limits let them
// through), and the broken ones fail while their pixels are computed, as a
// client error.
func TestHostileAnimFiles(t *testing.T) {
	r := testRenderer(t)
	webp := spec.Options{Width: 200, Format: spec.FormatWebP}
	tests := []struct {
		name     string
		frames   int
		opts     spec.Options
		wantKind fault.Kind // 0: renders
	}{
		{"anim-500x316.gif", hostile.AnimFrames, webp, 0},
		{"anim-corrupt-45.gif", 45, webp, fault.Undecodable},
		{"meta-keep-truncated.jpg", 1, spec.Options{Width: 200, Format: spec.FormatWebP, Metadata: spec.MetadataKeep}, fault.Undecodable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := hostile.Bytes(tt.name)
			info, err := Probe(buf, DefaultConfig())
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if info.Frames != tt.frames {
				t.Errorf("frames %d, want %d", info.Frames, tt.frames)
			}
			start := time.Now()
			_, err = r.Render(context.Background(), Original{Data: buf}, tt.opts, "")
			t.Logf("%d bytes, %v, render %v: %v", len(buf), info, time.Since(start), err)
			if got := fault.KindOf(err); tt.wantKind == 0 && err != nil || tt.wantKind != 0 && got != tt.wantKind {
				t.Errorf("Render: %v (kind %v), want kind %v", err, got, tt.wantKind)
			}
		})
	}
}

// slowOptions enlarge a small photo to 8000x8000 with a blur and strong
// sharpening: ~10 s on one core, all of it while the encoder pulls pixels.
var slowOptions = spec.Options{Width: 8000, Height: 8000, Fit: spec.FitSqueeze, Blur: 4, Sharpen: 10, Format: spec.FormatJPEG}

// TestRenderStopsAtDeadline: when the render's context ends, libvips is
// told to stop, and Render returns soon after with the context's kind of
// error (503 or 499), never 422. Without the kill it ran ~10 s.
func TestRenderStopsAtDeadline(t *testing.T) {
	buf, err := os.ReadFile("../samples/grace_hopper.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		opts     spec.Options
		wantKind fault.Kind
	}{
		{"jpeg, deadline", slowOptions, fault.Overloaded},
		{"png (materialized), canceled", func() spec.Options { o := slowOptions; o.Format = spec.FormatPNG; return o }(), fault.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			if tt.wantKind == fault.Canceled {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(500*time.Millisecond, cancel)
			}
			start := time.Now()
			_, err := testRenderer(t).Render(ctx, Original{Data: buf}, tt.opts, "")
			took := time.Since(start)
			t.Logf("returned after %v: %v", took, err)
			if k := fault.KindOf(err); k != tt.wantKind {
				t.Errorf("error %v (kind %v), want kind %v", err, k, tt.wantKind)
			}
			if took > 1500*time.Millisecond {
				t.Errorf("Render returned %v after start, deadline 500ms: libvips was not stopped", took)
			}
		})
	}
}

// TestGovipsImageField guards the reach into govips' ImageRef (see
// vipsimage.go): if a govips upgrade moves the field, this fails loudly.
func TestGovipsImageField(t *testing.T) {
	testRenderer(t)
	if !imageOffsetOK {
		t.Fatal(errGovipsLayout)
	}
	img, err := vips.Black(37, 23)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if w, h := cImageSize(img); w != 37 || h != 23 {
		t.Fatalf("the C image behind a 37x23 ImageRef is %dx%d", w, h)
	}
	if err := copyToMemory(img); err != nil {
		t.Fatal(err)
	}
	if w, h := cImageSize(img); w != 37 || h != 23 || img.Width() != 37 {
		t.Fatalf("after copyToMemory: %dx%d", w, h)
	}
}
