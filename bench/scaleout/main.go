// Command scaleout measures the shared tier: a srcset burst (the same 6
// widths of 100 photos, each URL asked once through every replica, as
// three CDN edges would) against 1 replica, 3 replicas without the shared
// tier, and 3 replicas with it (cache.peers, static list, loopback):
//
//	make build && go run ./bench/scaleout -out /tmp/scaleout.json
//	go run ./bench/scaleout -peer-timeout 5s   # the shared tier with a longer owner timeout
//
// It reports requests/s, renders (the replicas' pixmill_renders_total
// summed), the X-Cache answers, hit ratios per tier from the replicas'
// metrics, and the latency of lookups to a variant's owner (p50/p99 from
// pixmill_peer_duration_seconds, interpolated in its buckets as
// histogram_quantile does, and from the client for PEER answers).
//
// The 100 originals are made first, by the first configuration's server
// itself: 1200 px JPEG crops of the corpus photos at 100 aspect ratios, so
// that every original is distinct and a render costs milliseconds, not the
// second a 20 MP decode takes. Every request goes to 127.0.0.1.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pixmill/pixmill/bench/internal/harness"
	"github.com/pixmill/pixmill/presets"
)

var widths = []int{160, 320, 480, 640, 960, 1200}

func main() {
	bin := flag.String("bin", "bin/pixmill", "pixmill binary")
	corpus := flag.String("corpus", "../shared/corpus", "corpus directory (its photos/ are cropped into the originals)")
	photos := flag.Int("photos", 100, "originals")
	workers := flag.Int("workers", 12, "concurrent clients")
	runs := flag.Int("runs", 1, "repetitions of each configuration (the report keeps each)")
	peerTimeout := flag.Duration("peer-timeout", 2*time.Second, "cache.peers.timeout of the shared-tier configuration")
	out := flag.String("out", "", "write the JSON report here")
	flag.Parse()

	src, err := os.MkdirTemp("", "pixmill-scaleout-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(src)
	if err := makeOriginals(*bin, *corpus, src, *photos); err != nil {
		log.Fatal(err)
	}
	var paths []string
	for i := range *photos {
		for _, w := range widths {
			paths = append(paths, sign(fmt.Sprintf("/w=%d,f=webp/p%03d.jpg", w, i)))
		}
	}
	report := map[string]any{
		"scenario": fmt.Sprintf("srcset burst: %d widths x %d photos = %d variants, each asked 3 times (once per replica, or 3 times the one), %d clients", len(widths), *photos, len(paths), *workers),
		"machine":  machine(),
	}
	var results []any
	for range *runs {
		for _, c := range []struct {
			name     string
			replicas int
			peers    bool
		}{{"1 replica", 1, false}, {"3 replicas, no shared tier", 3, false}, {"3 replicas, shared tier", 3, true}} {
			r, err := run(*bin, src, paths, c.replicas, c.peers, *workers, *peerTimeout)
			if err != nil {
				log.Fatal(err)
			}
			r["config"] = c.name
			results = append(results, r)
			b, _ := json.Marshal(r)
			log.Printf("%s", b)
		}
	}
	report["results"] = results
	b, _ := json.MarshalIndent(report, "", "  ")
	fmt.Println(string(b))
	if *out != "" {
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func machine() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	cores := strings.Count(string(b), "processor\t:")
	return fmt.Sprintf("%d cores (shared with other work: treat wall-clock numbers as noisy), load average %.1f at start", cores, harness.LoadAverage())
}

func sign(path string) string {
	return "/" + presets.Signature([]byte(harness.PixmillKey), path, 16) + path
}

// makeOriginals writes n distinct 1200 px JPEGs into dir, rendered by a
// pixmill over the corpus.
func makeOriginals(bin, corpus, dir string, n int) error {
	p, err := harness.StartPixmill(bin, corpus, "cache: { max_bytes: 0 }\nlog: { level: warn }")
	if err != nil {
		return err
	}
	defer p.Stop()
	files, _ := filepath.Glob(filepath.Join(corpus, "photos", "*.jpg"))
	if len(files) == 0 {
		return fmt.Errorf("no photos in %s/photos", corpus)
	}
	for i := range n {
		rel, _ := filepath.Rel(corpus, files[i%len(files)])
		h := 600 + 6*i // 100 aspect ratios: distinct crops
		path := sign(fmt.Sprintf("/w=1200,h=%d,fit=cover,f=jpeg,q=85/%s", h, presets.EscapeKey(filepath.ToSlash(rel))))
		resp, err := harness.Client.Get(p.Base + path)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			return fmt.Errorf("original %d: %d %v", i, resp.StatusCode, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%03d.jpg", i)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

type replica struct {
	proc    *harness.Process
	metrics string
}

func run(bin, src string, paths []string, n int, peers bool, workers int, peerTimeout time.Duration) (map[string]any, error) {
	var addrs, metrics, peerAddrs []string
	for range n {
		for _, l := range []*[]string{&addrs, &metrics, &peerAddrs} {
			a, err := harness.FreeAddr()
			if err != nil {
				return nil, err
			}
			*l = append(*l, a)
		}
	}
	var replicas []replica
	defer func() {
		for _, r := range replicas {
			r.proc.Stop()
		}
	}()
	for i := range n {
		cfg := fmt.Sprintf("listen: %q\nmetrics_listen: %q\nsource: { url: \"file://%s\" }\nsigning: { keys: [%q] }\nlog: { level: warn }\nlimits: { queue: 256, queue_timeout: 30s }\n",
			addrs[i], metrics[i], src, harness.PixmillKey)
		if peers {
			cfg += fmt.Sprintf("cache: { peers: { listen: %q, static: [%s], secret: \"bench-peer-secret-000001\", timeout: %s } }\n",
				peerAddrs[i], `"`+strings.Join(peerAddrs, `", "`)+`"`, peerTimeout)
		}
		f, err := os.CreateTemp("", "pixmill-scaleout-*.yaml")
		if err != nil {
			return nil, err
		}
		_, _ = f.WriteString(cfg)
		f.Close()
		p, err := harness.Start(harness.Spec{Name: "pixmill", Path: bin, Args: []string{"serve", "--config", f.Name()}, Addr: addrs[i], Health: "/healthz"})
		os.Remove(f.Name())
		if err != nil {
			return nil, err
		}
		replicas = append(replicas, replica{proc: p, metrics: "http://" + metrics[i] + "/metrics"})
	}

	// Each URL three times: through every replica in turn (or three times
	// through the one). Worker w takes every workers-th URL, so that two
	// workers do not send the same URL at once from the client side; the
	// replicas see it from different clients, as from different edges.
	var mu sync.Mutex
	var all []harness.Result
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []harness.Result
			for i := w; i < len(paths); i += workers {
				for j := range 3 {
					r := replicas[(i+j)%len(replicas)]
					t := time.Now()
					local = append(local, harness.Get(r.proc.Base+paths[i], t))
				}
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	count := harness.Tally(all)
	var peerDurs []time.Duration
	for _, r := range all {
		if r.Status == 200 && r.Cache == "PEER" {
			peerDurs = append(peerDurs, r.Dur)
		}
	}
	series := map[string]float64{}
	buckets := map[float64]float64{}
	for _, r := range replicas {
		if err := scrape(r.metrics, series, buckets); err != nil {
			return nil, err
		}
	}
	tiers := map[string]any{}
	for _, tier := range []string{"l1", "peer", "store"} {
		results := map[string]float64{}
		total := 0.0
		for k, v := range series {
			if strings.HasPrefix(k, `pixmill_cache_requests_total{`) && strings.Contains(k, `tier="`+tier+`"`) {
				res := k[strings.Index(k, `result="`)+8:]
				res = res[:strings.IndexByte(res, '"')]
				results[res] += v
				total += v
			}
		}
		if total > 0 {
			tiers[tier] = map[string]any{"lookups": results, "hit_ratio": round(results["hit"] / total)}
		}
	}
	out := map[string]any{
		"replicas":            n,
		"requests":            len(all),
		"ok":                  count.OK,
		"statuses":            count.Statuses,
		"seconds":             round(elapsed.Seconds()),
		"requests_per_second": round(float64(len(all)) / elapsed.Seconds()),
		"renders":             series["pixmill_renders_total"],
		"x_cache":             count.Cache,
		"tiers":               tiers,
		"latency":             strip(harness.Summarize(count.Durations())),
		"peer_lookup_ms":      map[string]float64{"p50": quantile(buckets, 0.5) * 1000, "p99": quantile(buckets, 0.99) * 1000, "count": buckets[math.Inf(1)]},
		"peer_answer_ms":      strip(harness.Summarize(peerDurs)),
	}
	if peers {
		out["peer_timeout"] = peerTimeout.String()
	}
	return out, nil
}

func strip(l harness.Latency) harness.Latency { l.Percentiles = nil; return l }

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

// scrape adds a replica's series to series, and its peer-latency buckets
// (le -> cumulative count) to buckets.
func scrape(url string, series map[string]float64, buckets map[float64]float64) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		name := line[:i]
		if le, ok := strings.CutPrefix(name, `pixmill_peer_duration_seconds_bucket{le="`); ok {
			b, _ := strconv.ParseFloat(strings.TrimSuffix(le, `"}`), 64)
			buckets[b] += v
			continue
		}
		series[name] += v
	}
	return sc.Err()
}

// quantile interpolates q in cumulative buckets as Prometheus's
// histogram_quantile does: linearly inside the bucket that holds it.
func quantile(buckets map[float64]float64, q float64) float64 {
	var les []float64
	for le := range buckets {
		les = append(les, le)
	}
	sort.Float64s(les)
	if len(les) == 0 || buckets[math.Inf(1)] == 0 {
		return 0
	}
	rank := q * buckets[math.Inf(1)]
	prevLe, prevCount := 0.0, 0.0
	for _, le := range les {
		c := buckets[le]
		if c >= rank {
			if math.IsInf(le, 1) {
				return prevLe
			}
			if c == prevCount {
				return le
			}
			return prevLe + (le-prevLe)*(rank-prevCount)/(c-prevCount)
		}
		prevLe, prevCount = le, c
	}
	return prevLe
}
