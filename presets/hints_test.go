package presets

import (
	"testing"
)

func TestApplyHints(t *testing.T) {
	p, err := New(Config{
		Keys: [][]byte{[]byte("hint-test-key-0123456789")},
		Presets: map[string]Preset{
			"hero":  {Transform: "w=1600,h=900,fit=cover", Widths: []int{320, 640, 960}},
			"thumb": {Transform: "w=200,h=200,fit=cover", Widths: []int{100, 200, 400}, Public: true},
			"plain": {Transform: "fit=cover", Public: true},
			"wide":  {Transform: "f=webp", Widths: []int{1280, 1920, 2560}},
			"sharp": {Transform: "w=1600,h=900,dpr=4", Widths: []int{1024, 2048, 4096}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ladder := []int{300, 600, 1200}
	tests := []struct {
		name       string
		transform  string
		signed     bool
		hints      Hints
		wantW      int
		wantH      int
		wantDPR    float64
		wantVary   HintsVary
		wantCanon  string
		wantUnused bool
	}{
		{name: "width hint snaps up to the preset ladder, aspect kept", transform: "hero", signed: true,
			hints: Hints{Width: 500}, wantW: 640, wantH: 360, wantDPR: 1, wantVary: HintsVary{DPR: true, Width: true, ViewportWidth: true}},
		{name: "width hint in device px is divided by the dpr hint", transform: "hero", signed: true,
			hints: Hints{Width: 1200, DPR: 2}, wantW: 640, wantH: 360, wantDPR: 2, wantVary: HintsVary{DPR: true, Width: true, ViewportWidth: true}},
		{name: "dpr rounds to halves and is capped", transform: "w=100", signed: true,
			hints: Hints{DPR: 7.3}, wantW: 100, wantDPR: 4, wantVary: HintsVary{DPR: true}},
		{name: "dpr 1.3 rounds to 1.5", transform: "w=100", signed: true,
			hints: Hints{DPR: 1.3}, wantW: 100, wantDPR: 1.5, wantVary: HintsVary{DPR: true}},
		{name: "explicit width wins over the hint", transform: "hero,w=320", signed: true,
			hints: Hints{Width: 900}, wantW: 320, wantH: 180, wantDPR: 1, wantVary: HintsVary{DPR: true}},
		{name: "explicit dpr wins over the hint", transform: "w=100,dpr=2", signed: true,
			hints: Hints{DPR: 3}, wantW: 100, wantDPR: 2},
		{name: "no preset ladder: the global ladder", transform: "fit=cover", signed: true,
			hints: Hints{Width: 700}, wantW: 1200, wantDPR: 1, wantVary: HintsVary{DPR: true, Width: true, ViewportWidth: true}},
		{name: "wider than the ladder: its largest step", transform: "hero", signed: true,
			hints: Hints{Width: 5000}, wantW: 960, wantH: 540, wantDPR: 1, wantVary: HintsVary{DPR: true, Width: true, ViewportWidth: true}},
		{name: "viewport width when no width hint", transform: "thumb", signed: false,
			hints: Hints{ViewportWidth: 150}, wantW: 200, wantH: 200, wantDPR: 1, wantVary: HintsVary{DPR: true, Width: true, ViewportWidth: true}},
		{name: "unsigned preset without a ladder: no width from hints", transform: "plain", signed: false,
			hints: Hints{Width: 700}, wantW: 0, wantDPR: 1, wantVary: HintsVary{DPR: true}},
		// A hint never fails a request: over max_output_dimension, the width
		// steps down the ladder, then a hinted dpr steps down its grid.
		{name: "hinted width x dpr over the limit: the largest step that fits", transform: "wide", signed: true,
			hints: Hints{Width: 9000, DPR: 4}, wantW: 1920, wantDPR: 4, wantVary: HintsVary{DPR: true, Width: true, ViewportWidth: true}},
		{name: "the URL's width x hinted dpr over the limit: dpr steps down", transform: "w=2560", signed: true,
			hints: Hints{DPR: 4}, wantW: 2560, wantDPR: 3, wantVary: HintsVary{DPR: true}},
		{name: "the URL's width at the limit: dpr 1", transform: "w=8192", signed: true,
			hints: Hints{DPR: 2}, wantW: 8192, wantDPR: 1, wantVary: HintsVary{DPR: true}},
		{name: "a preset's dpr is kept; the hinted width steps down", transform: "sharp", signed: true,
			hints: Hints{Width: 16000}, wantW: 2048, wantH: 1152, wantDPR: 4, wantVary: HintsVary{DPR: true, Width: true, ViewportWidth: true}},
		{name: "the URL's dpr is kept; the hinted width steps down", transform: "wide,dpr=4", signed: true,
			hints: Hints{Width: 40000, DPR: 1}, wantW: 1920, wantDPR: 4, wantVary: HintsVary{Width: true, ViewportWidth: true}},
		{name: "no hints, no change", transform: "hero", signed: true, wantW: 1600, wantH: 900, wantDPR: 1, wantVary: HintsVary{DPR: true, Width: true, ViewportWidth: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/" + tt.transform + "/a.jpg"
			if tt.signed {
				path, err = p.Sign(path)
			} else {
				path = "/_" + path
			}
			if err != nil {
				t.Fatal(err)
			}
			req, err := p.Parse(path)
			if err != nil {
				t.Fatal(err)
			}
			got, vary := p.ApplyHints(req, tt.hints, ladder)
			o := got.Options
			if o.Width != tt.wantW || (tt.wantH != 0 && o.Height != tt.wantH) || o.DPR != tt.wantDPR {
				t.Errorf("got %dx%d dpr %v, want %dx%d dpr %v", o.Width, o.Height, o.DPR, tt.wantW, tt.wantH, tt.wantDPR)
			}
			if vary != tt.wantVary {
				t.Errorf("vary %+v, want %+v", vary, tt.wantVary)
			}
			if got.Key != "a.jpg" || got.Signed != tt.signed {
				t.Errorf("key %q signed %v", got.Key, got.Signed)
			}
		})
	}
}
