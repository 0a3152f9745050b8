package transform

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

// trimPreviewMax is the long side of the copy trim=auto searches for the
// border. Its edges are mapped back to the source rounding outwards, so a
// trimmed edge is off by less than one preview pixel, which is less than an
// output pixel whenever the output is no larger than the preview (the
// border is never cut into the picture; a sliver of it may stay on sources
// over 2048 px shown larger than 2048 px).
const trimPreviewMax = 2048

// findWindow is the window of the EXIF-oriented source the plan treats as
// the source: the URL's region, less the trimmed border. trim=auto looks
// at the pixels (a preview); everything else is arithmetic.
func findWindow(buf []byte, info Info, opts spec.Options) (*Rect, error) {
	win, err := regionWindow(info, opts)
	if err != nil || opts.Trim == nil {
		return win, err
	}
	full := Rect{Width: info.Width, Height: info.Height}
	if win != nil {
		full = *win
	}
	t := *opts.Trim
	if t.Auto {
		box, err := findTrim(buf, info, full, opts.Threshold(), false)
		if err != nil && recoverable(info.Format, buf, err) {
			box, err = findTrim(buf, info, full, opts.Threshold(), true)
		}
		if err != nil {
			return nil, err
		}
		return wholeAsNil(box, info), nil
	}
	if t.Left+t.Right >= full.Width || t.Top+t.Bottom >= full.Height {
		return nil, fault.New(fault.BadRequest, "trim: %d;%d;%d;%d leaves nothing of the %dx%d source", t.Top, t.Right, t.Bottom, t.Left, full.Width, full.Height)
	}
	return wholeAsNil(Rect{X: full.X + t.Left, Y: full.Y + t.Top, Width: full.Width - t.Left - t.Right, Height: full.Height - t.Top - t.Bottom}, info), nil
}

func wholeAsNil(r Rect, info Info) *Rect {
	if r == (Rect{Width: info.Width, Height: info.Height}) {
		return nil
	}
	return &r
}

// findTrim runs libvips find_trim on a preview of the window win and maps
// the box it finds back to source pixels. The border's colour is the
// preview's top-left pixel, after flattening alpha onto white (so that a
// transparent border trims too). A window that is all border is kept.
func findTrim(buf []byte, info Info, win Rect, threshold float64, lenient bool) (Rect, error) {
	params := vips.NewImportParams()
	params.FailOnError.Set(!lenient)
	img, err := loadPreview(buf, trimPreviewMax, params, &win, info.Width, info.Height)
	if err != nil {
		return win, err
	}
	defer img.Close()
	if img.HasAlpha() {
		if err := img.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
			return win, undecodable(err)
		}
	}
	if img.Interpretation() != vips.InterpretationSRGB || img.Bands() != 3 {
		if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
			return win, undecodable(err)
		}
	}
	// find_trim scans the image several times: decode once.
	if err := copyToMemory(img); err != nil {
		return win, undecodable(err)
	}
	bg, err := img.GetPoint(0, 0)
	if err != nil || len(bg) < 3 {
		return win, undecodable(err)
	}
	c := vips.Color{R: uint8(math.Round(bg[0])), G: uint8(math.Round(bg[1])), B: uint8(math.Round(bg[2]))}
	x, y, w, h, err := img.FindTrim(threshold, &c)
	if err != nil {
		return win, undecodable(err)
	}
	if w <= 0 || h <= 0 {
		return win, nil
	}
	fx, fy := float64(win.Width)/float64(img.Width()), float64(win.Height)/float64(img.Height())
	x0 := clamp(int(math.Floor(float64(x)*fx)), 0, win.Width-1)
	y0 := clamp(int(math.Floor(float64(y)*fy)), 0, win.Height-1)
	x1 := clamp(int(math.Ceil(float64(x+w)*fx)), x0+1, win.Width)
	y1 := clamp(int(math.Ceil(float64(y+h)*fy)), y0+1, win.Height)
	return Rect{X: win.X + x0, Y: win.Y + y0, Width: x1 - x0, Height: y1 - y0}, nil
}
