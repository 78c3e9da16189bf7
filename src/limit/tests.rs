//! Tests of the sections together.
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use governor::clock::FakeRelativeClock;
use http::HeaderMap;
use http::HeaderValue;

use crate::config::{ForwardedHeader, Rate, TrustedProxies};

use super::addr::{Peer, UNIX_CLIENT, client_addr, client_key, unmap};
use super::rate::{ClientLimiter, Limiter};
use super::tokens::{MAX_REDEEMED_TOKENS, TimingTokens, TokenProblem};

fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

fn trust(list: &[&str]) -> TrustedProxies {
    TrustedProxies { nets: nets(list), ..TrustedProxies::default() }
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn ignores_forwarded_headers_from_untrusted_peers() {
    let peer: IpAddr = "203.0.113.9".parse().unwrap();
    let h = headers(&[("x-forwarded-for", "198.51.100.1")]);
    assert_eq!(client_addr(peer, &h, &trust(&["127.0.0.1/32"])), peer);
}

#[test]
fn takes_the_rightmost_untrusted_entry_from_a_trusted_proxy() {
    let peer: IpAddr = "127.0.0.1".parse().unwrap();
    // The client wrote the first entry itself; the proxy appended the real address.
    let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7")]);
    assert_eq!(client_addr(peer, &h, &trust(&["127.0.0.1/32"])), "198.51.100.7".parse::<IpAddr>().unwrap());
    let chained = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.5")]);
    assert_eq!(
        client_addr(peer, &chained, &trust(&["127.0.0.1/32", "10.0.0.0/8"])),
        "198.51.100.7".parse::<IpAddr>().unwrap()
    );
}

fn trust_header(list: &[&str], header: ForwardedHeader) -> TrustedProxies {
    TrustedProxies { nets: nets(list), unix: false, header }
}

fn raw_headers(name: &'static str, lines: &[&[u8]]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for line in lines {
        h.append(name, HeaderValue::from_bytes(line).unwrap());
    }
    h
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn reads_rfc7239_forwarded_with_ports_and_brackets() {
    let peer = ip("::1");
    let h = headers(&[("forwarded", "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\"")]);
    let trusted = trust_header(&["::1/128"], ForwardedHeader::Forwarded);
    assert_eq!(client_addr(peer, &h, &trusted), ip("2001:db8:cafe::17"));
}

#[test]
fn falls_back_to_the_peer_on_garbage_or_all_trusted_chains() {
    let peer = ip("127.0.0.1");
    for value in ["garbage", "", "unknown", "127.0.0.1", "1.2.3.4,", "[::1", "1.2.3.4:http", "::1:80x"] {
        let h = headers(&[("x-forwarded-for", value)]);
        assert_eq!(client_addr(peer, &h, &trust(&["127.0.0.1/32"])), peer, "{value:?}");
    }
}

#[test]
fn an_entry_that_is_not_an_address_stops_the_walk_at_the_last_trusted_hop() {
    let peer = ip("127.0.0.1");
    // The client wrote "198.51.100.99"; the proxy appended an obfuscated name for the real one.
    let h = headers(&[("forwarded", "for=198.51.100.99, for=_hidden")]);
    assert_eq!(client_addr(peer, &h, &trust_header(&["127.0.0.1/32"], ForwardedHeader::Forwarded)), peer);
    // 10.0.0.5 is a trusted proxy that was handed garbage: it is the last hop we can believe.
    let h = headers(&[("x-forwarded-for", "198.51.100.99, unknown, 10.0.0.5")]);
    assert_eq!(client_addr(peer, &h, &trust(&["127.0.0.1/32", "10.0.0.0/8"])), ip("10.0.0.5"));
}

#[test]
fn a_byte_above_ascii_in_the_clients_part_does_not_hide_the_address_the_proxy_appended() {
    let peer = ip("127.0.0.1");
    let trusted = trust(&["127.0.0.1/32"]);
    for client_part in [&b"\xff"[..], b"caf\xc3\xa9", b"1.1.1.1\x80", b"\xfe, 2.2.2.2"] {
        let mut line = client_part.to_vec();
        line.extend_from_slice(b", 198.51.100.7");
        let mut h = raw_headers("x-forwarded-for", &[&line]);
        // A Forwarded header the client wrote is never read in its place.
        h.append("forwarded", HeaderValue::from_static("for=203.0.113.1"));
        assert_eq!(client_addr(peer, &h, &trusted), ip("198.51.100.7"), "{client_part:?}");
    }
    // The non-ASCII entry itself ends the walk at the last trusted hop, never further left.
    let h = raw_headers("x-forwarded-for", &[b"203.0.113.9, \xff, 127.0.0.1"]);
    assert_eq!(client_addr(peer, &h, &trusted), peer);
}

#[test]
fn only_the_configured_header_is_read() {
    let peer = ip("127.0.0.1");
    let mut h = HeaderMap::new();
    h.append("x-forwarded-for", HeaderValue::from_static("198.51.100.1"));
    h.append("forwarded", HeaderValue::from_static("for=198.51.100.2"));
    h.append("x-real-ip", HeaderValue::from_static("198.51.100.3"));
    let with = |header| client_addr(peer, &h, &trust_header(&["127.0.0.1/32"], header));
    assert_eq!(with(ForwardedHeader::XForwardedFor), ip("198.51.100.1"));
    assert_eq!(with(ForwardedHeader::Forwarded), ip("198.51.100.2"));
    assert_eq!(with(ForwardedHeader::XRealIp), ip("198.51.100.3"));
    // Without the configured header, the others do not stand in for it.
    let only_xff = headers(&[("x-forwarded-for", "198.51.100.1")]);
    assert_eq!(client_addr(peer, &only_xff, &trust_header(&["127.0.0.1/32"], ForwardedHeader::Forwarded)), peer);
}

#[test]
fn several_lines_of_the_header_are_one_list_in_order() {
    let peer = ip("127.0.0.1");
    let trusted = trust(&["127.0.0.1/32", "10.0.0.0/8"]);
    let h = raw_headers("x-forwarded-for", &[b"203.0.113.1, 198.51.100.7", b"10.0.0.5"]);
    assert_eq!(client_addr(peer, &h, &trusted), ip("198.51.100.7"));
    let h = raw_headers("x-forwarded-for", &[b"198.51.100.7", b"\xff", b"10.0.0.5"]);
    assert_eq!(client_addr(peer, &h, &trusted), ip("10.0.0.5"));
    let fwd = trust_header(&["127.0.0.1/32"], ForwardedHeader::Forwarded);
    let h = raw_headers("forwarded", &[b"for=203.0.113.1", b"for=\"[2001:db8::9]:443\";proto=https"]);
    assert_eq!(client_addr(peer, &h, &fwd), ip("2001:db8::9"));
}

#[test]
fn a_forwarded_element_needs_exactly_one_for_that_is_an_address() {
    let peer = ip("127.0.0.1");
    let fwd = trust_header(&["127.0.0.1/32"], ForwardedHeader::Forwarded);
    for value in ["proto=https", "for=1.1.1.1;for=2.2.2.2", "for=\"[::1\"", "for=unknown", "for"] {
        let h = raw_headers("forwarded", &[format!("for=203.0.113.1, {value}").as_bytes()]);
        assert_eq!(client_addr(peer, &h, &fwd), peer, "{value:?}");
    }
    let h = raw_headers("forwarded", &[b"For = 192.0.2.60 ;by=10.1.1.1"]);
    assert_eq!(client_addr(peer, &h, &fwd), ip("192.0.2.60"));
}

#[test]
fn x_real_ip_is_one_address_and_a_list_or_a_second_line_names_no_one() {
    let peer = ip("127.0.0.1");
    let real = trust_header(&["127.0.0.1/32"], ForwardedHeader::XRealIp);
    assert_eq!(client_addr(peer, &raw_headers("x-real-ip", &[b" 198.51.100.7 "]), &real), ip("198.51.100.7"));
    assert_eq!(client_addr(peer, &raw_headers("x-real-ip", &[b"[2001:db8::1]:80"]), &real), ip("2001:db8::1"));
    let list = raw_headers("x-real-ip", &[b"203.0.113.1, 198.51.100.7"]);
    assert_eq!(client_addr(peer, &list, &real), peer);
    let two = raw_headers("x-real-ip", &[b"203.0.113.1", b"198.51.100.7"]);
    assert_eq!(client_addr(peer, &two, &real), peer);
    assert_eq!(client_addr(peer, &HeaderMap::new(), &real), peer);
}

/// Header lines a client could send: any bytes a header value may hold.
fn header_line() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::strategy::Strategy;
    proptest::collection::vec(proptest::num::u8::ANY, 0..64)
        .prop_map(|bytes| bytes.into_iter().filter(|b| *b == b'\t' || (*b >= 0x20 && *b != 0x7f)).collect())
}

