package transform

import (
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

func TestScratchICC(t *testing.T) {
	testRenderer(t)
	for _, f := range []string{"icc/prophoto_rgb_nebula.jpg", "formats/grayscale_dotgain_icc.jpg", "formats/cmyk_swop_icc_sunglasses.jpg", "formats/png16_rgba_cup.png", "faces/woman_sunglasses_adobergb_progressive.jpg", "formats/tiff_16bit_video_frame.tiff", "icc/dci_p3_smpte_small.jpg"} {
		img, err := vips.LoadThumbnailFromBuffer(readCorpus(t, f), 200, 200, vips.InterestingNone, vips.SizeDown, vips.NewImportParams())
		if err != nil {
			t.Fatal(err)
		}
		s := &state{img: img}
		err = toSRGB(s)
		p := s.img.GetICCProfile()
		sp := ""
		if len(p) > 20 {
			sp = string(p[16:20])
		}
		a, _ := s.img.Average()
		t.Logf("%s: %v bands=%d interp=%v fmt=%v icc=%d %q avg=%.2f", f, err, s.img.Bands(), s.img.Interpretation(), s.img.BandFormat(), len(p), sp, a)
	}
}
