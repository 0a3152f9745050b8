package server

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/internal/keys"
)

// purge is POST /admin/purge: drop every cached variant of one source key
// from every tier (results and attributes) and answer with the purge tag to
// send to the CDN. The key comes as ?key=... or a JSON body {"key": "..."}.
// The query's key is decoded as the image path's key is, so "+" is a plus
// (a space is %20). It needs "Authorization: Bearer <admin token>"; with no token configured
// the endpoint does not exist.
func (s *Server) purge(w http.ResponseWriter, r *http.Request) {
	if s.cfg.AdminToken == "" {
		http.NotFound(w, r)
		return
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pixmill-admin"`)
		s.fail(w, r, fault.New(fault.Forbidden, "admin token missing or wrong"))
		return
	}
	key, err := queryKey(r.URL.RawQuery)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if key == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			Key string `json:"key"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<10)).Decode(&body); err != nil {
			s.fail(w, r, fault.New(fault.BadRequest, "body must be JSON like {\"key\": \"photos/cat.jpg\"}"))
			return
		}
		key = body.Key
	}
	if err := keys.Check(key); err != nil {
		s.fail(w, r, err)
		return
	}
	ref, err := s.source.Resolve(key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := s.results.PurgeSource(key)
	s.attrs.Remove(key)
	stored := 0
	if st := s.results.Store(); st != nil {
		stored, err = st.PurgeSource(r.Context(), key)
		if err != nil {
			// The L1 is purged, the store is not: say so, so that the
			// operator (or the CDN purge script) retries; purging is
			// idempotent.
			s.fail(w, r, fault.Wrap(fault.Overloaded, err, "derivative store did not purge; retry"))
			return
		}
	}
	answer := map[string]any{"key": key, "purged": n, "purged_stored": stored, "source": ref.Source, "tag": purgeTag(ref)}
	if p := s.results.Peers(); p != nil {
		// Every replica's L1 and groupcache entries: this one's here, the
		// others' over the peer port.
		answer["purged_shared"] = p.PurgeLocal(key)
		peers, err := p.PurgeOthers(r.Context(), key)
		answer["purged_peers"] = peers
		if err != nil {
			// A replica that did not purge may still serve the variant:
			// say so, so that the purge is retried (it is idempotent).
			s.fail(w, r, fault.Wrap(fault.Overloaded, err, "not every replica purged; retry"))
			return
		}
	}
	setLogField(w, slog.Int("purged", n))
	setLogField(w, slog.Int("purged_stored", stored))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(answer)
}

// queryKey is the first key= parameter of a raw query, percent-decoded the
// way a source key in an image path is: "+" stays "+". Form decoding
// (URL.Query) reads "a+b.jpg" as "a b.jpg", which purged another key and
// answered with that key's tag.
func queryKey(rawQuery string) (string, error) {
	for rest := rawQuery; rest != ""; {
		var kv string
		kv, rest, _ = strings.Cut(rest, "&")
		if name, val, _ := strings.Cut(kv, "="); name == "key" {
			key, err := url.PathUnescape(val)
			if err != nil {
				return "", fault.New(fault.BadRequest, "key: invalid percent-encoding")
			}
			return key, nil
		}
	}
	return "", nil
}
