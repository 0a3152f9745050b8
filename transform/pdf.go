package transform

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/internal/fault"
	"github.com/pixmill/pixmill/transform/spec"
)

// rasterizePDF renders the page opts ask for (page=, 1-based) at its
// density (dpi; PDF's own 72 when unset) onto white paper, and returns it
// as a lossless raster with its Info. Every later step then reads a
// one-page image like any other source, and loads only what the URL asked
// for. The density is lowered to what keeps the page within the pixel limit
// (limits.max_source_pixels): a URL cannot make a page cost more than a
// photo may.
func rasterizePDF(buf []byte, info Info, opts spec.Options, cfg Config) ([]byte, Info, error) {
	page := max(opts.Page, 1)
	if page > info.Pages {
		return nil, info, fault.New(fault.BadRequest, "page %d: the PDF has %d page(s)", page, info.Pages)
	}
	params := vips.NewImportParams()
	params.Page.Set(page - 1)
	head, err := vips.LoadImageFromBuffer(buf, params)
	if err != nil {
		return nil, info, decodeError(err)
	}
	w, h := head.Width(), head.Height()
	head.Close()
	density := opts.Density
	if density == 0 {
		density = spec.DefaultDensity
	}
	density = capDensity(density, w, h, cfg.MaxSourcePixels)

	params.Density.Set(density)
	img, err := vips.LoadImageFromBuffer(buf, params)
	if err != nil {
		return nil, info, decodeError(err)
	}
	defer img.Close()
	if img.HasAlpha() {
		if err := img.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
			return nil, info, undecodable(err)
		}
	}
	out, _, err := img.ExportPng(&vips.PngExportParams{StripMetadata: true, Compression: 1})
	if err != nil {
		return nil, info, undecodable(err)
	}
	info.Width, info.Height = img.Width(), img.Height()
	info.Orientation, info.Frames, info.HasAlpha = 1, 1, false
	info.Page, info.Density = page, density
	if err := checkLimits(info, cfg); err != nil {
		return nil, info, err
	}
	return out, info, nil
}

// capDensity is the highest dpi, at most asked, at which a page of w×h
// points at 72 dpi stays within maxPixels (0: no limit); at least 1.
func capDensity(asked, w, h int, maxPixels int64) int {
	if maxPixels <= 0 || w <= 0 || h <= 0 {
		return asked
	}
	fit := spec.DefaultDensity * math.Sqrt(float64(maxPixels)/(float64(w)*float64(h)))
	// The page's pixels are rounded per side: one dpi under the bound
	// keeps the rounding from crossing it.
	if d := int(math.Floor(fit)) - 1; asked > d {
		return max(d, 1)
	}
	return asked
}
