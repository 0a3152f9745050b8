// Package testorigin is the HTTP origin the source and server tests fetch
// originals from: a real net/http server on 127.0.0.1 that counts the
// connections and requests it sees, and a resolver that answers from a map,
// so that tests name hosts without any DNS query leaving the machine.
package testorigin

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Resolver answers from its map; any other name is "no such host", and
// nothing is ever sent to a DNS server.
type Resolver map[string][]netip.Addr

// LookupNetIP implements source.Resolver.
func (r Resolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := r[strings.ToLower(host)]; ok {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host (test resolver)", Name: host, IsNotFound: true}
}

// Addrs parses addresses for a Resolver entry.
func Addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// Request is one request an Origin answered.
type Request struct {
	Method, Path, IfNoneMatch string
	Status                    int
}

// Origin is an HTTP server on 127.0.0.1 that records what reaches it.
type Origin struct {
	URL  string // http://127.0.0.1:PORT
	Port string

	conns atomic.Int64
	mu    sync.Mutex
	reqs  []Request
}

// Start serves h on 127.0.0.1 until the test ends.
func Start(t testing.TB, h http.Handler) *Origin {
	t.Helper()
	o := &Origin{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rw, r)
		o.mu.Lock()
		o.reqs = append(o.reqs, Request{Method: r.Method, Path: r.URL.Path, IfNoneMatch: r.Header.Get("If-None-Match"), Status: rw.status})
		o.mu.Unlock()
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			o.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	o.URL = srv.URL
	_, o.Port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	return o
}

// Conns is how many connections were accepted.
func (o *Origin) Conns() int64 { return o.conns.Load() }

// Requests returns what was answered so far.
func (o *Origin) Requests() []Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Request(nil), o.reqs...)
}

// Count is how many requests were answered with status (0: any).
func (o *Origin) Count(status int) int {
	n := 0
	for _, r := range o.Requests() {
		if status == 0 || r.Status == status {
			n++
		}
	}
	return n
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Files serves dir with an ETag per file (size and modification time), so
// that If-None-Match is answered 304 by net/http.
func Files(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/")))
		info, err := os.Stat(name)
		if err != nil || !info.Mode().IsRegular() || strings.Contains(r.URL.Path, "..") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, info.Size(), info.ModTime().UnixNano()))
		http.ServeFile(w, r, name)
	})
}
