package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The synthetic part of the set: SVG documents that libvips (librsvg)
// renders at each benchmark width, so that edges stay as sharp at 1600 px
// as at 400 px, as they are in real graphics and screenshots. A fixed seed
// makes every run draw the same images.

const synthW, synthH = 1600, 1000

var synthetic = map[string]func() string{
	"graphic":    graphicSVG,
	"screenshot": screenshotSVG,
	"text":       textSVG,
	"gradient":   gradientSVG,
	// The holdout's kinds.
	"sky":              skySVG,
	"dark_ui":          darkUISVG,
	"chart":            chartSVG,
	"logo":             logoSVG,
	"text_on_gradient": textOnGradientSVG,
}

func svgDoc(body string) string {
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">%s</svg>`,
		synthW, synthH, synthW, synthH, body)
}

var palette = []string{"#e63946", "#f1faee", "#a8dadc", "#457b9d", "#1d3557", "#ffb703", "#2a9d8f", "#264653"}

// graphicSVG is a flat illustration: a bar chart, a logo and shapes in a
// few solid colours.
func graphicSVG() string {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString(`<rect width="1600" height="1000" fill="#f1faee"/>`)
	for i := 0; i < 12; i++ {
		h := 100 + r.IntN(500)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="60" height="%d" fill="%s"/>`, 80+i*75, 900-h, h, palette[i%len(palette)])
	}
	b.WriteString(`<line x1="60" y1="900" x2="1000" y2="900" stroke="#1d3557" stroke-width="6"/>`)
	b.WriteString(`<circle cx="1300" cy="300" r="200" fill="#e63946"/><circle cx="1300" cy="300" r="120" fill="#f1faee"/>`)
	b.WriteString(`<polygon points="1300,180 1400,380 1200,380" fill="#1d3557"/>`)
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="%d" fill="%s" stroke="#264653" stroke-width="4"/>`,
			1100+r.IntN(450), 600+r.IntN(350), 10+r.IntN(40), palette[r.IntN(len(palette))])
	}
	b.WriteString(`<text x="1100" y="80" font-family="DejaVu Sans" font-weight="bold" font-size="56" fill="#1d3557">PIXMILL</text>`)
	return svgDoc(b.String())
}

