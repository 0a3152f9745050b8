package main

import (
	"encoding/json"
	"net/http"
	"os"
	"time"
)

// The hot path's floor is a minimal Go HTTP server that answers the same
// paths with the same bytes and headers pixmill sent, and does nothing else
// (as in server/bench_test.go), in a process of its own like pixmill.

// minimalEntry is one response the minimal server replays.
type minimalEntry struct {
	Path   string      `json:"path"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// runMinimalChild serves the entries in file on addr until interrupted.
func runMinimalChild(addr, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var entries []minimalEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return err
	}
	byPath := make(map[string]minimalEntry, len(entries))
	for _, e := range entries {
		e.Header.Del("Date")
		byPath[e.Path] = e
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.WriteHeader(http.StatusOK)
			return
		}
		e, ok := byPath[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		hd := w.Header()
		for k, v := range e.Header {
			hd[k] = v
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(e.Body)
	})
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	return srv.ListenAndServe()
}
