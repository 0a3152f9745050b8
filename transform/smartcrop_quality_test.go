package transform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/transform/spec"
	"github.com/pixmill/pixmill/vision"
	"github.com/pixmill/pixmill/vision/sidecar"
	"github.com/pixmill/pixmill/vision/visiontest"
)

// cropAspects are the crops the quality benchmark asks for, as output boxes.
var cropAspects = []struct {
	name string
	w, h int
}{{"1:1", 400, 400}, {"4:5", 400, 500}, {"16:9", 640, 360}, {"9:16", 360, 640}}

// cropScore counts, for one gravity, the crops that keep every labelled
// face whole (or, where the faces cannot all fit the window, as many whole
// faces as a window of that size can hold): kept of crops; allKept of
// allowed counts only the crops where every face fits.
type cropScore struct{ kept, crops, allKept, allowed int }

func (c cropScore) share() float64 {
	if c.crops == 0 {
		return 0
	}
	return float64(c.kept) / float64(c.crops)
}

// TestSmartCropQuality is the face-keeping benchmark of docs/smart-crop.md,
// on faces labelled by eye without a detector
// (testdata/face_labels_independent.json): for the labelled photos and four
// aspect ratios, the share of crops that keep every face whole, or where
// they cannot all fit, as many whole faces as a window of that size can
// hold; for g=center, libvips attention (g=auto with no sidecar) and g=face
// with the real sidecar. It fails if g=face keeps less than 95%, or does not
// beat attention and centre by at least 15 points.
//
// PIXMILL_SMARTCROP_DOCS=DIR also writes side-by-side example crops there.
func TestSmartCropQuality(t *testing.T) {
	labels := loadIndependentLabels(t)
	plain, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	url := visiontest.Start(t, sidecar.Config{})
	withFaces := &Renderer{cfg: DefaultConfig()}
	withFaces.UseVision(vision.NewLocator(vision.NewClient(url, 0), vision.LocatorConfig{Timeout: 10e9}, vision.Observer{}))

	gravities := []struct {
		name string
		r    *Renderer
		g    spec.GravityKind
	}{
		{"g=center", plain, spec.GravityCenter},
		{"attention (g=auto, no sidecar)", plain, spec.GravityAuto},
		{"g=face (sidecar)", withFaces, spec.GravityFace},
	}
	scores := make([]map[string]*cropScore, len(gravities))
	for i := range scores {
		scores[i] = map[string]*cropScore{}
	}
	files := make([]string, 0, len(labels.Photos))
	for f := range labels.Photos {
		files = append(files, f)
	}
	sort.Strings(files)
	var misses []string
	for _, file := range files {
		buf := readCorpus(t, file)
		boxes := labels.Photos[file]
		for _, a := range cropAspects {
			for i, g := range gravities {
				opts := spec.Options{Width: a.w, Height: a.h, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: g.g}}
				d, err := g.r.Describe(context.Background(), Original{Data: buf}, opts, "")
				if err != nil {
					t.Fatalf("%s %s %s: %v", file, a.name, g.name, err)
				}
				sc := scores[i][a.name]
				if sc == nil {
					sc = &cropScore{}
					scores[i][a.name] = sc
				}
				crop := d.Crop
				if crop == nil {
					crop = &Rect{Width: d.Width, Height: d.Height}
				}
				sc.crops++
				whole, most := wholeFaces(crop, boxes), mostWholeFaces(boxes, d.Width, d.Height, crop.Width, crop.Height)
				if unionFits(boxes, crop.Width, crop.Height) {
					sc.allowed++
					if whole == len(boxes) {
						sc.allKept++
					}
				}
				if whole >= most {
					sc.kept++
				} else if i == 2 {
					misses = append(misses, fmt.Sprintf("%s %s (%d of %d whole, %d possible; focused by %s)", file, a.name, whole, len(boxes), most, d.FocusedBy))
				}
				if dir := os.Getenv("PIXMILL_SMARTCROP_DOCS"); dir != "" && i == 2 {
					writeExample(t, dir, file, a.name, a.w, a.h, buf, plain, withFaces)
				}
			}
		}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "| gravity | 1:1 | 4:5 | 16:9 | 9:16 | all | all fit |\n|---|---|---|---|---|---|---|\n")
	totals := make([]cropScore, len(gravities))
	for i, g := range gravities {
		fmt.Fprintf(&table, "| %s |", g.name)
		for _, a := range cropAspects {
			sc := scores[i][a.name]
			fmt.Fprintf(&table, " %d/%d |", sc.kept, sc.crops)
			totals[i].kept += sc.kept
			totals[i].crops += sc.crops
			totals[i].allKept += sc.allKept
			totals[i].allowed += sc.allowed
		}
		fmt.Fprintf(&table, " **%.0f%%** (%d/%d) | %d/%d |\n", 100*totals[i].share(), totals[i].kept, totals[i].crops, totals[i].allKept, totals[i].allowed)
	}
	t.Logf("crops keeping every labelled face whole, or the most a window of the crop's size can hold (%d photos; last column: crops keeping every face where all fit):\n%s",
		len(files), table.String())
	if len(misses) > 0 {
		t.Logf("g=face crops that lose a face: %s", strings.Join(misses, "; "))
	}
	if totals[2].share() < 0.95 {
		t.Errorf("g=face keeps the faces in %.0f%% of the crops, want at least 95%%", 100*totals[2].share())
	}
	for _, other := range []int{0, 1} {
		if totals[2].share() < totals[other].share()+0.15 {
			t.Errorf("g=face (%.0f%%) does not beat %s (%.0f%%) by 15 points", 100*totals[2].share(), gravities[other].name, 100*totals[other].share())
		}
	}
}

