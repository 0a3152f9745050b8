// Command load drives a pixmill server on loopback, bounded in time and
// count, and reports what it served and what it cost:
//
//	go run ./bench/load -mode overload   # capacity, then 4x capacity open-loop
//	go run ./bench/load -mode soak       # 5 minutes of mixed traffic, RSS every 5 s
//
// It builds nothing: it starts ./bin/pixmill (make build) with a config it
// writes, over ../shared/corpus (the soak over a copy of it with the crafted
// files of internal/hostile added under crafted/), and stops it at the end. Every request goes
// to 127.0.0.1. The benchmark suite with the libvips floor and the report
// is bench/suite; both use bench/internal/harness.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pixmill/pixmill/bench/internal/harness"
	"github.com/pixmill/pixmill/internal/hostile"
	"github.com/pixmill/pixmill/presets"
)

func main() {
	mode := flag.String("mode", "overload", "overload or soak")
	bin := flag.String("bin", "bin/pixmill", "pixmill binary")
	corpus := flag.String("corpus", "../shared/corpus", "corpus directory")
	factor := flag.Float64("factor", 4, "overload: offered load as a multiple of measured capacity")
	phase := flag.Duration("phase", 30*time.Second, "overload: length of the overload phase")
	soakFor := flag.Duration("soak", 5*time.Minute, "soak: length")
	sample := flag.Duration("sample", 5*time.Second, "soak: RSS sampling interval")
	env := flag.String("env", "", "extra environment for the server, e.g. MALLOC_ARENA_MAX=2")
	out := flag.String("out", "", "write the JSON report here")
	flag.Parse()

	abs, err := filepath.Abs(*corpus)
	if err != nil {
		log.Fatal(err)
	}
	start := func(extra string) *harness.Process {
		p, err := harness.StartPixmill(*bin, abs, "log: { level: warn }\n"+extra, strings.Fields(*env)...)
		if err != nil {
			log.Fatal(err)
		}
		return p
	}
	var report any
	switch *mode {
	case "overload":
		srv := start("cache: { max_bytes: 0 }\nlimits: { queue: 16, queue_timeout: 2s, request_timeout: 20s }")
		defer srv.Stop()
		report = overload(srv, missPaths(abs), *factor, *phase)
	case "soak":
		dir, err := soakCorpus(abs)
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		abs = dir
		srv := start("cache: { max_bytes: 268435456 }\nlimits: { queue: 32, queue_timeout: 2s, request_timeout: 20s }")
		defer srv.Stop()
		report = soak(srv, mixedPaths(abs), *soakFor, *sample)
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
	b, _ := json.MarshalIndent(report, "", "  ")
	fmt.Println(string(b))
	if *out != "" {
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func sign(path string) string {
	return "/" + presets.Signature([]byte(harness.PixmillKey), path, 16) + path
}

// missPaths are renders of real photos at web sizes, each URL distinct (the
// width steps by 2 px) so that nothing coalesces: the miss path.
func missPaths(corpus string) []string {
	var out []string
	photos, _ := filepath.Glob(filepath.Join(corpus, "photos", "*.jpg"))
	for w := 300; w < 900; w += 2 {
		for i, p := range photos {
			rel, _ := filepath.Rel(corpus, p)
			tr := []string{"f=webp", "f=jpeg", "h=300,fit=cover,f=webp", "f=jpeg,q=70"}[(i+w/2)%4]
			out = append(out, sign("/w="+strconv.Itoa(w)+","+tr+"/"+presets.EscapeKey(filepath.ToSlash(rel))))
		}
	}
	return out
}

// mixedPaths mixes formats, sizes, hostile files, hits (a small hot set
// repeated) and misses.
func mixedPaths(corpus string) []string {
	var out []string
	add := func(glob string, trs ...string) {
		files, _ := filepath.Glob(filepath.Join(corpus, glob))
		for _, f := range files {
			rel, _ := filepath.Rel(corpus, f)
			for _, tr := range trs {
				out = append(out, sign("/"+tr+"/"+presets.EscapeKey(filepath.ToSlash(rel))))
			}
		}
	}
	add("photos/*.jpg", "w=320,f=webp", "w=640,f=jpeg", "w=200,h=200,fit=cover,g=auto,f=avif", "w=1024,f=webp")
	add("faces/*", "w=400,h=400,fit=cover,g=face,f=webp", "w=300,f=png")
	add("formats/*", "w=300,f=webp", "w=200,f=auto")
	add("hostile/*", "w=200,f=webp")
	// The crafted attacks (issue 9): chunk bombs, huge animated outputs,
	// files that fail inside the encoder, with metadata kept and not.
	add("crafted/*", "w=200,f=webp", "w=400,dpr=4,f=webp", "w=300,metadata=keep,f=webp", "w=1000,h=31,fit=squeeze,blur=250,f=webp")
	hot := out[:8]
	for range 4 {
		out = append(out, hot...)
	}
	return out
}

// soakCorpus copies the parts of the corpus the soak reads into a temporary
// folder and writes every crafted hostile file into its crafted/ folder.
// (A copy, not symlinks: the server refuses links that leave its bucket.)
func soakCorpus(corpus string) (string, error) {
	dir, err := os.MkdirTemp("", "pixmill-soak-")
	if err != nil {
		return "", err
	}
	for _, sub := range []string{"photos", "faces", "formats", "hostile"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(corpus, sub))); err != nil {
			return "", err
		}
	}
	crafted := filepath.Join(dir, "crafted")
	if err := os.Mkdir(crafted, 0o755); err != nil {
		return "", err
	}
	for _, f := range hostile.All() {
		if err := os.WriteFile(filepath.Join(crafted, f.Name), f.Make(), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

type stats struct {
	Requests   int            `json:"requests"`
	PerSecond  float64        `json:"served_per_second"`
	P50ms      float64        `json:"p50_ms_served"`
	P99ms      float64        `json:"p99_ms_served"`
	Statuses   map[string]int `json:"statuses"`
	Share503   float64        `json:"share_503"`
	ServedOK   int            `json:"served_200"`
	Dropped    int            `json:"dropped_by_generator,omitempty"`
	PeakRSSMiB float64        `json:"peak_rss_mib"`
}

func summarize(rs []harness.Result, d time.Duration, peak float64) stats {
	c := harness.Tally(rs)
	st := stats{Requests: len(rs), Statuses: c.Statuses, PeakRSSMiB: peak, ServedOK: c.OK}
	st.PerSecond = float64(c.OK) / d.Seconds()
	if len(rs) > 0 {
		st.Share503 = float64(st.Statuses["503"]) / float64(len(rs))
	}
	lat := harness.Summarize(c.Durations())
	st.P50ms, st.P99ms = lat.P50, lat.P99
	return st
}

func overload(s *harness.Process, paths []string, factor float64, phase time.Duration) any {
	const warm = 15 * time.Second
	do := harness.HTTP(s.Base)
	capacityRun, elapsed := harness.For(do, paths, 4, warm)
	capacity := summarize(capacityRun, elapsed, s.Memory().HWM)
	rate := capacity.PerSecond * factor
	log.Printf("capacity %.1f req/s; offering %.1f req/s for %v", capacity.PerSecond, rate, phase)
	over, dropped, elapsed := harness.Rate(do, paths, rate, phase, 512)
	overStats := summarize(over, elapsed, s.Memory().HWM)
	overStats.Dropped = dropped
	// Right after the load: does it serve normally at once?
	time.Sleep(500 * time.Millisecond)
	after, elapsed := harness.For(do, paths, 1, 5*time.Second)
	afterStats := summarize(after, elapsed, s.Memory().HWM)
	return map[string]any{
		"capacity_closed_loop_4_clients": capacity,
		"overload":                       overStats,
		"offered_per_second":             rate,
		"after_load_1_client":            afterStats,
		"process_alive":                  s.Alive(),
	}
}

type rssPoint struct {
	T      float64 `json:"t_s"`
	RSSMiB float64 `json:"rss_mib"`
	Served int     `json:"served"`
}

func soak(s *harness.Process, paths []string, d, every time.Duration) any {
	var served atomic.Int64
	var mu sync.Mutex
	counts := map[string]int64{}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var curve []rssPoint
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				curve = append(curve, rssPoint{time.Since(start).Seconds(), s.Memory().RSS, int(served.Load())})
			}
		}
	}()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 3 { // three clients: more than the two cores, so the queue is used
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				r := harness.Get(s.Base+paths[int(next.Add(7919))%len(paths)], time.Now())
				served.Add(1)
				mu.Lock()
				counts[strconv.Itoa(r.Status)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	<-done
	var atMinute, last float64
	for _, p := range curve {
		if atMinute == 0 && p.T >= 60 {
			atMinute = p.RSSMiB
		}
		last = p.RSSMiB
	}
	growth := 0.0
	if atMinute > 0 {
		growth = (last - atMinute) / atMinute
	}
	return map[string]any{
		"duration_s":             d.Seconds(),
		"requests":               served.Load(),
		"statuses":               counts,
		"rss_at_1min_mib":        atMinute,
		"rss_at_end_mib":         last,
		"growth_after_first_min": growth,
		"peak_rss_mib":           s.Memory().HWM,
		"process_alive":          s.Alive(),
		"curve":                  curve,
	}
}
