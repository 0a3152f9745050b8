package server_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/vision/sidecar"
	"github.com/pixmill/pixmill/vision/visiontest"
)

// missPhotos are the load benchmark's photos (bench/suite): 12–24 MP and
// 2560x1600 JPEGs.
var missPhotos = []string{
	"photos/kleiber_bird_20mp.jpg", "photos/milkyway_vertical_24mp.jpg",
	"photos/sunset_12mp_progressive.jpg", "photos/dragonfly_tree_13mp_progressive.jpg",
	"photos/evening_glow_boats.jpg", "photos/forest_path.jpg",
	"photos/object_colorful_cups_progressive.jpg", "photos/ladybird_macro.jpg",
}

// BenchmarkMissPath is the whole miss path through the HTTP handler, in
// process, with the L1 off: parse and verify, source attributes, read the
// original from a file:// bucket, admission, probe, render, headers. Two
// goroutines, as many as the load benchmark's clients. Profile it with
//
//	go test ./server -run '^$' -bench MissPath/jpeg -benchtime 80x -cpuprofile /tmp/miss.prof
//	go tool pprof -top -cum /tmp/miss.prof
func BenchmarkMissPath(b *testing.B) {
	s := startServer(b, `
source: { url: "file://`+corpusDir(b)+`" }
signing: { keys: ["`+testKey+`"] }
cache: { max_bytes: 0 }
log: { level: warn }
`)
	handler := s.App.Server.Handler()
	for _, f := range []struct{ name, tr string }{
		{"jpeg", "f=jpeg,q=80"}, {"webp", "f=webp,q=75"}, {"avif", "f=avif,q=63"}, {"png", "f=png"},
	} {
		var paths []string
		for _, p := range missPhotos {
			paths = append(paths, s.sign(b, "/w=512,h=512,fit=scale-down,"+f.tr+"/"+presets.EscapeKey(p)))
		}
		b.Run(f.name, func(b *testing.B) { serveInTurn(b, handler, paths) })
	}
}

// serveInTurn sends paths round-robin through handler from GOMAXPROCS
// goroutines (2 on the benchmark machine, as many as the load benchmark's
// clients), each expecting a 200.
func serveInTurn(b *testing.B, handler http.Handler, paths []string) {
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(1)
	b.RunParallel(func(pb *testing.PB) {
		w := &statusWriter{discardWriter: discardWriter{h: http.Header{}}}
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, paths[int(next.Add(1))%len(paths)], nil)
			clear(w.h)
			handler.ServeHTTP(w, req)
			if w.status != http.StatusOK {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
}

// statusWriter is a discardWriter that remembers the status.
type statusWriter struct {
	discardWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code }

// facePhotos are the corpus' photos of people, for the g=face miss path.
var facePhotos = []string{
	"faces/group_portrait_1.jpg", "faces/group_portrait_3.jpg", "faces/group_portrait_5.jpg",
	"faces/woman_sunglasses_adobergb_progressive.jpg", "faces/grace_hopper.jpg",
	"faces/footballer_action.jpg", "faces/astronaut_eileen_collins.png",
}

// BenchmarkMissPathFace is what g=face adds to a miss: the same 512x512
// fit=cover WebP of the photos of people, placed by g=center and by g=face
// with a real sidecar on loopback (the default detectors, CPU). The vision
// cache holds one analysis and the photos come round in turn, so every
// g=face request decodes a preview and asks the sidecar, as a source's
// first request does.
//
//	go test ./server -run '^$' -bench MissPathFace -benchtime 60x
func BenchmarkMissPathFace(b *testing.B) {
	url := visiontest.Start(b, sidecar.Config{})
	s := startServer(b, `
source: { url: "file://`+corpusDir(b)+`" }
signing: { keys: ["`+testKey+`"] }
cache: { max_bytes: 0 }
vision: { url: "`+url+`", timeout: 5s, cache_size: 1 }
log: { level: warn }
`)
	handler := s.App.Server.Handler()
	for _, g := range []string{"center", "face"} {
		var paths []string
		for _, p := range facePhotos {
			paths = append(paths, s.sign(b, "/w=512,h=512,fit=cover,g="+g+",f=webp,q=75/"+presets.EscapeKey(p)))
		}
		b.Run("g="+g, func(b *testing.B) { serveInTurn(b, handler, paths) })
	}
}
