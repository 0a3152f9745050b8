// Package testcorpus finds the shared test corpus for tests in any package:
// $PIXMILL_CORPUS, else ../shared/corpus beside the repository. A test that
// cannot have it is skipped outside CI and fails in CI (CI=true).
package testcorpus

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Find returns the corpus directory, absolute, or an error saying where it
// was looked for.
func Find() (string, error) {
	dir := os.Getenv("PIXMILL_CORPUS")
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			return "", errors.New("testcorpus: cannot locate the source tree")
		}
		// file is <repo>/internal/testcorpus/testcorpus.go.
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, "MANIFEST.tsv")); err != nil {
		return "", err
	}
	return abs, nil
}

// Dir returns the corpus directory, or skips (fails in CI) without it.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := Find()
	if err != nil {
		Unavailable(t, "corpus not found: %v", err)
	}
	return dir
}

// Path returns the path of a corpus file, or skips (fails in CI) without it.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(t), rel)
	if _, err := os.Stat(p); err != nil {
		Unavailable(t, "corpus file %s missing: %v", rel, err)
	}
	return p
}

// Read returns the bytes of a corpus file.
func Read(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Unavailable skips the test outside CI and fails it in CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
