package vision

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/pixmill/pixmill/internal/tracing"
)

// Client asks a pixmill-vision sidecar where to crop. It is safe for
// concurrent use. It decides nothing about fallbacks: an error means "no
// answer", and the caller picks what to do instead (libvips attention, the
// centre).
type Client struct {
	base    string // scheme://host, no trailing slash
	timeout time.Duration
	hc      *http.Client
	// GridSize, when above zero, asks for a GridSize x GridSize saliency grid
	// (at most MaxGrid) in every answer. Set it before the first Analyze.
	GridSize int
}

// StatusError is a non-200 answer from the sidecar.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("vision: sidecar answered %d: %s", e.Code, e.Body)
}

// Overloaded reports whether the sidecar refused for load (503), which a
// circuit breaker should count, unlike a 4xx that blames the preview.
func (e *StatusError) Overloaded() bool { return e.Code == http.StatusServiceUnavailable }

// DefaultGrid is the saliency grid asked for unless configured otherwise
// (vision.grid): 16 x 16 cells place a crop to within half a cell.
const DefaultGrid = 16

// NewClient returns a client for the sidecar at baseURL: "http://127.0.0.1:PORT"
// or "unix:/path/to.sock". timeout bounds each Analyze call on top of the
// context's own deadline; zero means the context alone.
func NewClient(baseURL string, timeout time.Duration) *Client {
	tr := &http.Transport{
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	base := strings.TrimRight(baseURL, "/")
	if path, ok := strings.CutPrefix(base, "unix:"); ok {
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		}
		base = "http://pixmill-vision"
	}
	return &Client{base: base, timeout: timeout, hc: &http.Client{Transport: tr}}
}

// Analyze sends one preview and returns what the sidecar found in it.
//
// preview is either raw 8-bit interleaved RGB (w*h*3 bytes, rows top to
// bottom, no padding: the cheapest for both sides, and what libvips' raw
// write gives), with w and h its size; or an encoded JPEG or PNG, with w and
// h both 0. Keep the long side at 320 px or less: the models look at 256 px
// at most, and the sidecar refuses sides over MaxPreviewSide.
func (c *Client) Analyze(ctx context.Context, preview []byte, w, h int) (r Regions, err error) {
	if tracing.On() {
		var span trace.Span
		ctx, span = tracing.Tracer(tracerName).Start(ctx, "vision", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.Int("vision.preview_bytes", len(preview))))
		defer func() { endSpan(span, r, err) }()
	}
	return c.analyze(ctx, preview, w, h)
}

// tracerName names the vision client's spans' scope.
const tracerName = "github.com/pixmill/pixmill/vision"

// endSpan ends the vision span with what the sidecar answered.
func endSpan(span trace.Span, r Regions, err error) {
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			span.SetAttributes(attribute.Int("http.response.status_code", se.Code))
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	} else {
		span.SetAttributes(attribute.Int("http.response.status_code", http.StatusOK),
			attribute.Int("vision.faces", len(r.Faces)), attribute.String("vision.provider", r.Provider))
	}
	span.End()
}

func (c *Client) analyze(ctx context.Context, preview []byte, w, h int) (Regions, error) {
	q := url.Values{}
	ctype := ContentTypeRGB
	switch {
	case w > 0 && h > 0:
		if len(preview) != w*h*3 {
			return Regions{}, fmt.Errorf("vision: raw RGB preview %dx%d needs %d bytes, got %d", w, h, w*h*3, len(preview))
		}
		q.Set("w", strconv.Itoa(w))
		q.Set("h", strconv.Itoa(h))
	case w == 0 && h == 0:
		ctype = http.DetectContentType(preview)
		if ctype != "image/jpeg" && ctype != "image/png" {
			return Regions{}, fmt.Errorf("vision: encoded preview must be JPEG or PNG, got %s", ctype)
		}
	default:
		return Regions{}, fmt.Errorf("vision: preview size %dx%d", w, h)
	}
	if c.GridSize > 0 {
		q.Set("grid", strconv.Itoa(c.GridSize))
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	u := c.base + AnalyzePath
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(preview))
	if err != nil {
		return Regions{}, fmt.Errorf("vision: %w", err)
	}
	req.Header.Set("Content-Type", ctype)
	if tracing.On() { // the sidecar continues the trace from traceparent
		tracing.Propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return Regions{}, fmt.Errorf("vision: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Regions{}, fmt.Errorf("vision: reading answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Regions{}, &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(body))}
	}
	var r Regions
	if err := json.Unmarshal(body, &r); err != nil {
		return Regions{}, fmt.Errorf("vision: decoding answer: %w", err)
	}
	return r, nil
}

// Ping checks the sidecar's /healthz.
func (c *Client) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("vision: %w", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("vision: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return &StatusError{Code: resp.StatusCode, Body: "healthz"}
	}
	return nil
}

// IsOverloaded reports whether err is the sidecar saying it is overloaded.
func IsOverloaded(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Overloaded()
}
