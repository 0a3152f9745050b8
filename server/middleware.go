package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/pixmill/pixmill/internal/fault"
)

type ctxKey int

const logFieldsKey ctxKey = 0

// logFields collects what the handler wants in the one access-log line.
type logFields struct {
	mu    sync.Mutex
	attrs []any
}

func setLogField(r *http.Request, key string, value any) {
	if f, ok := r.Context().Value(logFieldsKey).(*logFields); ok {
		f.mu.Lock()
		f.attrs = append(f.attrs, key, value)
		f.mu.Unlock()
	}
}

// requestID takes X-Request-Id from the client (a CDN sets one) or makes one,
// and echoes it, so that a log line can be found from a response.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 128 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		f := &logFields{attrs: []any{"id", id}}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), logFieldsKey, f)))
	})
}

// accessLog writes one line per request.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		f, _ := r.Context().Value(logFieldsKey).(*logFields)
		attrs := []any{"method", r.Method, "path", r.URL.EscapedPath(), "dur_ms", float64(time.Since(start).Microseconds()) / 1000}
		if f != nil {
			f.mu.Lock()
			attrs = append(attrs, f.attrs...)
			f.mu.Unlock()
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", argsToAttrs(attrs)...)
	})
}

func argsToAttrs(args []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		out = append(out, slog.Any(fmt.Sprint(args[i]), args[i+1]))
	}
	return out
}

// recoverPanics turns a panic into a 500 for that request alone, logged with
// the request id and stack; the process goes on. http.ErrAbortHandler keeps
// its meaning.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "path", r.URL.EscapedPath(),
				"id", w.Header().Get("X-Request-Id"), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			s.writeError(w, fault.New(fault.Internal, "internal error"))
		}()
		next.ServeHTTP(w, r)
	})
}
