package transform

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

// watermark draws the wm= source over the output: scaled to wm_scale of
// the output's width (else its own size), shrunk to fit inside it, placed
// by wm_pos in the free space, at wm_opacity. It runs after pad, so that
// the position is the output's, and before flatten, so that a transparent
// overlay on a transparent output is flattened like the rest.
func watermark(s *state) error {
	w := s.plan.Options.Watermark
	if w == nil {
		return nil
	}
	if s.img.Height() != s.img.PageHeight() {
		return fault.New(fault.BadRequest, "wm: animated outputs are not watermarked; add anim=false")
	}
	info, err := probeWatermark(s.wm, s.cfg, w.Key)
	if err != nil {
		return err
	}
	r := placeWatermark(info, s.img.Width(), s.img.Height(), *w)
	params := vips.NewImportParams()
	params.FailOnError.Set(true)
	overlay, err := vips.LoadThumbnailFromBuffer(s.wm, r.Width, r.Height, vips.InterestingNone, vips.SizeForce, params)
	if err != nil {
		return decodeError(err)
	}
	defer overlay.Close()
	// Whatever the logo was made in (grey, CMYK, 16-bit), it is drawn as
	// 8-bit sRGB, as the output is by now.
	if err := overlay.ToColorSpace(vips.InterpretationSRGB); err != nil {
		return undecodable(err)
	}
	if overlay.BandFormat() != vips.BandFormatUchar {
		if err := overlay.Cast(vips.BandFormatUchar); err != nil {
			return undecodable(err)
		}
	}
	if !overlay.HasAlpha() {
		if err := overlay.AddAlpha(); err != nil {
			return undecodable(err)
		}
	}
	if op := w.Opacity; op > 0 && op < 1 {
		if err := overlay.Linear([]float64{1, 1, 1, op}, []float64{0, 0, 0, 0}); err != nil {
			return undecodable(err)
		}
		if err := overlay.Cast(vips.BandFormatUchar); err != nil {
			return undecodable(err)
		}
	}
	if err := toRGB(s.img); err != nil {
		return err
	}
	hadAlpha := s.img.HasAlpha()
	if err := s.img.Composite(overlay, vips.BlendModeOver, r.X, r.Y); err != nil {
		return undecodable(err)
	}
	if !hadAlpha && s.img.Bands() > 3 { // composite adds an opaque alpha band
		return undecodable(s.img.ExtractBand(0, 3))
	}
	return nil
}

// probeWatermark reads the watermark's header under the same limits as
// any source; its errors name it.
func probeWatermark(buf []byte, cfg Config, key string) (Info, error) {
	if len(buf) == 0 {
		return Info{}, fault.New(fault.Internal, "watermark %q was not read", key)
	}
	info, err := Probe(buf, cfg)
	if err != nil {
		return info, fault.Wrap(fault.KindOf(err), err, "watermark %s: %s", key, fault.Message(err))
	}
	return info, nil
}

// placeWatermark is where a watermark of info's size goes on a cw×ch
// output: wm_scale of its width (else its own size), shrunk to fit, placed
// by wm_pos in the space left around it.
func placeWatermark(info Info, cw, ch int, w spec.Watermark) Rect {
	ww := float64(info.Width)
	if w.Scale > 0 {
		ww = w.Scale * float64(cw)
	}
	wh := ww * float64(info.Height) / float64(info.Width)
	if f := math.Min(float64(cw)/ww, float64(ch)/wh); f < 1 {
		ww, wh = ww*f, wh*f
	}
	r := Rect{Width: max(1, int(math.Round(ww))), Height: max(1, int(math.Round(wh)))}
	r.Width, r.Height = min(r.Width, cw), min(r.Height, ch)
	fx, fy := w.Pos.Fractions()
	r.X = int(math.Round(float64(cw-r.Width) * fx))
	r.Y = int(math.Round(float64(ch-r.Height) * fy))
	return r
}
