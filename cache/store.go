package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/memblob"   // mem://
	_ "gocloud.dev/blob/s3blob"    // s3://
	"gocloud.dev/gcerrors"

	"github.com/pixmill/pixmill/internal/breaker"
)

// StoreConfig is the durable derivative store: finished entries kept in a
// blob bucket, so that they outlive the process and are shared by every
// replica that names the same bucket.
type StoreConfig struct {
	URL     string        // any gocloud.dev/blob URL; "" turns the store off
	Timeout time.Duration // bound on each read, write and purge listing
	Queue   int           // writes waiting to be made; more are dropped
	Workers int           // writes made at once
}

// DefaultStoreConfig is off, with 2 s per operation, 256 queued writes and
// 4 writers.
func DefaultStoreConfig() StoreConfig {
	return StoreConfig{Timeout: 2 * time.Second, Queue: 256, Workers: 4}
}

// StoreObserver receives the store's events, for metrics. Any field may be nil.
type StoreObserver struct {
	Lookup   func(result string)              // "hit", "miss", "error", "skipped"
	Duration func(op string, d time.Duration) // "read", "write"
	Failure  func(op string)                  // "read", "write", "purge", "dropped"
}

// Store reads and writes entries in a bucket. Objects are content-addressed
// by the variant's ETag under a prefix per source key:
//
//	v1/{sha256(source key)[:32]}/{sha256(etag)}
//
// so a changed original (a new ETag) never reads an old derivative, and a
// purge of one source is one listing. Each object is the whole entry (see
// encodeEntry), written by one writer that commits on Close, so a reader
// sees either nothing or all of it.
type Store struct {
	cfg    StoreConfig
	obs    StoreObserver
	bucket *blob.Bucket
	writes chan *Entry
	wg     sync.WaitGroup

	mu     sync.RWMutex // closed and the close of writes, against Put
	closed bool

	// A store that is down would make every L1 miss wait its timeout
	// before rendering: after breakerFailures failures in a row, reads and
	// writes skip it for breakerCooldown, then one trial call decides.
	health *breaker.Breaker
}

const (
	breakerFailures = 5
	breakerCooldown = 5 * time.Second
)

// record reports a call the breaker allowed: whether the store answered (a
// missing object is an answer).
func (s *Store) record(err error) {
	if err == nil {
		s.health.Success()
	} else {
		s.health.Failure()
	}
}

// OpenStore opens the bucket at cfg.URL and starts the writers. The bucket
// is not contacted: a store that is down at start-up is a store that is
// down, counted on use, not a reason not to serve.
func OpenStore(ctx context.Context, cfg StoreConfig, obs StoreObserver) (*Store, error) {
	b, err := blob.OpenBucket(ctx, cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("cache.store.url: %w", err)
	}
	return newStore(b, cfg, obs), nil
}

func newStore(b *blob.Bucket, cfg StoreConfig, obs StoreObserver) *Store {
	d := DefaultStoreConfig()
	if cfg.Timeout <= 0 {
		cfg.Timeout = d.Timeout
	}
	if cfg.Queue <= 0 {
		cfg.Queue = d.Queue
	}
	if cfg.Workers <= 0 {
		cfg.Workers = d.Workers
	}
	s := &Store{cfg: cfg, obs: obs, bucket: b, writes: make(chan *Entry, cfg.Queue), health: breaker.New(breakerFailures, breakerCooldown)}
	for range cfg.Workers {
		s.wg.Add(1)
		go s.writer()
	}
	return s
}

// Close lets the queued writes finish, then closes the bucket. A render
// that finishes later (one cut off by the shutdown grace period) has its
// write dropped.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.writes)
	s.mu.Unlock()
	s.wg.Wait()
	return s.bucket.Close()
}

// sourcePrefix is where every derivative of one source key lives.
func sourcePrefix(sourceKey string) string {
	h := sha256.Sum256([]byte(sourceKey))
	return "v1/" + hex.EncodeToString(h[:16]) + "/"
}

// objectKey names one variant's object.
func objectKey(sourceKey, etag string) string {
	h := sha256.Sum256([]byte(etag))
	return sourcePrefix(sourceKey) + hex.EncodeToString(h[:])
}

// Get reads the entry of the variant (sourceKey, etag). A missing object
// is (nil, nil); any other failure, a timeout included, is an error the
// caller answers by rendering.
func (s *Store) Get(ctx context.Context, sourceKey, etag string) (*Entry, error) {
	if !s.health.Allow() {
		s.lookup("skipped")
		return nil, errBreakerOpen
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	b, err := s.bucket.ReadAll(ctx, objectKey(sourceKey, etag))
	s.duration("read", start)
	notFound := gcerrors.Code(err) == gcerrors.NotFound
	switch {
	case notFound:
		s.record(nil)
	case ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded):
		s.record(err) // the store's own answer, or its silence
	default:
		s.health.Release() // the caller left; says nothing about the store
	}
	if notFound {
		s.lookup("miss")
		return nil, nil
	}
	if err == nil {
		var e *Entry
		if e, err = decodeEntry(b); err == nil && (e.ETag != etag || e.SourceKey != sourceKey) {
			err = errors.New("object names another variant") // a hash collision, or a foreign object
		}
		if err == nil {
			s.lookup("hit")
			return e, nil
		}
	}
	s.lookup("error")
	s.failure("read")
	return nil, fmt.Errorf("store read: %w", err)
}

