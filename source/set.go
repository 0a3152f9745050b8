package source

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/pixmill/pixmill/internal/fault"
)

// Default names the source that takes every key whose first segment names
// no other source. A lone source.url is the default source.
const Default = "default"

// Ref names an original: the source that holds it and its key there.
type Ref struct {
	Source string // the source's name; Default for the default source
	Key    string // the key within that source (for Any mode, the base64url URL)
	// SignedOnly marks a key of a mode: any source: reachable through
	// signed URLs only, never through unsigned public presets.
	SignedOnly bool
}

// NamedConfig is one source of a Set.
type NamedConfig struct {
	ConfigKey string // where it was configured, for start-up errors: "source.url", "sources.media"
	URL       string // a gocloud.dev/blob URL, or an http(s):// prefix; "" in Any mode
	Any       bool   // mode: any (HTTP): the key is a base64url absolute URL

	MaxBytes       int64
	Timeout        time.Duration
	ConnectTimeout time.Duration // HTTP only
	HeaderTimeout  time.Duration // HTTP only

	AllowHosts           []string // HTTP only
	AllowPrivateNetworks bool     // HTTP only
	AllowNetworks        []netip.Prefix
	Headers              map[string]string // HTTP only

	Resolver Resolver // HTTP only; nil means the system resolver (tests inject one)
}

// IsHTTP reports whether c is an HTTP(S) origin.
func (c NamedConfig) IsHTTP() bool {
	return c.Any || strings.HasPrefix(c.URL, "http://") || strings.HasPrefix(c.URL, "https://")
}

// backend is one source of a Set: a Store or an HTTP origin.
type backend interface {
	Attributes(ctx context.Context, key string) (Attributes, error)
	ReadKnown(ctx context.Context, key string, a Attributes) (Object, error)
	Ping(ctx context.Context) error
	Close() error
}

type member struct {
	b     backend
	blob  *Store // nil for HTTP
	any   bool
	isWeb bool
}

// Set is every configured source, picked per key by its first segment
// ("media/2024/cat.jpg" is "2024/cat.jpg" in source media), the default
// source taking the rest. It is what the server reads originals through.
type Set struct {
	members map[string]*member
	def     *member
}

// SupportedSchemes lists the source URL schemes, for start-up errors.
const SupportedSchemes = "file, mem, s3, gs, azblob (gocloud.dev/blob), http, https"

// OpenSet opens every source in cfgs (name -> config). Errors name the
// source's config key once.
func OpenSet(ctx context.Context, cfgs map[string]NamedConfig) (*Set, error) {
	s := &Set{members: map[string]*member{}}
	names := make([]string, 0, len(cfgs))
	for name := range cfgs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cfgs[name]
		m, err := openMember(ctx, name, c)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %w", c.ConfigKey, err)
		}
		s.members[name] = m
		if name == Default {
			s.def = m
		}
	}
	if len(s.members) == 0 {
		return nil, errors.New("no source configured (source.url or sources)")
	}
	return s, nil
}

func openMember(ctx context.Context, name string, c NamedConfig) (*member, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if c.Any && name == Default {
		return nil, errors.New("the default source cannot be mode: any (its keys would have no prefix to mark them)")
	}
	if c.IsHTTP() {
		h, err := NewHTTP(HTTPConfig{
			URL: c.URL, Any: c.Any, MaxBytes: c.MaxBytes, Timeout: c.Timeout,
			ConnectTimeout: c.ConnectTimeout, HeaderTimeout: c.HeaderTimeout,
			AllowHosts: c.AllowHosts, AllowPrivateNetworks: c.AllowPrivateNetworks,
			AllowNetworks: c.AllowNetworks, Headers: c.Headers, Resolver: c.Resolver,
		})
		if err != nil {
			return nil, err
		}
		return &member{b: h, any: c.Any, isWeb: true}, nil
	}
	if len(c.AllowHosts) > 0 || len(c.Headers) > 0 || c.AllowPrivateNetworks || len(c.AllowNetworks) > 0 {
		return nil, errors.New("allow_hosts, allow_private_networks, allow_networks and headers apply to http(s) sources only")
	}
	if err := checkBlobURL(c.URL); err != nil {
		return nil, err
	}
	st, err := Open(ctx, Config{URL: c.URL, MaxBytes: c.MaxBytes, Timeout: c.Timeout})
	if err != nil {
		return nil, err
	}
	return &member{b: st, blob: st}, nil
}

