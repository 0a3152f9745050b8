package server_test

import (
	"testing"

	"github.com/pixmill/pixmill/internal/testorigin"
	"github.com/pixmill/pixmill/presets"
)

// BenchmarkMissPathSource is BenchmarkMissPath's miss (L1 off) with the
// same photos read from a file:// source and from an HTTP source (a
// loopback origin serving the same folder), to price the HTTP fetch: the
// attributes are cached after the first round, so each miss is one read
// (file) or one GET (HTTP). f=json prices the fetch with almost no render
// behind it. Run it with
//
//	go test ./server -run '^$' -bench MissPathSource -benchtime 24x
func BenchmarkMissPathSource(b *testing.B) {
	corpus := corpusDir(b)
	origin := testorigin.Start(b, testorigin.Files(corpus))
	s := startServer(b, `
sources:
  file: { url: "file://`+corpus+`" }
  web:  { url: "`+origin.URL+`/", allow_private_networks: true }
signing: { keys: ["`+testKey+`"] }
cache: { max_bytes: 0 }
log: { level: warn }
`)
	handler := s.App.Server.Handler()
	for _, f := range []struct{ name, tr string }{{"jpeg", "f=jpeg,q=80"}, {"json", "f=json"}} {
		for _, src := range []string{"file", "web"} {
			var paths []string
			for _, p := range missPhotos {
				paths = append(paths, s.sign(b, "/w=512,h=512,fit=scale-down,"+f.tr+"/"+src+"/"+presets.EscapeKey(p)))
			}
			b.Run(f.name+"/"+src, func(b *testing.B) { serveInTurn(b, handler, paths) })
		}
	}
}
