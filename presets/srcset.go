package presets

import (
	"net/url"
	"strconv"
	"strings"
)

// Srcset returns a srcset attribute value for the named preset's width
// ladder and a source key (unescaped; each path segment is percent-escaped
// here): "URL 100w, URL 200w, ...". Each URL is "/{sig}/{preset},w={width}/{key}",
// unsigned ("/_/...") for a public preset and signed with Keys[0] otherwise.
// The descriptor is the target width in device pixels (width × the preset's
// dpr). Every URL is parsed before it is returned, so a bad key is refused
// here with the same error a request would get.
func (p *Parser) Srcset(preset, key string) (string, error) {
	d := p.presets[preset]
	if d == nil {
		return "", bad("unknown preset %q", preset)
	}
	if len(d.Widths) == 0 {
		return "", bad("preset %q has no widths", preset)
	}
	esc := EscapeKey(key)
	var b strings.Builder
	for i, w := range d.Widths {
		path := "/" + preset + ",w=" + strconv.Itoa(w) + "/" + esc
		u := "/_" + path
		if !d.Public {
			var err error
			if u, err = p.Sign(path); err != nil {
				return "", err
			}
		}
		req, err := p.Parse(u)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(u)
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(req.Options.TargetWidth()))
		b.WriteByte('w')
	}
	return b.String(), nil
}

// EscapeKey percent-escapes each "/"-separated segment of a source key for
// use in a path (url.PathEscape per segment, so "/" stays a separator).
func EscapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
