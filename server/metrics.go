package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/pixmill/pixmill/cache"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/vision"
)

// Metrics are the Prometheus series DESIGN.md names, prefix pixmill_. Label
// values come from small fixed sets (status codes, formats, stages, reasons)
// so that no request can mint a new series.
type Metrics struct {
	Registry *prometheus.Registry

	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	cacheRequests  *prometheus.CounterVec
	cacheBytes     *prometheus.GaugeVec
	cacheEvictions *prometheus.CounterVec
	inflight       prometheus.Gauge
	queueDepth     prometheus.Gauge
	sourceBytes    prometheus.Counter
	responseBytes  prometheus.Counter
	rejected       *prometheus.CounterVec
	renders        prometheus.Counter
	storeDuration  *prometheus.HistogramVec
	storeFailures  *prometheus.CounterVec
	peerDuration   prometheus.Histogram
	peers          prometheus.Gauge
	peerFailures   *prometheus.CounterVec

	visionRequests  *prometheus.CounterVec
	visionDuration  prometheus.Histogram
	visionFallbacks *prometheus.CounterVec

	total        prometheus.Observer // request_duration_seconds{stage="total"}
	requestsSeen sync.Map            // requestKey -> prometheus.Counter
}

type requestKey struct {
	status int
	format string
}

// request counts one answer; the counters are looked up once per label
// pair, since hashing label values costs more than the increment.
func (m *Metrics) request(status int, format string) {
	k := requestKey{status, formatLabel(format)}
	c, ok := m.requestsSeen.Load(k)
	if !ok {
		c, _ = m.requestsSeen.LoadOrStore(k, m.requests.WithLabelValues(statusLabel(status), k.format))
	}
	c.(prometheus.Counter).Inc()
}

// NewMetrics registers every series on a fresh registry, with the Go runtime
// and process collectors and libvips' memory gauges.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixmill_requests_total", Help: "Image requests by HTTP status and output format.",
		}, []string{"status", "format"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pixmill_request_duration_seconds",
			Help:    "Time spent per request stage.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"stage"}),
		cacheRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixmill_cache_requests_total", Help: "Result cache lookups by tier and result.",
		}, []string{"tier", "result"}),
		cacheBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pixmill_cache_bytes", Help: "Bytes held by each cache tier.",
		}, []string{"tier"}),
		cacheEvictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixmill_cache_evictions_total", Help: "Entries evicted from a cache tier to make room.",
		}, []string{"tier"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pixmill_inflight_transforms", Help: "Transforms running now.",
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pixmill_queue_depth", Help: "Requests waiting for a transform slot.",
		}),
		sourceBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixmill_source_bytes_total", Help: "Bytes read from source storage.",
		}),
		responseBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixmill_response_bytes_total", Help: "Image bytes sent to clients.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pixmill_rejected_total", Help: "Requests refused, by reason.",
		}, []string{"reason"}),
		renders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pixmill_renders_total", Help: "Pipeline runs (cache misses that rendered).",
		}),
	}
	m.visionRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixmill_vision_requests_total", Help: "Smart-crop analyses by result: ok, cached, error, timeout, overloaded, breaker_open.",
	}, []string{"result"})
	m.visionDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "pixmill_vision_duration_seconds", Help: "Round trips to the vision sidecar.",
		Buckets: []float64{.005, .01, .02, .035, .05, .075, .1, .15, .25, .5, 1},
	})
	m.visionFallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixmill_vision_fallbacks_total", Help: "Crops placed by libvips attention because the sidecar gave no answer.",
	}, []string{"reason"})
	reg.MustRegister(m.visionRequests, m.visionDuration, m.visionFallbacks)
	m.storeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pixmill_store_duration_seconds", Help: "Durable store operations by op: read, write.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"op"})
	m.storeFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixmill_store_failures_total", Help: "Durable store operations that failed (read, write, purge) or writes dropped for a full queue (dropped).",
	}, []string{"op"})
	reg.MustRegister(m.storeDuration, m.storeFailures)
	for _, op := range []string{"read", "write"} {
		m.storeDuration.WithLabelValues(op) // present with or without a store, as the peer series below
	}
	for _, op := range []string{"read", "write", "purge", "dropped"} {
		m.storeFailures.WithLabelValues(op) // at 0, for alerts on rate()
	}
	// The shared tier's series exist whether or not it is on, so that the
	// dashboard and alerts have them on every replica.
	m.peerDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "pixmill_peer_duration_seconds", Help: "Requests to the replica that owns a variant (shared tier), answered or not.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	m.peers = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pixmill_peers", Help: "Replicas in the shared tier, this one included (0: the tier is off).",
	})
	m.peerFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixmill_peer_failures_total", Help: "Shared-tier operations that failed: purge (a peer that did not purge).",
	}, []string{"op"})
	m.peerFailures.WithLabelValues("purge")
	reg.MustRegister(m.peerDuration, m.peers, m.peerFailures)
	m.total = m.duration.WithLabelValues("total")
	reg.MustRegister(m.requests, m.duration, m.cacheRequests, m.cacheBytes, m.cacheEvictions, m.inflight, m.queueDepth,
		m.sourceBytes, m.responseBytes, m.rejected, m.renders,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		vipsCollector{})
	return m
}

