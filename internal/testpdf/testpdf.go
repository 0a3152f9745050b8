// Package testpdf writes small PDFs for tests, so that no binary test file
// is committed and none is fetched.
package testpdf

import (
	"bytes"
	"fmt"
)

// Page is one page: its size in points (1/72 inch) and the RGB colour
// (0..1 each) that fills it.
type Page struct {
	W, H    int
	R, G, B float64
}

// TwoPages is a 2-page PDF: a red 200x100 pt page, then a blue 100x200 pt
// one.
func TwoPages() []byte {
	return Write(Page{W: 200, H: 100, R: 1}, Page{W: 100, H: 200, B: 1})
}

// Write returns a minimal PDF 1.4 of pages, each filled with its colour:
// a catalog, a page tree, a page and a content stream per page, and a
// cross-reference table with the objects' byte offsets.
func Write(pages ...Page) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := ""
	for i := range pages {
		kids += fmt.Sprintf("%d 0 R ", 3+2*i)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, len(pages)))
	for i, p := range pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R /Resources << >> >>", p.W, p.H, 4+2*i))
		content := fmt.Sprintf("%g %g %g rg 0 0 %d %d re f\n", p.R, p.G, p.B, p.W, p.H)
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
