package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/server"
	"github.com/pixmill/pixmill/source"
)

// playgroundConfig serves the bundled samples with the playground as asked.
func playgroundConfig(t testing.TB, extra string) string {
	return `
listen: "127.0.0.1:0"
source: { url: "file://` + samplesDir(t) + `" }
signing: { keys: ["` + testKey + `"] }
presets:
  thumb: { transform: "w=200,h=200,fit=cover,f=auto", widths: [100, 200], public: true }
  hero:  { transform: "w=640,h=360,fit=cover,f=auto", widths: [160, 320] }
log: { level: error }
` + extra
}

// post sends a POST with a body of contentType to the server.
func (s *testServer) post(t testing.TB, path, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(s.URL+path, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp, b.Bytes()
}

// Off by default: every playground path is 404 (and never an image path).
func TestPlaygroundOffByDefault(t *testing.T) {
	s := startServer(t, playgroundConfig(t, ""))
	for _, path := range []string{"/_playground", "/_playground/", "/_playground/app.js", "/_playground/api/info",
		"/_playground/api/keys", "/_playground/api/srcset?preset=thumb&key=group.jpg"} {
		if resp, _ := s.get(t, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
	if resp, _ := s.post(t, "/_playground/api/sign", "application/json", `{"paths":["/w=100/group.jpg"]}`); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST sign = %d, want 404", resp.StatusCode)
	}
}

// The page and its files are served when enabled, privately.
func TestPlaygroundPage(t *testing.T) {
	s := startServer(t, playgroundConfig(t, "playground: { enabled: true }"))
	tests := []struct {
		path, status, contentType, contains string
	}{
		{"/_playground/", "200", "text/html", "pixmill playground"},
		{"/_playground/app.js", "200", "text/javascript", "/_playground/api/"},
		{"/_playground/style.css", "200", "text/css", "face"},
		{"/_playground/nothing.js", "404", "text/plain", ""},
	}
	for _, tt := range tests {
		resp, body := s.get(t, tt.path)
		if got := itoa(resp.StatusCode); got != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.contentType) ||
			!strings.Contains(string(body), tt.contains) {
			t.Errorf("GET %s = %s %q, want %s %s containing %q", tt.path, got, resp.Header.Get("Content-Type"), tt.status, tt.contentType, tt.contains)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", tt.path, cc)
		}
	}
	resp, _ := s.get(t, "/_playground/")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r2, err := noRedirect.Get(s.URL + "/_playground")
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusMovedPermanently || r2.Header.Get("Location") != "/_playground/" {
		t.Errorf("GET /_playground = %d to %q, want 301 to /_playground/", r2.StatusCode, r2.Header.Get("Location"))
	}
}

// The signing endpoint signs with the server's key; every URL it returns is
// served 200 as what it asked for. Paths the parser refuses are 400.
func TestPlaygroundSignedURLsServe(t *testing.T) {
	s := startServer(t, playgroundConfig(t, "playground: { enabled: true }"))
	paths := []string{
		"/w=120,f=webp/grace_hopper.jpg",
		"/w=100,h=100,fit=cover,g=face,f=jpeg/group.jpg",
		"/w=80,f=avif/rose.png",
		"/w=100,h=100,fit=cover,f=json/landscape_exif6.jpg",
		"/thumb,w=100/group.jpg",
	}
	want := []string{"image/webp", "image/jpeg", "image/avif", "application/json", "image/"}
	body, _ := json.Marshal(map[string]any{"paths": paths})
	resp, b := s.post(t, "/_playground/api/sign", "application/json", string(body))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign = %d %s", resp.StatusCode, b)
	}
	var out struct{ URLs []string }
	if err := json.Unmarshal(b, &out); err != nil || len(out.URLs) != len(paths) {
		t.Fatalf("sign answered %s (%v)", b, err)
	}
	for i, u := range out.URLs {
		if u != s.sign(t, paths[i]) {
			t.Errorf("signed %s as %s, want %s", paths[i], u, s.sign(t, paths[i]))
		}
		r, body := s.get(t, u)
		if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), want[i]) {
			t.Errorf("GET %s = %d %s (%s), want 200 %s", u, r.StatusCode, r.Header.Get("Content-Type"), body, want[i])
		}
	}

	bad := []struct {
		name, contentType, body, inError string
	}{
		{"unknown option", "application/json", `{"paths":["/zoomies=3/group.jpg"]}`, "zoomies"},
		{"not a path", "application/json", `{"paths":["group.jpg"]}`, "/{transform}/{source-key}"},
		{"bad key", "application/json", `{"paths":["/w=100/../etc/passwd"]}`, ""},
		{"no paths", "application/json", `{"paths":[]}`, "between 1 and"},
		{"too many", "application/json", `{"paths":[` + strings.Repeat(`"/w=1/a.jpg",`, 40) + `"/w=1/a.jpg"]}`, "between 1 and"},
		{"not JSON", "application/json", `paths=/w=100/group.jpg`, "body must be JSON"},
		{"a form post", "application/x-www-form-urlencoded", `{"paths":["/w=100/group.jpg"]}`, "body must be JSON"},
	}
	for _, tt := range bad {
		resp, b := s.post(t, "/_playground/api/sign", tt.contentType, tt.body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tt.inError) {
			t.Errorf("%s: %d %q, want 400 naming %q", tt.name, resp.StatusCode, b, tt.inError)
		}
	}
}

