package server

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/source"
)

// PlaygroundConfig is the playground's part of the configuration: a page
// at /_playground that builds URLs with controls and shows what the server
// answers. The page asks the server to sign any path it likes, so it is a
// signing oracle: off by default, and loopback-only unless AllowRemote.
type PlaygroundConfig struct {
	Enabled     bool // playground.enabled
	AllowRemote bool // playground.allow_remote: serve it to any client and any Host
}

// playgroundFiles are the page: plain HTML, CSS and one script, no build step.
//
//go:embed playground
var playgroundFiles embed.FS

// Bounds of one playground API call.
const (
	playgroundMaxSign  = 32       // paths signed in one call
	playgroundMaxBody  = 32 << 10 // bytes of a sign request
	playgroundMaxList  = 500      // keys listed in one call
	playgroundListWait = 5 * time.Second
)

// lister is the optional capability of a source that can list its keys
// (source.Store). The server's Source does not require it: a source that
// cannot list leaves the playground's key picker empty.
type lister interface {
	List(ctx context.Context, prefix string, limit int) ([]string, error)
}

// playground mounts /_playground and its API on r. Every path under it
// exists whether or not the playground is enabled (404 when it is not), so
// that no image path ever starts with it.
func (s *Server) playground(r chi.Router) {
	static, _ := fs.Sub(playgroundFiles, "playground")
	files := http.FileServerFS(static)
	r.Route("/_playground", func(r chi.Router) {
		r.Use(s.playgroundGuard)
		r.Get("/", func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path == "/_playground" {
				http.Redirect(w, req, "/_playground/", http.StatusMovedPermanently)
				return
			}
			files.ServeHTTP(w, withPath(req, "/"))
		})
		r.Get("/api/info", s.playgroundInfo)
		r.Get("/api/keys", s.playgroundKeys)
		r.Get("/api/srcset", s.playgroundSrcset)
		r.Post("/api/sign", s.playgroundSign)
		r.Get("/*", func(w http.ResponseWriter, req *http.Request) {
			// Checked here, for an error answered (and not cached) like
			// the others: the file server's own drops Cache-Control.
			name := chi.URLParam(req, "*")
			if st, err := fs.Stat(static, name); err != nil || st.IsDir() {
				s.playgroundFail(w, req, fault.New(fault.NotFound, "playground: no such file"))
				return
			}
			files.ServeHTTP(w, withPath(req, "/"+name))
		})
	})
}

func withPath(r *http.Request, path string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = path, ""
	return r2
}

// playgroundGuard answers 404 while the playground is off, and 403 to a
// client that is not on this machine unless AllowRemote. It also refuses a
// Host that is not a loopback name (a DNS-rebinding page would otherwise
// reach the oracle through the user's own browser) and requests a browser
// marks as cross-site. Every answer is private and never cached.
func (s *Server) playgroundGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.Playground.Enabled {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; "+
			"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		if why := s.playgroundRefusal(r); why != "" {
			s.playgroundFail(w, r, fault.New(fault.Forbidden, "playground: %s", why))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// playgroundFail answers err as every error is answered (its kind's
// status and message) but never cached: what the playground answers depends
// on who asks (see headerError).
func (s *Server) playgroundFail(w http.ResponseWriter, r *http.Request, err error) {
	s.fail(w, r, headerError{err})
}

// playgroundRefusal says why r may not use the playground, or "".
func (s *Server) playgroundRefusal(r *http.Request) string {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return "cross-site requests are refused"
	}
	if s.cfg.Playground.AllowRemote {
		return ""
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !loopbackHost(host) {
		return "loopback clients only (playground.allow_remote)"
	}
	if !loopbackHost(hostOnly(r.Host)) {
		return "Host must be localhost or a loopback address (playground.allow_remote)"
	}
	return ""
}

// hostOnly is a Host header without its port or IPv6 brackets.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// loopbackHost reports whether host is a loopback IP or localhost.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// playgroundPreset is one preset as the page shows it.
type playgroundPreset struct {
	Name      string `json:"name"`
	Transform string `json:"transform"`
	Widths    []int  `json:"widths,omitempty"`
	Public    bool   `json:"public,omitempty"`
}

// playgroundInfo is GET /_playground/api/info: the presets, sorted by name,
// and whether the source can list its keys.
func (s *Server) playgroundInfo(w http.ResponseWriter, _ *http.Request) {
	var out struct {
		Presets  []playgroundPreset `json:"presets"`
		Listable bool               `json:"listable"`
	}
	for name, p := range s.parser.Presets() {
		out.Presets = append(out.Presets, playgroundPreset{name, p.Transform, p.Widths, p.Public})
	}
	slices.SortFunc(out.Presets, func(a, b playgroundPreset) int { return strings.Compare(a.Name, b.Name) })
	_, out.Listable = s.source.(lister)
	writeJSON(w, out)
}

// playgroundKeys is GET /_playground/api/keys?prefix=&limit=: up to limit
// keys (at most playgroundMaxList) under prefix, and whether there were more.
func (s *Server) playgroundKeys(w http.ResponseWriter, r *http.Request) {
	l, ok := s.source.(lister)
	if !ok {
		writeJSON(w, map[string]any{"listable": false, "keys": []string{}})
		return
	}
	q := r.URL.Query()
	limit := playgroundMaxList
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.playgroundFail(w, r, fault.New(fault.BadRequest, "limit must be a positive integer"))
			return
		}
		limit = min(n, playgroundMaxList)
	}
	ctx, cancel := context.WithTimeout(r.Context(), playgroundListWait)
	defer cancel()
	keys, err := l.List(ctx, q.Get("prefix"), limit+1) // one more says whether there are more
	if err != nil {
		s.playgroundFail(w, r, err)
		return
	}
	more := len(keys) > limit
	if more {
		keys = keys[:limit]
	}
	setLogField(w, slog.Int("listed", len(keys)))
	writeJSON(w, map[string]any{"listable": true, "keys": append([]string{}, keys...), "truncated": more})
}

