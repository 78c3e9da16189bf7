//! `application/x-www-form-urlencoded` bodies: bounded, decoded to bytes, so invalid UTF-8 is
//! refused instead of silently replaced.

use zeroize::Zeroizing;

use super::outcome::BodyError;
use super::state::State;
use super::wipe::SecretBuf;

/// A urlencoded body carries no files, so it is bounded far below `max_body`.
pub const MAX_URLENCODED_BODY: u64 = 1024 * 1024;

/// Parses `a=1&b=2` with `+` as space; invalid percent-escapes are kept literally (as browsers
/// never produce them), invalid UTF-8 is refused.
pub(super) fn read_urlencoded(state: &mut State<'_>, body: &[u8]) -> Result<(), BodyError> {
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        state.count_part()?;
        let (key, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (pair.get(..at).unwrap_or_default(), pair.get(at + 1..).unwrap_or_default()),
            None => (pair, &b""[..]),
        };
        let key = decode_component(key)?;
        let value = decode_component(value)?;
        let budget = state.text_budget(&key);
        let truncated = value.len() > budget;
        let value = if truncated { Zeroizing::new(truncate_utf8(&value, budget).to_string()) } else { value };
        state.text(&key, value, truncated)?;
    }
    Ok(())
}

/// Decodes into buffers of the raw component's size (decoding never lengthens it), and hands
/// the text on without another copy.
pub(super) fn decode_component(raw: &[u8]) -> Result<Zeroizing<String>, BodyError> {
    let mut plus = SecretBuf::with_capacity(raw.len());
    for b in raw {
        plus.extend(&[if *b == b'+' { b' ' } else { *b }]);
    }
    let mut bytes = SecretBuf::with_capacity(raw.len());
    for b in percent_encoding::percent_decode(&plus) {
        bytes.extend(&[b]);
    }
    bytes.into_string().ok_or(BodyError::Malformed)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(super) fn truncate_utf8(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// A name and its value, both wiped when dropped.
pub type Pair = (Zeroizing<String>, Zeroizing<String>);

/// Most pairs [`small_pairs`] reads: the status pages' forms have four fields.
const MAX_SMALL_PAIRS: usize = 16;

/// The pairs of a small urlencoded body (a status page's form), decoded like a form's; each
/// value wiped when dropped. More than `MAX_SMALL_PAIRS` pairs, a repeated name or invalid
/// UTF-8 is malformed.
pub fn small_pairs(body: &[u8]) -> Result<Vec<Pair>, BodyError> {
    let mut pairs: Vec<Pair> = Vec::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        if pairs.len() >= MAX_SMALL_PAIRS {
            return Err(BodyError::TooManyFields);
        }
        let (key, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (pair.get(..at).unwrap_or_default(), pair.get(at + 1..).unwrap_or_default()),
            None => (pair, &b""[..]),
        };
        let key = decode_component(key)?;
        if pairs.iter().any(|(k, _)| *k == key) {
            return Err(BodyError::Malformed);
        }
        pairs.push((key, decode_component(value)?));
    }
    Ok(pairs)
}
