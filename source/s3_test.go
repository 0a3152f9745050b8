package source

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/testgw"
)

func TestS3(t *testing.T) {
	gw := testgw.Start(t)
	bucketURL := gw.Bucket(t, "originals")
	s := openStore(t, Config{URL: bucketURL, MaxBytes: 1 << 20})
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	objects := map[string][]byte{
		"cat.jpg":                               []byte("\xff\xd8\xff cat"),
		"photos/2024/dog.png":                   bytes.Repeat([]byte("dog"), 100_000),
		"name with spaces & ünïcode.jpg":        []byte("unicode"),
		"dir/name with spaces & ünïcode+?#.jpg": []byte("query-like characters"),
	}
	for key, data := range objects {
		put(t, s, key, data)
	}
	for key, data := range objects {
		a, err := s.Attributes(ctx, key)
		if err != nil {
			t.Fatalf("Attributes(%q): %v", key, err)
		}
		obj, err := s.Read(ctx, key)
		if err != nil {
			t.Fatalf("Read(%q): %v", key, err)
		}
		if !bytes.Equal(obj.Data, data) || a.Size != int64(len(data)) {
			t.Errorf("Read(%q): %d bytes (attributes %d), want %d", key, len(obj.Data), a.Size, len(data))
		}
		if a.ETag == "" || a.Version() != obj.Version() || strings.Contains(a.Version(), `"`) {
			t.Errorf("%q: ETag %q, versions %q and %q", key, a.ETag, a.Version(), obj.Version())
		}
		known, err := s.ReadKnown(ctx, key, a)
		if err != nil || !bytes.Equal(known.Data, data) || known.Version() != a.Version() {
			t.Errorf("ReadKnown(%q): %d bytes, version %q, %v", key, len(known.Data), known.Version(), err)
		}
	}

	v1 := mustAttributes(t, s, "cat.jpg").Version()
	put(t, s, "cat.jpg", []byte("another cat"))
	if v2 := mustAttributes(t, s, "cat.jpg").Version(); v1 == v2 {
		t.Errorf("version %q did not change with the object", v1)
	}

	put(t, s, "big.jpg", make([]byte, 1<<20+1))
	for _, tt := range []struct {
		key  string
		want fault.Kind
	}{
		{"missing.jpg", fault.NotFound},
		{"photos/2024", fault.NotFound},
		{"big.jpg", fault.TooLarge},
		{"../originals/cat.jpg", fault.BadRequest},
	} {
		_, err := s.Read(ctx, tt.key)
		wantKind(t, "Read("+tt.key+")", err, tt.want)
	}

	// A storage call that cannot finish in time.
	slow := openStore(t, Config{URL: bucketURL, Timeout: time.Nanosecond})
	_, err := slow.Read(ctx, "cat.jpg")
	wantKind(t, "1ns timeout", err, fault.UpstreamTimeout)
	if fault.Message(err) != "source storage timed out" {
		t.Errorf("timeout message %q", fault.Message(err))
	}
}

func TestS3Unavailable(t *testing.T) {
	gw := testgw.Start(t)
	bucketURL := gw.Bucket(t, "originals")
	ctx := context.Background()
	seed := openStore(t, Config{URL: bucketURL})
	put(t, seed, "cat.jpg", []byte("cat"))

	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	testgw.EnvWith(t, testgw.Access, "wrong-secret")
	wrongKey := openStore(t, Config{URL: bucketURL})
	testgw.Env(t)

	tests := []struct {
		name string
		s    *Store
	}{
		{"wrong secret", wrongKey},
		{"missing bucket", openStore(t, Config{URL: testgw.URL("nosuchbucket", gw.Endpoint)})},
		{"nothing listening", openStore(t, Config{URL: testgw.URL("originals", closed), Timeout: time.Second})},
	}
	for _, tt := range tests {
		err := tt.s.Ping(ctx)
		wantKind(t, tt.name+" Ping", err, fault.UpstreamTimeout)
		if tt.name == "missing bucket" {
			continue // reading from it is a plain 404
		}
		_, err = tt.s.Read(ctx, "cat.jpg")
		wantKind(t, tt.name+" Read", err, fault.UpstreamTimeout)
		t.Logf("%s: %v", tt.name, err)
	}
	// Refused credentials are "unavailable", not "timed out". (Connection
	// refused may be either: the SDK retries with backoff until the timeout.)
	if _, err := wrongKey.Read(ctx, "cat.jpg"); fault.Message(err) != "source storage unavailable" {
		t.Errorf("wrong secret: message %q", fault.Message(err))
	}
}
