//! sealpost-staff: the staff client. Log in, list, download, verify, decrypt, file
//! safely, and only then acknowledge (DESIGN §3 and §6).
//!
//! Job: turn the ciphertext on the server (or a copy of a spool folder) into readable folders
//! `OUT/<id>/` on the staff machine: `submission.txt`, `envelope.json`, `ciphertext.sha256` and
//! each attachment under a sanitised name.
//! Invariant: a submission is acknowledged only after its folder is complete on disk — every file
//! fsynced, `OUT/.<id>.partial/` renamed to `OUT/<id>/`, `OUT` fsynced, and the folder checked to
//! hold every file it should (invariant 4); one run at a time writes into an `OUT`
//! (`OUT/.sealpost.lock`); every size and count a server announces is bounded, and so are a
//! pull's time ([`DEFAULT_PULL_TIMEOUT`]), its slowest transfer ([`MIN_TRANSFER_RATE`]) and the
//! disk it may fill ([`FREE_SPACE_MARGIN`]); names given out in a folder stay unique in
//! linear time. Every name that came from a submission or the server passes [`safe_file_name`]
//! or [`SubmissionId::parse`]/[`FileName::parse`] before it touches the file system, and every
//! text from outside passes [`neutralize_text`] or [`for_terminal`] before a person sees it
//! (invariant 8).
//! Never: overwrites or writes outside `OUT`; prints an age error string as it is (they carry
//! bidi isolation marks); answers a login challenge that is not exactly a sealpost challenge (so a
//! compromised server cannot use the login to decrypt a submission); sends a session token in
//! clear to anything but this machine.
//!
//! ```text
//! pull:  server ──client──▶ listing ──client: download──▶ OUT/.<id>.partial/   (folder)
//! open:  copied spool folder ───────────────────────────▶ OUT/.<id>.partial/   (folder)
//!                                                              │ unseal: decrypt, verify, write
//!                                                              ▼
//!                                                         OUT/<id>/   (folder: fsync, rename)
//!                                                              │ pull only
//!                                                              ▼
//!                                                         ack   (client)
//! ```
//!
//! The modules, each importing only those above it:
//! - `error`: [`StaffError`], one line per failure, with its hints and exit code.
//! - `neutralize`: names and text from outside made safe for a file system and a terminal.
//! - `identities`: identity files (X25519, plugin, passphrase-protected), decrypting, keygen.
//! - `listing`: the server's listing of a submission, checked before anything is downloaded.
//! - `pace`: how long a pull may take and how slowly a server may send.
//! - `client`: HTTPS to the staff API: login, listing, downloads, acknowledgements.
//! - `folder`: `OUT`, its lock and free space, staging folders, unique names.
//! - `conversation`: `OUT/conversations/<T>/`, the index of each conversation and copies of replies.
//! - `unseal`: one submission's ciphertext into the readable files of its folder.
//! - `report`: progress while a run goes, the [`Summary`] when it ends.
//! - `pull`: the pull loop ([`pull()`]).
//! - `open`: opening submission folders copied by other means ([`open()`]).
//! - `reply`: a reply sealed here to a conversation's key and posted ([`reply()`]).
//!
//! [`SubmissionId::parse`]: sealpost_format::id::SubmissionId::parse
//! [`FileName::parse`]: sealpost_format::id::FileName::parse

mod client;
mod conversation;
mod error;
mod folder;
mod identities;
mod listing;
mod neutralize;
mod open;
mod pace;
mod pull;
mod reply;
mod report;
mod unseal;

pub use client::parse_server_url;
pub use error::StaffError;
pub use folder::{FREE_SPACE_MARGIN, LOCK_FILE};
pub use identities::{Identities, NewIdentity, generate_identity, keygen_to_file};
pub use listing::MAX_DOWNLOAD_BYTES;
pub use neutralize::{MAX_NAME_BYTES, for_terminal, neutralize_text, safe_file_name};
pub use open::open;
pub use pace::{DEFAULT_PULL_TIMEOUT, MIN_TRANSFER_RATE, RATE_GRACE, RATE_WINDOW};
pub use pull::{MAX_LISTING_ROUNDS, PullOptions, pull};
pub use reply::{Replied, ReplyOptions, reply};
pub use report::{Bar, Outcome, Progress, Quiet, Summary};
pub use unseal::Saved;
