package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pixmill/pixmill/bench/internal/harness"
)

// writeReport writes suite.json, suite.md and the charts into dir.
func writeReport(rep *Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "suite.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "suite.md"), []byte(markdown(rep)), 0o644); err != nil {
		return err
	}
	return writeCharts(rep, dir)
}

// base is the target pixmill is compared with in a scenario: the libvips
// floor, or for the hot path the minimal server.
func (sc *Scenario) base() *Target {
	for _, t := range sc.Targets {
		if t.Name == "floor" || t.Name == "minimal" {
			return t
		}
	}
	return nil
}

func (sc *Scenario) find(name string) *Target {
	for _, t := range sc.Targets {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func ratio(a, b float64) string {
	if b == 0 || a == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// paired is the median over repeats of a(run i) / b(run i), and the
// smallest and largest of those ratios: runs of the same repeat ran next to
// each other, so the pairs cancel most of the machine's drift.
func paired(a, b *Target, f func(RunStat) float64) (med, lo, hi float64) {
	var rs []float64
	for i := range min(len(a.Runs), len(b.Runs)) {
		if x, y := f(a.Runs[i]), f(b.Runs[i]); x > 0 && y > 0 {
			rs = append(rs, x/y)
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0
	}
	lo, hi = rs[0], rs[0]
	for _, r := range rs {
		lo, hi = min(lo, r), max(hi, r)
	}
	return harness.Median(rs), lo, hi
}

func pairedString(a, b *Target, f func(RunStat) float64) string {
	med, lo, hi := paired(a, b, f)
	switch {
	case med == 0:
		return "–"
	case len(a.Runs) < 2:
		return fmt.Sprintf("%.2f", med)
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", med, lo, hi)
}

// markdownSummary is the pixmill / floor table, also printed at the end of a run.
func markdownSummary(rep *Report) string {
	var b strings.Builder
	b.WriteString("| scenario | pixmill req/s | floor req/s | **throughput ÷ floor** | CPU/img ÷ floor | p50 ÷ floor | p99 ÷ floor | same bytes |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, sc := range rep.Scenarios {
		p, f := sc.find("pixmill"), sc.base()
		if p == nil || f == nil {
			continue
		}
		name := sc.Name
		if f.Name == "minimal" {
			name += " (vs minimal server)"
		}
		fmt.Fprintf(&b, "| %s | %.1f | %.1f | **%s** | %s | %s | %s | %s |\n", name, p.Median.ReqPerSec, f.Median.ReqPerSec,
			pairedString(p, f, func(r RunStat) float64 { return r.ReqPerSec }),
			pairedString(p, f, func(r RunStat) float64 { return r.CPUms }),
			pairedString(p, f, func(r RunStat) float64 { return r.Latency.P50 }),
			pairedString(p, f, func(r RunStat) float64 { return r.Latency.P99 }),
			orDash(sc.SameBytes))
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func markdown(rep *Report) string {
	var b strings.Builder
	s := rep.Settings
	fmt.Fprintf(&b, "# pixmill load benchmark: results\n\n")
	fmt.Fprintf(&b, "Written by `bench/suite`; how to run it and what each number means: [README.md](README.md).\n\n")
	fmt.Fprintf(&b, "```sh\nmake build && %s\n```\n\n", rep.Command)
	fmt.Fprintf(&b, "- date: %s; wall time %.0f s\n", rep.Date, rep.WallSeconds)
	fmt.Fprintf(&b, "- machine: %s, %d cores, %d GiB; %s; libvips %s\n", rep.Machine.CPU, rep.Machine.Cores, rep.Machine.MemGiB, rep.Machine.Go, rep.Machine.Vips)
	fmt.Fprintf(&b, "- %d repeat(s) of every scenario, medians shown; %d closed-loop passes; hot path %v with %d clients; fixed rate %v per level; %d clients per coalescing burst\n",
		s.Repeats, s.Passes, s.Hot, s.HotClients, s.RateFor, s.BurstClients)
	fmt.Fprintf(&b, "- one-minute load average: %.2f before, %.2f after (the machine is shared: see the per-run table for the spread)\n", rep.LoadBefore, rep.LoadAfter)
	fmt.Fprintf(&b, "- peers: %s\n\n", strings.Join(rep.Peers, "; "))

	b.WriteString("## pixmill ÷ floor\n\n")
	b.WriteString("Each ratio is the median over repeats of pixmill's run divided by the floor's run of the same repeat (they ran one after the other), with the smallest and largest ratio in brackets. Throughput ratios above 1 and CPU or latency ratios below 1 favour pixmill. The floor is libvips doing the same operations through govips with no HTTP (the hot path's floor is a minimal Go server replaying the same bytes). Target for the miss path: throughput at least 0.90 of the floor. The same-bytes column counts the URLs whose output was byte-identical to the floor's.\n\n")
	b.WriteString(markdownSummary(rep))

	b.WriteString("\n## Every target\n\n")
	b.WriteString("| scenario | target | req/s | p50 ms | p95 ms | p99 ms | CPU ms/img | bytes/img | peak RSS MiB | answers |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, sc := range rep.Scenarios {
		for _, t := range sc.Targets {
			m := t.Median
			fmt.Fprintf(&b, "| %s | %s | %.1f | %.1f | %.1f | %.1f | %s | %.0f | %.0f | %s |\n", sc.Name, t.Name, m.ReqPerSec,
				m.Latency.P50, m.Latency.P95, m.Latency.P99, cpuString(m.CPUms), m.BytesPerImage, m.PeakRSSMiB, answers(m))
		}
	}
	b.WriteString("\nScenarios:\n\n")
	for _, sc := range rep.Scenarios {
		fmt.Fprintf(&b, "- **%s**: %s\n", sc.Name, sc.What)
	}

	if peers := peerRows(rep); peers != "" {
		b.WriteString("\n## pixmill ÷ peers\n\n" + peers)
	}

	b.WriteString("\n## Run by run\n\nreq/s of each run, and the one-minute load average when it began.\n\n")
	b.WriteString("| scenario | target | runs |\n|---|---|---|\n")
	for _, sc := range rep.Scenarios {
		for _, t := range sc.Targets {
			var parts []string
			for _, r := range t.Runs {
				parts = append(parts, fmt.Sprintf("%.1f (load %.1f)", r.ReqPerSec, r.Load))
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", sc.Name, t.Name, strings.Join(parts, ", "))
		}
	}
	b.WriteString("\n## Charts\n\n![throughput](suite-throughput.png)\n\n![latency](suite-latency.png)\n")
	return b.String()
}

func peerRows(rep *Report) string {
	var b strings.Builder
	for _, sc := range rep.Scenarios {
		p := sc.find("pixmill")
		for _, t := range sc.Targets {
			if p == nil || t.Name == "pixmill" || t.Name == "floor" || t.Name == "minimal" {
				continue
			}
			if b.Len() == 0 {
				b.WriteString("| scenario | peer | peer req/s | pixmill ÷ peer req/s | p99 ÷ peer | CPU/img ÷ peer | bytes ÷ peer |\n|---|---|---:|---:|---:|---:|---:|\n")
			}
			fmt.Fprintf(&b, "| %s | %s | %.1f | %s | %s | %s | %s |\n", sc.Name, t.Name, t.Median.ReqPerSec,
				ratio(p.Median.ReqPerSec, t.Median.ReqPerSec), ratio(p.Median.Latency.P99, t.Median.Latency.P99),
				ratio(p.Median.CPUms, t.Median.CPUms), ratio(p.Median.BytesPerImage, t.Median.BytesPerImage))
		}
	}
	return b.String()
}

func cpuString(ms float64) string {
	if ms < 1 {
		return fmt.Sprintf("%.3f", ms)
	}
	return fmt.Sprintf("%.1f", ms)
}

// answers lists statuses other than 200, X-Cache counts and drops.
func answers(m RunStat) string {
	var parts []string
	for k, v := range m.Statuses {
		if k != "200" {
			parts = append(parts, fmt.Sprintf("%d× %s", v, k))
		}
	}
	for _, k := range []string{"MISS", "HIT", "COALESCED"} {
		if v := m.Cache[k]; v > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, v))
		}
	}
	if m.Dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d dropped", m.Dropped))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d × 200", m.OK)
	}
	return fmt.Sprintf("%d × 200; ", m.OK) + strings.Join(parts, ", ")
}
