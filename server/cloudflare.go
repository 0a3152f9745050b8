package server

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/presets"
)

// cloudflare mounts the Cloudflare-compatible route (compat.cloudflare):
// /cdn-cgi/image/{options}/{key} is translated into the _ path it means
// (presets.CloudflarePath, which applies the rules of _ URLs) and served
// as that path, so headers, caching and errors are those of any image.
// Off, the path is an ordinary image path, refused for its signature.
func (s *Server) cloudflare(r chi.Router) {
	if !s.cfg.Cloudflare {
		return
	}
	h := func(w http.ResponseWriter, req *http.Request) {
		rest := strings.TrimPrefix(req.URL.EscapedPath(), presets.CloudflarePrefix)
		p, err := s.parser.CloudflarePath(rest)
		if err != nil { // counted and logged as serveImage counts a refused path
			if fault.KindOf(err) == fault.Forbidden {
				s.metrics.rejected.WithLabelValues("signature").Inc()
			}
			status := s.fail(w, req, err)
			s.metrics.request(status, "none")
			setLogField(w, slog.Int("status", status))
			return
		}
		u := *req.URL
		u.RawPath = p
		u.Path, _ = url.PathUnescape(p) // CloudflarePath checked the escapes
		r2 := *req
		r2.URL = &u
		s.image(w, &r2)
	}
	r.Get(presets.CloudflarePrefix+"*", h)
	r.Head(presets.CloudflarePrefix+"*", h)
}
