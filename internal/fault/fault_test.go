package fault

import (
	"context"
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

func TestFromContext(t *testing.T) {
	already := New(NotFound, "source not found")
	other := errors.New("boom")
	for _, tc := range []struct {
		name       string
		err        error
		onDeadline Kind
		want       Kind
	}{
		{"canceled", context.Canceled, Overloaded, Canceled},
		{"canceled, wrapped", fmt.Errorf("read: %w", context.Canceled), UpstreamTimeout, Canceled},
		{"deadline while rendering", context.DeadlineExceeded, Overloaded, Overloaded},
		{"deadline while reading storage", fmt.Errorf("get: %w", context.DeadlineExceeded), UpstreamTimeout, UpstreamTimeout},
		{"already classified", fmt.Errorf("x: %w: %w", already, context.Canceled), Overloaded, NotFound},
		{"not a context error", other, Overloaded, Internal},
	} {
		got := FromContext(tc.err, tc.onDeadline)
		if KindOf(got) != tc.want {
			t.Errorf("%s: kind %v, want %v", tc.name, KindOf(got), tc.want)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("%s: the cause is lost", tc.name)
		}
	}
	if FromContext(nil, Overloaded) != nil {
		t.Error("FromContext(nil) is not nil")
	}
}
