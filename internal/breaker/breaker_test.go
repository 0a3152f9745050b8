package breaker

import (
	"testing"
	"time"
)

// clock is a settable time for the breaker's cooldown.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBreaker(t *testing.T) {
	const cooldown = 5 * time.Second
	// Each step acts on the breaker and says what Allow answers next.
	type step struct {
		do    string // success, failure, trip, release, wait (past the cooldown), allow
		want  bool   // the next Allow (for "allow": this one)
		event bool   // what the act reported: closed (success) or opened (failure, trip)
	}
	cases := []struct {
		name      string
		threshold int
		steps     []step
	}{
		{"failures below the threshold keep it closed", 3, []step{
			{"failure", true, false}, {"failure", true, false}, {"success", true, false}, {"failure", true, false}, {"failure", true, false},
		}},
		{"the threshold-th failure in a row opens it", 3, []step{
			{"failure", true, false}, {"failure", true, false}, {"failure", false, true},
		}},
		{"open refuses until the cooldown, then lets one trial through", 2, []step{
			{"failure", true, false}, {"failure", false, true}, {"wait", true, false}, {"allow", true, false},
			{"allow", false, false}, // the trial is in flight: everyone else is refused
		}},
		{"a trial's answer closes it", 1, []step{
			{"failure", false, true}, {"wait", true, false}, {"allow", true, false}, {"success", true, true}, {"allow", true, false}, {"allow", true, false},
		}},
		{"a trial's failure opens it again for the cooldown", 1, []step{
			{"failure", false, true}, {"wait", true, false}, {"allow", true, false}, {"failure", false, true},
		}},
		{"a released trial lets the next call try", 1, []step{
			{"failure", false, true}, {"wait", true, false}, {"allow", true, false}, {"release", true, false}, {"allow", true, false}, {"allow", false, false},
		}},
		{"release counts nothing", 2, []step{
			{"failure", true, false}, {"release", true, false}, {"failure", false, true},
		}},
		{"trip opens at once", 3, []step{
			{"trip", false, true}, {"wait", true, false},
		}},
		{"a late failure while open does not extend it", 1, []step{
			{"failure", false, true}, {"failure", false, false},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1000, 0)}
			b := New(tc.threshold, cooldown).WithClock(c.now)
			for i, s := range tc.steps {
				var event bool
				switch s.do {
				case "success":
					event = b.Success()
				case "failure":
					event = b.Failure()
				case "trip":
					event = b.Trip()
				case "release":
					b.Release()
				case "wait":
					c.t = c.t.Add(cooldown + time.Millisecond)
				case "allow":
					if got := b.Allow(); got != s.want {
						t.Fatalf("step %d: Allow = %v, want %v", i, got, s.want)
					}
					continue
				}
				if event != s.event {
					t.Fatalf("step %d (%s): reported %v, want %v", i, s.do, event, s.event)
				}
				if got := !b.Refusing(); got != s.want {
					t.Fatalf("step %d (%s): Refusing = %v, want Allow %v next", i, s.do, !got, s.want)
				}
			}
		})
	}
}
