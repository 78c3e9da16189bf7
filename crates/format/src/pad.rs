//! Padding, so ciphertext sizes leak little (DESIGN §5).
//!
//! An attachment's plaintext is its bytes followed by zeros up to its [`padme`] length; an
//! envelope's JSON is followed by spaces up to a whole number of [`ENVELOPE_BLOCK`]s. Readers
//! truncate an attachment to its `size`; JSON parsers ignore the envelope's trailing spaces.

/// The envelope's plaintext is padded with spaces to a multiple of this many bytes.
pub const ENVELOPE_BLOCK: usize = 1024;

/// The padded length of an attachment of `len` bytes (Padmé, <https://lbarman.ch/blog/padme/>).
///
/// Leaks at most O(log log len) bits of the length and costs at most ≈12 % extra.
pub fn padme(len: u64) -> u64 {
    if len < 2 {
        return len;
    }
    let e = 63 - u64::from(len.leading_zeros()); // floor(log2 len) ≥ 1
    let s = 64 - u64::from(e.leading_zeros()); // floor(log2 e) + 1
    let last_bits = e - s;
    let mask = (1u64 << last_bits) - 1;
    // invariant: len < 2^63 for any real file, so the addition cannot overflow
    (len + mask) & !mask
}

/// The padded length of an envelope whose JSON is `len` bytes.
pub fn envelope_padded_len(len: usize) -> usize {
    len.div_ceil(ENVELOPE_BLOCK).max(1) * ENVELOPE_BLOCK
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn padme_matches_the_published_examples() {
        // L + mask, cleared to a multiple of 2^(E - S), where E = floor(log2 L), S = floor(log2 E) + 1.
        assert_eq!(padme(0), 0);
        assert_eq!(padme(1), 1);
        assert_eq!(padme(9), 10);
        assert_eq!(padme(1000), 1024); // E = 9, S = 4: the low 5 bits are cleared
        assert_eq!(padme(1_000_000), 1_015_808);
        assert_eq!(padme(1 << 20), 1 << 20);
    }

    #[test]
    fn envelope_padding_rounds_up_to_whole_blocks() {
        assert_eq!(envelope_padded_len(0), 1024);
        assert_eq!(envelope_padded_len(1), 1024);
        assert_eq!(envelope_padded_len(1024), 1024);
        assert_eq!(envelope_padded_len(1025), 2048);
    }

    proptest! {
        #[test]
        fn padme_never_shrinks_and_costs_at_most_an_eighth(len in 0u64..(1u64 << 40)) {
            let padded = padme(len);
            prop_assert!(padded >= len);
            prop_assert!(padded - len <= len / 8 + 1);
            prop_assert_eq!(padme(padded), padded);
        }

        #[test]
        fn envelope_padding_is_minimal_whole_blocks(len in 0usize..1_000_000) {
            let padded = envelope_padded_len(len);
            prop_assert_eq!(padded % ENVELOPE_BLOCK, 0);
            prop_assert!(padded >= len && padded - len < ENVELOPE_BLOCK || len == 0);
        }
    }
}
