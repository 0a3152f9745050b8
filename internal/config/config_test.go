package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		{"metrics_listen default", c.MetricsListen, ":9090"},
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
