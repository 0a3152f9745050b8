package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/pixmill/pixmill/internal/tracing"
)

// tracerName names the server's spans' instrumentation scope.
const tracerName = "github.com/pixmill/pixmill/server"

// imageRoute names the image route in span names (chi serves it as the
// not-found handler, so it has no pattern of its own).
const imageRoute = "/{signature}/{transform}/{key}"

// traceRequests makes the request's span (a child of the caller's
// traceparent, if it sent one) and puts its trace id on the access-log
// line. With tracing off (when the handler is built) it is next itself:
// a request makes no span and pays nothing.
func (s *Server) traceRequests(next http.Handler) http.Handler {
	if !tracing.On() {
		return next
	}
	tracer := tracing.Tracer(tracerName)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := tracing.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method),
				attribute.String("url.path", r.URL.EscapedPath())))
		defer span.End()
		sc := span.SpanContext()
		setLogField(w, slog.String("trace_id", sc.TraceID().String()))
		setLogField(w, slog.String("span_id", sc.SpanID().String()))
		tw := &tracedWriter{ResponseWriter: w}
		next.ServeHTTP(tw, r.WithContext(ctx))

		route := imageRoute
		if rc := chi.RouteContext(ctx); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		span.SetName(r.Method + " " + route)
		span.SetAttributes(attribute.String("http.route", route))
		if l, ok := logOf(w); ok {
			span.SetAttributes(attribute.String("pixmill.request_id", l.id))
		}
		status := tw.status
		if status == 0 {
			status = http.StatusOK // a Write without WriteHeader
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	})
}

// tracedWriter remembers the status for the request's span. Only a traced
// request has one: the access log's writer stays as small as it was.
type tracedWriter struct {
	http.ResponseWriter
	status int
}

func (t *tracedWriter) WriteHeader(code int) {
	if t.status == 0 && code >= 200 {
		t.status = code
	}
	t.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (t *tracedWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// startSpan starts a child span of ctx's when tracing is on; off, it
// returns ctx and a nil span, and costs nothing. End it with endSpan.
func startSpan(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !tracing.On() {
		return ctx, nil
	}
	return tracing.Tracer(tracerName).Start(ctx, name, opts...)
}

// endSpan ends span (nil when tracing is off), recording err.
func endSpan(span trace.Span, err error, opts ...trace.SpanEndOption) {
	if span == nil {
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End(opts...)
}

// traceStages records the transform and encode stages of a render that
// started at start, from the durations the renderer measured: the
// transform span (already started, so that the vision span nests in it)
// ends when the transform did, and an encode span follows it.
func traceStages(ctx context.Context, transformSpan trace.Span, start time.Time, transformDur, encodeDur time.Duration, format string, err error) {
	if transformSpan == nil {
		return
	}
	if err != nil {
		endSpan(transformSpan, err)
		return
	}
	mid := start.Add(transformDur)
	transformSpan.SetAttributes(attribute.String("pixmill.format", format))
	transformSpan.End(trace.WithTimestamp(mid))
	if encodeDur <= 0 {
		return // f=json and raw copies encode nothing
	}
	_, enc := tracing.Tracer(tracerName).Start(ctx, "encode", trace.WithTimestamp(mid),
		trace.WithAttributes(attribute.String("pixmill.format", format)))
	enc.End(trace.WithTimestamp(mid.Add(encodeDur)))
}
