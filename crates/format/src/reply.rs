//! A staff reply (DESIGN §10): what staff seal to a conversation's public key on their own machine,
//! and the server opens in memory for the person holding the receipt.
//!
//! Job: one definition of the reply's plaintext and its bounds, for the staff client (which writes
//! it, as JSON padded with spaces to a multiple of [`crate::pad::ENVELOPE_BLOCK`] like an
//! envelope, so its stored size says little about its length) and the server (which reads it).
//! Invariant: a reply's plaintext never derives `Debug` or `Clone` and is wiped when dropped.
//! Never: encrypts or decrypts (the staff client seals, the server opens).

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The reply format written now.
pub const REPLY_VERSION: u32 = 1;

/// Largest reply file the server accepts, in bytes of ciphertext: a message and a few documents
/// (attachments travel inside, base64-encoded).
pub const MAX_REPLY_BYTES: u64 = 16 * 1024 * 1024;

/// Longest reply message, in characters.
pub const MAX_REPLY_MESSAGE_CHARS: usize = 20_000;

/// Most attachments in one reply.
pub const MAX_REPLY_ATTACHMENTS: usize = 5;

/// The plaintext of a reply file. Zeroized on drop; no `Debug` or `Clone` (STYLE 8).
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Reply {
    /// [`REPLY_VERSION`].
    pub sealpost_reply: u32,
    /// What staff wrote.
    pub message: String,
    /// Documents staff attached.
    #[serde(default)]
    pub attachments: Vec<ReplyAttachment>,
}

/// One document in a reply.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct ReplyAttachment {
    /// The file's name as staff gave it; shown to the person, never used as a path.
    pub name: String,
    /// Its media type.
    #[serde(rename = "type")]
    pub media_type: String,
    /// Its bytes, base64 (standard alphabet, padded).
    pub data: String,
}

impl Reply {
    /// Whether the reply keeps within [`MAX_REPLY_MESSAGE_CHARS`] and [`MAX_REPLY_ATTACHMENTS`].
    pub fn within_bounds(&self) -> bool {
        self.message.chars().count() <= MAX_REPLY_MESSAGE_CHARS && self.attachments.len() <= MAX_REPLY_ATTACHMENTS
    }
}
