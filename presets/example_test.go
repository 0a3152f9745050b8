package presets_test

import (
	"fmt"

	"github.com/pixmill/pixmill/presets"
)

func ExampleSignature() {
	path := "/w=400,f=webp/photos/cat.jpg" // "/" + transform + "/" + escaped key, exactly as sent
	sig := presets.Signature([]byte("secret"), path, 16)
	fmt.Println("/" + sig + path)
	// Output: /SleOGMTV_1vS7zPD69E-3w/w=400,f=webp/photos/cat.jpg
}

func ExampleParser_Parse() {
	p, err := presets.New(presets.Config{
		Keys: [][]byte{[]byte("secret")},
		Presets: map[string]presets.Preset{
			"hero": {Transform: "w=1600,h=900,fit=cover,f=auto", Widths: []int{320, 640, 960}, Public: true},
		},
	})
	if err != nil {
		panic(err)
	}
	req, err := p.Parse("/_/hero,w=640,dpr=2/photos/name%20with%20spaces.jpg")
	fmt.Println(req.Key, req.Preset, req.Signed, req.Canonical(), err)
	_, err = p.Parse("/_/hero,w=500/photos/cat.jpg")
	fmt.Println(err)
	// Output:
	// photos/name with spaces.jpg hero false dpr=2,fit=cover,format=auto,height=360,width=640 <nil>
	// width 500 is not on the ladder of preset "hero" (320, 640, 960); other widths need a signature
}

func ExampleParser_Srcset() {
	p, _ := presets.New(presets.Config{Presets: map[string]presets.Preset{
		"thumb": {Transform: "w=200,h=200,fit=cover,g=auto,f=auto", Widths: []int{100, 200, 400}, Public: true},
	}})
	s, _ := p.Srcset("thumb", "photos/cat.jpg")
	fmt.Println(s)
	// Output: /_/thumb,w=100/photos/cat.jpg 100w, /_/thumb,w=200/photos/cat.jpg 200w, /_/thumb,w=400/photos/cat.jpg 400w
}