// screenshotSVG is an application window: title bar, sidebar, buttons,
// body text and a code block.
func screenshotSVG() string {
	var b strings.Builder
	b.WriteString(`<rect width="1600" height="1000" fill="#ffffff"/>`)
	b.WriteString(`<rect width="1600" height="56" fill="#2d2d30"/>`)
	for i, c := range []string{"#ff5f56", "#ffbd2e", "#27c93f"} {
		fmt.Fprintf(&b, `<circle cx="%d" cy="28" r="10" fill="%s"/>`, 30+i*30, c)
	}
	b.WriteString(`<text x="700" y="36" font-family="DejaVu Sans" font-size="20" fill="#ddd">settings — pixmill</text>`)
	b.WriteString(`<rect y="56" width="320" height="944" fill="#f3f3f3"/>`)
	items := []string{"General", "Sources", "Cache", "Signing", "Formats", "Vision", "Metrics", "Logs", "About"}
	for i, it := range items {
		fill := "none"
		if i == 4 {
			fill = "#dbe9ff"
		}
		fmt.Fprintf(&b, `<rect x="10" y="%d" width="300" height="44" rx="6" fill="%s"/><text x="30" y="%d" font-family="DejaVu Sans" font-size="18" fill="#333">%s</text>`, 80+i*52, fill, 108+i*52, it)
	}
	b.WriteString(`<text x="370" y="120" font-family="DejaVu Sans" font-size="34" font-weight="bold" fill="#111">Formats</text>`)
	lines := []string{"Quality is one scale across JPEG, WebP and AVIF.", "Each format's setting matches JPEG's look at the same q.", "Overrides per format are allowed in the URL and config."}
	for i, l := range lines {
		fmt.Fprintf(&b, `<text x="370" y="%d" font-family="DejaVu Sans" font-size="17" fill="#444">%s</text>`, 175+i*30, l)
	}
	for i, lbl := range []string{"Save", "Cancel", "Reset"} {
		fill, fg := "#0b66e4", "#fff"
		if i > 0 {
			fill, fg = "#e8e8e8", "#222"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="290" width="120" height="40" rx="6" fill="%s"/><text x="%d" y="316" font-family="DejaVu Sans" font-size="17" fill="%s">%s</text>`, 370+i*140, fill, 400+i*140, fg, lbl)
	}
	b.WriteString(`<rect x="370" y="370" width="1180" height="560" fill="#1e1e1e"/>`)
	code := []string{"formats:", "  jpeg: { quality: 80, progressive: false }", "  webp: { quality: 75, effort: 4 }", "  avif: { quality: 60, effort: 3 }", "quality:", "  max_encodes: 4", "  # q=auto picks the lowest quality under the target", "sources:", "  - file:///srv/images"}
	colours := []string{"#9cdcfe", "#ce9178", "#b5cea8", "#6a9955"}
	for i, l := range code {
		fmt.Fprintf(&b, `<text x="395" y="%d" font-family="DejaVu Sans Mono" font-size="19" fill="%s" xml:space="preserve">%s</text>`, 410+i*30, colours[i%len(colours)], l)
	}
	return svgDoc(b.String())
}

// textSVG is black text on white at body and heading sizes.
func textSVG() string {
	words := strings.Fields("the quick brown fox jumps over the lazy dog while pixmill resizes images for every browser and each visitor sees the same quality at fewer bytes than before")
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString(`<rect width="1600" height="1000" fill="#ffffff"/>`)
	b.WriteString(`<text x="60" y="110" font-family="DejaVu Serif" font-size="72" fill="#000">Bytes per look</text>`)
	y := 180
	for size := 28; size >= 14; size -= 4 {
		for l := 0; l < 4 && y < 980; l++ {
			var line []string
			for n := 0; n < 1400/(size*6)+4; n++ {
				line = append(line, words[r.IntN(len(words))])
			}
			fmt.Fprintf(&b, `<text x="60" y="%d" font-family="DejaVu Sans" font-size="%d" fill="#111">%s</text>`, y, size, strings.Join(line, " "))
			y += size * 3 / 2
		}
		y += 20
	}
	return svgDoc(b.String())
}

// gradientSVG is smooth: linear and radial gradients and blurred shapes,
// where banding and blocking show first.
func gradientSVG() string {
	return svgDoc(`<defs>
<linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#0b1d51"/><stop offset="0.6" stop-color="#e07a5f"/><stop offset="1" stop-color="#f2cc8f"/></linearGradient>
<radialGradient id="sun" cx="0.5" cy="0.5" r="0.5"><stop offset="0" stop-color="#fff6d5"/><stop offset="1" stop-color="#fff6d5" stop-opacity="0"/></radialGradient>
<filter id="soft"><feGaussianBlur stdDeviation="40"/></filter></defs>
<rect width="1600" height="1000" fill="url(#sky)"/>
<circle cx="1100" cy="640" r="320" fill="url(#sun)"/>
<ellipse cx="400" cy="300" rx="300" ry="80" fill="#ffffff" opacity="0.35" filter="url(#soft)"/>
<ellipse cx="800" cy="200" rx="260" ry="60" fill="#ffffff" opacity="0.3" filter="url(#soft)"/>
<path d="M0 850 Q 400 760 800 840 T 1600 820 V 1000 H 0 Z" fill="#3d405b" filter="url(#soft)"/>`)
}

// skySVG is a clear sky (a vertical gradient with a radial glow) behind a
// dark subject: banding in the sky is what gives an encode away.
func skySVG() string {
	return svgDoc(`<defs>
<linearGradient id="blue" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#1b4f9c"/><stop offset="0.7" stop-color="#7fb2e5"/><stop offset="1" stop-color="#d9ecf7"/></linearGradient>
<radialGradient id="glow" cx="0.78" cy="0.3" r="0.45"><stop offset="0" stop-color="#fffbe6" stop-opacity="0.9"/><stop offset="1" stop-color="#fffbe6" stop-opacity="0"/></radialGradient></defs>
<rect width="1600" height="1000" fill="url(#blue)"/>
<rect width="1600" height="1000" fill="url(#glow)"/>
<path d="M0 1000 L0 860 L180 700 L300 790 L470 620 L640 800 L760 740 L900 860 L1600 880 L1600 1000 Z" fill="#20262e"/>
<path d="M330 1000 L330 560 L345 560 L345 1000 Z M260 640 Q 337 520 415 640 Z" fill="#151a20"/>
<circle cx="1250" cy="300" r="46" fill="#fffdf2"/>`)
}

// darkUISVG is a dark-mode application: near-black panels, thin light
// text, coloured accents.
func darkUISVG() string {
	var b strings.Builder
	b.WriteString(`<rect width="1600" height="1000" fill="#121212"/>`)
	b.WriteString(`<rect width="1600" height="64" fill="#1f1f1f"/><text x="40" y="42" font-family="DejaVu Sans" font-size="24" fill="#e0e0e0">pixmill · dashboard</text>`)
	b.WriteString(`<rect y="64" width="260" height="936" fill="#181818"/>`)
	for i, it := range []string{"Overview", "Requests", "Cache", "Origins", "Alerts", "Settings"} {
		col := "#9e9e9e"
		if i == 1 {
			col = "#bb86fc"
			fmt.Fprintf(&b, `<rect x="0" y="%d" width="4" height="40" fill="#bb86fc"/>`, 96+i*56)
		}
		fmt.Fprintf(&b, `<text x="36" y="%d" font-family="DejaVu Sans" font-size="18" fill="%s">%s</text>`, 122+i*56, col, it)
	}
	for i, c := range []string{"#03dac6", "#bb86fc", "#cf6679"} {
		x := 300 + i*420
		fmt.Fprintf(&b, `<rect x="%d" y="100" width="390" height="150" rx="10" fill="#1e1e1e" stroke="#2c2c2c"/>`, x)
		fmt.Fprintf(&b, `<text x="%d" y="150" font-family="DejaVu Sans" font-size="16" fill="#9e9e9e">metric %d</text>`, x+24, i+1)
		fmt.Fprintf(&b, `<text x="%d" y="215" font-family="DejaVu Sans" font-weight="bold" font-size="44" fill="%s">%d.%d k</text>`, x+24, c, 12+i*7, 3+i)
	}
	b.WriteString(`<rect x="300" y="290" width="1260" height="660" rx="10" fill="#1e1e1e" stroke="#2c2c2c"/>`)
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 14; i++ {
		y := 340 + i*42
		fmt.Fprintf(&b, `<text x="330" y="%d" font-family="DejaVu Sans Mono" font-size="16" fill="#cfcfcf">GET /img/%04d.jpg  w=%d,f=auto</text>`, y, r.IntN(10000), 200+r.IntN(1200))
		fmt.Fprintf(&b, `<text x="1300" y="%d" font-family="DejaVu Sans Mono" font-size="16" fill="#03dac6">%d ms</text>`, y, 3+r.IntN(90))
		fmt.Fprintf(&b, `<line x1="320" y1="%d" x2="1540" y2="%d" stroke="#262626"/>`, y+14, y+14)
	}
	return svgDoc(b.String())
}

// chartSVG is an infographic: a line chart with thin strokes over a grid,
// a pie, labels.
func chartSVG() string {
	r := rand.New(rand.NewPCG(7, 8))
	var b strings.Builder
	b.WriteString(`<rect width="1600" height="1000" fill="#ffffff"/>`)
	b.WriteString(`<text x="80" y="80" font-family="DejaVu Sans" font-weight="bold" font-size="40" fill="#222">Bytes per visit, 2026</text>`)
	for i := 0; i <= 6; i++ {
		y := 180 + i*110
		fmt.Fprintf(&b, `<line x1="100" y1="%d" x2="1000" y2="%d" stroke="#dddddd" stroke-width="2"/><text x="90" y="%d" text-anchor="end" font-family="DejaVu Sans" font-size="18" fill="#666">%d</text>`, y, y, y+6, 600-i*100)
	}
	for k, col := range []string{"#e63946", "#457b9d", "#2a9d8f"} {
		var pts []string
		v := 300 + r.IntN(300)
		for i := 0; i <= 18; i++ {
			v = min(max(v+r.IntN(120)-60, 200), 840)
			pts = append(pts, fmt.Sprintf("%d,%d", 100+i*50, v))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%d"/>`, strings.Join(pts, " "), col, 3+k)
	}
	// A pie of three slices.
	b.WriteString(`<circle cx="1300" cy="420" r="200" fill="#ffb703"/>`)
	b.WriteString(`<path d="M1300 420 L1300 220 A200 200 0 0 1 1490 482 Z" fill="#e63946"/>`)
	b.WriteString(`<path d="M1300 420 L1490 482 A200 200 0 0 1 1180 580 Z" fill="#457b9d"/>`)
	for i, l := range []string{"AVIF 41 %", "WebP 33 %", "JPEG 26 %"} {
		fmt.Fprintf(&b, `<rect x="1150" y="%d" width="24" height="24" fill="%s"/><text x="1190" y="%d" font-family="DejaVu Sans" font-size="22" fill="#333">%s</text>`, 700+i*50, []string{"#e63946", "#457b9d", "#ffb703"}[i], 720+i*50, l)
	}
	return svgDoc(b.String())
}

