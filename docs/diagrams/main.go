// Command diagrams draws docs/scaling.svg, the scale-out picture in
// docs/scaling.md: CDN, replicas, the shared tier between them, the
// durable store. Run it from the repository root:
//
//	go run ./docs/diagrams
//
// It writes plain SVG from a few boxes and arrows, so that the picture
// changes with the text in one reviewed commit.
package main

import (
	"fmt"
	"log"
	"os"
	"strings"
)

type box struct {
	x, y, w, h int
	title      string
	lines      []string
	fill       string
}

type arrow struct {
	x1, y1, x2, y2 int
	label          string
	dashed         bool
}

func main() {
	out := "docs/scaling.svg"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := os.WriteFile(out, []byte(draw()), 0o644); err != nil {
		log.Fatal(err)
	}
}

func draw() string {
	const width, height = 860, 600
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">`+"\n", width, height, width, height)
	b.WriteString(`<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)

	boxes := []box{
		{330, 20, 200, 50, "CDN edge", []string{"caches by URL (+ Vary)"}, "#e8f0fe"},
		{40, 140, 220, 110, "replica A", []string{"public :8080  metrics :9090", "L1 (LRU, cache.max_bytes)", "peer port :7946 (secret)"}, "#e6f4ea"},
		{320, 140, 220, 110, "replica B", []string{"public :8080  metrics :9090", "L1 (LRU, cache.max_bytes)", "peer port :7946 (secret)"}, "#e6f4ea"},
		{600, 140, 220, 110, "replica C", []string{"public :8080  metrics :9090", "L1 (LRU, cache.max_bytes)", "peer port :7946 (secret)"}, "#e6f4ea"},
		{40, 300, 780, 70, "shared tier: groupcache-go v3.5.0", []string{"consistent hash of the variant key picks its owner; owner renders once, others fetch the finished bytes", "membership: cache.peers.static or cache.peers.dns (headless Service), re-resolved every refresh"}, "#fef7e0"},
		{240, 420, 380, 60, "durable derivative store (cache.store.url)", []string{"S3 / GCS / Azure / file: v1/{sha256(source key)}/{sha256(ETag)}"}, "#fce8e6"},
		{240, 520, 380, 50, "originals (source.url / sources.*)", []string{"read only by the owner, only to render"}, "#f1f3f4"},
	}
	arrows := []arrow{
		{400, 70, 150, 140, "round robin", false},
		{430, 70, 430, 140, "", false},
		{460, 70, 710, 140, "", false},
		{150, 250, 150, 300, "L1 miss", false},
		{430, 250, 430, 300, "", false},
		{710, 250, 710, 300, "", false},
		{430, 370, 430, 420, "owner: store, then render", false},
		{430, 480, 430, 520, "render", false},
	}
	for _, bx := range boxes {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s" stroke="#555"/>`+"\n", bx.x, bx.y, bx.w, bx.h, bx.fill)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold" text-anchor="middle">%s</text>`+"\n", bx.x+bx.w/2, bx.y+18, esc(bx.title))
		for i, l := range bx.lines {
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="11">%s</text>`+"\n", bx.x+bx.w/2, bx.y+36+i*16, esc(l))
		}
	}
	for _, a := range arrows {
		dash := ""
		if a.dashed {
			dash = ` stroke-dasharray="5,4"`
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333" stroke-width="1.5" marker-end="url(#head)"%s/>`+"\n", a.x1, a.y1, a.x2, a.y2, dash)
		if a.label != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#333">%s</text>`+"\n", (a.x1+a.x2)/2+8, (a.y1+a.y2)/2, esc(a.label))
		}
	}
	// Peer traffic between replicas, drawn as dashed arcs over the tier.
	b.WriteString(`<path d="M260,200 C290,270 290,270 320,200" fill="none" stroke="#b06000" stroke-dasharray="5,4" marker-end="url(#head)" marker-start="url(#head)"/>` + "\n")
	b.WriteString(`<path d="M540,200 C570,270 570,270 600,200" fill="none" stroke="#b06000" stroke-dasharray="5,4" marker-end="url(#head)" marker-start="url(#head)"/>` + "\n")
	b.WriteString(`<text x="290" y="290" font-size="10" fill="#b06000" text-anchor="middle">peer GET</text>` + "\n")
	b.WriteString(`<text x="570" y="290" font-size="10" fill="#b06000" text-anchor="middle">peer GET</text>` + "\n")
	b.WriteString("</svg>\n")
	return b.String()
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
