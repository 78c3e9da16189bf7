//! Fresh receipts made ahead of time (DESIGN §10, §7): deriving a receipt's keys is slow on
//! purpose, so it must not sit on a submission's path. One background thread keeps a small pool
//! of fresh (R, T, P) filled; a submission takes one, waiting a bounded time if the pool is empty
//! and no more than [`MAX_WAITING`] others already wait.
//!
//! Job: hand out fresh receipts with their keys, each once.
//! Invariant: at most [`POOL_SIZE`] receipts wait in memory, each wiped when dropped (taken and
//! used, or the pool dropped); the worker asks for one derivation at a time, on the deriving
//! threads (so the pool never holds an Argon2 workspace of its own), and starts only when the
//! first receipt is asked for.
//! Never: writes a receipt anywhere, or hands one out twice.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::deriver::Deriver;
use super::keys::ThreadKeys;
use super::receipt::Receipt;

/// Receipts kept ready: a burst of this many submissions takes no derivation time at all. Each
/// waits in about 200 bytes of wiped memory.
pub const POOL_SIZE: usize = 64;

/// Submissions that may wait for a receipt at once when the pool is empty. More than this many
/// waiting means receipts are being asked for faster than they are made (a flood): the others
/// go on without one at once, so the flood cannot slow every submission by the wait.
pub const MAX_WAITING: usize = 4;

/// A receipt and the keys it opens, not yet given to anyone.
pub struct Fresh {
    /// R.
    pub receipt: Receipt,
    /// T, the reply identity and P.
    pub keys: ThreadKeys,
}

/// The pool, shared by every submission; the worker stops when the last handle is dropped.
#[derive(Clone)]
pub struct ReceiptPool {
    shared: Arc<Shared>,
}

struct Shared {
    deriver: Deriver,
    state: Mutex<State>,
    /// Signalled when a receipt is added or taken.
    changed: Condvar,
}

#[derive(Default)]
struct State {
    ready: VecDeque<Fresh>,
    /// Submissions waiting for a receipt now.
    waiting: usize,
    worker_started: bool,
    /// Set when the pool is dropped: the worker ends.
    closed: bool,
}

impl ReceiptPool {
    /// A pool deriving on `deriver`'s threads; its worker starts at the first
    /// [`ReceiptPool::take`].
    pub fn new(deriver: Deriver) -> ReceiptPool {
        ReceiptPool {
            shared: Arc::new(Shared { deriver, state: Mutex::new(State::default()), changed: Condvar::new() }),
        }
    }

    /// Takes a fresh receipt, waiting up to `patience` for one (blocking: call it on a blocking
    /// thread). `None` if none was ready in time.
    pub fn take(&self, patience: Duration) -> Option<Fresh> {
        let deadline = Instant::now() + patience;
        let mut state = self.shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.worker_started {
            state.worker_started = true;
            let weak = Arc::downgrade(&self.shared);
            let spawned = std::thread::Builder::new().name("receipts".into()).spawn(move || fill(&weak));
            if spawned.is_err() {
                state.worker_started = false;
                tracing::error!("cannot start the receipt worker; submissions go without receipts");
            }
        }
        if let Some(fresh) = state.ready.pop_front() {
            self.shared.changed.notify_all();
            return Some(fresh);
        }
        if state.waiting >= MAX_WAITING {
            return None;
        }
        state.waiting += 1;
        let fresh = loop {
            if let Some(fresh) = state.ready.pop_front() {
                self.shared.changed.notify_all();
                break Some(fresh);
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { break None };
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0;
        };
        state.waiting -= 1;
        fresh
    }

    /// Receipts ready now (for tests and the status command).
    pub fn ready(&self) -> usize {
        self.shared.state.lock().unwrap_or_else(PoisonError::into_inner).ready.len()
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        state.closed = true;
        state.ready.clear();
    }
}

/// The worker: keeps the pool full while any handle on it lives.
fn fill(shared: &std::sync::Weak<Shared>) {
    loop {
        let Some(pool) = shared.upgrade() else { return };
        {
            let mut state = pool.state.lock().unwrap_or_else(PoisonError::into_inner);
            while state.ready.len() >= POOL_SIZE && !state.closed {
                // Wake now and then to notice that every handle is gone.
                state =
                    pool.changed.wait_timeout(state, Duration::from_secs(5)).unwrap_or_else(PoisonError::into_inner).0;
                if Arc::strong_count(&pool) == 1 {
                    return;
                }
            }
            if state.closed {
                return;
            }
        }
        let low = pool.state.lock().unwrap_or_else(PoisonError::into_inner).ready.len() < POOL_SIZE / 4;
        let Some((receipt, keys)) = pool.deriver.derive(Receipt::random(), low) else { return };
        let mut state = pool.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.ready.push_back(Fresh { receipt, keys });
        pool.changed.notify_all();
        drop(state);
        // The worker's own handle must not keep the pool alive between rounds.
        drop(pool);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_handed_out_once_each_and_the_pool_refills() {
        let pool = ReceiptPool::new(super::super::Deriver::start([3u8; 32]));
        let first = pool.take(Duration::from_secs(60)).unwrap_or_else(|| panic!("no receipt in a minute"));
        let second = pool.take(Duration::from_secs(60)).unwrap_or_else(|| panic!("no receipt in a minute"));
        assert_ne!(first.keys.thread, second.keys.thread);
        assert_ne!(first.receipt.secret(), second.receipt.secret());
        let deadline = Instant::now() + Duration::from_secs(120);
        while pool.ready() < 4 {
            assert!(Instant::now() < deadline, "the pool did not refill");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
