// Package fault is the one error type that reaches clients. Every package on
// the request path returns errors of a Kind; package server maps Kind to an
// HTTP status in one table. The wrapped cause is for logs, never for clients.
package fault

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies an error by what the client did or what went wrong upstream.
type Kind int

const (
	Internal        Kind = iota // a bug or an unexpected failure (500)
	BadRequest                  // malformed transform, bad option value, bad key (400)
	Forbidden                   // missing or bad signature (403)
	NotFound                    // source object missing (404)
	TooLarge                    // source over the byte or pixel limit (413)
	Unsupported                 // source format not supported or not allowed (415)
	Undecodable                 // corrupt or truncated source (422)
	Overloaded                  // queue full or queue wait exceeded (503)
	UpstreamTimeout             // source storage did not answer in time (504)
	Canceled                    // the client went away; nobody reads the answer
	BadGateway                  // an HTTP origin answered 5xx or broke the exchange (502)
	Gone                        // a signed URL past its exp= (410)
)

var kindNames = [...]string{"internal", "bad_request", "forbidden", "not_found", "too_large",
	"unsupported", "undecodable", "overloaded", "upstream_timeout", "canceled", "bad_gateway", "gone"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is an error with a Kind and a message safe to show to the client.
type Error struct {
	Kind    Kind
	Message string // one line, shown to the client
	Err     error  // internal cause, logged only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error of kind k with a formatted client-facing message.
func New(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error of kind k that keeps cause for the logs.
func Wrap(k Kind, cause error, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...), Err: cause}
}

// KindOf reports the Kind of err; errors that carry none are Internal.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return Internal
}

// Message is the client-facing text of err. Errors without a Kind get a
// generic message so that internal details never leak.
func Message(err error) string {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Message
	}
	return "internal error"
}

// FromContext is the one place where a context's end becomes a kind. An
// error that already has a kind keeps it; one caused by the client going
// away is Canceled (499); one caused by a passed deadline is onDeadline,
// since what the deadline means depends on what was waited for:
// UpstreamTimeout while storage was read (504), Overloaded while queued for
// or running a render (503: nothing is wrong with the URL, try again). Any
// other error is returned as it is.
func FromContext(err error, onDeadline Kind) error {
	var fe *Error
	switch {
	case err == nil || errors.As(err, &fe):
		return err
	case errors.Is(err, context.Canceled):
		return Wrap(Canceled, err, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return Wrap(onDeadline, err, "%s", deadlineMessage(onDeadline))
	}
	return err
}

func deadlineMessage(k Kind) string {
	if k == UpstreamTimeout {
		return "source storage timed out"
	}
	return "request did not finish in time"
}
