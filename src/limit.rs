//! Who is asking, and how often: client addresses, rate limits and the anti-bot timing token.
//!
//! Job: decide before a body is read whether a request may proceed.
//! Invariant: forwarded headers are believed only from `trusted_proxies`, and only the one the
//! operator names (`server.forwarded_header`), read as bytes so what the proxy appended is
//! always found (invariant 6); client addresses live only as a keyed hash with a per-process
//! random key, IPv6 grouped by /64 (invariant 5); every per-client table, and the set of spent
//! timing tokens, has a fixed number of entries (invariant 7); a timing token is accepted at
//! most once. A unix-socket peer has no address: its forwarded headers count only if
//! `trusted_proxies` holds `"unix"`, and otherwise all its requests share one fixed key.
//! Never: stores or logs an address; lets a client choose its own rate-limit key.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::config::{ForwardedHeader, Rate, TrustedProxies};

type HmacSha256 = Hmac<Sha256>;

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

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The network a client is counted as: the address for IPv4, the /64 for IPv6.
fn client_network(ip: IpAddr) -> IpAddr {
    match unmap(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// Why a request was refused by a rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// When the client may try again (whole seconds, at least 1).
    pub retry_after: Duration,
}

type Keyed<C> = RateLimiter<u64, DefaultKeyedStateStore<u64>, C, NoOpMiddleware<<C as Clock>::Instant>>;
type Direct<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Per-client and global rate limits. Generic over the clock so tests do not sleep.
pub struct Limiter<C: Clock + Clone = DefaultClock> {
    per_client: Keyed<C>,
    /// The clearnet listeners' budget (`limits.global`).
    global: Direct<C>,
    /// The onion listener's own budget, at the same `limits.global` rate: every onion visitor
    /// arrives from the tor daemon, so no per-client budget can apply there, and one anonymous
    /// flood must cost only onion visitors, never clearnet submitters (nor the other way round).
    onion: Direct<C>,
    /// Per-process random key: slot numbers cannot be linked to addresses, even across runs.
    key: [u8; 32],
    /// Number of slots in the per-client table (`limits.rate_limit_table`).
    slots: u64,
    clock: C,
}

fn quota(rate: Rate) -> Quota {
    // invariant: config validation guarantees a non-zero period
    Quota::with_period(rate.period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(rate.burst)
}

impl Limiter<DefaultClock> {
    /// A limiter on the real clock.
    pub fn new(per_client: Rate, global: Rate, slots: usize) -> Self {
        Limiter::with_clock(per_client, global, slots, DefaultClock::default())
    }
}

impl<C: Clock + Clone> Limiter<C> {
    /// A limiter on `clock`.
    pub fn with_clock(per_client: Rate, global: Rate, slots: usize, clock: C) -> Self {
        Limiter {
            per_client: RateLimiter::new(quota(per_client), DefaultKeyedStateStore::default(), clock.clone()),
            global: RateLimiter::direct_with_clock(quota(global), clock.clone()),
            onion: RateLimiter::direct_with_clock(quota(global), clock.clone()),
            key: crate::random_bytes(),
            slots: slots.max(1) as u64,
            clock,
        }
    }

    /// The table slot for a client address: a keyed hash of its network, reduced to `slots`.
    fn slot(&self, ip: IpAddr) -> u64 {
        client_hash(&self.key, ip, &[]) % self.slots
    }

    /// Spends one unit of the client's and the global budget, or says when to come back.
    /// The client's budget is checked first so one noisy client cannot drain the global budget.
    pub fn check(&self, client: IpAddr) -> Result<(), Limited> {
        let now = self.clock.now();
        let limited = |not_until: governor::NotUntil<C::Instant>| {
            let wait = not_until.wait_time_from(now);
            Limited { retry_after: Duration::from_secs(wait.as_secs() + 1) }
        };
        self.per_client.check_key(&self.slot(client)).map_err(limited)?;
        self.global.check().map_err(limited)
    }

    /// Spends one unit of the onion listener's global budget only: its clients cannot be told
    /// apart (every onion visitor arrives from the local tor daemon). The clearnet budget of
    /// [`Limiter::check`] is not touched.
    pub fn check_onion(&self) -> Result<(), Limited> {
        let now = self.clock.now();
        self.onion.check().map_err(|not_until| Limited {
            retry_after: Duration::from_secs(not_until.wait_time_from(now).as_secs() + 1),
        })
    }

    /// Forgets clients whose budget is full again; call periodically to keep the table small.
    pub fn prune(&self) {
        self.per_client.retain_recent();
        self.per_client.shrink_to_fit();
    }

    /// Occupied slots in the per-client table.
    pub fn tracked(&self) -> usize {
        self.per_client.len()
    }
}

/// A keyed hash of a client's network (IPv4 address, IPv6 /64) and `scope`: 64 bits that cannot
/// be linked to the address without the per-process `key`.
pub(crate) fn client_hash(key: &[u8; 32], ip: IpAddr, scope: &[u8]) -> u64 {
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    match client_network(ip) {
        IpAddr::V4(v4) => mac.update(&v4.octets()),
        IpAddr::V6(v6) => mac.update(&v6.octets()),
    }
    if !scope.is_empty() {
        mac.update(b"\0");
        mac.update(scope);
    }
    let digest = mac.finalize().into_bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    u64::from_le_bytes(first)
}

/// A per-client budget with **no** shared global bucket, for endpoints where a global budget would
/// let anyone with many addresses lock everyone else out (the staff login).
///
/// Each client — a keyed hash of its network and a caller-chosen scope — has its own GCRA bucket
/// (`burst` back to back, then one per `period`). Clients are kept apart by their full 64-bit
/// hash, not folded into a few slots, so no address shares a bucket with another by collision.
/// The table holds at most `max_clients`; when it is full, the client whose budget is closest to
/// full again is forgotten. Forgetting a client only ever gives it its full budget back, so a
/// flood of new addresses can make the limit more lenient, never lock anyone out.
pub struct ClientLimiter {
    /// Time for one request's worth of budget to come back.
    period: Duration,
    /// How far ahead of now a client's budget may be spent: `period × (burst − 1)`.
    tolerance: Duration,
    /// Per-process random key: table keys cannot be linked to addresses, even across runs.
    key: [u8; 32],
    /// Most clients tracked at once (invariant 7).
    max_clients: usize,
    /// Client hash → the time its budget is next spent up to (GCRA's "theoretical arrival time");
    /// a client whose time has passed has its whole budget.
    table: Mutex<HashMap<u64, Instant>>,
}

impl ClientLimiter {
    /// `rate` per client, at most `max_clients` tracked.
    pub fn new(rate: Rate, max_clients: usize) -> ClientLimiter {
        ClientLimiter {
            period: rate.period,
            tolerance: rate.period.saturating_mul(rate.burst.get() - 1),
            key: crate::random_bytes(),
            max_clients: max_clients.max(1),
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one unit of the budget of `client` within `scope` at `now`, or says when to come
    /// back. Different scopes are different budgets for the same address.
    pub fn check(&self, client: IpAddr, scope: &[u8], now: Instant) -> Result<(), Limited> {
        let hash = client_hash(&self.key, client, scope);
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let due = table.get(&hash).map_or(now, |t| (*t).max(now));
        let ahead = due.saturating_duration_since(now);
        if ahead > self.tolerance {
            let wait = ahead - self.tolerance;
            return Err(Limited { retry_after: Duration::from_secs(wait.as_secs() + 1) });
        }
        if !table.contains_key(&hash) && table.len() >= self.max_clients {
            // The scan is over a fixed number of entries; the one evicted is the one its client
            // would miss least (closest to a full budget).
            if let Some(evict) = table.iter().min_by_key(|(_, t)| **t).map(|(k, _)| *k) {
                table.remove(&evict);
            }
        }
        table.insert(hash, due.checked_add(self.period).unwrap_or(due));
        Ok(())
    }

    /// Forgets clients whose budget is full again.
    pub fn prune(&self, now: Instant) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.retain(|_, t| *t > now);
        table.shrink_to_fit();
    }

    /// Clients tracked.
    pub fn tracked(&self) -> usize {
        self.table.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// Most redeemed timing tokens remembered at once (invariant 7). Each is about 40 bytes in the
/// set, so the table stays under about 4 MiB. The set never needs more than the global budgets
/// (clearnet, and the onion listener's own when there is one) can accept within `max_fill_time`
/// (see [`TimingTokens::capacity_for`]); this caps it for
/// generous budgets, and [`TimingTokens::redeem`] says what happens when it is full.
pub const MAX_REDEEMED_TOKENS: usize = 100_000;

/// Random bytes in each token, so two pages served in the same second carry different tokens
/// and one person's submission can never spend another's.
const TOKEN_NONCE_LEN: usize = 12;

/// Why a timing token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// No token, or not one we issued (forged, for another form, or from before a key change).
    Invalid,
    /// Sent sooner than `min_fill_time` after the page was served.
    TooFast,
    /// Sent later than `max_fill_time` after the page was served, or older than every token
    /// the set of spent ones can still vouch for (see [`TimingTokens::redeem`]).
    Expired,
    /// Already spent by an accepted submission.
    Used,
}

/// A token that passed [`TimingTokens::check`]: which one it is, for [`TimingTokens::redeem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokenId {
    /// When the page was served (seconds since the epoch).
    issued: u64,
    /// The token's random bytes, authenticated by its MAC.
    nonce: [u8; TOKEN_NONCE_LEN],
}

/// Signs the time a form was served, so a submission can prove a person had time to fill it in,
/// and remembers which tokens accepted submissions spent, so each is accepted at most once.
/// Needs neither JavaScript nor cookies: the token is a hidden field.
pub struct TimingTokens {
    key: [u8; 32],
    /// Tokens spent and not yet expired.
    spent: Mutex<Spent>,
}

/// The tokens accepted submissions spent, until they expire.
struct Spent {
    /// Ordered by issue time, oldest first, so expired ones leave from the front.
    ids: std::collections::BTreeSet<TokenId>,
    /// Tokens issued at or before this second are refused: the set had to forget one of them,
    /// so it can no longer tell whether they were spent.
    floor: Option<u64>,
    /// Most ids held (at most [`MAX_REDEEMED_TOKENS`]).
    capacity: usize,
}

impl TimingTokens {
    /// Tokens signed with `key` (kept in the data dir so a restart does not void open pages),
    /// remembering up to [`MAX_REDEEMED_TOKENS`] spent ones.
    pub fn new(key: [u8; 32]) -> Self {
        TimingTokens::with_capacity(key, MAX_REDEEMED_TOKENS)
    }

    /// Like [`TimingTokens::new`], remembering up to `capacity` spent tokens (at most
    /// [`MAX_REDEEMED_TOKENS`], at least 1).
    pub fn with_capacity(key: [u8; 32], capacity: usize) -> Self {
        let capacity = capacity.clamp(1, MAX_REDEEMED_TOKENS);
        TimingTokens { key, spent: Mutex::new(Spent { ids: std::collections::BTreeSet::new(), floor: None, capacity }) }
    }

    /// How many spent tokens can be unexpired at once: a token is spent only by a submission the
    /// `global` budget accepted, and it expires `max_fill_time` after it was issued (so at most
    /// that long after it was spent). In any window of `max_fill_time` the budget accepts at most
    /// `burst + max_fill_time / period` submissions, plus one for rounding. Capped at
    /// [`MAX_REDEEMED_TOKENS`].
    pub fn capacity_for(global: Rate, max_fill_time: Duration) -> usize {
        let period = global.period.as_nanos().max(1);
        let refills = max_fill_time.as_nanos() / period;
        let needed = u128::from(global.burst.get()).saturating_add(refills).saturating_add(1);
        usize::try_from(needed).unwrap_or(usize::MAX).min(MAX_REDEEMED_TOKENS)
    }

    fn mac(&self, form: &str, issued: u64, nonce: &[u8]) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(form.as_bytes());
        mac.update(b"\0");
        mac.update(&issued.to_be_bytes());
        mac.update(nonce);
        let digest = mac.finalize().into_bytes();
        data_encoding::BASE64URL_NOPAD.encode(digest.get(..18).unwrap_or(&digest))
    }

    /// A fresh token for `form` served at `now`: `<issued>.<nonce>.<mac>`.
    pub fn issue(&self, form: &str, now: SystemTime) -> String {
        let issued = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let nonce: [u8; TOKEN_NONCE_LEN] = crate::random_bytes();
        let encoded = data_encoding::BASE64URL_NOPAD.encode(&nonce);
        format!("{issued}.{encoded}.{}", self.mac(form, issued, &nonce))
    }

    /// Checks a token sent back with `form` at `now`, without spending it: a submission that
    /// is then refused for a mistake leaves it usable (the re-rendered page carries a fresh one
    /// anyway). Only [`TimingTokens::redeem`] spends it.
    pub fn check(
        &self,
        form: &str,
        token: &str,
        now: SystemTime,
        min: Duration,
        max: Duration,
    ) -> Result<TokenId, TokenProblem> {
        let mut parts = token.splitn(3, '.');
        let (Some(issued), Some(nonce), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(TokenProblem::Invalid);
        };
        let issued: u64 = issued.parse().map_err(|_| TokenProblem::Invalid)?;
        let nonce = data_encoding::BASE64URL_NOPAD.decode(nonce.as_bytes()).map_err(|_| TokenProblem::Invalid)?;
        let nonce: [u8; TOKEN_NONCE_LEN] = nonce.try_into().map_err(|_| TokenProblem::Invalid)?;
        if !bool::from(self.mac(form, issued, &nonce).as_bytes().ct_eq(mac.as_bytes())) {
            return Err(TokenProblem::Invalid);
        }
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let age = Duration::from_secs(now.saturating_sub(issued));
        if issued > now + 60 {
            return Err(TokenProblem::Invalid);
        }
        if age < min {
            return Err(TokenProblem::TooFast);
        }
        if age > max {
            return Err(TokenProblem::Expired);
        }
        let id = TokenId { issued, nonce };
        self.lock().seen(id)?;
        Ok(id)
    }

    /// Spends a checked token for a submission about to be stored, at `now`, with tokens valid
    /// for `max` after issue. Refused if it was spent already (two submissions racing with one
    /// token: exactly one wins) or is no longer covered by the set.
    ///
    /// Expired ids are dropped first. When the set is still full (only an attacker making
    /// accepted submissions at the global rate can fill it, and only past
    /// [`TimingTokens::capacity_for`]), the oldest id is forgotten and every token issued at or
    /// before it is refused from then on as expired: no token is ever accepted twice, and
    /// people with recently opened pages are never locked out; under such a flood only pages
    /// open for longer than the set covers ask the person to send again (with their answers
    /// kept and a fresh token).
    pub fn redeem(&self, id: TokenId, now: SystemTime, max: Duration) -> Result<(), TokenProblem> {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let mut spent = self.lock();
        spent.drop_expired(now, max);
        spent.seen(id)?;
        if spent.ids.len() >= spent.capacity {
            match spent.ids.first().copied() {
                // The newcomer is no newer than everything held: it is the one to refuse.
                Some(oldest) if id.issued <= oldest.issued => return Err(TokenProblem::Expired),
                Some(oldest) => {
                    spent.ids.remove(&oldest);
                    spent.floor = Some(spent.floor.map_or(oldest.issued, |f| f.max(oldest.issued)));
                }
                None => {}
            }
        }
        spent.ids.insert(id);
        Ok(())
    }

    /// Gives back a token spent by a submission that then failed to be stored (a full disk), so
    /// the person can send the same page again.
    pub fn release(&self, id: TokenId) {
        self.lock().ids.remove(&id);
    }

    /// Forgets spent tokens older than `max` at `now`; call periodically to keep the set small.
    pub fn prune(&self, now: SystemTime, max: Duration) {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        self.lock().drop_expired(now, max);
    }

    /// Spent tokens remembered.
    pub fn remembered(&self) -> usize {
        self.lock().ids.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Spent> {
        self.spent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Spent {
    /// Refuses a token that was spent, or that the set can no longer vouch for.
    fn seen(&self, id: TokenId) -> Result<(), TokenProblem> {
        if self.floor.is_some_and(|floor| id.issued <= floor) {
            return Err(TokenProblem::Expired);
        }
        if self.ids.contains(&id) {
            return Err(TokenProblem::Used);
        }
        Ok(())
    }

    /// Drops ids of tokens that [`TimingTokens::check`] refuses as expired anyway at `now`.
    fn drop_expired(&mut self, now: u64, max: Duration) {
        while let Some(first) = self.ids.first().copied() {
            if first.issued.saturating_add(max.as_secs()) >= now {
                break;
            }
            self.ids.remove(&first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use http::HeaderValue;

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
}
