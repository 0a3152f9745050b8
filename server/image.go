package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/pixmill/pixmill/cache"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/tracing"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// image answers GET /{signature}/{transform}/{key}.
func (s *Server) image(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	dl := deadline{parent: r.Context(), timeout: s.cfg.RequestTimeout}
	defer dl.release()
	status, format := s.serveImage(&dl, w, r)
	s.metrics.request(status, format)
	s.metrics.total.Observe(time.Since(start).Seconds())
	setLogField(w, slog.Int("status", status))
	if tracing.On() { // guarded: building the attribute would allocate
		trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("pixmill.format", format))
	}
}

// deadline is the request's context bounded by the request timeout, made
// only when something slow (storage, a render) needs it: an L1 hit with
// cached source attributes needs none, and saves the timer.
type deadline struct {
	parent  context.Context
	timeout time.Duration
	ctx     context.Context
	cancel  context.CancelFunc
}

func (d *deadline) get() context.Context {
	if d.ctx == nil {
		d.ctx, d.cancel = context.WithTimeout(d.parent, d.timeout)
	}
	return d.ctx
}

func (d *deadline) release() {
	if d.cancel != nil {
		d.cancel()
	}
}

// serveImage parses and verifies the URL, applies client hints, looks up the
// source's version (from the attribute cache when fresh), answers 304 when
// the client has this variant, else serves it from the result cache or
// renders it once however many requests ask at the same time.
func (s *Server) serveImage(dl *deadline, w http.ResponseWriter, r *http.Request) (int, string) {
	req, err := s.parser.Parse(r.URL.EscapedPath())
	if err != nil {
		if fault.KindOf(err) == fault.Forbidden {
			s.metrics.rejected.WithLabelValues("signature").Inc()
		}
		return s.fail(w, r, err), "none"
	}
	expires, err := s.checkExpiry(req)
	if err != nil {
		return s.fail(w, r, err), "none"
	}
	if req.Options.Raw && !req.Signed {
		// Even with signing.allow_unsigned: the original may be what the
		// transforms exist to hide (its full size, its metadata).
		s.metrics.rejected.WithLabelValues("signature").Inc()
		return s.fail(w, r, fault.New(fault.Forbidden, "raw=true needs a signed URL")), "none"
	}
	vary := varyList{}
	if req.Options.Format == spec.FormatAuto {
		vary.add("Accept")
	}
	if s.cfg.ClientHints {
		w.Header().Set("Accept-CH", "Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width")
		req = s.applyHints(r, req, &vary)
	}
	ref, err := s.source.Resolve(req.Key)
	if err != nil {
		return s.fail(w, r, err), "none"
	}
	if ref.SignedOnly && !req.Signed {
		// Arbitrary URLs are for signed requests only: neither a public
		// preset nor signing.allow_unsigned reaches them.
		s.metrics.rejected.WithLabelValues("signature").Inc()
		return s.fail(w, r, fault.New(fault.Forbidden, "this source needs a signed URL")), "none"
	}
	accept := r.Header.Get("Accept")
	attrs, fetchedAttrs, err := s.attributes(dl, req.Key)
	if err != nil {
		return s.fail(w, r, err), "none"
	}
	wm, err := s.watermarkOf(dl, req)
	if err != nil {
		return s.fail(w, r, err), "none"
	}
	v := variant{ref: ref, tag: purgeTag(ref), wm: wm}
	etag := variantETag(ref.Source, attrs.Version()+wm.version(), req.Canonical(), req.Options, accept)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		policy := &s.whole
		if expires {
			p := s.cfg.Headers.expiringPolicy(s.untilExpiry(req), false)
			policy = &p
		}
		s.setCacheHeaders(w.Header(), etag, vary, v.tag, policy)
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified, "none"
	}

	t := timing{fetch: fetchedAttrs}
	entry, outcome, err := s.result(dl, req, v, attrs, etag, accept, &t)
	if err != nil {
		return s.fail(w, r, byHeaders(err, vary)), "none"
	}
	if outcome != cache.Miss {
		t = timing{fetch: fetchedAttrs}
	}
	if tracing.On() {
		trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("pixmill.cache", outcomeHeader[outcome][0]))
	}

	h := w.Header()
	for k, v := range entry.Header { // prebuilt at render time; shared, not modified
		h[k] = v
	}
	if len(vary) > 0 {
		h["Vary"] = []string{vary.String()}
	}
	if expires {
		p := s.cfg.Headers.expiringPolicy(s.untilExpiry(req), entry.Degraded)
		p.set(h) // Set replaces the shared slices; it does not write into them
	}
	// The request's stages, then what the entry carries (q=auto's choice).
	h["Server-Timing"] = append([]string{t.header()}, entry.Header["Server-Timing"]...)
	h["X-Cache"] = outcomeHeader[outcome]
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		n, _ := w.Write(entry.Body)
		s.metrics.responseBytes.Add(float64(n))
	}
	return http.StatusOK, entry.Format
}

