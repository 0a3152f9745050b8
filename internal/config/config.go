// Package config is pixmill's configuration file: one typed struct whose
// defaults are each package's DefaultConfig, PIXMILL_* environment
// overrides, and validation at start-up that names the bad key (the file's
// own keys here, each package's values by that package). Only cmd/ and
// internal/app read it; it hands each package the part that package needs
// (parts.go).
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pixmill/pixmill/cache"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/server"
	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
	"github.com/pixmill/pixmill/vision"
)

// Config is the whole configuration file. The yaml names are the contract
// documented in config.yaml and docs/operations.md.
type Config struct {
	Listen        string                    `yaml:"listen"`
	MetricsListen string                    `yaml:"metrics_listen"`
	Source        Source                    `yaml:"source"`
	Sources       map[string]Source         `yaml:"sources"`
	Signing       Signing                   `yaml:"signing"`
	Presets       map[string]presets.Preset `yaml:"presets"`
	Limits        Limits                    `yaml:"limits"`
	Cache         Cache                     `yaml:"cache"`
	Formats       Formats                   `yaml:"formats"`
	Quality       Quality                   `yaml:"quality"`
	Headers       Headers                   `yaml:"headers"`
	ClientHints   ClientHints               `yaml:"client_hints"`
	Raw           Raw                       `yaml:"raw"`
	Admin         Admin                     `yaml:"admin"`
	Vision        Vision                    `yaml:"vision"`
	Playground    Playground                `yaml:"playground"`
	Compat        Compat                    `yaml:"compat"`
	Log           Log                       `yaml:"log"`
	ShutdownGrace Duration                  `yaml:"shutdown_grace"`
}

type ClientHints struct {
	Enabled bool  `yaml:"enabled"`
	Widths  []int `yaml:"widths"`
}

// Playground is the /_playground page (server.PlaygroundConfig).
type Playground struct {
	Enabled     bool `yaml:"enabled"`
	AllowRemote bool `yaml:"allow_remote"`
}

// Compat turns on routes in other services' URL syntax (server.Config).
type Compat struct {
	Cloudflare bool `yaml:"cloudflare"` // /cdn-cgi/image/{options}/{key}
}

// Raw is how raw=true serves originals.
type Raw struct {
	SVGInline bool `yaml:"svg_inline"`
}

type Admin struct {
	Token string `yaml:"token"`
}

// Source is one source: source (the default source, as before several
// sources existed) or an entry of sources. The keys after timeout are for
// http(s) sources (docs/sources.md).
type Source struct {
	URL     string   `yaml:"url"`
	Timeout Duration `yaml:"timeout"`

	Mode                 string            `yaml:"mode"`      // "" (prefix) or "any": the key is a base64url URL
	MaxBytes             int64             `yaml:"max_bytes"` // 0: limits.max_source_bytes
	ConnectTimeout       Duration          `yaml:"connect_timeout"`
	HeaderTimeout        Duration          `yaml:"header_timeout"`
	AllowHosts           []string          `yaml:"allow_hosts"`
	AllowPrivateNetworks bool              `yaml:"allow_private_networks"`
	AllowNetworks        []string          `yaml:"allow_networks"`
	Headers              map[string]string `yaml:"headers"` // values may hold ${ENV_VAR}
}

type Signing struct {
	Keys          []string `yaml:"keys"`
	Size          int      `yaml:"size"`
	AllowUnsigned bool     `yaml:"allow_unsigned"`
}

type Limits struct {
	MaxSourceBytes     int64    `yaml:"max_source_bytes"`
	MaxSourcePixels    int64    `yaml:"max_source_pixels"`
	MaxFrames          int      `yaml:"max_frames"`
	MaxOutputDimension int      `yaml:"max_output_dimension"`
	MaxDPR             float64  `yaml:"max_dpr"`
	Concurrency        int      `yaml:"concurrency"`
	Queue              int      `yaml:"queue"`
	QueueTimeout       Duration `yaml:"queue_timeout"`
	RequestTimeout     Duration `yaml:"request_timeout"`
	MaxConnections     int      `yaml:"max_connections"`
}

type Cache struct {
	MaxBytes     int64    `yaml:"max_bytes"`
	MaxItemBytes int64    `yaml:"max_item_bytes"`
	SourceTTL    Duration `yaml:"source_ttl"`
	Store        Store    `yaml:"store"`
	Peers        Peers    `yaml:"peers"`
}

// Peers is the shared tier between replicas (cache.PeersConfig).
type Peers struct {
	Listen   string   `yaml:"listen"` // "" turns it off
	Self     string   `yaml:"self"`
	Static   []string `yaml:"static"`
	DNS      string   `yaml:"dns"`
	Refresh  Duration `yaml:"refresh"`
	Secret   string   `yaml:"secret"`
	Timeout  Duration `yaml:"timeout"`
	MaxBytes int64    `yaml:"max_bytes"`
}

