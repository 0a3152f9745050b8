package presets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"io"
	"strings"
)

// Signature is base64url without padding of the first size bytes of
// HMAC-SHA256(key, path), where path is "/" + transform + "/" + escaped key
// exactly as it will be sent. size is clamped to 1..32.
func Signature(key []byte, path string, size int) string {
	size = min(max(size, 1), sha256.Size)
	h := hmac.New(sha256.New, key)
	io.WriteString(h, path)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:size])
}

// Sign turns "/{transform}/{key}" (escaped, as it will be sent) into
// "/{signature}/{transform}/{key}" with Keys[0]. It refuses to sign a path
// that would not parse, with the error Parse would give (fault.BadRequest).
// The transform is signed as given, not canonicalized: the signature covers
// the bytes the client will send.
func (p *Parser) Sign(path string) (string, error) {
	if len(p.macs) == 0 {
		return "", errNoKeys
	}
	transform, escKey, err := splitSignable(path)
	if err != nil {
		return "", err
	}
	if _, err := p.parseBody(transform, escKey); err != nil {
		return "", err
	}
	return "/" + p.sign(0, path) + path, nil
}

func splitSignable(path string) (transform, escKey string, err error) {
	rest, ok := strings.CutPrefix(path, "/")
	if ok {
		transform, escKey, ok = strings.Cut(rest, "/")
	}
	if !ok {
		return "", "", bad("path to sign must be /{transform}/{source-key}")
	}
	return transform, escKey, nil
}

// sign is Signature with the pooled state of key i.
func (p *Parser) sign(i int, msg string) string {
	var sum [sha256.Size]byte
	p.macs[i].sum(sum[:0], msg)
	return base64.RawURLEncoding.EncodeToString(sum[:p.cfg.SignatureSize])
}

// verify reports whether sig is the signature of msg under any key, comparing
// in constant time. The length is public (it is the configured size), so a
// wrong length is refused without hashing.
func (p *Parser) verify(sig, msg string) bool {
	n := base64.RawURLEncoding.EncodedLen(p.cfg.SignatureSize)
	if len(sig) != n {
		return false
	}
	var sum [sha256.Size]byte
	var enc [43]byte // EncodedLen(32)
	for _, m := range p.macs {
		m.sum(sum[:0], msg)
		base64.RawURLEncoding.Encode(enc[:], sum[:p.cfg.SignatureSize])
		if hmac.Equal(enc[:n], []byte(sig)) {
			return true
		}
	}
	return false
}

func newMACPool(key []byte) *macPool {
	m := &macPool{key: key}
	m.pool.New = func() any { return hmac.New(sha256.New, m.key) }
	return m
}

// sum appends HMAC(key, msg) to dst.
func (m *macPool) sum(dst []byte, msg string) []byte {
	h := m.pool.Get().(hash.Hash)
	io.WriteString(h, msg)
	dst = h.Sum(dst)
	h.Reset()
	m.pool.Put(h)
	return dst
}