// logoSVG is a logo on one flat colour: large flat areas meeting sharp,
// saturated edges, where ringing shows.
func logoSVG() string {
	return svgDoc(`<rect width="1600" height="1000" fill="#0a7c66"/>
<circle cx="560" cy="500" r="230" fill="#ffffff"/>
<circle cx="560" cy="500" r="150" fill="#f4a261"/>
<path d="M470 420 L650 500 L470 580 Z" fill="#0a7c66"/>
<text x="850" y="470" font-family="DejaVu Sans" font-weight="bold" font-size="120" fill="#ffffff">pixmill</text>
<text x="856" y="560" font-family="DejaVu Sans" font-size="44" fill="#bfe9dd">images, on the fly</text>`)
}

// textOnGradientSVG is white and dark text over a saturated diagonal
// gradient, as on a banner.
func textOnGradientSVG() string {
	var b strings.Builder
	b.WriteString(`<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#6a11cb"/><stop offset="0.5" stop-color="#d63384"/><stop offset="1" stop-color="#fd7e14"/></linearGradient></defs>`)
	b.WriteString(`<rect width="1600" height="1000" fill="url(#g)"/>`)
	b.WriteString(`<text x="100" y="260" font-family="DejaVu Serif" font-weight="bold" font-size="110" fill="#ffffff">Summer sale</text>`)
	b.WriteString(`<text x="104" y="350" font-family="DejaVu Sans" font-size="40" fill="#fff3e0">Every image, every browser, fewer bytes.</text>`)
	words := strings.Fields("resize crop convert sharpen every request at the edge with the same look and fewer bytes for every visitor")
	r := rand.New(rand.NewPCG(9, 10))
	for l := 0; l < 12; l++ {
		var line []string
		for n := 0; n < 12; n++ {
			line = append(line, words[r.IntN(len(words))])
		}
		fmt.Fprintf(&b, `<text x="104" y="%d" font-family="DejaVu Sans" font-size="20" fill="#1a1a1a">%s</text>`, 450+l*40, strings.Join(line, " "))
	}
	return svgDoc(b.String())
}
