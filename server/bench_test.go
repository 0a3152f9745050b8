package server_test

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// discardWriter is a ResponseWriter that keeps nothing, so that in-process
// benchmarks measure the handler alone.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// hotPath starts a server, warms one URL into the L1 and returns the server,
// the path, and a minimal handler that answers with the same bytes and the
// same headers: the floor that the L1-hit path is compared against.
func hotPath(b *testing.B) (*testServer, string, http.Handler) {
	s := startServer(b, `
source: { url: "file://`+samplesDir(b)+`" }
signing: { keys: ["`+testKey+`"] }
`)
	path := s.sign(b, "/w=200,f=webp/grace_hopper.jpg")
	resp, body := s.get(b, path)
	if again, _ := s.get(b, path); again.Header.Get("X-Cache") != "HIT" {
		b.Fatalf("warm-up: X-Cache %q", again.Header.Get("X-Cache"))
	}
	headers := resp.Header.Clone()
	headers.Del("Date")
	minimal := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range headers {
			h[k] = v
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	return s, path, minimal
}

// BenchmarkHotPathInProcess compares the handler cost of an L1 hit with the
// minimal handler, without the network: ns/op and allocations per request.
func BenchmarkHotPathInProcess(b *testing.B) {
	s, path, minimal := hotPath(b)
	handler := s.App.Server.Handler()
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"l1-hit", handler}, {"minimal", minimal}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequest(http.MethodGet, path, nil)
				w := &discardWriter{h: http.Header{}}
				for pb.Next() {
					clear(w.h)
					bc.h.ServeHTTP(w, req)
				}
			})
		})
	}
}

// BenchmarkHotPathHTTP drives both over loopback HTTP with keep-alive from
// several clients and reports requests per second.
func BenchmarkHotPathHTTP(b *testing.B) {
	s, path, minimal := hotPath(b)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: minimal}
	go srv.Serve(l)
	defer srv.Close()
	for _, bc := range []struct {
		name string
		url  string
	}{{"l1-hit", s.URL + path}, {"minimal", "http://" + l.Addr().String() + path}} {
		b.Run(bc.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.ReportAllocs()
			b.SetParallelism(4)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(bc.url)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Error("status " + strconv.Itoa(resp.StatusCode))
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
