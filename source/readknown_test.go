package source

import (
	"bytes"
	"context"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

func TestReadKnown(t *testing.T) {
	s, dir := fileStore(t, 100)
	ctx := context.Background()
	writeFile(t, dir, "a.jpg", []byte("first version"))
	a, err := s.Attributes(ctx, "a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.ReadKnown(ctx, "a.jpg", a)
	if err != nil || string(obj.Data) != "first version" || obj.Version() != a.Version() {
		t.Fatalf("ReadKnown: %q %v (version %q, want %q)", obj.Data, err, obj.Version(), a.Version())
	}
	// Replaced since the attributes were taken: the bytes read are the new
	// ones, and the version says so.
	writeFile(t, dir, "a.jpg", []byte("the second, longer version"))
	obj, err = s.ReadKnown(ctx, "a.jpg", a)
	if err != nil || !bytes.Equal(obj.Data, []byte("the second, longer version")) {
		t.Fatalf("after replace: %q %v", obj.Data, err)
	}
	if obj.Version() == a.Version() {
		t.Error("a replaced object kept its old version")
	}
	// Limits and key hygiene apply as in Read.
	big := a
	big.Size = 101
	_, err = s.ReadKnown(ctx, "a.jpg", big)
	wantKind(t, "attributes over the limit", err, fault.TooLarge)
	_, err = s.ReadKnown(ctx, "../etc/passwd", a)
	wantKind(t, "bad key", err, fault.BadRequest)
	_, err = s.ReadKnown(ctx, "missing.jpg", a)
	wantKind(t, "missing", err, fault.NotFound)
}
