package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/pixmill/pixmill/bench/internal/harness"
)

// RunStat is one run of one scenario against one target.
type RunStat struct {
	Requests  int             `json:"requests"`
	OK        int             `json:"ok"`
	Seconds   float64         `json:"seconds"`
	ReqPerSec float64         `json:"req_per_s"`
	Latency   harness.Latency `json:"latency"`
	// CPUms is the target's CPU time (user+system) per image served, in ms.
	CPUms         float64        `json:"cpu_ms_per_image"`
	BytesPerImage float64        `json:"bytes_per_image"`
	PeakRSSMiB    float64        `json:"peak_rss_mib"`
	Statuses      map[string]int `json:"statuses,omitempty"`
	Cache         map[string]int `json:"x_cache,omitempty"`
	Dropped       int            `json:"dropped,omitempty"`
	Load          float64        `json:"load_avg_1m"` // when the run began
}

func statOf(rs []harness.Result, elapsed, cpu time.Duration, peak, load float64) RunStat {
	c := harness.Tally(rs)
	st := RunStat{
		Requests: len(rs), OK: c.OK, Seconds: elapsed.Seconds(),
		ReqPerSec:  float64(c.OK) / elapsed.Seconds(),
		Latency:    harness.Summarize(c.Durations()),
		PeakRSSMiB: peak, Statuses: c.Statuses, Cache: c.Cache, Load: load,
	}
	if c.OK > 0 {
		st.CPUms = float64(cpu) / 1e6 / float64(c.OK)
		st.BytesPerImage = float64(c.Bytes) / float64(c.OK)
	}
	if len(st.Cache) == 0 {
		st.Cache = nil
	}
	return st
}

// target is an HTTP server the scenarios run against: pixmill, or a peer.
type target struct {
	name  string
	start func(cacheOn bool) (*harness.Process, error)
	url   func(Op) string
}

func pixmillTarget(bin, corpus string, env []string) target {
	return target{
		name: "pixmill",
		start: func(cacheOn bool) (*harness.Process, error) {
			extra := "cache: { max_bytes: 0 }"
			if cacheOn {
				extra = "cache: { max_bytes: 268435456 }"
			}
			return harness.StartPixmill(bin, corpus, extra, env...)
		},
		url: Op.pixmillPath,
	}
}

func peerTarget(p peer, corpus string) target {
	return target{name: p.Name, start: func(bool) (*harness.Process, error) { return startPeer(p, corpus) }, url: p.URL}
}

// warm fetches every op once (not measured) and returns the digest of each
// answer, to compare with the floor's.
func warm(base string, ops []Op, url func(Op) string) (map[string]string, error) {
	out := map[string]string{}
	for _, o := range ops {
		resp, err := harness.Client.Get(base + url(o))
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("%s: status %d: %s", url(o), resp.StatusCode, bytes.TrimSpace(b))
		}
		sum := sha256.Sum256(b)
		out[o.String()] = hex.EncodeToString(sum[:8])
	}
	return out, nil
}

// httpPasses runs the closed-loop scenario on a fresh server: warm-up, then
// passes over each worker's list. CPU and memory are the server's own.
func httpPasses(t target, ops [][]Op, passes int) (RunStat, map[string]string, error) {
	p, err := t.start(false)
	if err != nil {
		return RunStat{}, nil, err
	}
	defer p.Stop()
	digests, err := warm(p.Base, flatten(ops), t.url)
	if err != nil {
		return RunStat{}, nil, err
	}
	load, cpu0 := harness.LoadAverage(), p.CPU()
	rs, elapsed := harness.Passes(harness.HTTP(p.Base), pathLists(ops, t.url), passes)
	return statOf(rs, elapsed, p.CPU()-cpu0, p.Memory().HWM, load), digests, nil
}

// httpRate offers ops at a fixed rate for d to a fresh server.
func httpRate(t target, ops []Op, rate float64, d time.Duration) (RunStat, error) {
	p, err := t.start(false)
	if err != nil {
		return RunStat{}, err
	}
	defer p.Stop()
	if _, err := warm(p.Base, ops[:min(len(ops), 8)], t.url); err != nil {
		return RunStat{}, err
	}
	load, cpu0 := harness.LoadAverage(), p.CPU()
	rs, dropped, elapsed := harness.Rate(harness.HTTP(p.Base), paths(ops, t.url), rate, d, 512)
	st := statOf(rs, elapsed, p.CPU()-cpu0, p.Memory().HWM, load)
	st.Dropped = dropped
	return st, nil
}

