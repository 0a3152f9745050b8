package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

const peerSecret = "peer-secret-for-tests-0001"

// freeAddrs reserves n loopback addresses for servers that must know each
// other's before they start (the static peer list).
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// peerCluster starts n in-process servers over the same originals, each
// with its own peer port and the others in its static list.
func peerCluster(t *testing.T, n int, dir, extra string) ([]*testServer, []string) {
	t.Helper()
	addrs := freeAddrs(t, n)
	var servers []*testServer
	for i := range n {
		servers = append(servers, cacheServer(t, dir, fmt.Sprintf(`cache:
  peers: { listen: "%s", static: ["%s"], secret: "%s", timeout: 1s }
%s`, addrs[i], strings.Join(addrs, `", "`), peerSecret, extra)))
	}
	return servers, addrs
}

// TestPeersRenderOnce: variants asked through every replica are rendered
// once cluster-wide; the others answer PEER with the owner's bytes and
// headers, then HIT from their own L1.
func TestPeersRenderOnce(t *testing.T) {
	servers, _ := peerCluster(t, 3, copySamples(t), "")
	var paths []string
	for _, w := range []int{60, 80, 100, 120, 140, 160, 180, 200} {
		for _, f := range []string{"webp", "jpeg"} {
			paths = append(paths, servers[0].sign(t, fmt.Sprintf("/w=%d,f=%s/grace_hopper.jpg", w, f)))
		}
	}
	seen := map[string]int{}
	for round := range 2 {
		for i, p := range paths {
			var first []byte
			var etag string
			for j := range servers {
				s := servers[(i+j)%len(servers)]
				resp, body := s.get(t, p)
				if resp.StatusCode != 200 {
					t.Fatalf("%s: %d", p, resp.StatusCode)
				}
				seen[resp.Header.Get("X-Cache")]++
				if round == 1 && resp.Header.Get("X-Cache") != "HIT" {
					t.Errorf("second round, %s: X-Cache %q, want HIT", p, resp.Header.Get("X-Cache"))
				}
				if j == 0 {
					first, etag = body, resp.Header.Get("ETag")
				} else if !bytes.Equal(body, first) || resp.Header.Get("ETag") != etag {
					t.Errorf("%s through replica %d: other bytes or ETag than the first answer", p, (i+j)%len(servers))
				}
			}
		}
	}
	renders := 0.0
	for _, s := range servers {
		renders += s.metricValue(t, "pixmill_renders_total")
	}
	if renders != float64(len(paths)) {
		t.Errorf("renders across replicas %v, want %d (one per variant); X-Cache seen %v", renders, len(paths), seen)
	}
	if seen["PEER"] == 0 {
		t.Errorf("no PEER answers: %v", seen)
	}
	peerHits := 0.0
	for _, s := range servers {
		peerHits += s.metricValue(t, `pixmill_cache_requests_total{result="hit",tier="peer"}`)
	}
	if peerHits != float64(seen["PEER"]) {
		t.Errorf("peer hits counted %v, PEER answers %d", peerHits, seen["PEER"])
	}
}

// TestPeerPortAuth: the peer port refuses requests without the secret or
// with a wrong one (403), and the public port never answers the peer
// protocol.
func TestPeerPortAuth(t *testing.T) {
	servers, addrs := peerCluster(t, 2, copySamples(t), "")
	key := "pm1%0A%22x%22%0A%0A_%0Agrace_hopper.jpg"
	for _, tc := range []struct {
		name, method, url, secret string
		want                      int
	}{
		{"groupcache get without secret", http.MethodGet, "http://" + addrs[0] + "/_groupcache/variants/" + key, "", 403},
		{"groupcache get, wrong secret", http.MethodGet, "http://" + addrs[0] + "/_groupcache/variants/" + key, "peer-secret-for-tests-0002", 403},
		{"groupcache get, secret prefix", http.MethodGet, "http://" + addrs[0] + "/_groupcache/variants/" + key, peerSecret[:10], 403},
		{"groupcache delete without secret", http.MethodDelete, "http://" + addrs[0] + "/_groupcache/variants/" + key, "", 403},
		{"purge without secret", http.MethodPost, "http://" + addrs[1] + "/_pixmill/purge?key=grace_hopper.jpg", "", 403},
		{"unknown group, with secret", http.MethodGet, "http://" + addrs[0] + "/_groupcache/other/x", peerSecret, 404},
		{"purge with secret", http.MethodPost, "http://" + addrs[1] + "/_pixmill/purge?key=grace_hopper.jpg", peerSecret, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, nil)
			if tc.secret != "" {
				req.Header.Set("X-Pixmill-Peer-Secret", tc.secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s %s: %d, want %d", tc.method, tc.url, resp.StatusCode, tc.want)
			}
		})
	}
	// The public port: the peer protocol's paths are image paths there,
	// refused as such, even with the secret.
	for _, path := range []string{"/_groupcache/variants/" + key, "/_pixmill/purge?key=grace_hopper.jpg"} {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			req, _ := http.NewRequest(method, servers[0].URL+path, nil)
			req.Header.Set("X-Pixmill-Peer-Secret", peerSecret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode >= 500 || resp.Header.Get("Content-Type") == "application/x-protobuf" {
				t.Errorf("public %s %s: %d %q, want a 4xx that is not the peer protocol", method, path, resp.StatusCode, body)
			}
		}
	}
}