// Store is the durable derivative store (cache.StoreConfig).
type Store struct {
	URL     string   `yaml:"url"` // "" turns it off
	Timeout Duration `yaml:"timeout"`
	Queue   int      `yaml:"queue"`
}

// Quality is q=auto's part (transform.Config.AutoMaxEncodes).
type Quality struct {
	MaxEncodes int `yaml:"max_encodes"`
}

type Formats struct {
	Inputs []string `yaml:"inputs"`
	// Quality is the default on the one scale (JPEG's); each format's
	// quality, when not 0, overrides it with that encoder's own.
	Quality int `yaml:"quality"`
	JPEG    struct {
		Quality     int  `yaml:"quality"`
		Progressive bool `yaml:"progressive"`
	} `yaml:"jpeg"`
	WebP struct {
		Quality  int  `yaml:"quality"`
		Effort   int  `yaml:"effort"`
		SharpYUV bool `yaml:"sharp_yuv"`
	} `yaml:"webp"`
	AVIF struct {
		Quality   int  `yaml:"quality"`
		Effort    int  `yaml:"effort"`
		Chroma444 bool `yaml:"chroma_444"`
	} `yaml:"avif"`
	PNG struct {
		Quality     int `yaml:"quality"`
		Compression int `yaml:"compression"`
	} `yaml:"png"`
}

type Headers struct {
	MaxAge               Duration `yaml:"max_age"`
	SMaxAge              Duration `yaml:"s_maxage"`
	StaleWhileRevalidate Duration `yaml:"stale_while_revalidate"`
	StaleIfError         Duration `yaml:"stale_if_error"`
	Immutable            bool     `yaml:"immutable"`
	ErrorTTL             Duration `yaml:"error_ttl"`
	DegradedTTL          Duration `yaml:"degraded_ttl"`
	SurrogateKeyHeader   string   `yaml:"surrogate_key_header"`
	CacheTagHeader       string   `yaml:"cache_tag_header"`
	CDNCacheControl      bool     `yaml:"cdn_cache_control"`
	SurrogateControl     bool     `yaml:"surrogate_control"`
}

type Vision struct {
	URL             string   `yaml:"url"`
	Timeout         Duration `yaml:"timeout"`
	BreakerFailures int      `yaml:"breaker_failures"`
	BreakerCooldown Duration `yaml:"breaker_cooldown"`
	CacheSize       int      `yaml:"cache_size"`
	Grid            int      `yaml:"grid"`
}

type Log struct {
	Level string `yaml:"level"`
}