// The srcset of a preset: the ladder as `pixmill srcset` prints it, each
// entry served 200.
func TestPlaygroundSrcset(t *testing.T) {
	s := startServer(t, playgroundConfig(t, "playground: { enabled: true }"))
	tests := []struct {
		preset, key string
		widths      []int
		signed      bool
	}{
		{"hero", "group.jpg", []int{160, 320}, true},
		{"thumb", "grace_hopper.jpg", []int{100, 200}, false},
	}
	for _, tt := range tests {
		resp, b := s.get(t, "/_playground/api/srcset?preset="+tt.preset+"&key="+tt.key)
		var out struct {
			Srcset  string
			Entries []struct {
				URL   string
				Width int
			}
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil {
			t.Fatalf("srcset %s: %d %s", tt.preset, resp.StatusCode, b)
		}
		if want, _ := s.App.Parser.Srcset(tt.preset, tt.key); out.Srcset != want {
			t.Errorf("srcset %s = %q, want %q", tt.preset, out.Srcset, want)
		}
		var widths []int
		for _, e := range out.Entries {
			widths = append(widths, e.Width)
			if strings.HasPrefix(e.URL, "/_/") == tt.signed {
				t.Errorf("%s: %s signed = %v, want %v", tt.preset, e.URL, !tt.signed, tt.signed)
			}
			if r, body := s.get(t, e.URL); r.StatusCode != http.StatusOK {
				t.Errorf("GET %s = %d %s", e.URL, r.StatusCode, body)
			}
		}
		if !slices.Equal(widths, tt.widths) {
			t.Errorf("%s widths = %v, want %v", tt.preset, widths, tt.widths)
		}
	}
	for _, q := range []string{"preset=nope&key=group.jpg", "preset=hero&key=../x.jpg"} {
		if resp, _ := s.get(t, "/_playground/api/srcset?"+q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("srcset?%s = %d, want 400", q, resp.StatusCode)
		}
	}
}

// The key picker lists the source, bounded, by prefix.
func TestPlaygroundKeys(t *testing.T) {
	s := startServer(t, playgroundConfig(t, "playground: { enabled: true }"))
	all := []string{"LICENSES.md", "banana.gif", "grace_hopper.jpg", "group.jpg", "landscape_exif6.jpg", "rose.png"}
	tests := []struct {
		query     string
		want      []string
		truncated bool
	}{
		{"", all, false},
		{"?prefix=gr", all[2:4], false},
		{"?limit=2", all[:2], true},
		{"?prefix=nothing/", []string{}, false},
	}
	for _, tt := range tests {
		resp, b := s.get(t, "/_playground/api/keys"+tt.query)
		var out struct {
			Listable  bool
			Keys      []string
			Truncated bool
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil {
			t.Fatalf("keys%s: %d %s", tt.query, resp.StatusCode, b)
		}
		if !out.Listable || !slices.Equal(out.Keys, tt.want) || out.Truncated != tt.truncated {
			t.Errorf("keys%s = %s, want %q truncated %v", tt.query, b, tt.want, tt.truncated)
		}
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?prefix=../"} {
		if resp, _ := s.get(t, "/_playground/api/keys"+q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("keys%s = %d, want 400", q, resp.StatusCode)
		}
	}
	resp, b := s.get(t, "/_playground/api/info")
	var info struct {
		Listable bool
		Presets  []struct{ Name string }
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &info) != nil || !info.Listable ||
		len(info.Presets) != 2 || info.Presets[0].Name != "hero" {
		t.Errorf("info = %d %s", resp.StatusCode, b)
	}
}

// unlistedSource is a Source without the List capability.
type unlistedSource struct{ server.Source }

// Who may use it: loopback clients naming a loopback Host, unless
// allow_remote; never a request the browser marks cross-site.
func TestPlaygroundWhoMayUseIt(t *testing.T) {
	tests := []struct {
		name        string
		allowRemote bool
		remote      string
		host        string
		fetchSite   string
		want        int
	}{
		{"loopback v4", false, "127.0.0.1:50000", "127.0.0.1:8080", "", 200},
		{"loopback v6", false, "[::1]:50000", "[::1]:8080", "", 200},
		{"localhost", false, "127.0.0.1:50000", "localhost:8080", "same-origin", 200},
		{"remote client", false, "203.0.113.9:50000", "127.0.0.1:8080", "", 403},
		{"remote client, private network", false, "10.1.2.3:50000", "10.1.2.4:8080", "", 403},
		{"loopback, foreign Host (DNS rebinding)", false, "127.0.0.1:50000", "evil.example:8080", "", 403},
		{"cross-site", false, "127.0.0.1:50000", "127.0.0.1:8080", "cross-site", 403},
		{"remote allowed", true, "203.0.113.9:50000", "images.example", "", 200},
		{"remote allowed, still not cross-site", true, "203.0.113.9:50000", "images.example", "cross-site", 403},
	}
	for _, tt := range tests {
		h := playgroundHandler(t, server.PlaygroundConfig{Enabled: true, AllowRemote: tt.allowRemote}, false)
		for _, path := range []string{"/_playground/", "/_playground/api/info"} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.RemoteAddr, req.Host = tt.remote, tt.host
			if tt.fetchSite != "" {
				req.Header.Set("Sec-Fetch-Site", tt.fetchSite)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("%s: GET %s = %d %s, want %d", tt.name, path, rec.Code, rec.Body, tt.want)
			}
		}
	}
	// The signing endpoint is refused the same way.
	h := playgroundHandler(t, server.PlaygroundConfig{Enabled: true}, false)
	req := httptest.NewRequest(http.MethodPost, "/_playground/api/sign", strings.NewReader(`{"paths":["/w=100/photo.jpg"]}`))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "203.0.113.9:50000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "/w=100") {
		t.Errorf("remote sign = %d %s, want 403", rec.Code, rec.Body)
	}
}

// A source that cannot list says so; the page still works from a typed key.
func TestPlaygroundUnlistedSource(t *testing.T) {
	h := playgroundHandler(t, server.PlaygroundConfig{Enabled: true}, true)
	for _, path := range []string{"/_playground/api/info", "/_playground/api/keys"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr, req.Host = "127.0.0.1:50000", "127.0.0.1"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out struct{ Listable *bool }
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil || out.Listable == nil || *out.Listable {
			t.Errorf("GET %s = %d %s, want listable false", path, rec.Code, rec.Body)
		}
	}
}

// playgroundHandler is a server over the samples with the scripted
// renderer; unlisted hides the source's List.
func playgroundHandler(t *testing.T, pc server.PlaygroundConfig, unlisted bool) http.Handler {
	t.Helper()
	src, err := source.Open(context.Background(), source.Config{URL: "file://" + samplesDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	var s server.Source = src
	if unlisted {
		s = unlistedSource{src}
	}
	parser, err := presets.New(presets.Config{Keys: [][]byte{[]byte(testKey)}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.Playground = pc
	return server.New(cfg, parser, s, &scriptedRenderer{render: jpegResult("x")}, server.NewMetrics(), slog.New(slog.DiscardHandler)).Handler()
}
