package source

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/internal/fault"
)

// drivers are the buckets every common test runs against.
var drivers = []struct {
	name string
	open func(t testing.TB, maxBytes int64) *Store
}{
	{"file", func(t testing.TB, maxBytes int64) *Store { s, _ := fileStore(t, maxBytes); return s }},
	{"mem", func(t testing.TB, maxBytes int64) *Store {
		return openStore(t, Config{URL: "mem://", MaxBytes: maxBytes})
	}},
}

func TestReadAndAttributes(t *testing.T) {
	objects := map[string][]byte{
		"cat.jpg":                        []byte("\xff\xd8\xff cat"),
		"photos/2024/dog.png":            []byte("\x89PNG dog"),
		"name with spaces & ünïcode.jpg": []byte("unicode"),
		"empty.gif":                      {},
	}
	for _, d := range drivers {
		s := d.open(t, 0)
		for key, data := range objects {
			put(t, s, key, data)
		}
		for key, data := range objects {
			a, err := s.Attributes(context.Background(), key)
			if err != nil {
				t.Fatalf("%s: Attributes(%q): %v", d.name, key, err)
			}
			obj, err := s.Read(context.Background(), key)
			if err != nil {
				t.Fatalf("%s: Read(%q): %v", d.name, key, err)
			}
			if !bytes.Equal(obj.Data, data) || obj.Size != int64(len(data)) || a.Size != obj.Size {
				t.Errorf("%s %q: read %q (size %d, attributes %d), want %q",
					d.name, key, obj.Data, obj.Size, a.Size, data)
			}
			if a.ModTime.IsZero() || a.Version() == "" || a.Version() != obj.Version() {
				t.Errorf("%s %q: modtime %v, versions %q and %q", d.name, key, a.ModTime, a.Version(), obj.Version())
			}
		}
	}
}

