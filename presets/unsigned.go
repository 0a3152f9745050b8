package presets

import (
	"slices"
	"strconv"
	"strings"

	"github.com/pixmill/pixmill/internal/fault"
)

// checkUnsigned applies the unsigned rules (when AllowUnsigned is off): the
// first item names a public preset, and the items after it only set width
// to a value on that preset's ladder, or dpr. Values that are not integers
// are left for the parser to refuse with 400; everything else is 403.
func (p *Parser) checkUnsigned(t string) error {
	first, rest, more := strings.Cut(t, ",")
	d := p.presets[first]
	switch {
	case d != nil && !d.Public:
		return fault.New(fault.Forbidden, "unsigned URLs must start with a public preset; %q is not public", first)
	case d == nil && validPresetName(first) && optionByName[first] == nil:
		// Name what is missing: a config file that states no presets has
		// none of the built-in examples, and "thumb" is then unknown.
		return fault.New(fault.Forbidden, "unsigned URLs must start with a public preset; there is no preset %q (public presets: %s)", first, p.publicPresets())
	case d == nil:
		return fault.New(fault.Forbidden, "unsigned URLs must start with a public preset")
	}
	for more {
		var item string
		item, rest, more = strings.Cut(rest, ",")
		name, val, _ := strings.Cut(item, "=")
		switch name {
		case "w", "width":
			w, err := strconv.Atoi(val)
			if err == nil && !slices.Contains(d.Widths, w) {
				return fault.New(fault.Forbidden, "width %d is not on the ladder of preset %q (%s); other widths need a signature",
					w, first, ladder(d.Widths))
			}
		case "dpr":
		default:
			return fault.New(fault.Forbidden, "unsigned URLs may override only width and dpr; %q needs a signature", item)
		}
	}
	return nil
}

func ladder(ws []int) string {
	if len(ws) == 0 {
		return "it has none"
	}
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = strconv.Itoa(w)
	}
	return strings.Join(s, ", ")
}

// publicPresets names the public presets for an unsigned client's error
// message (the others are nobody's business but the signer's); "none"
// when there are none.
func (p *Parser) publicPresets() string {
	var names []string
	for name, d := range p.presets {
		if d.Public {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
