// Command load drives a pixmill server on loopback, bounded in time and
// count, and reports what it served and what it cost:
//
//	go run ./bench/load -mode overload   # capacity, then 4x capacity open-loop
//	go run ./bench/load -mode soak       # 5 minutes of mixed traffic, RSS every 5 s
//
// It builds nothing: it starts ./bin/pixmill (make build) with a config it
// writes, over ../shared/corpus, and stops it at the end. Every request goes
// to 127.0.0.1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pixmill/pixmill/presets"
)

const key = "load-test-signing-key-000001"

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
	var report any
	switch *mode {
	case "overload":
		srv := start(*bin, abs, "cache: { max_bytes: 0 }\nlimits: { queue: 16, queue_timeout: 2s, request_timeout: 20s }", *env)
		defer srv.stop()
		report = overload(srv, missPaths(abs), *factor, *phase)
	case "soak":
		srv := start(*bin, abs, "cache: { max_bytes: 268435456 }\nlimits: { queue: 32, queue_timeout: 2s, request_timeout: 20s }", *env)
		defer srv.stop()
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

// server is a running pixmill process.
type server struct {
	cmd  *exec.Cmd
	base string
}

func start(bin, corpus, extra, env string) *server {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := filepath.Join(os.TempDir(), "pixmill-load-"+strconv.Itoa(os.Getpid())+".yaml")
	body := fmt.Sprintf("listen: %q\nmetrics_listen: \"\"\nsource: { url: \"file://%s\" }\nsigning: { keys: [%q] }\nlog: { level: warn }\n%s\n", addr, corpus, key, extra)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfg)
	cmd.Stderr = os.Stderr
	cmd.Env = os.Environ()
	if env != "" {
		cmd.Env = append(cmd.Env, strings.Fields(env)...)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	s := &server{cmd: cmd, base: "http://" + addr}
	for i := 0; ; i++ {
		if resp, err := http.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			log.Fatal("server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
}

// alive reports whether the process still runs (not OOM-killed).
func (s *server) alive() bool {
	return s.cmd.ProcessState == nil && s.cmd.Process.Signal(syscallZero) == nil
}

// rss reads VmRSS and VmHWM in MiB.
func (s *server) rss() (cur, peak float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = v / 1024
		case "VmHWM:":
			peak = v / 1024
		}
	}
	return cur, peak
}

func sign(path string) string { return "/" + presets.Signature([]byte(key), path, 16) + path }

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
	hot := out[:8]
	for range 4 {
		out = append(out, hot...)
	}
	return out
}

type result struct {
	status int
	dur    time.Duration
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 512}, Timeout: 30 * time.Second}

func do(base, path string) result {
	start := time.Now()
	resp, err := client.Get(base + path)
	if err != nil {
		return result{status: 0, dur: time.Since(start)}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return result{status: resp.StatusCode, dur: time.Since(start)}
}

// closedLoop runs workers that each send the next request when the last
// answered, for d: the capacity.
func closedLoop(s *server, paths []string, workers int, d time.Duration) []result {
	var mu sync.Mutex
	var all []result
	var next atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				r := do(s.base, paths[int(next.Add(1))%len(paths)])
				mu.Lock()
				all = append(all, r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return all
}

// openLoop offers rate requests per second for d regardless of answers, with
// at most maxInflight outstanding (beyond that, arrivals are dropped and
// counted): a fixed-rate generator that cannot run away.
func openLoop(s *server, paths []string, rate float64, d time.Duration, maxInflight int) (all []result, dropped int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxInflight)
	interval := time.Duration(float64(time.Second) / rate)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	end := time.After(d)
	for i := 0; ; i++ {
		select {
		case <-end:
			wg.Wait()
			return all, dropped
		case <-ticker.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			dropped++
			continue
		}
		wg.Add(1)
		go func(p string) {
			defer wg.Done()
			r := do(s.base, p)
			<-sem
			mu.Lock()
			all = append(all, r)
			mu.Unlock()
		}(paths[i%len(paths)])
	}
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

func summarize(rs []result, d time.Duration, peak float64) stats {
	st := stats{Requests: len(rs), Statuses: map[string]int{}, PeakRSSMiB: peak}
	var served []time.Duration
	for _, r := range rs {
		st.Statuses[strconv.Itoa(r.status)]++
		if r.status == 200 {
			served = append(served, r.dur)
		}
	}
	st.ServedOK = len(served)
	st.PerSecond = float64(len(served)) / d.Seconds()
	if len(rs) > 0 {
		st.Share503 = float64(st.Statuses["503"]) / float64(len(rs))
	}
	sort.Slice(served, func(i, j int) bool { return served[i] < served[j] })
	if n := len(served); n > 0 {
		st.P50ms = float64(served[n/2]) / 1e6
		st.P99ms = float64(served[min(n-1, n*99/100)]) / 1e6
	}
	return st
}

func overload(s *server, paths []string, factor float64, phase time.Duration) any {
	const warm = 15 * time.Second
	capacityRun := closedLoop(s, paths, 4, warm)
	_, peak := s.rss()
	capacity := summarize(capacityRun, warm, peak)
	rate := capacity.PerSecond * factor
	log.Printf("capacity %.1f req/s; offering %.1f req/s for %v", capacity.PerSecond, rate, phase)
	over, dropped := openLoop(s, paths, rate, phase, 512)
	_, peak = s.rss()
	overStats := summarize(over, phase, peak)
	overStats.Dropped = dropped
	// Right after the load: does it serve normally at once?
	time.Sleep(500 * time.Millisecond)
	after := closedLoop(s, paths, 1, 5*time.Second)
	_, peak = s.rss()
	afterStats := summarize(after, 5*time.Second, peak)
	return map[string]any{
		"capacity_closed_loop_4_clients": capacity,
		"overload":                       overStats,
		"offered_per_second":             rate,
		"after_load_1_client":            afterStats,
		"process_alive":                  s.alive(),
	}
}

type rssPoint struct {
	T      float64 `json:"t_s"`
	RSSMiB float64 `json:"rss_mib"`
	Served int     `json:"served"`
}

func soak(s *server, paths []string, d, every time.Duration) any {
	var served atomic.Int64
	var statuses sync.Map
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
				cur, _ := s.rss()
				curve = append(curve, rssPoint{time.Since(start).Seconds(), cur, int(served.Load())})
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
				r := do(s.base, paths[int(next.Add(7919))%len(paths)])
				served.Add(1)
				v, _ := statuses.LoadOrStore(r.status, new(atomic.Int64))
				v.(*atomic.Int64).Add(1)
			}
		}()
	}
	wg.Wait()
	<-done
	counts := map[string]int64{}
	statuses.Range(func(k, v any) bool { counts[strconv.Itoa(k.(int))] = v.(*atomic.Int64).Load(); return true })
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
	_, peak := s.rss()
	return map[string]any{
		"duration_s":             d.Seconds(),
		"requests":               served.Load(),
		"statuses":               counts,
		"rss_at_1min_mib":        atMinute,
		"rss_at_end_mib":         last,
		"growth_after_first_min": growth,
		"peak_rss_mib":           peak,
		"process_alive":          s.alive(),
		"curve":                  curve,
	}
}
