package domain

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// header builds request headers from "Name: value" lines.
func header(lines ...string) Headers {
	h := http.Header{}
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		h.Add(name, strings.TrimSpace(value))
	}
	return h.Values
}

func TestClientAddress(t *testing.T) {
	proxies := []string{"10.0.0.0/8", "192.0.2.1", "2001:db8:1::/48", "127.0.0.1"}
	tests := []struct {
		name    string
		proxies []string
		headers []string // forwarded_for_headers
		peer    string
		lines   []string
		want    string
	}{
		{"no proxy trusted: the peer, whatever it claims", nil, nil, "198.51.100.7",
			[]string{"X-Forwarded-For: 203.0.113.1"}, "198.51.100.7"},
		{"an untrusted peer cannot name a client", proxies, nil, "198.51.100.7",
			[]string{"X-Forwarded-For: 203.0.113.1"}, "198.51.100.7"},
		{"a trusted proxy names the client", proxies, nil, "192.0.2.1",
			[]string{"X-Forwarded-For: 203.0.113.1"}, "203.0.113.1"},
		{"the right-most entry, not what the client wrote left of it", proxies, nil, "10.1.2.3",
			[]string{"X-Forwarded-For: 6.6.6.6, 203.0.113.1"}, "203.0.113.1"},
		{"trusted hops are skipped from the right", proxies, nil, "10.1.2.3",
			[]string{"X-Forwarded-For: 6.6.6.6, 203.0.113.1, 10.9.9.9, 192.0.2.1"}, "203.0.113.1"},
		{"header lines are one list", proxies, nil, "10.1.2.3",
			[]string{"X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 203.0.113.1, 10.0.0.1"}, "203.0.113.1"},
		{"garbage entries are passed over", proxies, nil, "10.1.2.3",
			[]string{"X-Forwarded-For: 203.0.113.1, unknown, "}, "203.0.113.1"},
		{"ports and brackets", proxies, nil, "10.1.2.3",
			[]string{"X-Forwarded-For: [2001:db8:2::5]:443"}, "2001:db8:2::5"},
		{"IPv4 with a port", proxies, nil, "10.1.2.3",
			[]string{"X-Forwarded-For: 203.0.113.1:8443"}, "203.0.113.1"},
		{"IPv6 proxy range", proxies, nil, "2001:db8:1:ff::1",
			[]string{"X-Forwarded-For: 2001:db8:2::5"}, "2001:db8:2::5"},
		{"an IPv4-mapped peer is its IPv4 address", proxies, nil, "::ffff:192.0.2.1",
			[]string{"X-Forwarded-For: 203.0.113.1"}, "203.0.113.1"},
		{"only trusted hops: the peer", proxies, nil, "10.1.2.3",
			[]string{"X-Forwarded-For: 10.0.0.1, 192.0.2.1"}, "10.1.2.3"},
		{"no header: the peer", proxies, nil, "10.1.2.3", nil, "10.1.2.3"},
		{"only the configured header is read", proxies, nil, "10.1.2.3",
			[]string{"X-Real-IP: 203.0.113.1"}, "10.1.2.3"},
		{"the last configured header first", proxies, []string{"HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP"}, "10.1.2.3",
			[]string{"X-Forwarded-For: 198.51.100.1", "X-Real-IP: 203.0.113.1"}, "203.0.113.1"},
		{"a header giving nothing passes to the next", proxies, []string{"HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP"}, "10.1.2.3",
			[]string{"X-Forwarded-For: 198.51.100.1", "X-Real-IP: 10.0.0.8"}, "198.51.100.1"},
		{"plain header names are accepted", proxies, []string{"CF-Connecting-IP"}, "10.1.2.3",
			[]string{"CF-Connecting-IP: 203.0.113.1"}, "203.0.113.1"},
		{"a unix socket peer is a local proxy", nil, nil, "",
			[]string{"X-Forwarded-For: 203.0.113.1"}, "203.0.113.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, err := NewClientAddressRule(tt.proxies, tt.headers)
			if err != nil {
				t.Fatal(err)
			}
			var peer netip.Addr
			if tt.peer != "" {
				peer = netip.MustParseAddr(tt.peer)
			}
			if got := rule.Client(peer, header(tt.lines...)); got.String() != tt.want {
				t.Fatalf("client %v, want %s", got, tt.want)
			}
		})
	}
}

func TestClientAddressRuleRefusesBadSettings(t *testing.T) {
	for _, bad := range [][2][]string{
		{{"10.0.0.0/33"}, nil},
		{{"proxy.example.org"}, nil},
		{nil, {"HTTP_X FORWARDED"}},
		{nil, {"HTTP_"}},
	} {
		if _, err := NewClientAddressRule(bad[0], bad[1]); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	rule, err := NewClientAddressRule([]string{" ", "::ffff:10.0.0.0/104"}, nil)
	if err != nil || !rule.Trusts(netip.MustParseAddr("10.255.0.1")) || rule.Trusts(netip.MustParseAddr("11.0.0.1")) {
		t.Fatalf("a mapped IPv4 range: %v", err)
	}
}

func TestForwardedChain(t *testing.T) {
	peer := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name  string
		lines []string
		want  []string
	}{
		{"X-Forwarded-For then the peer", []string{"X-Forwarded-For: 203.0.113.9, not-an-ip, 2001:db8::1",
			"X-Forwarded-For:  198.51.100.2 "}, []string{"203.0.113.9", "2001:db8::1", "198.51.100.2", "127.0.0.1"}},
		{"X-Real-IP when there is no X-Forwarded-For", []string{"X-Real-IP: 203.0.113.9"},
			[]string{"203.0.113.9", "127.0.0.1"}},
		{"X-Forwarded-For wins over X-Real-IP", []string{"X-Real-IP: 203.0.113.9", "X-Forwarded-For: 198.51.100.2"},
			[]string{"198.51.100.2", "127.0.0.1"}},
		{"RFC 7239 Forwarded last", []string{`Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711", for=_hidden`},
			[]string{"192.0.2.60", "2001:db8:cafe::17", "127.0.0.1"}},
		{"an X-Forwarded-For of garbage falls through", []string{"X-Forwarded-For: nope", "X-Real-IP: 203.0.113.9"},
			[]string{"203.0.113.9", "127.0.0.1"}},
		{"nothing forwarded", nil, []string{"127.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ForwardedChain(peer, header(tt.lines...)); !slices.Equal(got, tt.want) {
				t.Fatalf("chain %q, want %q", got, tt.want)
			}
		})
	}
	if got := ForwardedChain(netip.Addr{}, header("X-Real-IP: 203.0.113.9")); !slices.Equal(got, []string{"203.0.113.9"}) {
		t.Fatalf("unix socket peer: %q", got)
	}
}

func TestAddressKey(t *testing.T) {
	for addr, want := range map[string]string{
		"203.0.113.9":          "203.0.113.9/32",
		"::ffff:203.0.113.9":   "203.0.113.9/32",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ff::9":   "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"2001:db8:1:3:3:4:5:6": "2001:db8:1:3::/64",
	} {
		if got := AddressKey(netip.MustParseAddr(addr)); got.String() != want {
			t.Errorf("AddressKey(%s) = %v, want %s", addr, got, want)
		}
	}
}
