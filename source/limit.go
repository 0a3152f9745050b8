package source

import (
	"io"

	"github.com/pixmill/pixmill/internal/fault"
)

// limitReader returns r cut off past max bytes: it passes through at most max
// bytes, never asks r for more than max+1, and answers a fault.TooLarge once
// the (max+1)th byte shows up. It catches objects whose reported size lied or
// that grew after their attributes were read.
func limitReader(r io.Reader, max int64) io.Reader {
	return &limitedReader{r: r, left: max + 1, max: max}
}

type limitedReader struct {
	r    io.Reader
	left int64 // bytes r may still be asked for: max+1 minus what it gave
	max  int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, l.tooLarge()
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left <= 0 {
		return n - 1, l.tooLarge() // the extra byte only proves the excess
	}
	return n, err
}

func (l *limitedReader) tooLarge() error {
	return fault.New(fault.TooLarge, "source is over the limit of %d bytes", l.max)
}

// readAll reads r to the end into a buffer sized from the object's reported
// size, so a truthful size costs exactly one allocation.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size < 0 {
		size = 0
	}
	// +1 leaves room for the read that sees io.EOF without growing.
	buf := make([]byte, 0, size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
