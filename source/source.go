// Package source reads original images: from blob storage through
// gocloud.dev/blob (file://, mem://, s3://, gs:// and azblob:// buckets,
// Store) and from HTTP(S) origins (HTTP, with SSRF-checked dialling in
// guard.go). A Set holds several named sources and routes each key by its
// first segment (set.go).
//
// It owns key hygiene (with internal/keys), the per-call storage timeout, the byte limit
// on originals (limits.max_source_bytes) and the mapping of storage failures to
// fault kinds. Messages never name the bucket or a path; causes are wrapped for
// the logs.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://; see Bucket on writing to it
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/memblob"   // mem://
	_ "gocloud.dev/blob/s3blob"    // s3://

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/keys"
)

// DefaultTimeout bounds one storage call when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// DefaultConfig is the built-in configuration without a URL: originals up
// to 50 MiB, 10 s per storage call.
func DefaultConfig() Config {
	return Config{MaxBytes: 50 << 20, Timeout: DefaultTimeout}
}

// Config selects the bucket and its limits.
type Config struct {
	URL      string        // source.url: a gocloud.dev/blob URL
	MaxBytes int64         // limits.max_source_bytes; 0 means no limit
	Timeout  time.Duration // per storage call: attributes, and open plus the whole read; 0 means DefaultTimeout
}

// Attributes describe one stored object.
type Attributes struct {
	Size        int64
	ModTime     time.Time
	ETag        string // as the storage reports it, quotes included; may be empty
	ContentType string // as stored; not trusted for decoding
}

// Version is a token that changes whenever the object's bytes may have
// changed, for cache keys and response ETags: the storage ETag without quotes
// when there is one, else size and modification time in nanoseconds (hex).
func (a Attributes) Version() string {
	if etag := strings.Trim(strings.TrimPrefix(a.ETag, "W/"), `"`); etag != "" {
		return etag
	}
	return strconv.FormatInt(a.Size, 16) + "-" + strconv.FormatInt(a.ModTime.UnixNano(), 16)
}

// Object is a whole original in memory, as libvips wants it.
type Object struct {
	Attributes
	Data []byte
}

// Store reads originals from one bucket. It is safe for concurrent use.
type Store struct {
	bucket   *blob.Bucket
	root     *fileRoot // file:// buckets only: reads go through it, confined to the directory
	maxBytes int64
	timeout  time.Duration
}

// Open opens the bucket named by cfg.URL. It does not contact the storage;
// Ping does.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	switch {
	case cfg.URL == "":
		return nil, errors.New("url is empty; supported schemes: " + SupportedSchemes)
	case cfg.MaxBytes < 0:
		return nil, fmt.Errorf("limits.max_source_bytes is %d, must be 0 (no limit) or more", cfg.MaxBytes)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("source timeout is %v, must not be negative", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if err := checkBlobURL(cfg.URL); err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	b, err := blob.OpenBucket(ctx, cfg.URL)
	if err != nil {
		return nil, err
	}
	s := &Store{bucket: b, maxBytes: cfg.MaxBytes, timeout: cfg.Timeout}
	if u.Scheme == "file" {
		if s.root, err = openFileRoot(u); err != nil {
			b.Close()
			return nil, err
		}
	}
	return s, nil
}

// Bucket is the underlying bucket, for tests and tools that write originals.
// Writers to azblob:// must use Bucket.Upload with IfNotExist: in gocloud
// v0.47.0 a failed streaming write panics in azureblob's Writer.Close.
func (s *Store) Bucket() *blob.Bucket { return s.bucket }

// Close releases the bucket.
func (s *Store) Close() error {
	err := s.bucket.Close()
	if s.root != nil {
		err = errors.Join(err, s.root.Close())
	}
	return err
}

