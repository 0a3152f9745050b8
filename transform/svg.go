package transform

import (
	"bytes"
	"regexp"

	"github.com/pixmill/pixmill/internal/fault"
)

// SVG is refused unless formats.inputs lists it. When it is allowed, an SVG
// is rasterised only if it is self-contained: librsvg already refuses most
// external loads when it has no base file, but "most" is not a policy, so
// anything that could reach a file or the network is refused here, before
// libvips sees the document.
//
// Refused: a DOCTYPE (entity definitions: XXE, billion laughs), XInclude,
// CSS @import, and any href, xlink:href, src or url() that is not a
// fragment ("#id") or a data: URL.
var (
	svgDoctype  = regexp.MustCompile(`(?i)<!DOCTYPE|<!ENTITY`)
	svgXInclude = regexp.MustCompile(`(?i)XInclude|xi:include`)
	svgImport   = regexp.MustCompile(`(?i)@import`)
	// Attribute references: href="...", xlink:href='...', src=...
	svgHref = regexp.MustCompile(`(?i)(?:^|[\s"'])(?:xlink:href|href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)
	// CSS references: url(...), quoted or not.
	svgURL = regexp.MustCompile(`(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\)`)
)

// checkSVG refuses SVG documents that reference anything outside themselves.
func checkSVG(buf []byte) error {
	refuse := func(what string) error {
		return fault.New(fault.Unsupported, "SVG refused: %s (only self-contained SVG is rendered)", what)
	}
	switch {
	case svgDoctype.Match(buf):
		return refuse("it has a DOCTYPE or entity definitions")
	case svgXInclude.Match(buf):
		return refuse("it uses XInclude")
	case svgImport.Match(buf):
		return refuse("it uses CSS @import")
	}
	for _, re := range []*regexp.Regexp{svgHref, svgURL} {
		for _, m := range re.FindAllSubmatch(buf, -1) {
			ref := bytes.TrimSpace(append(append(m[1], m[2]...), m[3]...))
			if !selfReference(ref) {
				return refuse("it references an external resource")
			}
		}
	}
	return nil
}

// selfReference is a fragment of the same document or inline data.
func selfReference(ref []byte) bool {
	return len(ref) == 0 || ref[0] == '#' || bytes.HasPrefix(bytes.ToLower(ref), []byte("data:"))
}
