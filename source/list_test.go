package source

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

func TestList(t *testing.T) {
	objects := []string{"a.jpg", "photos/2024/cat.jpg", "photos/2024/dog.png", "photos/z.webp", "zebra.gif"}
	tests := []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"", 100, objects},
		{"", 2, objects[:2]},
		{"", 0, objects[:1]}, // clamped to at least one
		{"photos/", 100, objects[1:4]},
		{"photos/2024/c", 100, objects[1:2]},
		{"nothing/", 100, nil},
	}
	for _, d := range drivers {
		s := d.open(t, 0)
		for _, k := range objects {
			put(t, s, k, []byte("x"))
		}
		for _, tt := range tests {
			got, err := s.List(context.Background(), tt.prefix, tt.limit)
			if err != nil {
				t.Fatalf("%s: List(%q, %d): %v", d.name, tt.prefix, tt.limit, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: List(%q, %d) = %q, want %q", d.name, tt.prefix, tt.limit, got, tt.want)
			}
		}
	}
}

// A file bucket lists what it would serve: no fileblob sidecars (put writes
// .attrs files), no escaped names, no links out of the directory, no FIFOs.
func TestListFileServesWhatItLists(t *testing.T) {
	s, dir := fileStore(t, 0)
	put(t, s, "kept.jpg", []byte("x"))
	writeFile(t, dir, "also/kept.png", []byte("x"))
	writeFile(t, dir, "weird__0x2f.jpg", []byte("x"))
	outside := writeFile(t, t.TempDir(), "secret.jpg", []byte("x"))
	if err := os.Symlink(outside, filepath.Join(dir, "link-out.jpg")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("kept.jpg", filepath.Join(dir, "link-in.jpg")); err != nil {
		t.Fatal(err)
	}
	got, err := s.List(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"also/kept.png", "kept.jpg", "link-in.jpg"}
	if !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	for _, k := range got {
		if _, err := s.Read(context.Background(), k); err != nil {
			t.Errorf("listed %q but Read: %v", k, err)
		}
	}
}

func TestListErrors(t *testing.T) {
	s := drivers[1].open(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		prefix string
		want   fault.Kind
	}{
		{"bad prefix", context.Background(), "../etc/", fault.BadRequest},
		{"canceled", ctx, "", fault.Canceled},
	}
	for _, tt := range tests {
		_, err := s.List(tt.ctx, tt.prefix, 10)
		wantKind(t, tt.name, err, tt.want)
	}
}
