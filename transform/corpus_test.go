package transform

import (
	"os"
	"path/filepath"
	"testing"
)

// corpusPath finds a file of the shared corpus, which lives beside the
// repository (../shared/corpus from its root). PIXMILL_CORPUS overrides.
func corpusPath(t testing.TB, rel string) string {
	t.Helper()
	dir := os.Getenv("PIXMILL_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus file %s missing: %v", rel, err)
		}
		t.Skipf("corpus file %s missing: %v", rel, err)
	}
	return p
}

func readCorpus(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(corpusPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
