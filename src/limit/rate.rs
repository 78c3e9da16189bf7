//! How often: keyed GCRA budgets per client and global budgets (clearnet and onion), and the
//! per-client limiter that forgets the client closest to a full budget when its table is full.
//! Keys are a keyed hash of the address under a per-process random key (invariant 5).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Rate;

use super::addr::client_network;

pub(super) type HmacSha256 = Hmac<Sha256>;

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
            key: sealpost_format::random_bytes(),
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
pub(super) fn client_hash(key: &[u8; 32], ip: IpAddr, scope: &[u8]) -> u64 {
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
            key: sealpost_format::random_bytes(),
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
