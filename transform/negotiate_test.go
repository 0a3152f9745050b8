package transform

import (
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

const (
	chromeAccept  = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	safari14      = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"
	firefoxLegacy = "image/webp,*/*"
)

func TestNegotiate(t *testing.T) {
	photo := Info{Format: "jpeg", Width: 100, Height: 100, Frames: 1}
	alpha := Info{Format: "png", Width: 100, Height: 100, Frames: 1, HasAlpha: true}
	animGIF := Info{Format: "gif", Width: 100, Height: 100, Frames: 10, HasAlpha: true}
	stillGIF := Info{Format: "gif", Width: 100, Height: 100, Frames: 1, HasAlpha: true}
	animWebP := Info{Format: "webp", Width: 100, Height: 100, Frames: 10, HasAlpha: true}
	src := func(format string, alpha bool) Info {
		return Info{Format: format, Width: 10, Height: 10, Frames: 1, HasAlpha: alpha}
	}

	tests := []struct {
		name     string
		asked    spec.Format
		accept   string
		info     Info
		keepAnim bool
		want     spec.Format
	}{
		// auto: AVIF, then WebP, then PNG for alpha, else JPEG
		{"auto chrome", spec.FormatAuto, chromeAccept, photo, true, spec.FormatAVIF},
		{"auto safari 14", spec.FormatAuto, safari14, photo, true, spec.FormatWebP},
		{"auto webp and wildcard", spec.FormatAuto, firefoxLegacy, photo, true, spec.FormatWebP},
		{"auto wildcard only", spec.FormatAuto, "*/*", photo, true, spec.FormatJPEG},
		{"auto image wildcard", spec.FormatAuto, "image/*", photo, true, spec.FormatJPEG},
		{"auto empty accept", spec.FormatAuto, "", photo, true, spec.FormatJPEG},
		{"auto avif refused", spec.FormatAuto, "image/avif;q=0,image/webp", photo, true, spec.FormatWebP},
		{"auto avif refused with spaces", spec.FormatAuto, "image/avif ; q=0 , image/webp ;q=0.9", photo, true, spec.FormatWebP},
		{"auto all refused", spec.FormatAuto, "image/avif;q=0, image/webp;q=0.0, */*", photo, true, spec.FormatJPEG},
		{"auto upper case", spec.FormatAuto, "IMAGE/AVIF, Image/WebP", photo, true, spec.FormatAVIF},
		{"auto alpha without modern formats", spec.FormatAuto, "*/*", alpha, true, spec.FormatPNG},
		{"auto alpha with webp", spec.FormatAuto, "image/webp", alpha, true, spec.FormatWebP},
		{"auto alpha with avif", spec.FormatAuto, chromeAccept, alpha, true, spec.FormatAVIF},
		// an animation that is kept needs WebP
		{"auto animated chrome", spec.FormatAuto, chromeAccept, animGIF, true, spec.FormatWebP},
		{"auto animated avif only", spec.FormatAuto, "image/avif", animGIF, true, spec.FormatPNG},
		{"auto animated anim=false", spec.FormatAuto, chromeAccept, animGIF, false, spec.FormatAVIF},
		{"auto animated webp source", spec.FormatAuto, chromeAccept, animWebP, true, spec.FormatWebP},
		// unset: the source's format where browsers show it
		{"unset jpeg", spec.FormatUnset, chromeAccept, src("jpeg", false), true, spec.FormatJPEG},
		{"unset png", spec.FormatUnset, chromeAccept, src("png", true), true, spec.FormatPNG},
		{"unset png opaque", spec.FormatUnset, "", src("png", false), true, spec.FormatPNG},
		{"unset webp", spec.FormatUnset, "", src("webp", false), true, spec.FormatWebP},
		{"unset avif", spec.FormatUnset, "", src("avif", true), true, spec.FormatAVIF},
		{"unset animated gif", spec.FormatUnset, "", animGIF, true, spec.FormatWebP},
		{"unset animated gif anim=false", spec.FormatUnset, "", animGIF, false, spec.FormatPNG},
		{"unset still gif", spec.FormatUnset, "", stillGIF, true, spec.FormatPNG},
		{"unset animated webp", spec.FormatUnset, "", animWebP, true, spec.FormatWebP},
		{"unset heif", spec.FormatUnset, chromeAccept, src("heif", false), true, spec.FormatJPEG},
		{"unset heif alpha", spec.FormatUnset, "", src("heif", true), true, spec.FormatPNG},
		{"unset tiff", spec.FormatUnset, "", src("tiff", false), true, spec.FormatJPEG},
		{"unset tiff alpha", spec.FormatUnset, "", src("tiff", true), true, spec.FormatPNG},
		{"unset jp2k", spec.FormatUnset, "", src("jp2k", false), true, spec.FormatJPEG},
		{"unset jxl", spec.FormatUnset, "", src("jxl", false), true, spec.FormatJPEG},
		// explicit formats are what was asked, whatever Accept says
		{"explicit avif", spec.FormatAVIF, "*/*", photo, true, spec.FormatAVIF},
		{"explicit webp", spec.FormatWebP, "", photo, true, spec.FormatWebP},
		{"explicit jpeg of alpha", spec.FormatJPEG, chromeAccept, alpha, true, spec.FormatJPEG},
		{"explicit png", spec.FormatPNG, chromeAccept, photo, true, spec.FormatPNG},
		{"explicit png of animation", spec.FormatPNG, chromeAccept, animGIF, true, spec.FormatPNG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Negotiate(tt.asked, tt.accept, tt.info, tt.keepAnim); got != tt.want {
				t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.asked, tt.accept, got, tt.want)
			}
		})
	}
}

