//! sealpost-format: what the sealpost server and its staff client must agree on, and nothing else.
//!
//! - [`id`]: submission ids and the names of the files in a submission;
//! - [`pad`]: Padmé padding for attachments and block padding for the envelope;
//! - [`envelope`]: the sealed envelope (DESIGN §5) and its versions;
//! - [`reply`]: a staff reply's plaintext and its bounds (DESIGN §10);
//! - [`wire`]: the staff API's JSON shapes and the login challenge's label (DESIGN §6, §10);
//! - [`files`]: the crash-safe file helpers both sides write with (0600, fsync, directory sync).
//!
//! Never: runs an executor, speaks HTTP, or encrypts. Sealing belongs to the server and opening
//! to the staff client; both depend on this crate, and it on neither.

pub mod envelope;
pub mod files;
pub mod id;
pub mod pad;
pub mod reply;
pub mod wire;

/// Fills a buffer of `N` bytes from the operating system's random source.
///
/// Failure to read OS randomness means the machine cannot do cryptography safely at all; there
/// is no sensible way to continue, so this aborts the process rather than returning weak bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    #[allow(clippy::expect_used)] // invariant: the OS random source is available
    getrandom::fill(&mut buf).expect("operating system random source failed");
    buf
}
