package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/pixmill/pixmill/internal/fault"
)

// statusOf is the one place where error kinds become HTTP statuses.
var statusOf = map[fault.Kind]int{
	fault.BadRequest:      http.StatusBadRequest,
	fault.Forbidden:       http.StatusForbidden,
	fault.NotFound:        http.StatusNotFound,
	fault.TooLarge:        http.StatusRequestEntityTooLarge,
	fault.Unsupported:     http.StatusUnsupportedMediaType,
	fault.Undecodable:     http.StatusUnprocessableEntity,
	fault.Overloaded:      http.StatusServiceUnavailable,
	fault.UpstreamTimeout: http.StatusGatewayTimeout,
	fault.BadGateway:      http.StatusBadGateway,
	fault.Canceled:        499, // client closed the request; nobody reads it
	fault.Gone:            http.StatusGone,
	fault.Internal:        http.StatusInternalServerError,
}

// Status is the HTTP status for err.
func Status(err error) int {
	if s, ok := statusOf[fault.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// writeError answers with a one-line plain-text body: the client-facing
// message of err, never its internal cause. Errors are cached briefly at
// most, so that a fixed original or a passing overload heals quickly.
func (s *Server) writeError(w http.ResponseWriter, err error) int {
	status := Status(err)
	h := w.Header()
	for _, k := range []string{"ETag", "Last-Modified", "Vary", "Content-Disposition"} {
		h.Del(k)
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", s.errorCacheControl(status, err))
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", strconv.Itoa(s.cfg.RetryAfterSeconds))
	}
	body := fault.Message(err) + "\n"
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
	return status
}

// headerError is an error answered for a variant that request headers
// chose (Accept for f=auto, client hints): another client's headers could
// get another answer for the same URL, so it is never cached.
type headerError struct{ error }

func (e headerError) Unwrap() error { return e.error }

// byHeaders marks err as caused by request headers when the variant
// depended on any (vary is not empty).
func byHeaders(err error, vary varyList) error {
	if len(vary) == 0 {
		return err
	}
	return headerError{err}
}

func (s *Server) errorCacheControl(status int, err error) string {
	ttl := int(s.cfg.ErrorTTL.Seconds())
	// Overload, timeouts and our own failures say nothing about the URL;
	// an answer chosen by headers says nothing about the URL alone.
	if status >= 500 || status == 499 || ttl <= 0 || errors.As(err, new(headerError)) {
		return "no-store"
	}
	return "public, max-age=" + strconv.Itoa(ttl)
}