fn any_ip() -> impl proptest::strategy::Strategy<Value = IpAddr> {
    use proptest::strategy::Strategy;
    proptest::prop_oneof![
        proptest::num::u32::ANY.prop_map(|v| IpAddr::from(std::net::Ipv4Addr::from(v))),
        proptest::num::u128::ANY.prop_map(|v| IpAddr::from(Ipv6Addr::from(v))),
    ]
}

proptest::proptest! {
    /// Whatever the client put in front, the entry its trusted proxy appended is found: by
    /// X-Forwarded-For (`a, b` appended with ", "), by Forwarded (`for=` appended), and
    /// across several lines.
    #[test]
    fn the_entry_a_trusted_proxy_appended_is_always_found(
        client_lines in proptest::collection::vec(header_line(), 0..4),
        appended in any_ip(),
        port in proptest::option::of(1u16..),
    ) {
        let trusted_nets = ["127.0.0.0/8", "::1/128"];
        proptest::prop_assume!(!trust(&trusted_nets).contains(&unmap(appended)));
        let peer = ip("127.0.0.1");
        let node = match (appended, port) {
            (IpAddr::V6(v6), Some(p)) => format!("[{v6}]:{p}"),
            (IpAddr::V6(v6), None) => format!("[{v6}]"),
            (v4, Some(p)) => format!("{v4}:{p}"),
            (v4, None) => v4.to_string(),
        };
        for (header, entry) in [
            (ForwardedHeader::XForwardedFor, node.clone()),
            (ForwardedHeader::Forwarded, format!("for=\"{node}\";proto=https")),
        ] {
            let mut lines = client_lines.clone();
            // The proxy appends to the last line the client sent (nginx joins them first).
            match lines.last_mut() {
                Some(last) => last.extend_from_slice(format!(", {entry}").as_bytes()),
                None => lines.push(entry.into_bytes()),
            }
            let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
            let h = raw_headers(header.name(), &refs);
            proptest::prop_assert_eq!(client_addr(peer, &h, &trust_header(&trusted_nets, header)), unmap(appended));
        }
    }

    /// Any bytes in any of the headers, for every choice of header, never panic.
    #[test]
    fn any_forwarded_bytes_never_panic(lines in proptest::collection::vec(header_line(), 0..5)) {
        let peer = ip("127.0.0.1");
        for header in [ForwardedHeader::XForwardedFor, ForwardedHeader::Forwarded, ForwardedHeader::XRealIp] {
            let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
            let h = raw_headers(header.name(), &refs);
            let trusted = trust_header(&["127.0.0.1/32"], header);
            let _ = client_key(Peer::Unix, &h, &TrustedProxies { unix: true, ..trusted.clone() });
            let _ = client_addr(peer, &h, &trusted);
        }
    }
}

