package source

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// ErrBlockedAddress is the cause of every refusal to connect to an address
// an HTTP source may not reach (SSRF protection). The server counts it as
// pixmill_rejected_total{reason="ssrf"}.
var ErrBlockedAddress = errors.New("address not allowed")

// ErrHostNotAllowed is the cause of a refusal to fetch from (or be
// redirected to) a host that is not on the source's allowlist.
var ErrHostNotAllowed = errors.New("host not allowed")

// Resolver finds the addresses of a host name. *net.Resolver is one; tests
// inject their own so that no DNS query leaves the machine.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// addrPolicy decides which IP addresses an HTTP source may connect to. The
// decision is made on the address actually dialled (in the dialer's Control
// hook, after DNS and for every redirect), so no host name, redirect, DNS
// rebinding or unusual spelling of an address (0x7f.1, 0177.0.0.1,
// ::ffff:127.0.0.1) gets around it: by then it is four or sixteen bytes.
type addrPolicy struct {
	allowPrivate bool           // loopback, RFC 1918, CGNAT, ULA
	allowed      []netip.Prefix // explicit exceptions, checked first
}

// Always refused unless listed in allowed (allow_networks), private
// networks allowed or not: nothing an image origin lives at, and the cloud
// metadata services in particular.
var alwaysBlocked = prefixes(
	"0.0.0.0/8",          // "this network"; 0.0.0.0 reaches the local host
	"192.0.0.0/24",       // IETF protocol assignments
	"192.0.2.0/24",       // TEST-NET-1
	"198.18.0.0/15",      // benchmarking
	"198.51.100.0/24",    // TEST-NET-2
	"203.0.113.0/24",     // TEST-NET-3
	"224.0.0.0/4",        // multicast
	"240.0.0.0/4",        // reserved, and 255.255.255.255
	"::/128",             // unspecified
	"ff00::/8",           // multicast
	"100::/64",           // discard-only
	"2001:db8::/32",      // documentation
	"64:ff9b::/96",       // NAT64: embeds an IPv4 address the check would not see
	"64:ff9b:1::/48",     // local-use NAT64
	"2002::/16",          // 6to4: embeds an IPv4 address
	"2001::/32",          // Teredo: embeds an IPv4 address
	"::/96",              // IPv4-compatible (deprecated)
	"5f00::/16",          // SRv6 SIDs
	"3fff::/20",          // documentation
	"2001:10::/28",       // ORCHID
	"2001:20::/28",       // ORCHIDv2
	"fec0::/10",          // site-local (deprecated)
	"::ffff:0:0:0/96",    // IPv4-translated
	"2620:4f:8000::/48",  // AS112 (DNS sink)
	"192.88.99.0/24",     // 6to4 relay anycast (deprecated)
	"192.31.196.0/24",    // AS112
	"192.52.193.0/24",    // AMT
	"192.175.48.0/24",    // AS112
	"255.255.255.255/32", // broadcast
)

// Link-local and metadata addresses: refused even with
// allow_private_networks (only allow_networks can open one).
var linkLocal = prefixes(
	"169.254.0.0/16",    // link-local; 169.254.169.254 is the cloud metadata service
	"fe80::/10",         // link-local
	"fd00:ec2::254/128", // EC2 metadata over IPv6 (inside fc00::/7)
)

// Refused unless allow_private_networks (or allowed lists them).
var privateBlocked = prefixes(
	"127.0.0.0/8",   // loopback
	"10.0.0.0/8",    // RFC 1918
	"172.16.0.0/12", // RFC 1918
	"192.168.0.0/16",
	"100.64.0.0/10", // CGNAT (RFC 6598)
	"::1/128",       // loopback
	"fc00::/7",      // unique local
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func within(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// check returns nil when a may be dialled, else an error wrapping
// ErrBlockedAddress. IPv4-mapped IPv6 addresses are judged as the IPv4
// address they carry.
func (p addrPolicy) check(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	switch {
	case !a.IsValid():
		return fmt.Errorf("%w: invalid address", ErrBlockedAddress)
	case within(a, p.allowed):
		return nil
	case within(a, linkLocal):
		return fmt.Errorf("%w: %s is a link-local or metadata address", ErrBlockedAddress, a)
	case within(a, privateBlocked):
		if p.allowPrivate {
			return nil
		}
		return fmt.Errorf("%w: %s is a private or loopback address (allow_private_networks is off)", ErrBlockedAddress, a)
	case within(a, alwaysBlocked):
		return fmt.Errorf("%w: %s is a reserved address", ErrBlockedAddress, a)
	case !a.IsGlobalUnicast():
		return fmt.Errorf("%w: %s is not a public unicast address", ErrBlockedAddress, a)
	}
	return nil
}

// control is the dialer's Control hook: it runs after the socket is made
// and before connect(2), on the address about to be connected to.
func (p addrPolicy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrBlockedAddress, address)
	}
	return p.check(ap.Addr())
}

// guardedDialer dials TCP only to addresses its policy allows, resolving
// host names through its own resolver.
type guardedDialer struct {
	policy   addrPolicy
	resolver Resolver
	dialer   net.Dialer
}

func newGuardedDialer(p addrPolicy, r Resolver, timeout time.Duration) *guardedDialer {
	if r == nil {
		r = net.DefaultResolver
	}
	return &guardedDialer{
		policy:   p,
		resolver: r,
		dialer:   net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.control},
	}
}

// DialContext resolves address's host (unless it is an IP literal) and
// connects to the first of its addresses that the policy allows and that
// answers. Addresses the policy refuses are skipped without a socket; the
// Control hook checks again on the address connect(2) gets.
func (d *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = d.resolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		if err := d.policy.check(a); err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := d.dialer.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%s: no addresses", host)
	}
	return nil, errors.Join(errs...)
}