// result is the variant's entry: from the L1, the variant's owner in the
// shared tier, the durable store, or rendered once however many requests
// ask at the same time. A source that failed to decode is
// remembered for the error TTL (per variant: a corrupt last frame fails the
// animation, not its first frame), so that retries cost no fetch and no
// render.
func (s *Server) result(dl *deadline, req presets.Request, v variant, attrs source.Attributes, etag, accept string, t *timing) (*cache.Entry, cache.Outcome, error) {
	key := req.Key + "\x00" + etag
	if err, ok := s.undecodable.Get(key); ok {
		return nil, cache.Hit, err
	}
	if entry, ok := s.results.Lookup(key); ok {
		return entry, cache.Hit, nil
	}
	tiers := cache.Variant{SourceKey: req.Key, ETag: etag}
	if s.results.Peers() != nil {
		tiers.PeerKey = peerKey(etag, acceptClass(req.Options, accept), req.Canonical(), req.Key)
	}
	entry, outcome, err := s.results.DoVariant(dl.get(), key, tiers, func(ctx context.Context) (*cache.Entry, error) {
		return s.renderEntry(ctx, req, v, attrs, etag, accept, t)
	})
	if err != nil {
		err = renderFailure(err)
		if fault.KindOf(err) == fault.Undecodable {
			s.undecodable.Add(key, err)
		}
	}
	return entry, outcome, err
}

// checkExpiry refuses a URL past its exp= with 410 Gone, and reports
// whether it has one. The signature was verified first, so the URL is
// known to be genuine and to have lived out the life its signer gave it:
// that is Gone, permanently (it will never be served again), and not
// Forbidden, which a tampered or unsigned URL gets and which an operator
// must be able to tell apart from an old link. It is cached for the error
// TTL only, like every error.
func (s *Server) checkExpiry(req presets.Request) (bool, error) {
	exp := req.Options.Expires
	if exp == 0 {
		return false, nil
	}
	if s.untilExpiry(req) <= 0 {
		return true, fault.New(fault.Gone, "URL expired at %s", time.Unix(exp, 0).UTC().Format(time.RFC3339))
	}
	return true, nil
}

// untilExpiry is how long the URL has left.
func (s *Server) untilExpiry(req presets.Request) time.Duration {
	return time.Unix(req.Options.Expires, 0).Sub(s.now())
}

var outcomeHeader = map[cache.Outcome][]string{
	cache.Miss: {"MISS"}, cache.Hit: {"HIT"}, cache.Coalesced: {"COALESCED"}, cache.Stored: {"STORE"}, cache.Peer: {"PEER"},
}

// attributes returns the source's attributes from the TTL cache, or from
// storage (reporting how long that took).
func (s *Server) attributes(dl *deadline, key string) (source.Attributes, time.Duration, error) {
	if a, ok := s.attrs.Get(key); ok {
		return a, 0, nil
	}
	start := time.Now()
	ctx, span := startSpan(dl.get(), "attributes", trace.WithAttributes(attribute.String("pixmill.key", key)))
	a, err := s.source.Attributes(ctx, key)
	endSpan(span, err)
	if err != nil {
		return a, 0, err
	}
	s.attrs.Add(key, a)
	return a, time.Since(start), nil
}

