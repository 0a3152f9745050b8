package server

import (
	"context"
	"errors"
	"strings"

	"github.com/pixmill/pixmill/cache"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// UsePeers puts the shared tier between the L1 and the store (see
// cache.Cache.DoVariant). Call it before serving.
func (s *Server) UsePeers(p *cache.Peers) {
	s.results.UsePeers(p, s.resolvePeer, s.attrs.Remove, s.adoptStored)
}

// A shared-tier key holds what the owner needs to render the variant
// without the URL it was asked by: the ETag the asker expects, the Accept
// class (for f=auto), the canonical transform and the source key. Every URL
// that means one variant (presets, option order, signatures) has one key,
// so the cluster renders it once. The ETag (a hash) comes first on purpose:
// groupcache's ring hashes keys with FNV-1, which spreads keys that differ
// early well and keys that differ only in their last bytes hardly at all.
const peerKeyVersion = "pm1"

func peerKey(etag, acceptClass, canonical, sourceKey string) string {
	return peerKeyVersion + "\n" + etag + "\n" + acceptClass + "\n" + canonical + "\n" + sourceKey
}

func parsePeerKey(k string) (etag, acceptClass, canonical, sourceKey string, err error) {
	parts := strings.SplitN(k, "\n", 5)
	if len(parts) != 5 || parts[0] != peerKeyVersion {
		return "", "", "", "", fault.New(fault.BadRequest, "not a shared-tier key")
	}
	return parts[1], parts[2], parts[3], parts[4], nil
}

// acceptClass is what of Accept the variant depends on: the class for
// f=auto, nothing for an explicit format (its ETag does not depend on
// Accept either).
func acceptClass(opts spec.Options, accept string) string {
	if opts.Format != spec.FormatAuto {
		return ""
	}
	return transform.ParseAccept(accept).Class()
}

// acceptOf is an Accept header of the class.
func acceptOf(class string) string {
	switch class {
	case "avif+webp":
		return "image/avif,image/webp"
	case "avif":
		return "image/avif"
	case "webp":
		return "image/webp"
	}
	return ""
}

// errPeerVersion: the asker and the owner see different versions of the
// original (one has not noticed a change yet); the asker renders its own.
var errPeerVersion = errors.New("shared tier: the owner sees another version of the original")

// resolvePeer is the owner's side of a shared-tier lookup: the key back to
// a request, checked against the ETag the asker expects, and its render
// (under this replica's admission limits, as any render).
func (s *Server) resolvePeer(ctx context.Context, k string) (string, cache.Variant, cache.RenderFunc, error) {
	wantETag, class, canonical, sourceKey, err := parsePeerKey(k)
	if err != nil {
		return "", cache.Variant{}, nil, err
	}
	req, err := s.parser.ParseCanonical(canonical, sourceKey)
	if err != nil {
		return "", cache.Variant{}, nil, err
	}
	ref, err := s.source.Resolve(req.Key)
	if err != nil {
		return "", cache.Variant{}, nil, err
	}
	dl := &deadline{parent: ctx, timeout: s.cfg.RequestTimeout}
	defer dl.release() // the render has a context of its own
	accept := acceptOf(class)
	var wm *watermark
	attrs, _, err := s.attributes(dl, req.Key)
	if err == nil {
		wm, err = s.watermarkOf(dl, req)
	}
	if err != nil {
		return "", cache.Variant{}, nil, err
	}
	etag := variantETag(ref.Source, attrs.Version()+wm.version(), req.Canonical(), req.Options, accept)
	if etag != wantETag {
		// This replica's cached attributes may be older than the asker's:
		// look again once.
		s.attrs.Remove(req.Key)
		if attrs, _, err = s.attributes(dl, req.Key); err == nil {
			etag = variantETag(ref.Source, attrs.Version()+wm.version(), req.Canonical(), req.Options, accept)
		}
		if err != nil || etag != wantETag {
			return "", cache.Variant{}, nil, errPeerVersion
		}
	}
	v := variant{ref: ref, tag: purgeTag(ref), wm: wm}
	render := func(ctx context.Context) (*cache.Entry, error) {
		return s.renderEntry(ctx, req, v, attrs, etag, accept, &timing{})
	}
	return req.Key + "\x00" + etag, cache.Variant{SourceKey: req.Key, ETag: etag, PeerKey: k}, render, nil
}
