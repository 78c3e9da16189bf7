//! The sealed envelope: the plaintext inside `envelope.age` (DESIGN §5).
//!
//! Job: one definition of the JSON the server seals and the staff client opens, and of its
//! versions. Version 1 is the original shape; version 2 adds [`Envelope::ack`]. Both are read.
//! Fields added since without changing what older readers understand ([`EnvelopeField::kind`],
//! [`EnvelopeField::choices`]) are optional and leave the version alone, so older staff clients,
//! which ignore what they do not know, keep reading new envelopes.
//! Invariant: envelope values and ack secrets never derive `Debug` or `Clone` and are wiped when
//! dropped (STYLE 8); the ack secret's digest is compared in constant time.
//! Never: encrypts, decrypts or writes a file: sealing is the server's, opening the client's.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The envelope format the server writes. Version 2 added [`Envelope::ack`]; staff clients read
/// versions 1 and 2.
pub const ENVELOPE_VERSION: u32 = 2;
/// Bytes of an envelope's ack secret.
pub const ACK_SECRET_LEN: usize = 32;

/// The plaintext inside `envelope.age`. Zeroized on drop; no `Debug` or `Clone` (STYLE 8).
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Envelope {
    /// Format version: [`ENVELOPE_VERSION`] when written now, 1 for envelopes from before acks
    /// needed a secret.
    pub sealpost: u32,
    /// The submission id (also the folder name).
    pub id: String,
    /// The form id.
    pub form: String,
    /// UTC, RFC 3339, to the second.
    pub received: String,
    /// The language the person used the form in.
    pub locale: String,
    /// Every non-empty field, in form order, labelled in the staff's language.
    pub fields: Vec<EnvelopeField>,
    /// The attachments, in upload order.
    pub attachments: Vec<AttachmentMeta>,
    /// Version 2: the secret whose SHA-256 alone is kept beside the files; an ack must carry it,
    /// so only someone who decrypted this envelope can have the submission deleted. Absent in
    /// version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<AckSecret>,
    /// The conversation this submission belongs to (DESIGN §10): where staff send a reply, and
    /// what links a follow-up to the submission it continues. Absent before replies existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyTo>,
    /// True for a follow-up the person wrote from the status page, continuing the conversation
    /// [`Envelope::reply`] names.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_up: bool,
}

/// Where replies to a submission go: the conversation's thread id and its public key.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct ReplyTo {
    /// The thread id `T`: 26 lower-case base32 characters.
    pub thread: String,
    /// The age recipient `P` (`age1…`) that replies are sealed to; only the person's receipt
    /// derives its identity.
    pub recipient: String,
}

/// 32 random bytes sealed inside an envelope (`"ack": "<64 hex digits>"` in its JSON) that prove,
/// when sent back in an acknowledgement, that the sender decrypted it. The server keeps only
/// [`AckSecret::digest`]. Zeroized on drop; no `Debug` or `Clone`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AckSecret([u8; ACK_SECRET_LEN]);

impl AckSecret {
    /// A fresh secret from the operating system's random source.
    pub fn random() -> AckSecret {
        AckSecret(crate::random_bytes())
    }

    /// Parses 64 hex digits (either case); `None` for anything else.
    pub fn from_hex(text: &str) -> Option<AckSecret> {
        let mut bytes = Zeroizing::new([0u8; ACK_SECRET_LEN]);
        let decoded = data_encoding::HEXLOWER_PERMISSIVE.decode_len(text.len()).ok()?;
        if decoded != ACK_SECRET_LEN {
            return None;
        }
        data_encoding::HEXLOWER_PERMISSIVE.decode_mut(text.as_bytes(), &mut bytes[..]).ok()?;
        Some(AckSecret(*bytes))
    }

