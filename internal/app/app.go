// Package app wires one pixmill server from a Config: the sources (a
// source.Set), the URL parser, the renderer and the HTTP server.
// cmd/pixmill and the end-to-end tests build the server the same way
// through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/net/netutil"

	"github.com/pixmill/pixmill/cache"
	"github.com/pixmill/pixmill/internal/config"
	"github.com/pixmill/pixmill/presets"
	"github.com/pixmill/pixmill/server"
	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/vision"
)

// App is a wired server.
type App struct {
	Config       config.Config
	Parser       *presets.Parser
	Sources      *source.Set
	Renderer     *transform.Renderer
	Server       *server.Server
	Store        *cache.Store // the durable derivative store; nil without cache.store.url
	Peers        *cache.Peers // the shared tier; nil without cache.peers.listen
	peerListener net.Listener
	GeneratedKey bool // no signing key was configured; one was made for this process
}

// Options are what a test changes about an App beyond its config.
type Options struct {
	// Resolver finds the addresses of HTTP sources' hosts; nil means the
	// system's. Tests inject one so that no DNS query leaves the machine.
	Resolver source.Resolver
}

// New builds an App from cfg: each package from its part of the file.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	return NewWith(ctx, cfg, log, Options{})
}

// NewWith is New with opts.
func NewWith(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	parser, generated, err := NewParser(&cfg)
	if err != nil {
		return nil, err
	}
	renderer, err := transform.New(cfg.TransformConfig())
	if err != nil {
		return nil, err
	}
	metrics := server.NewMetrics()
	if cfg.Vision.URL != "" {
		client := vision.NewClient(cfg.Vision.URL, 0)
		client.GridSize = cfg.Vision.Grid
		renderer.UseVision(vision.NewLocator(client, cfg.LocatorConfig(), metrics.VisionObserver()))
	}
	sources, err := cfg.SourcesConfig(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	for name, sc := range sources {
		if sc.IsHTTP() {
			sc.Resolver = opts.Resolver
			sources[name] = sc
		}
	}
	set, err := source.OpenSet(ctx, sources) // errors name the key
	if err != nil {
		return nil, err
	}
	srv := server.New(cfg.ServerConfig(), parser, set, renderer, metrics, log)
	a := &App{Config: cfg, Parser: parser, Sources: set, Renderer: renderer, Server: srv, GeneratedKey: generated}
	if sc := cfg.StoreConfig(); sc.URL != "" {
		st, err := cache.OpenStore(ctx, sc, metrics.StoreObserver())
		if err != nil {
			_ = set.Close()
			return nil, err
		}
		srv.UseStore(st)
		a.Store = st
	}
	if pc := cfg.PeersConfig(); pc.Listen != "" {
		// Bound here, not in Serve: the shared tier needs its own address
		// to know which replica it is.
		ln, err := net.Listen("tcp", pc.Listen)
		if err != nil {
			_ = a.Close()
			return nil, fmt.Errorf("cache.peers.listen: %w", err)
		}
		p, err := cache.NewPeers(ctx, pc, ln, metrics.PeerObserver(), log)
		if err != nil {
			_ = ln.Close()
			_ = a.Close()
			return nil, err
		}
		srv.UsePeers(p)
		a.Peers, a.peerListener = p, ln
	}
	return a, nil
}

// NewParser builds the URL parser from cfg (a signing key is generated when
// none is configured; see config.SigningKeys).
func NewParser(cfg *config.Config) (*presets.Parser, bool, error) {
	keys, generated := cfg.SigningKeys()
	p, err := presets.New(cfg.ParserConfig(keys))
	if err != nil {
		return nil, false, fmt.Errorf("presets/signing: %w", err)
	}
	return p, generated, nil
}

// Close lets queued store writes finish and releases the store and the
// sources.
func (a *App) Close() error {
	var err error
	if a.Peers != nil {
		a.Peers.Close()
		_ = a.peerListener.Close()
	}
	if a.Store != nil {
		err = a.Store.Close()
	}
	return errors.Join(err, a.Sources.Close())
}

// MaxHeaderBytes bounds a request's header block on the public listener
// (Go answers 431 past it). Go's default, 1 MiB, let a few hundred slow
// connections hold half a gigabyte for the header timeout; 32 KiB is four
// times what browsers send with large cookies, and more than CDNs allow.
const MaxHeaderBytes = 32 << 10

// Serve runs the public and metrics listeners until ctx ends, then shuts
// down within grace: the listeners close at once, idle connections are
// closed, and requests in flight have until shortly before grace ends to
// finish. Those still running then (a render longer than the grace period)
// are canceled and answered 503 with Retry-After, so that every client gets
// an answer and the process exits 0 before an orchestrator's kill (for
// Kubernetes, keep grace under terminationGracePeriodSeconds). The public
// listener serves at most limits.max_connections connections at once; more
// wait in the kernel's accept queue until one closes.
func (a *App) Serve(ctx context.Context, public, metrics net.Listener, grace time.Duration) error {
	if n := a.Config.Limits.MaxConnections; n > 0 {
		public = netutil.LimitListener(public, n)
	}
	// Request contexts descend from base, so canceling it with
	// server.ErrShuttingDown turns what is still running into 503s.
	base, cancelRequests := context.WithCancelCause(context.Background())
	defer cancelRequests(nil)
	pub := &http.Server{
		Handler:           a.Server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	errc := make(chan error, 3)
	go func() { errc <- pub.Serve(public) }()
	var met *http.Server
	if metrics != nil {
		met = &http.Server{Handler: a.Server.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: MaxHeaderBytes}
		go func() { errc <- met.Serve(metrics) }()
	}
	var peers *http.Server
	if a.Peers != nil {
		peers = &http.Server{Handler: a.Peers.Handler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: MaxHeaderBytes,
			IdleTimeout: 120 * time.Second, BaseContext: func(net.Listener) context.Context { return base }}
		go func() { errc <- peers.Serve(a.peerListener) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if met != nil {
		defer met.Close()
	}
	if peers != nil {
		// Peers stop asking this replica once it is gone from their list
		// (DNS) or their breaker opens; renders for them end with the rest.
		defer peers.Close()
	}

	// The last part of grace is kept for writing the 503s: handlers leave
	// at once when canceled (they wait on contexts, not on libvips).
	answer := min(grace/5, 5*time.Second)
	sctx, cancel := context.WithTimeout(context.Background(), grace-answer)
	defer cancel()
	err := pub.Shutdown(sctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	cancelRequests(server.ErrShuttingDown)
	actx, cancel2 := context.WithTimeout(context.Background(), answer)
	defer cancel2()
	if err := pub.Shutdown(actx); err != nil {
		_ = pub.Close()
		return fmt.Errorf("shutdown: requests still running %v after SIGTERM: %w", grace, err)
	}
	return nil
}
