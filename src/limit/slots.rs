//! Who holds the server's connection and request slots, and for how long.
//!
//! Job: keep one client from holding every slot. [`Slots`] caps what one client (a keyed hash of
//! its network, like the rate limit's) holds at once: requests in flight, or connections on a
//! listener it reaches directly. [`Paced`] cuts off a request body that arrives slower than the
//! minimum upload rate, and [`Activity`] tells when an HTTP/2 connection has had no request in
//! flight for a while.
//! Invariant: the tables hold only 64-bit keyed hashes, with a per-process random key, and only
//! while a slot is held: an entry leaves with its last guard, so a table never has more entries
//! than slots in use (invariants 5 and 7).
//! Never: stores or logs an address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use hyper::body::Frame;
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

/// A per-client cap on slots held at once.
pub struct Slots {
    /// Per-process random key of the client hash.
    key: [u8; 32],
    /// Keeps this table's hashes apart from other tables' (and the rate limiter's).
    scope: &'static [u8],
    /// Slots one client may hold.
    max: usize,
    /// Slots held, by client hash; an entry exists only while its count is above zero.
    held: Mutex<HashMap<u64, usize>>,
}

/// One slot, given back when dropped.
pub struct SlotGuard {
    slots: Arc<Slots>,
    client: u64,
}

impl Slots {
    /// A table letting each client hold at most `max` slots; `scope` names what is counted.
    pub fn new(max: usize, scope: &'static [u8]) -> Arc<Slots> {
        Arc::new(Slots { key: sealpost_format::random_bytes(), scope, max, held: Mutex::new(HashMap::new()) })
    }

    /// Takes a slot for `client` (IPv4 address, IPv6 /64), or `None` if it holds its maximum.
    pub fn try_acquire(self: &Arc<Self>, client: IpAddr) -> Option<SlotGuard> {
        let hash = super::rate::client_hash(&self.key, client, self.scope);
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(hash).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(SlotGuard { slots: self.clone(), client: hash })
    }

    /// Clients holding at least one slot.
    pub fn clients(&self) -> usize {
        self.held.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.client);
            }
        }
    }
}

/// The minimum upload rate, checked once per window: each window of waiting must have brought
/// at least `rate × window` bytes. Only time spent waiting for the body counts (from a poll that
/// found no byte to the next chunk): while the server itself is busy elsewhere (sealing, waiting
/// for the disk) and does not ask for the body, the sender is not to blame. No body is judged
/// before its first window of waiting is over (the grace for a radio waking up and TCP slow
/// start). Time is an input, so tests need no clock.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Bytes per second.
    rate: u64,
    window: Duration,
    /// Time spent waiting for the body in the window being filled, up to `waiting_since`.
    waited: Duration,
    /// Since when the reader has been waiting (a poll found no byte), if it is.
    waiting_since: Option<Instant>,
    /// Bytes received in the window being filled.
    bytes: u64,
}

/// A body arrived slower than the minimum upload rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body arrived slower than the minimum upload rate")]
pub struct TooSlow;

impl Pace {
    /// A pace of at least `rate` bytes per second over each `window` of waiting. Nobody waits
    /// yet: the clock starts at the first poll that finds no byte.
    pub fn new(rate: u64, window: Duration) -> Pace {
        Pace { rate, window, waited: Duration::ZERO, waiting_since: None, bytes: 0 }
    }

    /// The reader asked for the body at `now` and none was there: waiting time counts from here
    /// (if it was not already counting). Judges the window if it is over.
    pub fn waiting(&mut self, now: Instant) -> Result<(), TooSlow> {
        self.waiting_since.get_or_insert(now);
        self.judge(now)
    }

    /// Records `bytes` arrived at `now`: waiting stops until the reader finds nothing again.
    /// When a window of waiting is over, the bytes since it began must reach the rate over the
    /// time waited (which is more than one window if the reader was woken late); then the next
    /// window begins.
    pub fn arrived(&mut self, bytes: u64, now: Instant) -> Result<(), TooSlow> {
        self.bytes = self.bytes.saturating_add(bytes);
        let judged = self.judge(now);
        self.waited = self.waited_at(now);
        self.waiting_since = None;
        judged
    }

    /// Time waited in the current window, as of `now`.
    fn waited_at(&self, now: Instant) -> Duration {
        let current = self.waiting_since.map_or(Duration::ZERO, |since| now.saturating_duration_since(since));
        self.waited.saturating_add(current)
    }