#[test]
fn unmaps_ipv4_mapped_peers_before_matching() {
    let peer: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
    let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
    assert_eq!(client_addr(peer, &h, &trust(&["127.0.0.1/32"])), "198.51.100.7".parse::<IpAddr>().unwrap());
}

fn proxies(nets_: &[&str], unix: bool) -> TrustedProxies {
    TrustedProxies { nets: nets(nets_), unix, ..TrustedProxies::default() }
}

#[test]
fn a_unix_peer_without_trust_is_one_fixed_client_whatever_it_forwards() {
    let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
    assert_eq!(client_key(Peer::Unix, &h, &proxies(&["127.0.0.1/32"], false)), UNIX_CLIENT);
    assert_eq!(client_key(Peer::Unix, &HeaderMap::new(), &proxies(&[], false)), UNIX_CLIENT);
}

#[test]
fn a_trusted_unix_peer_is_believed_for_the_rightmost_untrusted_address() {
    let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7")]);
    let ip: IpAddr = "198.51.100.7".parse().unwrap();
    assert_eq!(client_key(Peer::Unix, &h, &proxies(&[], true)), ip);
    let chained = headers(&[("x-forwarded-for", "198.51.100.7, 10.0.0.5")]);
    assert_eq!(client_key(Peer::Unix, &chained, &proxies(&["10.0.0.0/8"], true)), ip);
}

