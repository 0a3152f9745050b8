package transform

import (
	"log/slog"
	"sync"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/pixmill/pixmill/internal/fault"
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

// undecodable marks an error that libvips returned while computing pixels:
// libvips reports corrupt or truncated data only once it decodes it, in
// whichever step first needs pixels, so the source is what failed and the
// answer is 422. Every libvips call in the pipeline passes its error
// through here; an error of Go's own making does not, keeps no kind, and
// stays a 500 that nobody caches. Errors that already have a kind keep it.
func undecodable(err error) error {
	if err == nil || fault.KindOf(err) != fault.Internal {
		return err
	}
	return fault.Wrap(fault.Undecodable, trimError(err), "source could not be decoded")
}

// MemoryStats reports libvips' own allocations, for the metrics gauges.
func MemoryStats() (mem, memHigh, allocs int64) {
	var s vips.MemoryStats
	vips.ReadVipsMemStats(&s)
	return s.Mem, s.MemHigh, s.Allocs
}

// Version is the libvips version string.
func Version() string { return vips.Version }
