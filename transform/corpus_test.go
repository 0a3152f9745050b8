package transform

import (
	"testing"

	"github.com/pixmill/pixmill/internal/testcorpus"
)

// readCorpus reads a file of the shared corpus (see testcorpus).
func readCorpus(t testing.TB, rel string) []byte { return testcorpus.Read(t, rel) }