// wholeFaces counts the boxes wholly inside the crop.
func wholeFaces(c *Rect, boxes [][4]int) int {
	n := 0
	for _, b := range boxes {
		// One pixel of slack for rounding between scaled and source pixels.
		if b[0] >= c.X-1 && b[1] >= c.Y-1 && b[0]+b[2] <= c.X+c.Width+1 && b[1]+b[3] <= c.Y+c.Height+1 {
			n++
		}
	}
	return n
}

// mostWholeFaces is the most boxes a cw x ch window inside a w x h image can
// hold whole: a window holding a different set has an edge on a box edge or
// on the image's, so those positions are tried.
func mostWholeFaces(boxes [][4]int, w, h, cw, ch int) int {
	xs, ys := []int{0, w - cw}, []int{0, h - ch}
	for _, b := range boxes {
		xs = append(xs, b[0], b[0]+b[2]-cw)
		ys = append(ys, b[1], b[1]+b[3]-ch)
	}
	best := 0
	for _, y := range ys {
		for _, x := range xs {
			x, y := max(0, min(x, w-cw)), max(0, min(y, h-ch))
			best = max(best, wholeFaces(&Rect{X: x, Y: y, Width: cw, Height: ch}, boxes))
		}
	}
	return best
}

func unionFits(boxes [][4]int, w, h int) bool {
	x0, y0, x1, y1 := boxes[0][0], boxes[0][1], boxes[0][0]+boxes[0][2], boxes[0][1]+boxes[0][3]
	for _, b := range boxes[1:] {
		x0, y0 = min(x0, b[0]), min(y0, b[1])
		x1, y1 = max(x1, b[0]+b[2]), max(y1, b[1]+b[3])
	}
	return x1-x0 <= w && y1-y0 <= h
}

// writeExample renders the three crops of one photo side by side, 240 px
// tall, into dir.
func writeExample(t *testing.T, dir, file, aspect string, w, h int, buf []byte, plain, withFaces *Renderer) {
	var parts []*vips.ImageRef
	for _, c := range []struct {
		r *Renderer
		g spec.GravityKind
	}{{plain, spec.GravityCenter}, {plain, spec.GravityAuto}, {withFaces, spec.GravityFace}} {
		res, err := c.r.Render(context.Background(), Original{Data: buf}, spec.Options{Width: w, Height: h, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: c.g}, Format: spec.FormatJPEG}, "")
		if err != nil {
			t.Fatal(err)
		}
		img, err := vips.NewThumbnailFromBuffer(res.Body, 1000, 240, vips.InterestingNone)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, img)
	}
	row := parts[0]
	if err := row.ArrayJoin(parts[1:], 3); err != nil {
		t.Fatal(err)
	}
	out, _, err := row.ExportJpeg(&vips.JpegExportParams{Quality: 78, StripMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)) + "_" + strings.ReplaceAll(aspect, ":", "x") + ".jpg"
	if err := os.WriteFile(filepath.Join(dir, name), out, 0o644); err != nil {
		t.Fatal(err)
	}
}
