package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/transform/spec"
	"github.com/pixmill/pixmill/vision"
	"github.com/pixmill/pixmill/vision/engine"
	"github.com/pixmill/pixmill/vision/models"
	"github.com/pixmill/pixmill/vision/preview"
	"github.com/pixmill/pixmill/vision/sidecar"
	"github.com/pixmill/pixmill/vision/visiontest"
)

// independentLabels is transform/testdata/face_labels_independent.json:
// faces labelled by eye without a detector (its "about" says how).
type independentLabels struct {
	Photos  map[string][][4]int `json:"photos"`
	NoFaces []string            `json:"no_faces"`
}

func loadIndependentLabels(t testing.TB) independentLabels {
	t.Helper()
	var l independentLabels
	b, err := os.ReadFile(filepath.Join("testdata", "face_labels_independent.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// labelledPreview is a preview as the server sends it (libvips, EXIF-oriented,
// long side 320) with its faces in fractions of it.
type labelledPreview struct {
	name  string
	img   preview.Image
	faces []vision.Box
}

// sourcePreview builds the preview of a corpus file and maps its labels
// (source pixels of the oriented frame) to fractions.
func sourcePreview(t testing.TB, file string, boxes [][4]int, long int) labelledPreview {
	t.Helper()
	buf := readCorpus(t, file)
	pix, w, h, err := previewRGB(buf, long, true, nil, 0, 0)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	img, err := vips.NewImageFromBuffer(buf)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	sw, sh := img.Width(), img.Height()
	if o := img.Orientation(); o >= 5 && o <= 8 {
		sw, sh = sh, sw
	}
	img.Close()
	lp := labelledPreview{name: file, img: preview.Image{W: w, H: h, Pix: pix}}
	for _, b := range boxes {
		lp.faces = append(lp.faces, vision.Box{X: float64(b[0]) / float64(sw), Y: float64(b[1]) / float64(sh),
			Width: float64(b[2]) / float64(sw), Height: float64(b[3]) / float64(sh)})
	}
	return lp
}

// smallFaceMosaics tiles the group photos 2x2 into previews in which every
// labelled face is 9-20 px wide: tiles 120, 140 and 160 px wide (the group
// photos' faces are 152-225 px wide in 1920). The labels are the photos'
// labels scaled into each tile. Deterministic: libvips thumbnails of the
// corpus, grey (128) between tiles.
func smallFaceMosaics(t testing.TB, l independentLabels) []labelledPreview {
	t.Helper()
	groups := []string{"faces/group_portrait_1.jpg", "faces/group_portrait_3.jpg", "faces/group_portrait_5.jpg"}
	layouts := []struct {
		tileW int
		tiles [4]int // indexes into groups, row-major
	}{{120, [4]int{0, 1, 2, 0}}, {140, [4]int{1, 2, 0, 1}}, {160, [4]int{2, 0, 1, 2}}}
	var out []labelledPreview
	for _, lay := range layouts {
		tiles := make([]labelledPreview, 4)
		rowH := [2]int{}
		for i, g := range lay.tiles {
			tiles[i] = sourcePreview(t, groups[g], l.Photos[groups[g]], lay.tileW)
			rowH[i/2] = max(rowH[i/2], tiles[i].img.H)
		}
		W, H := 2*lay.tileW, rowH[0]+rowH[1]
		m := labelledPreview{name: fmt.Sprintf("mosaic %d px tiles", lay.tileW), img: preview.Image{W: W, H: H, Pix: make([]byte, W*H*3)}}
		for i := range m.img.Pix {
			m.img.Pix[i] = 128
		}
		for i, tile := range tiles {
			ox, oy := (i%2)*lay.tileW, (i/2)*rowH[0]
			for y := 0; y < tile.img.H; y++ {
				copy(m.img.Pix[((oy+y)*W+ox)*3:], tile.img.Pix[y*tile.img.W*3:(y+1)*tile.img.W*3])
			}
			for _, f := range tile.faces {
				m.faces = append(m.faces, vision.Box{
					X: (float64(ox) + f.X*float64(tile.img.W)) / float64(W), Y: (float64(oy) + f.Y*float64(tile.img.H)) / float64(H),
					Width: f.Width * float64(tile.img.W) / float64(W), Height: f.Height * float64(tile.img.H) / float64(H)})
			}
		}
		out = append(out, m)
	}
	return out
}

func boxIoU(a, b vision.Box) float64 {
	x0, y0 := max(a.X, b.X), max(a.Y, b.Y)
	x1, y1 := min(a.X+a.Width, b.X+b.Width), min(a.Y+a.Height, b.Y+b.Height)
	inter := max(0, x1-x0) * max(0, y1-y0)
	union := a.Width*a.Height + b.Width*b.Height - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// matchFaces counts the labelled faces found by a detection scoring at
// least minScore with IoU >= 0.3 (each detection finds one face at most),
// and the detections that found none.
func matchFaces(labels, found []vision.Box, minScore float64) (hits, extra int) {
	used := make([]bool, len(found))
	for _, l := range labels {
		best, bi := 0.3, -1
		for i, f := range found {
			if f.Score < minScore || used[i] {
				continue
			}
			if v := boxIoU(l, f); v >= best {
				best, bi = v, i
			}
		}
		if bi >= 0 {
			used[bi] = true
			hits++
		}
	}
	for i, f := range found {
		if f.Score >= minScore && !used[i] {
			extra++
			unmatchedLog = append(unmatchedLog, fmt.Sprintf("%+v", f))
		}
	}
	return hits, extra
}

var unmatchedLog []string

// detectorSetting is one face model at one score cut-off.
type detectorSetting struct {
	model    string
	minScore float64 // 0: the lowest cut-off with no box on the no-face set; -1: each model's own
}

// TestFaceDetectorComparison is the model comparison of docs/smart-crop.md
// on the independent labels: for each face model and score cut-off, recall
// on the labelled faces, boxes on the no-face photos, recall on the small-face
// mosaics, detections matching no label, and the CPU time of one preview.
// It is a measurement (about a minute on 2 cores): PIXMILL_FACE_COMPARE=1.
func TestFaceDetectorComparison(t *testing.T) {
	if os.Getenv("PIXMILL_FACE_COMPARE") != "1" {
		t.Skip("a measurement: PIXMILL_FACE_COMPARE=1 runs it")
	}
	l := loadIndependentLabels(t)
	var labelled, nofaces []labelledPreview
	files := make([]string, 0, len(l.Photos))
	for f := range l.Photos {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		labelled = append(labelled, sourcePreview(t, f, l.Photos[f], visiontest.PreviewSide))
	}
	for _, f := range l.NoFaces {
		nofaces = append(nofaces, sourcePreview(t, f, nil, visiontest.PreviewSide))
	}
	mosaics := smallFaceMosaics(t, l)
	settings := []detectorSetting{{"full-320", 0.55}, {"full-320", 0.6}}
	if os.Getenv("PIXMILL_FACE_COMPARE_QUICK") != "1" {
		settings = append(settings, []detectorSetting{
			{engine.FaceBack, 0.7}, {engine.FaceBackSigned, 0.65}, {engine.FaceBackSigned, 0},
			{"full-256", 0.5}, {"full-320", 0.5}, {"full-384", 0.5}, {"full-320", 0},
			{"full-320,back-signed", -1}, {"full-384,back-signed", -1},
		}...)
	}
	dir := visiontest.Dir(t)
	if !models.Present(dir, models.FaceFull) {
		visiontest.Unavailable(t, "vision: %s missing: run `make vision`", models.FaceFull)
	}
	visiontest.Engine(t) // loads ONNX Runtime once for the process
	var table strings.Builder
	fmt.Fprintf(&table, "| model | input | cut-off | faces found | photos with every face | boxes on %d no-face photos | mosaic faces found | unmatched boxes | CPU ms/preview p50 (p99) |\n|---|---|---|---|---|---|---|---|---|\n", len(nofaces))
	for _, s := range settings {
		e, err := engine.Open(engine.Config{Lib: visiontest.Lib(t), ModelsDir: dir, Providers: []string{engine.ProviderCPU},
			FaceModels: strings.Split(s.model, ","), FaceMinScore: max(0, min(s.minScore, 0.3)), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		var lat []time.Duration
		detect := func(set []labelledPreview) [][]vision.Box {
			var all [][]vision.Box
			for _, p := range set {
				j := e.Prepare(p.img)
				start := time.Now()
				if err := e.Run([]*engine.Job{j}); err != nil {
					t.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				all = append(all, j.Faces)
			}
			return all
		}
		lab, none, mos := detect(labelled), detect(nofaces), detect(mosaics)
		e.Close()
		cut := max(0, s.minScore)
		if s.minScore == 0 {
			// The lowest cut-off that leaves the no-face set empty.
			cut = 0.3
			for _, boxes := range none {
				for _, b := range boxes {
					cut = max(cut, b.Score+0.005)
				}
			}
		}
		var faces, hits, whole, extra, fp, mFaces, mHits int
		var misses []string
		for i, p := range labelled {
			h, x := matchFaces(p.faces, lab[i], cut)
			faces += len(p.faces)
			hits += h
			extra += x
			if h == len(p.faces) {
				whole++
			} else {
				misses = append(misses, fmt.Sprintf("%s (%d of %d)", p.name, len(p.faces)-h, len(p.faces)))
			}
		}
		for _, boxes := range none {
			for _, b := range boxes {
				if b.Score >= cut {
					fp++
				}
			}
		}
		for i, p := range mosaics {
			h, _ := matchFaces(p.faces, mos[i], cut)
			mFaces += len(p.faces)
			mHits += h
		}
		t.Logf("%s at %.2f misses faces in: %s; unmatched boxes: %s", s.model, cut, strings.Join(misses, ", "), strings.Join(unmatchedLog, " "))
		unmatchedLog = nil
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p50, p99 := lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
		name, input := s.model, "[0,1]"
		if s.model != engine.FaceBack {
			input = "[-1,1]"
		}
		how := fmt.Sprintf("%.2f", cut)
		if s.minScore < 0 {
			how = fmt.Sprintf("each model's own (full %.2f, back-signed %.2f)", engine.FullMinScore, engine.BackSignedMinScore)
		}
		if s.minScore == 0 {
			how += " (lowest with no box on the no-face set)"
		}
		fmt.Fprintf(&table, "| %s | %s | %s | %d/%d (%.2f) | %d/%d | %d | %d/%d (%.2f) | %d | %.1f (%.1f) |\n",
			name, input, how, hits, faces, float64(hits)/float64(faces), whole, len(labelled), fp, mHits, mFaces,
			float64(mHits)/float64(mFaces), extra, float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000)
	}
	t.Logf("face detectors on the independent labels (%d photos, %d no-face photos, %d mosaics):\n%s", len(labelled), len(nofaces), len(mosaics), table.String())
}

// TestFaceRecallOnIndependentLabels holds the default detectors to the
// targets of docs/smart-crop.md on faces labelled by eye: at least 0.95 of
// the labelled faces found, at least 0.6 of the small-face mosaics' faces,
// and no box at all on the no-face photos.
func TestFaceRecallOnIndependentLabels(t *testing.T) {
	l := loadIndependentLabels(t)
	e := visiontest.Engine(t)
	find := func(p labelledPreview) []vision.Box {
		j := e.Prepare(p.img)
		if err := e.Run([]*engine.Job{j}); err != nil {
			t.Fatal(err)
		}
		return j.Faces
	}
	var faces, hits int
	for f, boxes := range l.Photos {
		p := sourcePreview(t, f, boxes, visiontest.PreviewSide)
		h, _ := matchFaces(p.faces, find(p), 0)
		faces += len(boxes)
		hits += h
		if h < len(boxes) {
			t.Logf("%s: %d of %d faces found", f, h, len(boxes))
		}
	}
	if r := float64(hits) / float64(faces); r < 0.95 {
		t.Errorf("recall %.2f (%d of %d labelled faces), want >= 0.95", r, hits, faces)
	}
	var mFaces, mHits int
	for _, m := range smallFaceMosaics(t, l) {
		h, _ := matchFaces(m.faces, find(m), 0)
		mFaces += len(m.faces)
		mHits += h
	}
	if r := float64(mHits) / float64(mFaces); r < 0.6 {
		t.Errorf("small-face mosaic recall %.2f (%d of %d), want >= 0.6", r, mHits, mFaces)
	}
	for _, f := range l.NoFaces {
		if boxes := find(sourcePreview(t, f, nil, visiontest.PreviewSide)); len(boxes) > 0 {
			t.Errorf("%s has no face, found %v", f, boxes)
		}
	}
	t.Logf("recall %d/%d, mosaic recall %d/%d, %d no-face photos", hits, faces, mHits, mFaces, len(l.NoFaces))
}

// TestFaceZoom: zoom narrows a g=face crop toward the faces (Cloudflare's
// zoom: 0 the fit's own window, 1 as tight as the aspect allows), the
// output keeps its size, and every labelled face the zoom=0 crop keeps
// whole stays whole.
func TestFaceZoom(t *testing.T) {
	l := loadIndependentLabels(t)
	url := visiontest.Start(t, sidecar.Config{})
	r := &Renderer{cfg: DefaultConfig()}
	r.UseVision(vision.NewLocator(vision.NewClient(url, 0), vision.LocatorConfig{Timeout: 10e9}, vision.Observer{}))
	for _, c := range []struct {
		file string
		w, h int
	}{{"faces/grace_hopper.jpg", 400, 400}, {"faces/group_portrait_3.jpg", 640, 360}, {"faces/woman_sunglasses_adobergb_progressive.jpg", 360, 640}} {
		buf := readCorpus(t, c.file)
		var prevW int
		for _, z := range []float64{0, 0.5, 1} {
			opts := spec.Options{Width: c.w, Height: c.h, Fit: spec.FitCover, Gravity: spec.Gravity{Kind: spec.GravityFace}, Zoom: z}
			d, err := r.Describe(context.Background(), Original{Data: buf}, opts, "")
			if err != nil {
				t.Fatal(err)
			}
			if d.FocusedBy != "faces" || d.Crop == nil {
				t.Fatalf("%s zoom=%v: focused by %q, crop %v", c.file, z, d.FocusedBy, d.Crop)
			}
			if d.Output.Width != c.w || d.Output.Height != c.h {
				t.Errorf("%s zoom=%v: output %dx%d, want %dx%d", c.file, z, d.Output.Width, d.Output.Height, c.w, c.h)
			}
			boxes := l.Photos[c.file]
			if whole := wholeFaces(d.Crop, boxes); whole < mostWholeFaces(boxes, d.Width, d.Height, d.Crop.Width, d.Crop.Height) && z == 0 {
				t.Errorf("%s zoom=0 keeps %d faces whole", c.file, whole)
			}
			if z > 0 && d.Crop.Width >= prevW {
				t.Errorf("%s zoom=%v: crop %d px wide, not narrower than %d at the lower zoom", c.file, z, d.Crop.Width, prevW)
			}
			if z == 1 && wholeFaces(d.Crop, boxes) == 0 {
				t.Errorf("%s zoom=1: crop %+v keeps no labelled face whole", c.file, *d.Crop)
			}
			t.Logf("%s %dx%d zoom=%v: crop %+v", c.file, c.w, c.h, z, *d.Crop)
			prevW = d.Crop.Width
		}
		res, err := r.Render(context.Background(), Original{Data: buf}, spec.Options{Width: c.w, Height: c.h, Fit: spec.FitCover,
			Gravity: spec.Gravity{Kind: spec.GravityFace}, Zoom: 1, Format: spec.FormatJPEG}, "")
		if err != nil {
			t.Fatal(err)
		}
		img, err := vips.NewImageFromBuffer(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if img.Width() != c.w || img.Height() != c.h {
			t.Errorf("%s zoom=1 rendered %dx%d, want %dx%d", c.file, img.Width(), img.Height(), c.w, c.h)
		}
		img.Close()
	}
}
