package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pixmill/pixmill/internal/fault"
)

// fileRoot serves file:// buckets: objects are read through an os.Root, which
// resolves symlinks and refuses any that leave the directory (absolute
// targets included), rather than by path through fileblob, which follows
// them anywhere.
//
// The root is the directory named by the URL now, not the one that was there
// at start-up: a blue/green deploy renames the directory and creates a new
// one under the same name, and an os.Root opened once would keep reading the
// old one (new files 404, and checks made on the old directory while fileblob
// opened paths in the new one let an escaping symlink through). Every call
// stats the path (one cheap syscall) and reopens the root when it names
// another directory (device and inode differ).
type fileRoot struct {
	dir string

	mu   sync.RWMutex // held for the length of one root syscall; Lock to swap
	root *os.Root
	info os.FileInfo // the directory root is open on
}

// openFileRoot opens the directory fileblob serves for u, read the same way
// fileblob reads it (host "." marks a relative path).
func openFileRoot(u *url.URL) (*fileRoot, error) {
	dir := u.Path
	if u.Host == "." {
		dir = strings.TrimPrefix(dir, "/")
	}
	f := &fileRoot{dir: filepath.FromSlash(dir)}
	if err := f.reopen(); err != nil {
		return nil, err
	}
	return f, nil
}

// reopen opens the directory now at f.dir and swaps it in. Callers hold
// f.mu, or own f alone.
func (f *fileRoot) reopen() error {
	root, err := os.OpenRoot(f.dir)
	if err != nil {
		return err
	}
	info, err := root.Stat(".")
	if err != nil {
		root.Close()
		return err
	}
	if f.root != nil {
		// Files opened through the old root stay readable: they are their
		// own descriptors. No one is inside a root call: we hold the lock.
		f.root.Close()
	}
	f.root, f.info = root, info
	return nil
}

// fresh makes sure the root is the directory now at f.dir. A missing
// directory (mid-swap, or unmounted) is "unavailable", not "not found":
// that says nothing about the key.
func (f *fileRoot) fresh() error {
	info, err := os.Stat(f.dir)
	if err == nil && !info.IsDir() {
		err = errors.New("not a directory")
	}
	if err != nil {
		return fault.Wrap(fault.UpstreamTimeout, err, msgUnavailable)
	}
	f.mu.RLock()
	same := os.SameFile(info, f.info)
	f.mu.RUnlock()
	if same {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if os.SameFile(info, f.info) { // another caller reopened it
		return nil
	}
	if err := f.reopen(); err != nil {
		return fault.Wrap(fault.UpstreamTimeout, err, msgUnavailable)
	}
	return nil
}

// ping checks that the directory is there under its name, and follows it
// if it was swapped, for /readyz.
func (f *fileRoot) ping() error { return f.fresh() }

func (f *fileRoot) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.root.Close()
}

// attributes stats key through the root.
func (f *fileRoot) attributes(key string) (Attributes, error) {
	if err := f.fresh(); err != nil {
		return Attributes{}, err
	}
	if err := hygiene(key); err != nil {
		return Attributes{}, err
	}
	f.mu.RLock()
	info, err := f.root.Stat(key)
	f.mu.RUnlock()
	if err == nil && !info.Mode().IsRegular() {
		return Attributes{}, fault.New(fault.NotFound, msgNotFound)
	}
	if err != nil {
		return Attributes{}, rootError(err)
	}
	return fileAttributes(info), nil
}

// open opens key through the root for reading. Only regular files are
// opened: opening a FIFO or a device would block or read forever.
func (f *fileRoot) open(key string) (io.ReadCloser, Attributes, error) {
	if _, err := f.attributes(key); err != nil {
		return nil, Attributes{}, err
	}
	f.mu.RLock()
	file, err := f.root.Open(key)
	f.mu.RUnlock()
	if err != nil {
		return nil, Attributes{}, rootError(err)
	}
	info, err := file.Stat()
	if err == nil && !info.Mode().IsRegular() { // swapped since the stat
		err = fs.ErrNotExist
	}
	if err != nil {
		file.Close()
		return nil, Attributes{}, rootError(err)
	}
	return file, fileAttributes(info), nil
}

// hygiene answers NotFound for fileblob's metadata sidecars, and for keys
// fileblob would rewrite ("__0x" escapes), so that what the bucket lists and
// what is read stay one set of names.
func hygiene(key string) error {
	if strings.HasSuffix(key, ".attrs") || strings.Contains(key, "__0x") {
		return fault.New(fault.NotFound, msgNotFound)
	}
	return nil
}

// rootError maps an os.Root failure: a missing key, a file used as a
// directory and a link out of the root are all "not found"; a permission
// problem is the storage's, not the client's.
func rootError(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fault.Wrap(fault.UpstreamTimeout, err, msgUnavailable)
	}
	return fault.Wrap(fault.NotFound, err, msgNotFound)
}

// fileAttributes are a file's attributes, with the ETag fileblob gives it,
// so that versions do not depend on which of the two read the file.
func fileAttributes(info os.FileInfo) Attributes {
	return Attributes{
		Size:    info.Size(),
		ModTime: info.ModTime(),
		ETag:    fmt.Sprintf("\"%x-%x\"", info.ModTime().UnixNano(), info.Size()),
	}
}
