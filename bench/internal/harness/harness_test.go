package harness

import (
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0, 1}, {0.5, 50}, {0.95, 95}, {0.99, 99}, {1, 100}} {
		if got := Percentile(d, tc.q); got != tc.want*time.Millisecond {
			t.Errorf("Percentile(%v) = %v, want %vms", tc.q, got, int(tc.want))
		}
	}
	l := Summarize(d)
	if l.P50 != 50 || l.P99 != 99 || l.Max != 100 || l.Mean != 50.5 || len(l.Percentiles) != 101 {
		t.Errorf("Summarize = %+v", l)
	}
}

func TestProcReadsThisProcess(t *testing.T) {
	// Burn CPU until getrusage counts 30 ms of it (a wall-clock spin gets
	// less than one 10 ms tick on a loaded machine), for 10 s at most.
	for start, end := SelfCPU(), time.Now().Add(10*time.Second); SelfCPU()-start < 30*time.Millisecond && time.Now().Before(end); {
	}
	if c := ProcCPU(os.Getpid()); c <= 0 {
		t.Errorf("ProcCPU = %v", c)
	}
	if m := ProcMemory(os.Getpid()); m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("ProcMemory = %+v", m)
	}
}

// The drivers send what they are asked to: Passes each worker's list in
// order, Burst all clients to one path, Rate about rate × d requests.
func TestDrivers(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("X-Cache", "MISS")
		_, _ = w.Write([]byte("hello"))
	}))
	defer srv.Close()
	rs, _ := Passes(HTTP(srv.URL), [][]string{{"/a", "/b"}, {"/c"}}, 3)
	if c := Tally(rs); c.OK != 9 || c.Bytes != 45 || c.Cache["MISS"] != 9 {
		t.Errorf("Passes: %+v", c)
	}
	if c := Tally(Burst(srv.URL, "/x", 16)); c.OK != 16 {
		t.Errorf("Burst: %+v", c)
	}
	rs, dropped, _ := Rate(HTTP(srv.URL), []string{"/r"}, 200, 100*time.Millisecond, 8)
	if len(rs)+dropped != 20 {
		t.Errorf("Rate: %d answered + %d dropped, want 20", len(rs), dropped)
	}
}
