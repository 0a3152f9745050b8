package main

import (
	"fmt"
	"strconv"

	"github.com/pixmill/pixmill/bench/internal/harness"
	"github.com/pixmill/pixmill/presets"
)

// Op is one image operation: a corpus photo fit within Width×Height (Height
// 0: Width wide, any height), never enlarged, encoded as Format at Quality
// (0: the server's default). The same Op becomes a pixmill URL, a floor
// render and a peer's URL.
type Op struct {
	Key     string `json:"key"`
	Width   int    `json:"width"`
	Height  int    `json:"height,omitempty"`
	Format  string `json:"format"`
	Quality int    `json:"quality,omitempty"`
}

func (o Op) String() string {
	return fmt.Sprintf("%s %dx%d %s q%d", o.Key, o.Width, o.Height, o.Format, o.Quality)
}

// pixmillPath is the signed pixmill URL path for o.
func (o Op) pixmillPath() string {
	tr := "w=" + strconv.Itoa(o.Width)
	if o.Height > 0 {
		tr += ",h=" + strconv.Itoa(o.Height) + ",fit=scale-down"
	}
	tr += ",f=" + o.Format
	if o.Quality > 0 {
		// The encoder's own quality, as the floor and the peers use it,
		// not the one scale's (docs/url.md).
		tr += ",q=" + o.Format + ":" + strconv.Itoa(o.Quality)
	}
	p := "/" + tr + "/" + presets.EscapeKey(o.Key)
	return "/" + presets.Signature([]byte(harness.PixmillKey), p, 16) + p
}

// The reference scenario's qualities: imgproxy's published benchmark uses
// JPEG q80, WebP q75 and AVIF q63; PNG keeps the server's default (lossless).
var formatQuality = []struct {
	Format  string
	Quality int
}{{"jpeg", 80}, {"webp", 75}, {"avif", 63}, {"png", 0}}

// Photos are the corpus's 12–24 MP photos and its 2560x1600 ones (4.1 MP),
// as two workers' lists of equal weight: each list holds two large and two
// medium photos, so that neither worker waits long for the other.
var photos = [2][]string{
	{"photos/kleiber_bird_20mp.jpg", "photos/sunset_12mp_progressive.jpg", "photos/evening_glow_boats.jpg", "photos/object_colorful_cups_progressive.jpg"},
	{"photos/milkyway_vertical_24mp.jpg", "photos/dragonfly_tree_13mp_progressive.jpg", "photos/forest_path.jpg", "photos/ladybird_macro.jpg"},
}

// allPhotos is both lists, alternating large and medium.
func allPhotos() []string {
	var out []string
	for i := range photos[0] {
		out = append(out, photos[0][i], photos[1][i])
	}
	return out
}

// missOps is the miss path of one format: every photo fit within 512x512.
func missOps(format string, q int) [][]Op {
	out := make([][]Op, len(photos))
	for w, list := range photos {
		for _, k := range list {
			out[w] = append(out[w], Op{Key: k, Width: 512, Height: 512, Format: format, Quality: q})
		}
	}
	return out
}

// ladderSource and ladderWidths are the srcset scenario: one 12 MP photo at
// the hero preset's six widths, as WebP. The two workers share the widths
// so that each list costs about the same.
const ladderSource = "photos/sunset_12mp_progressive.jpg"

var ladderWidths = [2][]int{{320, 1280, 1600}, {640, 960, 1920}}

func ladderOps() [][]Op {
	out := make([][]Op, len(ladderWidths))
	for w, widths := range ladderWidths {
		for _, width := range widths {
			out[w] = append(out[w], Op{Key: ladderSource, Width: width, Format: "webp", Quality: 75})
		}
	}
	return out
}

// rateOps are the fixed-rate scenario's requests: the JPEG miss path over
// every photo at four box sizes, 32 distinct URLs, so that at the rates
// measured no two requests for the same URL are in flight at once (the
// server would coalesce them). The sizes differ by a few pixels only.
func rateOps() []Op {
	var out []Op
	for _, box := range []int{512, 510, 508, 506} {
		for _, k := range allPhotos() {
			out = append(out, Op{Key: k, Width: box, Height: box, Format: "jpeg", Quality: 80})
		}
	}
	return out
}

// coalesceOps are the cold URLs of the coalescing scenario, one burst each.
func coalesceOps() []Op {
	var out []Op
	for _, k := range allPhotos() {
		out = append(out, Op{Key: k, Width: 512, Height: 512, Format: "webp", Quality: 75})
	}
	return out
}

func flatten(ops [][]Op) []Op {
	var out []Op
	for _, l := range ops {
		out = append(out, l...)
	}
	return out
}

// paths maps ops through a URL mapping.
func paths(ops []Op, url func(Op) string) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = url(o)
	}
	return out
}

func pathLists(ops [][]Op, url func(Op) string) [][]string {
	out := make([][]string, len(ops))
	for i, l := range ops {
		out[i] = paths(l, url)
	}
	return out
}
