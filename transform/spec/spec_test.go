package spec

import (
	"reflect"
	"testing"
)

func TestNormalize(t *testing.T) {
	yes := true
	no := false
	tests := []struct {
		name string
		in   Options
		want Options
	}{
		{"defaults", Options{}, Options{DPR: 1, Fit: FitScaleDown, Gravity: Gravity{Kind: GravityCenter}, Metadata: MetadataNone}},
		{"anim=true is the default", Options{Anim: &yes}, Options{DPR: 1, Fit: FitScaleDown, Gravity: Gravity{Kind: GravityCenter}, Metadata: MetadataNone}},
		{"anim=false stays", Options{Anim: &no}, Options{DPR: 1, Fit: FitScaleDown, Gravity: Gravity{Kind: GravityCenter}, Metadata: MetadataNone, Anim: &no}},
		{"focal centre is the centre", Options{Gravity: Gravity{Kind: GravityFocal, X: 0.5, Y: 0.5}}, Options{DPR: 1, Fit: FitScaleDown, Gravity: Gravity{Kind: GravityCenter}, Metadata: MetadataNone}},
		{"other focal points stay", Options{Gravity: Gravity{Kind: GravityFocal, X: 0.5, Y: 0.3}}, Options{DPR: 1, Fit: FitScaleDown, Gravity: Gravity{Kind: GravityFocal, X: 0.5, Y: 0.3}, Metadata: MetadataNone}},
		{"stray focal coordinates dropped", Options{Gravity: Gravity{Kind: GravityTop, X: 0.2}}, Options{DPR: 1, Fit: FitScaleDown, Gravity: Gravity{Kind: GravityTop}, Metadata: MetadataNone}},
	}
	for _, tt := range tests {
		if got := tt.in.Normalize(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
