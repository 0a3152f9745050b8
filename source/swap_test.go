package source

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

// TestFileBucketFollowsDirectorySwap: issue 9, class 7. A blue/green deploy
// renames the bucket directory and creates a new one under its name. Reads
// and /readyz must follow the new directory: its new files are served, and
// a symlink in it that leads outside is refused, even where the old
// directory had a regular file of that name (the old root checked the old
// directory while the driver opened the new path, and served the link).
func TestFileBucketFollowsDirectorySwap(t *testing.T) {
	outside := t.TempDir()
	secret := writeFile(t, outside, "secret.jpg", []byte("secret"))
	s, dir := fileStore(t, 0)
	writeFile(t, dir, "a.jpg", []byte("blue a"))
	writeFile(t, dir, "link.jpg", []byte("blue link"))
	writeFile(t, dir, "gone.jpg", []byte("blue only"))
	ctx := context.Background()
	if obj, err := s.Read(ctx, "a.jpg"); err != nil || string(obj.Data) != "blue a" {
		t.Fatalf("before the swap: %q, %v", obj.Data, err)
	}

	// Mid-swap: the name is free. The storage is unavailable, not the key missing.
	if err := os.Rename(dir, dir+".blue"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Read(ctx, "a.jpg")
	wantKind(t, "Read mid-swap", err, fault.UpstreamTimeout)
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping mid-swap: ready, with no directory")
	}

	// Green: a new directory under the old name.
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "a.jpg", []byte("green a"))
	writeFile(t, dir, "new.jpg", []byte("green new"))
	if err := os.Symlink(secret, filepath.Join(dir, "link.jpg")); err != nil {
		t.Skipf("symlinks: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after the swap: %v", err)
	}
	tests := []struct {
		key  string
		want string     // the bytes, when served
		kind fault.Kind // else the fault
	}{
		{"a.jpg", "green a", 0},
		{"new.jpg", "green new", 0},
		{"link.jpg", "", fault.NotFound},
		{"gone.jpg", "", fault.NotFound},
	}
	for _, tt := range tests {
		a, errA := s.Attributes(ctx, tt.key)
		obj, errR := s.Read(ctx, tt.key)
		if tt.want == "" {
			wantKind(t, "Attributes("+tt.key+")", errA, tt.kind)
			wantKind(t, "Read("+tt.key+")", errR, tt.kind)
			continue
		}
		if errA != nil || errR != nil || string(obj.Data) != tt.want || a.Version() != obj.Version() {
			t.Errorf("%s: %q (version %q, attributes %q), errors %v / %v; want %q",
				tt.key, obj.Data, obj.Version(), a.Version(), errA, errR, tt.want)
		}
		// ReadKnown with the attributes taken before the swap reads the new bytes.
		if obj, err := s.ReadKnown(ctx, tt.key, a); err != nil || string(obj.Data) != tt.want {
			t.Errorf("ReadKnown(%s): %q, %v", tt.key, obj.Data, err)
		}
	}
}
