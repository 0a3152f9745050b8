package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/pixmill/pixmill/source"
)

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// SourcesConfig is the originals' part: every source by name, the default
// one included (source.url, or sources.default). A named source's unset
// timeout and size limit are source.timeout and limits.max_source_bytes.
// Header values have their ${VAR} references replaced from lookup (the
// environment), so that a credential never sits in the file. Errors name
// the key.
func (c *Config) SourcesConfig(lookup func(string) (string, bool)) (map[string]source.NamedConfig, error) {
	out := map[string]source.NamedConfig{}
	if c.Source.URL != "" {
		n, err := c.namedConfig("source", c.Source, lookup)
		if err != nil {
			return nil, err
		}
		n.ConfigKey = "source.url"
		out[source.Default] = n
	}
	names := make([]string, 0, len(c.Sources))
	for name := range c.Sources {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		key := "sources." + name
		if err := source.CheckName(name); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		n, err := c.namedConfig(key, c.Sources[name], lookup)
		if err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, nil
}

func (c *Config) namedConfig(key string, s Source, lookup func(string) (string, bool)) (source.NamedConfig, error) {
	n := source.NamedConfig{
		ConfigKey:            key,
		URL:                  s.URL,
		MaxBytes:             s.MaxBytes,
		Timeout:              s.Timeout.D(),
		ConnectTimeout:       s.ConnectTimeout.D(),
		HeaderTimeout:        s.HeaderTimeout.D(),
		AllowHosts:           s.AllowHosts,
		AllowPrivateNetworks: s.AllowPrivateNetworks,
	}
	switch s.Mode {
	case "", "prefix":
		if s.URL == "" {
			return n, fmt.Errorf("%s.url must be set (supported schemes: %s)", key, source.SupportedSchemes)
		}
		if err := source.CheckURL(s.URL); err != nil {
			return n, fmt.Errorf("%s.url: %w", key, err)
		}
	case "any":
		n.Any = true
	default:
		return n, fmt.Errorf("%s.mode: %q is not prefix or any", key, s.Mode)
	}
	if n.MaxBytes == 0 {
		n.MaxBytes = c.Limits.MaxSourceBytes
	}
	if n.Timeout == 0 {
		n.Timeout = c.Source.Timeout.D()
	}
	for _, d := range []struct {
		name string
		v    Duration
	}{{"timeout", s.Timeout}, {"connect_timeout", s.ConnectTimeout}, {"header_timeout", s.HeaderTimeout}} {
		if d.v < 0 {
			return n, fmt.Errorf("%s.%s must not be negative", key, d.name)
		}
	}
	if n.MaxBytes < 0 {
		return n, fmt.Errorf("%s.max_bytes must not be negative", key)
	}
	for i, cidr := range s.AllowNetworks {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			a, aerr := netip.ParseAddr(cidr)
			if aerr != nil {
				return n, fmt.Errorf("%s.allow_networks[%d]: %q is not an address or CIDR prefix", key, i, cidr)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		n.AllowNetworks = append(n.AllowNetworks, p.Masked())
	}
	if len(s.Headers) > 0 {
		n.Headers = map[string]string{}
	}
	for name, v := range s.Headers {
		hkey := key + ".headers." + name
		if !httpguts.ValidHeaderFieldName(name) {
			return n, fmt.Errorf("%s: not a valid header name", hkey)
		}
		v, err := expandEnv(v, lookup)
		if err != nil {
			return n, fmt.Errorf("%s: %w", hkey, err)
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return n, fmt.Errorf("%s: the value holds characters a header cannot", hkey) // never echo it: it may be a secret
		}
		n.Headers[name] = v
	}
	return n, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces every ${VAR} in s with VAR's value; an unset VAR is an
// error (a private origin's Authorization silently empty would be a
// puzzling 404).
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return out, nil
}