// renderEntry is a cache miss: fetch the original, wait for a transform
// slot, render. The fetch comes first so that a slow storage answers 504
// without holding a slot.
func (s *Server) renderEntry(ctx context.Context, req presets.Request, v variant, attrs source.Attributes, etag, accept string, t *timing) (*cache.Entry, error) {
	fetchStart := time.Now()
	fctx, span := startSpan(ctx, "fetch", trace.WithAttributes(attribute.String("pixmill.key", req.Key)))
	obj, err := s.source.ReadKnown(fctx, req.Key, attrs) // attributes already known: no second HEAD
	if span != nil && err == nil {
		span.SetAttributes(attribute.Int("pixmill.source_bytes", len(obj.Data)))
	}
	endSpan(span, err)
	if err != nil {
		return nil, err
	}
	t.fetch += time.Since(fetchStart)
	s.metrics.duration.WithLabelValues("fetch").Observe(t.fetch.Seconds())
	s.metrics.sourceBytes.Add(float64(len(obj.Data)))
	if obj.Version() != attrs.Version() {
		// The original changed since its attributes were cached: name the
		// bytes that were read, and remember the new attributes.
		s.attrs.Add(req.Key, obj.Attributes)
		etag = variantETag(v.ref.Source, obj.Version()+v.wm.version(), req.Canonical(), req.Options, accept)
	}
	wmData, err := v.wm.read(ctx, s) // before the slot, as the original
	if err != nil {
		return nil, err
	}

	if !req.Options.Raw { // a raw copy decodes nothing: it needs no slot
		queueStart := time.Now()
		_, span := startSpan(ctx, "queue")
		release, err := s.admit.acquire(ctx)
		endSpan(span, err)
		t.queue = time.Since(queueStart)
		s.metrics.duration.WithLabelValues("queue").Observe(t.queue.Seconds())
		if err != nil {
			return nil, err
		}
		defer release()
	}
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()
	s.metrics.renders.Inc()

	e := &cache.Entry{ETag: etag, LastModified: obj.ModTime, SourceKey: req.Key}
	orig := transform.Original{Data: obj.Data, ID: req.Key + "@" + obj.Version(), Watermark: wmData}
	renderStart := time.Now()
	rctx, span := startSpan(ctx, "transform") // the vision span nests in it
	res, err := s.renderer.Render(rctx, orig, req.Options, accept)
	traceStages(ctx, span, renderStart, res.Transform, res.Encode, string(res.Format), err)
	if err != nil {
		return nil, err
	}
	t.transform, t.encode = res.Transform, res.Encode
	s.metrics.duration.WithLabelValues("transform").Observe(res.Transform.Seconds())
	if res.Format != spec.FormatJSON { // a description has no encode stage
		s.metrics.duration.WithLabelValues("encode").Observe(res.Encode.Seconds())
	}
	e.Body, e.ContentType, e.Format = res.Body, transform.ContentType(res.Format), string(res.Format)
	if res.Raw != "" {
		e.ContentType, e.Format = res.ContentType, "raw"
	}
	s.markDegraded(e, res.Degraded)
	s.entryHeader(e, v)
	if res.Auto != nil {
		e.Header["Server-Timing"] = []string{autoTiming(res.Auto)}
	}
	if res.Raw != "" {
		s.rawHeader(e, res.Raw)
	}
	return e, nil
}

// markDegraded records that the render fell back (reason is why, "" when
// it did not): the entry is not kept, and gets its own validator and the
// short degraded caching policy.
func (s *Server) markDegraded(e *cache.Entry, reason string) {
	if reason == "" {
		return
	}
	e.Degraded = true
	e.ETag = degradedETag(e.ETag)
}

// variant is what the response needs to know about the original beyond
// its attributes: which source holds it, and its purge tag.
type variant struct {
	ref source.Ref
	tag string
	wm  *watermark // nil without wm=
}

// entryHeader builds the headers that depend only on the entry.
func (s *Server) entryHeader(e *cache.Entry, v variant) {
	h := http.Header{}
	policy := &s.whole
	if e.Degraded {
		policy = &s.degraded
	}
	s.setCacheHeaders(h, e.ETag, nil, v.tag, policy)
	h.Set("Content-Type", e.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(e.Body)))
	h.Set("X-Content-Type-Options", "nosniff")
	if !e.LastModified.IsZero() {
		h.Set("Last-Modified", e.LastModified.UTC().Format(http.TimeFormat))
	}
	h.Set("Content-Disposition", contentDisposition(fileName(v.ref), transform.Extension(spec.Format(e.Format))))
	e.Header = h
}

