package server

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// HeaderConfig says what the success headers carry.
type HeaderConfig struct {
	MaxAge               time.Duration
	SMaxAge              time.Duration
	StaleWhileRevalidate time.Duration
	StaleIfError         time.Duration
	Immutable            bool
	SurrogateKeyHeader   string // "" leaves it out
	CacheTagHeader       string // "" leaves it out
	CDNCacheControl      bool   // also send CDN-Cache-Control
	SurrogateControl     bool   // also send Surrogate-Control
	// DegradedTTL is how long browsers and edges may keep a degraded
	// result (a smart crop the sidecar did not place): long enough to ride
	// out a burst, short enough that the whole result follows soon. 0 sends
	// no-store.
	DegradedTTL time.Duration
}

// cachePolicy is the caching headers of one kind of result, computed once.
type cachePolicy struct {
	cacheControl     string
	cdnCacheControl  string // "" when CDN-Cache-Control is off
	surrogateControl string // "" when Surrogate-Control is off
}

// policy builds the headers h describes.
func (h HeaderConfig) policy() cachePolicy {
	p := cachePolicy{cacheControl: h.CacheControl()}
	if h.CDNCacheControl {
		p.cdnCacheControl = h.edgeCacheControl()
	}
	if h.SurrogateControl {
		p.surrogateControl = h.surrogateControl()
	}
	return p
}

// degradedPolicy is the policy of a degraded result: its TTL for browsers
// and edges alike, and nothing that would keep it longer (no immutable, no
// serving it stale).
func (h HeaderConfig) degradedPolicy() cachePolicy {
	d, ok := h.degraded()
	if !ok {
		p := cachePolicy{cacheControl: "no-store"}
		if h.CDNCacheControl {
			p.cdnCacheControl = "no-store"
		}
		if h.SurrogateControl {
			p.surrogateControl = "max-age=0"
		}
		return p
	}
	return d.policy()
}

// degraded is the configuration of a degraded result's headers; false
// when they say no-store.
func (h HeaderConfig) degraded() (HeaderConfig, bool) {
	return HeaderConfig{
		MaxAge:           h.DegradedTTL,
		SMaxAge:          h.DegradedTTL,
		CDNCacheControl:  h.CDNCacheControl,
		SurrogateControl: h.SurrogateControl,
	}, h.DegradedTTL > 0
}

// expiringPolicy is the policy of a response to a URL with exp=, which
// remaining from now stops being served: no lifetime in it, fresh or
// stale, for browsers or edges, outlives the URL. It is computed per
// response, since remaining shrinks as the URL ages. A degraded result
// starts from its own policy.
func (h HeaderConfig) expiringPolicy(remaining time.Duration, degraded bool) cachePolicy {
	if degraded {
		d, ok := h.degraded()
		if !ok {
			return h.degradedPolicy()
		}
		h = d
	}
	return h.clip(remaining).policy()
}

// clip bounds every lifetime in h to remaining (whole seconds, rounded
// down): max-age and s-maxage to it, the stale-* extensions to what is
// left after the longer of them; immutable goes when anything was cut.
func (h HeaderConfig) clip(remaining time.Duration) HeaderConfig {
	rem := max(0, remaining.Truncate(time.Second))
	c := h
	c.MaxAge = min(h.MaxAge, rem)
	c.SMaxAge = min(h.SMaxAge, rem)
	left := rem - max(c.MaxAge, c.SMaxAge)
	c.StaleWhileRevalidate = min(h.StaleWhileRevalidate, left)
	c.StaleIfError = min(h.StaleIfError, left)
	if c != h {
		c.Immutable = false
	}
	return c
}

// CacheControl is the success Cache-Control value.
func (h HeaderConfig) CacheControl() string {
	parts := []string{"public", "max-age=" + secs(h.MaxAge)}
	if h.SMaxAge > 0 {
		parts = append(parts, "s-maxage="+secs(h.SMaxAge))
	}
	if h.StaleWhileRevalidate > 0 {
		parts = append(parts, "stale-while-revalidate="+secs(h.StaleWhileRevalidate))
	}
	if h.StaleIfError > 0 {
		parts = append(parts, "stale-if-error="+secs(h.StaleIfError))
	}
	if h.Immutable {
		parts = append(parts, "immutable")
	}
	return strings.Join(parts, ", ")
}

func secs(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// variantETag is a strong validator computed before rendering: the same
// source version, canonical transform, negotiation input and pipeline
// version always render the same bytes. For a negotiated format the Accept
// class stands in for the output format, since the format follows from it
// and from the source (alpha, frames), which the version pins.
//
// A named source's name is hashed in too, so that the same bytes behind two
// sources (or a key that moves to a new source) never share a validator;
// the default source's ETags are those of a single-source server, so that
// adding sources does not invalidate every ETag a CDN holds.
func variantETag(sourceName, sourceVersion, canonical string, opts spec.Options, accept string) string {
	format := opts.Format
	negotiation := string(format)
	if format == spec.FormatAuto {
		negotiation = "auto:" + transform.ParseAccept(accept).Class()
	}
	in := sourceVersion + "\x00" + canonical + "\x00" + negotiation + "\x00" + transform.VersionOf(opts)
	if sourceName != source.Default {
		in += "\x00source=" + sourceName
	}
	sum := sha256.Sum256([]byte(in))
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:15]) + `"`
}

// degradedETag is the validator of a degraded result: never equal to the
// whole result's, so that an edge revalidating a fallback crop once the
// sidecar is back is sent the whole one instead of a 304.
func degradedETag(etag string) string {
	return strings.TrimSuffix(etag, `"`) + `.degraded"`
}

