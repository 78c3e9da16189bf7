//! The staff API's JSON shapes and the login challenge's label (DESIGN §6).
//!
//! Job: one definition of every request and response body of `/staff/v1`, so the server and the
//! staff client cannot drift apart. The server adds its own bounds; the ones here are the
//! contract a client may rely on ([`SESSION_TTL`], [`MAX_LISTED`]).
//! Never: decides who may log in or what a listing holds; that is the server's.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::envelope::AckSecret;

/// The challenge plaintext starts with this label; the 32 random bytes follow. The client answers
/// only challenges of exactly this shape, so a compromised server cannot use the login as a
/// decryption oracle for submissions (which are encrypted to the same keys).
pub const CHALLENGE_LABEL: &[u8] = b"sealpost-staff-login-v1\n";
/// Bytes the client must prove it decrypted.
pub const CHALLENGE_SECRET_LEN: usize = 32;
/// How long a session token is valid; a client believes a server's `expires_in` up to this.
pub const SESSION_TTL: Duration = Duration::from_secs(15 * 60);
/// Most submissions in one listing; the client lists again after acknowledging them, and pages
/// past those it cannot acknowledge with `?after=<id>`.
pub const MAX_LISTED: usize = 500;

/// `POST /staff/v1/challenge` request.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// The `age1…` recipient the caller claims to hold the identity of.
    pub recipient: String,
}

/// `POST /staff/v1/challenge` response.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChallengeResponse {
    /// Names the challenge in the session request.
    pub challenge_id: String,
    /// An armored age file encrypting [`CHALLENGE_LABEL`] and 32 random bytes to the recipient.
    pub challenge: String,
}

/// `POST /staff/v1/session` request.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// From the challenge response.
    pub challenge_id: String,
    /// Base64 (standard, padded) of the 32 random bytes.
    pub response: String,
}

/// `POST /staff/v1/session` response.
#[derive(Serialize, Deserialize)]
pub struct SessionResponse {
    /// The bearer token (base64url of 256 random bits).
    pub token: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// One submission in `GET /staff/v1/submissions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// The submission id.
    pub id: String,
    /// The form it was sent to.
    pub form: String,
    /// Its ciphertext files, `envelope.age` first.
    pub files: Vec<ListedFile>,
}

/// One ciphertext file of a listed submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedFile {
    /// `envelope.age`, `1.age`, …
    pub name: String,
    /// Bytes of ciphertext.
    pub size: u64,
    /// Hex SHA-256 of the ciphertext as stored.
    pub sha256: String,
}

/// `GET /staff/v1/submissions` query: `?after=<id>` lists only the entries strictly after that
/// submission in the listing order (oldest first), so a client can page past entries it cannot
/// acknowledge. Other query parameters are ignored, as they always were.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ListQuery {
    /// The id of the last submission of the previous page.
    pub after: Option<String>,
}

/// `POST /staff/v1/submissions/{id}/ack` request: the SHA-256 of every file received, and the
/// envelope's ack secret, which only someone who decrypted the envelope has. No `Debug`: it
/// carries that secret.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    /// File name → hex SHA-256 of its ciphertext.
    pub sha256: BTreeMap<String, String>,
    /// The envelope's `ack` (64 hex digits). Required for entries written with envelope version 2
    /// (whose spool entry keeps its hash); a version 1 entry has none, and its ack is the file
    /// hashes alone. Left out of the JSON when absent, so an ack for a version 1 entry is what
    /// older servers expect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<AckSecret>,
}

/// A JSON error body: `{"error": "…"}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    /// One lower-case sentence.
    pub error: String,
}

/// `GET /staff/v1/threads/{thread}`: what the server knows of a conversation (DESIGN §10), all of
/// it public: no content, no receipt.
#[derive(Debug, Serialize, Deserialize)]
pub struct ThreadInfo {
    /// The form the conversation began on.
    pub form: String,
    /// When it began, UTC, RFC 3339 to the second.
    pub created: String,
    /// When the person last acted (sent, read or wrote), to the day: `YYYY-MM-DD`.
    pub person_active: String,
    /// When staff last acted (read a submission of it, or replied), to the day, if ever.
    pub staff_active: Option<String>,
    /// When it will be deleted unless someone acts, to the day.
    pub expires: String,
    /// The replies posted so far, oldest first.
    pub replies: Vec<ThreadReply>,
}

/// One reply in a [`ThreadInfo`].
#[derive(Debug, Serialize, Deserialize)]
pub struct ThreadReply {
    /// Its number in the conversation: 1, 2, …
    pub number: u32,
    /// When it was posted, to the day.
    pub posted: String,
}

/// `POST /staff/v1/threads/{thread}/replies` → 201: the number the reply was stored under.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReplyPosted {
    /// Its number in the conversation.
    pub number: u32,
    /// When the conversation will now be deleted unless someone acts, to the day.
    pub expires: String,
}
