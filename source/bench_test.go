package source

import (
	"context"
	"testing"
)

// BenchmarkReadFile reads a 4 MB original from a file:// bucket, the size of
// a typical camera JPEG: attributes, the confinement check, open and read.
func BenchmarkReadFile(b *testing.B) {
	const size = 4 << 20
	s, dir := fileStore(b, 0)
	writeFile(b, dir, "photos/big.jpg", make([]byte, size))
	ctx := context.Background()
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		obj, err := s.Read(ctx, "photos/big.jpg")
		if err != nil || len(obj.Data) != size {
			b.Fatalf("Read: %d bytes, %v", len(obj.Data), err)
		}
	}
}
