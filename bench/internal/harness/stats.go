package harness

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Latency summarises the durations of the requests that succeeded, in ms.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
	// Percentiles holds the 0th..100th percentile in steps of 1, for the
	// latency chart; left out of small runs' reports by the caller if wanted.
	Percentiles []float64 `json:"percentiles_ms,omitempty"`
}

// Percentile is the nearest-rank q-quantile (0..1) of sorted durations.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// Summarize computes the latency summary of durs.
func Summarize(durs []time.Duration) Latency {
	if len(durs) == 0 {
		return Latency{}
	}
	s := slices.Clone(durs)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	l := Latency{
		P50:  ms(Percentile(s, 0.50)),
		P95:  ms(Percentile(s, 0.95)),
		P99:  ms(Percentile(s, 0.99)),
		Max:  ms(s[len(s)-1]),
		Mean: ms(sum / time.Duration(len(s))),
	}
	l.Percentiles = make([]float64, 101)
	for i := range l.Percentiles {
		l.Percentiles[i] = ms(Percentile(s, float64(i)/100))
	}
	return l
}

// Count tallies results by status and by X-Cache, and returns the durations
// and body bytes of the 200s.
type Count struct {
	OK       int            `json:"ok"`
	Statuses map[string]int `json:"statuses"`
	Cache    map[string]int `json:"x_cache,omitempty"`
	Bytes    int64          `json:"bytes"`
	durs     []time.Duration
}

// Tally counts rs.
func Tally(rs []Result) Count {
	c := Count{Statuses: map[string]int{}, Cache: map[string]int{}}
	for _, r := range rs {
		c.Statuses[strconv.Itoa(r.Status)]++
		if r.Cache != "" {
			c.Cache[r.Cache]++
		}
		if r.Status == 200 {
			c.OK++
			c.Bytes += int64(r.Bytes)
			c.durs = append(c.durs, r.Dur)
		}
	}
	return c
}

// Durations are the latencies of the 200s.
func (c Count) Durations() []time.Duration { return c.durs }

// Median is the median of xs (the mean of the middle two for an even count).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
