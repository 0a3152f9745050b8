package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

// openStore opens cfg and closes the store when the test ends.
func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open(%q): %v", cfg.URL, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fileStore opens a file:// bucket on a fresh directory, returned too.
func fileStore(t testing.TB, maxBytes int64) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	return openStore(t, Config{URL: "file://" + filepath.ToSlash(dir), MaxBytes: maxBytes}), dir
}

// put writes an object through the store's own bucket.
func put(t testing.TB, s *Store, key string, data []byte) {
	t.Helper()
	if err := s.Bucket().WriteAll(context.Background(), key, data, nil); err != nil {
		t.Fatalf("write %q: %v", key, err)
	}
}

// writeFile writes dir/name, creating parent directories.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantKind fails unless err is a fault of kind want.
func wantKind(t testing.TB, what string, err error, want fault.Kind) {
	t.Helper()
	var fe *fault.Error
	switch {
	case err == nil:
		t.Errorf("%s: no error, want %v", what, want)
	case !errors.As(err, &fe):
		t.Errorf("%s: %v is not a fault, want %v", what, err, want)
	case fe.Kind != want:
		t.Errorf("%s: kind %v (%v), want %v", what, fe.Kind, err, want)
	}
}
