// Package keys is the one check of a source key, used by the URL parser,
// the source and purge. It is a cgo-free leaf so that all three (and the
// URL fuzzer) share it without pulling in storage or libvips.
package keys

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pixmill/pixmill/internal/fault"
)

// MaxBytes is the longest key accepted, S3's limit.
const MaxBytes = 1024

// Check refuses keys that could leave the bucket, alias another key or mean
// different objects on different drivers: empty, too long, not UTF-8, a
// leading "/", empty, "." or ".." segments, backslashes, NUL and other
// control characters. key is already decoded. Every refusal is a
// fault.BadRequest whose message does not echo the key.
func Check(key string) error {
	switch {
	case key == "":
		return bad("empty source key")
	case len(key) > MaxBytes:
		return bad("source key: longer than %d bytes", MaxBytes)
	case !utf8.ValidString(key):
		return bad("source key: not valid UTF-8")
	case key[0] == '/':
		return bad("source key: must not start with /")
	case strings.IndexFunc(key, unicode.IsControl) >= 0:
		return bad("source key: contains NUL or a control character")
	case strings.IndexByte(key, '\\') >= 0:
		return bad("source key: contains a backslash")
	}
	// A file bucket would collapse these segments (a//b is a/b, a/./b is a/b)
	// while S3 keeps them distinct, and ".." climbs out of the bucket.
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return bad("source key: contains an empty segment (// or a trailing /)")
		case ".", "..":
			return bad("source key: contains a %q segment", seg)
		}
	}
	return nil
}

func bad(format string, args ...any) error { return fault.New(fault.BadRequest, format, args...) }
