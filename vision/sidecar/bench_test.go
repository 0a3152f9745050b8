package sidecar_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmill/pixmill/vision"
	"github.com/pixmill/pixmill/vision/preview"
	"github.com/pixmill/pixmill/vision/sidecar"
	"github.com/pixmill/pixmill/vision/visiontest"
)

var benchFiles = []string{
	"faces/grace_hopper.jpg", "faces/group_portrait_1.jpg", "faces/group_portrait_5.jpg",
	"faces/footballer_action.jpg", "photos/object_lily_plain_bg_512.jpg", "photos/object_coffee_cup_512.jpg",
}

// BenchmarkAnalyze is the sidecar's load test: b.N analyses of 320 px raw
// RGB corpus previews through the client, over loopback HTTP to a real
// sidecar on the CPU, from `conc` goroutines. It reports latency
// percentiles, throughput and the mean batch the batcher formed. Bounded
// by -benchtime, for example (docs/vision.md has the results):
//
//	go test ./vision/sidecar -run '^$' -bench Analyze -benchtime 240x
func BenchmarkAnalyze(b *testing.B) {
	var previews []preview.Image
	for _, f := range benchFiles {
		previews = append(previews, visiontest.Preview(b, f))
	}
	cases := []struct {
		conc, maxBatch int
		maxWait        time.Duration
	}{
		{1, 1, 0},
		{1, 8, 2 * time.Millisecond},
		{8, 1, 0},
		{8, 2, 0},
		{8, 4, 0},
		{8, 8, 0},
		{8, 4, 2 * time.Millisecond},
		{8, 8, 2 * time.Millisecond},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("conc=%d/max_batch=%d/max_wait=%v", c.conc, c.maxBatch, c.maxWait), func(b *testing.B) {
			base := visiontest.Start(b, sidecar.Config{MaxBatch: c.maxBatch, MaxWait: c.maxWait, Queue: 64})
			client := vision.NewClient(base, 30*time.Second)
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var failed atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range c.conc {
				wg.Go(func() {
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						p := previews[i%len(previews)]
						t0 := time.Now()
						if _, err := client.Analyze(context.Background(), p.Pix, p.W, p.H); err != nil {
							failed.Add(1)
						}
						lat[i] = time.Since(t0)
					}
				})
			}
			wg.Wait()
			wall := time.Since(start)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d analyses failed", n, b.N)
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(b.N)/wall.Seconds(), "analyses/s")
			b.ReportMetric(meanBatch(b, base), "mean-batch")
		})
	}
}

var (
	batchSum   = regexp.MustCompile(`pixmill_vision_batch_size_sum\{[^}]*\} (\S+)`)
	batchCount = regexp.MustCompile(`pixmill_vision_batch_size_count\{[^}]*\} (\S+)`)
)

// meanBatch reads the batch-size histogram from the sidecar's /metrics
// (the warm-up batch of the shared engine is not counted there).
func meanBatch(b *testing.B, base string) float64 {
	m := getTB(b, base+"/metrics")
	s, c := batchSum.FindStringSubmatch(m), batchCount.FindStringSubmatch(m)
	if s == nil || c == nil {
		return 0
	}
	sum, _ := strconv.ParseFloat(s[1], 64)
	count, _ := strconv.ParseFloat(c[1], 64)
	if count == 0 {
		return 0
	}
	return sum / count
}
