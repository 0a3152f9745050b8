package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/server"
	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/vision"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadOverridesDefaults(t *testing.T) {
	p := writeConfig(t, `
listen: "127.0.0.1:9000"
source: { url: "mem://" }
signing: { keys: ["0123456789abcdef0123"], size: 12 }
limits: { max_source_bytes: 1000, queue_timeout: 2s }
presets:
  card: { transform: "w=300,h=200,fit=cover", widths: [150, 300] }
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", c.Listen, "127.0.0.1:9000"},
		{"metrics_listen default: loopback only", c.MetricsListen, "127.0.0.1:9090"},
		{"limits.max_connections default", c.Limits.MaxConnections, 1024},
		{"shutdown_grace default", c.ShutdownGrace.D(), 25 * time.Second},
		{"signing.size", c.Signing.Size, 12},
		{"limits.max_source_bytes", c.Limits.MaxSourceBytes, int64(1000)},
		{"limits.queue_timeout", c.Limits.QueueTimeout.D(), 2 * time.Second},
		{"limits.max_source_pixels default", c.Limits.MaxSourcePixels, int64(50_000_000)},
		{"presets replaced", len(c.Presets), 1},
		{"preset widths", c.Presets["card"].Widths[1], 300},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	env := map[string]string{
		"PIXMILL_SIGNING_KEYS":             "aaaaaaaaaaaaaaaa1, bbbbbbbbbbbbbbbb2",
		"PIXMILL_LIMITS_MAX_SOURCE_BYTES":  "2048",
		"PIXMILL_SIGNING_ALLOW_UNSIGNED":   "true",
		"PIXMILL_SOURCE_TIMEOUT":           "3s",
		"PIXMILL_LIMITS_MAX_DPR":           "2.5",
		"PIXMILL_HEADERS_CACHE_TAG_HEADER": "X-Tag",
	}
	c := Default()
	if err := applyEnv(&c, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if len(c.Signing.Keys) != 2 || c.Signing.Keys[1] != "bbbbbbbbbbbbbbbb2" {
		t.Errorf("signing.keys = %q", c.Signing.Keys)
	}
	if c.Limits.MaxSourceBytes != 2048 || !c.Signing.AllowUnsigned || c.Source.Timeout.D() != 3*time.Second ||
		c.Limits.MaxDPR != 2.5 || c.Headers.CacheTagHeader != "X-Tag" {
		t.Errorf("overrides not applied: %+v", c)
	}
}

func TestBadConfigNamesTheKey(t *testing.T) {
	tests := []struct {
		name, body, env, wantInErr string
	}{
		{"unknown key", "limitz: {}", "", "limitz"},
		{"bad duration", "limits: { queue_timeout: soon }", "", "duration"},
		{"short key", `signing: { keys: ["short"] }`, "", "signing.keys[0]"},
		{"negative queue", "limits: { queue: -1 }", "", "limits.queue"},
		{"negative max_connections", "limits: { max_connections: -1 }", "", "limits.max_connections"},
		{"bad log level", "log: { level: loud }", "", "log.level"},
		{"zero shutdown_grace", "shutdown_grace: 0s", "", "shutdown_grace"},
		{"bad env int", "", "PIXMILL_LIMITS_MAX_FRAMES=many", "PIXMILL_LIMITS_MAX_FRAMES"},
		// issue 9, class 10: values that were accepted, then misbehaved
		{"negative max_age", "headers: { max_age: -1h }", "", "headers.max_age must not be negative"},
		{"zero store timeout", "cache: { store: { url: \"mem://\", timeout: 0s } }", "", "cache.store.timeout must be positive"},
		{"zero store queue", "", "PIXMILL_CACHE_STORE_QUEUE=0", "cache.store.queue must be at least 1"},
		{"negative s_maxage", "headers: { s_maxage: -1s }", "", "headers.s_maxage must not be negative"},
		{"negative stale_while_revalidate", "headers: { stale_while_revalidate: -5m }", "", "headers.stale_while_revalidate"},
		{"negative stale_if_error", "headers: { stale_if_error: -1s }", "", "headers.stale_if_error"},
		{"negative breaker_cooldown", "vision: { breaker_cooldown: -1s }", "", "vision.breaker_cooldown"},
		{"negative duration from env", "", "PIXMILL_HEADERS_MAX_AGE=-1h", "headers.max_age"},
		{"header name with CRLF", "headers: { surrogate_key_header: \"X-Key\\r\\nSet-Cookie: a=b\" }", "", "headers.surrogate_key_header"},
		{"header name with a space", "headers: { cache_tag_header: \"Cache Tag\" }", "", "headers.cache_tag_header"},
		{"header name with a colon", "headers: { cache_tag_header: \"Cache-Tag:\" }", "", "headers.cache_tag_header"},
		{"header name with a tab", "", "PIXMILL_HEADERS_CACHE_TAG_HEADER=Cache\tTag", "headers.cache_tag_header"},
		{"vision.url ftp", "vision: { url: \"ftp://x\" }", "", "vision.url"},
		{"vision.url without a scheme", "vision: { url: \"127.0.0.1:8091\" }", "", "vision.url"},
		{"vision.url without a host", "vision: { url: \"http://\" }", "", "vision.url"},
		{"vision.url unix without a path", "vision: { url: \"unix:\" }", "", "vision.url"},
		// checked by the package that owns the value, at load (issue 10)
		{"zero max_frames", "limits: { max_frames: 0 }", "", "limits.max_frames"},
		{"zero max_source_pixels", "limits: { max_source_pixels: 0 }", "", "limits.max_source_pixels"},
		{"max_output_dimension too big", "limits: { max_output_dimension: 70000 }", "", "limits.max_output_dimension"},
		{"webp effort", "formats: { webp: { effort: 9 } }", "", "formats.webp.effort"},
		{"quality -1", "formats: { jpeg: { quality: -1 } }", "", "formats.jpeg.quality"},
		{"scale quality 0", "formats: { quality: 0 }", "", "formats.quality"},
		{"unknown input format", "formats: { inputs: [jpeg, bmpx] }", "", "formats.inputs"},
		{"max_dpr under 1", "limits: { max_dpr: 0.5 }", "", "limits.max_dpr"},
		{"signing size", "signing: { size: 40 }", "", "signing.size"},
		// issue 11: sources
		{"source.url scheme", `source: { url: "ftp://x/" }`, "", `source.url: scheme "ftp" is not supported; supported schemes: file, mem, s3, gs, azblob (gocloud.dev/blob), http, https`},
		{"sources url scheme", `sources: { media: { url: "ftp://x/" } }`, "", `sources.media.url: scheme "ftp"`},
		{"two defaults", `{ source: { url: "mem://" }, sources: { default: { url: "mem://" } } }`, "", "source.url and sources.default both"},
		{"source without url", `sources: { media: { timeout: 1s } }`, "", "sources.media.url must be set"},
		{"bad source name", `sources: { Media: { url: "mem://" } }`, "", "sources.Media: source name"},
		{"bad mode", `sources: { media: { url: "mem://", mode: all } }`, "", "sources.media.mode"},
		{"negative source timeout", `sources: { media: { url: "mem://", timeout: -1s } }`, "", "sources.media.timeout must not be negative"},
		{"negative max_bytes", `sources: { media: { url: "mem://", max_bytes: -1 } }`, "", "sources.media.max_bytes"},
		{"bad allow_networks", `sources: { web: { url: "https://x/", allow_networks: [10.0.0.0/40] } }`, "", "sources.web.allow_networks[0]"},
		{"bad header name", `sources: { web: { url: "https://x/", headers: { "X Key": a } } }`, "", "sources.web.headers.X Key"},
		{"unset header env", `sources: { web: { url: "https://x/", headers: { Authorization: "Bearer ${PIXMILL_TEST_UNSET_TOKEN}" } } }`, "", "sources.web.headers.Authorization: environment variable PIXMILL_TEST_UNSET_TOKEN is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				k, v, _ := strings.Cut(tt.env, "=")
				t.Setenv(k, v)
			}
			_, err := Load(writeConfig(t, tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("err = %v, want one naming %q", err, tt.wantInErr)
			}
		})
	}
}

// TestGoodValuesStillLoad: the new checks refuse only what they should.
func TestGoodValuesStillLoad(t *testing.T) {
	for _, body := range []string{
		"headers: { max_age: 0s, s_maxage: 0s, surrogate_key_header: \"\", cache_tag_header: \"Edge-Cache-Tag\" }",
		"headers: { surrogate_key_header: \"X-Surrogate_Key.v2\" }",
		"vision: { url: \"http://127.0.0.1:8091\" }",
		"vision: { url: \"https://vision.internal\" }",
		"vision: { url: \"unix:/run/pixmill-vision.sock\" }",
		"metrics_listen: \":9090\"",
	} {
		if _, err := Load(writeConfig(t, body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// TestSources: named sources with their defaults from source.timeout and
// limits.max_source_bytes, header values from the environment, and a file
// with only sources serving no samples folder as default.
func TestSources(t *testing.T) {
	t.Setenv("PIXMILL_TEST_ORIGIN_TOKEN", "s3cret")
	c, err := Load(writeConfig(t, `
source: { timeout: 3s }
limits: { max_source_bytes: 1000 }
sources:
  media: { url: "file://samples" }
  web:   { url: "https://media.example.com/originals/", timeout: 2s, max_bytes: 500, allow_hosts: ["*.example.com"],
           allow_networks: ["10.1.2.3", "192.168.0.0/16"], headers: { Authorization: "Bearer ${PIXMILL_TEST_ORIGIN_TOKEN}" } }
  url:   { mode: any, allow_hosts: [images.example.com] }
`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.SourcesConfig(os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[source.Default]; ok || len(got) != 3 {
		t.Errorf("sources %v: want media, web and url and no default", got)
	}
	wd, _ := os.Getwd()
	checks := []struct {
		name      string
		got, want any
	}{
		{"media url made absolute", got["media"].URL, "file://" + filepath.Join(wd, "samples")},
		{"media timeout from source.timeout", got["media"].Timeout, 3 * time.Second},
		{"media max_bytes from limits", got["media"].MaxBytes, int64(1000)},
		{"web timeout", got["web"].Timeout, 2 * time.Second},
		{"web max_bytes", got["web"].MaxBytes, int64(500)},
		{"web header from env", got["web"].Headers["Authorization"], "Bearer s3cret"},
		{"web allow_networks", len(got["web"].AllowNetworks), 2},
		{"web allow_networks host", got["web"].AllowNetworks[0].String(), "10.1.2.3/32"},
		{"web is http", got["web"].IsHTTP(), true},
		{"url any", got["url"].Any, true},
		{"config key", got["web"].ConfigKey, "sources.web"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}

	// A lone source.url, http(s) included, is the default source.
	c, err = Load(writeConfig(t, `source: { url: "https://media.example.com/" }`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.SourcesConfig(os.LookupEnv); err != nil || got[source.Default].URL != "https://media.example.com/" || got[source.Default].ConfigKey != "source.url" {
		t.Errorf("https source.url: %+v, %v", got, err)
	}
}

func TestRelativeFileURLIsResolved(t *testing.T) {
	c, err := Load(writeConfig(t, `source: { url: "file://samples" }`))
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if want := "file://" + filepath.Join(wd, "samples"); c.Source.URL != want {
		t.Errorf("source.url = %q, want %q", c.Source.URL, want)
	}
}

func TestGeneratedSigningKey(t *testing.T) {
	c := Default()
	keys, generated := c.SigningKeys()
	if !generated || len(keys) != 1 || len(keys[0]) < 16 {
		t.Fatalf("keys = %q, generated = %v", keys, generated)
	}
	c2 := Default()
	k2, _ := c2.SigningKeys()
	if string(k2[0]) == string(keys[0]) {
		t.Error("two generated keys are equal")
	}
}

// TestDefaultsComeFromThePackages: the built-in file hands every package
// exactly its own DefaultConfig (nothing written twice can drift).
func TestDefaultsComeFromThePackages(t *testing.T) {
	c := Default()
	c.resolve()
	srv := c.ServerConfig()
	if want := server.DefaultConfig(); !reflect.DeepEqual(srv, want) {
		t.Errorf("server:\n got %+v\nwant %+v", srv, want)
	}
	if got, want := c.TransformConfig(), transform.DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("transform:\n got %+v\nwant %+v", got, want)
	}
	if got, want := c.LocatorConfig(), vision.DefaultLocatorConfig(); got != want {
		t.Errorf("vision:\n got %+v\nwant %+v", got, want)
	}
	src, wantSrc := c.SourceConfig(), source.DefaultConfig()
	if src.MaxBytes != wantSrc.MaxBytes || src.Timeout != wantSrc.Timeout {
		t.Errorf("source:\n got %+v\nwant %+v", src, wantSrc)
	}
	p, wantP := c.ParserConfig(nil), presets.DefaultConfig()
	if p.SignatureSize != wantP.SignatureSize || p.MaxDimension != wantP.MaxDimension || p.MaxDPR != wantP.MaxDPR {
		t.Errorf("presets:\n got %+v\nwant %+v", p, wantP)
	}
}
