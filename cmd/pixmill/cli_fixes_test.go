package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/internal/app"
	"github.com/pixmill/pixmill/internal/config"
	"github.com/pixmill/pixmill/presets"
)

// TestCLIFixes: what a new user ran into (issue 12, item 10).
func TestCLIFixes(t *testing.T) {
	cfg := writeConfig(t, `
signing: { keys: ["`+key+`"] }
presets:
  thumb: { transform: "w=200,h=200,fit=cover", widths: [100, 200], public: true }
  hero:  { transform: "w=1600,h=900,fit=cover", widths: [320, 640] }
`)
	noKeys := writeConfig(t, `
presets:
  thumb: { transform: "w=200,h=200,fit=cover", widths: [100, 200], public: true }
  hero:  { transform: "w=1600,h=900,fit=cover", widths: [320, 640] }
`)
	const escaped = "/w=400/photos/name%20with%20spaces%20&%20%C3%BCn%C3%AFcode.jpg"
	signedEscaped := "/" + presets.Signature([]byte(key), escaped, 16) + escaped + "\n"
	cat := "/w=400,f=webp/photos/cat.jpg"
	signedCat := "/" + presets.Signature([]byte(key), cat, 16) + cat + "\n"
	tests := []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		// sign prints the escaped path the server verifies, from either form.
		{"sign, unescaped key", []string{"sign", "--config", cfg, "/w=400/photos/name with spaces & ünïcode.jpg"}, signedEscaped, ""},
		{"sign, escaped key", []string{"sign", "--config", cfg, escaped}, signedEscaped, ""},
		{"sign, a literal percent", []string{"sign", "--config", cfg, "/w=400/100% done.jpg"},
			"/" + presets.Signature([]byte(key), "/w=400/100%25%20done.jpg", 16) + "/w=400/100%25%20done.jpg\n", ""},
		// Flags after the positional argument.
		{"sign, flag after the path", []string{"sign", cat, "--config", cfg}, signedCat, ""},
		{"sign, -- ends the flags", []string{"sign", "--config", cfg, "--", cat}, signedCat, ""},
		{"srcset, flags after the key", []string{"srcset", "a b.jpg", "--preset", "thumb", "--config", cfg},
			"/_/thumb,w=100/a%20b.jpg 100w, /_/thumb,w=200/a%20b.jpg 200w\n", ""},
		// srcset refuses to sign with a throwaway key, as sign does.
		{"srcset, no keys, non-public preset", []string{"srcset", "--config", noKeys, "--preset", "hero", "a.jpg"}, "", `preset "hero" is not public and no signing.keys are configured`},
		{"srcset, no keys, public preset", []string{"srcset", "--config", noKeys, "--preset", "thumb", "a.jpg"},
			"/_/thumb,w=100/a.jpg 100w, /_/thumb,w=200/a.jpg 200w\n", ""},
		{"sign, no keys", []string{"sign", "--config", noKeys, cat}, "", "no signing.keys configured"},
		{"serve takes no arguments", []string{"serve", "--config", cfg, "extra"}, "", "serve takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PIXMILL_SIGNING_KEYS", "")
			os.Unsetenv("PIXMILL_SIGNING_KEYS")
			var out bytes.Buffer
			err := run(tt.args, &out, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v (output %q), want one containing %q", err, out.String(), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("output\n%q\nwant\n%q", out.String(), tt.want)
			}
		})
	}

	// What sign prints, the server verifies.
	p, err := presets.New(presets.Config{Keys: [][]byte{[]byte(key)}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := p.Parse(strings.TrimSpace(signedEscaped))
	if err != nil || req.Key != "photos/name with spaces & ünïcode.jpg" {
		t.Errorf("the printed path parses to key %q, %v", req.Key, err)
	}
}

// TestExamplesOnlyForKeysThatExist: the start-up banner shows examples
// for the samples the source holds, and none for a source without them.
func TestExamplesOnlyForKeysThatExist(t *testing.T) {
	samples, err := filepath.Abs(filepath.Join("..", "..", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	partial := t.TempDir()
	b, err := os.ReadFile(filepath.Join(samples, "grace_hopper.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(partial, "grace_hopper.jpg"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	presetsYAML := `
signing: { keys: ["` + key + `"] }
presets:
  thumb: { transform: "w=200,h=200,fit=cover", widths: [100, 200], public: true }
`
	for _, tt := range []struct {
		name, dir string
		want      []string
		not       []string
	}{
		{"samples", samples, []string{"example URLs:", "/group.jpg", "/landscape_exif6.jpg", "/_/thumb/grace_hopper.jpg", "/_/thumb,w=100/grace_hopper.jpg"}, nil},
		{"one sample", partial, []string{"example URLs:", "/_/thumb/grace_hopper.jpg"}, []string{"group.jpg", "landscape_exif6.jpg"}},
		{"none", t.TempDir(), nil, []string{"example URLs:", ".jpg"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, "source: { url: \"file://"+tt.dir+"\" }\n"+presetsYAML)
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			var out bytes.Buffer
			printExamples(context.Background(), &out, a, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080})
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("banner lacks %q:\n%s", w, out.String())
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out.String(), n) {
					t.Errorf("banner has %q:\n%s", n, out.String())
				}
			}
		})
	}
}
