package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pixmill/pixmill/bench/internal/harness"
)

// A peer is another image server run through the same scenarios with
// equivalent URLs, when an environment variable names its binary. The bench
// never downloads or builds one: it only runs what it is pointed at.
type peer struct {
	Name string
	Env  string // the variable naming the binary
	// ExtraEnv names a variable of further KEY=VALUE words for the peer.
	ExtraEnv string
	URL      func(Op) string
	start    func(bin, corpus, addr string) harness.Spec
}

// imgproxy: fit within the box without enlarging (rs:fit:W:H:0), the
// quality per request, the format as the extension; local files from the
// corpus; as many workers as pixmill has transform slots; AVIF speed 6,
// which libvips maps to the same effort (9 - speed = 3) as pixmill's.
var imgproxy = peer{
	Name: "imgproxy", Env: "PIXMILL_BENCH_IMGPROXY", ExtraEnv: "PIXMILL_BENCH_IMGPROXY_ENV",
	URL: func(o Op) string {
		p := "/insecure/rs:fit:" + strconv.Itoa(o.Width) + ":" + strconv.Itoa(o.Height) + ":0"
		if o.Quality > 0 {
			p += "/q:" + strconv.Itoa(o.Quality)
		}
		return p + "/plain/local:///" + escapePath(o.Key) + "@" + o.Format
	},
	start: func(bin, corpus, addr string) harness.Spec {
		return harness.Spec{Name: "imgproxy", Path: bin, Addr: addr, Health: "/health", Env: []string{
			"IMGPROXY_BIND=" + addr,
			"IMGPROXY_LOCAL_FILESYSTEM_ROOT=" + corpus,
			"IMGPROXY_WORKERS=2",
			"IMGPROXY_AVIF_SPEED=6",
			"IMGPROXY_STRIP_METADATA=true",
			"IMGPROXY_MAX_SRC_RESOLUTION=50",
		}}
	},
}

// imagor: fit-in W x H (never enlarges without the upscale filter), the
// format and quality as filters, strip_exif; files from the corpus.
var imagor = peer{
	Name: "imagor", Env: "PIXMILL_BENCH_IMAGOR", ExtraEnv: "PIXMILL_BENCH_IMAGOR_ENV",
	URL: func(o Op) string {
		f := "filters:format(" + o.Format + ")"
		if o.Quality > 0 {
			f += ":quality(" + strconv.Itoa(o.Quality) + ")"
		}
		return "/unsafe/fit-in/" + strconv.Itoa(o.Width) + "x" + strconv.Itoa(o.Height) + "/" + f + ":strip_exif()/" + escapePath(o.Key)
	},
	start: func(bin, corpus, addr string) harness.Spec {
		_, port, _ := strings.Cut(addr, ":")
		return harness.Spec{Name: "imagor", Path: bin, Addr: addr, Health: "/", Env: []string{
			"PORT=" + port,
			"IMAGOR_UNSAFE=1",
			"FILE_LOADER_BASE_DIR=" + corpus,
			"VIPS_CONCURRENCY=1",
			"VIPS_AVIF_SPEED=6",
		}}
	},
}

var allPeers = []peer{imgproxy, imagor}

// configured returns the peers whose variable is set, and a line for each
// that is skipped.
func configuredPeers() (on []peer, skipped []string) {
	for _, p := range allPeers {
		bin := os.Getenv(p.Env)
		if bin == "" {
			skipped = append(skipped, p.Name+": skipped ("+p.Env+" is not set)")
			continue
		}
		if _, err := os.Stat(bin); err != nil {
			skipped = append(skipped, p.Name+": skipped ("+p.Env+"="+bin+": "+err.Error()+")")
			continue
		}
		on = append(on, p)
	}
	return on, skipped
}

// startPeer runs p over corpus on a free loopback port.
func startPeer(p peer, corpus string) (*harness.Process, error) {
	addr, err := harness.FreeAddr()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(corpus)
	if err != nil {
		return nil, err
	}
	spec := p.start(os.Getenv(p.Env), abs, addr)
	spec.Env = append(spec.Env, strings.Fields(os.Getenv(p.ExtraEnv))...)
	return harness.Start(spec)
}

// escapePath percent-escapes each segment of a corpus key.
func escapePath(key string) string {
	parts := strings.Split(key, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
