// Package vision is the smart-crop sidecar's protocol and the client the
// server uses to ask it where to crop. The sidecar itself (bin/pixmill-vision,
// ONNX Runtime, the models) lives in the subpackages and cmd/pixmill-vision;
// this package has no cgo and no libvips, so importing it costs the server
// nothing but net/http.
//
// Protocol (docs/vision.md has the long form):
//
//	POST /v1/analyze?w=W&h=H[&grid=N]
//	Content-Type: application/octet-stream   raw 8-bit interleaved RGB, W*H*3 bytes, rows top to bottom
//	Content-Type: image/jpeg | image/png      an encoded preview; w and h are then omitted
//
//	200 application/json  Regions
//	400 malformed preview, 413 preview too large, 503 sidecar overloaded or shutting down
//
// Every coordinate in the answer is a fraction of the preview's width or
// height, so the caller maps it onto the source by multiplication, whatever
// size the preview was.
package vision

// Box is a rectangle in fractions of the preview: X and Width of its width, Y
// and Height of its height, all within [0, 1]. Score is the detector's
// confidence for a face, and for the salient region the share of the image's
// saliency that the box holds.
type Box struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	Score  float64 `json:"score"`
}

// Center returns the box's centre in fractions of the preview.
func (b Box) Center() (x, y float64) { return b.X + b.Width/2, b.Y + b.Height/2 }

// Regions is what the sidecar found in one preview.
type Regions struct {
	// Faces, highest score first; empty when there are none.
	Faces []Box `json:"faces"`
	// Salient is the most salient region (spectral residual saliency). On a
	// featureless image it is the whole frame with score 0.
	Salient Box `json:"salient"`
	// Grid is a coarse saliency map, present only when asked for (grid=N).
	Grid *Grid `json:"grid,omitempty"`
	// Provider is the execution provider that ran the models: "cuda" or "cpu".
	Provider string `json:"provider"`
}

// Grid is a coarse saliency map: Width*Height cells, row-major from the top
// left, each the mean saliency over its cell in [0, 1] (1 = the image's most
// salient cell).
type Grid struct {
	Width  int       `json:"width"`
	Height int       `json:"height"`
	Cells  []float32 `json:"cells"`
}

// Protocol constants shared by client and sidecar.
const (
	// AnalyzePath is the analysis endpoint.
	AnalyzePath = "/v1/analyze"
	// ContentTypeRGB marks a raw RGB preview whose size is in the w and h
	// query parameters.
	ContentTypeRGB = "application/octet-stream"
	// MaxPreviewSide is the longest preview side the sidecar accepts. The
	// models see at most 256 px, so the server should send 320 px or less.
	MaxPreviewSide = 1024
	// MaxGrid is the largest grid=N the sidecar answers.
	MaxGrid = 64
)
