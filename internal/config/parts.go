package config

import (
	"github.com/pixmill/pixmill/cache"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/server"
	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
	"github.com/pixmill/pixmill/vision"
)

// Each package takes its part of the file as its own Config, starting from
// its DefaultConfig so that a setting the file cannot express keeps the
// package's default.

// TransformConfig is the renderer's part.
func (c *Config) TransformConfig() transform.Config {
	t := transform.DefaultConfig()
	f := c.Formats
	t.Quality = map[spec.Format]int{}
	for fm, q := range map[spec.Format]int{
		spec.FormatJPEG: f.JPEG.Quality,
		spec.FormatWebP: f.WebP.Quality,
		spec.FormatAVIF: f.AVIF.Quality,
		spec.FormatPNG:  f.PNG.Quality,
	} {
		if q != 0 { // 0: from the scale
			t.Quality[fm] = q
		}
	}
	t.DefaultQuality, t.AutoMaxEncodes = f.Quality, c.Quality.MaxEncodes
	t.AVIFEffort, t.WebPEffort = f.AVIF.Effort, f.WebP.Effort
	t.WebPSharpYUV, t.AVIFChroma444 = f.WebP.SharpYUV, f.AVIF.Chroma444
	t.JPEGProgressive, t.PNGCompression = f.JPEG.Progressive, f.PNG.Compression
	t.MaxSourcePixels, t.MaxFrames = c.Limits.MaxSourcePixels, c.Limits.MaxFrames
	t.MaxOutputDimension = c.Limits.MaxOutputDimension
	t.Inputs = f.Inputs
	return t
}

// ParserConfig is the URL parser's part; keys are the signing keys as bytes
// (see SigningKeys).
func (c *Config) ParserConfig(keys [][]byte) presets.Config {
	p := presets.DefaultConfig()
	p.Keys = keys
	p.SignatureSize = c.Signing.Size
	p.AllowUnsigned = c.Signing.AllowUnsigned
	p.Presets = c.Presets
	p.MaxDimension = c.Limits.MaxOutputDimension
	p.MaxDPR = c.Limits.MaxDPR
	return p
}

// SourceConfig is the originals' storage part.
func (c *Config) SourceConfig() source.Config {
	s := source.DefaultConfig()
	s.URL = c.Source.URL
	s.MaxBytes = c.Limits.MaxSourceBytes
	s.Timeout = c.Source.Timeout.D()
	return s
}

// LocatorConfig is the vision sidecar's resilience part.
func (c *Config) LocatorConfig() vision.LocatorConfig {
	l := vision.DefaultLocatorConfig()
	l.Timeout = c.Vision.Timeout.D()
	l.BreakerFailures = c.Vision.BreakerFailures
	l.BreakerCooldown = c.Vision.BreakerCooldown.D()
	l.CacheSize = c.Vision.CacheSize
	return l
}

// StoreConfig is the durable derivative store's part (off when URL is "").
func (c *Config) StoreConfig() cache.StoreConfig {
	s := cache.DefaultStoreConfig()
	s.URL = c.Cache.Store.URL
	s.Timeout = c.Cache.Store.Timeout.D()
	s.Queue = c.Cache.Store.Queue
	return s
}

// PeersConfig is the shared tier's part (off when Listen is "").
func (c *Config) PeersConfig() cache.PeersConfig {
	p := cache.DefaultPeersConfig()
	pc := c.Cache.Peers
	p.Listen, p.Self, p.Static, p.DNS, p.Secret = pc.Listen, pc.Self, pc.Static, pc.DNS, pc.Secret
	p.Refresh, p.Timeout, p.MaxBytes = pc.Refresh.D(), pc.Timeout.D(), pc.MaxBytes
	p.RenderTimeout = c.Limits.RequestTimeout.D()
	return p
}

// ServerConfig is the HTTP server's part.
func (c *Config) ServerConfig() server.Config {
	s := server.DefaultConfig()
	h := c.Headers
	s.Headers = server.HeaderConfig{
		MaxAge:               h.MaxAge.D(),
		SMaxAge:              h.SMaxAge.D(),
		StaleWhileRevalidate: h.StaleWhileRevalidate.D(),
		StaleIfError:         h.StaleIfError.D(),
		Immutable:            h.Immutable,
		SurrogateKeyHeader:   h.SurrogateKeyHeader,
		CacheTagHeader:       h.CacheTagHeader,
		CDNCacheControl:      h.CDNCacheControl,
		SurrogateControl:     h.SurrogateControl,
		DegradedTTL:          h.DegradedTTL.D(),
	}
	s.ErrorTTL = h.ErrorTTL.D()
	s.Cache.MaxBytes, s.Cache.MaxItemBytes = c.Cache.MaxBytes, c.Cache.MaxItemBytes
	s.SourceTTL = c.Cache.SourceTTL.D()
	s.AdminToken = c.Admin.Token
	s.RawSVGInline = c.Raw.SVGInline
	s.ClientHints = c.ClientHints.Enabled
	if len(c.ClientHints.Widths) > 0 {
		s.HintLadder = c.ClientHints.Widths
	}
	s.Concurrency = c.Limits.Concurrency
	s.Queue = c.Limits.Queue
	s.QueueTimeout = c.Limits.QueueTimeout.D()
	s.RequestTimeout = c.Limits.RequestTimeout.D()
	s.Playground = server.PlaygroundConfig{Enabled: c.Playground.Enabled, AllowRemote: c.Playground.AllowRemote}
	s.Cloudflare = c.Compat.Cloudflare
	return s
}
