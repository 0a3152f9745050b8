package server

import (
	"context"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/fault"
)

// A request whose deadline passes while it is queued is shed like a queue
// timeout (503), not reported as a client that went away (499); one whose
// client goes away is 499.
func TestAdmissionContextEnds(t *testing.T) {
	a := newAdmission(1, 4, time.Minute, NewMetrics())
	release, err := a.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()

	deadline, cancelDeadline := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelDeadline()
	gone, leave := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, leave)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want fault.Kind
	}{
		{"deadline passed in the queue", deadline, fault.Overloaded},
		{"client went away", gone, fault.Canceled},
	} {
		if _, err := a.acquire(tc.ctx); fault.KindOf(err) != tc.want {
			t.Errorf("%s: %v (kind %v), want %v", tc.name, err, fault.KindOf(err), tc.want)
		}
	}
}
