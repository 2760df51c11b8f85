//! The egress policy of webhooks: which addresses a delivery may reach. A webhook is an
//! outgoing request on a URL chosen by an agency's user, so without a policy it probes the
//! inside of the network (the database port, the cloud metadata service, intranet hosts, this
//! service itself). Refused: loopback, private and shared (CGNAT) ranges, link-local,
//! unique-local, multicast, broadcast, unspecified, documentation and other reserved ranges,
//! their IPv4-mapped/NAT64/6to4 IPv6 forms, and the service's own bind address.
//! `TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS` (host names or CIDRs) opens exceptions.
//!
//! Pure: no I/O here; name resolution is passed in.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A network in CIDR notation (`10.1.0.0/16`, `fd00::/8`); a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (ip, prefix) = match s.split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (s, None),
        };
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        let addr: IpAddr = ip
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0..={max}"))?,
        };
        Ok(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(
                u32::from(net) as u128,
                u32::from(ip) as u128,
                self.prefix,
                32,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, prefix: u8, bits: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = u32::from(bits - prefix);
    (a >> shift) == (b >> shift)
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn v4_in(ip: Ipv4Addr, net: [u8; 4], prefix: u8) -> bool {
    prefix_eq(
        u32::from(Ipv4Addr::from(net)) as u128,
        u32::from(ip) as u128,
        prefix,
        32,
    )
}

fn v6_in(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    prefix_eq(u128::from(net), u128::from(ip), prefix, 128)
}

/// Why an IPv4 address is not a public unicast destination, or `None` when it is.
fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u8, &str)] = &[
        (
            [0, 0, 0, 0],
            8,
            "an unspecified (\"this network\", 0.0.0.0/8) address",
        ),
        ([10, 0, 0, 0], 8, "a private (10.0.0.0/8) address"),
        (
            [100, 64, 0, 0],
            10,
            "a shared CGNAT (100.64.0.0/10) address",
        ),
        ([127, 0, 0, 0], 8, "a loopback (127.0.0.0/8) address"),
        (
            [169, 254, 0, 0],
            16,
            "a link-local (169.254.0.0/16) address",
        ),
        ([172, 16, 0, 0], 12, "a private (172.16.0.0/12) address"),
        (
            [192, 0, 0, 0],
            24,
            "a reserved (IETF protocol assignments, 192.0.0.0/24) address",
        ),
        ([192, 0, 2, 0], 24, "a documentation (192.0.2.0/24) address"),
        (
            [192, 88, 99, 0],
            24,
            "a reserved (6to4 relay, 192.88.99.0/24) address",
        ),
        ([192, 168, 0, 0], 16, "a private (192.168.0.0/16) address"),
        (
            [198, 18, 0, 0],
            15,
            "a reserved (benchmarking, 198.18.0.0/15) address",
        ),
        (
            [198, 51, 100, 0],
            24,
            "a documentation (198.51.100.0/24) address",
        ),
        (
            [203, 0, 113, 0],
            24,
            "a documentation (203.0.113.0/24) address",
        ),
        ([224, 0, 0, 0], 4, "a multicast (224.0.0.0/4) address"),
        ([255, 255, 255, 255], 32, "the broadcast address"),
        ([240, 0, 0, 0], 4, "a reserved (240.0.0.0/4) address"),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| v4_in(ip, *net, *prefix))
        .map(|r| r.2)
}

