package presets

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/internal/fault"
)

// The URLs that the Cloudflare loaders shipped by frameworks produce, as
// their documentation writes them (the source key varies):
var (
	// Next.js, Cloudflare's "Integrate with frameworks" page
	// (developers.cloudflare.com/images/transform-images/integrate-with-frameworks/):
	// params = [`width=${width}`]; if (quality) params.push(`quality=${quality}`);
	// `/cdn-cgi/image/${params.join(',')}/${normalizeSrc(src)}` (leading "/" of src stripped).
	cfNextCloudflareDocs = "/cdn-cgi/image/width=640,quality=75/photos/cat.jpg"
	// Next.js, nextjs.org/docs/app/api-reference/config/next-config-js/images
	// ("Cloudflare" loader example): params = [`width=${width}`,
	// `quality=${quality || 75}`, 'format=auto']; `…/cdn-cgi/image/${params.join(',')}/${src}`,
	// src kept as given, so a src of "/photos/cat.jpg" gives two slashes.
	cfNextDocs = "/cdn-cgi/image/width=828,quality=75,format=auto//photos/cat.jpg"
	// Astro, @astrojs/cloudflare image service (dist/entrypoints/image-service.js,
	// imageService: 'cloudflare'): ["onerror=redirect", width, height, quality,
	// fit, format] joined with "," under joinPaths(BASE_URL, "/cdn-cgi/image", …, src),
	// src "/_astro/<name>.<hash>.<ext>".
	cfAstro = "/cdn-cgi/image/onerror=redirect,width=800,height=600,format=webp/_astro/cat.BX9x2aQ4.jpg"
	// unpic, src/providers/cloudflare.ts generate() and its test
	// ("should generate a Cloudflare URL without a domain"): keyMap format→f,
	// defaults f=auto and fit=cover.
	cfUnpic = "/cdn-cgi/image/width=200,height=100,f=webp,fit=cover/uploads/generic/avatar-sample.jpeg"
	// unpic's transform() test: a background, f=auto.
	cfUnpicBackground = "/cdn-cgi/image/background=red,width=100,height=200,f=auto,fit=cover/uploads/generic/avatar-sample.jpeg"
)

// cfPresets are the public presets a site serving those loaders would
// configure: the loader's fixed options, its widths on the ladder.
func cfPresets(c *Config) {
	c.Presets = map[string]Preset{
		// Next.js' default deviceSizes and imageSizes.
		"next":     {Transform: "q=75", Widths: []int{16, 32, 48, 64, 96, 128, 256, 384, 640, 750, 828, 1080, 1200, 1920, 2048, 3840}, Public: true},
		"nextauto": {Transform: "q=75,f=auto", Widths: []int{640, 750, 828, 1080, 1200, 1920, 2048, 3840}, Public: true},
		"astro":    {Transform: "w=800,h=600,f=webp", Widths: []int{400, 800}, Public: true},
		"avatar":   {Transform: "w=200,h=100,fit=cover,f=webp", Widths: []int{200, 400}, Public: true},
		"red":      {Transform: "w=100,h=200,fit=cover,bg=ff0000,f=auto", Public: true},
		"secret":   {Transform: "w=640,q=75,blur=5"}, // not public
	}
}

// Each row: a Cloudflare-style path, the _ path it means with signing on
// (or the error kind), and the transform it translates to with
// signing.allow_unsigned (translation alone).
var cloudflareRows = []struct {
	path     string
	strict   string     // the _ path, "" when refused
	kind     fault.Kind // the refusal's kind
	unsigned string     // the _ path with allow_unsigned, "" when refused
}{
	{cfNextCloudflareDocs, "/_/next,width=640/photos/cat.jpg", 0, "/_/width=640,quality=75/photos/cat.jpg"},
	{cfNextDocs, "/_/nextauto,width=828/photos/cat.jpg", 0, "/_/width=828,quality=75,format=auto/photos/cat.jpg"},
	{cfAstro, "/_/astro/_astro/cat.BX9x2aQ4.jpg", 0, "/_/width=800,height=600,format=webp/_astro/cat.BX9x2aQ4.jpg"},
	{strings.Replace(cfAstro, "width=800,height=600", "width=400,height=300", 1), "/_/astro,width=400/_astro/cat.BX9x2aQ4.jpg", 0, "/_/width=400,height=300,format=webp/_astro/cat.BX9x2aQ4.jpg"},
	{cfUnpic, "/_/avatar/uploads/generic/avatar-sample.jpeg", 0, "/_/width=200,height=100,format=webp,fit=cover/uploads/generic/avatar-sample.jpeg"},
	{cfUnpicBackground, "/_/red/uploads/generic/avatar-sample.jpeg", 0, "/_/background=ff0000,width=100,height=200,format=auto,fit=cover/uploads/generic/avatar-sample.jpeg"},
	// dpr rides along, as on _ URLs; the Cloudflare short names.
	{"/cdn-cgi/image/w=640,q=75,dpr=2/k.jpg", "/_/next,width=640,dpr=2/k.jpg", 0, "/_/width=640,quality=75,dpr=2/k.jpg"},
	{"/cdn-cgi/image/width=640,quality=75,compression=fast,slow-connection-quality=30/k.jpg", "/_/next,width=640/k.jpg", 0, "/_/width=640,quality=75/k.jpg"},
	// Off the ladder, or meaning only a private preset: 403, as on _ URLs.
	{"/cdn-cgi/image/width=641,quality=75/k.jpg", "", fault.Forbidden, "/_/width=641,quality=75/k.jpg"},
	{"/cdn-cgi/image/width=640,quality=75,blur=5/k.jpg", "", fault.Forbidden, "/_/width=640,quality=75,blur=5/k.jpg"},
	{"/cdn-cgi/image/width=640,quality=80/k.jpg", "", fault.Forbidden, "/_/width=640,quality=80/k.jpg"},
	// Colours: CSS names, #rgb, %23rrggbb.
	{"/cdn-cgi/image/background=%23f00,width=100,height=200,fit=cover,f=auto/k.jpg", "/_/red/k.jpg", 0, "/_/background=ff0000,width=100,height=200,fit=cover,format=auto/k.jpg"},
	{"/cdn-cgi/image/background=%23f00,width=100,height=200,fit=cover/k.jpg", "", fault.Forbidden, "/_/background=ff0000,width=100,height=200,fit=cover/k.jpg"}, // format=auto is not no format,
	{"/cdn-cgi/image/background=%23ff000080/k.jpg", "", fault.Forbidden, "/_/background=ff000080/k.jpg"},
	{"/cdn-cgi/image/trim=border,baseline-jpeg=1/k.jpg", "", fault.BadRequest, ""},
	{"/cdn-cgi/image/trim=border,format=baseline-jpeg/k.jpg", "", fault.Forbidden, "/_/trim=auto,format=jpeg/k.jpg"},
	// Malformed: 400 before any authorization question.
	{"/cdn-cgi/image/width=640/", "", fault.BadRequest, ""},
	{"/cdn-cgi/image/width=640", "", fault.BadRequest, ""},
	{"/cdn-cgi/image/zoomed=0.5/k.jpg", "", fault.BadRequest, ""},
	{"/cdn-cgi/image/zoom=2,gravity=face/k.jpg", "", fault.BadRequest, "/_/zoom=2,gravity=face/k.jpg"},
	{"/cdn-cgi/image/width/k.jpg", "", fault.BadRequest, ""},
	{"/cdn-cgi/image/width=abc/k.jpg", "", fault.BadRequest, "/_/width=abc/k.jpg"},
	{"/cdn-cgi/image/width=640,quality=75/..%2Fetc/k.jpg", "", fault.BadRequest, "/_/width=640,quality=75/..%2Fetc/k.jpg"},
}

