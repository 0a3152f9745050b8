// Package tracing sets up OpenTelemetry tracing for both binaries from the
// standard OTEL_* environment variables, and tells the packages that make
// spans whether to make them.
//
// Tracing is off unless the environment asks for it (see Enabled). Off, no
// exporter runs and no span is made: the packages check On, one atomic
// load, before touching a tracer, so the hot path allocates nothing for it.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// provider is the SDK provider while tracing is on, nil when off. The
// global one (otel.SetTracerProvider) is set too, but a tracer taken from
// the global before it was set keeps pointing at the first provider ever
// set; taking tracers from here lets a process (or a test) set up again.
var provider atomic.Pointer[sdktrace.TracerProvider]

// On reports whether tracing is set up. Check it before starting a span.
func On() bool { return provider.Load() != nil }

// Tracer returns the named tracer (a no-op one when tracing is off).
func Tracer(name string) trace.Tracer {
	if p := provider.Load(); p != nil {
		return p.Tracer(name)
	}
	return noop.NewTracerProvider().Tracer(name)
}

// Propagator carries a trace across HTTP as W3C traceparent/tracestate.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Enabled is the rule that turns tracing on, given the environment:
//
//   - OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none: off;
//   - OTEL_TRACES_EXPORTER=otlp: on;
//   - otherwise on exactly when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
//     OTEL_EXPORTER_OTLP_ENDPOINT is set (non-empty).
//
// Any other OTEL_TRACES_EXPORTER, or an OTLP protocol other than
// http/protobuf, is an error: the process refuses to start rather than
// drop the traces an operator asked for.
func Enabled(getenv func(string) string) (bool, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false, nil
	}
	on := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
	switch exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp {
	case "":
	case "none":
		return false, nil
	case "otlp":
		on = true
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: only otlp (HTTP) and none are supported", exp)
	}
	if !on {
		return false, nil
	}
	proto := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if proto != "" && proto != "http/protobuf" {
		return false, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: only http/protobuf is supported", proto)
	}
	return true, nil
}

// Setup turns tracing on when the environment asks for it (see Enabled):
// an OTLP HTTP exporter (endpoint, headers, timeout, TLS from the OTEL_*
// exporter variables), a batch span processor (OTEL_BSP_*), the sampler
// from OTEL_TRACES_SAMPLER (default: parent-based, always on), and a
// resource named service unless OTEL_SERVICE_NAME says otherwise
// (OTEL_RESOURCE_ATTRIBUTES adds to it). The returned shutdown flushes the
// spans still queued and turns tracing off; it is never nil.
func Setup(ctx context.Context, service string) (shutdown func(context.Context) error, err error) {
	nothing := func(context.Context) error { return nil }
	on, err := Enabled(os.Getenv)
	if err != nil || !on {
		return nothing, err
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nothing, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	// FromEnv last: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
	res, err := resource.New(ctx, resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", service)), resource.WithFromEnv())
	if err != nil {
		return nothing, fmt.Errorf("tracing: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	provider.Store(tp)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator)
	// Export failures (a collector down) go to the process's log as one
	// structured line, not to the standard logger.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		slog.Warn("tracing: export", "err", err)
	}))
	return func(ctx context.Context) error {
		provider.CompareAndSwap(tp, nil)
		return errors.Join(tp.ForceFlush(ctx), tp.Shutdown(ctx))
	}, nil
}

// Stop runs shutdown (from Setup) with a few seconds to flush, logging a
// failure: a process on its way out has nobody else to tell.
func Stop(shutdown func(context.Context) error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		log.Warn("tracing: flushing spans at exit", "err", err)
	}
}
