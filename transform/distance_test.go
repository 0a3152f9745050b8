package transform

import "testing"

// flatPlanes is a w×h mid-grey image with a 16×16 block at (8, 8) whose
// channel ch (0 Y, 1 Cb, 2 Cr) is set to v.
func flatPlanes(w, h, ch int, v float64) yccPlanes {
	grey := func(n int) []float64 {
		px := make([]float64, n)
		for i := range px {
			px[i] = 128
		}
		return px
	}
	p := yccPlanes{w: w, h: h, y: grey(w * h), cb: grey(w / 2 * h / 2), cr: grey(w / 2 * h / 2)}
	plane, pw, scale := p.y, w, 1
	if ch > 0 {
		plane, pw, scale = [][]float64{p.cb, p.cr}[ch-1], w/2, 2
	}
	for y := 8 / scale; y < 24/scale; y++ {
		for x := 8 / scale; x < 24/scale; x++ {
			plane[y*pw+x] = v
		}
	}
	return p
}

// TestDistanceSeesChroma: damage to Cb or Cr alone, luma untouched, is a
// distance above 0 (luma SSIM alone scores it 0).
func TestDistanceSeesChroma(t *testing.T) {
	ref := flatPlanes(128, 128, 0, 128)
	for _, tc := range []struct {
		name string
		ch   int
	}{{"Cb", 1}, {"Cr", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			dist := flatPlanes(128, 128, tc.ch, 40)
			if d := planeDistance(ref.y, dist.y, 128, 128); d != 0 {
				t.Fatalf("luma distance %.3f, want 0: the test damages %s only", d, tc.name)
			}
			if d := msDistance(ref, dist); d <= 0.1 {
				t.Errorf("distance %.3f, want > 0.1 for a %s-only block", d, tc.name)
			}
		})
	}
}

// TestDistanceNotDilutedByFlatArea: the same local damage in an image 16
// times larger keeps most of its distance (a mean over windows would
// divide it by about 16), as butteraugli's worst-region-led norm does.
func TestDistanceNotDilutedByFlatArea(t *testing.T) {
	small := msDistance(flatPlanes(128, 128, 0, 128), flatPlanes(128, 128, 0, 60))
	large := msDistance(flatPlanes(512, 512, 0, 128), flatPlanes(512, 512, 0, 60))
	if small <= 0 || large < small/2 {
		t.Errorf("block damage: %.3f on 128×128, %.3f on 512×512; want the larger image's at least half", small, large)
	}
}
