package fault

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestKindAndMessage(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantKind Kind
		wantMsg  string
	}{
		{"plain error is internal", io.EOF, Internal, "internal error"},
		{"new", New(BadRequest, "unknown option %q", "wdth"), BadRequest, `unknown option "wdth"`},
		{"wrap keeps kind", Wrap(Undecodable, io.ErrUnexpectedEOF, "source undecodable"), Undecodable, "source undecodable"},
		{"wrapped again by fmt", fmt.Errorf("render: %w", New(TooLarge, "too big")), TooLarge, "too big"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.wantKind {
				t.Errorf("KindOf = %v, want %v", got, tt.wantKind)
			}
			if got := Message(tt.err); got != tt.wantMsg {
				t.Errorf("Message = %q, want %q", got, tt.wantMsg)
			}
		})
	}
	if !errors.Is(Wrap(Undecodable, io.ErrUnexpectedEOF, "x"), io.ErrUnexpectedEOF) {
		t.Error("Wrap must keep the cause for errors.Is")
	}
}
