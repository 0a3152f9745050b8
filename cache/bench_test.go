package cache

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchCache is an L1 holding n entries of 30 KB (a 512 px JPEG; they share
// one body, which the byte accounting counts n times) from 100 sources, with
// the metrics observer counting like the server's.
func benchCache(b *testing.B, n int) (*Cache, []string) {
	var hits atomic.Int64
	c := New(Config{MaxBytes: 1 << 40, MaxItemBytes: 8 << 20}, Observer{Lookup: func(string) { hits.Add(1) }})
	body := make([]byte, 30_000)
	keys := make([]string, n)
	for i := range keys {
		// The server's key: source key, NUL, variant ETag.
		keys[i] = "photos/2024/cat-" + strconv.Itoa(i%100) + ".jpg\x00\"Q2xlYXJseSBhIHZhcmlhbnQgZXRh" + strconv.Itoa(i) + "\""
		e := &Entry{Body: body, SourceKey: "src" + strconv.Itoa(i%100), ContentType: "image/jpeg"}
		if _, _, err := c.Do(context.Background(), keys[i], render(e)); err != nil {
			b.Fatal(err)
		}
	}
	return c, keys
}

// BenchmarkL1Lookup is the hit path's cache lookup (Lookup, as the server
// calls it before Do): one mutex, one LRU move, one counter.
func BenchmarkL1Lookup(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(strconv.Itoa(n)+"-entries", func(b *testing.B) {
			c, keys := benchCache(b, n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, ok := c.Lookup(keys[i%len(keys)]); !ok {
					b.Fatal("miss")
				}
				i++
			}
		})
	}
}

// BenchmarkL1LookupParallel is the same from GOMAXPROCS goroutines: the
// cache's one mutex under contention.
func BenchmarkL1LookupParallel(b *testing.B) {
	c, keys := benchCache(b, 1_000)
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := c.Lookup(keys[int(next.Add(1))%len(keys)]); !ok {
				b.Error("miss")
				return
			}
		}
	})
}

// BenchmarkL1Miss is a miss that renders (a trivial render) and stores:
// the coalescing bookkeeping, the goroutine, byte accounting and eviction.
func BenchmarkL1Miss(b *testing.B) {
	c := New(Config{MaxBytes: 64 << 20, MaxItemBytes: 8 << 20}, Observer{})
	e := entry("src", 30_000)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := c.Do(ctx, "k"+strconv.Itoa(i), render(e)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAttributesHit is the source-attribute cache lookup every request
// makes before the L1.
func BenchmarkAttributesHit(b *testing.B) {
	t := NewTTL[int](10_000, time.Minute)
	for i := range 1_000 {
		t.Add("photos/"+strconv.Itoa(i)+".jpg", i)
	}
	keys := make([]string, 1_000)
	for i := range keys {
		keys[i] = "photos/" + strconv.Itoa(i) + ".jpg"
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := t.Get(keys[i%len(keys)]); !ok {
			b.Fatal("miss")
		}
		i++
	}
}
