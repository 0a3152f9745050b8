package main

import (
	"os"
	"testing"
)

// TestScalingSVGIsCurrent: the checked-in picture is what this program
// draws, so that a change to one is a change to the other.
func TestScalingSVGIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../scaling.svg")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != draw() {
		t.Error("docs/scaling.svg is not what docs/diagrams draws: run go run ./docs/diagrams")
	}
}
