package source

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

func TestSetResolve(t *testing.T) {
	dir := t.TempDir()
	file := "file://" + filepath.ToSlash(dir)
	s, err := OpenSet(context.Background(), map[string]NamedConfig{
		Default: {URL: file},
		"media": {URL: file},
		"web":   {URL: "https://media.example.com/originals/"},
		"url":   {Any: true, AllowHosts: []string{"*.example.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		key        string
		source     string
		sub        string
		signedOnly bool
	}{
		{"cat.jpg", Default, "cat.jpg", false},
		{"2024/cat.jpg", Default, "2024/cat.jpg", false},
		{"media/2024/cat.jpg", "media", "2024/cat.jpg", false},
		{"media", Default, "media", false},                     // no "/": a default key
		{"default/cat.jpg", Default, "default/cat.jpg", false}, // "default" is no prefix: one key, one owner
		{"Media/cat.jpg", Default, "Media/cat.jpg", false},     // names are case-sensitive
		{"mediax/cat.jpg", Default, "mediax/cat.jpg", false},   // a whole segment, not a prefix
		{"web/a/b.jpg", "web", "a/b.jpg", false},
		{"url/aHR0cHM6Ly9hLmV4YW1wbGUuY29tL3guanBn", "url", "aHR0cHM6Ly9hLmV4YW1wbGUuY29tL3guanBn", true},
	}
	for _, tt := range tests {
		ref, err := s.Resolve(tt.key)
		if err != nil || ref.Source != tt.source || ref.Key != tt.sub || ref.SignedOnly != tt.signedOnly {
			t.Errorf("Resolve(%q) = %+v, %v; want %s %q signedOnly=%v", tt.key, ref, err, tt.source, tt.sub, tt.signedOnly)
		}
	}
	if s.Store("media") == nil || s.Store("web") != nil {
		t.Error("Store: media is a blob source, web is not")
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v (HTTP sources are not pinged)", err)
	}
}

func TestSetWithoutDefault(t *testing.T) {
	s, err := OpenSet(context.Background(), map[string]NamedConfig{"media": {URL: "mem://"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Resolve("cat.jpg")
	wantKind(t, "a key no source takes", err, fault.NotFound)
	_, err = s.Attributes(context.Background(), "other/cat.jpg")
	wantKind(t, "attributes", err, fault.NotFound)
}

// TestSetRoutesReads: two blob sources with the same key hold different
// objects; each full key reads its own.
func TestSetRoutesReads(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeFile(t, a, "x.jpg", []byte("from default"))
	writeFile(t, b, "x.jpg", []byte("from media"))
	s, err := OpenSet(context.Background(), map[string]NamedConfig{
		Default: {URL: "file://" + filepath.ToSlash(a)},
		"media": {URL: "file://" + filepath.ToSlash(b)},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for key, want := range map[string]string{"x.jpg": "from default", "media/x.jpg": "from media"} {
		attrs, err := s.Attributes(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.ReadKnown(context.Background(), key, attrs)
		if err != nil || string(obj.Data) != want {
			t.Errorf("%s: %q, %v; want %q", key, obj.Data, err, want)
		}
	}
	_, err = s.Attributes(context.Background(), "media/../x.jpg")
	wantKind(t, "dot-dot under a named source", err, fault.BadRequest)
}

func TestOpenSetErrors(t *testing.T) {
	tests := []struct {
		cfgs map[string]NamedConfig
		want string // the whole start of the message: the key named once
	}{
		{map[string]NamedConfig{Default: {ConfigKey: "source.url", URL: "ftp://x/"}},
			`source.url: scheme "ftp" is not supported; supported schemes: file, mem, s3, gs, azblob (gocloud.dev/blob), http, https`},
		{map[string]NamedConfig{"media": {ConfigKey: "sources.media", URL: "https://x/", AllowHosts: []string{"a b"}}},
			`sources.media: allow_hosts: "a b" is not a host name`},
		{map[string]NamedConfig{"media": {ConfigKey: "sources.media", URL: "mem://", Headers: map[string]string{"A": "b"}}},
			`sources.media: allow_hosts, allow_private_networks, allow_networks and headers apply to http(s) sources only`},
		{map[string]NamedConfig{Default: {ConfigKey: "sources.default", Any: true, AllowHosts: []string{"x.com"}}},
			`sources.default: the default source cannot be mode: any`},
		{map[string]NamedConfig{"Media": {ConfigKey: "sources.Media", URL: "mem://"}},
			`sources.Media: source name "Media": use lowercase`},
		{map[string]NamedConfig{}, "no source configured"},
	}
	for _, tt := range tests {
		s, err := OpenSet(context.Background(), tt.cfgs)
		if err == nil {
			s.Close()
			t.Errorf("%v: no error", tt.cfgs)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("error %q, want it to start %q", err, tt.want)
		}
		if key, _, _ := strings.Cut(tt.want, ":"); strings.Count(err.Error(), key) > 1 {
			t.Errorf("error %q names %s more than once", err, key)
		}
	}
}

// TestSetList: listing names every served key with its source prefix, and
// each listed key reads back from the source it names.
func TestSetList(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeFile(t, a, "x.jpg", []byte("default x"))
	writeFile(t, a, "dir/y.jpg", []byte("default y"))
	writeFile(t, a, "media/shadowed.jpg", []byte("routes to media, not here")) // first segment names a source
	writeFile(t, b, "m.jpg", []byte("media m"))
	s, err := OpenSet(context.Background(), map[string]NamedConfig{
		Default: {URL: "file://" + filepath.ToSlash(a)},
		"media": {URL: "file://" + filepath.ToSlash(b)},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", []string{"dir/y.jpg", "x.jpg", "media/m.jpg"}},
		{"dir/", []string{"dir/y.jpg"}},
		{"media/", []string{"media/m.jpg"}},
		{"me", []string{"media/m.jpg"}},
	} {
		got, err := s.List(context.Background(), tc.prefix, 10)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, %v; want %q", tc.prefix, got, err, tc.want)
		}
		for _, k := range got {
			if _, err := s.Attributes(context.Background(), k); err != nil {
				t.Errorf("listed %s does not read: %v", k, err)
			}
		}
	}
	if got, _ := s.List(context.Background(), "", 1); len(got) != 1 {
		t.Errorf("limit 1 listed %q", got)
	}
}
