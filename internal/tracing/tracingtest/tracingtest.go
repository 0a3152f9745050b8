// Package tracingtest receives the spans a test's process exports: a real
// OTLP HTTP endpoint on loopback that decodes the OTLP protobuf
// (ExportTraceServiceRequest) the exporter sends, with tracing set up to
// send there through the standard OTEL_* variables.
package tracingtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/pixmill/pixmill/internal/tracing"
)

// Span is one received span, flattened for assertions.
type Span struct {
	Service  string // the resource's service.name
	Name     string
	Kind     tracepb.Span_SpanKind
	TraceID  string // hex
	SpanID   string
	ParentID string // "" for a root span
	Attrs    map[string]string
	Error    bool // status code Error
	Start    time.Time
	End      time.Time
}

func (s Span) String() string {
	return fmt.Sprintf("%s %q trace=%s span=%s parent=%s %v", s.Service, s.Name, s.TraceID, s.SpanID, s.ParentID, s.Attrs)
}

// Receiver is the OTLP HTTP endpoint.
type Receiver struct {
	URL string // the traces endpoint, http://127.0.0.1:PORT/v1/traces

	mu    sync.Mutex
	spans []Span
	errs  []string
}

// Start serves a receiver on loopback and turns tracing on to export to it
// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, spans batched every 50 ms). Tracing
// is shut down, and the receiver stopped, in t.Cleanup. Call it before
// starting the servers whose spans the test wants: they decide at start.
func Start(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = srv.URL + "/v1/traces"
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", r.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	shutdown, err := tracing.Setup(context.Background(), "pixmill")
	if err != nil {
		srv.Close()
		t.Fatalf("tracing: %v", err)
	}
	if !tracing.On() {
		srv.Close()
		t.Fatal("tracing did not turn on with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Errorf("tracing shutdown: %v", err)
		}
		srv.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, e := range r.errs {
			t.Errorf("OTLP receiver: %s", e)
		}
	})
	return r
}

func (r *Receiver) fail(w http.ResponseWriter, format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
	http.Error(w, fmt.Sprintf(format, args...), http.StatusBadRequest)
}

// serve decodes one export request, as a collector's OTLP HTTP receiver
// does for application/x-protobuf.
func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		r.fail(w, "unexpected %s %s", req.Method, req.URL.Path)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		r.fail(w, "Content-Type %q, want application/x-protobuf", ct)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			r.fail(w, "gzip: %v", err)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		r.fail(w, "reading: %v", err)
		return
	}
	var msg coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &msg); err != nil {
		r.fail(w, "decoding ExportTraceServiceRequest: %v", err)
		return
	}
	var got []Span
	for _, rs := range msg.GetResourceSpans() {
		service := attrs(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				got = append(got, Span{
					Service: service, Name: s.GetName(), Kind: s.GetKind(),
					TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
					ParentID: hex.EncodeToString(s.GetParentSpanId()), Attrs: attrs(s.GetAttributes()),
					Error: s.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR,
					Start: time.Unix(0, int64(s.GetStartTimeUnixNano())), End: time.Unix(0, int64(s.GetEndTimeUnixNano())),
				})
			}
		}
	}
	r.mu.Lock()
	r.spans = append(r.spans, got...)
	r.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = io.Copy(w, bytes.NewReader(out))
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		v := kv.GetValue()
		switch x := v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = x.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = fmt.Sprint(x.IntValue)
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = fmt.Sprint(x.BoolValue)
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = fmt.Sprint(x.DoubleValue)
		default:
			m[kv.GetKey()] = strings.TrimSpace(v.String())
		}
	}
	return m
}

// Spans returns the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// WaitFor waits up to 10 s until ok holds for the spans received, and
// returns them; the test fails, listing them, if it never does.
func (r *Receiver) WaitFor(t testing.TB, what string, ok func([]Span) bool) []Span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		spans := r.Spans()
		if ok(spans) {
			return spans
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, s := range spans {
				b.WriteString("\n  " + s.String())
			}
			t.Fatalf("OTLP receiver: no %s within 10s; received:%s", what, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
