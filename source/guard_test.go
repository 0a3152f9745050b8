package source

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pixmill/pixmill/internal/testorigin"
)

func TestAddrPolicy(t *testing.T) {
	tests := []struct {
		addr          string
		public        bool // allowed with the default policy
		withPrivate   bool // allowed with allow_private_networks
		withAllowlist bool // allowed with allow_networks 10.1.2.0/24, 169.254.169.254/32
	}{
		{"93.184.215.14", true, true, true},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true, true, true},
		{"127.0.0.1", false, true, false},
		{"127.1.2.3", false, true, false},
		{"::1", false, true, false},
		{"::ffff:127.0.0.1", false, true, false},
		{"::ffff:10.0.0.1", false, true, false},
		{"10.0.0.1", false, true, false},
		{"10.1.2.3", false, true, true},
		{"172.16.5.4", false, true, false},
		{"192.168.1.1", false, true, false},
		{"100.64.0.1", false, true, false}, // CGNAT
		{"fd12:3456::1", false, true, false},
		{"169.254.169.254", false, false, true}, // metadata: only an explicit allow_networks opens it
		{"169.254.1.1", false, false, false},
		{"fd00:ec2::254", false, false, false}, // EC2 metadata over IPv6, inside fc00::/7
		{"fe80::1", false, false, false},
		{"0.0.0.0", false, false, false},
		{"::", false, false, false},
		{"0.1.2.3", false, false, false},
		{"224.0.0.1", false, false, false},
		{"255.255.255.255", false, false, false},
		{"64:ff9b::7f00:1", false, false, false}, // NAT64 of 127.0.0.1
		{"2002:7f00:1::", false, false, false},   // 6to4 of 127.0.0.1
		{"::127.0.0.1", false, false, false},     // IPv4-compatible
		{"192.0.2.1", false, false, false},
	}
	allow := []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24"), netip.MustParsePrefix("169.254.169.254/32")}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		for _, c := range []struct {
			name   string
			policy addrPolicy
			want   bool
		}{
			{"default", addrPolicy{}, tt.public},
			{"allow_private_networks", addrPolicy{allowPrivate: true}, tt.withPrivate},
			{"allow_networks", addrPolicy{allowed: allow}, tt.withAllowlist || tt.public},
		} {
			err := c.policy.check(a)
			if got := err == nil; got != c.want {
				t.Errorf("%s with %s: allowed=%v (%v), want %v", tt.addr, c.name, got, err, c.want)
			}
			if err != nil && !errors.Is(err, ErrBlockedAddress) {
				t.Errorf("%s: %v does not wrap ErrBlockedAddress", tt.addr, err)
			}
		}
	}
}

// TestControlRefusesBeforeConnect: the Control hook itself (not only the
// dialer's pre-check) refuses a loopback address, and the listener never
// sees a connection: the refusal is before connect(2).
func TestControlRefusesBeforeConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	// The guarded dialer's own net.Dialer, without its pre-check: the hook
	// alone must refuse.
	d := newGuardedDialer(addrPolicy{}, nil, time.Second).dialer
	if c, err := d.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Fatal("dialled a loopback address")
	} else if !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("error %v does not wrap ErrBlockedAddress", err)
	}
	select {
	case <-accepted:
		t.Fatal("the listener accepted a connection")
	case <-time.After(100 * time.Millisecond):
	}
	// Addresses that must not be dialled at all are judged by the hook
	// without dialling them here.
	for _, addr := range []string{"10.0.0.1:80", "169.254.169.254:80", "[fd00:ec2::254]:80", "[::ffff:127.0.0.1]:80", "[::]:80"} {
		if err := (addrPolicy{}).control("tcp", addr, nil); !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("control(%s) = %v, want ErrBlockedAddress", addr, err)
		}
	}
}

// TestGuardedDialerResolves: host names are resolved through the injected
// resolver, refused addresses skipped without a socket, and allowed ones
// dialled.
func TestGuardedDialerResolves(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	r := testorigin.Resolver{
		"rebind.test": testorigin.Addrs("10.0.0.1", "127.0.0.1"),
		"meta.test":   testorigin.Addrs("169.254.169.254"),
	}
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	d := newGuardedDialer(addrPolicy{allowed: loopback}, r, time.Second)
	c, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort("rebind.test", port))
	if err != nil {
		t.Fatalf("rebind.test: %v (10.0.0.1 skipped, 127.0.0.1 allowed by allow_networks)", err)
	}
	c.Close()
	for _, host := range []string{"meta.test", "nowhere.test"} {
		if c, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(host, port)); err == nil {
			c.Close()
			t.Errorf("%s: dialled", host)
		}
	}
}