/// Why an IPv6 address is not a public unicast destination, or `None` when it is. Forms that
/// carry an IPv4 address (mapped, NAT64, 6to4) are judged by that address.
fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4).map(|_| "an IPv4-mapped IPv6 form of a refused IPv4 address");
    }
    if v6_in(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
        let v4 = Ipv4Addr::from((u32::from(seg[6]) << 16) | u32::from(seg[7]));
        return v4_reason(v4).map(|_| "a NAT64 (64:ff9b::/96) form of a refused IPv4 address");
    }
    if v6_in(ip, Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16) {
        let v4 = Ipv4Addr::from((u32::from(seg[1]) << 16) | u32::from(seg[2]));
        return v4_reason(v4).map(|_| "a 6to4 (2002::/16) form of a refused IPv4 address");
    }
    if ip.is_unspecified() {
        return Some("the unspecified address (::)");
    }
    if ip.is_loopback() {
        return Some("the loopback address (::1)");
    }
    const RANGES: &[(Ipv6Addr, u8, &str)] = &[
        (
            Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0),
            8,
            "a multicast (ff00::/8) address",
        ),
        (
            Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
            10,
            "a link-local (fe80::/10) address",
        ),
        (
            Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0),
            10,
            "a deprecated site-local (fec0::/10) address",
        ),
        (
            Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
            7,
            "a unique-local (fc00::/7) address",
        ),
        (
            Ipv6Addr::new(0x2001, 0x0db8, 0, 0, 0, 0, 0, 0),
            32,
            "a documentation (2001:db8::/32) address",
        ),
        (
            Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
            20,
            "a documentation (3fff::/20) address",
        ),
        (
            Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
            23,
            "a reserved (IETF protocol assignments, 2001::/23) address",
        ),
    ];
    if let Some(r) = RANGES
        .iter()
        .find(|(net, prefix, _)| v6_in(ip, *net, *prefix))
    {
        return Some(r.2);
    }
    // everything outside global unicast: IPv4-compatible, discard-only, local-use NAT64…
    if !v6_in(ip, Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3) {
        return Some("a reserved (not global unicast) IPv6 address");
    }
    None
}

/// Why `ip` is refused by the fixed ranges, or `None` for a public unicast address.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

/// One exception of `TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allow {
    Net(Cidr),
    /// A host name, lower-case, matched exactly against the URL's host.
    Host(String),
}

impl Allow {
    /// An IP, a CIDR, or else a host name.
    pub fn parse(s: &str) -> Result<Allow, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("an empty entry".into());
        }
        let looks_ip = s.contains('/') || s.contains(':') || s.parse::<IpAddr>().is_ok();
        if looks_ip {
            return Cidr::parse(s).map(Allow::Net);
        }
        if !s
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '_')
        {
            return Err(format!(
                "{s:?} is neither a host name nor an IP address or CIDR"
            ));
        }
        Ok(Allow::Host(s.trim_end_matches('.').to_lowercase()))
    }
}

/// A refused destination, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub ip: IpAddr,
    pub reason: &'static str,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {}", self.ip, self.reason)
    }
}

impl std::error::Error for Refusal {}

/// The policy of this instance: the fixed ranges, its own address, and the allow-list.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    allow: Vec<Allow>,
    own: Option<IpAddr>,
}

impl EgressPolicy {
    /// `allow_hosts`: the entries of `TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS`; `bind`: `TOUCHPOINTS_BIND`
    /// (its IP is refused when it is a specific address).
    pub fn new(allow_hosts: &[String], bind: &str) -> Result<EgressPolicy, String> {
        let allow = allow_hosts
            .iter()
            .map(|h| Allow::parse(h).map_err(|e| format!("TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS: {e}")))
            .collect::<Result<_, _>>()?;
        let own = bind
            .parse::<SocketAddr>()
            .ok()
            .map(|a| canonical(a.ip()))
            .filter(|ip| !ip.is_unspecified());
        Ok(EgressPolicy { allow, own })
    }

    /// May a request to `host` (the URL's host, without brackets) connect to `ip`?
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.');
        let allowed = self.allow.iter().any(|a| match a {
            Allow::Host(h) => h.eq_ignore_ascii_case(host),
            Allow::Net(net) => net.contains(ip),
        });
        if allowed {
            return Ok(());
        }
        if let Some(reason) = forbidden_reason(ip) {
            return Err(Refusal { ip, reason });
        }
        if self.own == Some(canonical(ip)) {
            return Err(Refusal {
                ip,
                reason: "this service's own address",
            });
        }
        Ok(())
    }

    /// Checks a webhook URL at registration: an IP host directly, a host name by every address
    /// `resolve` gives (any refused one refuses the URL). A name that does not resolve passes:
    /// delivery resolves and checks again.
    pub fn check_url(
        &self,
        url: &url::Url,
        resolve: impl FnOnce(&str, u16) -> std::io::Result<Vec<SocketAddr>>,
    ) -> Result<(), Refusal> {
        let port = url.port_or_known_default().unwrap_or(80);
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check(&ip.to_string(), IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check(&ip.to_string(), IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => {
                // an allow-listed name needs no resolution
                if self.allow.iter().any(|a| matches!(a, Allow::Host(h) if h.eq_ignore_ascii_case(name.trim_end_matches('.')))) {
                    return Ok(());
                }
                match resolve(name, port) {
                    Ok(addrs) => addrs.iter().try_for_each(|a| self.check(name, a.ip())),
                    Err(_) => Ok(()),
                }
            }
            None => Ok(()),
        }
    }
}

