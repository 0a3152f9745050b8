package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Two small charts drawn with the standard library and basicfont: bars of
// throughput per scenario and target, and latency percentile curves of the
// fixed-rate runs.

var (
	white   = color.RGBA{255, 255, 255, 255}
	ink     = color.RGBA{40, 40, 40, 255}
	grid    = color.RGBA{225, 225, 225, 255}
	palette = map[string]color.RGBA{
		"floor":    {120, 144, 156, 255},
		"minimal":  {120, 144, 156, 255},
		"pixmill":  {33, 150, 243, 255},
		"imgproxy": {255, 152, 0, 255},
		"imagor":   {76, 175, 80, 255},
	}
	extra = []color.RGBA{{156, 39, 176, 255}, {244, 67, 54, 255}}
)

func colourOf(name string, i int) color.RGBA {
	if c, ok := palette[name]; ok {
		return c
	}
	return extra[i%len(extra)]
}

type canvas struct {
	img                   *image.RGBA
	left, top, right, bot int // plot area
}

func newCanvas(w, h int) *canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	return &canvas{img: img, left: 70, top: 56, right: w - 20, bot: h - 60}
}

func (c *canvas) text(x, y int, s string, col color.Color) {
	d := &font.Drawer{Dst: c.img, Src: &image.Uniform{col}, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func textWidth(s string) int { return 7 * len(s) }

func (c *canvas) rect(x0, y0, x1, y1 int, col color.Color) {
	draw.Draw(c.img, image.Rect(x0, y0, x1, y1), &image.Uniform{col}, image.Point{}, draw.Src)
}

// line draws a 2-pixel line.
func (c *canvas) line(x0, y0, x1, y1 int, col color.Color) {
	n := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= n; i++ {
		x := x0 + (x1-x0)*i/n
		y := y0 + (y1-y0)*i/n
		c.rect(x, y, x+2, y+2, col)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// yAxis draws horizontal grid lines and labels from 0 to top, and returns
// the function that maps a value to a y pixel.
func (c *canvas) yAxis(top float64, label string) func(float64) int {
	step := niceStep(top / 5)
	top = math.Ceil(top/step) * step
	y := func(v float64) int { return c.bot - int(v/top*float64(c.bot-c.top)) }
	for v := 0.0; v <= top+step/2; v += step {
		c.rect(c.left, y(v), c.right, y(v)+1, grid)
		s := trimFloat(v)
		c.text(c.left-8-textWidth(s), y(v)+4, s, ink)
	}
	c.text(8, 18, label, ink)
	c.rect(c.left, c.top, c.left+1, c.bot, ink)
	c.rect(c.left, c.bot, c.right, c.bot+1, ink)
	return y
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

func (c *canvas) legend(names []string) {
	x := c.left + 10
	for i, n := range names {
		c.rect(x, c.top-22, x+12, c.top-12, colourOf(n, i))
		c.text(x+16, c.top-11, n, ink)
		x += 30 + textWidth(n)
	}
}

func (c *canvas) save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, c.img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeCharts(rep *Report, dir string) error {
	if err := throughputChart(rep, filepath.Join(dir, "suite-throughput.png")); err != nil {
		return err
	}
	return latencyChart(rep, filepath.Join(dir, "suite-latency.png"))
}

// throughputChart: req/s per closed-loop scenario, one bar per target.
func throughputChart(rep *Report, path string) error {
	var scs []*Scenario
	var names []string
	seen := map[string]bool{}
	top := 0.0
	for _, sc := range rep.Scenarios {
		if !strings.HasPrefix(sc.Name, "miss/") && sc.Name != "ladder" {
			continue
		}
		scs = append(scs, sc)
		for _, t := range sc.Targets {
			if !seen[t.Name] {
				seen[t.Name] = true
				names = append(names, t.Name)
			}
			top = max(top, t.Median.ReqPerSec)
		}
	}
	c := newCanvas(860, 420)
	if len(scs) == 0 {
		c.text(c.left, c.top+20, "no closed-loop scenario in this run", ink)
		return c.save(path)
	}
	y := c.yAxis(top*1.1, "images per second (closed loop, 2 clients): higher is better")
	group := (c.right - c.left) / len(scs)
	bar := min(60, (group-20)/len(names))
	for gi, sc := range scs {
		x0 := c.left + gi*group + (group-bar*len(names))/2
		for ni, n := range names {
			t := sc.find(n)
			if t == nil {
				continue
			}
			v := t.Median.ReqPerSec
			x := x0 + ni*bar
			c.rect(x+2, y(v), x+bar-2, c.bot, colourOf(n, ni))
			s := fmt.Sprintf("%.1f", v)
			c.text(x+bar/2-textWidth(s)/2, y(v)-4, s, ink)
		}
		c.text(c.left+gi*group+group/2-textWidth(sc.Name)/2, c.bot+18, sc.Name, ink)
	}
	c.legend(names)
	c.text(c.left, c.bot+44, "median of "+fmt.Sprint(rep.Settings.Repeats)+" run(s); "+rep.Machine.CPU, ink)
	return c.save(path)
}

// latencyChart: latency by percentile for the fixed-rate runs.
func latencyChart(rep *Report, path string) error {
	type series struct {
		name string
		pts  []float64
	}
	var ss []series
	top := 0.0
	for _, sc := range rep.Scenarios {
		if !strings.HasPrefix(sc.Name, "rate/") {
			continue
		}
		for _, t := range sc.Targets {
			if len(t.Median.Latency.Percentiles) == 0 {
				continue
			}
			ss = append(ss, series{sc.Name + " " + t.Name, t.Median.Latency.Percentiles})
			top = max(top, t.Median.Latency.P99)
		}
	}
	c := newCanvas(860, 420)
	if len(ss) == 0 {
		c.text(c.left, c.top+20, "no fixed-rate scenario in this run", ink)
		return c.save(path)
	}
	y := c.yAxis(top*1.1, "latency ms by percentile (fixed rate, timed from when each request was due): lower is better")
	x := func(p int) int { return c.left + p*(c.right-c.left)/99 }
	for p := 0; p <= 99; p += 10 {
		c.text(x(p)-textWidth(fmt.Sprint(p))/2, c.bot+16, fmt.Sprint(p), ink)
	}
	c.text(x(99)-10, c.bot+16, "99", ink)
	c.text(c.left+(c.right-c.left)/2-40, c.bot+34, "percentile", ink)
	var names []string
	for i, s := range ss {
		col := colourOf(strings.Fields(s.name)[1], i)
		if strings.HasPrefix(s.name, "rate/50%") {
			col = color.RGBA{col.R / 2, col.G / 2, col.B / 2, 255} // darker for the lighter load
		}
		for p := 1; p <= 99 && p < len(s.pts); p++ {
			c.line(x(p-1), y(min(s.pts[p-1], top*1.1)), x(p), y(min(s.pts[p], top*1.1)), col)
		}
		names = append(names, s.name)
	}
	// The legend, with the same colours as the curves.
	lx := c.left + 10
	for i, n := range names {
		col := colourOf(strings.Fields(n)[1], i)
		if strings.HasPrefix(n, "rate/50%") {
			col = color.RGBA{col.R / 2, col.G / 2, col.B / 2, 255}
		}
		c.rect(lx, c.top-22, lx+12, c.top-12, col)
		c.text(lx+16, c.top-11, n, ink)
		lx += 30 + textWidth(n)
	}
	c.text(c.left, c.bot+50, "darker: 50% of capacity; lighter: 90%", ink)
	return c.save(path)
}
