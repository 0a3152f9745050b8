// Command pixmill is the image server and its tools (flags may stand
// before or after the arguments):
//
//	pixmill serve   [--config FILE]                     run the server
//	pixmill sign    [--config FILE] "/{transform}/{key}" print the signed path
//	pixmill srcset  [--config FILE] --preset NAME KEY    print a srcset attribute value
//	pixmill version                                      print versions
//
// With no --config, ./config.yaml is read when present, else built-in
// defaults serve the bundled sample images. PIXMILL_* variables override
// config keys (PIXMILL_SIGNING_KEYS=k1,k2).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/pixmill/pixmill/internal/app"
	"github.com/pixmill/pixmill/internal/config"
	"github.com/pixmill/pixmill/internal/tracing"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/transform"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pixmill:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  pixmill serve  [--config FILE]
  pixmill sign   [--config FILE] "/{transform}/{key}"
  pixmill srcset [--config FILE] --preset NAME KEY
  pixmill version`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration file (default ./config.yaml if present)")
	preset := fs.String("preset", "", "preset name (srcset)")
	switch cmd {
	case "serve", "sign", "srcset":
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "pixmill %s (libvips %s, pipeline %s, %s)\n", version, vipsVersion(), transform.PipelineVersion, goVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	switch cmd {
	case "sign":
		return sign(cfg, positional, stdout)
	case "srcset":
		return srcset(cfg, *preset, positional, stdout)
	}
	if len(positional) > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", positional)
	}
	return serve(cfg, stderr)
}

// parseInterleaved parses flags wherever they stand among the positional
// arguments (pixmill sign "/w=400/a.jpg" --config c.yaml), which the flag
// package alone stops at; "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func loadConfig(path string) (config.Config, error) {
	if path == "" {
		if _, err := os.Stat("config.yaml"); err == nil {
			path = "config.yaml"
		}
	}
	return config.Load(path)
}

func sign(cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New(`sign takes one path: pixmill sign --config FILE "/{transform}/{key}"`)
	}
	if len(cfg.Signing.Keys) == 0 {
		return errors.New("no signing.keys configured (or PIXMILL_SIGNING_KEYS): nothing to sign with")
	}
	p, _, err := app.NewParser(&cfg)
	if err != nil {
		return err
	}
	signed, err := p.Sign(escapePath(args[0]))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, signed)
	return nil
}

// escapePath gives "/{transform}/{key}" the escaped key the server will
// verify, as srcset does: a key is read percent-decoded where it decodes
// (as the server reads it), and each segment is escaped again, so
// "photos/name with spaces & ünïcode.jpg" and its escaped form sign alike,
// and the printed path is one curl and browsers send as it is.
func escapePath(path string) string {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return path
	}
	transform, key, ok := strings.Cut(rest, "/")
	if !ok {
		return path
	}
	if dec, err := url.PathUnescape(key); err == nil {
		key = dec
	}
	return "/" + transform + "/" + presets.EscapeKey(key)
}

func srcset(cfg config.Config, preset string, args []string, stdout io.Writer) error {
	if preset == "" || len(args) != 1 {
		return errors.New("srcset takes --preset NAME and one source key")
	}
	// NewParser fills in a random key when none is configured: whether
	// one was is what it reports, not what cfg holds after it.
	p, generated, err := app.NewParser(&cfg)
	if err != nil {
		return err
	}
	pr, ok := p.Presets()[preset]
	if ok && !pr.Public && generated {
		return fmt.Errorf("preset %q is not public and no signing.keys are configured (or PIXMILL_SIGNING_KEYS): its URLs cannot be signed", preset)
	}
	v, err := p.Srcset(preset, args[0])
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, v)
	return nil
}

func serve(cfg config.Config, stderr io.Writer) error {
	log := newLogger(cfg.Log.Level, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// Before the app: the server decides at start whether requests make spans.
	stopTracing, err := tracing.Setup(ctx, "pixmill")
	if err != nil {
		return err
	}
	defer tracing.Stop(stopTracing, log) // after the listeners close: the last spans are flushed
	if tracing.On() {
		log.Info("tracing on: spans exported over OTLP HTTP (OTEL_* environment)")
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	public, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var metrics net.Listener
	if cfg.MetricsListen != "" {
		if metrics, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			return fmt.Errorf("metrics_listen: %w", err)
		}
	}
	if len(cfg.Presets) == 0 {
		log.Warn("no presets configured: a config file states all of its presets, so the built-in examples (thumb, hero) are off; unsigned URLs need a public preset")
	}
	if a.GeneratedKey {
		log.Warn("no signing.keys configured: signing with a random key made for this process; set signing.keys (or PIXMILL_SIGNING_KEYS) for URLs that outlive it")
	}
	if pg := cfg.Playground; pg.Enabled {
		// The page signs whatever it is asked to (docs/operations.md).
		log.Warn("playground enabled at /_playground: it signs any URL for the clients it serves",
			"allow_remote", pg.AllowRemote)
	}
	log.Info("pixmill serving", "listen", public.Addr().String(), "metrics", addr(metrics),
		"sources", sourceList(cfg), "libvips", vipsVersion(), "version", version)
	printExamples(ctx, stderr, a, public.Addr())
	err = a.Serve(ctx, public, metrics, cfg.ShutdownGrace.D())
	log.Info("pixmill stopped")
	return err
}

// printExamples shows working URLs for the sample images, one signed and one
// public preset, so that a first run has something to click: only for the
// samples the source holds (a bucket of one's own has none of them), and
// nothing when none is there.
func printExamples(ctx context.Context, w io.Writer, a *app.App, at net.Addr) {
	base := "http://" + hostPort(at)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	has := func(key string) bool {
		_, err := a.Sources.Attributes(ctx, key)
		return err == nil
	}
	var lines []string
	if has("group.jpg") {
		if signed, err := a.Parser.Sign("/w=400,h=300,fit=cover,g=auto,f=auto/group.jpg"); err == nil {
			lines = append(lines, "  signed:         "+base+signed)
		}
	}
	if has("landscape_exif6.jpg") {
		if signed, err := a.Parser.Sign("/w=300,f=json/landscape_exif6.jpg"); err == nil {
			lines = append(lines, "  metadata:       "+base+signed)
		}
	}
	if has("grace_hopper.jpg") {
		names := slices.Sorted(maps.Keys(a.Parser.Presets()))
		for _, name := range names {
			pr := a.Parser.Presets()[name]
			if !pr.Public {
				continue
			}
			lines = append(lines, fmt.Sprintf("  public preset:  %s/_/%s/grace_hopper.jpg", base, name))
			if len(pr.Widths) > 0 {
				lines = append(lines, fmt.Sprintf("  ladder width:   %s/_/%s,w=%d/grace_hopper.jpg", base, name, pr.Widths[0]))
			}
			break
		}
	}
	if a.Config.Playground.Enabled {
		lines = append(lines, "  playground:     "+base+"/_playground/")
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "example URLs:")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

func hostPort(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func addr(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

// sourceList names each source and its URL (redacted), for the start-up line.
func sourceList(cfg config.Config) string {
	var parts []string
	if cfg.Source.URL != "" {
		parts = append(parts, "default="+redactURL(cfg.Source.URL))
	}
	names := make([]string, 0, len(cfg.Sources))
	for name := range cfg.Sources {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		u := redactURL(cfg.Sources[name].URL)
		if cfg.Sources[name].Mode == "any" {
			u = "any-url"
		}
		parts = append(parts, name+"="+u)
	}
	return strings.Join(parts, " ")
}

// redactURL drops query parameters, which may carry credentials.
func redactURL(u string) string {
	base, _, _ := strings.Cut(u, "?")
	return base
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func vipsVersion() string {
	transform.Startup(1)
	return transform.Version()
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "go"
}
