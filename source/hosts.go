package source

import (
	"net/netip"
	"strings"
)

// hostPattern is one allowed host: an exact name, or with wildcard any
// subdomain of name (from "*.name").
type hostPattern struct {
	name     string
	wildcard bool
}

type hostList []hostPattern

// parseHosts reads allow_hosts entries: "images.example.com" or
// "*.example.com". A bare "*" is refused: allowing every host is what the
// list is there to prevent.
func parseHosts(in []string) (hostList, error) {
	var out hostList
	for _, h := range in {
		h = strings.ToLower(strings.TrimSpace(h))
		if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil { // an IP literal
			out = append(out, hostPattern{name: a.String()})
			continue
		}
		name, wild := strings.CutPrefix(h, "*.")
		if name == "" || strings.ContainsAny(name, "*/:@ ") {
			return nil, &hostError{h}
		}
		out = append(out, hostPattern{name: strings.TrimSuffix(name, "."), wildcard: wild})
	}
	return out, nil
}

type hostError struct{ host string }

func (e *hostError) Error() string {
	return "allow_hosts: " + quote(e.host) + " is not a host name or *.domain (no scheme, port or path)"
}

func quote(s string) string { return `"` + s + `"` }

// allows reports whether host (without port) is on the list.
func (l hostList) allows(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.String()
	}
	for _, p := range l {
		if host == p.name && !p.wildcard {
			return true
		}
		if p.wildcard && strings.HasSuffix(host, "."+p.name) {
			return true
		}
	}
	return false
}
