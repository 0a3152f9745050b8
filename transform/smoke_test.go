package transform

import (
	"context"
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

func TestSmoke(t *testing.T) {
	r, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"photos/kleiber_bird_20mp.jpg", "orientation/landscape_exif_orientation_6.jpg", "formats/gif_animated_banana.gif", "formats/cmyk_swop_icc_sunglasses.jpg", "formats/png16_rgba_cup.png", "formats/heic_city_river.heic", "formats/jxl_grey_dotgain_icc.jxl", "formats/jpeg2000_world.jp2", "hostile/truncated_400bytes.jpg"} {
		for _, o := range []spec.Options{{Width: 400, Format: spec.FormatWebP}, {Width: 400, Height: 400, Fit: spec.FitCover, Format: spec.FormatAVIF, Gravity: spec.Gravity{Kind: spec.GravityAuto}}, {Width: 400, Format: spec.FormatJPEG}} {
			res, err := r.Render(context.Background(), readCorpus(t, f), o, "")
			t.Logf("%s %+v: %v %dx%d %d bytes t=%v e=%v", f, o.Format, err, res.Width, res.Height, len(res.Body), res.Transform, res.Encode)
		}
	}
}
