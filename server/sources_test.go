package server

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/pixmill/pixmill/source"
	"github.com/pixmill/pixmill/transform"
	"github.com/pixmill/pixmill/transform/spec"
)

// TestSourceNameInValidators: a named source's name is in its ETags and
// purge tags, so that the same key and bytes behind two sources never
// share one; the default source's are those of a single-source server.
func TestSourceNameInValidators(t *testing.T) {
	const version, canonical = "abc-123", "w=64,f=jpeg"
	sum := sha256.Sum256([]byte(version + "\x00" + canonical + "\x00jpeg\x00" + transform.PipelineVersion))
	single := `"` + base64.RawURLEncoding.EncodeToString(sum[:15]) + `"`
	if got := variantETag(source.Default, version, canonical, spec.Options{Format: spec.FormatJPEG}, ""); got != single {
		t.Errorf("default source ETag %s, want the single-source %s", got, single)
	}
	etags := map[string]bool{}
	for _, name := range []string{source.Default, "media", "web"} {
		etags[variantETag(name, version, canonical, spec.Options{Format: spec.FormatJPEG}, "")] = true
	}
	if len(etags) != 3 {
		t.Errorf("ETags per source: %v, want three", etags)
	}

	tagSum := sha256.Sum256([]byte("media/cat.jpg"))
	if got, want := purgeTag(source.Ref{Source: source.Default, Key: "media/cat.jpg"}), "src-"+base64.RawURLEncoding.EncodeToString(tagSum[:12]); got != want {
		t.Errorf("default purge tag %s, want the single-source %s", got, want)
	}
	tags := map[string]source.Ref{}
	for _, ref := range []source.Ref{
		{Source: source.Default, Key: "media/cat.jpg"}, // a default key from before "media" existed
		{Source: "media", Key: "cat.jpg"},
		{Source: "web", Key: "cat.jpg"},
		{Source: "media", Key: "web/cat.jpg"},
		{Source: "media/web", Key: "cat.jpg"},
	} {
		tag := purgeTag(ref)
		if other, ok := tags[tag]; ok {
			t.Errorf("%+v and %+v share the purge tag %s", ref, other, tag)
		}
		tags[tag] = ref
	}
}