    fn judge(&mut self, now: Instant) -> Result<(), TooSlow> {
        let waited = self.waited_at(now);
        if waited < self.window {
            return Ok(());
        }
        let needed = u128::from(self.rate) * waited.as_millis() / 1000;
        if u128::from(self.bytes) < needed {
            return Err(TooSlow);
        }
        self.waited = Duration::ZERO;
        self.waiting_since = self.waiting_since.map(|_| now);
        self.bytes = 0;
        Ok(())
    }

    /// When the current window of waiting will be over, if the reader is waiting and the
    /// moment can be told (a window too long for the clock never ends).
    pub fn deadline(&self) -> Option<Instant> {
        let since = self.waiting_since?;
        since.checked_add(self.window.saturating_sub(self.waited))
    }
}

/// A request body held to a [`Pace`]. Too slow, it ends with an error and sets its flag, so
/// the request is answered with the "took too long" page and the connection closed.
pub struct Paced {
    inner: Body,
    pace: Pace,
    /// Wakes the reader at the end of each window, even while no byte arrives.
    timer: Pin<Box<Sleep>>,
    tripped: Arc<AtomicBool>,
}

impl Paced {
    /// Wraps `inner`; the flag is set if it is cut off.
    pub fn new(inner: Body, rate: u64, window: Duration) -> (Paced, Arc<AtomicBool>) {
        let pace = Pace::new(rate, window);
        let tripped = Arc::new(AtomicBool::new(false));
        // Armed at the first wait; until then it never fires.
        let timer = Box::pin(tokio::time::sleep(Duration::ZERO));
        (Paced { inner, pace, timer, tripped: tripped.clone() }, tripped)
    }

    fn trip(&mut self) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        self.tripped.store(true, Ordering::Release);
        Poll::Ready(Some(Err(axum::Error::new(TooSlow))))
    }
}

impl hyper::body::Body for Paced {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.tripped.load(Ordering::Acquire) {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, Bytes::len) as u64;
                match this.pace.arrived(len, Instant::now()) {
                    Ok(()) => Poll::Ready(Some(Ok(frame))),
                    Err(TooSlow) => this.trip(),
                }
            }
            Poll::Pending => loop {
                if this.pace.waiting(Instant::now()).is_err() {
                    return this.trip();
                }
                // A window too long for the clock has no end to wake for: the next chunk judges.
                let Some(deadline) = this.pace.deadline() else {
                    return Poll::Pending;
                };
                if this.timer.deadline() != deadline {
                    this.timer.as_mut().reset(deadline);
                }
                if this.timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
            },
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Requests in flight on one connection, for the HTTP/2 idle timeout.
#[derive(Default)]
pub struct Activity {
    in_flight: AtomicUsize,
    changed: Notify,
}

/// One request in flight; ends when dropped.
pub struct Busy(Arc<Activity>);