// etagMatches implements If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatches(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	bare := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == bare {
			return true
		}
	}
	return false
}

// fileName is the name a download of ref is offered under: its key, or for
// an arbitrary URL (mode: any) the URL's path.
func fileName(ref source.Ref) string {
	if !ref.SignedOnly {
		return ref.Key
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(ref.Key, "="))
	if err != nil {
		return "image"
	}
	if u, err := url.Parse(string(raw)); err == nil && path.Base(u.Path) != "/" && path.Base(u.Path) != "." {
		return path.Base(u.Path)
	}
	return "image"
}

// contentDisposition names the file after the source key's stem and the
// output's extension, with an RFC 6266 UTF-8 form for non-ASCII names.
func contentDisposition(key string, ext string) string {
	stem := path.Base(key)
	if i := strings.LastIndexByte(stem, '.'); i > 0 {
		stem = stem[:i]
	}
	return disposition("inline", stem+"."+ext)
}

// disposition is a Content-Disposition of kind (inline, attachment) for a
// file name, with an RFC 6266 UTF-8 form when it is not plain ASCII.
func disposition(kind, name string) string {
	ascii := make([]byte, 0, len(name))
	plain := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			ascii = append(ascii, '_')
			plain = false
			continue
		}
		ascii = append(ascii, c)
	}
	v := kind + `; filename="` + string(ascii) + `"`
	if !plain {
		v += "; filename*=UTF-8''" + url.PathEscape(name)
	}
	return v
}

// purgeTag is the CDN purge tag of an original: short, header-safe, and the
// same for every variant of it. A named source's tag hashes its name and
// its key apart ("media" NUL "2024/cat.jpg": keys hold no NUL, so no other
// source's key hashes the same input); the default source's is the hash of
// the key alone, as with a single source.
func purgeTag(ref source.Ref) string {
	in := ref.Key
	if ref.Source != source.Default {
		in = ref.Source + "\x00" + ref.Key
	}
	sum := sha256.Sum256([]byte(in))
	return "src-" + base64.RawURLEncoding.EncodeToString(sum[:12])
}

// timing collects the Server-Timing stages of one request.
type timing struct {
	queue, fetch, transform, encode time.Duration
}

// idleTiming is the Server-Timing of a request that did no work: an L1 hit
// whose source attributes were cached too.
const idleTiming = "queue;dur=0.0, fetch;dur=0.0, transform;dur=0.0, encode;dur=0.0"

func (t timing) header() string {
	if t == (timing{}) {
		return idleTiming
	}
	b := make([]byte, 0, 80)
	b = appendStage(b, "queue;dur=", t.queue)
	b = appendStage(append(b, ", "...), "fetch;dur=", t.fetch)
	b = appendStage(append(b, ", "...), "transform;dur=", t.transform)
	b = appendStage(append(b, ", "...), "encode;dur=", t.encode)
	return string(b)
}

func appendStage(b []byte, name string, d time.Duration) []byte {
	return strconv.AppendFloat(append(b, name...), float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

// setCacheHeaders writes what a 200 and a 304 share: validator, caching
// policy for browsers and for CDNs, Vary, and the purge tags.
func (s *Server) setCacheHeaders(h http.Header, etag string, vary varyList, tag string, p *cachePolicy) {
	h.Set("ETag", etag)
	p.set(h)
	if len(vary) > 0 {
		h.Set("Vary", vary.String())
	}
	if s.cfg.Headers.SurrogateKeyHeader != "" {
		h.Set(s.cfg.Headers.SurrogateKeyHeader, tag+" "+GlobalPurgeTag) // space-separated (Fastly, Akamai)
	}
	if s.cfg.Headers.CacheTagHeader != "" {
		h.Set(s.cfg.Headers.CacheTagHeader, tag+","+GlobalPurgeTag) // comma-separated (Cloudflare)
	}
}

// set writes the policy's headers.
func (p *cachePolicy) set(h http.Header) {
	h.Set("Cache-Control", p.cacheControl)
	if p.cdnCacheControl != "" {
		h.Set("CDN-Cache-Control", p.cdnCacheControl)
	}
	if p.surrogateControl != "" {
		h.Set("Surrogate-Control", p.surrogateControl)
	}
}

// GlobalPurgeTag is on every image response, to purge everything at once.
const GlobalPurgeTag = "pixmill"

// edgeCacheControl is CDN-Cache-Control (RFC 9213): the shared-cache policy
// alone, so that CDNs that honour it need not parse s-maxage.
func (h HeaderConfig) edgeCacheControl() string {
	edge := h
	edge.MaxAge, edge.SMaxAge = h.SMaxAge, 0
	if edge.MaxAge == 0 {
		edge.MaxAge = h.MaxAge
	}
	return edge.CacheControl()
}

// surrogateControl is Fastly's and Akamai's Surrogate-Control.
func (h HeaderConfig) surrogateControl() string {
	ttl := h.SMaxAge
	if ttl == 0 {
		ttl = h.MaxAge
	}
	parts := []string{"max-age=" + secs(ttl)}
	if h.StaleWhileRevalidate > 0 {
		parts = append(parts, "stale-while-revalidate="+secs(h.StaleWhileRevalidate))
	}
	if h.StaleIfError > 0 {
		parts = append(parts, "stale-if-error="+secs(h.StaleIfError))
	}
	return strings.Join(parts, ", ")
}
