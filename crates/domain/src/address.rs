//! Which IP addresses a webhook may reach: public unicast only. Everything a request could use
//! to reach this machine, its network or a translator into it is refused — loopback, private,
//! link-local, shared and reserved ranges, and the IPv6 forms that embed an IPv4 address or
//! tunnel to one (NAT64, 6to4, Teredo, IPv4-mapped, -compatible and -translated).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether an address is not on the public internet (or may lead off it through a
/// translator), so a webhook must not be sent to it.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback() // 127.0.0.0/8
        || ip.is_private() // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local() // 169.254/16
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast() // 224/4
        || ip.is_documentation() // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || a == 0 // "this network" 0/8
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier-grade NAT) 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0/24
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18/15
        || a >= 240 // reserved 240/4
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // ::/96 holds the unspecified and loopback addresses and the deprecated IPv4-compatible
    // `::a.b.c.d`; ::ffff:0:0/96 is IPv4-mapped; ::ffff:0:0:0/96 IPv4-translated (SIIT).
    let v4_embedding = (s[..5] == [0; 5] && (s[5] == 0 || s[5] == 0xffff))
        || (s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0);
    v4_embedding
        || ip.is_multicast() // ff00::/8
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        // NAT64 64:ff9b::/96 (whatever IPv4 address it embeds: the translator may sit inside
        // the network) and the local-use 64:ff9b:1::/48.
        || (s[0] == 0x64 && s[1] == 0xff9b)
        || s[0] == 0x2002 // 6to4 2002::/16
        || (s[0] == 0x2001 && s[1] == 0) // Teredo 2001::/32
        || (s[0] == 0x2001 && s[1] == 0xdb8) // documentation 2001:db8::/32
        || (s[0] == 0x0100 && s[1..4] == [0; 3]) // discard-only 100::/64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_and_translating_ranges_are_refused() {
        let refused = [
            // IPv4
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.255",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.1",
            "192.0.0.170",
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            // IPv6
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::127.0.0.1",
            "::8.8.8.8",
            "::ffff:0:8.8.8.8",
            "64:ff9b::7f00:1",
            "64:ff9b::808:808",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:808:808::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "feff::1",
            "ff02::1",
            "2001:db8::1",
            "100::1",
        ];
        for raw in refused {
            let ip: IpAddr = raw.parse().unwrap();
            assert!(is_internal(ip), "{raw} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for raw in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "192.88.99.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "2001:1::1",
            "2003::1",
            "64:ff9c::1",
        ] {
            let ip: IpAddr = raw.parse().unwrap();
            assert!(!is_internal(ip), "{raw} is public");
        }
    }
}