var errBreakerOpen = errors.New("store skipped: too many failures in a row")

// Put queues e to be written and returns at once; when the queue is full
// the write is dropped (and counted): the store is a cache, and a response
// never waits for it. A degraded entry is never written.
func (s *Store) Put(e *Entry) {
	if e == nil || e.Degraded {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed || s.health.Refusing() {
		s.failure("dropped")
		return
	}
	select {
	case s.writes <- e:
	default:
		s.failure("dropped")
	}
}

func (s *Store) writer() {
	defer s.wg.Done()
	for e := range s.writes {
		if !s.health.Allow() { // queued before the breaker opened
			s.failure("dropped")
			continue
		}
		err := s.write(e)
		s.record(err)
		if err != nil {
			s.failure("write")
		}
	}
}

// write puts one object. Its context is its own: the request that rendered
// the entry has usually finished by now.
func (s *Store) write(e *Entry) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	defer s.duration("write", start)
	data, err := encodeEntry(e)
	if err != nil {
		return err
	}
	// Upload, not NewWriter: one call that commits the whole object or
	// nothing, and the form Azure needs (see DESIGN.md).
	return s.bucket.Upload(ctx, objectKey(e.SourceKey, e.ETag), bytes.NewReader(data),
		&blob.WriterOptions{ContentType: "application/x-pixmill-entry"})
}

// PurgeSource deletes every stored variant of sourceKey and reports how
// many there were. Writes still queued for it may land afterwards; they are
// the same content-addressed variants of the same original.
func (s *Store) PurgeSource(ctx context.Context, sourceKey string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	it := s.bucket.List(&blob.ListOptions{Prefix: sourcePrefix(sourceKey)})
	n := 0
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			s.failure("purge")
			return n, fmt.Errorf("store purge: %w", err)
		}
		if err := s.bucket.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			s.failure("purge")
			return n, fmt.Errorf("store purge: %w", err)
		}
		n++
	}
}

func (s *Store) lookup(result string) {
	if s.obs.Lookup != nil {
		s.obs.Lookup(result)
	}
}

func (s *Store) failure(op string) {
	if s.obs.Failure != nil {
		s.obs.Failure(op)
	}
}

func (s *Store) duration(op string, start time.Time) {
	if s.obs.Duration != nil {
		s.obs.Duration(op, time.Since(start))
	}
}

// An object is "PXS1", a big-endian uint32 length, that many bytes of JSON
// (storedHeader), then the body. The headers are what the server prebuilt
// for the entry: they depend on the entry alone, never on the request or
// the time (exp= clipping is applied per response), so they are safe to
// keep; the server still re-applies its current caching policy to a stored
// entry, so that a change to headers.* reaches derivatives stored before it.
const entryMagic = "PXS1"

type storedHeader struct {
	ContentType  string      `json:"content_type"`
	Format       string      `json:"format"`
	ETag         string      `json:"etag"`
	LastModified time.Time   `json:"last_modified"`
	SourceKey    string      `json:"source_key"`
	BodyLen      int         `json:"body_len"`
	Header       http.Header `json:"header"`
}

func encodeEntry(e *Entry) ([]byte, error) {
	h, err := json.Marshal(storedHeader{
		ContentType: e.ContentType, Format: e.Format, ETag: e.ETag, LastModified: e.LastModified,
		SourceKey: e.SourceKey, BodyLen: len(e.Body), Header: e.Header,
	})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(entryMagic)+4+len(h)+len(e.Body))
	out = append(out, entryMagic...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(h)))
	out = append(out, h...)
	return append(out, e.Body...), nil
}

func decodeEntry(b []byte) (*Entry, error) {
	if len(b) < len(entryMagic)+4 || string(b[:len(entryMagic)]) != entryMagic {
		return nil, errors.New("not a stored entry")
	}
	b = b[len(entryMagic):]
	n := int(binary.BigEndian.Uint32(b))
	b = b[4:]
	if n > len(b) {
		return nil, errors.New("stored entry: header truncated")
	}
	var h storedHeader
	if err := json.Unmarshal(b[:n], &h); err != nil {
		return nil, fmt.Errorf("stored entry: %w", err)
	}
	body := b[n:]
	if len(body) != h.BodyLen {
		return nil, fmt.Errorf("stored entry: body is %d bytes, want %d", len(body), h.BodyLen)
	}
	return &Entry{
		Body: body, ContentType: h.ContentType, Format: h.Format, ETag: h.ETag,
		LastModified: h.LastModified, SourceKey: h.SourceKey, Header: h.Header,
	}, nil
}