func TestCloudflarePath(t *testing.T) {
	strict := newParser(t, cfPresets)
	open := newParser(t, cfPresets, allowUnsigned)
	for _, tt := range cloudflareRows {
		rest := strings.TrimPrefix(tt.path, CloudflarePrefix)
		got, err := strict.CloudflarePath(rest)
		switch {
		case tt.strict == "" && err == nil:
			t.Errorf("%s: got %s, want %v", tt.path, got, tt.kind)
		case tt.strict == "" && fault.KindOf(err) != tt.kind:
			t.Errorf("%s: got %v %v, want %v", tt.path, fault.KindOf(err), err, tt.kind)
		case tt.strict != "" && (err != nil || got != tt.strict):
			t.Errorf("%s: got %q, %v; want %q", tt.path, got, err, tt.strict)
		}
		gotOpen, err := open.CloudflarePath(rest)
		if tt.unsigned == "" {
			if err == nil {
				t.Errorf("%s (allow_unsigned): got %s, want an error", tt.path, gotOpen)
			}
		} else if err != nil || gotOpen != tt.unsigned {
			t.Errorf("%s (allow_unsigned): got %q, %v; want %q", tt.path, gotOpen, err, tt.unsigned)
		}
		// What the strict route serves, the _ rules serve, and it means
		// what the options say.
		if tt.strict == "" || tt.unsigned == "" {
			continue
		}
		a, err := strict.Parse(got)
		if err != nil {
			t.Errorf("%s: Parse(%s): %v", tt.path, got, err)
			continue
		}
		b, err := open.Parse(gotOpen)
		if err != nil {
			t.Errorf("%s: Parse(%s): %v", tt.path, gotOpen, err)
			continue
		}
		if !reflect.DeepEqual(a.Options, b.Options) || a.Key != b.Key {
			t.Errorf("%s: preset form %+v, translation %+v", tt.path, a.Options, b.Options)
		}
	}
}

// FuzzCloudflarePath: never panics, fails with 400 or 403 only, and what it
// returns is a _ path that Parse accepts; with signing on, it means what
// the translation alone means.
func FuzzCloudflarePath(f *testing.F) {
	for _, r := range cloudflareRows {
		f.Add(strings.TrimPrefix(r.path, CloudflarePrefix))
	}
	strict := newParser(f, cfPresets)
	open := newParser(f, cfPresets, allowUnsigned)
	f.Fuzz(func(t *testing.T, rest string) {
		var got [2]Request
		for i, p := range []*Parser{strict, open} {
			path, err := p.CloudflarePath(rest)
			if err != nil {
				if k := fault.KindOf(err); k != fault.BadRequest && k != fault.Forbidden {
					t.Fatalf("CloudflarePath(%q): kind %v: %v", rest, k, err)
				}
				return
			}
			req, err := p.Parse(path)
			if err != nil {
				if i == 0 {
					t.Fatalf("CloudflarePath(%q) = %q, which Parse refuses: %v", rest, path, err)
				}
				return
			}
			got[i] = req
		}
		if !reflect.DeepEqual(got[0].Options, got[1].Options) {
			t.Fatalf("%q: preset form %+v, translation %+v", rest, got[0].Options, got[1].Options)
		}
	})
}
