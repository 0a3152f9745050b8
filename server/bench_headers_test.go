package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/pixmill/pixmill/cache"
	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform/spec"
)

// benchServer is a Server with the default header configuration, enough
// for the header and key functions.
func benchServer() *Server {
	return New(Config{Headers: HeaderConfig{
		MaxAge: 24 * time.Hour, SMaxAge: 365 * 24 * time.Hour,
		StaleWhileRevalidate: 24 * time.Hour, StaleIfError: 7 * 24 * time.Hour,
		SurrogateKeyHeader: "Surrogate-Key", CacheTagHeader: "Cache-Tag",
	}}, nil, nil, nil, NewMetrics(), nil)
}

// BenchmarkCacheKey is the L1 key of a request: the variant ETag (SHA-256
// over source version, canonical transform, negotiation input and pipeline
// version) joined to the source key, computed on every request, hit or miss.
func BenchmarkCacheKey(b *testing.B) {
	const (
		key       = "photos/2024/cat.jpg"
		version   = `"9b2cf535f27731c974343645a3985328"`
		canonical = "w=800,h=600,fit=cover,g=face,q=80,f=webp"
	)
	for _, bc := range []struct {
		name   string
		format spec.Format
		accept string
	}{
		{"explicit-format", spec.FormatWebP, ""},
		{"f=auto", spec.FormatAuto, "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				etag := variantETag(source.Default, version, canonical, spec.Options{Format: bc.format}, bc.accept)
				if k := key + "\x00" + etag; len(k) == 0 {
					b.Fatal("empty key")
				}
			}
		})
	}
}

// BenchmarkHeaderWriter covers the response headers: built once per render
// (entry), copied on every hit with the per-response fields (hit, as
// serveImage writes them), the 304's, and the Server-Timing value.
func BenchmarkHeaderWriter(b *testing.B) {
	s := benchServer()
	e := &cache.Entry{
		Body: make([]byte, 30_000), ContentType: "image/webp", Format: "webp",
		ETag: `"Q2xlYXJseSBhIHZhcmlhbnQgZXRh"`, LastModified: time.Unix(1_700_000_000, 0), SourceKey: "photos/2024/cat.jpg",
	}
	v := variant{ref: source.Ref{Source: source.Default, Key: e.SourceKey}}
	v.tag = purgeTag(v.ref)
	s.entryHeader(e, v)
	b.Run("entry", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.entryHeader(&cache.Entry{Body: e.Body, ContentType: e.ContentType, Format: e.Format,
				ETag: e.ETag, LastModified: e.LastModified, SourceKey: e.SourceKey}, v)
		}
	})
	b.Run("hit", func(b *testing.B) {
		h := http.Header{}
		vary := varyList{"Accept"}
		b.ReportAllocs()
		for b.Loop() {
			clear(h)
			for k, v := range e.Header {
				h[k] = v
			}
			h["Vary"] = []string{vary.String()}
			h["Server-Timing"] = []string{timing{}.header()}
			h["X-Cache"] = outcomeHeader[cache.Hit]
		}
	})
	b.Run("not-modified", func(b *testing.B) {
		h := http.Header{}
		vary := varyList{"Accept"}
		b.ReportAllocs()
		for b.Loop() {
			clear(h)
			s.setCacheHeaders(h, e.ETag, vary, e.SourceKey, &s.whole)
		}
	})
	b.Run("server-timing", func(b *testing.B) {
		t := timing{queue: 1200 * time.Microsecond, fetch: 800 * time.Microsecond, transform: 3 * time.Millisecond, encode: 52 * time.Millisecond}
		b.ReportAllocs()
		for b.Loop() {
			if t.header() == "" {
				b.Fatal("empty")
			}
		}
	})
	b.Run("content-disposition-utf8", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = contentDisposition("photos/name with spaces & ünïcode.jpg", "webp")
		}
	})
}
