package transform

import (
	"math"
	"testing"

	"github.com/pixmill/pixmill/transform/spec"
)

// searchCurve runs the search's loop (runAutoSearch, for WebP: no
// format-specific stop) on a synthetic distance curve, as searchQuality
// runs it on encodes.
func searchCurve(curve func(q int) float64, start int, target, slope float64, maxN int) ([]autoTry, int) {
	tries, k, _ := runAutoSearch(spec.FormatWebP, autoStart{start, slope}, target, maxN, func(q int) (float64, error) {
		return curve(q), nil
	})
	return tries, k
}

// exponential is a smooth curve: distance a·e^(s·q), s < 0.
func exponential(a, s float64) func(int) float64 {
	return func(q int) float64 { return a * math.Exp(s*float64(q)) }
}

// TestAutoSearchDecisions: on every curve the search stays within maxN
// encodes, never tries a quality twice or outside 10..100, serves the
// lowest met quality it tried when any met and the highest tried when
// none did, and on smooth curves keeps a quality within a small tolerance
// of the exact answer (the lowest quality meeting the target).
func TestAutoSearchDecisions(t *testing.T) {
	const target, slope = 6.0, -0.04
	tests := []struct {
		name   string
		curve  func(int) float64
		start  int
		smooth bool // exact answer checked within tolerance
	}{
		{"smooth, model slope, start below", exponential(60, -0.04), 40, true},
		{"smooth, model slope, start above", exponential(60, -0.04), 90, true},
		{"smooth, twice as steep", exponential(600, -0.08), 50, true},
		{"smooth, half as steep", exponential(20, -0.02), 50, true},
		{"smooth, half as steep, start high", exponential(20, -0.02), 95, true},
		{"smooth, target near 100", exponential(300, -0.04), 60, true},
		{"smooth, target near 10", exponential(8, -0.04), 60, true},
		{"smooth, met at the start exactly", func(q int) float64 { return 6 * math.Exp(-0.04*float64(q-70)) }, 70, true},
		{"flat, always met", func(int) float64 { return 2 }, 60, false},
		{"flat, never met", func(int) float64 { return 9 }, 60, false},
		{"never met, rising", func(q int) float64 { return 7 + float64(q)/50 }, 60, false},
		{"identical pixels", func(int) float64 { return 0 }, 60, false},
		{"non-monotone bump", func(q int) float64 {
			d := 60 * math.Exp(-0.04*float64(q))
			if q >= 55 && q <= 62 {
				d *= 1.6
			}
			return d
		}, 60, false},
		{"rising between the first tries", func(q int) float64 {
			d := 80 * math.Exp(-0.03*float64(q))
			if q > 80 && q < 85 {
				d *= 1.15
			}
			return d
		}, 80, false},
		{"step", func(q int) float64 {
			if q < 73 {
				return 8
			}
			return 4
		}, 60, false},
	}
	for _, tt := range tests {
		for _, maxN := range []int{1, 2, 3, 4, 6} {
			tries, k := searchCurve(tt.curve, tt.start, target, slope, maxN)
			if len(tries) < 1 || len(tries) > maxN {
				t.Fatalf("%s, max %d: %d tries", tt.name, maxN, len(tries))
			}
			seen := map[int]bool{}
			lowestMet, highest := 0, 0
			for _, tr := range tries {
				if seen[tr.Q] || tr.Q < autoMinQuality || tr.Q > 100 {
					t.Errorf("%s, max %d: tries %v: a quality twice or out of range", tt.name, maxN, tries)
				}
				seen[tr.Q] = true
				if tr.D <= target && (lowestMet == 0 || tr.Q < lowestMet) {
					lowestMet = tr.Q
				}
				highest = max(highest, tr.Q)
			}
			kept := tries[k]
			if maxN == 4 {
				t.Logf("%s: tries %v, kept q%d", tt.name, tries, kept.Q)
			}
			switch {
			case lowestMet > 0 && kept.Q != lowestMet:
				t.Errorf("%s, max %d: tries %v kept q%d, want the lowest met q%d", tt.name, maxN, tries, kept.Q, lowestMet)
			case lowestMet == 0 && kept.Q != highest:
				t.Errorf("%s, max %d: tries %v kept q%d, want the highest tried q%d", tt.name, maxN, tries, kept.Q, highest)
			}
			if !tt.smooth || maxN < 4 {
				continue
			}
			exact := 101
			for q := 100; q >= autoMinQuality && tt.curve(q) <= target; q-- {
				exact = q
			}
			if kept.D > target || kept.Q-exact > 2*autoTolerance {
				t.Errorf("%s, max %d: tries %v kept q%d, want met within %d of q%d", tt.name, maxN, tries, kept.Q, 2*autoTolerance, exact)
			}
		}
	}
}

// TestAutoSearchNeverMetServesHighest: with nothing meeting the target the
// search climbs to 100 within the bound and serves it.
func TestAutoSearchNeverMetServesHighest(t *testing.T) {
	tries, k := searchCurve(func(int) float64 { return 50 }, 60, 6, -0.04, 4)
	if tries[k].Q != 100 || len(tries) > 4 {
		t.Errorf("tries %v kept %v: want q100 within 4 tries", tries, tries[k])
	}
}

// TestNextAutoTryCostlyAVIF: a first AVIF try at q90 or above that meets
// the target ends the search (another encode there costs more than a fixed
// miss); below it, after other tries, or in another format, the search goes
// on as nextAutoQuality says.
func TestNextAutoTryCostlyAVIF(t *testing.T) {
	const target, slope = 2.0, -0.05
	met := func(q int) []autoTry { return []autoTry{{q, 1.0}} } // half the target: room to go lower
	for _, tc := range []struct {
		f     spec.Format
		tries []autoTry
		stop  bool
	}{
		{spec.FormatAVIF, met(92), true},
		{spec.FormatAVIF, met(autoCostlyAVIF), true},
		{spec.FormatAVIF, met(80), false},
		{spec.FormatWebP, met(92), false},
		{spec.FormatAVIF, []autoTry{{92, 3.0}}, false},            // missed: it must go up
		{spec.FormatAVIF, []autoTry{{70, 3.0}, {95, 1.0}}, false}, // met after a miss: bracketing goes on
	} {
		got := nextAutoTry(tc.f, tc.tries, target, slope, 4)
		want := nextAutoQuality(tc.tries, target, slope, 4)
		if tc.stop {
			want = 0
		}
		if got != want || (!tc.stop && got == 0) {
			t.Errorf("%s after %+v: next %d, want %d", tc.f, tc.tries, got, want)
		}
	}
}

// TestAutoModelTable: the generated model has a start in range and a
// falling slope for every format and level q=auto applies to.
func TestAutoModelTable(t *testing.T) {
	for _, f := range []spec.Format{spec.FormatJPEG, spec.FormatWebP, spec.FormatAVIF} {
		for _, level := range []spec.AutoLevel{spec.AutoLow, spec.AutoMedium, spec.AutoHigh} {
			m, ok := autoModel[f][level]
			if !ok || m.Start < autoMinQuality || m.Start > 100 || m.Slope >= 0 {
				t.Errorf("%s %s: %+v (present %v); want a start in %d..100 and a negative slope", f, level, m, ok, autoMinQuality)
			}
		}
	}
}