// Ping reports whether the bucket answers, for /readyz: one listing of at
// most one entry at the top level.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return classify(ctx, err)
	}
	if s.root != nil {
		if err := s.root.ping(); err != nil {
			return err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, _, err := s.bucket.ListPage(cctx, blob.FirstPageToken, 1, &blob.ListOptions{Delimiter: "/"})
	if err == nil {
		return nil
	}
	err = classify(ctx, err)
	if fault.KindOf(err) == fault.NotFound { // the bucket itself is missing
		return fault.Wrap(fault.UpstreamTimeout, err, msgUnavailable)
	}
	return err
}

// Attributes returns the attributes of the object at key.
func (s *Store) Attributes(ctx context.Context, key string) (Attributes, error) {
	if err := s.precheck(ctx, key); err != nil {
		return Attributes{}, err
	}
	if s.root != nil {
		return s.root.attributes(key)
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	a, err := s.bucket.Attributes(cctx, key)
	if err != nil {
		return Attributes{}, classify(ctx, err)
	}
	return Attributes{Size: a.Size, ModTime: a.ModTime, ETag: a.ETag, ContentType: a.ContentType}, nil
}

// Read returns the whole object at key. An object over the byte limit is
// refused from its attributes without reading it, and a stream that turns
// out longer than its attributes said stops one byte past the limit.
func (s *Store) Read(ctx context.Context, key string) (Object, error) {
	r, err := s.NewReader(ctx, key)
	if err != nil {
		return Object{}, err
	}
	return s.readAll(r)
}

// ReadKnown is Read for a caller that already holds the object's attributes
// (the server caches them for cache.source_ttl): it skips the attributes
// call, which on S3 saves a HEAD per cache miss. The limits apply as in
// Read; if the object was replaced since a was taken, the size and time the
// open reports describe the result, so its Version changes.
func (s *Store) ReadKnown(ctx context.Context, key string, a Attributes) (Object, error) {
	if err := s.precheck(ctx, key); err != nil {
		return Object{}, err
	}
	r, err := s.open(ctx, key, a)
	if err != nil {
		return Object{}, err
	}
	return s.readAll(r)
}

func (s *Store) readAll(r *Reader) (Object, error) {
	defer r.Close()
	data, err := readAll(r, r.Size)
	if err != nil {
		return Object{}, err
	}
	return Object{Attributes: r.Attributes, Data: data}, nil
}

// Reader streams one object with the byte limit applied. Its Read returns
// fault errors; Close must be called.
type Reader struct {
	Attributes
	ctx    context.Context // the caller's, to tell cancellation from timeout
	call   context.Context // ctx plus the storage timeout
	r      io.Reader
	rc     io.ReadCloser // the object as opened
	cancel context.CancelFunc
}

// NewReader opens the object at key for streaming. The storage timeout covers
// the open and every read until Close.
func (s *Store) NewReader(ctx context.Context, key string) (*Reader, error) {
	a, err := s.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, key, a)
}

// open opens the object at key whose attributes are believed to be a.
func (s *Store) open(ctx context.Context, key string, a Attributes) (*Reader, error) {
	if err := s.checkSize(a.Size); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	rc, now, err := s.openObject(cctx, key)
	if err != nil {
		cancel()
		return nil, classify(ctx, err)
	}
	if now.Size != a.Size || !now.ModTime.Equal(a.ModTime) {
		// Replaced between the two calls: describe the bytes actually read.
		a = now
		if err := s.checkSize(a.Size); err != nil {
			rc.Close()
			cancel()
			return nil, err
		}
	}
	var r io.Reader = rc
	if s.maxBytes > 0 {
		r = limitReader(rc, s.maxBytes)
	}
	return &Reader{Attributes: a, ctx: ctx, call: cctx, r: r, rc: rc, cancel: cancel}, nil
}

// openObject opens key and says what it found: file:// buckets through
// their root, the others through the driver (whose open reports no ETag,
// so a replaced object's version falls back to size and time).
func (s *Store) openObject(ctx context.Context, key string) (io.ReadCloser, Attributes, error) {
	if s.root != nil {
		return s.root.open(key)
	}
	br, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, Attributes{}, err
	}
	return br, Attributes{Size: br.Size(), ModTime: br.ModTime(), ContentType: br.ContentType()}, nil
}

// Read reads from the object; errors are fault errors, io.EOF at the end.
func (r *Reader) Read(p []byte) (int, error) {
	// Drivers reading local files ignore the context; stop for them too.
	if err := r.call.Err(); err != nil {
		return 0, classify(r.ctx, err)
	}
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = classify(r.ctx, err)
	}
	return n, err
}

// Close releases the object and its timeout.
func (r *Reader) Close() error {
	err := r.rc.Close()
	r.cancel()
	return err
}

// precheck runs before every storage call: a departed caller or a bad key
// never reach the storage. (A file bucket's root refuses keys that resolve
// outside its directory.)
func (s *Store) precheck(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return classify(ctx, err)
	}
	return keys.Check(key)
}

func (s *Store) checkSize(size int64) error {
	if s.maxBytes > 0 && size > s.maxBytes {
		return fault.New(fault.TooLarge, "source is %d bytes, over the limit of %d", size, s.maxBytes)
	}
	return nil
}

// Resolve makes a lone Store a whole set of sources: every key is its own,
// in the default source.
func (s *Store) Resolve(key string) (Ref, error) { return Ref{Source: Default, Key: key}, nil }
