package presets_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixmill/pixmill/presets"
)

// signingVector is one line of testdata/signing-vectors.json: signatures
// computed with openssl (scripts/signing-vectors.sh), which the Go signer
// here and the TypeScript client (clients/js) are both tested against, so
// the two can never disagree.
type signingVector struct {
	Key       string `json:"key"`
	Size      int    `json:"size"`
	Path      string `json:"path"`
	Signature string `json:"signature"`
}

func readSigningVectors(t *testing.T) []signingVector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "signing-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []signingVector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 5 {
		t.Fatalf("only %d vectors", len(vs))
	}
	return vs
}

func TestSharedSigningVectors(t *testing.T) {
	for _, v := range readSigningVectors(t) {
		if got := presets.Signature([]byte(v.Key), v.Path, v.Size); got != v.Signature {
			t.Errorf("Signature(%q, %q, %d) = %s, want %s", v.Key, v.Path, v.Size, got, v.Signature)
		}
		// The parser verifies what the vector signed (presets the path names
		// are defined so that it parses).
		p, err := presets.New(presets.Config{
			Keys: [][]byte{[]byte(v.Key)}, SignatureSize: v.Size,
			Presets: map[string]presets.Preset{
				"thumb": {Transform: "w=200,h=200,fit=cover"},
				"hero":  {Transform: "w=1600,h=900,fit=cover"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Parse("/" + v.Signature + v.Path); err != nil {
			t.Errorf("Parse of the signed %s: %v", v.Path, err)
		}
	}
}
