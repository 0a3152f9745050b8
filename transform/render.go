package transform

import (
	"context"
	"fmt"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

// PipelineVersion changes whenever the same inputs could render different
// bytes; it is part of every ETag and cache key.
const PipelineVersion = "3"

// VersionOf is the pipeline version of the render opts ask for: what
// PipelineVersion is to every URL, with a suffix for the options whose
// output changed since without a change to the others, so that only
// their ETags and cache keys move. metadata=copyright keeps the IPTC and
// XMP notices since issue 12: "1+notice".
func VersionOf(opts spec.Options) string {
	if opts.Metadata == spec.MetadataCopyright {
		return PipelineVersion + "+notice"
	}
	return PipelineVersion
}

// Renderer turns source bytes into output images by a Config.
type Renderer struct {
	cfg    Config
	vision Locator // nil: g=face and g=auto use libvips attention alone
}

// UseVision makes g=face and g=auto ask the vision sidecar first. Call it
// before serving.
func (r *Renderer) UseVision(l Locator) { r.vision = l }

// New validates cfg and starts libvips.
func New(cfg Config) (*Renderer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	Startup(cfg.VipsConcurrency)
	return &Renderer{cfg: cfg}, nil
}

// Result is a rendered image.
type Result struct {
	Body          []byte
	Format        spec.Format
	Width, Height int
	// FocusedBy says what placed a g=face or g=auto crop: "faces" or
	// "saliency" (the vision sidecar), "attention" (libvips), or "".
	FocusedBy string
	// Degraded says why the result is a fallback rather than what the URL
	// asked for ("" when it is whole): it must not be cached as whole.
	Degraded string
	// Transform is probing, planning and the pixel steps; Encode is the
	// encoder. libvips is demand-driven: unless the pixels were materialized
	// first (WebP and PNG outputs, see materialize), the decode and
	// resize happen while the encoder pulls pixels and are counted in Encode.
	Transform time.Duration
	Encode    time.Duration
	// ContentType is set for raw=true: the original's type, sniffed from
	// its bytes (its Format is then unset). Raw names that format.
	ContentType string
	Raw         string
	// Quality is the encoder quality the body was written at; Fit, for
	// max_bytes, how it was brought within the limit.
	Quality int
	Fit     *BytesFit
	// Auto is how q=auto chose the quality (nil without q=auto).
	Auto *AutoQuality
}

// state is what the steps share: the plan, and the image as it goes.
type state struct {
	ctx  context.Context
	cfg  Config
	buf  []byte
	plan *Plan
	img  *vips.ImageRef
	out  []byte
	// lenient decodes past recoverable corruption (see recoverable).
	lenient bool
	vision  Locator
	// sourceID names the original's version for the sidecar's analysis cache.
	sourceID string
	// kill stops libvips when ctx ends; nil when ctx cannot end.
	kill *killer
	// wm is the watermark source's bytes (Original.Watermark).
	wm []byte
	// quality is the encoder quality used; fit says how max_bytes went.
	quality int
	fit     *BytesFit
	auto    *AutoQuality
}

// step is one named stage of the pipeline.
type step struct {
	name string
	run  func(*state) error
}

// pixelSteps shape the pixels; encodeSteps write them. f=json with a focus
// runs only as far as the crop.
var (
	pixelSteps = []step{
		{"focus", focus},
		{"load", load},
		{"colour", toSRGB},
		{"orient", orient},
		{"crop", crop},
		{"adjust", adjust},
		{"blur", blur},
		{"sharpen", sharpen},
		{"pad", pad},
		{"watermark", watermark},
		{"flatten", flatten},
	}
	finishSteps = []step{
		{"strip", strip},
		{"materialize", materialize},
	}
	encodeSteps = []step{
		{"encode", encode},
	}
	attentionSteps = []step{{"load", load}, {"colour", toSRGB}, {"orient", orient}, {"crop", crop}}
)

// Prepare probes buf and plans the render of opts for a client that sent
// accept. It decodes no pixels.
func (r *Renderer) Prepare(buf []byte, opts spec.Options, accept string) (*Plan, error) {
	plan, _, err := r.prepare(buf, opts, accept)
	return plan, err
}

// prepare is Prepare that also returns the bytes the steps must load: the
// probe may have dropped chunks of a PNG (see cleanPNG).
func (r *Renderer) prepare(buf []byte, opts spec.Options, accept string) (*Plan, []byte, error) {
	opts = opts.Normalize()
	buf, info, err := probe(buf, r.cfg)
	if err != nil {
		return nil, nil, err
	}
	if info.Format == "pdf" {
		if buf, info, err = rasterizePDF(buf, info, opts, r.cfg); err != nil {
			return nil, nil, err
		}
	}
	format := Negotiate(opts.Format, accept, info, opts.KeepAnimation())
	if format == spec.FormatJSON {
		// The plan f=json describes is the one the same URL without f would render.
		format = Negotiate(spec.FormatUnset, accept, info, opts.KeepAnimation())
	}
	win, err := findWindow(buf, info, opts)
	if err != nil {
		return nil, nil, err
	}
	return newPlan(info, opts, format, r.cfg, win), buf, nil
}

// Original is the source a render reads: its bytes, and an ID naming this
// version of it (key@version in the server) under which the vision
// sidecar's analysis is cached and shared by every variant; "" shares
// nothing.
type Original struct {
	Data []byte
	ID   string
	// Watermark is the wm= source's bytes, read by the caller through the
	// same sources and limits as Data; nil when the options have none.
	Watermark []byte
}

// Render makes what opts ask for from orig: the image, or for f=json the
// description of the image the same URL without f would render.
func (r *Renderer) Render(ctx context.Context, orig Original, opts spec.Options, accept string) (Result, error) {
	switch {
	case opts.Raw:
		return r.renderRaw(orig)
	case opts.Format == spec.FormatJSON:
		return r.renderDescription(ctx, orig, opts, accept)
	}
	return r.renderImage(ctx, orig, opts, accept)
}

// renderImage renders the image opts ask for; for f=json, the one the
// same URL without f would give.
func (r *Renderer) renderImage(ctx context.Context, orig Original, opts spec.Options, accept string) (Result, error) {
	start := time.Now()
	plan, buf, err := r.prepare(orig.Data, opts, accept)
	if err != nil {
		return Result{}, err
	}
	var k *killer
	if ctx.Done() != nil {
		k = watchKill(ctx.Done())
		defer k.stop() // after s.close: the killer holds its own references
	}
	s := &state{ctx: ctx, cfg: r.cfg, buf: buf, plan: plan, vision: r.vision, sourceID: orig.ID, kill: k, wm: orig.Watermark}
	defer s.close()
	encodeStart, err := s.render()
	if err != nil && recoverable(plan.Source.Format, buf, err) {
		s.close()
		k.reset(nil)
		*s = state{ctx: ctx, cfg: r.cfg, buf: buf, plan: plan, lenient: true, vision: r.vision, sourceID: orig.ID, kill: k, wm: orig.Watermark}
		encodeStart, err = s.render()
	}
	if err != nil {
		return Result{}, err
	}
	return Result{
		Body:      s.out,
		Format:    plan.Format,
		Width:     s.img.Width(),
		Height:    s.img.PageHeight(),
		FocusedBy: plan.FocusedBy,
		Degraded:  plan.Degraded,
		Transform: encodeStart.Sub(start),
		Encode:    time.Since(encodeStart),
		Quality:   s.quality,
		Fit:       s.fit,
		Auto:      s.auto,
	}, nil
}

// render runs the pixel and encode steps, and reports when encoding began.
func (s *state) render() (time.Time, error) {
	if err := s.run(pixelSteps); err != nil {
		return time.Time{}, err
	}
	if err := s.run(finishSteps); err != nil {
		return time.Time{}, err
	}
	encodeStart := time.Now()
	return encodeStart, s.run(encodeSteps)
}

// recoverable reports a decode failure that libjpeg itself recovers from,
// as browsers do: stray bytes between markers (broken EXIF writers leave
// them) or a damaged stretch of a complete file. The loaders fail on any
// warning so that truncated sources are refused rather than served half
// grey and cached; a JPEG whose structure runs to its end marker is not
// truncated, and is decoded again without that.
//
// The decision does not read libvips' messages: its error buffer is shared
// by the whole process, so under load a message may be another request's.
func recoverable(format string, buf []byte, err error) bool {
	return format == "jpeg" && fault.KindOf(err) == fault.Undecodable && jpegComplete(buf)
}

func (s *state) run(steps []step) error {
	for _, st := range steps {
		if err := s.ctx.Err(); err != nil {
			return fault.FromContext(err, fault.Overloaded)
		}
		if err := st.run(s); err != nil {
			if ctxErr := s.ctx.Err(); ctxErr != nil {
				// The killer stopped libvips: its error says only "killed".
				return fault.FromContext(ctxErr, fault.Overloaded)
			}
			// libvips' errors were marked where they occurred (see
			// undecodable); anything else is a bug here, a 500.
			return fmt.Errorf("%s: %w", st.name, err)
		}
		s.kill.track(s.img)
	}
	return nil
}

func (s *state) close() {
	if s.img != nil {
		s.img.Close()
		s.img = nil
	}
}
