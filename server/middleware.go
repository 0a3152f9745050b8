package server

import (
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

// requestLog carries one request's id and the fields the handler adds to
// its access-log line. It wraps the ResponseWriter rather than the context:
// a context value would copy the whole *http.Request on every request.
type requestLog struct {
	http.ResponseWriter
	id    string
	mu    sync.Mutex
	attrs []slog.Attr
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (l *requestLog) Unwrap() http.ResponseWriter { return l.ResponseWriter }

// setLogField adds a to the request's access-log line.
func setLogField(w http.ResponseWriter, a slog.Attr) {
	if l, ok := logOf(w); ok {
		l.mu.Lock()
		l.attrs = append(l.attrs, a)
		l.mu.Unlock()
	}
}

// logOf finds the request's log through the writer the request span's
// middleware adds when tracing is on.
func logOf(w http.ResponseWriter) (*requestLog, bool) {
	if t, ok := w.(*tracedWriter); ok {
		w = t.ResponseWriter
	}
	l, ok := w.(*requestLog)
	return l, ok
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
		l := &requestLog{ResponseWriter: w, id: id}
		l.attrs = make([]slog.Attr, 0, 4)
		next.ServeHTTP(l, r)
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
		if l, ok := w.(*requestLog); ok {
			l.mu.Lock()
			rec.AddAttrs(slog.String("id", l.id))
			rec.AddAttrs(l.attrs...)
			l.mu.Unlock()
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
