package main

import (
	"fmt"
	"log"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/pixmill/pixmill/bench/internal/harness"
	"github.com/pixmill/pixmill/transform"
)

// Report is everything one run of the suite measured.
type Report struct {
	Command     string      `json:"command"`
	Date        string      `json:"date"`
	Machine     Machine     `json:"machine"`
	Settings    settings    `json:"settings"`
	LoadBefore  float64     `json:"load_avg_1m_before"`
	LoadAfter   float64     `json:"load_avg_1m_after"`
	WallSeconds float64     `json:"wall_seconds"`
	Peers       []string    `json:"peers"`
	Scenarios   []*Scenario `json:"scenarios"`
}

// Machine is where it ran.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	MemGiB int    `json:"mem_gib"`
	Go     string `json:"go"`
	Vips   string `json:"libvips"`
}

// Scenario is one scenario's results per target.
type Scenario struct {
	Name      string    `json:"name"`
	What      string    `json:"what"`
	Targets   []*Target `json:"targets"`
	SameBytes string    `json:"same_bytes_as_floor,omitempty"`
}

// Target is one target's runs of a scenario and their medians.
type Target struct {
	Name   string    `json:"name"`
	Median RunStat   `json:"median"`
	Runs   []RunStat `json:"runs"`
}

func (sc *Scenario) target(name string) *Target {
	for _, t := range sc.Targets {
		if t.Name == name {
			return t
		}
	}
	t := &Target{Name: name}
	sc.Targets = append(sc.Targets, t)
	return t
}

type suite struct {
	s      settings
	self   string
	rep    *Report
	byName map[string]*Scenario
}

func (u *suite) scenario(name, what string) *Scenario {
	if sc, ok := u.byName[name]; ok {
		return sc
	}
	sc := &Scenario{Name: name, What: what}
	u.byName[name] = sc
	u.rep.Scenarios = append(u.rep.Scenarios, sc)
	return sc
}

func (u *suite) wants(name string) bool { return u.s.Only == nil || u.s.Only.MatchString(name) }

func (u *suite) add(sc *Scenario, target string, st RunStat) {
	t := sc.target(target)
	t.Runs = append(t.Runs, st)
	log.Printf("%-14s %-9s %7.2f req/s  p50 %8.1f ms  p99 %8.1f ms  cpu %8.3f ms/img  %8.0f B/img  rss %6.1f MiB  load %.2f",
		sc.Name, target, st.ReqPerSec, st.Latency.P50, st.Latency.P99, st.CPUms, st.BytesPerImage, st.PeakRSSMiB, st.Load)
}

// sameBytes compares pixmill's outputs with the floor's, op by op.
func sameBytes(a, b map[string]string) string {
	same := 0
	for k, v := range a {
		if b[k] == v {
			same++
		}
	}
	return fmt.Sprintf("%d/%d", same, len(a))
}

func runSuite(s settings, self string) (*Report, error) {
	start := time.Now()
	u := &suite{s: s, self: self, byName: map[string]*Scenario{}, rep: &Report{
		Date: start.UTC().Format("2006-01-02 15:04 UTC"), Machine: machine(), Settings: s, LoadBefore: harness.LoadAverage(),
	}}
	pix := pixmillTarget(s.Bin, s.Corpus, s.PixmillEnv)
	on, skipped := configuredPeers()
	u.rep.Peers = skipped
	var peers []target
	for _, p := range on {
		peers = append(peers, peerTarget(p, s.Corpus))
		u.rep.Peers = append(u.rep.Peers, p.Name+": "+os.Getenv(p.Env))
	}
	for _, line := range skipped {
		log.Print(line)
	}
	for r := range s.Repeats {
		log.Printf("repeat %d of %d (load %.2f)", r+1, s.Repeats, harness.LoadAverage())
		if err := u.repeat(r, pix, peers); err != nil {
			return nil, err
		}
	}
	for _, sc := range u.rep.Scenarios {
		for _, t := range sc.Targets {
			t.Median = medianStat(t.Runs)
		}
	}
	u.rep.LoadAfter = harness.LoadAverage()
	u.rep.WallSeconds = time.Since(start).Seconds()
	return u.rep, nil
}

