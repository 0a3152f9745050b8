package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pixmill/pixmill/vision/engine"
	"github.com/pixmill/pixmill/vision/visiontest"
)

// BenchmarkRun measures the models alone (no HTTP, no decoding): one Run of
// a batch of prepared 320 px previews per iteration; previews/s is the
// figure to compare across batch sizes.
//
//	go test ./vision/engine -run '^$' -bench Run -benchtime 40x
//
// PIXMILL_BENCH_PROVIDER=cuda runs it on the GPU (scripts/gpu-check.sh).
func BenchmarkRun(b *testing.B) {
	files := []string{"faces/grace_hopper.jpg", "faces/group_portrait_1.jpg", "faces/group_portrait_5.jpg",
		"photos/object_lily_plain_bg_512.jpg", "photos/object_coffee_cup_512.jpg", "faces/footballer_action.jpg",
		"faces/group_portrait_3.jpg", "faces/astronaut_eileen_collins.png"}
	for _, models := range [][]string{engine.DefaultFaceModels, {engine.FaceFull}, {engine.FaceBackSigned}, {engine.FaceBack}, {engine.FaceFront}} {
		e := visiontest.EngineWith(b, models...)
		for _, n := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("faces=%s/batch=%d", strings.Join(models, "+"), n), func(b *testing.B) {
				var jobs []*engine.Job
				for i := range n {
					jobs = append(jobs, e.Prepare(visiontest.Preview(b, files[i%len(files)])))
				}
				b.ResetTimer()
				for b.Loop() {
					if err := e.Run(jobs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "previews/s")
			})
		}
	}
}

// BenchmarkPrepare is the per-request work done outside the batch: resizing
// a preview for every model.
func BenchmarkPrepare(b *testing.B) {
	e := visiontest.Engine(b)
	img := visiontest.Preview(b, "faces/group_portrait_1.jpg")
	for b.Loop() {
		e.Prepare(img)
	}
}
