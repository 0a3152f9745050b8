// Command suite is pixmill's reproducible load benchmark (issue #6). It
// starts bin/pixmill on loopback over the shared corpus, runs each scenario
// against it, runs the same operations through libvips directly (the floor)
// and, when their binaries are named in the environment, against peer
// servers, and writes JSON, a markdown report and PNG charts:
//
//	go run ./bench/suite                         # full run, into docs/benchmarks/ (about 11 minutes)
//	go run ./bench/suite -short -out bin/bench   # what make bench runs (about 2 minutes)
//
// Scenarios: the miss path per format (JPEG q80, WebP q75, AVIF q63, PNG)
// fit within 512x512 from 4–24 MP photos with the cache off; a srcset ladder
// (one source, six widths); the hot path (L1 hits); coalescing (16 clients on
// one cold URL); fixed-rate latency at 50 % and 90 % of the measured
// capacity. docs/benchmarks/README.md says what each number means.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

type settings struct {
	Bin          string         `json:"-"`
	Corpus       string         `json:"-"`
	Repeats      int            `json:"repeats"`
	Passes       int            `json:"passes"`
	Hot          time.Duration  `json:"hot_ns"`
	RateFor      time.Duration  `json:"rate_for_ns"`
	HotClients   int            `json:"hot_clients"`
	BurstClients int            `json:"burst_clients"`
	Only         *regexp.Regexp `json:"-"`
	PixmillEnv   []string       `json:"pixmill_env,omitempty"`
}

func main() {
	log.SetFlags(log.Ltime)
	var s settings
	flag.StringVar(&s.Bin, "bin", "bin/pixmill", "pixmill binary (make build)")
	flag.StringVar(&s.Corpus, "corpus", "../shared/corpus", "corpus directory ($PIXMILL_CORPUS when set)")
	short := flag.Bool("short", false, "a short run: 1 repeat, fewer passes, shorter timed phases (make bench)")
	flag.IntVar(&s.Repeats, "repeats", 3, "runs of every scenario; the report shows medians")
	flag.IntVar(&s.Passes, "passes", 12, "closed-loop passes over each worker's list")
	flag.DurationVar(&s.Hot, "hot", 10*time.Second, "length of each hot-path run")
	flag.DurationVar(&s.RateFor, "rate-for", 30*time.Second, "length of each fixed-rate run")
	flag.IntVar(&s.HotClients, "hot-clients", 4, "closed-loop clients on the hot path")
	flag.IntVar(&s.BurstClients, "burst", 16, "clients per cold URL in the coalescing scenario")
	out := flag.String("out", "docs/benchmarks", "directory for suite.json, suite.md and the charts")
	pixEnv := flag.String("pixmill-env", "", "extra environment for the pixmill server, e.g. GOGC=400")
	only := flag.String("only", "", "run only scenarios whose name matches this regexp (rate needs miss/jpeg)")
	floorChild := flag.Bool("floor", false, "internal: run a floor job from stdin")
	minimalAddr := flag.String("minimal-server", "", "internal: serve -minimal-entries on this address")
	minimalFile := flag.String("minimal-entries", "", "internal: the minimal server's responses")
	flag.Parse()

	switch {
	case *floorChild:
		if err := runFloorChild(); err != nil {
			log.Fatal(err)
		}
		return
	case *minimalAddr != "":
		log.Fatal(runMinimalChild(*minimalAddr, *minimalFile))
	}
	if *short {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["repeats"] {
			s.Repeats = 1
		}
		if !set["passes"] {
			s.Passes = 3
		}
		if !set["hot"] {
			s.Hot = 3 * time.Second
		}
		if !set["rate-for"] {
			s.RateFor = 8 * time.Second
		}
	}
	if c := os.Getenv("PIXMILL_CORPUS"); c != "" && !isSet("corpus") {
		s.Corpus = c
	}
	s.PixmillEnv = strings.Fields(*pixEnv)
	if *only != "" {
		s.Only = regexp.MustCompile(*only)
	}
	abs, err := filepath.Abs(s.Corpus)
	if err != nil {
		log.Fatal(err)
	}
	s.Corpus = abs
	if _, err := os.Stat(filepath.Join(abs, "MANIFEST.tsv")); err != nil {
		log.Fatalf("corpus not found at %s (set -corpus or PIXMILL_CORPUS)", abs)
	}
	if _, err := os.Stat(s.Bin); err != nil {
		log.Fatalf("%s: %v (run make build first)", s.Bin, err)
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	rep, err := runSuite(s, self)
	if err != nil {
		log.Fatal(err)
	}
	rep.Command = commandLine()
	if err := writeReport(rep, *out); err != nil {
		log.Fatal(err)
	}
	fmt.Print(markdownSummary(rep))
}

func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// commandLine is how this run was started, as `go run` would repeat it.
func commandLine() string {
	return strings.TrimSpace("go run ./bench/suite " + strings.Join(os.Args[1:], " "))
}