// Default is the built-in configuration: it serves the bundled sample images
// from ./samples with the two example presets of DESIGN.md. Every value a
// package uses comes from that package's DefaultConfig (as imgproxy's
// top-level config composes each package's defaults); only the process's
// own keys (listeners, connections, shutdown, log) and the samples are
// decided here.
func Default() Config {
	tr, srv, src := transform.DefaultConfig(), server.DefaultConfig(), source.DefaultConfig()
	par, loc := presets.DefaultConfig(), vision.DefaultLocatorConfig()
	var c Config
	c.Listen = ":8080"
	c.MetricsListen = "127.0.0.1:9090" // loopback: metrics are not for the public network
	c.Source = Source{URL: "file://samples", Timeout: Duration(src.Timeout)}
	c.Signing = Signing{Size: par.SignatureSize}
	c.Presets = map[string]presets.Preset{
		"thumb": {Transform: "w=200,h=200,fit=cover,g=auto,f=auto", Widths: []int{100, 200, 400}, Public: true},
		"hero":  {Transform: "w=1600,h=900,fit=cover,f=auto", Widths: []int{320, 640, 960, 1280, 1600, 1920}},
	}
	c.Limits = Limits{
		MaxSourceBytes:     src.MaxBytes,
		MaxSourcePixels:    tr.MaxSourcePixels,
		MaxFrames:          tr.MaxFrames,
		MaxOutputDimension: tr.MaxOutputDimension,
		MaxDPR:             par.MaxDPR,
		Concurrency:        0, // number of cores, resolved at load
		Queue:              srv.Queue,
		QueueTimeout:       Duration(srv.QueueTimeout),
		RequestTimeout:     Duration(srv.RequestTimeout),
		MaxConnections:     1024,
	}
	st := cache.DefaultStoreConfig()
	c.Cache = Cache{MaxBytes: srv.Cache.MaxBytes, MaxItemBytes: srv.Cache.MaxItemBytes, SourceTTL: Duration(srv.SourceTTL),
		Store: Store{URL: st.URL, Timeout: Duration(st.Timeout), Queue: st.Queue}}
	pc := cache.DefaultPeersConfig()
	c.Cache.Peers = Peers{Refresh: Duration(pc.Refresh), Timeout: Duration(pc.Timeout), MaxBytes: pc.MaxBytes}
	c.Formats.Inputs, c.Formats.Quality = tr.Inputs, tr.DefaultQuality
	c.Quality.MaxEncodes = tr.AutoMaxEncodes
	c.Formats.WebP.SharpYUV, c.Formats.AVIF.Chroma444 = tr.WebPSharpYUV, tr.AVIFChroma444
	c.Formats.JPEG.Quality, c.Formats.JPEG.Progressive = tr.Quality[spec.FormatJPEG], tr.JPEGProgressive
	c.Formats.WebP.Quality, c.Formats.WebP.Effort = tr.Quality[spec.FormatWebP], tr.WebPEffort
	c.Formats.AVIF.Quality, c.Formats.AVIF.Effort = tr.Quality[spec.FormatAVIF], tr.AVIFEffort
	c.Formats.PNG.Quality, c.Formats.PNG.Compression = tr.Quality[spec.FormatPNG], tr.PNGCompression
	h := srv.Headers
	c.Headers = Headers{
		MaxAge:               Duration(h.MaxAge),
		SMaxAge:              Duration(h.SMaxAge),
		StaleWhileRevalidate: Duration(h.StaleWhileRevalidate),
		StaleIfError:         Duration(h.StaleIfError),
		Immutable:            h.Immutable,
		ErrorTTL:             Duration(srv.ErrorTTL),
		DegradedTTL:          Duration(h.DegradedTTL),
		SurrogateKeyHeader:   h.SurrogateKeyHeader,
		CacheTagHeader:       h.CacheTagHeader,
		CDNCacheControl:      h.CDNCacheControl,
		SurrogateControl:     h.SurrogateControl,
	}
	c.Vision = Vision{Timeout: Duration(loc.Timeout), BreakerFailures: loc.BreakerFailures,
		BreakerCooldown: Duration(loc.BreakerCooldown), CacheSize: loc.CacheSize, Grid: vision.DefaultGrid}
	c.ClientHints.Widths = srv.HintLadder
	c.Playground = Playground{Enabled: srv.Playground.Enabled, AllowRemote: srv.Playground.AllowRemote}
	c.Compat.Cloudflare = srv.Cloudflare
	c.Log.Level = "info"
	c.ShutdownGrace = Duration(25 * time.Second) // under Kubernetes' default 30 s termination grace
	return c
}

// Load reads path over the defaults (path "" means defaults only; a file's
// presets replace the sample ones rather than merging), then
// applies PIXMILL_* environment overrides, then validates.
func Load(path string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, err
		}
		// The sample presets belong to the built-in configuration only: a
		// file states all of its presets, so no public preset appears unasked.
		// The samples folder likewise serves only a file that names no source.
		c.Presets = nil
		c.Source.URL = ""
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)                                             // a misspelt key is an error, not a silent default
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file means defaults
			return c, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := applyEnv(&c, os.LookupEnv); err != nil {
		return c, err
	}
	if c.Source.URL == "" && len(c.Sources) == 0 {
		c.Source.URL = Default().Source.URL
	}
	c.resolve()
	if err := c.Validate(); err != nil {
		return c, err
	}
	if _, err := c.SourcesConfig(os.LookupEnv); err != nil {
		return c, err
	}
	// What a package owns it checks, naming the key: the pipeline's limits
	// and encoder settings, the parser's signature size and dpr bound.
	if err := c.TransformConfig().Validate(); err != nil {
		return c, err
	}
	return c, presets.CheckConfig(c.ParserConfig(nil))
}

// resolve fills in values that depend on the machine.
func (c *Config) resolve() {
	if c.Limits.Concurrency <= 0 {
		c.Limits.Concurrency = server.DefaultConfig().Concurrency
	}
	c.Source.URL = absFileURL(c.Source.URL)
	for name, src := range c.Sources {
		src.URL = absFileURL(src.URL)
		c.Sources[name] = src
	}
}

// absFileURL makes a file:// URL relative to the working directory (as in
// the defaults) absolute.
func absFileURL(u string) string {
	rest, ok := strings.CutPrefix(u, "file://")
	if !ok || strings.HasPrefix(rest, "/") {
		return u
	}
	path, query, _ := strings.Cut(rest, "?")
	abs, err := filepath.Abs(path)
	if err != nil {
		return u
	}
	u = "file://" + filepath.ToSlash(abs)
	if query != "" {
		u += "?" + query
	}
	return u
}

