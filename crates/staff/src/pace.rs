//! How long a pull may take, and how slowly a server may send.
//!
//! Job: the time bounds of a pull — [`DEFAULT_PULL_TIMEOUT`] for the whole run, and the floor
//! under every response body ([`MIN_TRANSFER_RATE`] over each [`RATE_WINDOW`] after
//! [`RATE_GRACE`]) that [`RateFloor`] keeps count of — chosen together, so that a staff member on
//! a slow connection still gets a large attachment and a server dripping bytes does not hold a
//! pull (and the lock on `OUT`) for hours.
//! Invariant: time is an input (`now`), so the floor is tested without a clock or a sleep; a body
//! whose size is known is never asked for more than it still has to bring.
//! Never: reads the clock, waits, or touches the network itself (the client does, and asks the
//! floor after each piece and at each window's end).

use std::time::{Duration, Instant};

/// How long a whole `pull` may run unless `--timeout` says otherwise: an hour holds a 20 MiB
/// attachment at exactly [`MIN_TRANSFER_RATE`] (43 minutes) with room for logins and listings,
/// and a cron job never holds the lock on `OUT` for longer. A pull that runs out of time keeps
/// what it saved; the next one goes on from there.
pub const DEFAULT_PULL_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// The slowest transfer a response body may keep up, in bytes per second, measured over each
/// [`RATE_WINDOW`] after [`RATE_GRACE`]: 8 KiB/s (64 kbit/s). A staff member on bad hotel Wi-Fi
/// (0.5–2 Mbit/s shared) or a slow Tor circuit gets eight times that or more, and still pulls a
/// 20 MiB attachment within [`DEFAULT_PULL_TIMEOUT`]; a server dripping a byte every few seconds,
/// which the 120 s read timeout alone lets through, is left after one window.
pub const MIN_TRANSFER_RATE: u64 = 8 * 1024;
/// The window over which [`MIN_TRANSFER_RATE`] is measured: long enough to ride out a Wi-Fi
/// roaming gap or a TCP retransmission backoff, short enough to notice a drip in half a minute.
pub const RATE_WINDOW: Duration = Duration::from_secs(30);
/// Time after a response starts before its rate is measured: TCP slow start, a fresh Tor
/// circuit, a server that has to read the file from a cold disk.
pub const RATE_GRACE: Duration = Duration::from_secs(30);

/// The slowest a response body may come in: after [`RATE_GRACE`], each [`RATE_WINDOW`] must
/// bring [`MIN_TRANSFER_RATE`] × the window, or the rest of the body if that is less. Time is an
/// input, so tests need no clock.
pub(crate) struct RateFloor {
    /// When the window being measured ends.
    window_end: Instant,
    /// Bytes received since the last window ended (the grace period counts toward the first).
    in_window: u64,
    /// Bytes the body still had to bring when this window began; `None` if its size is unknown.
    due: Option<u64>,
    /// Bytes the body still has to bring; `None` if its size is unknown.
    remaining: Option<u64>,
}

impl RateFloor {
    /// The floor for a body starting at `now`, of `size` bytes if known.
    pub(crate) fn new(now: Instant, size: Option<u64>) -> RateFloor {
        let window_end = now.checked_add(RATE_GRACE + RATE_WINDOW).unwrap_or(now);
        RateFloor { window_end, in_window: 0, due: size, remaining: size }
    }

    /// When the current window ends (and the rate must be checked even if nothing arrives).
    pub(crate) fn window_end(&self) -> Instant {
        self.window_end
    }

    /// Counts `bytes` that arrived at `now` (0 when only the time passed); fails if a window
    /// ended with less than the floor.
    pub(crate) fn received(&mut self, now: Instant, bytes: u64) -> Result<(), ()> {
        self.in_window = self.in_window.saturating_add(bytes);
        self.remaining = self.remaining.map(|r| r.saturating_sub(bytes));
        if now < self.window_end {
            return Ok(());
        }
        let floor = MIN_TRANSFER_RATE.saturating_mul(RATE_WINDOW.as_secs());
        let needed = self.due.map_or(floor, |due| due.min(floor));
        if self.in_window < needed {
            return Err(());
        }
        self.window_end = now.checked_add(RATE_WINDOW).unwrap_or(now);
        self.in_window = 0;
        self.due = self.remaining;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn a_body_dripping_a_byte_every_five_seconds_falls_below_the_floor_after_the_first_window() {
        let start = Instant::now();
        let mut floor = RateFloor::new(start, Some(20 << 20));
        let mut at = start;
        let mut failed_at = None;
        for _ in 0..100 {
            at += Duration::from_secs(5);
            if floor.received(at, 1).is_err() {
                failed_at = Some(at - start);
                break;
            }
        }
        assert_eq!(failed_at, Some(RATE_GRACE + RATE_WINDOW));
    }

    #[test]
    fn a_twenty_mebibyte_attachment_at_the_floor_rate_is_never_cut_off() {
        let start = Instant::now();
        let size: u64 = 20 << 20;
        let mut floor = RateFloor::new(start, Some(size));
        let mut sent = 0;
        let mut at = start;
        while sent < size {
            // One piece a second, at exactly the floor.
            at += Duration::from_secs(1);
            let piece = MIN_TRANSFER_RATE.min(size - sent);
            assert!(floor.received(at, piece).is_ok(), "cut off after {sent} bytes");
            sent += piece;
        }
        assert!(at - start < DEFAULT_PULL_TIMEOUT, "the default --timeout holds it");
    }

    #[test]
    fn the_last_bytes_of_a_body_need_not_fill_a_window() {
        let start = Instant::now();
        let mut floor = RateFloor::new(start, Some(MIN_TRANSFER_RATE * 30 + 10));
        assert!(floor.received(start + RATE_GRACE, MIN_TRANSFER_RATE * 30).is_ok());
        let first = start + RATE_GRACE + RATE_WINDOW;
        assert!(floor.received(first, 0).is_ok(), "the first window brought the floor");
        // Ten bytes were left: a window that brings those ten is fast enough.
        assert!(floor.received(first + RATE_WINDOW, 10).is_ok());
        let mut stalled = RateFloor::new(start, None);
        assert!(stalled.received(start + RATE_GRACE, 0).is_ok(), "the grace is not measured");
        assert!(stalled.received(first, 0).is_err(), "a body of unknown size that stops is too slow");
    }
}
