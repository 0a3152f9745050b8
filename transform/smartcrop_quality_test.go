package transform

import (
	"context"
	"encoding/json"
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

type faceLabels struct {
	Photos map[string][][4]int `json:"photos"`
}

// cropScore counts, for one gravity, the crops that keep every labelled
// face entirely, among those whose geometry allows it (the union of the
// faces fits the crop window).
type cropScore struct{ kept, allowed, impossible int }

func (c cropScore) share() float64 {
	if c.allowed == 0 {
		return 0
	}
	return float64(c.kept) / float64(c.allowed)
}

// TestSmartCropQuality is the face-keeping benchmark of docs/smart-crop.md:
// for the labelled photos and four aspect ratios, the share of crops that
// contain every face box, for g=center, libvips attention (g=auto with no
// sidecar) and g=face with the real sidecar. It fails if g=face keeps less
// than 95% where the geometry allows, or does not beat attention.
//
// PIXMILL_SMARTCROP_DOCS=DIR also writes side-by-side example crops there.
func TestSmartCropQuality(t *testing.T) {
	var labels faceLabels
	b, err := os.ReadFile(filepath.Join("testdata", "face_labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
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
				if !unionFits(boxes, crop.Width, crop.Height) {
					sc.impossible++
					continue
				}
				sc.allowed++
				if keepsAll(crop, boxes) {
					sc.kept++
				} else if i == 2 {
					misses = append(misses, fmt.Sprintf("%s %s (focused by %s)", file, a.name, d.FocusedBy))
				}
				if dir := os.Getenv("PIXMILL_SMARTCROP_DOCS"); dir != "" && i == 2 {
					writeExample(t, dir, file, a.name, a.w, a.h, buf, plain, withFaces)
				}
			}
		}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "| gravity | 1:1 | 4:5 | 16:9 | 9:16 | all |\n|---|---|---|---|---|---|\n")
	totals := make([]cropScore, len(gravities))
	for i, g := range gravities {
		fmt.Fprintf(&table, "| %s |", g.name)
		for _, a := range cropAspects {
			sc := scores[i][a.name]
			fmt.Fprintf(&table, " %d/%d |", sc.kept, sc.allowed)
			totals[i].kept += sc.kept
			totals[i].allowed += sc.allowed
			totals[i].impossible += sc.impossible
		}
		fmt.Fprintf(&table, " **%.0f%%** (%d/%d) |\n", 100*totals[i].share(), totals[i].kept, totals[i].allowed)
	}
	t.Logf("crops keeping every labelled face, where the faces fit the crop (%d photos, %d crops where they cannot):\n%s",
		len(files), totals[0].impossible, table.String())
	if len(misses) > 0 {
		t.Logf("g=face crops that lose a face: %s", strings.Join(misses, "; "))
	}
	if totals[2].share() < 0.95 {
		t.Errorf("g=face keeps every face in %.0f%% of the crops, want at least 95%%", 100*totals[2].share())
	}
	if totals[2].kept <= totals[1].kept {
		t.Errorf("g=face (%d) does not beat attention (%d)", totals[2].kept, totals[1].kept)
	}
}

func unionFits(boxes [][4]int, w, h int) bool {
	x0, y0, x1, y1 := boxes[0][0], boxes[0][1], boxes[0][0]+boxes[0][2], boxes[0][1]+boxes[0][3]
	for _, b := range boxes[1:] {
		x0, y0 = min(x0, b[0]), min(y0, b[1])
		x1, y1 = max(x1, b[0]+b[2]), max(y1, b[1]+b[3])
	}
	return x1-x0 <= w && y1-y0 <= h
}

func keepsAll(c *Rect, boxes [][4]int) bool {
	for _, b := range boxes {
		// One pixel of slack for rounding between scaled and source pixels.
		if b[0] < c.X-1 || b[1] < c.Y-1 || b[0]+b[2] > c.X+c.Width+1 || b[1]+b[3] > c.Y+c.Height+1 {
			return false
		}
	}
	return true
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
