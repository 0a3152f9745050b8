package server

import (
	"context"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/source"
)

// watermark is the wm= source of a variant: its attributes, known before
// the ETag is made, so that a new version of the logo is a new variant.
type watermark struct {
	key   string
	attrs source.Attributes
}

// version is what the watermark adds to the variant's source version
// ("" without one): its key and version.
func (m *watermark) version() string {
	if m == nil {
		return ""
	}
	return "\x00wm=" + m.key + "@" + m.attrs.Version()
}

// watermarkOf looks up the attributes of req's watermark (nil without
// one) through the same sources as the original: an arbitrary-URL key is
// for signed URLs only here too.
func (s *Server) watermarkOf(dl *deadline, req presets.Request) (*watermark, error) {
	wm := req.Options.Watermark
	if wm == nil {
		return nil, nil
	}
	ref, err := s.source.Resolve(wm.Key)
	if err != nil {
		return nil, err
	}
	if ref.SignedOnly && !req.Signed {
		s.metrics.rejected.WithLabelValues("signature").Inc()
		return nil, fault.New(fault.Forbidden, "this watermark's source needs a signed URL")
	}
	a, _, err := s.attributes(dl, wm.Key)
	if err != nil {
		return nil, err
	}
	return &watermark{key: wm.Key, attrs: a}, nil
}

// read fetches the watermark's bytes under the source's size limit.
func (m *watermark) read(ctx context.Context, s *Server) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	obj, err := s.source.ReadKnown(ctx, m.key, m.attrs)
	if err != nil {
		return nil, err
	}
	if obj.Version() != m.attrs.Version() {
		s.attrs.Add(m.key, obj.Attributes) // the next request's ETag names it
	}
	s.metrics.sourceBytes.Add(float64(len(obj.Data)))
	return obj.Data, nil
}
