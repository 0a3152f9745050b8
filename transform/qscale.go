package transform

import (
	"math"

	"github.com/davidbyttow/govips/v2/vips"
	"github.com/pixmill/pixmill/transform/spec"
)

// qScaleRow is one line of the generated table (qscale_table.go): the
// WebP and AVIF qualities that look like JPEG at quality JPEG, judged by
// the median butteraugli distance on photos (bench/quality).
type qScaleRow struct {
	JPEG, WebP, AVIF int
	Distance         float64
}

// qScaleAt is the table measured at one output size: the images' longer
// side in pixels.
type qScaleAt struct {
	Side int
	Rows []qScaleRow
}

// scaledQuality is the quality of format f that looks like JPEG at q in an
// image whose longer side is side pixels. The WebP and AVIF settings that
// match JPEG's look rise with the size (at 1600 px JPEG q80 needs AVIF's 72,
// at 800 px its 64), so each measured size has its table; between sizes the
// setting is interpolated in log size, and outside them the nearest size's
// is used. JPEG and PNG take q as it is.
func scaledQuality(f spec.Format, q, side int) int {
	if (f != spec.FormatWebP && f != spec.FormatAVIF) || len(qScales) == 0 {
		return q
	}
	lo, hi := qScales[0], qScales[len(qScales)-1]
	for _, t := range qScales {
		if t.Side <= side {
			lo = t
		}
	}
	for i := len(qScales) - 1; i >= 0; i-- {
		if qScales[i].Side >= side {
			hi = qScales[i]
		}
	}
	a, b := scaledAt(lo.Rows, f, q), scaledAt(hi.Rows, f, q)
	v := a
	if hi.Side > lo.Side {
		v += (b - a) * math.Log(float64(side)/float64(lo.Side)) / math.Log(float64(hi.Side)/float64(lo.Side))
	}
	return min(max(int(math.Round(v)), 1), 100)
}

// scaledAt is one size's table: its setting for JPEG's q, interpolated
// linearly between rows, and towards 1 and 100 beyond its ends.
func scaledAt(rows []qScaleRow, f spec.Format, q int) float64 {
	pick := func(r qScaleRow) float64 {
		if f == spec.FormatAVIF {
			return float64(r.AVIF)
		}
		return float64(r.WebP)
	}
	lo := qScaleRow{JPEG: 1, WebP: 1, AVIF: 1}
	for _, hi := range append(rows, qScaleRow{JPEG: 100, WebP: 100, AVIF: 100}) {
		if q <= hi.JPEG {
			if hi.JPEG == lo.JPEG {
				return pick(hi)
			}
			return pick(lo) + float64(q-lo.JPEG)*(pick(hi)-pick(lo))/float64(hi.JPEG-lo.JPEG)
		}
		lo = hi
	}
	return float64(q)
}

// quality is the encoder quality for format f under opts, for an image
// whose longer side is side pixels: the URL's override for f, else the
// URL's q on the scale, else the configured override for f, else the
// configured default on the scale.
func (c Config) quality(f spec.Format, opts spec.Options, side int) int {
	if q := opts.QualityFor.Of(f); q > 0 {
		return q
	}
	if opts.Quality > 0 {
		return scaledQuality(f, opts.Quality, side)
	}
	if q := c.Quality[f]; q > 0 {
		return q
	}
	def := c.DefaultQuality
	if def == 0 {
		def = DefaultConfig().DefaultQuality
	}
	if f == spec.FormatPNG {
		return 100 // PNG below 100 is a palette: lossy only when asked
	}
	return scaledQuality(f, def, side)
}

// ScaledQuality is scaledQuality, for bench/quality.
func ScaledQuality(f spec.Format, q, side int) int { return scaledQuality(f, q, side) }

// longSide is the longer side of one frame of img: what the q scale's
// tables are measured by.
func longSide(img *vips.ImageRef) int { return max(img.Width(), img.PageHeight()) }
