package transform

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"strings"
)

// metadata=copyright keeps the notice wherever the source states it: the
// EXIF Copyright and Artist tags (metadata.go), the IPTC CopyrightNotice
// (2:116) and the XMP dc:rights. Each is rebuilt as a fresh block holding
// that notice alone, so nothing else of the source's IPTC or XMP (keywords,
// captions, locations, edit history) rides along.

// IPTC IIM datasets kept by metadata=copyright.
const (
	iptcRecordApp      = 2
	iptcCopyright      = 116
	iptcRecordEnvelope = 1
	iptcCharset        = 90 // 1:90, "\x1b%G" for UTF-8: how to read the notice
)

// photoshopIPTC is the Photoshop image resource that holds IPTC IIM data.
const photoshopIPTC = 0x0404

// iptcNotice returns the IIM datasets of a libvips "iptc-data" blob (an
// APP13 payload: "Photoshop 3.0\0" and 8BIM resources, or bare IIM) that
// metadata=copyright keeps, as an IIM stream: the character set and each
// CopyrightNotice. nil when there is no notice.
func iptcNotice(blob []byte) []byte {
	iim := blob
	if rest, ok := bytes.CutPrefix(blob, []byte("Photoshop 3.0\x00")); ok {
		iim = photoshopResource(rest, photoshopIPTC)
	}
	var charset, notices []byte
	for p := 0; p+5 <= len(iim) && iim[p] == 0x1C; {
		rec, ds := iim[p+1], iim[p+2]
		n := int(binary.BigEndian.Uint16(iim[p+3:]))
		if n&0x8000 != 0 { // extended length: not used for text; stop
			break
		}
		end := p + 5 + n
		if end > len(iim) {
			break
		}
		switch {
		case rec == iptcRecordEnvelope && ds == iptcCharset:
			charset = append(charset, iim[p:end]...)
		case rec == iptcRecordApp && ds == iptcCopyright:
			notices = append(notices, iim[p:end]...)
		}
		p = end
	}
	if len(notices) == 0 {
		return nil
	}
	return append(charset, notices...)
}

// photoshopResource returns the data of the first 8BIM resource with id in
// a Photoshop image-resource block, or nil.
func photoshopResource(b []byte, id uint16) []byte {
	for p := 0; p+12 <= len(b) && string(b[p:p+4]) == "8BIM"; {
		rid := binary.BigEndian.Uint16(b[p+4:])
		nameLen := int(b[p+6])
		q := p + 6 + 1 + nameLen
		if (1+nameLen)%2 == 1 { // the Pascal name is padded to an even size
			q++
		}
		if q+4 > len(b) {
			return nil
		}
		size := int(binary.BigEndian.Uint32(b[q:]))
		start := q + 4
		end := start + size
		if size < 0 || end > len(b) || end < start {
			return nil
		}
		if rid == id {
			return b[start:end]
		}
		p = end + size%2
	}
	return nil
}

// iptcBlob wraps IIM datasets as the APP13 payload libvips writes back.
func iptcBlob(iim []byte) []byte {
	b := []byte("Photoshop 3.0\x008BIM")
	b = binary.BigEndian.AppendUint16(b, photoshopIPTC)
	b = append(b, 0, 0) // empty Pascal name, padded
	b = binary.BigEndian.AppendUint32(b, uint32(len(iim)))
	b = append(b, iim...)
	if len(iim)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

const (
	nsDC  = "http://purl.org/dc/elements/1.1/"
	nsRDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsXML = "http://www.w3.org/XML/1998/namespace"
)

// rights is one language alternative of dc:rights.
type rights struct{ lang, text string }

// xmpRights reads dc:rights from an XMP packet: the rdf:li alternatives of
// its rdf:Alt (or its plain text). nil when there is none or the packet
// does not parse.
func xmpRights(packet []byte) []rights {
	d := xml.NewDecoder(bytes.NewReader(packet))
	d.Strict = false
	var out []rights
	depth, inRights := 0, 0
	var li *rights
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case inRights == 0 && t.Name.Space == nsDC && t.Name.Local == "rights":
				inRights = depth
				out = append(out, rights{})
				li = &out[len(out)-1]
			case inRights > 0 && t.Name.Space == nsRDF && t.Name.Local == "li":
				if li == nil || li.text != "" || li.lang != "" {
					out = append(out, rights{})
				}
				li = &out[len(out)-1]
				for _, a := range t.Attr {
					if a.Name.Local == "lang" && (a.Name.Space == nsXML || a.Name.Space == "xml") {
						li.lang = a.Value
					}
				}
			}
		case xml.CharData:
			if inRights > 0 && li != nil {
				li.text += string(t)
			}
		case xml.EndElement:
			if inRights == depth {
				inRights = 0
				li = nil
			}
			depth--
		}
	}
}

// xmpBlob is a minimal XMP packet holding dc:rights alone, or nil.
func xmpBlob(rs []rights) []byte {
	var lis strings.Builder
	for _, r := range rs {
		text := strings.TrimSpace(r.text)
		if text == "" {
			continue
		}
		lang := r.lang
		if lang == "" {
			lang = "x-default"
		}
		lis.WriteString(`<rdf:li xml:lang="`)
		xml.EscapeText(&lis, []byte(lang))
		lis.WriteString(`">`)
		xml.EscapeText(&lis, []byte(text))
		lis.WriteString(`</rdf:li>`)
	}
	if lis.Len() == 0 {
		return nil
	}
	return []byte(`<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>` +
		`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="` + nsRDF + `">` +
		`<rdf:Description rdf:about="" xmlns:dc="` + nsDC + `"><dc:rights><rdf:Alt>` + lis.String() +
		`</rdf:Alt></dc:rights></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`)
}
