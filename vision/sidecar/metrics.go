package sidecar

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the sidecar's own, on its own /metrics. Every series carries
// the execution provider as a constant label, so a dashboard can tell a GPU
// sidecar from one that fell back to the CPU.
type metrics struct {
	requests  *prometheus.CounterVec
	duration  prometheus.Histogram
	batchSize prometheus.Histogram
	batchRun  prometheus.Histogram
}

// Request results, the values of the result label.
const (
	resultOK         = "ok"
	resultBadRequest = "bad_request"
	resultTooLarge   = "too_large"
	resultOverloaded = "overloaded"
	resultCanceled   = "canceled"
	resultError      = "error"
)

func newMetrics(reg prometheus.Registerer, provider string, queueDepth func() int) *metrics {
	cl := prometheus.Labels{"provider": provider}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "pixmill", Name: "vision_requests_total", ConstLabels: cl,
			Help: "Analysis requests by result: ok, bad_request, too_large, overloaded, canceled, error.",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "pixmill", Name: "vision_duration_seconds", ConstLabels: cl,
			Help:    "Time from request to answer for successful analyses: decode, resize, queue, inference.",
			Buckets: []float64{.005, .01, .02, .04, .06, .08, .1, .15, .2, .3, .5, 1, 2},
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "pixmill", Name: "vision_batch_size", ConstLabels: cl,
			Help:    "Previews per model run.",
			Buckets: []float64{1, 2, 3, 4, 6, 8, 12, 16, 24, 32},
		}),
		batchRun: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "pixmill", Name: "vision_batch_duration_seconds", ConstLabels: cl,
			Help:    "Inference time per batch, all models.",
			Buckets: []float64{.002, .005, .01, .02, .04, .08, .16, .32, .64, 1.28},
		}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "pixmill", Name: "vision_provider", ConstLabels: cl,
		Help: "1, labelled with the execution provider the models run on (cuda or cpu).",
	})
	info.Set(1)
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "pixmill", Name: "vision_queue_depth", ConstLabels: cl,
		Help: "Previews waiting for a batch.",
	}, func() float64 { return float64(queueDepth()) })
	reg.MustRegister(m.requests, m.duration, m.batchSize, m.batchRun, info, depth)
	for _, r := range []string{resultOK, resultBadRequest, resultTooLarge, resultOverloaded, resultCanceled, resultError} {
		m.requests.WithLabelValues(r) // export zeros, so rate() works from the start
	}
	return m
}

func (m *metrics) observeBatch(size int, took time.Duration) {
	m.batchSize.Observe(float64(size))
	m.batchRun.Observe(took.Seconds())
}
