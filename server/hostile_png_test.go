package server_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/hostile"
)

// hostilePNGServer writes issue 9's crafted PNGs (classes 1 and 2) into a
// folder and serves it with four render slots, no result cache (every
// request renders) and the shipped public thumb preset.
func hostilePNGServer(t *testing.T) (*testServer, []hostile.File) {
	t.Helper()
	dir := t.TempDir()
	files := append(hostile.Class("png-chunk-length"), hostile.Class("png-text-bomb")...)
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Make(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, `
source: { url: "file://`+dir+`" }
signing: { keys: ["`+testKey+`"] }
limits: { concurrency: 4, request_timeout: 20s }
cache: { max_bytes: 0 }
presets:
  thumb: { transform: "w=200,h=200,fit=cover,g=auto,f=auto", widths: [100, 200, 400], public: true }
`)
	return s, files
}

// TestHostilePNGChunks: every crafted PNG, through the public thumb preset,
// f=json and a metadata-keeping render, is answered within 2 s with a 4xx
// or a 200. The chunk-length files are refused (422) before libvips reads
// them; the text bombs lose their text and render, as does the ordinary
// file with a hundred small text chunks.
func TestHostilePNGChunks(t *testing.T) {
	s, files := hostilePNGServer(t)
	for _, f := range files {
		for _, path := range []string{
			"/_/thumb/" + f.Name,
			s.sign(t, "/f=json/"+f.Name),
			s.sign(t, "/w=100,f=png,metadata=keep/"+f.Name),
		} {
			rss := watchRSS(t)
			start := time.Now()
			resp, body := s.get(t, path)
			took := time.Since(start)
			grew := rss.stop() - rss.base
			t.Logf("%-32s %-28s %d %6.0f ms, RSS +%4d MiB", f.Name, strings.TrimSuffix(path[strings.LastIndex(path[:len(path)-len(f.Name)-1], "/")+1:], f.Name), resp.StatusCode, took.Seconds()*1000, grew>>10)
			if took > 2*time.Second {
				t.Errorf("%s %s: answered in %v, over 2 s", f.Name, path, took)
			}
			if want := wantPNGStatus(f.Name); resp.StatusCode != want {
				t.Errorf("%s %s: %d %.80q, want %d", f.Name, path, resp.StatusCode, body, want)
			}
		}
	}
}

// wantPNGStatus: a chunk that declares more than the file has is refused;
// a text bomb loses its text and renders.
func wantPNGStatus(name string) int {
	if strings.HasPrefix(name, "png_chunklen_") {
		return 422
	}
	return 200
}

// TestPNGChunkBombsAtOnce sends four chunk-length bombs at once to four
// render slots, then the four text bombs: the process grows by less than
// 512 MiB. Unwalked, each chunk bomb alone makes libpng allocate 1.1 GB.
func TestPNGChunkBombsAtOnce(t *testing.T) {
	s, _ := hostilePNGServer(t)
	rounds := [][]string{
		{"png_chunklen_tEXt_1gib.png", "png_chunklen_zTXt_1gib.png", "png_chunklen_iTXt_1gib.png", "png_chunklen_sPLT_1gib.png"},
		{"png_ztxt_bomb_10x64mib.png", "png_ztxt_bomb_50x64mib.png", "png_itxt_bomb_10x64mib.png", "png_exif_16mib.png"},
	}
	peak := watchRSS(t)
	base := peak.base
	for _, names := range rounds {
		var wg sync.WaitGroup
		for _, name := range names {
			wg.Go(func() {
				// Not s.get: it may call t.Fatal, which only the test's
				// own goroutine may.
				start := time.Now()
				resp, err := http.Get(s.URL + "/_/thumb/" + name)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				took := time.Since(start)
				t.Logf("%-32s %d in %v", name, resp.StatusCode, took.Round(time.Millisecond))
				if want := wantPNGStatus(name); resp.StatusCode != want || took > 2*time.Second {
					t.Errorf("%s: %d %.80q in %v, want %d within 2 s", name, resp.StatusCode, body, took, want)
				}
			})
		}
		wg.Wait()
	}
	grew := peak.stop() - base
	t.Logf("RSS before %d MiB, peak growth %d MiB (bound 512 MiB)", base>>10, grew>>10)
	if grew > 512<<10 {
		t.Errorf("RSS grew by %d MiB while serving the bombs, over 512 MiB", grew>>10)
	}
}

// rssWatch samples the process's resident set every 5 ms. The kernel's own
// high-water mark (VmHWM) is used too where it can be reset, since a
// sampler can miss a short peak.
type rssWatch struct {
	base     int // kB when the watch began
	hwmReset bool
	max      atomic.Int64
	done     chan struct{}
	wg       sync.WaitGroup
}

func watchRSS(t *testing.T) *rssWatch {
	t.Helper()
	w := &rssWatch{done: make(chan struct{})}
	// "5" resets VmHWM to the current RSS (Linux 4.0 and later).
	w.hwmReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	w.base = procStatuskB(t, "VmRSS")
	w.max.Store(int64(w.base))
	w.wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-tick.C:
				if v := int64(procStatuskB(nil, "VmRSS")); v > w.max.Load() {
					w.max.Store(v)
				}
			}
		}
	})
	return w
}

// stop ends the watch and returns the peak, in kB.
func (w *rssWatch) stop() int {
	close(w.done)
	w.wg.Wait()
	peak := int(w.max.Load())
	if w.hwmReset {
		peak = max(peak, procStatuskB(nil, "VmHWM"))
	}
	return peak
}

// procStatuskB reads one kB field of /proc/self/status; t nil (off the
// test's goroutine) reads 0 where there is none.
func procStatuskB(t testing.TB, field string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		if t != nil {
			t.Skip("no /proc/self/status")
		}
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}
