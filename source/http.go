package source

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/flight"
)

// HTTPConfig configures one HTTP(S) origin.
type HTTPConfig struct {
	// URL is the origin's prefix, http(s)://host[:port]/prefix/: a key is
	// fetched from URL + the key (its segments escaped). Empty in Any mode.
	URL string
	// Any makes the key a base64url-encoded absolute URL (mode: any),
	// fetched only from AllowHosts.
	Any bool

	MaxBytes       int64         // 0 means no limit
	Timeout        time.Duration // one whole fetch: connect, headers, body; 0 means DefaultTimeout
	ConnectTimeout time.Duration // dial plus TLS handshake; 0 means min(5 s, Timeout)
	HeaderTimeout  time.Duration // until the response headers; 0 means Timeout

	// AllowHosts are the hosts fetched from (Any mode) or redirected to,
	// besides URL's own host: exact names, or "*.example.com" for any
	// subdomain of example.com.
	AllowHosts           []string
	AllowPrivateNetworks bool           // loopback, RFC 1918, CGNAT and ULA addresses may be reached
	AllowNetworks        []netip.Prefix // reachable whatever the rules above say (an internal origin)
	Headers              map[string]string

	Resolver Resolver       // host names' addresses; nil means the system resolver
	RootCAs  *x509.CertPool // TLS roots; nil means the system's (tests trust their own)
}

// maxRedirects is how many redirects one fetch follows.
const maxRedirects = 3

// userAgent is sent on every origin request.
const userAgent = "pixmill"

// HTTP reads originals from an HTTP(S) origin through its own client:
// connections reused (HTTP/2 where the origin speaks it), every address it
// connects to checked against the SSRF policy, redirects followed only to
// allowed hosts. The origin's ETag or Last-Modified is the version (a hash
// of the body when it sends neither), and a version seen before is
// revalidated with a conditional request, so that an unchanged original
// costs a 304. Safe for concurrent use.
type HTTP struct {
	cfg     HTTPConfig
	base    *url.URL // nil in Any mode
	hosts   hostList
	client  *http.Client
	headers http.Header

	known  *lru.Cache[string, Attributes] // last attributes seen per URL: the validators to revalidate with
	stash  *stash                         // bodies fetched by Attributes, for the ReadKnown that follows
	flight flight.Group[string, Attributes]
}

// NewHTTP builds an HTTP source from cfg; it does not contact the origin.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = min(5*time.Second, cfg.Timeout)
	}
	if cfg.HeaderTimeout == 0 {
		cfg.HeaderTimeout = cfg.Timeout
	}
	if cfg.MaxBytes < 0 || cfg.Timeout < 0 || cfg.ConnectTimeout < 0 || cfg.HeaderTimeout < 0 {
		return nil, errors.New("limits and timeouts must not be negative")
	}
	h := &HTTP{cfg: cfg, headers: http.Header{}}
	hosts, err := parseHosts(cfg.AllowHosts)
	if err != nil {
		return nil, err
	}
	h.hosts = hosts
	switch {
	case cfg.Any && cfg.URL != "":
		return nil, errors.New("mode: any takes no url: the key is the URL")
	case cfg.Any && len(hosts) == 0:
		return nil, errors.New("mode: any needs allow_hosts (exact hosts or *.example.com)")
	case !cfg.Any:
		u, err := url.Parse(cfg.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("%q is not an http(s)://host/prefix/ URL (no user, query or fragment)", cfg.URL)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
			u.RawPath = ""
		}
		h.base = u
		h.hosts = append(h.hosts, hostPattern{name: strings.ToLower(u.Hostname())})
	}
	for k, v := range cfg.Headers {
		h.headers.Set(k, v)
	}
	policy := addrPolicy{allowPrivate: cfg.AllowPrivateNetworks, allowed: cfg.AllowNetworks}
	dialer := newGuardedDialer(policy, cfg.Resolver, cfg.ConnectTimeout)
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would be the address dialled, and the policy would judge it instead of the origin
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.HeaderTimeout,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // images are compressed; and the size limit counts what is read
	}
	if cfg.RootCAs != nil {
		transport.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs}
	}
	h.client = &http.Client{Transport: transport, CheckRedirect: h.checkRedirect}
	h.known, _ = lru.New[string, Attributes](10_000)
	// A stashed body normally lives for the milliseconds between the two
	// calls of one miss; room for two of the largest, and 10 s for the rest.
	h.stash = newStash(max(2*cfg.MaxBytes, 64<<20), 10*time.Second)
	return h, nil
}