// hot serves ops from pixmill's L1 to clients closed-loop for d, and the
// same bytes from the minimal server for the same d.
func hot(pix target, self string, ops []Op, clients int, d time.Duration) (pixStat, minStat RunStat, err error) {
	p, err := pix.start(true)
	if err != nil {
		return
	}
	defer p.Stop()
	var entries []minimalEntry
	for _, o := range ops {
		path := pix.url(o)
		var e minimalEntry
		for range 2 { // the second answer is the L1 hit that the minimal server replays
			resp, gerr := harness.Client.Get(p.Base + path)
			if gerr != nil {
				return pixStat, minStat, gerr
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return pixStat, minStat, fmt.Errorf("%s: status %d", path, resp.StatusCode)
			}
			e = minimalEntry{Path: path, Header: resp.Header, Body: body}
		}
		entries = append(entries, e)
	}
	load, cpu0 := harness.LoadAverage(), p.CPU()
	rs, elapsed := harness.For(harness.HTTP(p.Base), paths(ops, pix.url), clients, d)
	pixStat = statOf(rs, elapsed, p.CPU()-cpu0, p.Memory().HWM, load)
	p.Stop()

	file := filepath.Join(os.TempDir(), fmt.Sprintf("pixmill-bench-minimal-%d.json", os.Getpid()))
	b, _ := json.Marshal(entries)
	if err = os.WriteFile(file, b, 0o600); err != nil {
		return
	}
	defer os.Remove(file)
	addr, err := harness.FreeAddr()
	if err != nil {
		return
	}
	m, err := harness.Start(harness.Spec{Name: "minimal", Path: self, Args: []string{"-minimal-server", addr, "-minimal-entries", file}, Addr: addr, Health: "/healthz"})
	if err != nil {
		return
	}
	defer m.Stop()
	load, cpu0 = harness.LoadAverage(), m.CPU()
	rs, elapsed = harness.For(harness.HTTP(m.Base), paths(ops, pix.url), clients, d)
	minStat = statOf(rs, elapsed, m.CPU()-cpu0, m.Memory().HWM, load)
	return pixStat, minStat, nil
}

// coalesce sends each op, cold, from clients clients at once to a fresh
// pixmill with its L1 on, one burst after another.
func coalesce(pix target, ops []Op, clients int) (RunStat, error) {
	p, err := pix.start(true)
	if err != nil {
		return RunStat{}, err
	}
	defer p.Stop()
	load, cpu0, start := harness.LoadAverage(), p.CPU(), time.Now()
	var all []harness.Result
	for _, o := range ops {
		all = append(all, harness.Burst(p.Base, pix.url(o), clients)...)
	}
	elapsed := time.Since(start)
	return statOf(all, elapsed, p.CPU()-cpu0, p.Memory().HWM, load), nil
}

// floor runs job in a child process (this binary with -floor) and returns
// its statistics and the digests of its outputs.
func floor(self string, job floorJob) (RunStat, map[string]string, error) {
	in, _ := json.Marshal(job)
	cmd := exec.Command(self, "-floor")
	cmd.Stdin = bytes.NewReader(in)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	load := harness.LoadAverage()
	if err := cmd.Run(); err != nil {
		return RunStat{}, nil, fmt.Errorf("floor: %v: %s", err, stderr.String())
	}
	var res floorResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return RunStat{}, nil, fmt.Errorf("floor: %v", err)
	}
	n := len(res.Latencies)
	st := RunStat{
		Requests: n + res.Dropped, OK: n, Seconds: res.Elapsed.Seconds(),
		ReqPerSec: float64(n) / res.Elapsed.Seconds(), Latency: harness.Summarize(res.Latencies),
		PeakRSSMiB: res.HWM, Dropped: res.Dropped, Load: load,
	}
	if n > 0 {
		st.CPUms = float64(res.CPU) / 1e6 / float64(n)
		st.BytesPerImage = float64(res.Bytes) / float64(n)
	}
	return st, res.Digests, nil
}