// rawHeader names a raw original by its own file name. An SVG is a
// document that can run script when opened directly: it is sent with
// Content-Security-Policy: sandbox (no script, no same origin; an <img>
// shows it as before) and, unless raw.svg_inline is set, as an attachment,
// so that a link to it downloads rather than renders on this origin.
func (s *Server) rawHeader(e *cache.Entry, format string) {
	kind := "inline"
	if format == "svg" {
		e.Header.Set("Content-Security-Policy", "sandbox")
		if !s.cfg.RawSVGInline {
			kind = "attachment"
		}
	}
	e.Header.Set("Content-Disposition", disposition(kind, path.Base(e.SourceKey)))
}

// renderFailure gives kinds to what the cache layer returns raw: the
// caller's own context ending, and panics inside a render (500, with the
// stack for the log).
func renderFailure(err error) error {
	var pe *cache.PanicError
	if errors.As(err, &pe) && fault.KindOf(err) == fault.Internal {
		return fault.Wrap(fault.Internal, errors.New(err.Error()+"\n"+string(pe.Stack)), "internal error")
	}
	return fault.FromContext(err, fault.Overloaded)
}

// applyHints fills dpr and width from client hints (see presets.ApplyHints)
// and adds to Vary every hint that can change this URL's answer, whether
// or not this request sent it: a cache keyed without a hint it should have
// varied on would serve one client's variant to all.
func (s *Server) applyHints(r *http.Request, req presets.Request, vary *varyList) presets.Request {
	h := presets.Hints{
		DPR:           headerFloat(r, "Sec-CH-DPR"),
		Width:         int(headerFloat(r, "Sec-CH-Width")),
		ViewportWidth: int(headerFloat(r, "Sec-CH-Viewport-Width")),
	}
	out, hv := s.parser.ApplyHints(req, h, s.cfg.HintLadder)
	if hv.DPR {
		vary.add("Sec-CH-DPR")
	}
	if hv.Width {
		vary.add("Sec-CH-Width")
	}
	if hv.ViewportWidth {
		vary.add("Sec-CH-Viewport-Width")
	}
	return out
}

// headerFloat reads a positive, finite number from a header; 0 otherwise.
func headerFloat(r *http.Request, name string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(r.Header.Get(name)), 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) || v > 100_000 {
		return 0
	}
	return v
}

// varyList is the Vary header's field names, in the order they were added.
type varyList []string

func (v *varyList) add(name string) { *v = append(*v, name) }

func (v varyList) String() string { return strings.Join(v, ", ") }

// ErrShuttingDown is the cause with which the process cancels requests
// still running when its shutdown grace period ends: they are answered 503
// (retry elsewhere) instead of being dropped.
var ErrShuttingDown = errors.New("server shutting down")

// fail logs err with its cause and answers with its status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) int {
	if errors.Is(context.Cause(r.Context()), ErrShuttingDown) {
		err = fault.Wrap(fault.Overloaded, err, "server shutting down; retry")
	}
	switch {
	case errors.Is(err, source.ErrBlockedAddress):
		s.metrics.rejected.WithLabelValues("ssrf").Inc()
	case errors.Is(err, source.ErrHostNotAllowed):
		s.metrics.rejected.WithLabelValues("source_host").Inc()
	}
	status := s.writeError(w, err)
	setLogField(w, slog.String("err", err.Error()))
	return status
}

// autoTiming is q=auto's choice as a Server-Timing entry, kept with the
// entry so that every hit reports the quality its bytes were written at.
func autoTiming(a *transform.AutoQuality) string {
	mode := ""
	if a.Mode != "" {
		mode = " mode " + a.Mode
	}
	return fmt.Sprintf(`quality;desc="auto:%s q%d distance %.3f target %.3f encodes %d met %t%s"`,
		a.Level, a.Quality, a.Distance, a.Target, a.Encodes, a.Met, mode)
}