// CheckURL refuses a source URL whose scheme no source reads, naming the
// supported ones.
func CheckURL(s string) error {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return nil
	}
	return checkBlobURL(s)
}

// checkBlobURL names an unsupported scheme with the list of supported ones.
func checkBlobURL(s string) error {
	if s == "" {
		return errors.New("url is empty; supported schemes: " + SupportedSchemes)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if !blob.DefaultURLMux().ValidBucketScheme(u.Scheme) {
		return fmt.Errorf("scheme %q is not supported; supported schemes: %s", u.Scheme, SupportedSchemes)
	}
	return nil
}

// CheckName refuses source names that could not be a key's first segment.
func CheckName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("source name %q must be 1 to 64 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("source name %q: use lowercase letters, digits, '-', '_' and '.' only", name)
		}
	}
	if name == "." || name == ".." {
		return fmt.Errorf("source name %q is not allowed", name)
	}
	return nil
}

// Resolve says which source holds key and under which key. A key whose
// first segment names a source (other than the default) belongs to it;
// any other key, one without "/" included, to the default source. So every
// key has exactly one owner, and a default key can never be mistaken for a
// named source's.
func (s *Set) Resolve(key string) (Ref, error) {
	if first, rest, ok := strings.Cut(key, "/"); ok && first != Default {
		if m, ok := s.members[first]; ok {
			return Ref{Source: first, Key: rest, SignedOnly: m.any}, nil
		}
	}
	if s.def == nil {
		return Ref{}, fault.New(fault.NotFound, "no source for this key")
	}
	return Ref{Source: Default, Key: key}, nil
}

func (s *Set) route(key string) (*member, string, error) {
	ref, err := s.Resolve(key)
	if err != nil {
		return nil, "", err
	}
	return s.members[ref.Source], ref.Key, nil
}

// Attributes returns the attributes of the original at key (a full key,
// source prefix included).
func (s *Set) Attributes(ctx context.Context, key string) (Attributes, error) {
	m, k, err := s.route(key)
	if err != nil {
		return Attributes{}, err
	}
	return m.b.Attributes(ctx, k)
}

// ReadKnown reads the original at key whose attributes are a.
func (s *Set) ReadKnown(ctx context.Context, key string, a Attributes) (Object, error) {
	m, k, err := s.route(key)
	if err != nil {
		return Object{}, err
	}
	return m.b.ReadKnown(ctx, k, a)
}

// Ping reports whether every blob source answers, for /readyz. HTTP
// origins are left out: one remote origin down shows as 502/504 on its
// keys, not as every replica leaving the load balancer.
func (s *Set) Ping(ctx context.Context) error {
	for name, m := range s.members {
		if m.isWeb {
			continue
		}
		if err := m.b.Ping(ctx); err != nil {
			return fmt.Errorf("source %s: %w", name, err)
		}
	}
	return nil
}

// Store is the named blob source, for tests and tools that write
// originals; nil when name is not a blob source.
func (s *Set) Store(name string) *Store {
	if m, ok := s.members[name]; ok {
		return m.blob
	}
	return nil
}

// Close releases every source.
func (s *Set) Close() error {
	var errs []error
	for _, m := range s.members {
		errs = append(errs, m.b.Close())
	}
	return errors.Join(errs...)
}

// List lists served keys (source prefix included) under prefix, at most
// limit, for the playground. A prefix that starts with a named blob source
// lists that source; otherwise the default source is listed (keys that
// would route to a named source left out), then every named blob source
// whose name starts with prefix. HTTP origins cannot list.
func (s *Set) List(ctx context.Context, prefix string, limit int) ([]string, error) {
	if first, rest, ok := strings.Cut(prefix, "/"); ok && first != Default {
		if m, ok := s.members[first]; ok {
			if m.blob == nil {
				return nil, nil
			}
			keys, err := m.blob.List(ctx, rest, limit)
			return prefixed(first, keys), err
		}
	}
	var out []string
	if s.def != nil && s.def.blob != nil {
		keys, err := s.def.blob.List(ctx, prefix, limit)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if ref, err := s.Resolve(k); err == nil && ref.Source == Default {
				out = append(out, k)
			}
		}
	}
	names := make([]string, 0, len(s.members))
	for name, m := range s.members {
		if name != Default && m.blob != nil && strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if len(out) >= limit {
			break
		}
		keys, err := s.members[name].blob.List(ctx, "", limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, prefixed(name, keys)...)
	}
	return out, nil
}

func prefixed(name string, keys []string) []string {
	for i, k := range keys {
		keys[i] = name + "/" + k
	}
	return keys
}