// repeat runs every scenario once. Odd repeats run the floor after pixmill
// rather than before, so that drift in the machine's load favours neither.
func (u *suite) repeat(r int, pix target, peers []target) error {
	s := u.s
	floorFirst := r%2 == 0
	closed := func(name, what string, ops [][]Op) (RunStat, error) {
		sc := u.scenario(name, what)
		var pst RunStat
		var pd, fd map[string]string
		runPix := func() (err error) { pst, pd, err = httpPasses(pix, ops, s.Passes); return }
		runFloor := func() error {
			st, d, err := floor(u.self, floorJob{Corpus: s.Corpus, Mode: "passes", Workers: ops, Passes: s.Passes})
			if err == nil {
				fd = d
				u.add(sc, "floor", st)
			}
			return err
		}
		steps := []func() error{runFloor, runPix}
		if !floorFirst {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, f := range steps {
			if err := f(); err != nil {
				return pst, fmt.Errorf("%s: %w", name, err)
			}
		}
		u.add(sc, "pixmill", pst)
		sc.SameBytes = sameBytes(pd, fd)
		for _, p := range peers {
			st, _, err := httpPasses(p, ops, s.Passes)
			if err != nil {
				return pst, fmt.Errorf("%s on %s: %w", name, p.name, err)
			}
			u.add(sc, p.name, st)
		}
		return pst, nil
	}

	var capacity float64
	for _, fq := range formatQuality {
		name := "miss/" + fq.Format
		if !u.wants(name) {
			continue
		}
		q := "default quality"
		if fq.Quality > 0 {
			q = fmt.Sprintf("q%d", fq.Quality)
		}
		st, err := closed(name, fmt.Sprintf("%s %s, fit within 512x512, 8 photos (4–24 MP), cache off, 2 clients", formatName[fq.Format], q), missOps(fq.Format, fq.Quality))
		if err != nil {
			return err
		}
		if fq.Format == "jpeg" {
			capacity = st.ReqPerSec
		}
	}
	if u.wants("ladder") {
		if _, err := closed("ladder", "srcset ladder: one 12 MP photo at 320, 640, 960, 1280, 1600, 1920 px wide, WebP q75, cache off, 2 clients", ladderOps()); err != nil {
			return err
		}
	}
	if u.wants("hot") {
		sc := u.scenario("hot", fmt.Sprintf("L1 hits: the 8 JPEG miss-path URLs, cached, %d clients for %v; floor: a minimal Go server replaying the same bytes and headers", s.HotClients, s.Hot))
		ops := flatten(missOps("jpeg", 80))
		pst, mst, err := hot(pix, u.self, ops, s.HotClients, s.Hot)
		if err != nil {
			return fmt.Errorf("hot: %w", err)
		}
		u.add(sc, "minimal", mst)
		u.add(sc, "pixmill", pst)
	}
	if u.wants("coalesce") {
		sc := u.scenario("coalesce", fmt.Sprintf("%d clients at once on one cold URL (WebP q75, 512 box), 8 URLs one after another, L1 on; floor: one render per URL, shared", s.BurstClients))
		ops := coalesceOps()
		pst, err := coalesce(pix, ops, s.BurstClients)
		if err != nil {
			return fmt.Errorf("coalesce: %w", err)
		}
		fst, _, err := floor(u.self, floorJob{Corpus: s.Corpus, Mode: "each", Ops: ops})
		if err != nil {
			return fmt.Errorf("coalesce: %w", err)
		}
		// One render answers all the clients of a burst.
		fst.ReqPerSec *= float64(s.BurstClients)
		fst.CPUms /= float64(s.BurstClients)
		u.add(sc, "floor", fst)
		u.add(sc, "pixmill", pst)
	}
	if capacity > 0 && u.wants("rate") {
		ops := rateOps()
		for _, frac := range []float64{0.5, 0.9} {
			rate := capacity * frac
			name := fmt.Sprintf("rate/%d%%", int(frac*100))
			sc := u.scenario(name, fmt.Sprintf("fixed rate, %.0f %% of the JPEG miss path's throughput in the same repeat (%.1f req/s in the first), %v, 32 URLs, cache off", frac*100, rate, s.RateFor))
			fst, _, err := floor(u.self, floorJob{Corpus: s.Corpus, Mode: "rate", Ops: ops, Rate: rate, Seconds: s.RateFor.Seconds(), Conc: 2})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			u.add(sc, "floor", fst)
			pst, err := httpRate(pix, ops, rate, s.RateFor)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			u.add(sc, "pixmill", pst)
			for _, p := range peers {
				st, err := httpRate(p, ops, rate, s.RateFor)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", name, p.name, err)
				}
				u.add(sc, p.name, st)
			}
		}
	}
	return nil
}

var formatName = map[string]string{"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF", "png": "PNG"}

// medianStat is the run-by-run median of every number; counts are summed.
func medianStat(runs []RunStat) RunStat {
	if len(runs) == 1 {
		return runs[0]
	}
	med := func(f func(RunStat) float64) float64 {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		return harness.Median(xs)
	}
	m := RunStat{
		ReqPerSec:     med(func(r RunStat) float64 { return r.ReqPerSec }),
		Seconds:       med(func(r RunStat) float64 { return r.Seconds }),
		CPUms:         med(func(r RunStat) float64 { return r.CPUms }),
		BytesPerImage: med(func(r RunStat) float64 { return r.BytesPerImage }),
		PeakRSSMiB:    med(func(r RunStat) float64 { return r.PeakRSSMiB }),
		Load:          med(func(r RunStat) float64 { return r.Load }),
		Latency: harness.Latency{
			P50:  med(func(r RunStat) float64 { return r.Latency.P50 }),
			P95:  med(func(r RunStat) float64 { return r.Latency.P95 }),
			P99:  med(func(r RunStat) float64 { return r.Latency.P99 }),
			Max:  med(func(r RunStat) float64 { return r.Latency.Max }),
			Mean: med(func(r RunStat) float64 { return r.Latency.Mean }),
		},
		Statuses: map[string]int{}, Cache: map[string]int{},
	}
	if n := len(runs[0].Latency.Percentiles); n > 0 {
		m.Latency.Percentiles = make([]float64, n)
		for i := range n {
			m.Latency.Percentiles[i] = med(func(r RunStat) float64 {
				if i < len(r.Latency.Percentiles) {
					return r.Latency.Percentiles[i]
				}
				return 0
			})
		}
	}
	for _, r := range runs {
		m.Requests += r.Requests
		m.OK += r.OK
		m.Dropped += r.Dropped
		for k, v := range r.Statuses {
			m.Statuses[k] += v
		}
		for k, v := range r.Cache {
			m.Cache[k] += v
		}
	}
	if len(m.Cache) == 0 {
		m.Cache = nil
	}
	if len(m.Statuses) == 0 {
		m.Statuses = nil
	}
	return m
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), Vips: transform.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		fmt.Sscanf(string(b), "MemTotal: %d kB", &kb)
		m.MemGiB = (kb + 1<<19) >> 20
	}
	return m
}
