package source

import (
	"context"
	"errors"
	"fmt"
	"net"

	"gocloud.dev/gcerrors"

	"github.com/pixmill/pixmill/internal/fault"
)

// Client-facing messages; they never name the bucket, the key or a path.
const (
	msgNotFound    = "source not found"
	msgTimeout     = "source storage timed out"
	msgUnavailable = "source storage unavailable"
	msgCanceled    = "request canceled"
	msgBadGateway  = "source origin failed"
)

// classify turns a storage error into a fault. ctx is the caller's context
// (without the storage timeout), so that a caller who went away is told apart
// from storage that did not answer in time.
func classify(ctx context.Context, err error) error {
	if fault.KindOf(err) != fault.Internal {
		return err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fault.FromContext(fmt.Errorf("%w: %w", ctx.Err(), err), fault.UpstreamTimeout)
	}
	var ne net.Error
	code := gcerrors.Code(err)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fault.FromContext(err, fault.UpstreamTimeout)
	case code == gcerrors.DeadlineExceeded, errors.As(err, &ne) && ne.Timeout():
		return fault.Wrap(fault.UpstreamTimeout, err, msgTimeout)
	case code == gcerrors.Canceled:
		return fault.Wrap(fault.Canceled, err, msgCanceled)
	case code == gcerrors.NotFound:
		return fault.Wrap(fault.NotFound, err, msgNotFound)
	default:
		// Permission denied, connection refused, 5xx, unknown driver errors:
		// the storage is there for the client only as "unavailable" (504).
		return fault.Wrap(fault.UpstreamTimeout, err, msgUnavailable)
	}
}
