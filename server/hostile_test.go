package server_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
