//! A buffer for plaintext that never leaves an unwiped copy behind when it grows.
//!
//! `Vec::extend_from_slice` and `String::push_str` reallocate by copying into a larger
//! allocation and freeing the old one as it is, plaintext included; `Zeroizing` wipes only the
//! last allocation. [`SecretBuf`] grows only on its own path: a new allocation (itself wiped on
//! drop), a copy, then the old allocation is wiped before it is freed.
//! Never: lets `Vec` reallocate on its own, or hands out its bytes without a wipe behind them.

use zeroize::{Zeroize, Zeroizing};

/// Plaintext bytes (text values, a urlencoded body, a re-rendered page); wiped when dropped.
pub struct SecretBuf {
    bytes: Zeroizing<Vec<u8>>,
    /// How many times the buffer moved to a larger allocation (tests read it).
    #[cfg(test)]
    moves: usize,
}

impl SecretBuf {
    /// An empty buffer with room for `capacity` bytes. Sized to its bound, it never moves.
    pub fn with_capacity(capacity: usize) -> SecretBuf {
        SecretBuf {
            bytes: Zeroizing::new(Vec::with_capacity(capacity)),
            #[cfg(test)]
            moves: 0,
        }
    }

    /// Appends `more`. Past the capacity, the bytes move to an allocation of at least twice the
    /// size and the old one is wiped before it is freed.
    pub fn extend(&mut self, more: &[u8]) {
        let needed = self.bytes.len().saturating_add(more.len());
        if needed > self.bytes.capacity() {
            let mut larger = Zeroizing::new(Vec::with_capacity(needed.max(self.bytes.capacity().saturating_mul(2))));
            larger.extend_from_slice(&self.bytes);
            // Assigning drops the old `Zeroizing<Vec>`, which wipes its whole allocation.
            self.bytes = larger;
            #[cfg(test)]
            {
                self.moves += 1;
            }
        }
        // Invariant: len + more.len() <= capacity here, so this never reallocates.
        self.bytes.extend_from_slice(more);
    }

    /// Keeps the first `len` bytes (wiping the rest).
    pub fn truncate(&mut self, len: usize) {
        if let Some(rest) = self.bytes.get_mut(len..) {
            rest.zeroize();
        }
        self.bytes.truncate(len);
    }

    /// The bytes as text, without copying them; `None` (and wiped) if they are not UTF-8.
    pub fn into_string(mut self) -> Option<Zeroizing<String>> {
        // The allocation moves out of the wrapper as it is; nothing is copied.
        let bytes = std::mem::take(&mut *self.bytes);
        match String::from_utf8(bytes) {
            Ok(text) => Some(Zeroizing::new(text)),
            Err(e) => {
                let mut bytes = e.into_bytes();
                bytes.zeroize();
                None
            }
        }
    }

    /// How many bytes are held.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// How many bytes fit before the buffer must move.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }
}

impl std::ops::Deref for SecretBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl AsRef<[u8]> for SecretBuf {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// So a template can render straight into it.
impl std::fmt::Write for SecretBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.extend(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What these tests show: every change of allocation goes through `extend`'s own path (which
    /// drops the old `Zeroizing<Vec>`, and `zeroize` wipes it: that part is the zeroize crate's
    /// guarantee, not read back here: the crate forbids reading freed memory); `Vec` never
    /// reallocates behind its back; and a buffer sized to its bound never moves at all.
    #[test]
    fn the_buffer_moves_only_on_its_own_wiping_path_and_never_when_sized_to_its_bound() {
        let mut buf = SecretBuf::with_capacity(4);
        let mut seen_moves = 0;
        for step in 0..200usize {
            let (ptr, capacity) = (buf.bytes.as_ptr(), buf.capacity());
            let piece = vec![(step % 251) as u8; step % 37];
            buf.extend(&piece);
            if buf.moves == seen_moves {
                assert_eq!((buf.bytes.as_ptr(), buf.capacity()), (ptr, capacity), "step {step}: moved unseen");
            } else {
                assert_eq!(buf.moves, seen_moves + 1, "one move per extend at most");
                assert!(buf.capacity() >= 2 * capacity, "growth at least doubles");
                seen_moves = buf.moves;
            }
        }
        assert!(seen_moves > 3, "the test exercised growth");
        let expected: Vec<u8> = (0..200usize).flat_map(|s| vec![(s % 251) as u8; s % 37]).collect();
        assert_eq!(&buf[..], &expected[..], "contents survive each move");

        let mut sized = SecretBuf::with_capacity(1000);
        let ptr = sized.bytes.as_ptr();
        for _ in 0..100 {
            sized.extend(b"0123456789");
        }
        assert_eq!((sized.moves, sized.bytes.as_ptr(), sized.len()), (0, ptr, 1000));
    }

    #[test]
    fn text_comes_out_without_a_copy_and_invalid_utf8_is_refused() {
        let mut buf = SecretBuf::with_capacity(16);
        buf.extend("héllo".as_bytes());
        let ptr = buf.bytes.as_ptr();
        let text = buf.into_string().unwrap();
        assert_eq!((text.as_str(), text.as_ptr()), ("héllo", ptr));
        let mut bad = SecretBuf::with_capacity(4);
        bad.extend(&[0xff, 0xfe]);
        assert!(bad.into_string().is_none());
        let mut cut = SecretBuf::with_capacity(8);
        cut.extend(b"abcdef");
        cut.truncate(2);
        assert_eq!(&cut[..], b"ab");
    }
}