#[test]
fn a_trusted_unix_peer_forwarding_nothing_usable_is_the_fixed_client() {
    for value in ["garbage", "", "unknown"] {
        let h = headers(&[("x-forwarded-for", value)]);
        assert_eq!(client_key(Peer::Unix, &h, &proxies(&[], true)), UNIX_CLIENT, "{value:?}");
    }
    assert_eq!(client_key(Peer::Unix, &HeaderMap::new(), &proxies(&[], true)), UNIX_CLIENT);
}

#[test]
fn the_unix_entry_does_not_make_tcp_peers_trusted() {
    let peer: IpAddr = "203.0.113.9".parse().unwrap();
    let h = headers(&[("x-forwarded-for", "198.51.100.1")]);
    assert_eq!(client_key(Peer::Ip(peer), &h, &proxies(&[], true)), peer);
}

#[test]
fn the_onion_check_ignores_per_client_budgets_but_not_its_global_one() {
    let limiter = Limiter::with_clock(rate(1, 3600), rate(3, 3600), 1000, FakeRelativeClock::default());
    assert!(limiter.check(UNIX_CLIENT).is_ok());
    assert!(limiter.check(UNIX_CLIENT).is_err(), "per-client budget of 1 is spent");
    for _ in 0..3 {
        assert!(limiter.check_onion().is_ok(), "an onion request spends only the onion budget");
    }
    let refused = limiter.check_onion().unwrap_err();
    assert!(refused.retry_after >= Duration::from_secs(1));
}

#[test]
fn the_onion_and_clearnet_global_budgets_are_separate_buckets_at_the_same_rate() {
    let limiter = Limiter::with_clock(rate(100, 1), rate(2, 3600), 1000, FakeRelativeClock::default());
    let clearnet: IpAddr = "192.0.2.1".parse().unwrap();
    assert!(limiter.check_onion().is_ok() && limiter.check_onion().is_ok());
    assert!(limiter.check_onion().is_err(), "the onion budget (2) is spent");
    assert!(limiter.check(clearnet).is_ok() && limiter.check(clearnet).is_ok(), "clearnet still has its 2");
    assert!(limiter.check(clearnet).is_err(), "and the same rate");
}

fn rate(burst: u32, secs: u64) -> Rate {
    Rate { burst: NonZeroU32::new(burst).unwrap(), period: Duration::from_secs(secs) }
}

#[test]
fn limits_each_client_to_its_burst_and_refills_over_time() {
    let clock = FakeRelativeClock::default();
    let limiter = Limiter::with_clock(rate(2, 60), rate(100, 1), 1000, clock.clone());
    let a: IpAddr = "192.0.2.1".parse().unwrap();
    let b: IpAddr = "192.0.2.2".parse().unwrap();
    assert!(limiter.check(a).is_ok());
    assert!(limiter.check(a).is_ok());
    let refused = limiter.check(a).unwrap_err();
    assert!(refused.retry_after >= Duration::from_secs(59) && refused.retry_after <= Duration::from_secs(61));
    assert!(limiter.check(b).is_ok(), "another client has its own budget");
    clock.advance(Duration::from_secs(60));
    assert!(limiter.check(a).is_ok());
}

#[test]
fn counts_an_ipv6_slash_64_as_one_client() {
    let limiter = Limiter::with_clock(rate(1, 60), rate(100, 1), 1000, FakeRelativeClock::default());
    assert!(limiter.check("2001:db8:1:2::1".parse().unwrap()).is_ok());
    assert!(limiter.check("2001:db8:1:2:ffff::9".parse().unwrap()).is_err());
    assert!(limiter.check("2001:db8:1:3::1".parse().unwrap()).is_ok());
}

