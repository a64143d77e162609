//! Which hosts a registered URL may point at. Registered URLs will be connected
//! to, so by default they may not reach this machine, its private networks or a
//! cloud metadata service (SSRF). Operators open chosen ranges with an allowlist.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use url::Host;

/// Ranges that are not globally reachable: every entry of IANA's IPv4 and
/// IPv6 Special-Purpose Address Registries marked so (RFC 6890 and after),
/// multicast, and addresses cloud platforms serve their own services on.
const BLOCKED: [(&str, &str); 32] = [
    ("0.0.0.0/8", "an unspecified (this-network) address"),
    ("10.0.0.0/8", "a private (RFC 1918) address"),
    ("100.64.0.0/10", "a carrier-grade NAT (RFC 6598) address"),
    ("127.0.0.0/8", "a loopback address"),
    (
        "169.254.0.0/16",
        "a link-local address (cloud metadata lives here)",
    ),
    ("172.16.0.0/12", "a private (RFC 1918) address"),
    ("192.0.0.0/24", "an IETF protocol assignment (RFC 6890)"),
    ("192.0.2.0/24", "a documentation address (TEST-NET-1)"),
    (
        "192.88.99.0/24",
        "a 6to4 relay anycast address (RFC 7526), which relays anywhere",
    ),
    ("192.168.0.0/16", "a private (RFC 1918) address"),
    ("198.18.0.0/15", "a benchmarking address (RFC 2544)"),
    ("198.51.100.0/24", "a documentation address (TEST-NET-2)"),
    ("203.0.113.0/24", "a documentation address (TEST-NET-3)"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved or broadcast address"),
    (
        "168.63.129.16/32",
        "a cloud platform's own service (Azure's WireServer)",
    ),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    (
        "64:ff9b:1::/48",
        "a local-use IPv4/IPv6 translation address (RFC 8215)",
    ),
    ("100::/64", "a discard-only address (RFC 6666)"),
    ("100:0:0:1::/64", "a dummy IPv6 prefix (RFC 9780)"),
    ("2001::/23", "an IETF protocol assignment (RFC 2928)"),
    ("2001:2::/48", "a benchmarking address (RFC 5180)"),
    ("2001:10::/28", "a deprecated ORCHID address (RFC 4843)"),
    ("2001:db8::/32", "a documentation address (RFC 3849)"),
    ("3fff::/20", "a documentation address (RFC 9637)"),
    ("5f00::/16", "a segment routing (SRv6) SID (RFC 9602)"),
    ("fc00::/7", "a unique-local address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
    // Its embedded address is checked first (see `embedded_ipv4`).
    ("::ffff:0:0/96", "an IPv4-mapped address"),
];

/// Globally reachable entries of the registries inside a blocked range: the
/// registry marks them so (anycast services), and Teredo's is decided by
/// the addresses it embeds.
const REACHABLE_WITHIN: [&str; 10] = [
    "192.0.0.9/32",
    "192.0.0.10/32",
    "2001::/32",
    "2001:1::1/128",
    "2001:1::2/128",
    "2001:1::3/128",
    "2001:3::/32",
    "2001:4:112::/48",
    "2001:20::/28",
    "2001:30::/28",
];

/// The operator's view: which networks are allowed despite the defaults.
#[derive(Debug, Clone, Default)]
pub struct NetworkPolicy {
    allowed: Vec<IpNet>,
}

impl NetworkPolicy {
    pub fn new(allowed: Vec<IpNet>) -> Self {
        Self { allowed }
    }

    /// Why `host` may not be registered, or `None` when it may.
    pub fn refuse_host(&self, host: &Host<&str>) -> Option<String> {
        match host {
            Host::Ipv4(ip) => self.refuse_address(IpAddr::V4(*ip)),
            Host::Ipv6(ip) => self.refuse_address(IpAddr::V6(*ip)),
            Host::Domain(name) => refuse_name(name),
        }
    }

    /// Why connecting to `ip` is refused, or `None` when it is allowed. Checked
    /// for literal hosts at registration, and for every resolved address by
    /// whatever connects later.
    pub fn refuse_address(&self, ip: IpAddr) -> Option<String> {
        let allowed = |ip: IpAddr| self.allowed.iter().any(|net| net.contains(&ip));
        if allowed(ip) {
            return None;
        }
        // An IPv6 address that embeds an IPv4 one reaches that IPv4 address.
        if let IpAddr::V6(v6) = ip {
            let embedded = embedded_ipv4(v6);
            if !embedded.is_empty() && embedded.iter().all(|v4| allowed(IpAddr::V4(*v4))) {
                return None;
            }
            if let Some(refused) = embedded.into_iter().find_map(|v4| {
                self.refuse_address(IpAddr::V4(v4))
                    .map(|why| format!("{ip} embeds {v4}, {why}"))
            }) {
                return Some(refused);
            }
        }
        let within = |net: &str| net.parse::<IpNet>().is_ok_and(|net| net.contains(&ip));
        if REACHABLE_WITHIN.iter().any(|net| within(net)) {
            return None;
        }
        BLOCKED
            .iter()
            .find(|(net, _)| within(net))
            .map(|(_, why)| format!("{ip} is {why}"))
    }
}

fn refuse_name(name: &str) -> Option<String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let local = name == "localhost" || name.ends_with(".localhost");
    let internal = name == "internal" || name.ends_with(".internal");
    (local || internal).then(|| {
        format!("{name} names this machine or an internal service (such as cloud metadata)")
    })
}

/// The IPv4 addresses that traffic to `ip` reaches: the one inside an
/// IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64
/// (`64:ff9b::a.b.c.d`, and the local-use `64:ff9b:1::/48` of RFC 8215) or
/// 6to4 (`2002:AABB:CCDD::/48`) address, and both inside a Teredo one
/// (`2001:0::/32`: its server, and its client, stored inverted).
fn embedded_ipv4(ip: Ipv6Addr) -> Vec<Ipv4Addr> {
    let segments = ip.segments();
    let ipv4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    // The low 32 bits, where the mapped, compatible and NAT64 forms keep it.
    let tail = ipv4(segments[6], segments[7]);
    let mapped = segments[..5] == [0; 5] && segments[5] == 0xffff;
    let compatible = segments[..6] == [0; 6] && u32::from(tail) > 1;
    let nat64 = segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || segments[..3] == [0x64, 0xff9b, 1];
    if mapped || compatible || nat64 {
        vec![tail]
    } else if segments[0] == 0x2002 {
        vec![ipv4(segments[1], segments[2])]
    } else if segments[..2] == [0x2001, 0] {
        vec![
            ipv4(segments[2], segments[3]),
            ipv4(!segments[6], !segments[7]),
        ]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        let url = url::Url::parse(url).unwrap();
        NetworkPolicy::default()
            .refuse_host(&url.host().unwrap())
            .is_some()
    }

    #[test]
    fn every_form_of_a_local_address_is_refused() {
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::10.0.0.1]/",
            "http://[64:ff9b:1::a00:1]/",
            // 6to4 of 127.0.0.1 and of the metadata address.
            "http://[2002:7f00:1::]/",
            "http://[2002:a9fe:a9fe::1]/",
            // Teredo: a public server and the client 10.0.0.1 (inverted), then
            // the server 127.0.0.1 and a public client.
            "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",
            "http://[2001:0:7f00:1:8000:63bf:3fff:fdd2]/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/",
            "http://100.64.0.1/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://metadata.google.internal/",
            "http://db.internal/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
        ] {
            assert!(refused(url), "{url}");
        }
    }

    #[test]
    fn every_special_purpose_range_that_is_not_globally_reachable_is_refused() {
        // One address of each entry of IANA's registries marked not
        // globally reachable, and of the platforms' own services.
        for address in [
            "0.0.0.1",
            "0.0.0.0",
            "10.9.8.7",
            "100.127.255.254",
            "127.255.255.254",
            "169.254.1.1",
            "172.31.255.254",
            "192.0.0.1",
            "192.0.0.8",
            "192.0.0.170",
            "192.0.0.171",
            "192.0.2.10",
            "192.88.99.1",
            "192.168.255.254",
            "198.19.255.254",
            "198.51.100.10",
            "203.0.113.10",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.251",
            "168.63.129.16",
            "::",
            "::1",
            "::ffff:93.184.216.34",
            "64:ff9b:1::1",
            "100::1",
            "100:0:0:1::1",
            "2001:2::1",
            "2001:5::1",
            "2001:10::1",
            "2001:db8::1",
            "3fff::1",
            "5f00::1",
            "fd00:ec2::254",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            let ip: IpAddr = address.parse().unwrap();
            assert!(
                NetworkPolicy::default().refuse_address(ip).is_some(),
                "{address}"
            );
        }
    }

    #[test]
    fn globally_reachable_entries_inside_refused_ranges_are_allowed() {
        for address in [
            "192.0.0.9",
            "192.0.0.10",
            "2001:1::1",
            "2001:1::2",
            "2001:1::3",
            "2001:3::1",
            "2001:4:112::1",
            "2001:20::1",
            "2001:30::1",
            "64:ff9b::5db8:d822",
        ] {
            let ip: IpAddr = address.parse().unwrap();
            assert_eq!(
                NetworkPolicy::default().refuse_address(ip),
                None,
                "{address}"
            );
        }
    }

    #[test]
    fn public_addresses_and_names_are_allowed() {
        for url in [
            "https://93.184.216.34/",
            "https://[2606:4700::1111]/",
            // 6to4 of 93.184.216.34, Teredo of a public server and client.
            "https://[2002:5db8:d822::1]/",
            "https://[2001:0:4136:e378:8000:63bf:a247:27dd]/",
            "https://mcp.example.com/",
            "https://internal.example.com/",
            "http://100.128.0.1/",
        ] {
            assert!(!refused(url), "{url}");
        }
    }

    #[test]
    fn the_allowlist_opens_chosen_ranges_only() {
        let policy = NetworkPolicy::new(vec!["10.20.0.0/16".parse().unwrap()]);
        assert!(
            policy
                .refuse_address("10.20.3.4".parse().unwrap())
                .is_none()
        );
        assert!(
            policy
                .refuse_address("::ffff:10.20.3.4".parse().unwrap())
                .is_none()
        );
        assert!(
            policy
                .refuse_address("10.21.0.1".parse().unwrap())
                .is_some()
        );
        assert!(
            policy
                .refuse_address("127.0.0.1".parse().unwrap())
                .is_some()
        );
    }
}
