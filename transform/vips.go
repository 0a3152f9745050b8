package transform

import (
	"log/slog"
	"sync"

	"github.com/davidbyttow/govips/v2/vips"
)

var startOnce sync.Once

// Startup starts libvips once per process. govips cannot be restarted after
// Shutdown, so the server never shuts it down. Zero cache sizes turn the
// libvips operation cache off: every request decodes a different buffer, so
// the cache would only hold memory.
func Startup(concurrency int) {
	startOnce.Do(func() {
		vips.LoggingSettings(func(domain string, level vips.LogLevel, msg string) {
			slog.Warn("libvips", "domain", domain, "msg", msg)
		}, vips.LogLevelError)
		if concurrency <= 0 {
			concurrency = 1
		}
		vips.Startup(&vips.Config{
			ConcurrencyLevel: concurrency,
			MaxCacheFiles:    0,
			MaxCacheMem:      0,
			MaxCacheSize:     0,
		})
	})
}

// MemoryStats reports libvips' own allocations, for the metrics gauges.
func MemoryStats() (mem, memHigh, allocs int64) {
	var s vips.MemoryStats
	vips.ReadVipsMemStats(&s)
	return s.Mem, s.MemHigh, s.Allocs
}

// Version is the libvips version string.
func Version() string { return vips.Version }
