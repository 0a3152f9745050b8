package server_test

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/presets"
)

// manifestEntry is one row of the corpus MANIFEST.tsv.
type manifestEntry struct {
	Path          string
	Format        string
	Width, Height int // as stored, before orientation
	Notes         string
}

func readManifest(t testing.TB, dir string) []manifestEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []manifestEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 5 {
			continue
		}
		e := manifestEntry{Path: cols[0], Format: cols[2], Notes: cols[4]}
		if w, h, ok := strings.Cut(cols[3], "x"); ok {
			e.Width, _ = strconv.Atoi(strings.TrimSpace(w))
			e.Height, _ = strconv.Atoi(strings.TrimSpace(h))
		}
		out = append(out, e)
	}
	return out
}

var orientationNote = regexp.MustCompile(`EXIF orientation ([1-8])`)

// orientedSize is the size a viewer shows: EXIF orientations 5-8 swap sides.
func (e manifestEntry) orientedSize() (int, int) {
	if m := orientationNote.FindStringSubmatch(e.Notes); m != nil && m[1] >= "5" {
		return e.Height, e.Width
	}
	return e.Width, e.Height
}

// decodable is what the manifest says libvips 8.14 can read, less the
// formats pixmill refuses by policy (SVG).
func (e manifestEntry) decodable() bool {
	return !strings.Contains(e.Format, "not decodable") && e.Format != "SVG"
}

// TestCorpusOverHTTP sends every photo and format file of the corpus through
// the real server with three transforms and checks the dimensions (with
// orientation applied), that the output decodes, and its Content-Type; files
// libvips cannot read, and SVG, must get their defined 4xx.
func TestCorpusOverHTTP(t *testing.T) {
	dir := corpusDir(t)
	s := startServer(t, `
source: { url: "file://`+dir+`" }
signing: { keys: ["`+testKey+`"] }
limits: { request_timeout: 60s }
`)
	transforms := []struct {
		transform string
		wantType  string
		size      func(ow, oh int) (int, int)
	}{
		{"w=400,f=webp", "image/webp", scaleDownToWidth(400)},
		{"w=400,h=400,fit=cover,f=avif", "image/avif", func(int, int) (int, int) { return 400, 400 }},
		{"w=400,f=jpeg", "image/jpeg", scaleDownToWidth(400)},
	}
	dirs := []string{"photos/", "faces/", "formats/", "orientation/", "icc/"}
	var checked int
	for _, e := range readManifest(t, dir) {
		if !hasAnyPrefix(e.Path, dirs) {
			continue
		}
		for _, tr := range transforms {
			e, tr := e, tr
			t.Run(e.Path+"/"+tr.transform, func(t *testing.T) {
				checked++
				path := s.sign(t, "/"+tr.transform+"/"+presets.EscapeKey(e.Path))
				resp, body := s.get(t, path)
				if !e.decodable() {
					if resp.StatusCode != 415 && resp.StatusCode != 422 {
						t.Fatalf("%s (%s): status %d %q, want 415 or 422", e.Path, e.Format, resp.StatusCode, body)
					}
					return
				}
				if resp.StatusCode != 200 {
					t.Fatalf("%s: status %d %q, want 200", e.Path, resp.StatusCode, body)
				}
				if got := resp.Header.Get("Content-Type"); got != tr.wantType {
					t.Errorf("%s: Content-Type %q, want %q", e.Path, got, tr.wantType)
				}
				if got := sniff(body); got != tr.wantType {
					t.Errorf("%s: body is %s, want %s", e.Path, got, tr.wantType)
				}
				ow, oh := e.orientedSize()
				ww, wh := tr.size(ow, oh)
				gw, gh := imageSize(t, body)
				if gw != ww || gh != wh {
					t.Errorf("%s: output %dx%d, want %dx%d (oriented source %dx%d)", e.Path, gw, gh, ww, wh, ow, oh)
				}
			})
		}
	}
	if checked < 150 {
		t.Errorf("only %d corpus cases ran; is the manifest complete?", checked)
	}
}

func scaleDownToWidth(w int) func(ow, oh int) (int, int) {
	return func(ow, oh int) (int, int) {
		if ow <= w {
			return ow, oh
		}
		return w, int(math.Round(float64(w) * float64(oh) / float64(ow)))
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
