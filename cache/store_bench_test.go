package cache

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkStoreGet reads one stored 40 KB variant back from a file://
// store: what a STORE answer costs beyond an L1 hit on local disk.
func BenchmarkStoreGet(b *testing.B) {
	st, err := OpenStore(context.Background(), StoreConfig{URL: "file://" + b.TempDir() + "?no_tmp_dir=1"}, StoreObserver{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e := entryOf("photos/cat.jpg", `"bench"`, string(bytes.Repeat([]byte{0xa5}, 40<<10)))
	if err := st.write(e); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(e.Body)))
	for b.Loop() {
		if got, err := st.Get(ctx, e.SourceKey, e.ETag); err != nil || got == nil {
			b.Fatal(got, err)
		}
	}
}
