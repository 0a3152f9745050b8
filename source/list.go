package source

import (
	"context"
	"errors"
	"io"
	"strings"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/internal/keys"
)

// MaxList bounds one List call, whatever the caller asks: a listing is for
// a person picking a key (the playground), not an inventory.
const MaxList = 1000

// List returns up to limit keys under prefix (limit is clamped to
// 1..MaxList), in the bucket's order, which is lexical for every driver
// pixmill uses. Keys only: no attributes are read. A key the server would
// refuse or never serve is left out: one that fails the key check,
// fileblob's metadata sidecars and its escaped names, and in file://
// buckets a directory, a non-regular file or a link out of the directory
// (what the listing shows is what can be read). The storage timeout covers
// the whole listing.
func (s *Store) List(ctx context.Context, prefix string, limit int) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, classify(ctx, err)
	}
	limit = min(max(limit, 1), MaxList)
	// A prefix is a key's beginning: the key check applies, bar the
	// trailing "/" of a directory.
	if p := strings.TrimSuffix(prefix, "/"); p != "" {
		if err := keys.Check(p); err != nil {
			return nil, err
		}
	}
	if s.root != nil {
		if err := s.root.fresh(); err != nil {
			return nil, err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	var out []string
	// Entries left out count too, so that a bucket of sidecars or bad
	// names cannot make one listing walk it all.
	for seen := 0; len(out) < limit && seen < 2*MaxList; seen++ {
		obj, err := it.Next(cctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, classify(ctx, err)
		}
		if obj.IsDir || !s.listable(obj.Key) {
			continue
		}
		out = append(out, obj.Key)
	}
	return out, nil
}

// listable reports whether key would be served: it passes the key check
// and, in a file:// bucket, the root finds a regular file under it.
func (s *Store) listable(key string) bool {
	if keys.Check(key) != nil || hygiene(key) != nil {
		return false
	}
	if s.root == nil {
		return true
	}
	_, err := s.root.attributes(key)
	return err == nil
}
