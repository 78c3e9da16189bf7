//! One-time, short-lived, in-memory handles (DESIGN §10): the sent page's handle to the receipt it
//! shows once, and the status page's handle to the conversation a follow-up or a deletion is for.
//! A handle is 128 random bits in base32; it is what a URL may carry instead of a receipt.
//!
//! Job: keep a bounded table of values by handle, each taken at most once, before it expires.
//! Invariant: at most `capacity` values are held; an expired one is never handed out and is
//! dropped (wiped, for receipts) at the next insert; a full table refuses new handles instead of
//! evicting live ones.
//! Never: writes a handle or its value anywhere.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A table of values by one-time handle.
pub struct Handles<V> {
    ttl: Duration,
    capacity: usize,
    table: Mutex<HashMap<String, (V, Instant)>>,
}

impl<V> Handles<V> {
    /// A table holding at most `capacity` values, each for at most `ttl`.
    pub fn new(ttl: Duration, capacity: usize) -> Handles<V> {
        Handles { ttl, capacity, table: Mutex::new(HashMap::new()) }
    }

    /// Stores `value` under a fresh handle; `None` if the table is full of live values.
    pub fn insert(&self, value: V, now: Instant) -> Option<String> {
        self.insert_replacing(value, now, |_| false)
    }

    /// [`Handles::insert`], first dropping every handle whose value `same` says is this one's
    /// (one handle per conversation: checking it again does not take another place).
    pub fn insert_replacing(&self, value: V, now: Instant, same: impl Fn(&V) -> bool) -> Option<String> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.retain(|_, (held, _)| !same(held));
        if table.len() >= self.capacity {
            table.retain(|_, (_, expires)| *expires > now);
            if table.len() >= self.capacity {
                return None;
            }
        }
        let bytes: [u8; 16] = sealpost_format::random_bytes();
        let handle = data_encoding::BASE32_NOPAD.encode(&bytes).to_ascii_lowercase();
        table.insert(handle.clone(), (value, now + self.ttl));
        Some(handle)
    }

    /// Takes the value under `handle`, once; `None` if unknown, already taken or expired.
    pub fn take(&self, handle: &str, now: Instant) -> Option<V> {
        self.take_until(handle, now).map(|(value, _)| value)
    }

    /// [`Handles::take`], with when the handle would have expired (for [`Handles::put_back`]).
    pub fn take_until(&self, handle: &str, now: Instant) -> Option<(V, Instant)> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let (value, expires) = table.remove(handle)?;
        (expires > now).then_some((value, expires))
    }

    /// Puts `value` back under `handle` until `expires`, the time it had left (a follow-up that
    /// must be corrected keeps its handle, never longer); dropped if the table is full.
    pub fn put_back(&self, handle: &str, value: V, expires: Instant) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if table.len() < self.capacity {
            table.insert(handle.to_string(), (value, expires));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_gives_its_value_once_and_never_after_it_expires() {
        let handles = Handles::new(Duration::from_secs(60), 2);
        let now = Instant::now();
        let a = handles.insert("first", now).unwrap_or_else(|| panic!("room"));
        let b = handles.insert("second", now).unwrap_or_else(|| panic!("room"));
        assert_eq!(a.len(), 26);
        assert_ne!(a, b);
        assert!(handles.insert("third", now).is_none(), "full of live handles: refused, none evicted");
        assert_eq!(handles.take(&a, now), Some("first"));
        assert_eq!(handles.take(&a, now), None, "once");
        assert_eq!(handles.take(&b, now + Duration::from_secs(61)), None, "expired");
        let later = now + Duration::from_secs(120);
        assert!(handles.insert("fourth", later).is_some());
        assert_eq!(handles.take("not-a-handle", later), None);
    }
}
