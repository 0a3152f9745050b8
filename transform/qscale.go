package transform

import "github.com/pixmill/pixmill/transform/spec"

// qScaleRow is one line of the generated table (qscale_table.go): the
// WebP and AVIF qualities that look like JPEG at quality JPEG, judged by
// the median butteraugli distance on photos (bench/quality).
type qScaleRow struct {
	JPEG, WebP, AVIF int
	Distance         float64
}

// scaledQuality is the quality of format f that looks like JPEG at q: the
// table's, interpolated linearly between its rows, and towards 1 and 100
// beyond its ends. JPEG and PNG take q as it is.
func scaledQuality(f spec.Format, q int) int {
	pick := func(r qScaleRow) int {
		if f == spec.FormatAVIF {
			return r.AVIF
		}
		return r.WebP
	}
	if (f != spec.FormatWebP && f != spec.FormatAVIF) || len(qScale) == 0 {
		return q
	}
	lo := qScaleRow{JPEG: 1, WebP: 1, AVIF: 1}
	for _, hi := range append(qScale, qScaleRow{JPEG: 100, WebP: 100, AVIF: 100}) {
		if q <= hi.JPEG {
			a, b := pick(lo), pick(hi)
			if hi.JPEG == lo.JPEG {
				return b
			}
			v := a + ((q-lo.JPEG)*(b-a)+(hi.JPEG-lo.JPEG)/2)/(hi.JPEG-lo.JPEG)
			return min(max(v, 1), 100)
		}
		lo = hi
	}
	return q
}

// quality is the encoder quality for format f under opts: the URL's
// override for f, else the URL's q on the scale, else the configured
// override for f, else the configured default on the scale.
func (c Config) quality(f spec.Format, opts spec.Options) int {
	if q := opts.QualityFor.Of(f); q > 0 {
		return q
	}
	if opts.Quality > 0 {
		return scaledQuality(f, opts.Quality)
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
	return scaledQuality(f, def)
}

// ScaledQuality is scaledQuality, for bench/quality.
func ScaledQuality(f spec.Format, q int) int { return scaledQuality(f, q) }
