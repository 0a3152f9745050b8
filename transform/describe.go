package transform

import (
	"context"
	"encoding/json"
	"time"

	"github.com/pixmill/pixmill/transform/spec"
)

// Description is the f=json answer: the source as its header tells it, and
// what the same URL without f=json would produce.
type Description struct {
	Width       int         `json:"width"`
	Height      int         `json:"height"`
	Format      string      `json:"format"`
	Orientation int         `json:"orientation"`
	Frames      int         `json:"frames"`
	Pages       int         `json:"pages,omitempty"`   // a PDF's page count
	Page        int         `json:"page,omitempty"`    // the PDF page rendered (1-based)
	Density     int         `json:"density,omitempty"` // its dpi, after the pixel limit's cap
	HasAlpha    bool        `json:"has_alpha"`
	Output      OutputShape `json:"output"`
	Crop        *Rect       `json:"crop,omitempty"`       // in the pixels of Width×Height, before rotate and flip
	Region      *Rect       `json:"region,omitempty"`     // the URL's crop=/trim window, in the same pixels
	FocusedBy   string      `json:"focused_by,omitempty"` // faces, saliency (sidecar) or attention (libvips)
	Faces       []Box       `json:"faces,omitempty"`
	// Degraded is set when the crop is a fallback (the sidecar did not
	// answer): the answer is then cached briefly, not as a whole one.
	Degraded string `json:"degraded,omitempty"`
	// Animation says why an animation gives its first frame only.
	Animation string `json:"animation,omitempty"`
	// Adjust is the colour adjustments, when any is set.
	Adjust *Adjust `json:"adjust,omitempty"`
	// MaxBytes is how max_bytes was met (the image is rendered to know).
	MaxBytes *BytesFit `json:"max_bytes,omitempty"`
	// QualityAuto is how q=auto chose (the image is rendered to know).
	QualityAuto *AutoQuality `json:"quality_auto,omitempty"`
	// Watermark is where wm= is drawn, in the output's pixels.
	Watermark *Rect `json:"watermark,omitempty"`
	// Expires is the URL's exp= (Unix seconds), when it has one.
	Expires int64 `json:"expires,omitempty"`
}

// Adjust is the colour factors f=json reports (1 = no change).
type Adjust struct {
	Brightness float64 `json:"brightness"`
	Contrast   float64 `json:"contrast"`
	Gamma      float64 `json:"gamma"`
	Saturation float64 `json:"saturation"`
}

func adjustOf(o spec.Options) *Adjust {
	if !o.Adjusts() {
		return nil
	}
	one := func(f float64) float64 {
		if f == 0 {
			return 1
		}
		return f
	}
	a := &Adjust{Brightness: one(o.Brightness), Contrast: one(o.Contrast), Gamma: one(o.Gamma), Saturation: 1}
	if o.Saturation != nil {
		a.Saturation = *o.Saturation
	}
	return a
}

// OutputShape is the rendered size and format.
type OutputShape struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Format string `json:"format"`
}

// Box is a region as fractions of the oriented source.
type Box struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	Score  float64 `json:"score,omitempty"`
}

// renderDescription is f=json as one more output of Render: the
// Description as JSON, with what a caching decision needs (Degraded).
func (r *Renderer) renderDescription(ctx context.Context, orig Original, opts spec.Options, accept string) (Result, error) {
	start := time.Now()
	d, err := r.Describe(ctx, orig, opts, accept)
	if err != nil {
		return Result{}, err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return Result{}, err
	}
	return Result{
		Body:      append(b, '\n'),
		Format:    spec.FormatJSON,
		Width:     d.Output.Width,
		Height:    d.Output.Height,
		FocusedBy: d.FocusedBy,
		Degraded:  d.Degraded,
		Transform: time.Since(start),
	}, nil
}

// Describe answers f=json. It decodes pixels only when the crop's place must
// be found from them (g=auto, g=face), and then only at the scaled size,
// or to find a border (trim=auto), or renders the image whole when only
// encoding tells (max_bytes).
func (r *Renderer) Describe(ctx context.Context, orig Original, opts spec.Options, accept string) (Description, error) {
	plan, buf, err := r.prepare(orig.Data, opts, accept)
	if err != nil {
		return Description{}, err
	}
	if plan.Focus {
		s := &state{ctx: ctx, cfg: r.cfg, buf: buf, plan: plan, vision: r.vision, sourceID: orig.ID}
		steps := []step{{"focus", focus}}
		err := s.run(steps)
		if err == nil && plan.Focus { // the sidecar did not place it: attention does
			err = s.run(attentionSteps)
		}
		s.close()
		if err != nil {
			return Description{}, err
		}
	}
	src := plan.Source
	var faces []Box
	for _, f := range plan.Faces {
		faces = append(faces, Box{X: f.X, Y: f.Y, Width: f.Width, Height: f.Height, Score: f.Score})
	}
	d := Description{
		Faces:       faces,
		FocusedBy:   plan.FocusedBy,
		Degraded:    plan.Degraded,
		Width:       src.Width,
		Height:      src.Height,
		Format:      src.Format,
		Orientation: src.Orientation,
		Frames:      src.Frames,
		Pages:       src.Pages,
		Page:        src.Page,
		Density:     src.Density,
		HasAlpha:    src.HasAlpha,
		Output:      OutputShape{Width: plan.CanvasW, Height: plan.CanvasH, Format: string(plan.Format)},
		Crop:        plan.KeptSource(),
		Region:      plan.Window,
		Animation:   plan.Animation,
		Expires:     plan.Options.Expires,
		Adjust:      adjustOf(plan.Options),
	}
	if w := plan.Options.Watermark; w != nil {
		info, err := probeWatermark(orig.Watermark, r.cfg, w.Key)
		if err != nil {
			return Description{}, err
		}
		at := placeWatermark(info, plan.CanvasW, plan.CanvasH, *w)
		d.Watermark = &at
	}
	if plan.Options.MaxBytes > 0 || plan.Options.QualityAuto != "" {
		// The quality and size that fit, or the quality q=auto keeps, are
		// found by encoding: render.
		res, err := r.renderImage(ctx, orig, opts, accept)
		if err != nil {
			return Description{}, err
		}
		d.MaxBytes, d.QualityAuto = res.Fit, res.Auto
		d.Output.Width, d.Output.Height = res.Width, res.Height
	}
	return d, nil
}
