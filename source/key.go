package source

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pixmill/pixmill/internal/fault"
)

// MaxKeyBytes is the longest key accepted, S3's limit.
const MaxKeyBytes = 1024

// CheckKey refuses keys that could leave the bucket or mean different objects
// on different drivers: empty, too long, not UTF-8, a leading "/", empty,
// "." or ".." segments, backslashes, NUL and other control characters.
// Every refusal is a fault.BadRequest whose message does not echo the key.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fault.New(fault.BadRequest, "empty source key")
	case len(key) > MaxKeyBytes:
		return fault.New(fault.BadRequest, "source key is longer than %d bytes", MaxKeyBytes)
	case !utf8.ValidString(key):
		return fault.New(fault.BadRequest, "source key is not valid UTF-8")
	case key[0] == '/':
		return fault.New(fault.BadRequest, "source key starts with /")
	case strings.IndexByte(key, '\\') >= 0:
		return fault.New(fault.BadRequest, "source key contains a backslash")
	case strings.IndexFunc(key, unicode.IsControl) >= 0:
		return fault.New(fault.BadRequest, "source key contains a control character")
	}
	// A file bucket would collapse these segments (a//b is a/b, a/./b is a/b)
	// while S3 keeps them distinct, and ".." climbs out of the bucket.
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return fault.New(fault.BadRequest, "source key has an empty segment")
		case ".", "..":
			return fault.New(fault.BadRequest, "source key has a %q segment", seg)
		}
	}
	return nil
}