#[test]
fn enforces_the_global_budget_across_clients() {
    let limiter = Limiter::with_clock(rate(10, 1), rate(3, 60), 1000, FakeRelativeClock::default());
    for i in 1..=3 {
        assert!(limiter.check(IpAddr::from([192, 0, 2, i])).is_ok());
    }
    assert!(limiter.check("192.0.2.200".parse().unwrap()).is_err());
}

#[test]
fn never_tracks_more_clients_than_slots() {
    let limiter = Limiter::with_clock(rate(1000, 1), rate(1000, 1), 16, FakeRelativeClock::default());
    for i in 0..=255u8 {
        let _ = limiter.check(IpAddr::from([10, 0, 0, i]));
    }
    assert!(limiter.tracked() <= 16);
}

proptest::proptest! {
    /// GCRA accounting: over any schedule, a client gets at most its burst plus one request per
    /// elapsed period, and never fewer than the burst when it starts fresh.
    #[test]
    fn a_client_never_gets_more_than_burst_plus_refill(
        burst in 1u32..20,
        period_ms in 10u64..5_000,
        steps in proptest::collection::vec((0u64..3_000, 1usize..8), 1..40),
    ) {
        let clock = FakeRelativeClock::default();
        let per_client = Rate { burst: NonZeroU32::new(burst).unwrap(), period: Duration::from_millis(period_ms) };
        let limiter = Limiter::with_clock(per_client, rate(1_000_000, 1), 1000, clock.clone());
        let client: IpAddr = "192.0.2.7".parse().unwrap();
        let (mut allowed, mut elapsed_ms, mut first_attempts) = (0u64, 0u64, None);
        for (advance, attempts) in steps {
            clock.advance(Duration::from_millis(advance));
            elapsed_ms += advance;
            let before = allowed;
            for _ in 0..attempts {
                if limiter.check(client).is_ok() {
                    allowed += 1;
                }
            }
            first_attempts.get_or_insert((attempts as u64, allowed - before, elapsed_ms));
        }
        proptest::prop_assert!(allowed <= u64::from(burst) + elapsed_ms / period_ms + 1);
        let (attempts, granted, _) = first_attempts.unwrap();
        proptest::prop_assert!(granted >= attempts.min(u64::from(burst)));
    }
}

#[test]
fn a_client_limiter_gives_each_client_its_burst_then_one_per_period() {
    let limiter = ClientLimiter::new(rate(2, 60), 100);
    let t0 = Instant::now();
    let a: IpAddr = "192.0.2.1".parse().unwrap();
    assert!(limiter.check(a, b"", t0).is_ok());
    assert!(limiter.check(a, b"", t0).is_ok());
    let refused = limiter.check(a, b"", t0).unwrap_err();
    assert_eq!(refused.retry_after, Duration::from_secs(61));
    assert!(limiter.check(a, b"", t0 + Duration::from_secs(59)).is_err());
    assert!(limiter.check(a, b"", t0 + Duration::from_secs(60)).is_ok());
    assert!(limiter.check("192.0.2.2".parse().unwrap(), b"", t0).is_ok(), "another client has its own budget");
    assert!(limiter.check("2001:db8::1".parse().unwrap(), b"", t0).is_ok());
    assert!(limiter.check("2001:db8::2".parse().unwrap(), b"", t0).is_ok());
    assert!(limiter.check("2001:db8::3".parse().unwrap(), b"", t0).is_err(), "an IPv6 /64 is one client");
}

#[test]
fn a_client_limiter_keeps_scopes_of_one_address_apart() {
    let limiter = ClientLimiter::new(rate(1, 3600), 100);
    let now = Instant::now();
    let onion: IpAddr = "127.0.0.1".parse().unwrap();
    assert!(limiter.check(onion, b"", now).is_ok());
    assert!(limiter.check(onion, b"", now).is_err());
    assert!(limiter.check(onion, b"age1staff", now).is_ok(), "another scope has its own budget");
}

#[test]
fn a_client_limiter_has_no_global_budget_that_a_flood_of_addresses_could_drain() {
    let limiter = ClientLimiter::new(rate(2, 3600), 16);
    let now = Instant::now();
    for i in 0..=255u8 {
        for _ in 0..5 {
            let _ = limiter.check(IpAddr::from([10, 0, 1, i]), b"", now);
        }
    }
    assert!(limiter.tracked() <= 16, "the table stays bounded");
    // The flood's own addresses stay limited while the table holds them.
    assert!(limiter.check(IpAddr::from([10, 0, 1, 255]), b"", now).is_err());
    assert!(limiter.check("198.51.100.7".parse().unwrap(), b"", now).is_ok(), "a bystander is not locked out");
}

