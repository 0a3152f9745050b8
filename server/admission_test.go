package server_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowPath is a render that takes a while on this machine (20 MP JPEG to a
// 1600 px AVIF, about half a second); q makes each URL distinct so that
// nothing coalesces.
func slowPath(t testing.TB, s *testServer, q int) string {
	return s.sign(t, "/w=1600,f=avif,q="+strconv.Itoa(q)+"/photos/kleiber_bird_20mp.jpg")
}

func admissionServer(t *testing.T, limits string) *testServer {
	return startServer(t, `
source: { url: "file://`+corpusDir(t)+`" }
signing: { keys: ["`+testKey+`"] }
cache: { max_bytes: 0 }
limits: `+limits+`
`)
}

func TestQueueFullSheds(t *testing.T) {
	s := admissionServer(t, "{ concurrency: 1, queue: 1, queue_timeout: 30s }")
	var wg sync.WaitGroup
	statuses := make(chan *http.Response, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := s.get(t, slowPath(t, s, 50+i))
			statuses <- resp
		}()
	}
	wg.Wait()
	close(statuses)
	var ok, shed int
	for resp := range statuses {
		switch resp.StatusCode {
		case 200:
			ok++
		case 503:
			shed++
			if resp.Header.Get("Retry-After") == "" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("503 without Retry-After or with caching: %v", resp.Header)
			}
		default:
			t.Errorf("status %d", resp.StatusCode)
		}
	}
	if ok < 2 || shed < 1 {
		t.Errorf("%d served, %d shed; want 1 running + 1 queued served and the rest shed", ok, shed)
	}
	if v := s.metricValue(t, `pixmill_rejected_total{reason="queue_full"}`); v != float64(shed) {
		t.Errorf("rejected{queue_full} = %v, want %d", v, shed)
	}
}

func TestQueueWaitTimesOut(t *testing.T) {
	s := admissionServer(t, "{ concurrency: 1, queue: 8, queue_timeout: 50ms }")
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := map[int]int{}
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := s.get(t, slowPath(t, s, 60+i))
			mu.Lock()
			count[resp.StatusCode]++
			mu.Unlock()
			if resp.StatusCode == 503 && !strings.Contains(string(body), "queue wait") {
				t.Errorf("503 body %q", body)
			}
		}()
	}
	wg.Wait()
	if count[503] < 1 || count[200] < 1 {
		t.Errorf("statuses %v; want the first served and the waiters timed out", count)
	}
}

// hangingStorage accepts connections and never answers: an S3 endpoint
// that hangs.
func hangingStorage(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

// TestHungSourceAnswers504WithoutASlot: a storage that never answers costs
// the request its source timeout, answers 504, and never takes a transform
// slot or a queue place.
func TestHungSourceAnswers504WithoutASlot(t *testing.T) {
	addr := hangingStorage(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	s := startServer(t, `
source: { url: "s3://bucket?endpoint=http://`+addr+`&use_path_style=true&region=us-east-1&disable_https=true", timeout: 500ms }
signing: { keys: ["`+testKey+`"] }
limits: { concurrency: 1, queue: 0 }
`)
	done := make(chan *http.Response, 2)
	for i := range 2 {
		go func() {
			resp, _ := s.get(t, s.sign(t, "/w=100,q="+strconv.Itoa(10+i)+"/a.jpg"))
			done <- resp
		}()
	}
	time.Sleep(200 * time.Millisecond)
	if v := s.metricValue(t, "pixmill_inflight_transforms"); v != 0 {
		t.Errorf("a request waiting on storage holds a transform slot (inflight %v)", v)
	}
	for range 2 {
		select {
		case resp := <-done:
			if resp.StatusCode != 504 {
				t.Errorf("status %d, want 504", resp.StatusCode)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no answer within 10 s from a hung storage with a 500 ms timeout")
		}
	}
}

// TestDisconnectFreesQueuePlace: a queued client that goes away frees its
// place at once, so the next request is queued instead of shed.
func TestDisconnectFreesQueuePlace(t *testing.T) {
	s := admissionServer(t, "{ concurrency: 1, queue: 1, queue_timeout: 30s }")
	first := make(chan int, 1)
	go func() { resp, _ := s.get(t, slowPath(t, s, 70)); first <- resp.StatusCode }()
	waitMetric(t, s, "pixmill_inflight_transforms", 1)

	ctx, cancel := context.WithCancel(context.Background())
	queued := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+slowPath(t, s, 71), nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		queued <- err
	}()
	waitMetric(t, s, "pixmill_queue_depth", 1)
	cancel()
	<-queued
	waitMetric(t, s, "pixmill_queue_depth", 0)

	third, _ := s.get(t, slowPath(t, s, 72))
	if third.StatusCode != 200 {
		t.Errorf("request after the disconnect: %d, want 200 (queued, not shed)", third.StatusCode)
	}
	if code := <-first; code != 200 {
		t.Errorf("first request: %d", code)
	}
}

func waitMetric(t *testing.T, s *testServer, series string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.metricValue(t, series) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %v", series, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
