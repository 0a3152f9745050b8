package transform

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

// exiftool finds exiftool (scripts/install-exiftool.sh, run by make
// test-deps); outside CI a machine without it skips, in CI it fails.
func exiftool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("exiftool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("exiftool is not installed (scripts/install-exiftool.sh)")
		}
		t.Skip("exiftool is not installed (scripts/install-exiftool.sh)")
	}
	return p
}

// exifTags reads every tag of an image with exiftool, keyed "Group:Tag".
func exifTags(t *testing.T, bin string, body []byte) map[string]any {
	t.Helper()
	f := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(f, body, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-j", "-G1", "-a", "-charset", "iptc=UTF8", f).Output()
	if err != nil {
		t.Fatalf("exiftool: %v", err)
	}
	var tags []map[string]any
	if err := json.Unmarshal(out, &tags); err != nil || len(tags) != 1 {
		t.Fatalf("exiftool output %s: %v", out, err)
	}
	return tags[0]
}

// TestMetadataCopyrightIPTCXMP: metadata=copyright keeps the notice where
// the source states it in IPTC (CopyrightNotice) and XMP (dc:rights), as
// well as EXIF's, and drops everything else of those blocks (keywords,
// city, creator, caption) and GPS. The source is written by exiftool, and
// exiftool reads the outputs.
func TestMetadataCopyrightIPTCXMP(t *testing.T) {
	bin := exiftool(t)
	src := filepath.Join(t.TempDir(), "src.jpg")
	if err := os.WriteFile(src, readCorpus(t, "photos/object_coffee_cup_512.jpg"), 0o600); err != nil {
		t.Fatal(err)
	}
	const iptcNotice, xmpNotice = "© IPTC Owner 2024 (all rights)", "© XMP Owner 2024 <&> ünïcode"
	cmd := exec.Command(bin, "-overwrite_original", "-charset", "iptc=UTF8", "-IPTC:CodedCharacterSet=UTF8",
		"-IPTC:CopyrightNotice="+iptcNotice, "-IPTC:Keywords=secret-keyword", "-IPTC:City=Secretville",
		"-XMP-dc:Rights="+xmpNotice, "-XMP-dc:Creator=Secret Creator", "-XMP-dc:Description=secret caption",
		"-EXIF:Copyright=(c) EXIF Owner", "-GPSLatitude=48.85", "-GPSLatitudeRef=N", src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	in := exifTags(t, bin, data)
	for _, k := range []string{"IPTC:CopyrightNotice", "XMP-dc:Rights", "IFD0:Copyright", "IPTC:Keywords", "XMP-dc:Creator", "GPS:GPSLatitude"} {
		if in[k] == nil {
			t.Fatalf("the exiftool-made source lacks %s: %v", k, in)
		}
	}
	gone := []string{"IPTC:Keywords", "IPTC:City", "XMP-dc:Creator", "XMP-dc:Description", "GPS:GPSLatitude"}
	for _, tt := range []struct {
		format     spec.Format
		iptc, exif bool // the format carries IPTC (JPEG only), EXIF
	}{
		{spec.FormatJPEG, true, true},
		{spec.FormatWebP, false, true},
		{spec.FormatPNG, false, false},
		{spec.FormatAVIF, false, true},
	} {
		t.Run(string(tt.format), func(t *testing.T) {
			res, err := testRenderer(t).Render(context.Background(), Original{Data: data}, spec.Options{Width: 100, Format: tt.format, Metadata: spec.MetadataCopyright}, "")
			if err != nil {
				t.Fatal(err)
			}
			tags := exifTags(t, bin, res.Body)
			if got := tags["XMP-dc:Rights"]; got != xmpNotice {
				t.Errorf("XMP dc:rights %v, want %q", got, xmpNotice)
			}
			if got := tags["IPTC:CopyrightNotice"]; tt.iptc && got != iptcNotice {
				t.Errorf("IPTC CopyrightNotice %v, want %q", got, iptcNotice)
			}
			if got := tags["IFD0:Copyright"]; tt.exif && got != "(c) EXIF Owner" {
				t.Errorf("EXIF Copyright %v", got)
			}
			for _, k := range gone {
				if tags[k] != nil {
					t.Errorf("%s survived metadata=copyright: %v", k, tags[k])
				}
			}
			// metadata=none keeps none of it.
			res, err = testRenderer(t).Render(context.Background(), Original{Data: data}, spec.Options{Width: 100, Format: tt.format}, "")
			if err != nil {
				t.Fatal(err)
			}
			for k := range exifTags(t, bin, res.Body) {
				if strings.HasPrefix(k, "IPTC:") || strings.HasPrefix(k, "XMP-") || k == "IFD0:Copyright" {
					t.Errorf("metadata=none kept %s", k)
				}
			}
		})
	}
}

// TestXMPRights reads dc:rights in the forms XMP writers use.
func TestXMPRights(t *testing.T) {
	alt := `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:creator><rdf:Seq><rdf:li>Someone</rdf:li></rdf:Seq></dc:creator>
<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© A</rdf:li><rdf:li xml:lang="de">© A (de)</rdf:li></rdf:Alt></dc:rights>
</rdf:Description></rdf:RDF></x:xmpmeta>`
	got := xmpRights([]byte(alt))
	if len(got) != 2 || got[0] != (rights{"x-default", "© A"}) || got[1] != (rights{"de", "© A (de)"}) {
		t.Errorf("xmpRights = %+v", got)
	}
	if xmpRights([]byte("not xml <<<")) != nil || xmpBlob(nil) != nil {
		t.Error("a packet without dc:rights gives a notice")
	}
	again := xmpRights(xmpBlob(got))
	if len(again) != 2 || again[0] != got[0] || again[1] != got[1] {
		t.Errorf("rebuilt packet reads back as %+v", again)
	}
}

// FuzzMetadataNotice: the IPTC and XMP readers take any bytes a source
// carries without panicking, and what they keep rebuilds into blocks they
// read back the same.
func FuzzMetadataNotice(f *testing.F) {
	f.Add([]byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x74\x00\x07(c) Ann\x00"))
	f.Add([]byte("\x1c\x01\x5a\x00\x03\x1b%G\x1c\x02\x74\x00\x02(c)"))
	f.Add([]byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:rights><rdf:Alt><rdf:li xml:lang="x-default">(c)</rdf:li></rdf:Alt></dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if iim := iptcNotice(b); iim != nil {
			if again := iptcNotice(iptcBlob(iim)); string(again) != string(iim) {
				t.Fatalf("IPTC %q rebuilt reads back as %q", iim, again)
			}
		}
		rs := xmpRights(b)
		if blob := xmpBlob(rs); blob != nil && len(xmpRights(blob)) == 0 {
			t.Fatalf("XMP rights %+v rebuilt read back as none", rs)
		}
	})
}

// TestVersionOf: metadata=copyright renders differently since it keeps the
// IPTC and XMP notices, so its version (ETags, cache keys) moved; no other
// URL's did.
func TestVersionOf(t *testing.T) {
	if v := VersionOf(spec.Options{Metadata: spec.MetadataCopyright}); v == PipelineVersion {
		t.Errorf("metadata=copyright still has version %q", v)
	}
	for _, o := range []spec.Options{{}, {Metadata: spec.MetadataKeep}, {Width: 10, Brightness: 2}} {
		if v := VersionOf(o.Normalize()); v != PipelineVersion {
			t.Errorf("%+v: version %q, want %q", o, v, PipelineVersion)
		}
	}
}