func TestVersion(t *testing.T) {
	when := time.Unix(1700000000, 123456789)
	tests := []struct {
		a    Attributes
		want string
	}{
		{Attributes{ETag: `"d41d8cd98f00b204e9800998ecf8427e"`, Size: 1, ModTime: when}, "d41d8cd98f00b204e9800998ecf8427e"},
		{Attributes{ETag: `W/"abc"`}, "abc"},
		{Attributes{ETag: "0x8DC1"}, "0x8DC1"}, // Azure sends it bare
		{Attributes{Size: 255, ModTime: when}, "ff-17979cfe3d85cd15"},
		{Attributes{Size: 255, ModTime: when.Add(time.Nanosecond)}, "ff-17979cfe3d85cd16"},
	}
	for _, tt := range tests {
		if got := tt.a.Version(); got != tt.want {
			t.Errorf("%+v.Version() = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestVersionChangesWithTheObject(t *testing.T) {
	s, dir := fileStore(t, 0)
	p := writeFile(t, dir, "a.jpg", []byte("one"))
	v1 := mustAttributes(t, s, "a.jpg").Version()

	// Same size, later modification time: a file replaced in place.
	writeFile(t, dir, "a.jpg", []byte("two"))
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	v2 := mustAttributes(t, s, "a.jpg").Version()
	if v1 == v2 {
		t.Errorf("file: version %q did not change with the file", v1)
	}

	m := openStore(t, Config{URL: "mem://"})
	put(t, m, "a.jpg", []byte("one"))
	v1 = mustAttributes(t, m, "a.jpg").Version()
	put(t, m, "a.jpg", []byte("three"))
	if v2 = mustAttributes(t, m, "a.jpg").Version(); v1 == v2 {
		t.Errorf("mem: version %q did not change with the object", v1)
	}
}

func mustAttributes(t *testing.T, s *Store, key string) Attributes {
	t.Helper()
	a, err := s.Attributes(context.Background(), key)
	if err != nil {
		t.Fatalf("Attributes(%q): %v", key, err)
	}
	return a
}

func TestErrors(t *testing.T) {
	for _, d := range drivers {
		s := d.open(t, 0)
		put(t, s, "photos/cat.jpg", []byte("cat"))
		tests := []struct {
			key  string
			want fault.Kind
		}{
			{"missing.jpg", fault.NotFound},
			{"photos/missing.jpg", fault.NotFound},
			{"photos", fault.NotFound}, // a "directory"
			{"photos/cat.jpg/x", fault.NotFound},
			{"../secret", fault.BadRequest},
			{"/photos/cat.jpg", fault.BadRequest},
			{`photos\cat.jpg`, fault.BadRequest},
			{"photos/../photos/cat.jpg", fault.BadRequest},
			{"photos/cat.jpg\x00", fault.BadRequest},
		}
		for _, tt := range tests {
			_, err := s.Attributes(context.Background(), tt.key)
			wantKind(t, d.name+" Attributes("+tt.key+")", err, tt.want)
			_, err = s.Read(context.Background(), tt.key)
			wantKind(t, d.name+" Read("+tt.key+")", err, tt.want)
			if msg := fault.Message(err); strings.Contains(msg, "photos") || strings.Contains(msg, os.TempDir()) {
				t.Errorf("%s %q: message %q leaks the key or a path", d.name, tt.key, msg)
			}
		}
	}
}

func TestFileBucketStaysInItsDirectory(t *testing.T) {
	outside := t.TempDir()
	secret := writeFile(t, outside, "secret.jpg", []byte("secret"))
	s, dir := fileStore(t, 0)
	writeFile(t, dir, "in/cat.jpg", []byte("cat"))
	writeFile(t, dir, "in/cat.jpg.attrs", []byte("{}")) // looks like a fileblob sidecar
	links := map[string]string{
		"abs-out.jpg":   secret,
		"rel-out.jpg":   filepath.Join("..", filepath.Base(outside), "secret.jpg"),
		"out-dir":       outside,
		"in/rel-in.jpg": "cat.jpg",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Skipf("symlinks: %v", err)
		}
	}
	tests := []struct {
		key  string
		want fault.Kind // Internal: no error
	}{
		{"in/rel-in.jpg", fault.Internal},
		{"abs-out.jpg", fault.NotFound},
		{"rel-out.jpg", fault.NotFound},
		{"out-dir/secret.jpg", fault.NotFound},
		{"in/cat.jpg.attrs", fault.NotFound},
		{"in/__0x2e__.jpg", fault.NotFound},
		{"../" + filepath.Base(outside) + "/secret.jpg", fault.BadRequest},
	}
	for _, tt := range tests {
		obj, err := s.Read(context.Background(), tt.key)
		if tt.want == fault.Internal {
			if err != nil || string(obj.Data) != "cat" {
				t.Errorf("Read(%q) = %q, %v; want the linked file", tt.key, obj.Data, err)
			}
			continue
		}
		wantKind(t, "Read("+tt.key+")", err, tt.want)
	}
}

func TestLimitFromAttributes(t *testing.T) {
	for _, d := range drivers {
		s := d.open(t, 10)
		put(t, s, "ten.jpg", bytes.Repeat([]byte("x"), 10))
		put(t, s, "eleven.jpg", bytes.Repeat([]byte("x"), 11))
		if obj, err := s.Read(context.Background(), "ten.jpg"); err != nil || len(obj.Data) != 10 {
			t.Errorf("%s: at the limit: %d bytes, %v", d.name, len(obj.Data), err)
		}
		_, err := s.Read(context.Background(), "eleven.jpg")
		wantKind(t, d.name+" over the limit", err, fault.TooLarge)
		if want := "source is 11 bytes, over the limit of 10"; fault.Message(err) != want {
			t.Errorf("%s: message %q, want %q", d.name, fault.Message(err), want)
		}
	}
}

// TestLimitWhileStreaming grows a file after its attributes were read: the
// size said 5 bytes, the stream goes on past the limit.
func TestLimitWhileStreaming(t *testing.T) {
	s, dir := fileStore(t, 64)
	p := writeFile(t, dir, "growing.jpg", []byte("small"))
	r, err := s.NewReader(context.Background(), "growing.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(bytes.Repeat([]byte("x"), 1<<20))
	f.Close()

	got, err := io.ReadAll(r)
	wantKind(t, "grown file", err, fault.TooLarge)
	if len(got) > 64 || r.Size != 5 {
		t.Errorf("passed %d bytes (size %d), want at most 64", len(got), r.Size)
	}
}

func TestContextErrors(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	for _, d := range drivers {
		s := d.open(t, 0)
		put(t, s, "cat.jpg", []byte("cat"))
		for _, c := range []struct {
			name string
			ctx  context.Context
			want fault.Kind
		}{{"expired", expired, fault.UpstreamTimeout}, {"canceled", canceled, fault.Canceled}} {
			_, err := s.Attributes(c.ctx, "cat.jpg")
			wantKind(t, d.name+" Attributes "+c.name, err, c.want)
			_, err = s.Read(c.ctx, "cat.jpg")
			wantKind(t, d.name+" Read "+c.name, err, c.want)
			wantKind(t, d.name+" Ping "+c.name, s.Ping(c.ctx), c.want)
		}
		if fault.Message(s.Ping(expired)) != "source storage timed out" {
			t.Errorf("%s: timeout message %q", d.name, fault.Message(s.Ping(expired)))
		}
	}
}

// TestCancelWhileStreaming: a caller who goes away mid-read stops the read.
func TestCancelWhileStreaming(t *testing.T) {
	s, dir := fileStore(t, 0)
	writeFile(t, dir, "big.jpg", make([]byte, 1<<20))
	ctx, cancel := context.WithCancel(context.Background())
	r, err := s.NewReader(ctx, "big.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Read(make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err = io.ReadAll(r)
	wantKind(t, "read after cancel", err, fault.Canceled)
}

func TestPing(t *testing.T) {
	for _, d := range drivers {
		if err := d.open(t, 0).Ping(context.Background()); err != nil {
			t.Errorf("%s: Ping: %v", d.name, err)
		}
	}
}

func TestOpen(t *testing.T) {
	for _, scheme := range []string{"file", "mem", "s3", "gs", "azblob"} {
		if !blob.DefaultURLMux().ValidBucketScheme(scheme) {
			t.Errorf("scheme %s:// is not registered", scheme)
		}
	}
	tests := []struct {
		cfg  Config
		want string // in the error
	}{
		{Config{URL: "foo://bucket"}, `scheme "foo" is not supported; supported schemes: file, mem, s3, gs, azblob (gocloud.dev/blob), http, https`},
		{Config{URL: "https://media.example.com/"}, `scheme "https" is not supported`}, // a Store is blob only; a Set opens http(s)
		{Config{URL: ""}, "url is empty"},
		{Config{URL: "mem://", MaxBytes: -1}, "limits.max_source_bytes"},
		{Config{URL: "mem://", Timeout: -time.Second}, "timeout"},
		{Config{URL: "file:///nonexistent/pixmill/dir"}, "no such file"},
	}
	for _, tt := range tests {
		s, err := Open(context.Background(), tt.cfg)
		if err == nil {
			s.Close()
			t.Errorf("Open(%+v): no error", tt.cfg)
		} else if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%+v) = %v, want it to mention %s", tt.cfg, err, tt.want)
		}
	}
	if s := openStore(t, Config{URL: "mem://"}); s.timeout != DefaultTimeout {
		t.Errorf("default timeout %v, want %v", s.timeout, DefaultTimeout)
	}
}
