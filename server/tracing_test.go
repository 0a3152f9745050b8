package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/internal/tracing/tracingtest"
)

// TestAccessLogCarriesTraceID: with tracing on, the access-log line names
// the request span's trace and span ids, as exported; with it off, the
// line has neither.
func TestAccessLogCarriesTraceID(t *testing.T) {
	serve := func(s *Server) string {
		h := requestID(s.accessLog(s.traceRequests(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		}))))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
		return rec.Header().Get("X-Request-Id")
	}

	var off bytes.Buffer
	serve(&Server{log: slog.New(slog.NewTextHandler(&off, nil))})
	if strings.Contains(off.String(), "trace_id") {
		t.Errorf("tracing off, yet the access log has a trace id: %s", off.String())
	}

	rcv := tracingtest.Start(t)
	var logs bytes.Buffer
	id := serve(&Server{log: slog.New(slog.NewTextHandler(&logs, nil))})
	spans := rcv.WaitFor(t, "the request span", func(ss []tracingtest.Span) bool { return len(ss) > 0 })
	sp := spans[0]
	if sp.Name != "GET /{signature}/{transform}/{key}" || sp.Attrs["http.response.status_code"] != "418" ||
		sp.Attrs["pixmill.request_id"] != id || sp.Error {
		t.Errorf("request span %s", sp)
	}
	line := logs.String()
	if !strings.Contains(line, "trace_id="+sp.TraceID) || !strings.Contains(line, "span_id="+sp.SpanID) || !strings.Contains(line, "id="+id) {
		t.Errorf("access log %q lacks trace_id=%s span_id=%s", line, sp.TraceID, sp.SpanID)
	}
}
