package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// image answers GET /{signature}/{transform}/{key}: parse and verify, look
// up the source's version, answer 304 if the client has this variant, else
// fetch, wait for a transform slot, render and send.
func (s *Server) image(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	var t timing
	format := "none"
	status := s.serveImage(ctx, w, r, &t, &format)
	s.metrics.requests.WithLabelValues(statusLabel(status), formatLabel(format)).Inc()
	s.metrics.duration.WithLabelValues("total").Observe(time.Since(start).Seconds())
	setLogField(r, "status", status)
}

func (s *Server) serveImage(ctx context.Context, w http.ResponseWriter, r *http.Request, t *timing, format *string) int {
	req, err := s.parser.Parse(r.URL.EscapedPath())
	if err != nil {
		if fault.KindOf(err) == fault.Forbidden {
			s.metrics.rejected.WithLabelValues("signature").Inc()
		}
		return s.fail(w, r, err)
	}
	accept := r.Header.Get("Accept")
	canonical := req.Canonical()
	negotiated := req.Options.Format == spec.FormatAuto

	fetchStart := time.Now()
	attrs, err := s.source.Attributes(ctx, req.Key)
	if err != nil {
		return s.fail(w, r, err)
	}
	etag := variantETag(attrs.Version(), canonical, req.Options.Format, accept)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		s.setCacheHeaders(w.Header(), etag, negotiated, req.Key)
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	obj, err := s.source.Read(ctx, req.Key)
	if err != nil {
		return s.fail(w, r, err)
	}
	t.fetch = time.Since(fetchStart)
	s.metrics.duration.WithLabelValues("fetch").Observe(t.fetch.Seconds())
	s.metrics.sourceBytes.Add(float64(len(obj.Data)))
	if obj.Version() != attrs.Version() {
		// The original changed between the two calls: name what was read.
		etag = variantETag(obj.Version(), canonical, req.Options.Format, accept)
	}

	queueStart := time.Now()
	release, err := s.admit.acquire(ctx)
	t.queue = time.Since(queueStart)
	s.metrics.duration.WithLabelValues("queue").Observe(t.queue.Seconds())
	if err != nil {
		return s.fail(w, r, err)
	}
	s.metrics.inflight.Inc()
	body, contentType, outFormat, err := s.render(ctx, req, obj, accept, t)
	s.metrics.inflight.Dec()
	release()
	if err != nil {
		return s.fail(w, r, err)
	}
	*format = string(outFormat)

	h := w.Header()
	s.setCacheHeaders(h, etag, negotiated, req.Key)
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	if !obj.ModTime.IsZero() {
		h.Set("Last-Modified", obj.ModTime.UTC().Format(http.TimeFormat))
	}
	h.Set("Content-Disposition", contentDisposition(req.Key, transform.Extension(outFormat)))
	h.Set("Server-Timing", t.header())
	h.Set("X-Cache", "MISS")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		n, _ := w.Write(body)
		s.metrics.responseBytes.Add(float64(n))
	}
	return http.StatusOK
}

// render runs the pipeline, or describes it for f=json.
func (s *Server) render(ctx context.Context, req presets.Request, obj source.Object, accept string, t *timing) ([]byte, string, spec.Format, error) {
	s.metrics.renders.Inc()
	if req.Options.Format == spec.FormatJSON {
		start := time.Now()
		d, err := s.renderer.Describe(ctx, obj.Data, req.Options, accept)
		t.transform = time.Since(start)
		if err != nil {
			return nil, "", "", err
		}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, "", "", err
		}
		return append(b, '\n'), "application/json", spec.FormatJSON, nil
	}
	res, err := s.renderer.Render(ctx, obj.Data, req.Options, accept)
	if err != nil {
		return nil, "", "", err
	}
	t.transform, t.encode = res.Transform, res.Encode
	s.metrics.duration.WithLabelValues("transform").Observe(res.Transform.Seconds())
	s.metrics.duration.WithLabelValues("encode").Observe(res.Encode.Seconds())
	return res.Body, transform.ContentType(res.Format), res.Format, nil
}

// fail logs err with its cause and answers with its status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) int {
	status := s.writeError(w, err)
	setLogField(r, "err", err.Error())
	return status
}
