//! Replies (DESIGN §10): the receipt a person gets after sending, the keys it derives, the
//! conversations on disk, and the one-time handles that stand in for a receipt in a URL.
//!
//! Job: let a person with no safe contact detail hear back: staff seal replies to a key only the
//! receipt derives; the person reads them, writes again, or deletes the conversation.
//! Invariant: R, K and the reply identity exist only in memory, only while a request needs them
//! (or, for R and its keys, while waiting in the pool of fresh receipts, and R until the sent page
//! shows it once); on disk there are only public values and ciphertext. Deriving keys is bounded:
//! at most [`MAX_DERIVATIONS`] run at once, on threads of their own, and the pool makes ahead of
//! time what submissions take.
//! Never: writes R, K or the identity anywhere, logs a thread id next to anything about a person,
//! or derives keys on a submission's path.
//!
//! Sections, from the bottom: `receipt` (digits and check digits), `keys` (Argon2id and what it
//! derives), `deriver` (the deriving threads and their bound), `pool` (fresh receipts made
//! ahead), `threads` (the conversations on disk), `handles` (one-time handles).

mod deriver;
mod handles;
mod keys;
mod pool;
mod receipt;
mod threads;

use sealpost_format::id::ThreadId;
use sealpost_format::reply::{MAX_REPLY_BYTES, Reply};
use zeroize::Zeroizing;

pub use deriver::{Deriver, MAX_DERIVATIONS};
pub use handles::Handles;
pub use keys::{
    ARGON2_LANES, ARGON2_MEMORY_KIB, ARGON2_PASSES, SALT_FILE, ThreadKeys, Workspace, derive, derive_in, load_salt,
};
pub use pool::{Fresh, POOL_SIZE, ReceiptPool};
pub use receipt::{GROUPS, MAX_RECEIPT_INPUT, Receipt, ReceiptProblem, SECRET_DIGITS, TYPED_DIGITS};
pub use threads::{Found, MAX_REPLIES, MAX_THREAD_BYTES, THREADS_DIR, ThreadState, Threads};

/// A time to the day, `YYYY-MM-DD`, UTC: how pages and the staff API show a conversation's dates
/// (the same digits in every language).
pub fn day(time: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string().chars().take(10).collect()
}

/// Opens reply `number` of `thread` with the conversation's identity, in memory: the file read
/// whole (at most [`MAX_REPLY_BYTES`]), decrypted and parsed. `None` for a reply that cannot be
/// read (damaged, or not sealed to this conversation's key); logged without content.
pub fn open_reply(
    threads: &Threads,
    thread: &ThreadId,
    number: u32,
    identity: &age::x25519::Identity,
) -> Option<Reply> {
    use std::io::Read;
    let file = std::fs::File::open(threads.reply_path(thread, number)).ok()?;
    let mut sealed = Zeroizing::new(Vec::new());
    file.take(MAX_REPLY_BYTES + 1).read_to_end(&mut sealed).ok()?;
    let opened = (|| {
        let decryptor = age::Decryptor::new_buffered(&sealed[..]).ok()?;
        let mut reader = decryptor.decrypt(std::iter::once(identity as &dyn age::Identity)).ok()?;
        let mut plain = Zeroizing::new(Vec::new());
        reader.read_to_end(&mut plain).ok()?;
        let reply: Reply = serde_json::from_slice(&plain).ok()?;
        (reply.sealpost_reply == sealpost_format::reply::REPLY_VERSION && reply.within_bounds()).then_some(reply)
    })();
    if opened.is_none() {
        tracing::warn!("a reply could not be opened with its conversation's key; it is not shown");
    }
    opened
}
