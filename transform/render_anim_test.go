package transform

import (
	"context"
	"math"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

func TestRenderAnimation(t *testing.T) {
	const banana = "formats/gif_animated_banana.gif"        // 121x128, 8 frames
	const dots = "formats/webp_animated_alpha.webp"         // 480x480, 14 frames
	const photo = "formats/gif_animated_photo_45frames.gif" // 660x666, 45 frames
	tests := []struct {
		name   string
		src    string
		opts   spec.Options
		accept string
		format spec.Format
		frames int
		w, h   int
	}{
		{"gif keeps frames as webp", banana, spec.Options{}, "", spec.FormatWebP, 8, 121, 128},
		{"gif to webp w=60", banana, spec.Options{Width: 60, Format: spec.FormatWebP}, "", spec.FormatWebP, 8, 60, 63},
		{"gif anim=false", banana, spec.Options{Anim: boolPtr(false)}, "", spec.FormatPNG, 1, 121, 128},
		{"gif anim=false webp", banana, spec.Options{Anim: boolPtr(false), Format: spec.FormatWebP}, "", spec.FormatWebP, 1, 121, 128},
		{"gif auto chrome", banana, spec.Options{Format: spec.FormatAuto}, chromeAccept, spec.FormatWebP, 8, 121, 128},
		{"gif auto no webp", banana, spec.Options{Format: spec.FormatAuto}, "*/*", spec.FormatPNG, 1, 121, 128},
		{"gif cover", banana, spec.Options{Width: 50, Height: 50, Fit: spec.FitCover, Format: spec.FormatWebP}, "", spec.FormatWebP, 8, 50, 50},
		{"gif cover auto", banana, spec.Options{Width: 50, Height: 50, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityAuto}, Format: spec.FormatWebP}, "", spec.FormatWebP, 8, 50, 50},
		{"gif pad", banana, spec.Options{Width: 80, Height: 50, Fit: spec.FitPad, Format: spec.FormatWebP}, "", spec.FormatWebP, 8, 80, 50},
		{"gif wide blur", banana, spec.Options{Width: 100, Blur: 30, Format: spec.FormatWebP}, "", spec.FormatWebP, 8, 100, 106},
		{"gif rotate 90", banana, spec.Options{Rotate: 90, Format: spec.FormatWebP}, "", spec.FormatWebP, 8, 128, 121},
		{"webp keeps frames", dots, spec.Options{Width: 100}, "", spec.FormatWebP, 14, 100, 100},
		{"webp anim=false", dots, spec.Options{Width: 100, Anim: boolPtr(false)}, "", spec.FormatWebP, 1, 100, 100},
		{"webp to avif takes a frame", dots, spec.Options{Width: 100, Format: spec.FormatAVIF}, "", spec.FormatAVIF, 1, 100, 100},
		{"45 frame photo gif", photo, spec.Options{Width: 100}, "", spec.FormatWebP, 45, 100, 101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, d := renderDecoded(t, tt.src, tt.opts, tt.accept)
			if res.Format != tt.format {
				t.Errorf("format %q, want %q", res.Format, tt.format)
			}
			// libwebp merges frames that came out identical, adding up
			// their delays: an animation keeps its length, not its count.
			switch {
			case tt.frames == 1 && d.frames != 1:
				t.Errorf("output has %d frames, want 1", d.frames)
			case tt.frames > 1 && d.frames < 2:
				t.Errorf("output has %d frames, want an animation of up to %d", d.frames, tt.frames)
			case tt.frames > 1:
				if got, want := totalDelay(t, d), sourceDelay(t, tt.src); got != want || d.frames > tt.frames {
					t.Errorf("output plays %d frames in %d ms, source %d frames in %d ms", d.frames, got, tt.frames, want)
				}
			}
			if res.Width != tt.w || res.Height != tt.h {
				t.Errorf("frame is %dx%d, want %dx%d", res.Width, res.Height, tt.w, tt.h)
			}
		})
	}
}

