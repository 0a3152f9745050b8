package server_test

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHeaderLimit: a request whose header block is over 32 KiB is refused
// with 431 before any handler runs (issue 9, class 8: Go's default let each
// connection buffer 1 MB of headers); one a little under is served.
func TestHeaderLimit(t *testing.T) {
	s := startServer(t, "source: { url: \"file://"+samplesDir(t)+"\" }\n")
	tests := []struct {
		name   string
		size   int
		status int
	}{
		{"a large cookie", 24 << 10, http.StatusOK},
		{"64 KiB", 64 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"1 MiB", 1 << 20, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/healthz", nil)
			req.Header.Set("Cookie", "c="+strings.Repeat("x", tt.size))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

// TestConnectionLimit: with limits.max_connections: 2, two idle connections
// hold both places; a third is accepted by the kernel but not served until
// one of them closes.
func TestConnectionLimit(t *testing.T) {
	s := startServer(t, "source: { url: \"file://"+samplesDir(t)+"\" }\nlimits: { max_connections: 2 }\n")
	addr := strings.TrimPrefix(s.URL, "http://")
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Each of the two sends a request and reads the answer, so both are
	// accepted and being served (now idle, kept alive) before the third.
	held := []net.Conn{dial(), dial()}
	for _, c := range held {
		if status := roundTrip(t, c, time.Now().Add(5*time.Second)); status != "HTTP/1.1 200 OK" {
			t.Fatalf("held connection: %q", status)
		}
	}
	third := dial()
	if status := roundTrip(t, third, time.Now().Add(500*time.Millisecond)); status != "timeout" {
		t.Fatalf("third connection over the limit was served: %q", status)
	}
	held[0].Close()
	// The request already sent on the third connection is answered now.
	third.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(third).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "HTTP/1.1 200 OK" {
		t.Fatalf("after a place freed up: %q, %v", line, err)
	}
}

// roundTrip sends GET /healthz on c and returns the status line, or
// "timeout" when none came by deadline. It reads the whole (small) answer,
// so that the connection is idle and kept alive afterwards.
func roundTrip(t *testing.T, c net.Conn, deadline time.Time) string {
	t.Helper()
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(deadline)
	r := bufio.NewReader(c)
	status, err := r.ReadString('\n')
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "timeout"
	}
	for l := ""; err == nil && l != "ok\n"; { // headers, then the body "ok\n"
		l, err = r.ReadString('\n')
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(status)
}
