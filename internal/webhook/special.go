package webhook

import "net/netip"

// notPublic are the blocks a webhook may not go to: every entry of IANA's
// IPv4 and IPv6 Special-Purpose Address Registries, plus the blocks of the
// address-space registries that are no unicast host's (multicast,
// reserved, deprecated site-local):
//
//	https://www.iana.org/assignments/iana-ipv4-special-registry/
//	https://www.iana.org/assignments/iana-ipv6-special-registry/
//	https://www.iana.org/assignments/ipv4-address-space/
//	https://www.iana.org/assignments/ipv6-address-space/
//
// Entries the registries mark "globally reachable" (anycast services such
// as PCP, TURN, AS112, AMT, ORCHIDv2) are refused too: a customer's webhook
// receiver is a unicast host and never lives in one of them, and refusing
// the whole covering block (192.0.0.0/24, 2001::/23) leaves no gap to
// reason about. IPv4-mapped IPv6 (::ffff:0:0/96) is judged as the IPv4
// address it maps (public unmaps it first); the NAT64 well-known prefix
// 64:ff9b::/96 as the IPv4 address it embeds (see public).
var notPublic = prefixes(
	// IPv4 Special-Purpose Address Registry.
	"0.0.0.0/8",          // "this network" (RFC 791), includes 0.0.0.0/32
	"10.0.0.0/8",         // private-use (RFC 1918)
	"100.64.0.0/10",      // shared address space, carrier-grade NAT (RFC 6598)
	"127.0.0.0/8",        // loopback (RFC 1122)
	"169.254.0.0/16",     // link local (RFC 3927), cloud metadata services
	"172.16.0.0/12",      // private-use (RFC 1918)
	"192.0.0.0/24",       // IETF protocol assignments (RFC 6890), with /29, .8, .9, .10, .170, .171
	"192.0.2.0/24",       // documentation, TEST-NET-1 (RFC 5737)
	"192.31.196.0/24",    // AS112-v4 (RFC 7535)
	"192.52.193.0/24",    // AMT (RFC 7450)
	"192.88.99.0/24",     // deprecated 6to4 relay anycast (RFC 7526)
	"192.168.0.0/16",     // private-use (RFC 1918)
	"192.175.48.0/24",    // direct delegation AS112 service (RFC 7534)
	"198.18.0.0/15",      // benchmarking (RFC 2544)
	"198.51.100.0/24",    // documentation, TEST-NET-2 (RFC 5737)
	"203.0.113.0/24",     // documentation, TEST-NET-3 (RFC 5737)
	"240.0.0.0/4",        // reserved (RFC 1112)
	"255.255.255.255/32", // limited broadcast (RFC 919), inside 240/4 but listed on its own
	// IPv4 address space: multicast.
	"224.0.0.0/4", // multicast (RFC 5771)

	// IPv6 Special-Purpose Address Registry.
	"::/128",            // unspecified (RFC 4291)
	"::1/128",           // loopback (RFC 4291)
	"64:ff9b:1::/48",    // local-use IPv4/IPv6 translation (RFC 8215)
	"100::/64",          // discard-only (RFC 6666)
	"100:0:0:1::/64",    // dummy IPv6 prefix (RFC 9780)
	"2001::/23",         // IETF protocol assignments (RFC 2928), covers the rest of 2001::/23:
	"2001::/32",         //   TEREDO (RFC 4380), embeds an obfuscated IPv4 address
	"2001:1::1/128",     //   port control protocol anycast (RFC 7723)
	"2001:1::2/128",     //   TURN anycast (RFC 8155)
	"2001:1::3/128",     //   DNS-SD service registration protocol anycast (RFC 9665)
	"2001:2::/48",       //   benchmarking (RFC 5180)
	"2001:3::/32",       //   AMT (RFC 7450)
	"2001:4:112::/48",   //   AS112-v6 (RFC 7535)
	"2001:10::/28",      //   deprecated ORCHID (RFC 4843)
	"2001:20::/28",      //   ORCHIDv2 (RFC 7343)
	"2001:30::/28",      //   drone remote ID protocol entity tags (RFC 9374)
	"2001:db8::/32",     // documentation (RFC 3849)
	"2002::/16",         // 6to4 (RFC 3056), embeds an IPv4 address
	"2620:4f:8000::/48", // direct delegation AS112 service (RFC 7534)
	"3fff::/20",         // documentation (RFC 9637)
	"5f00::/16",         // segment routing (SRv6) SIDs (RFC 9602)
	"fc00::/7",          // unique-local (RFC 4193)
	"fe80::/10",         // link-local unicast (RFC 4291)
	// IPv6 address space: everything but global unicast is no host's.
	"::/8",      // reserved: IPv4-compatible ::a.b.c.d (deprecated, RFC 4291), SIIT ::ffff:0:a.b.c.d
	"fec0::/10", // deprecated site-local (RFC 3879)
	"ff00::/8",  // multicast (RFC 4291)
)

// globalUnicast is the only IPv6 block IANA allocates for global unicast
// (IPv6 Address Space registry); addresses outside it are reserved.
var globalUnicast = netip.MustParsePrefix("2000::/3")

// nat64 is the well-known NAT64 prefix (RFC 6052): 64:ff9b::a.b.c.d is the
// IPv4 host a.b.c.d reached through a translator.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func prefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}
