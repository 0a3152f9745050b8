package cache

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/breaker"
)

func storeAt(t *testing.T, dir string, obs StoreObserver) *Store {
	t.Helper()
	st, err := OpenStore(context.Background(), StoreConfig{URL: "file://" + dir + "?no_tmp_dir=1"}, obs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func entryOf(src, etag, body string) *Entry {
	return &Entry{
		Body: []byte(body), ContentType: "image/webp", Format: "webp", ETag: etag, SourceKey: src,
		LastModified: time.Unix(1_700_000_000, 0).UTC(),
		Header:       http.Header{"Content-Type": {"image/webp"}, "Etag": {etag}, "Cache-Control": {"public, max-age=86400"}},
	}
}

func TestEntryEncoding(t *testing.T) {
	e := entryOf("photos/cat.jpg", `"abc"`, "\x00\x01body bytes")
	good, err := encodeEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeEntry(good)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body, e.Body) || got.ETag != e.ETag || got.SourceKey != e.SourceKey ||
		got.ContentType != e.ContentType || got.Format != e.Format || !got.LastModified.Equal(e.LastModified) ||
		got.Header.Get("Cache-Control") != e.Header.Get("Cache-Control") {
		t.Fatalf("round trip: got %+v, want %+v", got, e)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"wrong magic", append([]byte("PXS0"), good[4:]...)},
		{"header cut", good[:12]},
		{"body cut (a partial object)", good[:len(good)-1]},
		{"body too long", append(append([]byte{}, good...), 'x')},
		{"header not JSON", append([]byte("PXS1\x00\x00\x00\x02{x"), good[8:]...)},
	} {
		if _, err := decodeEntry(tc.data); err == nil {
			t.Errorf("%s: decoded without error", tc.name)
		}
	}
}

// TestDoVariantStore walks the lookup order with a store behind the L1:
// a miss renders and writes; a fresh cache (a restarted process) over the
// same bucket reads it back without rendering; a degraded render is never
// written; another ETag (a changed original) is a store miss.
func TestDoVariantStore(t *testing.T) {
	dir := t.TempDir()
	var renders atomic.Int32
	render := func(e *Entry) RenderFunc {
		return func(context.Context) (*Entry, error) { renders.Add(1); return e, nil }
	}
	v1 := Variant{SourceKey: "a.jpg", ETag: `"v1"`}
	deg := Variant{SourceKey: "a.jpg", ETag: `"deg"`}
	degraded := entryOf("a.jpg", `"deg"`, "degraded")
	degraded.Degraded = true

	st := storeAt(t, dir, StoreObserver{})
	c := New(Config{MaxBytes: 1 << 20}, Observer{})
	c.UseStore(st, nil)
	for _, tc := range []struct {
		key  string
		v    Variant
		e    *Entry
		want Outcome
	}{
		{"a|v1", v1, entryOf("a.jpg", `"v1"`, "whole"), Miss},
		{"a|v1", v1, nil, Hit},
		{"a|deg", deg, degraded, Miss},
	} {
		if _, got, err := c.DoVariant(context.Background(), tc.key, tc.v, render(tc.e)); err != nil || got != tc.want {
			t.Fatalf("first process, %s: %v, %v; want %v", tc.key, got, err, tc.want)
		}
	}
	if err := st.Close(); err != nil { // drains the queued writes, as a shutdown does
		t.Fatal(err)
	}
	renders.Store(0)

	var adopted atomic.Int32
	st2 := storeAt(t, dir, StoreObserver{})
	c2 := New(Config{MaxBytes: 1 << 20}, Observer{})
	c2.UseStore(st2, func(*Entry) { adopted.Add(1) })
	for _, tc := range []struct {
		key     string
		v       Variant
		e       *Entry
		want    Outcome
		renders int32
	}{
		{"a|v1", v1, nil, Stored, 0},
		{"a|v1", v1, nil, Hit, 0},
		{"a|deg", deg, degraded, Miss, 1}, // never written, so rendered again
		{"a|v2", Variant{SourceKey: "a.jpg", ETag: `"v2"`}, entryOf("a.jpg", `"v2"`, "new"), Miss, 2},
	} {
		e, got, err := c2.DoVariant(context.Background(), tc.key, tc.v, render(tc.e))
		if err != nil || got != tc.want || renders.Load() != tc.renders {
			t.Fatalf("restarted, %s: %v, %v, renders %d; want %v, renders %d", tc.key, got, err, renders.Load(), tc.want, tc.renders)
		}
		if tc.want == Stored && string(e.Body) != "whole" {
			t.Fatalf("restarted, %s: body %q", tc.key, e.Body)
		}
	}
	if adopted.Load() != 1 {
		t.Fatalf("adopt ran %d times, want 1 (the one store hit)", adopted.Load())
	}
}

