package source

import (
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/pixmill/pixmill/internal/fault"
)

// fileRoot keeps file:// keys inside the bucket directory. fileblob already
// refuses keys that climb out lexically, but it follows symlinks wherever they
// point; os.Root resolves them and refuses any that leave the directory
// (absolute targets included). A link swapped between this check and the
// driver's open is out of scope: whoever can write the directory owns it.
type fileRoot struct {
	root *os.Root
	dir  string
}

// openFileRoot opens the directory fileblob serves for u, read the same way
// fileblob reads it (host "." marks a relative path).
func openFileRoot(u *url.URL) (*fileRoot, error) {
	dir := u.Path
	if u.Host == "." {
		dir = strings.TrimPrefix(dir, "/")
	}
	root, err := os.OpenRoot(filepath.FromSlash(dir))
	if err != nil {
		return nil, err
	}
	return &fileRoot{root: root, dir: dir}, nil
}

// ping checks that the directory is still there under its name: an open
// os.Root keeps working on a directory that was removed or replaced.
func (f *fileRoot) ping() error {
	info, err := os.Stat(f.dir)
	if err == nil && !info.IsDir() {
		err = errors.New("not a directory")
	}
	if err != nil {
		return fault.Wrap(fault.UpstreamTimeout, err, msgUnavailable)
	}
	return nil
}

func (f *fileRoot) Close() error { return f.root.Close() }

// check answers NotFound for keys that are missing, are directories, are
// fileblob's metadata sidecars, or resolve outside the directory. Keys that
// fileblob would rewrite ("__0x" escapes) are NotFound too: the file it would
// open is not the one checked here.
func (f *fileRoot) check(key string) error {
	if strings.HasSuffix(key, ".attrs") || strings.Contains(key, "__0x") {
		return fault.New(fault.NotFound, msgNotFound)
	}
	info, err := f.root.Stat(key)
	switch {
	case err == nil && info.Mode().IsRegular():
		return nil
	case err == nil:
		return fault.New(fault.NotFound, msgNotFound)
	case errors.Is(err, fs.ErrPermission):
		return fault.Wrap(fault.UpstreamTimeout, err, msgUnavailable)
	default: // missing, a file used as a directory, a link out of the root
		return fault.Wrap(fault.NotFound, err, msgNotFound)
	}
}