// vipsCollector reads libvips' allocation counters at scrape time.
type vipsCollector struct{}

var (
	vipsMemDesc     = prometheus.NewDesc("pixmill_vips_memory_bytes", "Bytes allocated by libvips now.", nil, nil)
	vipsMemHighDesc = prometheus.NewDesc("pixmill_vips_memory_highwater_bytes", "Most bytes libvips has held at once.", nil, nil)
	vipsAllocsDesc  = prometheus.NewDesc("pixmill_vips_allocations", "Live libvips allocations.", nil, nil)
)

func (vipsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- vipsMemDesc
	ch <- vipsMemHighDesc
	ch <- vipsAllocsDesc
}

func (vipsCollector) Collect(ch chan<- prometheus.Metric) {
	mem, high, allocs := transform.MemoryStats()
	ch <- prometheus.MustNewConstMetric(vipsMemDesc, prometheus.GaugeValue, float64(mem))
	ch <- prometheus.MustNewConstMetric(vipsMemHighDesc, prometheus.GaugeValue, float64(high))
	ch <- prometheus.MustNewConstMetric(vipsAllocsDesc, prometheus.GaugeValue, float64(allocs))
}

// formatLabel keeps the format label within the known set.
func formatLabel(f string) string {
	switch f {
	case "avif", "webp", "jpeg", "png", "json":
		return f
	}
	return "none"
}

func statusLabel(code int) string { return strconv.Itoa(code) }

// VisionObserver feeds the vision metrics from the renderer's sidecar client.
func (m *Metrics) VisionObserver() vision.Observer {
	return vision.Observer{
		Result:   func(r string) { m.visionRequests.WithLabelValues(r).Inc() },
		Duration: m.visionDuration.Observe,
		Fallback: func(reason string) { m.visionFallbacks.WithLabelValues(reason).Inc() },
	}
}

// StoreObserver counts the durable store's events: lookups as
// pixmill_cache_requests_total{tier="store"}, latency and failures.
func (m *Metrics) StoreObserver() cache.StoreObserver {
	lookups := m.cacheRequests.MustCurryWith(prometheus.Labels{"tier": "store"})
	for _, op := range []string{"read", "write", "purge", "dropped"} {
		m.storeFailures.WithLabelValues(op) // present at 0, for alerts on rate()
	}
	return cache.StoreObserver{
		Lookup:   func(result string) { lookups.WithLabelValues(result).Inc() },
		Duration: func(op string, d time.Duration) { m.storeDuration.WithLabelValues(op).Observe(d.Seconds()) },
		Failure:  func(op string) { m.storeFailures.WithLabelValues(op).Inc() },
	}
}

// PeerObserver counts the shared tier's events: lookups as
// pixmill_cache_requests_total{tier="peer"}, the owner's latency, the
// replicas known and failed purges.
func (m *Metrics) PeerObserver() cache.PeerObserver {
	lookups := m.cacheRequests.MustCurryWith(prometheus.Labels{"tier": "peer"})
	for _, r := range []string{"hit", "miss", "error"} {
		lookups.WithLabelValues(r) // present at 0, for ratios and alerts
	}
	return cache.PeerObserver{
		Lookup:   func(result string) { lookups.WithLabelValues(result).Inc() },
		Duration: func(d time.Duration) { m.peerDuration.Observe(d.Seconds()) },
		Peers:    func(n int) { m.peers.Set(float64(n)) },
		Failure:  func(op string) { m.peerFailures.WithLabelValues(op).Inc() },
	}
}