// playgroundSign is POST /_playground/api/sign with {"paths": ["/{transform}/{escaped key}", ...]}:
// each path signed with the server's first key, as `pixmill sign` does. A
// path the parser would refuse is answered 400 with the parser's message.
func (s *Server) playgroundSign(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		// A JSON body makes a cross-origin call a preflighted one, which
		// this server never approves.
		s.playgroundFail(w, r, fault.New(fault.BadRequest, `body must be JSON like {"paths": ["/w=400/photo.jpg"]}`))
		return
	}
	var body struct {
		Paths []string `json:"paths"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, playgroundMaxBody)).Decode(&body); err != nil {
		s.playgroundFail(w, r, fault.New(fault.BadRequest, `body must be JSON like {"paths": ["/w=400/photo.jpg"]}`))
		return
	}
	if len(body.Paths) == 0 || len(body.Paths) > playgroundMaxSign {
		s.playgroundFail(w, r, fault.New(fault.BadRequest, "paths: between 1 and %d", playgroundMaxSign))
		return
	}
	urls := make([]string, len(body.Paths))
	for i, p := range body.Paths {
		signed, err := s.parser.Sign(p)
		if err != nil {
			if fault.KindOf(err) == fault.Internal {
				err = fault.Wrap(fault.Internal, err, "cannot sign: no signing key")
			}
			s.playgroundFail(w, r, err)
			return
		}
		urls[i] = signed
	}
	setLogField(w, slog.Int("signed", len(urls)))
	writeJSON(w, map[string]any{"urls": urls})
}

// playgroundSrcset is GET /_playground/api/srcset?preset=&key=: the srcset
// attribute of the preset's ladder for key (as `pixmill srcset` prints it),
// and each of its entries.
func (s *Server) playgroundSrcset(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	set, err := s.parser.Srcset(q.Get("preset"), q.Get("key"))
	if err != nil {
		if fault.KindOf(err) == fault.Internal {
			err = fault.Wrap(fault.Internal, err, "cannot sign: no signing key")
		}
		s.playgroundFail(w, r, err)
		return
	}
	type entry struct {
		URL   string `json:"url"`
		Width int    `json:"width"`
	}
	var entries []entry
	for _, e := range strings.Split(set, ", ") {
		u, wd, _ := strings.Cut(e, " ")
		n, _ := strconv.Atoi(strings.TrimSuffix(wd, "w"))
		entries = append(entries, entry{u, n})
	}
	writeJSON(w, map[string]any{"srcset": set, "entries": entries})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// The source.Store is the lister the playground knows of.
var _ lister = (*source.Store)(nil)
