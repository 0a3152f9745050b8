package transform

// q=auto's targets on the in-process distance: the median distance of JPEG
// at quality 65 (between the measured 60 and 70), 80 and 90 on the
// benchmark's photos and faces at 800 px, from go run ./bench/quality
// -metric (docs/benchmarks/quality-metric.md).
const (
	autoTargetLow    = 9.297
	autoTargetMedium = 6.232
	autoTargetHigh   = 1.564
)
