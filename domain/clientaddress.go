package domain

import (
	"fmt"
	"net/netip"
	"strings"
)

// Headers reads a request's header lines by name, in the order they came
// (http.Header.Values).
type Headers func(name string) []string

// ClientAddressRule finds the client behind a request the way Nextcloud does
// (Request::getRemoteAddress): only when the peer is a trusted proxy are the
// forwarded-for headers read, the last configured one first, each from its
// right-most entry, and the first address that is not itself a trusted proxy
// is the client's. Otherwise, or when none is found, the peer is the client.
// Only the right-most entries are the trusted proxies' own words: whatever a
// client writes into the header itself ends up left of them.
//
// The zero rule trusts no proxy: the peer is always the client.
type ClientAddressRule struct {
	trusted []netip.Prefix
	headers []string
}

// DefaultForwardedForHeaders is Nextcloud's default forwarded_for_headers.
var DefaultForwardedForHeaders = []string{"HTTP_X_FORWARDED_FOR"}

// LoopbackProxies are this machine's own addresses: a reverse proxy on the
// same host, as every documented deployment has, connects from them. Only
// those two, not all of 127.0.0.0/8: another loopback address may well be
// a client (tests and some container setups give each its own).
var LoopbackProxies = []string{"127.0.0.1", "::1"}

// NewClientAddressRule reads Nextcloud's trusted_proxies (addresses and
// CIDR ranges) and forwarded_for_headers (PHP server keys such as
// HTTP_X_FORWARDED_FOR, or plain header names; none means X-Forwarded-For).
func NewClientAddressRule(trustedProxies, forwardedForHeaders []string) (ClientAddressRule, error) {
	var r ClientAddressRule
	for _, p := range trustedProxies {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		prefix, err := parseProxy(p)
		if err != nil {
			return ClientAddressRule{}, err
		}
		r.trusted = append(r.trusted, prefix)
	}
	if len(forwardedForHeaders) == 0 {
		forwardedForHeaders = DefaultForwardedForHeaders
	}
	for _, h := range forwardedForHeaders {
		name, err := headerName(h)
		if err != nil {
			return ClientAddressRule{}, err
		}
		r.headers = append(r.headers, name)
	}
	return r, nil
}

func parseProxy(p string) (netip.Prefix, error) {
	if strings.Contains(p, "/") {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q is not an IP address or CIDR range", p)
		}
		if prefix.Addr().Is4In6() {
			prefix = netip.PrefixFrom(prefix.Addr().Unmap(), max(prefix.Bits()-96, 0))
		}
		return prefix.Masked(), nil
	}
	a, err := netip.ParseAddr(p)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q is not an IP address or CIDR range", p)
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// headerName turns PHP's HTTP_X_FORWARDED_FOR into X-Forwarded-For; a name
// without the HTTP_ prefix is taken as a header name already.
func headerName(key string) (string, error) {
	key = strings.TrimSpace(key)
	name, php := strings.CutPrefix(key, "HTTP_")
	if php {
		name = strings.ReplaceAll(name, "_", "-")
	}
	if name == "" || strings.ContainsFunc(name, func(r rune) bool {
		return !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return "", fmt.Errorf("forwarded-for header %q is not a header name or a PHP HTTP_ server key", key)
	}
	return name, nil
}

// Trusts reports whether a is a trusted proxy. An invalid address is a unix
// socket peer: a proxy on this machine by construction.
func (r ClientAddressRule) Trusts(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Client is the client's address for a request from peer with the given
// headers; invalid only when the peer is a unix socket and no header names a
// client.
func (r ClientAddressRule) Client(peer netip.Addr, headers Headers) netip.Addr {
	peer = peer.Unmap()
	if !r.Trusts(peer) {
		return peer
	}
	for i := len(r.headers) - 1; i >= 0; i-- {
		values := headers(r.headers[i])
		// Several header lines are one list, as PHP joins them.
		for v := len(values) - 1; v >= 0; v-- {
			entries := strings.Split(values[v], ",")
			for e := len(entries) - 1; e >= 0; e-- {
				a, ok := parseHop(entries[e])
				if !ok || r.Trusts(a) {
					continue
				}
				return a
			}
		}
	}
	return peer
}

// parseHop reads one forwarded-for entry: an address, possibly with a port
// (v4:port, [v6]:port).
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if inner, ok = strings.CutSuffix(inner, "]"); ok {
			if a, err := netip.ParseAddr(inner); err == nil {
				return a.Unmap().WithZone(""), true
			}
		}
	}
	return netip.Addr{}, false
}

// ForwardedChain is the X-Forwarded-For list sent along with a credential
// check (PROTOCOL §6): the addresses the request says it was forwarded for,
// then the peer. Like upstream it reads X-Forwarded-For, else X-Real-IP, else
// the for= parameters of RFC 7239's Forwarded, so that Nextcloud's
// brute-force protection sees the client behind a proxy that sets only one
// of the latter. Entries that are not addresses are dropped: nothing else
// can be smuggled into the header.
func ForwardedChain(peer netip.Addr, headers Headers) []string {
	var chain []string
	add := func(s string) {
		if a, ok := parseHop(s); ok {
			chain = append(chain, a.String())
		}
	}
	for _, v := range headers("X-Forwarded-For") {
		for _, e := range strings.Split(v, ",") {
			add(e)
		}
	}
	if len(chain) == 0 {
		for _, v := range headers("X-Real-Ip") {
			add(v)
		}
	}
	if len(chain) == 0 {
		for _, v := range headers("Forwarded") {
			for _, element := range strings.Split(v, ",") {
				for _, pair := range strings.Split(element, ";") {
					key, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if ok && strings.EqualFold(key, "for") {
						add(strings.Trim(value, `"`))
					}
				}
			}
		}
	}
	if peer.IsValid() {
		chain = append(chain, peer.Unmap().String())
	}
	return chain
}

// AddressKey is what per-address limits count by: an IPv4 address, or the
// /64 network of an IPv6 address, since one IPv6 subscriber gets a whole /64
// and could otherwise rotate through it.
func AddressKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p
	}
	p, _ := a.Prefix(a.BitLen())
	return p
}