impl Activity {
    /// Marks a request as begun.
    pub fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.changed.notify_waiters();
        Busy(self.clone())
    }

    /// Resolves once no request has been in flight for `idle`.
    pub async fn idle_for(&self, idle: Duration) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.in_flight.load(Ordering::Acquire) == 0 {
                tokio::select! {
                    () = tokio::time::sleep(idle) => return,
                    () = changed => {}
                }
            } else {
                changed.await;
            }
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn a_client_holds_at_most_its_slots_and_gets_them_back_when_guards_drop() {
        let slots = Slots::new(2, b"test");
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = slots.try_acquire(a).unwrap();
        let _second = slots.try_acquire(a).unwrap();
        assert!(slots.try_acquire(a).is_none(), "a third slot for the same client is refused");
        let _other = slots.try_acquire(b).expect("another client is not affected");
        drop(first);
        assert!(slots.try_acquire(a).is_some(), "a dropped guard gives its slot back");
    }

    #[test]
    fn an_ipv6_64_counts_as_one_client_and_the_table_forgets_clients_without_slots() {
        let slots = Slots::new(1, b"test");
        let one = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, 1));
        let same_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9));
        let guard = slots.try_acquire(one).unwrap();
        assert!(slots.try_acquire(same_64).is_none());
        assert_eq!(slots.clients(), 1);
        drop(guard);
        assert_eq!(slots.clients(), 0);
    }

    #[test]
    fn a_body_is_not_judged_before_its_first_window_is_over() {
        let start = Instant::now();
        let mut pace = Pace::new(512, Duration::from_secs(30));
        assert_eq!(pace.waiting(start), Ok(()));
        assert_eq!(pace.arrived(0, start + Duration::from_secs(29)), Ok(()));
    }

    #[test]
    fn a_window_short_of_the_rate_is_too_slow_and_a_full_one_starts_the_next() {
        let start = Instant::now();
        let window = Duration::from_secs(30);
        let mut pace = Pace::new(512, window);
        assert_eq!(pace.deadline(), None, "no one waits yet");
        assert_eq!(pace.waiting(start), Ok(()));
        assert_eq!(pace.deadline(), Some(start + window));
        // 2G at 20 kbit/s brings 75 kB in a window; 512 B/s needs 15 360 bytes.
        assert_eq!(pace.arrived(15_360, start + Duration::from_secs(10)), Ok(()));
        assert_eq!(pace.waiting(start + Duration::from_secs(10)), Ok(()));
        assert_eq!(pace.waiting(start + window), Ok(()));
        assert_eq!(pace.deadline(), Some(start + window * 2));
        assert_eq!(pace.arrived(15_359, start + window + Duration::from_secs(1)), Ok(()));
        assert_eq!(pace.waiting(start + window + Duration::from_secs(1)), Ok(()));
        assert_eq!(pace.waiting(start + window * 2), Err(TooSlow), "one byte short");
    }

    #[test]
    fn a_reader_that_waited_several_windows_judges_the_average_over_all_of_them() {
        let start = Instant::now();
        let window = Duration::from_secs(10);
        let mut pace = Pace::new(100, window);
        assert_eq!(pace.waiting(start), Ok(()));
        // Woken only after 30 s of waiting: 3 000 bytes are needed, not 1 000.
        assert_eq!(pace.clone().arrived(2_999, start + window * 3), Err(TooSlow));
        assert_eq!(pace.arrived(3_000, start + window * 3), Ok(()));
    }

    #[test]
    fn a_reader_that_stops_asking_for_longer_than_a_window_does_not_count_its_stall_against_the_sender() {
        let start = Instant::now();
        let window = Duration::from_secs(10);
        let mut pace = Pace::new(100, window);
        // The first chunk came after a second of waiting; then the handler spent a minute on
        // the disk without asking for more, and the next chunk was there at once.
        assert_eq!(pace.waiting(start), Ok(()));
        assert_eq!(pace.arrived(1_000, start + Duration::from_secs(1)), Ok(()));
        assert_eq!(pace.arrived(1_000, start + Duration::from_secs(61)), Ok(()), "the stall was ours");
        assert_eq!(pace.waiting(start + Duration::from_secs(61)), Ok(()));
        assert_eq!(pace.deadline(), Some(start + Duration::from_secs(70)), "9 s of the window are left");
    }

    #[test]
    fn a_slow_sender_still_trips_the_floor_across_the_readers_stalls() {
        let start = Instant::now();
        let window = Duration::from_secs(10);
        let mut pace = Pace::new(100, window);
        // Waits of 6 s and 4 s around a one-minute stall of ours: one window, 100 bytes short.
        assert_eq!(pace.waiting(start), Ok(()));
        assert_eq!(pace.arrived(450, start + Duration::from_secs(6)), Ok(()));
        assert_eq!(pace.waiting(start + Duration::from_secs(66)), Ok(()));
        assert_eq!(pace.arrived(450, start + Duration::from_secs(70)), Err(TooSlow));
    }

    #[test]
    fn a_window_too_long_for_the_clock_neither_panics_nor_cuts_a_body_off() {
        let start = Instant::now();
        let mut pace = Pace::new(512, Duration::MAX);
        assert_eq!(pace.waiting(start), Ok(()));
        assert_eq!(pace.deadline(), None, "a window past the clock's end has no deadline");
        assert_eq!(pace.arrived(0, start + Duration::from_secs(3600)), Ok(()));
    }

    #[test]
    fn a_rate_of_zero_never_cuts_a_body_off() {
        let start = Instant::now();
        let mut pace = Pace::new(0, Duration::from_secs(1));
        assert_eq!(pace.waiting(start), Ok(()));
        assert_eq!(pace.arrived(0, start + Duration::from_secs(3600)), Ok(()));
    }
}
