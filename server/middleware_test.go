package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/cache"
	"github.com/pixmill/pixmill/internal/fault"
)

// TestPanicBecomesA500ForThatRequestOnly: a handler that panics answers 500
// with a plain one-line body, the panic is logged with the request id and
// stack, and the next request is served normally.
func TestPanicBecomesA500ForThatRequestOnly(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
	h := requestID(s.accessLog(s.recoverPanics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			var m map[string]int
			m["x"]++ // a nil-map write: a real runtime panic
		}
		_, _ = w.Write([]byte("fine"))
	}))))
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || body.String() != "internal error\n" {
		t.Errorf("panic: %d %q, want 500 \"internal error\"", resp.StatusCode, body)
	}
	id := resp.Header.Get("X-Request-Id")
	if !strings.Contains(logs.String(), "panic serving request") || !strings.Contains(logs.String(), id) ||
		!strings.Contains(logs.String(), "assignment to entry in nil map") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("panic log lacks the message, request id %q or stack:\n%s", id, logs.String())
	}
	resp, err = http.Get(srv.URL + "/after")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the panic: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"bad request", fault.New(fault.BadRequest, "x"), 400},
		{"forbidden", fault.New(fault.Forbidden, "x"), 403},
		{"not found", fault.New(fault.NotFound, "x"), 404},
		{"too large", fault.New(fault.TooLarge, "x"), 413},
		{"unsupported", fault.New(fault.Unsupported, "x"), 415},
		{"undecodable", fault.New(fault.Undecodable, "x"), 422},
		{"overloaded", fault.New(fault.Overloaded, "x"), 503},
		{"upstream timeout", fault.New(fault.UpstreamTimeout, "x"), 504},
		{"plain error", errors.New("x"), 500},
		{"panic in a render", renderFailure(&cache.PanicError{Value: "boom"}), 500},
		{"client gone", renderFailure(context.Canceled), 499},
		{"request deadline", renderFailure(context.DeadlineExceeded), 503},
		{"kind kept through the cache", renderFailure(fmt.Errorf("render: %w", fault.New(fault.Undecodable, "x"))), 422},
	}
	for _, tt := range tests {
		if got := Status(tt.err); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}