    /// The secret as 64 lower-case hex digits.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::HEXLOWER.encode(&self.0))
    }

    /// SHA-256 of the secret: what the spool keeps (`ack.sha256`, as hex).
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }

    /// Whether this secret hashes to `digest`, compared in constant time.
    pub fn matches(&self, digest: &[u8; 32]) -> bool {
        bool::from(subtle::ConstantTimeEq::ct_eq(&self.digest()[..], &digest[..]))
    }
}

impl Serialize for AckSecret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for AckSecret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<AckSecret, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        AckSecret::from_hex(&text).ok_or_else(|| serde::de::Error::custom("an ack secret is 64 hex digits"))
    }
}

/// One field's value, with the label staff saw it under.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct EnvelopeField {
    /// The field's config name.
    pub name: String,
    /// The field's label in the staff locale.
    pub label: String,
    /// The field's kind as the config names it (`text`, `date`, `number`, `radio`, `checkboxes`,
    /// …), so tools can sort and filter by value. Absent in envelopes from before field kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// What the person entered, for a person to read: a `date` as `YYYY-MM-DD`, a `number` in
    /// ASCII digits, choices by their labels in the staff locale (one per line).
    pub value: String,
    /// For `select`, `radio` and `checkboxes`: the option names chosen, as the config writes
    /// them, whatever language the labels are in. Absent otherwise, and in older envelopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// What the envelope says about one attachment file.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct AttachmentMeta {
    /// `1.age`, `2.age`, …
    pub file: String,
    /// The name the person's browser gave; untrusted, never used as a path on the server.
    pub name: String,
    /// The media type the browser claimed.
    #[serde(rename = "type")]
    pub media_type: String,
    /// The true length of the original bytes (the plaintext is padded beyond it).
    pub size: u64,
    /// Hex SHA-256 of the original bytes.
    pub sha256: String,
}

/// Names the stored file and its size only: the person's file name and type stay out of logs and
/// test output.
impl std::fmt::Debug for AttachmentMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentMeta").field("file", &self.file).field("size", &self.size).finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_field_from_before_kinds_reads_without_them_and_a_new_one_keeps_them() {
        let old: EnvelopeField = serde_json::from_str(r#"{"name":"a","label":"A","value":"x"}"#).unwrap();
        assert!(old.kind.is_none() && old.choices.is_empty());
        let new = EnvelopeField {
            name: "family".into(),
            label: "Family".into(),
            kind: Some("checkboxes".into()),
            value: "Children\nParents".into(),
            choices: vec!["children".into(), "parents".into()],
        };
        let json = serde_json::to_string(&new).unwrap();
        assert_eq!(
            json,
            r#"{"name":"family","label":"Family","kind":"checkboxes","value":"Children\nParents","choices":["children","parents"]}"#
        );
        let date = EnvelopeField {
            name: "d".into(),
            label: "D".into(),
            kind: Some("date".into()),
            value: "2026-03-31".into(),
            choices: vec![],
        };
        assert!(!serde_json::to_string(&date).unwrap().contains("choices"));
        // What lets an older staff client read a newer envelope: keys it does not know are skipped.
        let later: EnvelopeField =
            serde_json::from_str(r#"{"name":"a","label":"A","kind":"date","value":"x","unit":"days"}"#).unwrap();
        assert_eq!(later.value, "x");
    }

    #[test]
    fn an_ack_secret_is_64_hex_digits_and_matches_only_its_own_digest() {
        let secret = AckSecret::random();
        assert_eq!(secret.to_hex().len(), 64);
        let back = AckSecret::from_hex(&secret.to_hex().to_ascii_uppercase()).unwrap();
        assert!(back.matches(&secret.digest()));
        assert!(!AckSecret::random().matches(&secret.digest()));
        assert_eq!(secret.digest(), <[u8; 32]>::from(Sha256::digest(AckSecret::from_hex(&secret.to_hex()).unwrap().0)));
        for bad in ["", "00", &"0".repeat(63), &"0".repeat(65), &"g".repeat(64), &format!(" {}", "0".repeat(63))] {
            assert!(AckSecret::from_hex(bad).is_none(), "{bad:?}");
        }
    }
}
