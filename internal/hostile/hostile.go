// Package hostile crafts the attack inputs of the hostile-input tests: files
// and requests that the shared corpus does not contain, each made from code
// so that a test, a fuzz seed and the soak mix all use the same bytes.
//
// Each class lives in its own file and registers its files in init; All
// lists them in name order, and `go run ./internal/hostile/gen -out DIR`
// writes them out (for the soak's mix and for looking at them by hand).
// The package is pure Go: no libvips is needed to make a hostile file.
package hostile

import (
	"fmt"
	"sort"
	"sync"
)

// File is one crafted input.
type File struct {
	Name  string // file name, with the extension its format suggests
	Class string // the class: "png-chunk-length", "png-text-bomb", ...
	// Make returns the bytes; it is called afresh each time, since some
	// files are megabytes and most tests need one or two.
	Make func() []byte
}

var (
	mu       sync.Mutex
	registry = map[string]File{}
)

// register adds f; two files of one name are a programming error.
func register(f File) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[f.Name]; dup {
		panic(fmt.Sprintf("hostile: %s registered twice", f.Name))
	}
	registry[f.Name] = f
}

// All lists every crafted file, in name order.
func All() []File {
	mu.Lock()
	defer mu.Unlock()
	out := make([]File, 0, len(registry))
	for _, f := range registry {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Class lists the files of one class, in name order.
func Class(class string) []File {
	var out []File
	for _, f := range All() {
		if f.Class == class {
			out = append(out, f)
		}
	}
	return out
}

// Bytes returns the bytes of the named file; it panics on an unknown name,
// which is a typo in a test.
func Bytes(name string) []byte {
	mu.Lock()
	f, ok := registry[name]
	mu.Unlock()
	if !ok {
		panic("hostile: no file named " + name)
	}
	return f.Make()
}
