//! Submission ids and the names of the files in a submission (DESIGN §5).
//!
//! Job: the only shapes of outside text that either side ever turns into a path (submission and
//! thread ids, file names).
//! Invariant: text from outside becomes a [`SubmissionId`] or a [`FileName`] only through
//! [`SubmissionId::parse`] or [`FileName::parse`], so holding one means the text was exactly an
//! id's or a file name's shape: no separator, no dot segment, nothing a file system could read two
//! ways. A `SubmissionId` cannot be built any other way (its field is private); `FileName`'s
//! variants are public, and code that builds one directly owns its number's range.

/// Highest attachment number a file name may carry (`9999.age`).
pub const MAX_ATTACHMENT_NUMBER: u32 = 9999;

/// A submission id: 26 lower-case base32 characters from 128 random bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubmissionId(String);

impl SubmissionId {
    /// A fresh random id (no timestamp in it).
    pub fn random() -> SubmissionId {
        let bytes: [u8; 16] = crate::random_bytes();
        SubmissionId(data_encoding::BASE32_NOPAD.encode(&bytes).to_ascii_lowercase())
    }

    /// Parses an id that came from outside; `None` unless it is exactly an id's shape.
    pub fn parse(s: &str) -> Option<SubmissionId> {
        let ok = s.len() == 26 && s.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
        ok.then(|| SubmissionId(s.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SubmissionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A conversation's thread id `T` (DESIGN §10): 26 lower-case base32 characters, like a
/// submission id, from 128 bits the server derives from a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThreadId(String);

impl ThreadId {
    /// The id of 128 derived bits.
    pub fn from_bits(bits: &[u8; 16]) -> ThreadId {
        ThreadId(data_encoding::BASE32_NOPAD.encode(bits).to_ascii_lowercase())
    }

    /// Parses an id that came from outside; `None` unless it is exactly an id's shape.
    pub fn parse(s: &str) -> Option<ThreadId> {
        SubmissionId::parse(s).map(|id| ThreadId(id.0))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ThreadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of a file inside a spool entry: `envelope.age` or `N.age` (1 ≤ N ≤ 9999, no leading
/// zero). The only file names the staff API ever turns into paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileName {
    /// `envelope.age`
    Envelope,
    /// `N.age`
    Attachment(u32),
}

impl FileName {
    /// Parses a name that came from outside; `None` unless it is exactly one of the two shapes.
    pub fn parse(s: &str) -> Option<FileName> {
        if s == "envelope.age" {
            return Some(FileName::Envelope);
        }
        let digits = s.strip_suffix(".age")?;
        let canonical = !digits.is_empty()
            && digits.len() <= 4
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        let n: u32 = if canonical {
            digits.parse().ok()?
        } else {
            return None;
        };
        (1..=MAX_ATTACHMENT_NUMBER).contains(&n).then_some(FileName::Attachment(n))
    }
}

impl std::fmt::Display for FileName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileName::Envelope => f.write_str("envelope.age"),
            FileName::Attachment(n) => write!(f, "{n}.age"),
        }
    }
}

/// Parses a hex SHA-256 (either case) into lower case; `None` unless it is 64 hex digits.
pub fn parse_sha256(s: &str) -> Option<String> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_26_lower_case_base32_characters_and_parse_back() {
        let id = SubmissionId::random();
        assert_eq!(id.as_str().len(), 26);
        assert_eq!(SubmissionId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(SubmissionId::random(), id);
    }

    proptest::proptest! {
        #[test]
        fn every_encoding_of_128_bits_parses_back_and_nothing_else_does(bytes: [u8; 16], junk in ".{0,40}") {
            let id = data_encoding::BASE32_NOPAD.encode(&bytes).to_ascii_lowercase();
            proptest::prop_assert_eq!(SubmissionId::parse(&id).map(|p| p.0), Some(id.clone()));
            let is_id_shaped = junk.len() == 26 && junk.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
            proptest::prop_assert_eq!(SubmissionId::parse(&junk).is_some(), is_id_shaped);
        }
    }

    #[test]
    fn parse_refuses_anything_but_an_id() {
        for bad in [
            "",
            "../../etc/passwd",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "aaaaaaaaaaaaaaaaaaaaaaaaa1",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert_eq!(SubmissionId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn file_names_accept_only_the_envelope_and_numbered_attachments() {
        assert_eq!(FileName::parse("envelope.age"), Some(FileName::Envelope));
        assert_eq!(FileName::parse("1.age"), Some(FileName::Attachment(1)));
        assert_eq!(FileName::parse("9999.age"), Some(FileName::Attachment(9999)));
        for bad in [
            "",
            ".age",
            "0.age",
            "01.age",
            "10000.age",
            "-1.age",
            "+1.age",
            "1.AGE",
            "1.age/",
            "../1.age",
            "1.age\0",
            "envelope",
            "ENVELOPE.age",
            " 1.age",
            "1 .age",
            "١.age",
            "4294967297.age",
        ] {
            assert_eq!(FileName::parse(bad), None, "{bad:?}");
        }
        assert_eq!(FileName::Attachment(12).to_string(), "12.age");
    }

    #[test]
    fn sha256_parsing_refuses_anything_but_64_hex_digits() {
        let good = "A".repeat(64);
        assert_eq!(parse_sha256(&good), Some("a".repeat(64)));
        assert_eq!(parse_sha256(&"a".repeat(63)), None);
        assert_eq!(parse_sha256(&"g".repeat(64)), None);
        assert_eq!(parse_sha256(&format!("{} ", "a".repeat(63))), None);
    }
}