#[test]
fn a_client_limiter_forgets_clients_whose_budget_is_full_again() {
    let limiter = ClientLimiter::new(rate(1, 60), 100);
    let now = Instant::now();
    limiter.check("192.0.2.1".parse().unwrap(), b"", now).unwrap();
    limiter.prune(now);
    assert_eq!(limiter.tracked(), 1);
    limiter.prune(now + Duration::from_secs(60));
    assert_eq!(limiter.tracked(), 0);
}

#[test]
fn timing_tokens_reject_fast_late_forged_and_cross_form_use() {
    let tokens = TimingTokens::new([7; 32]);
    let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let token = tokens.issue("contact", t0);
    let (min, max) = (Duration::from_secs(3), Duration::from_secs(3600));
    let at = |s| t0 + Duration::from_secs(s);
    assert_eq!(tokens.check("contact", &token, at(1), min, max), Err(TokenProblem::TooFast));
    assert!(tokens.check("contact", &token, at(10), min, max).is_ok());
    assert_eq!(tokens.check("contact", &token, at(3601), min, max), Err(TokenProblem::Expired));
    assert_eq!(tokens.check("asylum-help", &token, at(10), min, max), Err(TokenProblem::Invalid));
    let forged = format!("{}.{}", 1_800_000_000 - 100, token.split_once('.').unwrap().1);
    assert_eq!(tokens.check("contact", &forged, at(10), min, max), Err(TokenProblem::Invalid));
    assert_eq!(tokens.check("contact", "", at(10), min, max), Err(TokenProblem::Invalid));
    let other_key = TimingTokens::new([8; 32]);
    assert_eq!(other_key.check("contact", &token, at(10), min, max), Err(TokenProblem::Invalid));
}

const HOUR: Duration = Duration::from_secs(3600);

fn at(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
}

#[test]
fn a_token_accepted_once_is_refused_the_second_time() {
    let tokens = TimingTokens::new([7; 32]);
    let token = tokens.issue("contact", at(0));
    let id = tokens.check("contact", &token, at(10), Duration::ZERO, HOUR).unwrap();
    assert_eq!(tokens.check("contact", &token, at(11), Duration::ZERO, HOUR), Ok(id), "checking does not spend");
    assert_eq!(tokens.redeem(id, at(11), HOUR), Ok(()));
    assert_eq!(tokens.check("contact", &token, at(12), Duration::ZERO, HOUR), Err(TokenProblem::Used));
    assert_eq!(tokens.redeem(id, at(12), HOUR), Err(TokenProblem::Used), "a racing second use loses");
    let other = tokens.issue("contact", at(0));
    assert_ne!(other, token, "two pages served in one second carry different tokens");
    let other = tokens.check("contact", &other, at(12), Duration::ZERO, HOUR).unwrap();
    assert_eq!(tokens.redeem(other, at(12), HOUR), Ok(()));
}

#[test]
fn a_released_token_can_be_spent_again() {
    let tokens = TimingTokens::new([7; 32]);
    let token = tokens.issue("contact", at(0));
    let id = tokens.check("contact", &token, at(5), Duration::ZERO, HOUR).unwrap();
    tokens.redeem(id, at(5), HOUR).unwrap();
    tokens.release(id);
    assert_eq!(tokens.check("contact", &token, at(6), Duration::ZERO, HOUR), Ok(id));
    assert_eq!(tokens.redeem(id, at(6), HOUR), Ok(()));
}

#[test]
fn spent_tokens_are_forgotten_once_they_have_expired() {
    let tokens = TimingTokens::with_capacity([7; 32], 10);
    for s in 0..5 {
        let id = tokens.check("f", &tokens.issue("f", at(s)), at(s), Duration::ZERO, HOUR).unwrap();
        tokens.redeem(id, at(s), HOUR).unwrap();
    }
    assert_eq!(tokens.remembered(), 5);
    tokens.prune(at(3600 + 2), HOUR);
    // Issued at 0 and 1: past max_fill_time. At 2: exactly max_fill_time old, still accepted.
    assert_eq!(tokens.remembered(), 3);
    tokens.prune(at(3600 + 10), HOUR);
    assert_eq!(tokens.remembered(), 0);
}

