package source

import (
	"testing"
	"time"
)

func TestStash(t *testing.T) {
	s := newStash(10, 50*time.Millisecond)
	obj := func(n int) Object { return Object{Data: make([]byte, n)} }
	s.put("a", obj(6))
	s.put("b", obj(6)) // over the budget while a is young: not kept
	if _, ok := s.take("b"); ok {
		t.Error("b was kept over the budget")
	}
	if o, ok := s.take("a"); !ok || len(o.Data) != 6 {
		t.Error("a was not kept")
	}
	if _, ok := s.take("a"); ok {
		t.Error("a was taken twice")
	}
	s.put("c", obj(6))
	time.Sleep(60 * time.Millisecond)
	s.put("d", obj(6)) // c expired: dropped to make room
	if _, ok := s.take("c"); ok {
		t.Error("expired c was still there")
	}
	if _, ok := s.take("d"); !ok {
		t.Error("d was not kept once c expired")
	}
	if s.bytes != 0 {
		t.Errorf("bytes %d after taking everything", s.bytes)
	}
}

func TestHostList(t *testing.T) {
	l, err := parseHosts([]string{"Images.Example.com", "*.cdn.example.net", "[::1]", "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"images.example.com": true, "IMAGES.example.com.": true, "x.images.example.com": false,
		"a.cdn.example.net": true, "a.b.cdn.example.net": true, "cdn.example.net": false, "evilcdn.example.net": false,
		"::1": true, "0:0::1": true, "10.0.0.1": true, "10.0.0.2": false,
	} {
		if got := l.allows(host); got != want {
			t.Errorf("allows(%q) = %v, want %v", host, got, want)
		}
	}
}
