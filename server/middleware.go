package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pixmill/pixmill/internal/fault"
)

type ctxKey int

const logFieldsKey ctxKey = 0

// logFields collects what the handler wants in the one access-log line.
type logFields struct {
	mu    sync.Mutex
	attrs []slog.Attr
}

func setLogField(r *http.Request, key string, value any) {
	if f, ok := r.Context().Value(logFieldsKey).(*logFields); ok {
		f.mu.Lock()
		f.attrs = append(f.attrs, slog.Any(key, value))
		f.mu.Unlock()
	}
}

// Request ids are a random per-process prefix and a counter: unique enough
// to find a log line, and free of a system call per request.
var (
	idPrefix  = newIDPrefix()
	idCounter atomic.Uint64
)

func newIDPrefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-"
}

// requestID takes X-Request-Id from the client (a CDN sets one) or makes one,
// and echoes it, so that a log line can be found from a response.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 128 {
			id = idPrefix + strconv.FormatUint(idCounter.Add(1), 36)
		}
		w.Header()["X-Request-Id"] = []string{id}
		f := &logFields{attrs: make([]slog.Attr, 0, 8)}
		f.attrs = append(f.attrs, slog.String("id", id))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), logFieldsKey, f)))
	})
}

// accessLog writes one line per request.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		h := s.log.Handler()
		if !h.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		// A record built by hand carries no caller PC: Logger.Log would
		// walk the stack for one on every request.
		rec := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
		rec.AddAttrs(slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()),
			slog.Float64("dur_ms", float64(time.Since(start).Microseconds())/1000))
		if f, _ := r.Context().Value(logFieldsKey).(*logFields); f != nil {
			f.mu.Lock()
			rec.AddAttrs(f.attrs...)
			f.mu.Unlock()
		}
		_ = h.Handle(r.Context(), rec)
	})
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