// Validate names the first bad key among those only the file has: what
// the packages check themselves (see Load) is not repeated here.
func (c *Config) Validate() error {
	checks := []struct {
		bad bool
		msg string
	}{
		{c.Listen == "", "listen must be set"},
		{c.Source.URL == "" && len(c.Sources) == 0, "source.url or sources must be set"},
		{c.Source.URL != "" && hasKey(c.Sources, "default"), "source.url and sources.default both name the default source: keep one"},
		{c.Source.Timeout <= 0, "source.timeout must be positive"},
		{c.Limits.MaxSourceBytes <= 0, "limits.max_source_bytes must be positive"},
		{c.Limits.Queue < 0, "limits.queue must not be negative"},
		{c.Limits.QueueTimeout <= 0, "limits.queue_timeout must be positive"},
		{c.Limits.RequestTimeout <= 0, "limits.request_timeout must be positive"},
		{c.Limits.MaxConnections < 0, "limits.max_connections must not be negative (0 means unlimited)"},
		{c.Cache.MaxBytes < 0, "cache.max_bytes must not be negative"},
		{c.Cache.MaxItemBytes < 0, "cache.max_item_bytes must not be negative"},
		{c.Cache.SourceTTL < 0, "cache.source_ttl must not be negative"},
		{c.Cache.Store.Timeout <= 0, "cache.store.timeout must be positive"},
		{c.Cache.Store.Queue < 1, "cache.store.queue must be at least 1"},
		{c.Cache.Peers.Listen != "" && len(c.Cache.Peers.Secret) < 16, "cache.peers.secret must be at least 16 bytes when cache.peers.listen is set"},
		{c.Cache.Peers.Listen != "" && c.Cache.Peers.Timeout <= 0, "cache.peers.timeout must be positive"},
		{c.Cache.Peers.Listen != "" && c.Cache.Peers.Refresh <= 0, "cache.peers.refresh must be positive"},
		{c.Cache.Peers.MaxBytes < 0, "cache.peers.max_bytes must not be negative"},
		{c.Cache.Peers.Listen != "" && c.Cache.Peers.Listen == c.Listen, "cache.peers.listen must not be the public listen address"},
		{c.Admin.Token != "" && len(c.Admin.Token) < 16, "admin.token must be at least 16 bytes"},
		{c.Headers.ErrorTTL < 0, "headers.error_ttl must not be negative"},
		{c.Headers.DegradedTTL < 0, "headers.degraded_ttl must not be negative"},
		{c.Vision.Timeout <= 0, "vision.timeout must be positive"},
		{c.ShutdownGrace <= 0, "shutdown_grace must be positive"},
		{c.Vision.BreakerFailures < 1, "vision.breaker_failures must be at least 1"},
		{c.Vision.Grid < 0 || c.Vision.Grid > 64, "vision.grid must be in 0..64"},
	}
	for _, ch := range checks {
		if ch.bad {
			return errors.New(ch.msg)
		}
	}
	if err := negativeDuration(reflect.ValueOf(*c), ""); err != nil {
		return err
	}
	for _, h := range []struct{ key, name string }{
		{"headers.surrogate_key_header", c.Headers.SurrogateKeyHeader},
		{"headers.cache_tag_header", c.Headers.CacheTagHeader},
	} {
		if err := checkHeaderName(h.key, h.name); err != nil {
			return err
		}
	}
	if err := checkVisionURL(c.Vision.URL); err != nil {
		return err
	}
	for i, k := range c.Signing.Keys {
		if len(k) < 16 {
			return fmt.Errorf("signing.keys[%d]: a key must be at least 16 bytes", i)
		}
	}
	for i, w := range c.ClientHints.Widths {
		if w < 1 || w > c.Limits.MaxOutputDimension {
			return fmt.Errorf("client_hints.widths[%d]: %d is out of range 1..%d", i, w, c.Limits.MaxOutputDimension)
		}
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	return nil
}

// SigningKeys returns the configured keys as bytes. When none is configured
// and unsigned requests are not all allowed, it makes a random key for this
// process and reports generated=true, so that signed URLs work in a demo but
// no known key is ever deployed by accident.
func (c *Config) SigningKeys() (keys [][]byte, generated bool) {
	for _, k := range c.Signing.Keys {
		keys = append(keys, []byte(k))
	}
	if len(keys) > 0 {
		return keys, false
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	c.Signing.Keys = []string{base64.RawURLEncoding.EncodeToString(b)}
	return [][]byte{[]byte(c.Signing.Keys[0])}, true
}
