package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/bench/internal/harness"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// The floor is what libvips itself costs for an Op: govips called directly,
// in a process of its own (a child of the bench, so that its peak RSS and CPU
// time are its own), with no HTTP, no cache, no signature, no probe. It does
// the work pixmill's pipeline does for these URLs: vips_thumbnail_buffer
// (shrink-on-load) to the box, sRGB (the photos are 8-bit sRGB, tagged or
// not, so the profile is dropped), metadata removed, and the same encoder
// parameters as transform.DefaultConfig(). The output bytes are compared
// with pixmill's in the report.
//
// The floor is told the output size: it reads each source's header once,
// before the timed loop, and asks vips_thumbnail for exactly the size that
// pixmill plans (each side rounded on its own), since a box of 512x512 lets
// libvips scale both axes by one factor and the pixels then differ in the
// last bit. Learning the size from the header on every request is work
// pixmill does and the floor does not.

// floorJob is what the bench sends a floor child on stdin.
type floorJob struct {
	Corpus  string  `json:"corpus"`
	Mode    string  `json:"mode"` // passes, rate, each
	Workers [][]Op  `json:"workers,omitempty"`
	Passes  int     `json:"passes,omitempty"`
	Ops     []Op    `json:"ops,omitempty"`
	Rate    float64 `json:"rate,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	Conc    int     `json:"concurrency,omitempty"`
}

// floorResult is what it answers on stdout.
type floorResult struct {
	Latencies []time.Duration   `json:"latencies_ns"`
	Elapsed   time.Duration     `json:"elapsed_ns"`
	CPU       time.Duration     `json:"cpu_ns"`
	Bytes     int64             `json:"bytes"`
	HWM       float64           `json:"hwm_mib"`
	Digests   map[string]string `json:"digests"` // Op.String() -> sha256 of the output
	Dropped   int               `json:"dropped"`
}

// runFloorChild is the child's main: read the job, warm up (one render of
// every op, which also records their digests), run it, answer.
func runFloorChild() error {
	var job floorJob
	if err := json.NewDecoder(os.Stdin).Decode(&job); err != nil {
		return err
	}
	transform.Startup(1) // libvips as pixmill starts it: one thread per image, no operation cache
	src := map[string][]byte{}
	all := append(flatten(job.Workers), job.Ops...)
	for _, o := range all {
		if _, ok := src[o.Key]; !ok {
			b, err := os.ReadFile(filepath.Join(job.Corpus, o.Key))
			if err != nil {
				return err
			}
			src[o.Key] = b
		}
	}
	sizes := map[Op][2]int{}
	for _, o := range all {
		w, h, err := outputSize(src[o.Key], o)
		if err != nil {
			return fmt.Errorf("%s: %w", o, err)
		}
		sizes[o] = [2]int{w, h}
	}
	res := floorResult{Digests: map[string]string{}}
	for _, o := range all {
		out, err := floorRender(src[o.Key], o, sizes[o])
		if err != nil {
			return fmt.Errorf("%s: %w", o, err)
		}
		sum := sha256.Sum256(out)
		res.Digests[o.String()] = hex.EncodeToString(sum[:8])
	}

	var mu sync.Mutex
	record := func(d time.Duration, n int) {
		mu.Lock()
		res.Latencies = append(res.Latencies, d)
		res.Bytes += int64(n)
		mu.Unlock()
	}
	render := func(o Op, due time.Time) {
		out, err := floorRender(src[o.Key], o, sizes[o])
		if err != nil {
			panic(err) // rendered once already in the warm-up
		}
		record(time.Since(due), len(out))
	}
	cpu0, start := harness.SelfCPU(), time.Now()
	switch job.Mode {
	case "passes": // closed loop: each worker its own list, in order
		var wg sync.WaitGroup
		for _, list := range job.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range job.Passes {
					for _, o := range list {
						render(o, time.Now())
					}
				}
			}()
		}
		wg.Wait()
	case "each": // one at a time, each op once
		for _, o := range job.Ops {
			render(o, time.Now())
		}
	case "rate": // arrivals on a fixed schedule, served by Conc workers
		res.Dropped = floorRate(job, render)
	default:
		return fmt.Errorf("unknown floor mode %q", job.Mode)
	}
	res.Elapsed, res.CPU = time.Since(start), harness.SelfCPU()-cpu0
	res.HWM = harness.ProcMemory(os.Getpid()).HWM
	return json.NewEncoder(os.Stdout).Encode(res)
}

// floorRate queues job.Ops at job.Rate for job.Seconds to job.Conc workers,
// each timed from when it was due; like the HTTP generator it holds at most
// 512 waiting and drops (and counts) the rest.
func floorRate(job floorJob, render func(Op, time.Time)) (dropped int) {
	type arrival struct {
		op  Op
		due time.Time
	}
	queue := make(chan arrival, 512)
	var wg sync.WaitGroup
	for range max(job.Conc, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range queue {
				render(a.op, a.due)
			}
		}()
	}
	interval := time.Duration(float64(time.Second) / job.Rate)
	start := time.Now()
	n := int(time.Duration(job.Seconds*float64(time.Second)) / interval)
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		select {
		case queue <- arrival{job.Ops[i%len(job.Ops)], due}:
		default:
			dropped++
		}
	}
	close(queue)
	wg.Wait()
	return dropped
}

// outputSize is the size an op's output has: the oriented source fit
// within the box (Height 0: the width alone), never enlarged, each side
// rounded, a side less than a pixel off the box snapped to it.
func outputSize(buf []byte, o Op) (int, int, error) {
	img, err := vips.LoadImageFromBuffer(buf, vips.NewImportParams()) // the header only: pixels are lazy
	if err != nil {
		return 0, 0, err
	}
	ow, oh := float64(img.Width()), float64(img.Height())
	if img.Orientation() >= 5 {
		ow, oh = oh, ow
	}
	img.Close()
	tw, th := float64(o.Width), float64(o.Height)
	if o.Height == 0 {
		th = math.Round(tw * oh / ow)
	}
	scale := math.Min(math.Min(tw/ow, th/oh), 1)
	side := func(src, box float64) int {
		v := math.Round(src * scale)
		if math.Abs(src*scale-box) < 1 {
			v = box
		}
		return max(1, int(v))
	}
	return side(ow, tw), side(oh, th), nil
}

// floorRender is the floor's whole pipeline for one op, to a known size.
func floorRender(buf []byte, o Op, size [2]int) ([]byte, error) {
	cfg := transform.DefaultConfig()
	params := vips.NewImportParams()
	params.FailOnError.Set(true)
	img, err := vips.LoadThumbnailFromBuffer(buf, size[0], size[1], vips.InterestingNone, vips.SizeForce, params)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	if img.HasICCProfile() {
		if bytes.Contains(img.GetICCProfile(), []byte("sRGB")) {
			err = img.RemoveICCProfile()
		} else {
			err = img.TransformICCProfileWithFallback("srgb", "srgb")
		}
		if err != nil {
			return nil, err
		}
	}
	if err := img.RemoveMetadata(); err != nil {
		return nil, err
	}
	// The op's quality is the encoder's own (the URL sends it as an
	// override); an op without one is PNG, lossless as the server's default.
	q := o.Quality
	if q == 0 {
		q = 100
	}
	var out []byte
	switch o.Format {
	case "jpeg", "webp", "avif":
		out, err = transform.EncodeLossy(img, spec.Format(o.Format), q, cfg.Knobs(), true)
	case "png":
		out, _, err = img.ExportPng(&vips.PngExportParams{StripMetadata: true, Compression: cfg.PNGCompression,
			Filter: vips.PngFilterAll, Quality: q, Palette: q < 100})
	default:
		err = fmt.Errorf("unknown format %q", o.Format)
	}
	return out, err
}
