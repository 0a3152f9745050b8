package presets

import (
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/pixmill/pixmill/internal/fault"
)

// CloudflarePrefix is where the Cloudflare-compatible route lives
// (compat.cloudflare): /cdn-cgi/image/{options}/{source-key}.
const CloudflarePrefix = "/cdn-cgi/image/"

// cfNames maps Cloudflare's option names (and their short forms) to
// pixmill's. Both languages share most names and values; the table is what
// makes the route a translation rather than a second parser.
var cfNames = map[string]string{
	"width": "width", "w": "width",
	"height": "height", "h": "height",
	"quality": "quality", "q": "quality",
	"format": "format", "f": "format",
	"fit":     "fit",
	"gravity": "gravity", "g": "gravity",
	"dpr":        "dpr",
	"blur":       "blur",
	"sharpen":    "sharpen",
	"background": "background",
	"rotate":     "rotate",
	"flip":       "flip",
	"metadata":   "metadata",
	"anim":       "anim",
	"trim":       "trim",
	"brightness": "brightness",
	"contrast":   "contrast",
	"gamma":      "gamma",
	"saturation": "saturation",
	"zoom":       "zoom",
}

// cfIgnored are Cloudflare options that ask an edge for a behaviour an
// origin has no part in: onerror=redirect (the CDN in front decides what
// to do with an error), compression=fast and slow-connection-quality (edge
// speed trade-offs). They are accepted and have no effect, so that the
// loaders that always send them (Astro sends onerror=redirect) work.
var cfIgnored = map[string]bool{"onerror": true, "compression": true, "slow-connection-quality": true}

// cfColors are the CSS colour names Cloudflare's background= is most often
// given; other colours are written #rrggbb (%23rrggbb in a URL).
var cfColors = map[string]string{
	"white": "ffffff", "black": "000000", "transparent": "00000000",
	"red": "ff0000", "green": "008000", "blue": "0000ff", "gray": "808080", "grey": "808080",
}

// CloudflarePath translates the part of a Cloudflare-style path after
// CloudflarePrefix ("{options}/{escaped-key}", as sent) into the equivalent
// unsigned pixmill path "/_/{transform}/{escaped-key}", which the caller
// then parses like any other: the route obeys the rules of _ URLs.
//
// With signing.allow_unsigned the transform is the translated options.
// Otherwise it must mean what a _ URL may ask for: a public preset, with
// at most a width on its ladder and a dpr. The options are compared by
// meaning, so "width=640,quality=75" is served when a public preset sets
// quality 75 and has 640 on its ladder (the Next.js loader's URL), and
// refused with 403 when none does.
func (p *Parser) CloudflarePath(rest string) (string, error) {
	opts, escKey, ok := strings.Cut(rest, "/")
	// The key is a path on the site: loaders that join "/cdn-cgi/image/"
	// + options + "/" + src with a src of "/photos/a.jpg" send two slashes.
	escKey = strings.TrimLeft(escKey, "/")
	if !ok || escKey == "" {
		return "", bad("path must be %s{options}/{source-key}", CloudflarePrefix)
	}
	transform, err := cfTransform(opts)
	if err != nil {
		return "", err
	}
	if p.cfg.AllowUnsigned {
		return "/_/" + transform + "/" + escKey, nil
	}
	if _, err := decodeKey(escKey); err != nil {
		return "", err
	}
	t, err := p.cfPreset(transform)
	if err != nil {
		return "", err
	}
	return "/_/" + t + "/" + escKey, nil
}

// cfTransform translates Cloudflare's comma-separated options into a
// pixmill transform ("_" for none).
func cfTransform(escOpts string) (string, error) {
	opts, err := url.PathUnescape(escOpts)
	if err != nil {
		return "", bad("options: invalid percent-encoding")
	}
	var items []string
	for _, item := range strings.Split(opts, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue // "width=1,,f=auto" and a trailing comma: Cloudflare skips them
		}
		name, val, ok := strings.Cut(item, "=")
		if !ok {
			return "", bad("option %q: Cloudflare options are name=value", item)
		}
		if cfIgnored[name] {
			continue
		}
		to, ok := cfNames[name]
		if !ok {
			return "", bad("unknown or unsupported Cloudflare option %q", name)
		}
		switch to {
		case "format":
			if val == "baseline-jpeg" {
				val = "jpeg" // pixmill's JPEGs are baseline unless configured progressive
			}
		case "background":
			val = cfColor(val)
		case "trim":
			if val == "border" {
				val = "auto"
			}
		}
		if strings.ContainsAny(val, ",/") {
			return "", bad("option %q: value must not contain , or /", item)
		}
		items = append(items, to+"="+val)
	}
	if len(items) == 0 {
		return "_", nil
	}
	return strings.Join(items, ","), nil
}

// cfColor turns a CSS colour as Cloudflare takes it (#rgb, #rrggbb,
// #rrggbbaa or a common name) into pixmill's hex; anything else is passed
// on for the background option to refuse.
func cfColor(v string) string {
	if hex, ok := cfColors[strings.ToLower(v)]; ok {
		return hex
	}
	v = strings.TrimPrefix(v, "#")
	if len(v) == 3 {
		return string([]byte{v[0], v[0], v[1], v[1], v[2], v[2]})
	}
	return v
}

// cfPreset finds the _ transform that means what transform means: a public
// preset (by name order), alone or with the width and dpr the options set.
func (p *Parser) cfPreset(transform string) (string, error) {
	st, err := p.applyTransform(transform, false)
	if err != nil {
		return "", err
	}
	want, err := p.finish(&st)
	if err != nil {
		return "", err
	}
	var extra []string // the width and dpr items, as the options wrote them
	if transform != "_" {
		for _, item := range strings.Split(transform, ",") {
			if strings.HasPrefix(item, "width=") || strings.HasPrefix(item, "dpr=") {
				extra = append(extra, item)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.presets)) {
		if !p.presets[name].Public {
			continue
		}
		for _, t := range []string{name, strings.Join(append([]string{name}, extra...), ",")} {
			if p.checkUnsigned(t) != nil {
				continue
			}
			st, err := p.applyTransform(t, true)
			if err != nil {
				continue
			}
			got, err := p.finish(&st)
			if err == nil && reflect.DeepEqual(got, want) {
				return t, nil
			}
		}
	}
	return "", fault.New(fault.Forbidden,
		"unsigned %s URLs must mean a public preset, with at most a width on its ladder and a dpr; %q matches none (public presets: %s)",
		CloudflarePrefix, transform, p.publicPresets())
}
