package harness

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one request as the client saw it.
type Result struct {
	Status int           // 0 when the request failed before a response
	Dur    time.Duration // from when it was due (fixed rate) or sent, to the last byte
	Bytes  int           // body bytes
	Cache  string        // X-Cache: HIT, MISS, COALESCED or ""
	Start  time.Duration // when it was sent, from the start of the run
}

// Client sends the bench's requests: keep-alive, no compression, enough idle
// connections for every worker, a bound on every request.
var Client = &http.Client{
	Transport: &http.Transport{
		MaxIdleConnsPerHost: 512,
		MaxConnsPerHost:     1024,
		DisableCompression:  true,
	},
	Timeout: 60 * time.Second,
}

// Get fetches url, reads the body whole, and times it from since.
func Get(url string, since time.Time) Result {
	resp, err := Client.Get(url)
	if err != nil {
		return Result{Dur: time.Since(since)}
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return Result{Status: resp.StatusCode, Dur: time.Since(since), Bytes: int(n), Cache: resp.Header.Get("X-Cache")}
}

// Do is how a driver sends one item; the default is Get(base+path).
type Do func(path string, since time.Time) Result

// HTTP returns the Do that prefixes base to every path.
func HTTP(base string) Do {
	return func(path string, since time.Time) Result { return Get(base+path, since) }
}

// Passes is closed-loop work of a fixed size: worker i sends its own list,
// in order, passes times, each request as soon as the previous answered.
// Giving each worker its own items keeps two of them from asking for the
// same URL at once, which the server would coalesce. It returns every
// result and the wall time until the last worker finished.
func Passes(do Do, perWorker [][]string, passes int) ([]Result, time.Duration) {
	start := time.Now()
	all := collect(len(perWorker), func(i int) []Result {
		local := make([]Result, 0, passes*len(perWorker[i]))
		for range passes {
			for _, p := range perWorker[i] {
				t := time.Now()
				r := do(p, t)
				r.Start = t.Sub(start)
				local = append(local, r)
			}
		}
		return local
	})
	return all, time.Since(start)
}

// collect runs work on n goroutines and gathers their results.
func collect(n int, work func(i int) []Result) []Result {
	var mu sync.Mutex
	var all []Result
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := work(i)
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

// For is closed-loop load for a duration: workers take the next path in
// turn and send it as soon as their previous request answered.
func For(do Do, paths []string, workers int, d time.Duration) ([]Result, time.Duration) {
	var next atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	all := collect(workers, func(int) []Result {
		var local []Result
		for time.Now().Before(deadline) {
			t := time.Now()
			r := do(paths[int(next.Add(1)-1)%len(paths)], t)
			r.Start = t.Sub(start)
			local = append(local, r)
		}
		return local
	})
	return all, time.Since(start)
}

// Rate is open-loop load: one request every 1/rate seconds for d, whatever
// the answers, each timed from when it was due rather than when it was sent,
// so that a server that stalls the generator is not flattered (coordinated
// omission). At most maxInflight are outstanding; arrivals beyond that are
// dropped and counted, so that the generator cannot run away.
func Rate(do Do, paths []string, rate float64, d time.Duration, maxInflight int) (all []Result, dropped int, elapsed time.Duration) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxInflight)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	n := int(d / interval)
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		select {
		case sem <- struct{}{}:
		default:
			dropped++
			continue
		}
		wg.Add(1)
		go func(p string) {
			defer wg.Done()
			r := do(p, due)
			r.Start = due.Sub(start)
			<-sem
			mu.Lock()
			all = append(all, r)
			mu.Unlock()
		}(paths[i%len(paths)])
	}
	wg.Wait()
	return all, dropped, time.Since(start)
}

// Burst sends path from clients goroutines released at the same instant
// (each on its own connection) and waits for every answer.
func Burst(base, path string, clients int) []Result {
	out := make([]Result, clients)
	var ready, wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range clients {
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Open the connection first, so that the burst is the requests
			// alone and not 16 TCP handshakes.
			tr := &http.Transport{DisableCompression: true}
			c := &http.Client{Transport: tr, Timeout: 60 * time.Second}
			if resp, err := c.Get(base + "/healthz"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			ready.Done()
			<-gate
			t := time.Now()
			resp, err := c.Get(base + path)
			if err != nil {
				out[i] = Result{Dur: time.Since(t)}
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			out[i] = Result{Status: resp.StatusCode, Dur: time.Since(t), Bytes: int(n), Cache: resp.Header.Get("X-Cache")}
			tr.CloseIdleConnections()
		}()
	}
	ready.Wait()
	close(gate)
	wg.Wait()
	return out
}
