package cache

import (
	"context"
	"fmt"
	"runtime/debug"
)

// PanicError is a panic inside a render, turned into an error so that it
// reaches every waiter instead of killing the process from a goroutine that
// no HTTP handler's recover can see.
type PanicError struct {
	Value any
	Stack []byte
}

func (p *PanicError) Error() string { return fmt.Sprintf("panic in render: %v", p.Value) }

func safeRender(ctx context.Context, render RenderFunc) (e *Entry, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return render(ctx)
}
