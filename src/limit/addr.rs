//! Who is asking: the client's address from the TCP peer, or from the one forwarded header the
//! proxies in `trusted_proxies` set, read as bytes from the right (invariant 6); IPv6 keyed by
//! its /64.

use std::net::{IpAddr, Ipv6Addr};

use http::HeaderMap;

use crate::config::{ForwardedHeader, TrustedProxies};

/// Who is at the other end of a connection, as the listener saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// A TCP peer with this address: the client itself, or a proxy.
    Ip(IpAddr),
    /// A process on this host, through the unix socket: a local proxy (or the tor daemon).
    Unix,
}

/// The rate-limit key of every request from a unix-socket peer whose forwarded headers are not
/// believed (or name no one): the unspecified address, which no real client has.
pub const UNIX_CLIENT: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

/// The rate-limit key of every request on the onion listener, whatever its headers say: an
/// address in `100::/64`, the discard-only prefix (RFC 6666), which no real client has. Every
/// onion visitor arrives from the local tor daemon, so they cannot be told apart; keying them
/// apart from loopback keeps staff on an SSH tunnel (also 127.0.0.1) out of their budgets.
pub const ONION_CLIENT: IpAddr = IpAddr::V6(Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 1));

/// The address a request counts as for rate limits: [`client_addr`] for a TCP peer; for the
/// unix-socket peer, the rightmost forwarded address that is not a trusted proxy when
/// `trusted.unix`, else [`UNIX_CLIENT`].
pub fn client_key(peer: Peer, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    match peer {
        Peer::Ip(ip) => client_addr(ip, headers, trusted),
        Peer::Unix if trusted.unix => walk(UNIX_CLIENT, headers, trusted),
        Peer::Unix => UNIX_CLIENT,
    }
}

/// The address a request really came from: the TCP peer, or — only when the peer is a trusted
/// proxy — the rightmost address in `trusted.header` that is not itself a trusted proxy.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = unmap(peer);
    if !trusted.contains(&peer) {
        return peer;
    }
    walk(peer, headers, trusted)
}

/// Walks the entries of `trusted.header` (and of no other header) from the right, starting at
/// the trusted hop `hop`: past trusted proxies to the first other address, which is the client.
/// An entry that is not an address (`unknown`, an obfuscated name, a byte that is not ASCII,
/// garbage) ends the walk at the last trusted hop: everything left of it may have been written
/// by the client, so it never names the client. Header lines are read as bytes, so a line
/// holding a byte ≥ 0x80 (which a client can put before the address its proxy appends) is
/// walked like any other. Several lines of the header are one list, in order (RFC 9110 §5.3).
fn walk(mut hop: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let lines = headers.get_all(trusted.header.name());
    // Right to left over the list that the lines joined with commas make.
    let entries = lines.iter().rev().flat_map(|line| line.as_bytes().rsplit(|b| *b == b','));
    let chain: Box<dyn Iterator<Item = Option<IpAddr>>> = match trusted.header {
        ForwardedHeader::XForwardedFor => Box::new(entries.map(parse_node)),
        ForwardedHeader::Forwarded => Box::new(entries.map(forwarded_for)),
        // One value, set (not appended) by the proxy: more than one line, or a list, is not
        // what a proxy writes, so it names no one.
        ForwardedHeader::XRealIp => {
            let mut values = lines.iter();
            match (values.next(), values.next()) {
                (None, _) => return hop,
                (Some(value), None) => Box::new(std::iter::once(parse_node(value.as_bytes()))),
                (Some(_), Some(_)) => Box::new(std::iter::once(None)),
            }
        }
    };
    for entry in chain {
        let Some(ip) = entry.map(unmap) else { return hop };
        if !trusted.contains(&ip) {
            return ip;
        }
        hop = ip;
    }
    hop
}

/// The address in one `Forwarded` element (`for=192.0.2.60;proto=https`,
/// `for="[2001:db8::17]:4711"`): `None` unless it has exactly one `for` parameter and that is an
/// address.
fn forwarded_for(element: &[u8]) -> Option<IpAddr> {
    let mut found = None;
    for pair in element.split(|b| *b == b';') {
        let Some(at) = pair.iter().position(|b| *b == b'=') else { continue };
        let (name, value) = (pair.get(..at)?, pair.get(at + 1..)?);
        if trim(name).eq_ignore_ascii_case(b"for") {
            if found.is_some() {
                return None;
            }
            let value = trim(value);
            let value = match value {
                [b'"', inner @ .., b'"'] => inner,
                other => other,
            };
            found = Some(value);
        }
    }
    parse_node(found?)
}

/// `bytes` without leading and trailing spaces and tabs (HTTP's optional white space).
fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !matches!(b, b' ' | b'\t')).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(start, |i| i + 1);
    bytes.get(start..end.max(start)).unwrap_or_default()
}

/// Parses `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]`, `[::1]:80`, with optional white space around;
/// `None` for anything else, including any byte that is not ASCII.
fn parse_node(bytes: &[u8]) -> Option<IpAddr> {
    let s = std::str::from_utf8(trim(bytes)).ok()?;
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    let is_port = |p: &str| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return ok.then(|| host.parse::<Ipv6Addr>().ok().map(IpAddr::V6)).flatten();
    }
    let (host, port) = s.rsplit_once(':')?;
    is_port(port).then(|| host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)).flatten()
}

pub(super) fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The network a client is counted as: the address for IPv4, the /64 for IPv6.
pub(super) fn client_network(ip: IpAddr) -> IpAddr {
    match unmap(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}
