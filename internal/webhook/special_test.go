package webhook

import (
	"net/netip"
	"testing"
)

// TestPublicRefusesSpecialPurposeBlocks checks the first, a middle and the
// last address of every block of IANA's IPv4 and IPv6 Special-Purpose
// Address Registries (and the non-unicast blocks of the address-space
// registries), written out here from the registries rather than from
// notPublic, so that a block dropped from the table fails.
func TestPublicRefusesSpecialPurposeBlocks(t *testing.T) {
	t.Parallel()
	blocks := []string{
		"0.0.0.0/8", "0.0.0.0/32", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.9/32", "192.0.0.10/32",
		"192.0.0.170/32", "192.0.0.171/32", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
		"192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32", "224.0.0.0/4",

		"::/128", "::1/128", "::/96", "::ffff:0:0:0/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64",
		"2001::/23", "2001::/32", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:2::/48",
		"2001:3::/32", "2001:4:112::/48", "2001:10::/28", "2001:20::/28", "2001:30::/28",
		"2001:db8::/32", "2002::/16", "2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7",
		"fe80::/10", "fec0::/10", "ff00::/8",
	}
	for _, b := range blocks {
		p := netip.MustParsePrefix(b)
		for _, a := range []netip.Addr{p.Addr(), middle(p), last(p)} {
			t.Run(b+"/"+a.String(), func(t *testing.T) {
				t.Parallel()
				if public(a) {
					t.Errorf("public(%s) = true: %s is a special-purpose block", a, b)
				}
			})
		}
	}
}

// TestPublic covers the ways of writing an address (mapped, NAT64, zones)
// and the public neighbours of the refused blocks.
func TestPublic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want bool
	}{
		// Public addresses, some right next to a refused block.
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"93.184.216.34", true},
		{"9.255.255.255", true},
		{"11.0.0.0", true},
		{"100.63.255.255", true},
		{"100.128.0.0", true},
		{"126.255.255.255", true},
		{"128.0.0.0", true},
		{"169.253.255.255", true},
		{"169.255.0.0", true},
		{"172.15.255.255", true},
		{"172.32.0.0", true},
		{"192.0.1.0", true},
		{"192.167.255.255", true},
		{"192.169.0.0", true},
		{"198.17.255.255", true},
		{"198.20.0.0", true},
		{"223.255.255.255", true},
		{"2606:4700:4700::1111", true},
		{"2001:4860:4860::8888", true},
		{"2001:200::1", true},
		{"2003::1", true},
		{"3fff:1000::1", true},
		{"2a00:1450:4001:80b::200e", true},
		// The same host written another way.
		{"::ffff:8.8.8.8", true},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::127.0.0.1", false},
		{"::8.8.8.8", false},
		// NAT64 is judged by the IPv4 address it embeds.
		{"64:ff9b::8.8.8.8", true},
		{"64:ff9b::127.0.0.1", false},
		{"64:ff9b::169.254.169.254", false},
		{"64:ff9b::10.0.0.1", false},
		{"64:ff9b::", false},
		// Zones do not hide a link-local address.
		{"fe80::1%eth0", false},
		{"ff02::1%eth0", false},
		// Outside global unicast 2000::/3: reserved.
		{"4000::1", false},
		{"e000::1", false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			t.Parallel()
			if got := public(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("public(%s) = %v, want %v", tc.addr, got, tc.want)
			}
		})
	}
	if public(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

// last is the highest address of p.
func last(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// middle is the address halfway through p (its first for a single address).
func middle(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	if i := p.Bits(); i < len(b)*8 {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
