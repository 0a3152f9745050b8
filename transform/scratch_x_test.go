package transform

import (
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
)

func TestScratchTrick(t *testing.T) {
	testRenderer(t)
	buf := readCorpus(t, "orientation/landscape_exif_orientation_1.jpg")
	for code := 1; code <= 8; code++ {
		img, _ := vips.LoadThumbnailFromBuffer(buf, 1600, 1200, vips.InterestingNone, vips.SizeForce, vips.NewImportParams())
		st := time.Now()
		img.SetOrientation(code)
		w, h := 1600, 1200
		if code >= 5 {
			w, h = h, w
		}
		err := img.ThumbnailWithSize(w, h, vips.InterestingNone, vips.SizeForce)
		a, err2 := img.ToBytes()
		el := time.Since(st)
		// reference: random access full load + autorot
		ref, _ := vips.NewImageFromBuffer(buf)
		ref.SetOrientation(code)
		ref.AutoRotate()
		b, _ := ref.ToBytes()
		same := len(a) == len(b)
		diff := 0
		if same {
			for i := range a {
				if a[i] != b[i] {
					diff++
				}
			}
		}
		t.Logf("code %d: %v %v %dx%d orient=%d same=%v diff=%d t=%v", code, err, err2, img.Width(), img.Height(), img.Orientation(), same, diff, el)
	}
	// animated
	for _, f := range []string{"formats/gif_animated_banana.gif", "formats/webp_animated_alpha.webp"} {
		gb := readCorpus(t, f)
		for _, a := range []vips.Angle{vips.Angle90, vips.Angle180, vips.Angle270} {
			p := vips.NewImportParams()
			p.NumPages.Set(-1)
			img, err := vips.LoadThumbnailFromBuffer(gb, 2000, 2000, vips.InterestingNone, vips.SizeDown, p)
			if err != nil {
				t.Fatal(err)
			}
			err = img.Rotate(a)
			_, err2 := img.ToBytes()
			img2, _ := vips.LoadThumbnailFromBuffer(gb, 2000, 2000, vips.InterestingNone, vips.SizeDown, p)
			err3 := img2.Flip(vips.DirectionVertical)
			_, err4 := img2.ToBytes()
			t.Logf("%s %v: %v %v flipv %v %v", f, a, err, err2 != nil, err3, err4 != nil)
		}
	}
}