// TestPeersPurgeFansOut: a purge on one replica drops the variants from
// every replica's L1 and groupcache: each is rendered again, once.
func TestPeersPurgeFansOut(t *testing.T) {
	servers, _ := peerCluster(t, 3, copySamples(t), "")
	paths := []string{servers[0].sign(t, "/w=90,f=webp/grace_hopper.jpg"), servers[0].sign(t, "/w=110,f=webp/grace_hopper.jpg"),
		servers[0].sign(t, "/w=90,f=webp/rose.png")}
	getAll := func() {
		for _, p := range paths {
			for _, s := range servers {
				if resp, _ := s.get(t, p); resp.StatusCode != 200 {
					t.Fatalf("%s: %d", p, resp.StatusCode)
				}
			}
		}
	}
	renders := func() float64 {
		n := 0.0
		for _, s := range servers {
			n += s.metricValue(t, "pixmill_renders_total")
		}
		return n
	}
	getAll()
	if got := renders(); got != 3 {
		t.Fatalf("renders %v, want 3", got)
	}
	req, _ := http.NewRequest(http.MethodPost, servers[1].URL+"/admin/purge?key=grace_hopper.jpg", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var purged struct {
		Purged      int `json:"purged"`
		PurgedPeers int `json:"purged_peers"`
	}
	err = json.NewDecoder(resp.Body).Decode(&purged)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || purged.PurgedPeers != 2 || purged.Purged != 2 {
		t.Fatalf("purge: %d %+v %v; want 200, 2 from this L1, 2 peers", resp.StatusCode, purged, err)
	}
	for _, s := range servers {
		resp, _ := s.get(t, paths[2])
		if resp.Header.Get("X-Cache") != "HIT" {
			t.Errorf("rose.png after purging grace_hopper.jpg: X-Cache %q, want HIT", resp.Header.Get("X-Cache"))
		}
	}
	getAll()
	if got := renders(); got != 5 {
		t.Errorf("renders after the purge %v, want 5 (the two purged variants once more)", got)
	}
}

// TestPeersNeverShareDegraded: a degraded render (vision sidecar down) is
// neither shared nor kept: every replica renders its own, and a later
// request renders again.
func TestPeersNeverShareDegraded(t *testing.T) {
	dead := freeAddrs(t, 1)[0]
	servers, _ := peerCluster(t, 2, copySamples(t), "vision: { url: \"http://"+dead+"\" }\n")
	path := servers[0].sign(t, "/w=100,h=100,fit=cover,g=face,f=webp/grace_hopper.jpg")
	for round := range 2 {
		for i, s := range servers {
			resp, _ := s.get(t, path)
			if resp.StatusCode != 200 || !strings.HasSuffix(resp.Header.Get("ETag"), `.degraded"`) || resp.Header.Get("X-Cache") != "MISS" {
				t.Fatalf("round %d, replica %d: %d, X-Cache %q, ETag %s; want 200 MISS degraded", round, i, resp.StatusCode, resp.Header.Get("X-Cache"), resp.Header.Get("ETag"))
			}
		}
	}
}

// TestPeersHungOwner: an owner that accepts connections and never answers
// costs the peer timeout; then its variants are rendered here, every
// request is answered 200, and the lookups are counted as errors.
func TestPeersHungOwner(t *testing.T) {
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	var conns []net.Conn
	go func() {
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never answered
		}
	}()
	self := freeAddrs(t, 1)[0]
	s := cacheServer(t, copySamples(t), fmt.Sprintf(`cache:
  peers: { listen: "%s", static: ["%s", "%s"], secret: "%s", timeout: 300ms }
`, self, self, hung.Addr().String(), peerSecret))
	const n = 12
	for w := range n {
		resp, _ := s.get(t, s.sign(t, fmt.Sprintf("/w=%d,f=webp/grace_hopper.jpg", 50+w)))
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("w=%d: %d, X-Cache %q; want 200 MISS", 50+w, resp.StatusCode, resp.Header.Get("X-Cache"))
		}
	}
	errs := s.metricValue(t, `pixmill_cache_requests_total{result="error",tier="peer"}`)
	owned := s.metricValue(t, `pixmill_cache_requests_total{result="miss",tier="peer"}`)
	if errs == 0 || errs+owned != n {
		t.Errorf("peer lookups: %v failed over to here, %v owned here; want some of each, %d in all", errs, owned, n)
	}
	if got := s.metricValue(t, "pixmill_renders_total"); got != n {
		t.Errorf("renders %v, want %d", got, n)
	}
}