// TestRenderAnimationTurnKeepsFrameOrder turns an animation and checks each
// frame against the same frame turned by hand: a half turn of the whole
// strip of frames would also play them backwards.
func TestRenderAnimationTurnKeepsFrameOrder(t *testing.T) {
	const src = "formats/gif_animated_banana.gif"
	base := spec.Options{Width: 64, Format: spec.FormatWebP, Quality: 100}
	_, plain := renderDecoded(t, src, base, "")
	// Compare the frame whose mirror in time differs most from it, so that
	// frames played backwards cannot pass.
	k, n := 0, plain.frames
	for i := 0; i < n/2; i++ {
		if frameDiff(plain, i, plain, n-1-i, turnNone) > frameDiff(plain, k, plain, n-1-k, turnNone) {
			k = i
		}
	}
	if d := frameDiff(plain, k, plain, n-1-k, turnNone); d < 5 {
		t.Fatalf("frames %d and %d differ by %.1f only", k, n-1-k, d)
	}
	for _, tt := range []struct {
		name string
		opts spec.Options
		turn func(x, y, w, h int) (int, int)
	}{
		{"rotate 180", spec.Options{Rotate: 180}, turn180},
		{"flip v", spec.Options{FlipV: true}, turnFlipV},
		{"flip h", spec.Options{FlipH: true}, turnFlipH},
		{"rotate 90", spec.Options{Rotate: 90}, turn90},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Width, o.Format, o.Quality = base.Width, base.Format, base.Quality
			if o.Rotate == 90 {
				o.Width, o.Height = 0, base.Width
			}
			_, got := renderDecoded(t, src, o, "")
			if got.frames != plain.frames {
				t.Fatalf("%d frames, want %d", got.frames, plain.frames)
			}
			for _, k := range []int{k, n - 1 - k} {
				if d := frameDiff(plain, k, got, k, tt.turn); d > 10 { // lossy WebP; reversed frames give ~35
					t.Errorf("frame %d differs by %.1f from frame %d turned by hand (from frame %d: %.1f)", k, d, k,
						n-1-k, frameDiff(plain, n-1-k, got, k, tt.turn))
				}
			}
		})
	}
}

func turnNone(x, y, w, h int) (int, int)  { return x, y }
func turn180(x, y, w, h int) (int, int)   { return w - 1 - x, h - 1 - y }
func turnFlipV(x, y, w, h int) (int, int) { return x, h - 1 - y }
func turnFlipH(x, y, w, h int) (int, int) { return w - 1 - x, y }

// turn90 maps a pixel of the turned (h×w) frame back to the w×h original.
func turn90(x, y, w, h int) (int, int) { return y, h - 1 - x }

// frameDiff compares frame ka of a with frame kb of b, where b's pixel (x,y)
// came from a's pixel turn(x, y, a.w, a.h).
func frameDiff(a decoded, ka int, b decoded, kb int, turn func(x, y, w, h int) (int, int)) float64 {
	var sum float64
	for y := 0; y < b.h; y++ {
		for x := 0; x < b.w; x++ {
			ax, ay := turn(x, y, a.w, a.h)
			pa := a.pix[((ka*a.h+ay)*a.w+ax)*a.bands:]
			pb := b.pix[((kb*b.h+y)*b.w+x)*b.bands:]
			for c := 0; c < 3; c++ {
				sum += math.Abs(float64(pa[c]) - float64(pb[c]))
			}
		}
	}
	return sum / float64(b.w*b.h*3)
}

// TestProbeFrames counts frames only where frames are an animation: a HEIF
// with a second image, or a JPEG 2000 with resolution levels, is one frame.
func TestProbeFrames(t *testing.T) {
	tests := []struct {
		src    string
		frames int
	}{
		{"formats/gif_animated_banana.gif", 8},
		{"formats/webp_animated_alpha.webp", 14},
		{"formats/webp_lossy_flower.webp", 1},
		{"formats/heic_city_river.heic", 1},
		{"formats/jpeg2000_world.jp2", 1},
		{"formats/mpo_sugarshack.mpo", 1},
		{"photos/forest_path.jpg", 1},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			info, err := Probe(readCorpus(t, tt.src), DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			if info.Frames != tt.frames {
				t.Errorf("Frames = %d, want %d", info.Frames, tt.frames)
			}
			if tt.frames == 1 {
				res, d := renderDecoded(t, tt.src, spec.Options{Width: 100, Format: spec.FormatWebP}, "")
				if d.frames != 1 {
					t.Errorf("a still source rendered %d frames (%dx%d)", d.frames, res.Width, res.Height)
				}
			}
		})
	}
}

// totalDelay is the length of an animation in ms.
func totalDelay(t *testing.T, d decoded) int {
	t.Helper()
	delays, err := d.img.PageDelay()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, v := range delays {
		sum += v
	}
	return sum
}

func sourceDelay(t *testing.T, rel string) int {
	t.Helper()
	p := vips.NewImportParams()
	p.NumPages.Set(-1)
	img, err := vips.LoadImageFromBuffer(readCorpus(t, rel), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(img.Close)
	return totalDelay(t, decoded{img: img})
}

// TestRenderAnimationLoop keeps a finite loop count.
func TestRenderAnimationLoop(t *testing.T) {
	p := vips.NewImportParams()
	p.NumPages.Set(-1)
	img, err := vips.LoadImageFromBuffer(readCorpus(t, "formats/gif_animated_banana.gif"), p)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	img.SetInt("loop", 3)
	gif, _, err := img.ExportGIF(vips.NewGifExportParams())
	if err != nil {
		t.Fatal(err)
	}
	res, err := testRenderer(t).Render(context.Background(), Original{Data: gif}, spec.Options{Width: 60}, "")
	if err != nil {
		t.Fatal(err)
	}
	d := decode(t, res.Body)
	if d.frames != 8 || d.img.GetInt("loop") != 3 {
		t.Errorf("output has %d frames and loop %d, want 8 and 3", d.frames, d.img.GetInt("loop"))
	}
}