// checkRedirect follows at most maxRedirects redirects, to allowed hosts
// only, never from https to http.
func (h *HTTP) checkRedirect(req *http.Request, via []*http.Request) error {
	switch {
	case len(via) > maxRedirects:
		return fmt.Errorf("more than %d redirects", maxRedirects)
	case req.URL.Scheme != "http" && req.URL.Scheme != "https":
		return fmt.Errorf("%w: redirect to scheme %q", ErrHostNotAllowed, req.URL.Scheme)
	case via[0].URL.Scheme == "https" && req.URL.Scheme == "http":
		return fmt.Errorf("%w: redirect from https to http", ErrHostNotAllowed)
	case !h.hosts.allows(req.URL.Hostname()):
		return fmt.Errorf("%w: redirect to %q", ErrHostNotAllowed, req.URL.Hostname())
	}
	return nil
}

// Close drops idle connections.
func (h *HTTP) Close() error {
	h.client.CloseIdleConnections()
	return nil
}

// Ping is nil: an HTTP origin's outage shows as 502/504 on its own keys;
// it does not make the server unready for every other source.
func (h *HTTP) Ping(context.Context) error { return nil }

// target is the URL key names.
func (h *HTTP) target(key string) (string, error) {
	if h.base != nil {
		segs := strings.Split(key, "/")
		for i, s := range segs {
			segs[i] = url.PathEscape(s)
		}
		return h.base.String() + strings.Join(segs, "/"), nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(key, "="))
	if err != nil {
		return "", fault.New(fault.BadRequest, "source key: not a base64url-encoded URL")
	}
	u, err := url.Parse(string(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fault.New(fault.BadRequest, "source key: not an absolute http(s) URL")
	}
	if !h.hosts.allows(u.Hostname()) {
		return "", fault.Wrap(fault.Forbidden, fmt.Errorf("%w: %q", ErrHostNotAllowed, u.Hostname()), "source host not allowed")
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}

// Attributes fetches the object (or, for a version seen before, asks
// whether it changed) and keeps the body for the ReadKnown that follows.
// Concurrent calls for one URL share one request to the origin.
func (h *HTTP) Attributes(ctx context.Context, key string) (Attributes, error) {
	if err := ctx.Err(); err != nil {
		return Attributes{}, fault.FromContext(err, fault.UpstreamTimeout)
	}
	target, err := h.target(key)
	if err != nil {
		return Attributes{}, err
	}
	a, _, err := h.flight.Do(ctx, target, func(ctx context.Context) (Attributes, error) {
		var cond *Attributes
		if prev, ok := h.known.Get(target); ok {
			cond = &prev
		}
		obj, err := h.fetch(ctx, target, cond)
		if err != nil {
			return Attributes{}, err
		}
		if obj.Data != nil {
			h.stash.put(target, obj)
		}
		return obj.Attributes, nil
	})
	if err != nil {
		return Attributes{}, fault.FromContext(err, fault.UpstreamTimeout)
	}
	return a, nil
}

// ReadKnown returns the body Attributes just fetched when it is the version
// a names, else fetches the object again.
func (h *HTTP) ReadKnown(ctx context.Context, key string, a Attributes) (Object, error) {
	if err := ctx.Err(); err != nil {
		return Object{}, fault.FromContext(err, fault.UpstreamTimeout)
	}
	target, err := h.target(key)
	if err != nil {
		return Object{}, err
	}
	if obj, ok := h.stash.take(target); ok && obj.Version() == a.Version() {
		return obj, nil
	}
	return h.fetch(ctx, target, nil)
}

// fetch GETs target. With cond, it asks only for a changed object: a 304
// returns *cond and no body.
func (h *HTTP) fetch(ctx context.Context, target string, cond *Attributes) (Object, error) {
	cctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, target, nil)
	if err != nil {
		return Object{}, fault.Wrap(fault.BadRequest, err, "source key: not a valid URL")
	}
	for k, v := range h.headers {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "image/*, */*;q=0.5")
	if cond != nil {
		switch {
		case cond.ETag != "":
			req.Header.Set("If-None-Match", cond.ETag)
		case !cond.ModTime.IsZero():
			req.Header.Set("If-Modified-Since", cond.ModTime.UTC().Format(http.TimeFormat))
		}
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return Object{}, classifyHTTP(ctx, err)
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusNotModified && cond != nil:
		h.known.Add(target, *cond)
		return Object{Attributes: *cond}, nil
	case code == http.StatusOK:
	case code == http.StatusNotFound || code == http.StatusGone:
		return Object{}, fault.Wrap(fault.NotFound, fmt.Errorf("origin answered %s", resp.Status), msgNotFound)
	case code >= 400 && code < 500:
		// The origin refused (401, 403, 451...): the client learns only
		// that there is no such image; the log line says why.
		return Object{}, fault.Wrap(fault.NotFound, fmt.Errorf("origin answered %s", resp.Status), msgNotFound)
	default:
		return Object{}, fault.Wrap(fault.BadGateway, fmt.Errorf("origin answered %s", resp.Status), msgBadGateway)
	}
	if h.cfg.MaxBytes > 0 && resp.ContentLength > h.cfg.MaxBytes {
		return Object{}, fault.New(fault.TooLarge, "source is %d bytes, over the limit of %d", resp.ContentLength, h.cfg.MaxBytes)
	}
	var body io.Reader = resp.Body
	if h.cfg.MaxBytes > 0 {
		body = limitReader(resp.Body, h.cfg.MaxBytes)
	}
	data, err := readAll(body, max(resp.ContentLength, 0))
	if err != nil {
		return Object{}, classifyHTTP(ctx, err)
	}
	obj := Object{Attributes: responseAttributes(resp, data), Data: data}
	h.known.Add(target, obj.Attributes)
	return obj, nil
}

// responseAttributes are the object's attributes from its response: the
// ETag and Last-Modified the origin sent, else a hash of the body as the
// ETag, so that the version still changes exactly when the bytes do.
func responseAttributes(resp *http.Response, data []byte) Attributes {
	a := Attributes{Size: int64(len(data)), ETag: resp.Header.Get("ETag"), ContentType: resp.Header.Get("Content-Type")}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		a.ModTime = t
	}
	if a.ETag == "" && a.ModTime.IsZero() {
		sum := sha256.Sum256(data)
		a.ETag = `"sha256-` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	}
	return a
}

// classifyHTTP turns a failed exchange with an origin into a fault: a
// refused address or host is 403, a caller who left is 499, a timeout is
// 504, anything else (refused connection, reset, TLS, a bad response,
// too many redirects) is 502.
func classifyHTTP(ctx context.Context, err error) error {
	var ne interface{ Timeout() bool }
	switch {
	case fault.KindOf(err) != fault.Internal:
		return err
	case errors.Is(err, ErrBlockedAddress):
		return fault.Wrap(fault.Forbidden, err, "source address not allowed")
	case errors.Is(err, ErrHostNotAllowed):
		return fault.Wrap(fault.Forbidden, err, "source host not allowed")
	case errors.Is(ctx.Err(), context.Canceled):
		return fault.Wrap(fault.Canceled, err, msgCanceled)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fault.Wrap(fault.UpstreamTimeout, err, msgTimeout)
	}
	return fault.Wrap(fault.BadGateway, err, msgBadGateway)
}
