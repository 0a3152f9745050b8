package source

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"

	"github.com/pixmill/pixmill/internal/fault"
)

// endless serves n bytes (or forever when n < 0) and counts what it served.
type endless struct {
	n      int64
	served int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.n >= 0 && e.served >= e.n {
		return 0, io.EOF
	}
	if e.n >= 0 && int64(len(p)) > e.n-e.served {
		p = p[:e.n-e.served]
	}
	for i := range p {
		p[i] = 'x'
	}
	e.served += int64(len(p))
	return len(p), nil
}

func TestLimitReader(t *testing.T) {
	tests := []struct {
		name       string
		max, size  int64 // size < 0: never ends
		wantLen    int64
		wantServed int64
		tooLarge   bool
	}{
		{"under", 10, 5, 5, 5, false},
		{"exactly", 10, 10, 10, 10, false},
		{"one over", 10, 11, 10, 11, true},
		{"far over", 10, 1 << 20, 10, 11, true},
		{"endless", 4096, -1, 4096, 4097, true},
		{"empty", 10, 0, 0, 0, false},
	}
	for _, tt := range tests {
		src := &endless{n: tt.size}
		got, err := io.ReadAll(limitReader(src, tt.max))
		if tt.tooLarge {
			wantKind(t, tt.name, err, fault.TooLarge)
		} else if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if int64(len(got)) != tt.wantLen || src.served != tt.wantServed {
			t.Errorf("%s: passed %d bytes, read %d from source; want %d, %d",
				tt.name, len(got), src.served, tt.wantLen, tt.wantServed)
		}
	}
}

func TestLimitReaderOneByteAtATime(t *testing.T) {
	src := &endless{n: -1}
	got, err := io.ReadAll(limitReader(iotest.OneByteReader(src), 7))
	wantKind(t, "one byte reads", err, fault.TooLarge)
	if len(got) != 7 || src.served != 8 {
		t.Errorf("passed %d, read %d; want 7, 8", len(got), src.served)
	}
}

func TestReadAll(t *testing.T) {
	data := bytes.Repeat([]byte("pixmill"), 1000)
	tests := []struct {
		name string
		hint int64
	}{
		{"true size", int64(len(data))},
		{"unknown size", -1},
		{"size too small", 10},
		{"size too large", int64(len(data)) * 2},
	}
	for _, tt := range tests {
		got, err := readAll(iotest.HalfReader(bytes.NewReader(data)), tt.hint)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: got %d bytes, %v; want %d bytes", tt.name, len(got), err, len(data))
		}
	}
	// A truthful size is one allocation: the buffer is never regrown.
	if got, _ := readAll(bytes.NewReader(data), int64(len(data))); cap(got) != len(data)+1 {
		t.Errorf("cap %d for %d bytes: buffer was regrown", cap(got), len(data))
	}
}
