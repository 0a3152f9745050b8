package server_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmill/pixmill/presets"
)

// peakRSSBound is what the whole-corpus run may reach, in kB of VmHWM for
// the test process (server and client together). The 839 MP PNG, the
// 50000x50000 headers and the decompression bombs must be refused from their
// headers, not decoded: decoding any one of them would take gigabytes.
const peakRSSBound = 1 << 20 // 1 GiB

// TestWholeCorpus sends every file under the corpus, hostile ones included,
// through the real server with a few transforms: each answer is a 200 with a
// decodable image or a 4xx, within the request deadline; never a 5xx; the
// server stays up and its memory stays bounded.
func TestWholeCorpus(t *testing.T) {
	dir := corpusDir(t)
	s := startServer(t, `
source: { url: "file://`+dir+`" }
signing: { keys: ["`+testKey+`"] }
limits: { request_timeout: 20s }
cache: { max_bytes: 0 }
`)
	transforms := []string{"w=200,f=webp", "w=300,h=300,fit=cover,g=auto,f=jpeg", "f=json", "w=100,f=png"}
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && d.Name() != "MANIFEST.tsv" {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if len(files) < 100 {
		t.Fatalf("found only %d corpus files", len(files))
	}
	byStatus := map[int]int{}
	for _, f := range files {
		for _, tr := range transforms {
			path := s.sign(t, "/"+tr+"/"+presets.EscapeKey(f))
			start := time.Now()
			resp, body := s.get(t, path)
			took := time.Since(start)
			byStatus[resp.StatusCode]++
			switch {
			case resp.StatusCode >= 500:
				t.Errorf("%s %s: %d %q", f, tr, resp.StatusCode, body)
			case resp.StatusCode == 200 && tr != "f=json":
				if sniff(body) != resp.Header.Get("Content-Type") {
					t.Errorf("%s %s: body is %s, Content-Type %s", f, tr, sniff(body), resp.Header.Get("Content-Type"))
				}
				imageSize(t, body)
			case resp.StatusCode != 200 && (resp.StatusCode < 400 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8"):
				t.Errorf("%s %s: %d with Content-Type %q", f, tr, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if took > 20*time.Second {
				t.Errorf("%s %s: %v, over the request deadline", f, tr, took)
			}
			if strings.HasPrefix(f, "hostile/") && testing.Verbose() {
				t.Logf("%-50s %-40s %d %6.0fms %s", f, tr, resp.StatusCode, took.Seconds()*1000, strings.TrimSpace(string(body[:min(len(body), 80)])))
			}
		}
	}
	if resp, _ := s.get(t, "/healthz"); resp.StatusCode != 200 {
		t.Fatal("server not healthy after the corpus")
	}
	peak := peakRSSkB(t)
	t.Logf("%d files x %d transforms: statuses %v; peak RSS %d MiB (bound %d MiB)", len(files), len(transforms), byStatus, peak>>10, peakRSSBound>>10)
	if peak > peakRSSBound {
		t.Errorf("peak RSS %d kB over the bound of %d kB", peak, peakRSSBound)
	}
}

func peakRSSkB(t testing.TB) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// TestSVGNeverReachesOut: with SVG allowed, documents that point at a file
// or at an HTTP server on loopback are refused, and the server they point
// at is never contacted; a self-contained SVG renders.
func TestSVGNeverReachesOut(t *testing.T) {
	var hits atomic.Int64
	recorder := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
	}))
	defer recorder.Close()
	dir := t.TempDir()
	const head = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">`
	files := map[string]string{
		"href.svg":     head + `<image width="64" height="64" xlink:href="` + recorder.URL + `/img.png"/></svg>`,
		"css.svg":      head + `<rect width="64" height="64" style="fill:url(` + recorder.URL + `/f.svg#p)"/></svg>`,
		"import.svg":   head + `<style>@import url(` + recorder.URL + `/s.css);</style></svg>`,
		"entity.svg":   `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY e SYSTEM "` + recorder.URL + `/e.xml">]>` + head + `<text>&e;</text></svg>`,
		"xinclude.svg": head + `<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="` + recorder.URL + `/x.xml"/></svg>`,
		"file.svg":     head + `<image width="64" height="64" href="file:///etc/hostname"/></svg>`,
		"ok.svg":       head + `<rect width="64" height="64" fill="#c00"/></svg>`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	corpus := corpusDir(t)
	for _, f := range []string{"svg_xxe_file_entity.svg", "svg_external_href.svg", "svg_script_onload.svg", "bomb_svg_billion_laughs.svg", "bomb_svg_canvas_100000x100000.svg"} {
		b, err := os.ReadFile(filepath.Join(corpus, "hostile", f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, `
source: { url: "file://`+dir+`" }
signing: { keys: ["`+testKey+`"] }
formats: { inputs: [jpeg, png, webp, gif, svg] }
`)
	for name := range files {
		resp, body := s.get(t, s.sign(t, "/w=64,f=png/"+name))
		switch {
		case name == "ok.svg":
			if resp.StatusCode != 200 {
				t.Errorf("%s: %d %q, want 200", name, resp.StatusCode, body)
			}
		case resp.StatusCode != 415 && resp.StatusCode != 413:
			t.Errorf("%s: %d %q, want 415 (or 413 for the huge canvas)", name, resp.StatusCode, body)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server was contacted %d times because of an SVG", n)
	}
}