/// Reads a webhook target: an absolute `http`/`https` URL with a host and no credentials
/// (`https://` is assumed without a scheme), at most 2000 characters once normalised.
pub fn parse_target(raw: &str) -> Result<url::Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("must not be empty".into());
    }
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|e| format!("not a web address: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https addresses are accepted".into());
    }
    if url.host().is_none() {
        return Err("the address has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "credentials in the address are not accepted; the signature authenticates deliveries"
                .into(),
        );
    }
    if url.as_str().len() > crate::domain::text::WEBHOOK_URL_MAX {
        return Err(format!(
            "a webhook address has at most {} characters",
            crate::domain::text::WEBHOOK_URL_MAX
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> bool {
        forbidden_reason(ip.parse().unwrap()).is_some()
    }

    #[test]
    fn fixed_ranges_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.10",
            "198.51.100.7",
            "203.0.113.5",
            "198.18.0.1",
            "192.0.0.8",
        ] {
            assert!(refused(ip), "{ip} must be refused");
        }
        for ip in [
            "::",
            "::1",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "::127.0.0.1",
            "100::1",
            "fec0::1",
        ] {
            assert!(refused(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "172.15.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "11.0.0.1",
            "2a00:1450:4010::64",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!refused(ip), "{ip} must pass");
        }
    }

    #[test]
    fn ipv4_in_ipv6_forms_are_judged_by_the_ipv4_address() {
        for ip in [
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "::ffff:192.168.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::1",
            "2002:a00:1::",
        ] {
            assert!(refused(ip), "{ip} must be refused");
        }
        assert!(!refused("2002:808:808::1"));
    }

    #[test]
    fn the_reason_names_the_range() {
        assert_eq!(
            forbidden_reason("169.254.169.254".parse().unwrap()),
            Some("a link-local (169.254.0.0/16) address")
        );
        assert_eq!(
            forbidden_reason("255.255.255.255".parse().unwrap()),
            Some("the broadcast address")
        );
        let r = EgressPolicy::default()
            .check("127.0.0.1", "127.0.0.1".parse().unwrap())
            .unwrap_err();
        assert_eq!(
            r.to_string(),
            "127.0.0.1 is a loopback (127.0.0.0/8) address"
        );
    }

    #[test]
    fn cidrs_parse_and_match() {
        let net = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(
            net.contains("::ffff:10.1.0.9".parse().unwrap()),
            "IPv4-mapped forms match IPv4 networks"
        );
        assert!(Cidr::parse("127.0.0.1")
            .unwrap()
            .contains("127.0.0.1".parse().unwrap()));
        assert!(!Cidr::parse("127.0.0.1")
            .unwrap()
            .contains("127.0.0.2".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("1.2.3.4".parse().unwrap()));
        assert!(Cidr::parse("fd00::/8")
            .unwrap()
            .contains("fd12::1".parse().unwrap()));
        assert!(Cidr::parse("[::1]")
            .unwrap()
            .contains("::1".parse().unwrap()));
        assert!(!Cidr::parse("fd00::/8")
            .unwrap()
            .contains("10.0.0.1".parse().unwrap()));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/x",
            "1.2.3.4/-1",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn allow_entries_are_ips_cidrs_or_names() {
        assert_eq!(
            Allow::parse(" Hooks.Intranet.local ").unwrap(),
            Allow::Host("hooks.intranet.local".into())
        );
        assert!(matches!(
            Allow::parse("127.0.0.1/32").unwrap(),
            Allow::Net(_)
        ));
        assert!(matches!(Allow::parse("::1").unwrap(), Allow::Net(_)));
        assert!(Allow::parse("10.0.0.0/40").is_err());
        assert!(Allow::parse("bad host!").is_err());
        assert!(EgressPolicy::new(&["10.0.0.0/99".into()], "127.0.0.1:0").is_err());
    }

    #[test]
    fn the_allow_list_opens_exceptions() {
        let p = EgressPolicy::new(
            &[
                "10.1.0.0/16".into(),
                "127.0.0.1".into(),
                "Receiver.Intranet".into(),
            ],
            "0.0.0.0:8080",
        )
        .unwrap();
        assert!(p.check("10.1.2.3", "10.1.2.3".parse().unwrap()).is_ok());
        assert!(p.check("10.2.0.1", "10.2.0.1".parse().unwrap()).is_err());
        assert!(p.check("127.0.0.1", "127.0.0.1".parse().unwrap()).is_ok());
        assert!(p
            .check("::ffff:7f00:1", "::ffff:127.0.0.1".parse().unwrap())
            .is_ok());
        assert!(p.check("127.0.0.2", "127.0.0.2".parse().unwrap()).is_err());
        assert!(
            p.check("receiver.intranet", "192.168.7.7".parse().unwrap())
                .is_ok(),
            "names match case-insensitively"
        );
        assert!(p
            .check("other.intranet", "192.168.7.7".parse().unwrap())
            .is_err());
    }

    #[test]
    fn the_own_bind_address_is_refused() {
        let p = EgressPolicy::new(&[], "8.8.4.4:8080").unwrap();
        assert_eq!(
            p.check("8.8.4.4", "8.8.4.4".parse().unwrap())
                .unwrap_err()
                .reason,
            "this service's own address"
        );
        assert!(p.check("x", "::ffff:8.8.4.4".parse().unwrap()).is_err());
        assert!(p.check("8.8.8.8", "8.8.8.8".parse().unwrap()).is_ok());
        // a wildcard bind names no address of its own
        assert!(EgressPolicy::new(&[], "0.0.0.0:8080")
            .unwrap()
            .check("8.8.4.4", "8.8.4.4".parse().unwrap())
            .is_ok());
    }

    #[test]
    fn urls_are_checked_by_literal_or_by_every_resolved_address() {
        let p = EgressPolicy::default();
        let no_dns = |_: &str, _: u16| -> std::io::Result<Vec<SocketAddr>> {
            panic!("an IP literal is not resolved")
        };
        for u in [
            "http://127.0.0.1:5432/",
            "http://0.0.0.0:8080/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            assert!(
                p.check_url(&parse_target(u).unwrap(), no_dns).is_err(),
                "{u}"
            );
        }
        assert!(p
            .check_url(&parse_target("https://8.8.8.8/hook").unwrap(), no_dns)
            .is_ok());
        let mixed = |_: &str, port: u16| {
            Ok(vec![
                SocketAddr::new("8.8.8.8".parse().unwrap(), port),
                SocketAddr::new("10.0.0.1".parse().unwrap(), port),
            ])
        };
        assert_eq!(
            p.check_url(&parse_target("https://rebind.example.ru/").unwrap(), mixed)
                .unwrap_err()
                .ip,
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
        let unknown = |_: &str, _: u16| Err(std::io::Error::other("no such host"));
        assert!(p
            .check_url(
                &parse_target("https://nowhere.example.ru/").unwrap(),
                unknown
            )
            .is_ok());
        let allowed = EgressPolicy::new(&["hooks.local".into()], "").unwrap();
        assert!(allowed
            .check_url(&parse_target("http://HOOKS.local/x").unwrap(), mixed)
            .is_ok());
    }

    #[test]
    fn targets_are_absolute_http_urls_without_credentials() {
        assert_eq!(
            parse_target("portal.e-dag.ru/hooks").unwrap().as_str(),
            "https://portal.e-dag.ru/hooks"
        );
        assert_eq!(
            parse_target("http://[::ffff:127.0.0.1]/")
                .unwrap()
                .host_str(),
            Some("[::ffff:7f00:1]")
        );
        assert!(parse_target("ftp://x.ru/").is_err());
        assert!(parse_target("http://user:pw@x.ru/").is_err());
        assert!(parse_target("").is_err());
        assert!(parse_target("http://").is_err());
    }
}