#[test]
fn a_full_set_never_allows_reuse_and_never_locks_out_fresh_pages() {
    let tokens = TimingTokens::with_capacity([7; 32], 3);
    let (min, max) = (Duration::ZERO, HOUR);
    let spend = |issued: u64, now: u64| {
        let token = tokens.issue("f", at(issued));
        let id = tokens.check("f", &token, at(now), min, max).unwrap();
        tokens.redeem(id, at(now), max).unwrap();
        token
    };
    let oldest = spend(10, 100);
    let _ = spend(20, 100);
    let _ = spend(30, 100);
    // An old page not yet sent, no newer than everything held: it cannot be remembered
    // without forgetting an equal one, so it is asked to send again (not accepted twice).
    let old_page = tokens.issue("f", at(5));
    let old_id = tokens.check("f", &old_page, at(100), min, max).unwrap();
    assert_eq!(tokens.redeem(old_id, at(100), max), Err(TokenProblem::Expired));
    // A fresh page is accepted: the oldest spent id is forgotten, and its token, and every
    // token issued no later, is refused from now on instead of being accepted again.
    let _ = spend(90, 100);
    assert_eq!(tokens.remembered(), 3, "the bound holds");
    assert_eq!(tokens.check("f", &oldest, at(101), min, max), Err(TokenProblem::Expired));
    assert_eq!(tokens.check("f", &tokens.issue("f", at(10)), at(101), min, max), Err(TokenProblem::Expired));
    assert!(tokens.check("f", &tokens.issue("f", at(11)), at(101), min, max).is_ok());
    // Many fresh pages later, the set is still bounded and each is accepted once.
    for s in 0..50 {
        let token = spend(100 + s, 200 + s);
        assert_eq!(tokens.check("f", &token, at(200 + s), min, max), Err(TokenProblem::Used));
    }
    assert!(tokens.remembered() <= 3);
}

#[test]
fn the_spent_set_is_sized_from_the_global_budget_and_max_fill_time_with_a_hard_cap() {
    assert_eq!(TimingTokens::capacity_for(rate(100, 6), Duration::from_secs(3600)), 100 + 600 + 1);
    assert_eq!(TimingTokens::capacity_for(rate(5, 60), Duration::ZERO), 6);
    let generous = Rate { burst: NonZeroU32::new(100).unwrap(), period: Duration::from_millis(100) };
    assert_eq!(TimingTokens::capacity_for(generous, Duration::from_secs(86_400)), MAX_REDEEMED_TOKENS);
    let tiny = Rate { burst: NonZeroU32::MAX, period: Duration::from_nanos(1) };
    assert_eq!(TimingTokens::capacity_for(tiny, Duration::MAX), MAX_REDEEMED_TOKENS);
}

proptest::proptest! {
    /// Over any schedule of pages, submissions and reuse attempts against a small set, no
    /// token is ever redeemed twice, and the set never exceeds its bound.
    #[test]
    fn no_token_is_ever_redeemed_twice_and_the_set_stays_bounded(
        capacity in 1usize..8,
        steps in proptest::collection::vec((0u64..50, 0u64..200, proptest::bool::ANY), 1..120),
    ) {
        let tokens = TimingTokens::with_capacity([9; 32], capacity);
        let max = Duration::from_secs(100);
        let (mut now, mut issued) = (0u64, Vec::new());
        let mut redeemed = std::collections::HashSet::new();
        for (advance, pick, fresh) in steps {
            now += advance;
            if fresh || issued.is_empty() {
                issued.push(tokens.issue("f", at(now.saturating_sub(pick % 100))));
            }
            let token = issued[(pick as usize) % issued.len()].clone();
            if let Ok(id) = tokens.check("f", &token, at(now), Duration::ZERO, max)
                && tokens.redeem(id, at(now), max).is_ok()
            {
                proptest::prop_assert!(redeemed.insert(token), "a token was accepted twice");
            }
            proptest::prop_assert!(tokens.remembered() <= capacity);
        }
    }
}