func TestParseAccept(t *testing.T) {
	tests := []struct {
		header string
		want   Accepted
	}{
		{"", Accepted{}},
		{"*/*", Accepted{}},
		{"image/*", Accepted{}},
		{"image/avif", Accepted{AVIF: true}},
		{"image/webp", Accepted{WebP: true}},
		{chromeAccept, Accepted{AVIF: true, WebP: true}},
		{safari14, Accepted{WebP: true}},
		{"image/avif;q=0", Accepted{}},
		{"image/avif;q=0.0, image/webp;q=0.000", Accepted{}},
		{"image/avif;q=0.1", Accepted{AVIF: true}},
		{"image/avif; q=0", Accepted{}},
		{"image/avif;Q=0", Accepted{}},
		{"image/avif ;  q = 0 ", Accepted{}},
		{"image/avif;level=1;q=0", Accepted{}},
		{"image/avif;q=1, image/webp;q=0", Accepted{AVIF: true}},
		{"  IMAGE/AVIF  ,  image/WEBP  ", Accepted{AVIF: true, WebP: true}},
		{"text/html,application/xhtml+xml,image/webp", Accepted{WebP: true}},
		{"image/avifx, image/webpp, xImage/avif", Accepted{}},
		{"image/avif;q=abc", Accepted{AVIF: true}},
		{",,,image/webp,,", Accepted{WebP: true}},
	}
	for _, tt := range tests {
		if got := ParseAccept(tt.header); got != tt.want {
			t.Errorf("ParseAccept(%q) = %+v, want %+v", tt.header, got, tt.want)
		}
	}
}

// Equivalent Accept headers fall into one class (one variant per class).
func TestAcceptClass(t *testing.T) {
	for _, tt := range []struct{ header, want string }{
		{chromeAccept, "avif+webp"},
		{"image/webp;q=0.9, image/avif", "avif+webp"},
		{"image/avif", "avif"},
		{safari14, "webp"},
		{"image/avif;q=0, image/webp", "webp"},
		{"*/*", "none"},
		{"", "none"},
	} {
		if got := ParseAccept(tt.header).Class(); got != tt.want {
			t.Errorf("class of %q = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestContentTypeAndExtension(t *testing.T) {
	tests := []struct {
		f         spec.Format
		mime, ext string
	}{
		{spec.FormatAVIF, "image/avif", "avif"},
		{spec.FormatWebP, "image/webp", "webp"},
		{spec.FormatJPEG, "image/jpeg", "jpg"},
		{spec.FormatPNG, "image/png", "png"},
		{spec.FormatJSON, "application/json", "json"},
	}
	for _, tt := range tests {
		if got := ContentType(tt.f); got != tt.mime {
			t.Errorf("ContentType(%q) = %q, want %q", tt.f, got, tt.mime)
		}
		if got := Extension(tt.f); got != tt.ext {
			t.Errorf("Extension(%q) = %q, want %q", tt.f, got, tt.ext)
		}
	}
}