func TestStorePurgeSource(t *testing.T) {
	st := storeAt(t, t.TempDir(), StoreObserver{})
	for _, e := range []*Entry{
		entryOf("a.jpg", `"1"`, "a1"), entryOf("a.jpg", `"2"`, "a2"), entryOf("a.jpg", `"3"`, "a3"),
		entryOf("b.jpg", `"1"`, "b1"),
	} {
		if err := st.write(e); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		src  string
		want int
	}{
		{"a.jpg", 3},
		{"a.jpg", 0},
		{"c.jpg", 0},
	} {
		if n, err := st.PurgeSource(ctx, tc.src); err != nil || n != tc.want {
			t.Errorf("PurgeSource(%s) = %d, %v; want %d", tc.src, n, err, tc.want)
		}
	}
	for _, tc := range []struct {
		src, etag string
		found     bool
	}{
		{"a.jpg", `"1"`, false},
		{"b.jpg", `"1"`, true},
	} {
		e, err := st.Get(ctx, tc.src, tc.etag)
		if err != nil || (e != nil) != tc.found {
			t.Errorf("Get(%s, %s) after purge = %v, %v; want found %v", tc.src, tc.etag, e, err, tc.found)
		}
	}
}

// TestStorePutNeverBlocks: a full queue drops the write and counts it.
func TestStorePutNeverBlocks(t *testing.T) {
	var dropped atomic.Int32
	st := &Store{writes: make(chan *Entry, 1), health: breaker.New(breakerFailures, breakerCooldown), obs: StoreObserver{Failure: func(op string) {
		if op == "dropped" {
			dropped.Add(1)
		}
	}}} // no writers: the queue only fills
	deg := entryOf("a.jpg", `"d"`, "d")
	deg.Degraded = true
	for _, e := range []*Entry{entryOf("a.jpg", `"1"`, "1"), entryOf("a.jpg", `"2"`, "2"), entryOf("a.jpg", `"3"`, "3"), deg} {
		st.Put(e)
	}
	if len(st.writes) != 1 || dropped.Load() != 2 {
		t.Fatalf("queued %d, dropped %d; want 1 and 2 (the degraded entry is neither)", len(st.writes), dropped.Load())
	}
}

// TestStoreReadFailures: what a store hands back that is not an entry of
// this variant is an error (counted), never served.
func TestStoreReadFailures(t *testing.T) {
	dir := t.TempDir()
	var failures atomic.Int32
	st := storeAt(t, dir, StoreObserver{Failure: func(string) { failures.Add(1) }})
	ctx := context.Background()
	// an object at a's address that names another variant
	other := entryOf("b.jpg", `"1"`, "b")
	data, _ := encodeEntry(other)
	if err := st.bucket.WriteAll(ctx, objectKey("a.jpg", `"1"`), data, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.bucket.WriteAll(ctx, objectKey("a.jpg", `"2"`), data[:len(data)-1], nil); err != nil {
		t.Fatal(err)
	}
	for _, etag := range []string{`"1"`, `"2"`} {
		if e, err := st.Get(ctx, "a.jpg", etag); e != nil || err == nil {
			t.Errorf("Get(a.jpg, %s) = %v, %v; want an error", etag, e, err)
		}
	}
	if failures.Load() != 2 {
		t.Errorf("failures = %d, want 2", failures.Load())
	}
}

// TestStorePutAfterClose: a render that finishes after shutdown drops its
// write instead of panicking on the closed queue.
func TestStorePutAfterClose(t *testing.T) {
	var dropped atomic.Int32
	st := storeAt(t, t.TempDir(), StoreObserver{Failure: func(op string) {
		if op == "dropped" {
			dropped.Add(1)
		}
	}})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st.Put(entryOf("a.jpg", `"1"`, "late"))
	if dropped.Load() != 1 {
		t.Fatalf("dropped %d, want 1", dropped.Load())
	}
}

// TestStoreBreaker: a store that fails every call is skipped after
// breakerFailures failures in a row (no more waiting on it), and its
// writes are dropped; a missing object is an answer, not a failure.
func TestStoreBreaker(t *testing.T) {
	dir := t.TempDir()
	var skipped, misses atomic.Int32
	st := storeAt(t, dir, StoreObserver{Lookup: func(r string) {
		switch r {
		case "skipped":
			skipped.Add(1)
		case "miss":
			misses.Add(1)
		}
	}})
	c := &clock{t: time.Now()}
	st.health = breaker.New(breakerFailures, breakerCooldown).WithClock(c.now)
	ctx := context.Background()
	for range 2 * breakerFailures { // misses keep it closed
		if e, err := st.Get(ctx, "a.jpg", `"none"`); e != nil || err != nil {
			t.Fatalf("healthy store, missing object: %v, %v", e, err)
		}
	}
	// The bucket's directory becomes a file: every read now fails.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range breakerFailures + 3 {
		_, err := st.Get(ctx, "a.jpg", `"x"`)
		if err == nil {
			t.Fatalf("read %d from a broken store: no error", i)
		}
		if want := i >= breakerFailures; errors.Is(err, errBreakerOpen) != want {
			t.Fatalf("read %d: %v; skipped should be %v", i, err, want)
		}
	}
	if skipped.Load() != 3 || misses.Load() != 2*breakerFailures {
		t.Fatalf("skipped %d, misses %d; want 3, %d", skipped.Load(), misses.Load(), 2*breakerFailures)
	}
	if !st.health.Refusing() {
		t.Fatal("breaker closed after failures")
	}
	c.t = c.t.Add(breakerCooldown + time.Second) // the cooldown has passed; the store is back
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if e, err := st.Get(ctx, "a.jpg", `"x"`); e != nil || err != nil || st.health.Refusing() {
		t.Fatalf("store back: %v, %v, refusing %v; want a miss that closes the breaker", e, err, st.health.Refusing())
	}
}
