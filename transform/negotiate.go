package transform

import (
	"strconv"
	"strings"

	"github.com/pixmill/pixmill/transform/spec"
)

// Negotiate picks the output format. Only f=auto depends on Accept (the
// server sends Vary: Accept for exactly those URLs, decided from the URL
// before any render, so that a 304 carries it too).
//
//   - auto: AVIF if accepted, else WebP if accepted, else PNG when the source
//     has alpha, else JPEG. An animation that is kept prefers WebP, the one
//     output format here that animates.
//   - unset: the source's own format where browsers show it (JPEG, PNG, WebP,
//     AVIF); animated GIF becomes WebP, still GIF becomes PNG; anything else
//     becomes PNG with alpha, JPEG without. Not negotiated.
//   - anything else: as asked.
func Negotiate(asked spec.Format, accept string, info Info, keepAnimation bool) spec.Format {
	animated := info.Animated() && keepAnimation
	switch asked {
	case spec.FormatAuto:
		a := ParseAccept(accept)
		switch {
		case animated && a.WebP:
			return spec.FormatWebP
		case a.AVIF && !animated:
			return spec.FormatAVIF
		case a.WebP:
			return spec.FormatWebP
		case info.HasAlpha:
			return spec.FormatPNG
		default:
			return spec.FormatJPEG
		}
	case spec.FormatUnset:
		switch info.Format {
		case "jpeg":
			return spec.FormatJPEG
		case "png":
			return spec.FormatPNG
		case "webp":
			return spec.FormatWebP
		case "avif":
			return spec.FormatAVIF
		case "gif":
			if animated {
				return spec.FormatWebP
			}
			return spec.FormatPNG
		}
		if info.HasAlpha {
			return spec.FormatPNG
		}
		return spec.FormatJPEG
	}
	return asked
}

// Accepted is what an Accept header allows among the negotiable formats.
type Accepted struct{ AVIF, WebP bool }

// Class names what negotiation can tell apart in an Accept header, so that
// equivalent headers share one variant (one ETag, one cache entry): the
// format Negotiate picks for f=auto depends on nothing else of Accept.
func (a Accepted) Class() string {
	switch {
	case a.AVIF && a.WebP:
		return "avif+webp"
	case a.AVIF:
		return "avif"
	case a.WebP:
		return "webp"
	}
	return "none"
}

// ParseAccept reads the image types an Accept header names with q > 0.
// Wildcards do not count: browsers send */* without being able to show AVIF.
func ParseAccept(h string) Accepted {
	var a Accepted
	for len(h) > 0 {
		var item string
		item, h, _ = strings.Cut(h, ",")
		mediaType, params, _ := strings.Cut(item, ";")
		mediaType = strings.ToLower(strings.TrimSpace(mediaType))
		if mediaType != "image/avif" && mediaType != "image/webp" {
			continue
		}
		if qZero(params) {
			continue
		}
		if mediaType == "image/avif" {
			a.AVIF = true
		} else {
			a.WebP = true
		}
	}
	return a
}

func qZero(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return err == nil && q <= 0
	}
	return false
}

// ContentType is the MIME type of an output format.
func ContentType(f spec.Format) string {
	switch f {
	case spec.FormatAVIF:
		return "image/avif"
	case spec.FormatWebP:
		return "image/webp"
	case spec.FormatJPEG:
		return "image/jpeg"
	case spec.FormatPNG:
		return "image/png"
	case spec.FormatJSON:
		return "application/json"
	}
	return "application/octet-stream"
}

// Extension is the file extension of an output format, without the dot.
func Extension(f spec.Format) string {
	if f == spec.FormatJPEG {
		return "jpg"
	}
	return string(f)
}
