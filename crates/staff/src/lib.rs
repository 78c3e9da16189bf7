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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use age::secrecy::ExposeSecret;
use serde::Serialize;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use sealpost_format::envelope::{AckSecret, ENVELOPE_VERSION, Envelope};
use sealpost_format::files::{io_reason, sha256_file, sync_dir};
use sealpost_format::id::{FileName, SubmissionId, parse_sha256};
use sealpost_format::wire::{
    AckRequest, CHALLENGE_LABEL, CHALLENGE_SECRET_LEN, ChallengeRequest, ChallengeResponse, ErrorBody, Listed,
    MAX_LISTED, SESSION_TTL, SessionRequest, SessionResponse,
};

/// Largest identity file read (age's own limit is 16 MiB; real ones are a few hundred bytes).
const MAX_IDENTITY_FILE: u64 = 1 << 20;
/// Largest envelope plaintext accepted (fields are bounded far below this by the server).
const MAX_ENVELOPE: u64 = 16 << 20;
/// Largest JSON response read from the server (a listing of 500 submissions is ≈ 1 MiB).
const MAX_JSON_RESPONSE: usize = 16 << 20;
/// Largest armored login challenge accepted.
const MAX_CHALLENGE: usize = 4096;
/// Longest error message from the server that is shown, in characters.
const MAX_SERVER_MESSAGE: usize = 200;
/// Attachment names are cut to this many bytes (file systems allow 255; room is left for ` (n)`).
pub const MAX_NAME_BYTES: usize = 200;
/// A name's extension is kept when cutting if it is at most this many bytes (dot included).
const MAX_EXTENSION_BYTES: usize = 16;
/// Most ` (n)` variants tried to make a name unique.
const MAX_UNIQUE: usize = 10_000;
/// Time allowed to open a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed between two reads on a connection.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a whole `pull` may run unless `--timeout` says otherwise: an hour holds a 20 MiB
/// attachment at exactly [`MIN_TRANSFER_RATE`] (43 minutes) with room for logins and listings,
/// and a cron job never holds the lock on `OUT` for longer. A pull that runs out of time keeps
/// what it saved; the next one goes on from there.
pub const DEFAULT_PULL_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// The slowest transfer a response body may keep up, in bytes per second, measured over each
/// [`RATE_WINDOW`] after [`RATE_GRACE`]: 8 KiB/s (64 kbit/s). A staff member on bad hotel Wi-Fi
/// (0.5–2 Mbit/s shared) or a slow Tor circuit gets eight times that or more, and still pulls a
/// 20 MiB attachment within [`DEFAULT_PULL_TIMEOUT`]; a server dripping a byte every few seconds,
/// which the 120 s read timeout alone lets through, is left after one window.
pub const MIN_TRANSFER_RATE: u64 = 8 * 1024;
/// The window over which [`MIN_TRANSFER_RATE`] is measured: long enough to ride out a Wi-Fi
/// roaming gap or a TCP retransmission backoff, short enough to notice a drip in half a minute.
pub const RATE_WINDOW: Duration = Duration::from_secs(30);
/// Time after a response starts before its rate is measured: TCP slow start, a fresh Tor
/// circuit, a server that has to read the file from a cold disk.
pub const RATE_GRACE: Duration = Duration::from_secs(30);
/// Free space left over on the disk of `OUT` after a submission is saved, in bytes: room for the
/// staff machine to keep working (its swap, mail, the next submission's small files), so a
/// large listing never fills the disk to the last byte.
pub const FREE_SPACE_MARGIN: u64 = 512 << 20;
/// A session is renewed when less than this remains of it.
const SESSION_MARGIN: Duration = Duration::from_secs(3 * 60);
/// Buffer for decrypting and copying.
const BUFFER: usize = 64 * 1024;
/// Largest ciphertext file downloaded (uploads are bounded by the server's `max_body`, far below
/// this); a listing that announces a larger one is refused before anything is downloaded, and a
/// download is cut off as soon as it runs past the size its listing announced.
pub const MAX_DOWNLOAD_BYTES: u64 = 8 << 30;
/// Most listings one pull asks for (each lists at most [`MAX_LISTED`] submissions), so a hostile
/// or flooded server cannot keep a pull running forever; the next pull goes on where this one
/// stopped.
pub const MAX_LISTING_ROUNDS: usize = 1000;
/// The lock file in `OUT` that keeps two runs from writing into one folder at once.
pub const LOCK_FILE: &str = ".sealpost.lock";
/// The files every submission folder gets besides the attachments.
const SUBMISSION_TXT: &str = "submission.txt";
const ENVELOPE_JSON: &str = "envelope.json";
const CIPHERTEXT_SHA256: &str = "ciphertext.sha256";

// ───────────────────────────── errors ─────────────────────────────

/// Why a staff command failed. One lower-case line each; [`StaffError::hints`] gives fixes and
/// [`StaffError::code`] the exit code (1 runtime failure, 2 usage or configuration error).
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// `--server` is not a usable URL.
    #[error("--server {url}: {reason}")]
    BadUrl { url: String, reason: &'static str },
    /// Plain `http://` to a host that is not this machine (onion services included).
    #[error("--server {url}: refusing plain http to {host}, which is not this machine")]
    PlainHttp { url: String, host: String },
    /// `--ca-cert` cannot be used.
    #[error("--ca-cert {path}: {reason}")]
    CaCert { path: String, reason: String },
    /// The identity file does not exist.
    #[error("identity file {path}: no such file")]
    IdentityMissing { path: String },
    /// The identity file cannot be read.
    #[error("identity file {path}: {reason}")]
    IdentityUnreadable { path: String, reason: String },
    /// A line of the identity file is not an identity (its content is never shown).
    #[error("identity file {path}: line {line} is not an age identity")]
    IdentityLine { path: String, line: usize },
    /// The identity file holds no identity.
    #[error("identity file {path} holds no identities")]
    NoIdentities { path: String },
    /// The identity file is encrypted, but not with a passphrase.
    #[error("identity file {path} is encrypted, but not with a passphrase")]
    IdentityNotPassphrase { path: String },
    /// No passphrase could be asked for (no terminal, no pinentry).
    #[error("identity file {path} is passphrase-protected and no passphrase was entered")]
    PassphraseUnavailable { path: String },
    /// The passphrase does not open the identity file.
    #[error("identity file {path}: wrong passphrase")]
    WrongPassphrase { path: String },
    /// A plugin identity's plugin is not installed.
    #[error("identity file {path} needs the age plugin \"{plugin}\", which is not installed")]
    PluginMissing { path: String, plugin: String },
    /// `keygen -o` would overwrite a file.
    #[error("{path} already exists; refusing to overwrite it")]
    KeygenExists { path: String },
    /// The output folder cannot be used.
    #[error("--out {path}: {reason}")]
    OutDir { path: String, reason: String },
    /// Another run holds the lock on the output folder.
    #[error("--out {path}: another sealpost-staff is saving into this folder right now")]
    OutBusy { path: String },
    /// `open PATH` holds no submission folder.
    #[error("{path} holds no submission folder (envelope.age)")]
    NoSubmissionFolder { path: String },
    /// The server cannot be reached.
    #[error("cannot reach {server}: {reason}")]
    Connect { server: String, reason: String },
    /// The server's certificate is not trusted.
    #[error("{server}: the server's TLS certificate is not trusted")]
    Tls { server: String },
    /// None of the identity's recipients is on any form's recipients list.
    #[error("the server refused this identity: its public key is on no form's recipients list")]
    NotListed { recipients: Vec<String> },
    /// The login challenge could not be decrypted with the identity.
    #[error("cannot decrypt the server's login challenge with this identity")]
    ChallengeNotForUs,
    /// Too many logins from this address.
    #[error("the server refused the login: too many attempts")]
    RateLimited { retry_after: Option<u64> },
    /// The server answered with an error.
    #[error("the server refused {what}: {status} {message}")]
    Refused { what: &'static str, status: u16, message: String },
    /// The server sent something that is not the staff API.
    #[error("the server sent {what}")]
    Protocol { what: &'static str },
    /// An age plugin failed.
    #[error("the age plugin failed: {message}")]
    Plugin { message: String },
    /// A local file operation failed.
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    /// A downloaded file does not match the server's listing.
    #[error("submission {id}: {file} does not match the size and sha256 the server listed")]
    DownloadMismatch { id: String, file: String },
    /// A ciphertext file failed authentication or is malformed.
    #[error("submission {id}: {file} is damaged or was tampered with ({what})")]
    Damaged { id: String, file: String, what: &'static str },
    /// The submission was not encrypted to any key of this identity.
    #[error("submission {id}: {file} is not encrypted to this identity")]
    NotForUs { id: String, file: String },
    /// The envelope is not what the format says.
    #[error("submission {id}: {what}")]
    BadEnvelope { id: String, what: String },
    /// `OUT/<id>/` exists but holds a different copy than the server's.
    #[error("submission {id}: {folder} already exists but holds a different copy; not acknowledged")]
    LocalDiffers { id: String, folder: String },
    /// `OUT/<id>/` does not hold exactly the files that were written into it.
    #[error("submission {id}: {folder} does not hold every file it should; not acknowledged")]
    FolderIncomplete { id: String, folder: String },
    /// `open` would overwrite an earlier result.
    #[error("submission {id}: {folder} already exists")]
    AlreadyOpened { id: String, folder: String },
    /// The submission left the server between listing and download (another staff member
    /// pulled it); not a failure.
    #[error("submission {id} was pulled by someone else meanwhile")]
    Gone { id: String },
    /// Some submissions failed (each reported before this).
    #[error("{count} submission(s) could not be saved; they stay on the server")]
    Failures { count: usize },
    /// `open`: some folders failed (each reported before this).
    #[error("{count} submission folder(s) could not be opened")]
    OpenFailures { count: usize },
    /// The pull asked for [`MAX_LISTING_ROUNDS`] listings and stopped; more may be waiting.
    #[error("stopped after {rounds} listings; more submissions may be waiting on the server")]
    Unfinished { rounds: usize },
    /// The pull ran for its whole `--timeout` and stopped.
    #[error("the pull ran out of time after {limit}; the submissions saved before then are kept")]
    TimedOut { limit: String },
    /// A response came in slower than [`MIN_TRANSFER_RATE`] for a whole [`RATE_WINDOW`].
    #[error("{server} sent less than {rate} for {window}; the pull stopped")]
    TooSlow { server: String, rate: String, window: String },
    /// Saving a submission would leave less than [`FREE_SPACE_MARGIN`] free on the disk of `OUT`.
    #[error("submission {id} needs {needed} of free space in {out}, which has only {available}")]
    NoSpace { id: String, out: String, needed: String, available: String },
}

impl StaffError {
    /// The exit code: 2 for usage or configuration errors, 1 otherwise.
    pub fn code(&self) -> u8 {
        match self {
            StaffError::BadUrl { .. }
            | StaffError::PlainHttp { .. }
            | StaffError::CaCert { .. }
            | StaffError::IdentityMissing { .. }
            | StaffError::IdentityUnreadable { .. }
            | StaffError::IdentityLine { .. }
            | StaffError::NoIdentities { .. }
            | StaffError::IdentityNotPassphrase { .. }
            | StaffError::PluginMissing { .. }
            | StaffError::KeygenExists { .. }
            | StaffError::OutDir { .. }
            | StaffError::NoSubmissionFolder { .. } => 2,
            _ => 1,
        }
    }

    /// Fixes, each printed as `hint: …`.
    pub fn hints(&self) -> Vec<String> {
        let one = |s: &str| vec![s.to_string()];
        match self {
            StaffError::BadUrl { .. } => one("write the server's address like https://forms.example.org"),
            StaffError::PlainHttp { host, .. } if is_onion_host(host) => one(
                "use the onion service's https:// address, or an SSH tunnel to the server's loopback staff listener (ssh -L 8081:127.0.0.1:8081 server, then --server http://127.0.0.1:8081)",
            ),
            StaffError::PlainHttp { .. } => one(
                "use https://; plain http is allowed only to this machine (127.0.0.1, ::1, localhost), e.g. through an SSH tunnel",
            ),
            StaffError::CaCert { .. } => one("pass the PEM file of the CA that signed the server's certificate"),
            StaffError::IdentityMissing { .. } => one(
                "pass the identity file your organisation gave you, or make one with `sealpost-staff keygen -o FILE`",
            ),
            StaffError::IdentityUnreadable { .. } => one("check the path and the file's permissions"),
            StaffError::IdentityLine { .. } | StaffError::NoIdentities { .. } => one(
                "an identity file holds lines starting with AGE-SECRET-KEY-1 or AGE-PLUGIN-, and # comments; public keys (age1…) belong in recipients files",
            ),
            StaffError::IdentityNotPassphrase { .. } => {
                one("decrypt it first with `age -d`, or pass the identity that opens it")
            }
            StaffError::PassphraseUnavailable { .. } => {
                one("run the command in a terminal, or set PINENTRY_PROGRAM to a pinentry program")
            }
            StaffError::WrongPassphrase { .. } => one("type the passphrase again, carefully"),
            StaffError::PluginMissing { plugin, .. } => {
                vec![format!("install age-plugin-{plugin} and make sure it is on PATH")]
            }
            StaffError::KeygenExists { .. } => {
                one("choose another file name; an overwritten identity cannot be recovered")
            }
            StaffError::OutDir { .. } => one("choose a folder you can write to"),
            StaffError::OutBusy { .. } => {
                one("wait for the other run to finish (a cron job?), or save into another --out folder")
            }
            StaffError::NoSubmissionFolder { .. } => one(
                "pass a submission folder (holding envelope.age, 1.age, …) or a folder of them, as copied from the server's spool/ready/<form>/",
            ),
            StaffError::Connect { .. } => {
                one("check the address and your network connection; is sealpost running there?")
            }
            StaffError::Tls { .. } => {
                one("if the server uses its own certificate authority, pass its certificate with --ca-cert FILE")
            }
            StaffError::NotListed { recipients } => {
                let mut hints: Vec<String> = recipients.iter().map(|r| format!("your public key: {r}")).collect();
                hints.push(
                    "ask the server's admin to add it to the recipients file of the forms you should read".into(),
                );
                hints
            }
            StaffError::ChallengeNotForUs => {
                one("check that --identity is the identity whose public key the admin listed")
            }
            StaffError::RateLimited { retry_after } => match retry_after {
                Some(secs) => vec![format!("wait {secs} seconds, then try again")],
                None => one("wait a few minutes, then try again"),
            },
            StaffError::Refused { status: 401, .. } => one("run the pull again to log in afresh"),
            StaffError::Refused { status: 503, .. } => one("wait a minute, then try again"),
            StaffError::Refused { .. } => Vec::new(),
            StaffError::Protocol { .. } => one("check that --server is the address of a sealpost server"),
            StaffError::Plugin { .. } => one("check that the hardware key is plugged in, and try again"),
            StaffError::Io { .. } => Vec::new(),
            StaffError::DownloadMismatch { .. } => one("run the pull again; if it persists, tell the server's admin"),
            StaffError::Damaged { .. } | StaffError::BadEnvelope { .. } => {
                one("the submission stays on the server; tell the server's admin")
            }
            StaffError::NotForUs { .. } => {
                one("it was sealed to other keys; someone else on the form's recipients list can read it")
            }
            StaffError::LocalDiffers { .. } => one("compare the folder with the server's copy before removing either"),
            StaffError::FolderIncomplete { folder, .. } => {
                vec![format!("did another program change the folder? move {folder} aside and run the pull again")]
            }
            StaffError::AlreadyOpened { folder, .. } => {
                vec![format!("it was opened before; remove {folder} to open it again")]
            }
            StaffError::Gone { .. } => Vec::new(),
            StaffError::Failures { .. } => one("the messages above say why; run the pull again to retry"),
            StaffError::OpenFailures { .. } => one("the messages above say why"),
            StaffError::Unfinished { .. } => one("run the pull again to fetch the rest"),
            StaffError::TimedOut { .. } => vec![
                "run the pull again to fetch the rest; it goes on where this one stopped".into(),
                "on a slow connection, allow more time, e.g. --timeout 3h".into(),
            ],
            StaffError::TooSlow { .. } => {
                one("check your network connection, then run the pull again; it goes on where this one stopped")
            }
            StaffError::NoSpace { .. } => vec![
                "free some space there, or save into a folder on a larger disk with --out".into(),
                "the size is what the server lists for the submission, twice (ciphertext and readable copy) and a margin; if it is implausible, tell the server's admin".into(),
            ],
        }
    }

    /// Whether this failure stops the pull but leaves what it saved before in the summary (the
    /// next pull goes on from there).
    fn stops_the_pull(&self) -> bool {
        matches!(self, StaffError::TimedOut { .. } | StaffError::TooSlow { .. } | StaffError::NoSpace { .. })
    }

    /// Whether this failure concerns one submission only (the pull goes on with the others).
    fn is_per_submission(&self) -> bool {
        matches!(
            self,
            StaffError::DownloadMismatch { .. }
                | StaffError::Damaged { .. }
                | StaffError::NotForUs { .. }
                | StaffError::BadEnvelope { .. }
                | StaffError::LocalDiffers { .. }
                | StaffError::FolderIncomplete { .. }
                | StaffError::AlreadyOpened { .. }
                | StaffError::Plugin { .. }
                // The server refused to delete this one (its files changed); the rest go on.
                | StaffError::Refused { what: "the acknowledgement", status: 409, .. }
        )
    }
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> StaffError + '_ {
    move |e| StaffError::Io { path: path.display().to_string(), reason: io_reason(&e) }
}

// ───────────────────────────── neutralising text ─────────────────────────────

/// Bidi embeddings, overrides and isolates: they reorder the text around them.
fn is_bidi_reordering(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Every bidi formatting character, marks included.
fn is_bidi_control(c: char) -> bool {
    is_bidi_reordering(c) || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Unicode's format characters (general category Cf, as of Unicode 16), with the unassigned
/// code points between them in the 2060 and tag blocks: invisible, yet they change how a name
/// looks or compares — soft hyphens, zero-width spaces and joiners, bidi controls, word joiners,
/// the byte-order mark, tag characters.
fn is_format_character(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{600}'..='\u{605}'
            | '\u{61C}'
            | '\u{6DD}'
            | '\u{70F}'
            | '\u{890}'..='\u{891}'
            | '\u{8E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Text for a file staff will read (`submission.txt`): newlines and tabs stay (CR and Unicode line
/// separators become newlines); every other control character (ESC, C0, DEL, C1) and every bidi
/// embedding, override or isolate becomes U+FFFD, so nothing can drive a terminal or reorder
/// text. Bidi *marks* (LRM, RLM, ALM) stay: they are ordinary in Arabic, Hebrew and Persian text.
pub fn neutralize_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => '\n',
            c if c.is_control() || is_bidi_reordering(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Text for one line of terminal output: like [`neutralize_text`], and line breaks and tabs
/// become spaces.
pub fn for_terminal(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\t' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => ' ',
            c if c.is_control() || is_bidi_reordering(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// JSON text with every character that could drive a terminal or reorder text written as a
/// `\uXXXX` escape (serde_json already escapes C0; this adds C1, bidi controls and line
/// separators). Such characters occur only inside strings, where the escape means the same.
fn escape_json(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\n' || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}') {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters Windows refuses in file names (staff may copy folders to Windows or a USB stick).
const WINDOWS_FORBIDDEN: &[char] = &['<', '>', ':', '"', '|', '?', '*'];

/// Device names Windows reserves, with or without an extension.
fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end().to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$")
        || ["COM", "LPT"].iter().any(|prefix| {
            stem.strip_prefix(prefix).is_some_and(|n| {
                n.len() == 1 && n.chars().all(|c| c.is_ascii_digit() || "¹²³".contains(c))
                    || matches!(n, "¹" | "²" | "³")
            })
        })
}

/// The longest prefix of `s` of at most `max` bytes ending on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// `(stem, ".ext")`, the extension only if short and not the whole name.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot)
            if dot > 0
                && name.len() - dot <= MAX_EXTENSION_BYTES
                && name.get(dot..).is_some_and(|e| !e.contains(' ')) =>
        {
            (name.get(..dot).unwrap_or(name), name.get(dot..).unwrap_or_default())
        }
        _ => (name, ""),
    }
}

/// A file name for attachment number `number` from the name the submitter's browser sent: only
/// the last path component, without control, bidi or other invisible format characters,
/// Windows-safe, not hidden, cut to [`MAX_NAME_BYTES`] (keeping a short extension), never empty,
/// `.` or `..`.
pub fn safe_file_name(raw: &str, number: usize) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control() && !is_bidi_control(*c) && !is_format_character(*c) && !matches!(c, '\u{2028}' | '\u{2029}')
        })
        .map(|c| if WINDOWS_FORBIDDEN.contains(&c) { '_' } else { c })
        .collect();
    let not_dot_or_space = |c: char| c == '.' || c.is_whitespace();
    let trimmed = cleaned.trim_matches(not_dot_or_space);
    // One byte is kept in reserve for the `_` that disarms a reserved device name.
    let max = MAX_NAME_BYTES - 1;
    let name = if trimmed.len() <= max {
        trimmed.to_string()
    } else {
        let (stem, ext) = split_extension(trimmed);
        let stem = cut(stem, max - ext.len()).trim_end_matches(not_dot_or_space);
        format!("{stem}{ext}")
    };
    let name = name.trim_matches(not_dot_or_space);
    if name.is_empty() {
        format!("attachment-{number}")
    } else if is_windows_reserved(name) {
        format!("_{name}")
    } else {
        name.to_string()
    }
}

// ───────────────────────────── identities ─────────────────────────────

/// The keys of an identity file, and the recipients to log in as.
pub struct Identities {
    /// Native keys first, so plugins (hardware tokens) are asked only when no native key matches.
    keys: Vec<Box<dyn age::Identity + Send + Sync>>,
    /// One `age1…` per native key, then any recipient named in comments next to plugin keys.
    recipients: Vec<String>,
}

impl Identities {
    /// Reads an age identity file: `AGE-SECRET-KEY-1…` and `AGE-PLUGIN-…` lines and `#` comments,
    /// or such a file encrypted with a passphrase (which is then asked for).
    pub fn load(path: &Path) -> Result<Identities, StaffError> {
        let shown = path.display().to_string();
        let unreadable = |e: io::Error| match e.kind() {
            io::ErrorKind::NotFound => StaffError::IdentityMissing { path: shown.clone() },
            _ => StaffError::IdentityUnreadable { path: shown.clone(), reason: io_reason(&e) },
        };
        let file = File::open(path).map_err(unreadable)?;
        let meta = file.metadata().map_err(unreadable)?;
        if !meta.is_file() {
            return Err(StaffError::IdentityUnreadable { path: shown, reason: "not a file".into() });
        }
        let mut bytes = Zeroizing::new(Vec::new());
        file.take(MAX_IDENTITY_FILE + 1).read_to_end(&mut bytes).map_err(unreadable)?;
        if bytes.len() as u64 > MAX_IDENTITY_FILE {
            return Err(StaffError::IdentityUnreadable {
                path: shown,
                reason: "too large for an identity file".into(),
            });
        }
        let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
        let head = bytes.get(start..).unwrap_or_default();
        let text =
            if head.starts_with(b"age-encryption.org/") || head.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----") {
                decrypt_identity_file(&shown, &bytes)?
            } else {
                let text = std::str::from_utf8(&bytes).map_err(|_| StaffError::IdentityUnreadable {
                    path: shown.clone(),
                    reason: "not a text file".into(),
                })?;
                Zeroizing::new(text.to_string())
            };
        Identities::parse(&shown, &text)
    }

    fn parse(path: &str, text: &str) -> Result<Identities, StaffError> {
        let mut natives = Vec::new();
        let mut plugins: Vec<age::plugin::Identity> = Vec::new();
        let mut mentioned = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                // age-plugin-yubikey and others write `#    Recipient: age1…` beside the identity.
                mentioned.extend(
                    comment
                        .split_whitespace()
                        .filter(|w| {
                            w.starts_with("age1") && w.len() > 10 && w.bytes().all(|b| b.is_ascii_alphanumeric())
                        })
                        .map(str::to_string),
                );
                continue;
            }
            if let Ok(key) = line.parse::<age::x25519::Identity>() {
                natives.push(key);
            } else if let Some(plugin) =
                line.starts_with("AGE-PLUGIN-").then(|| line.parse::<age::plugin::Identity>().ok()).flatten()
            {
                plugins.push(plugin);
            } else {
                return Err(StaffError::IdentityLine { path: path.to_string(), line: index + 1 });
            }
        }
        if natives.is_empty() && plugins.is_empty() {
            return Err(StaffError::NoIdentities { path: path.to_string() });
        }
        let mut recipients: Vec<String> = Vec::new();
        for key in &natives {
            let r = key.to_public().to_string();
            if !recipients.contains(&r) {
                recipients.push(r);
            }
        }
        if !plugins.is_empty() {
            for r in mentioned {
                if !recipients.contains(&r) {
                    recipients.push(r);
                }
            }
        }
        let mut keys: Vec<Box<dyn age::Identity + Send + Sync>> = Vec::new();
        for key in natives {
            keys.push(Box::new(key));
        }
        let mut names: Vec<String> = plugins.iter().map(|p| p.plugin().to_string()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let plugin = age::plugin::IdentityPluginV1::new(&name, &plugins, age::cli_common::UiCallbacks)
                .map_err(|_| StaffError::PluginMissing { path: path.to_string(), plugin: name.clone() })?;
            keys.push(Box::new(plugin));
        }
        Ok(Identities { keys, recipients })
    }

    /// The recipients this identity logs in as.
    pub fn recipients(&self) -> &[String] {
        &self.recipients
    }

    /// Starts decrypting an age file; refuses passphrase-encrypted files (sealpost never writes
    /// them, and answering one would make us a passphrase oracle).
    fn decrypt<R: BufRead>(&self, input: R) -> Result<age::stream::StreamReader<R>, AgeProblem> {
        let decryptor = age::Decryptor::new_buffered(input).map_err(AgeProblem::from)?;
        if decryptor.is_scrypt() {
            return Err(AgeProblem::Damaged("encrypted with a passphrase, which sealpost never does"));
        }
        decryptor.decrypt(self.keys.iter().map(|k| k.as_ref() as &dyn age::Identity)).map_err(AgeProblem::from)
    }
}

/// Opens a passphrase-encrypted identity file, asking for the passphrase (pinentry or terminal).
fn decrypt_identity_file(path: &str, bytes: &[u8]) -> Result<Zeroizing<String>, StaffError> {
    let damaged = || StaffError::IdentityUnreadable { path: path.to_string(), reason: "not a valid age file".into() };
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(bytes)).map_err(|_| damaged())?;
    if !decryptor.is_scrypt() {
        return Err(StaffError::IdentityNotPassphrase { path: path.to_string() });
    }
    let passphrase = age::cli_common::read_secret(&format!("Passphrase for identity file {path}"), "Passphrase", None)
        .map_err(|_| StaffError::PassphraseUnavailable { path: path.to_string() })?;
    if passphrase.expose_secret().is_empty() {
        return Err(StaffError::PassphraseUnavailable { path: path.to_string() });
    }
    let key = age::scrypt::Identity::new(passphrase);
    let mut stream = decryptor.decrypt(std::iter::once(&key as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::DecryptionFailed
        | age::DecryptError::NoMatchingKeys
        | age::DecryptError::KeyDecryptionFailed => StaffError::WrongPassphrase { path: path.to_string() },
        age::DecryptError::ExcessiveWork { .. } => StaffError::IdentityUnreadable {
            path: path.to_string(),
            reason: "its passphrase protection would take too long to open on this machine".into(),
        },
        _ => damaged(),
    })?;
    let mut plain = Zeroizing::new(Vec::new());
    (&mut stream).take(MAX_IDENTITY_FILE).read_to_end(&mut plain).map_err(|_| damaged())?;
    let text = std::str::from_utf8(&plain).map_err(|_| damaged())?;
    Ok(Zeroizing::new(text.to_string()))
}

/// What went wrong decrypting an age file, in our words (age's strings carry bidi marks).
#[derive(Debug)]
enum AgeProblem {
    /// None of our keys opens it.
    NotForUs,
    /// Header, MAC or payload authentication failed, or the format is wrong.
    Damaged(&'static str),
    /// A plugin failed; the message is neutralised.
    Plugin(String),
    /// Reading the ciphertext failed.
    Io(io::Error),
}

impl From<age::DecryptError> for AgeProblem {
    fn from(e: age::DecryptError) -> Self {
        match e {
            age::DecryptError::NoMatchingKeys => AgeProblem::NotForUs,
            age::DecryptError::InvalidHeader => AgeProblem::Damaged("invalid header"),
            age::DecryptError::InvalidMac => AgeProblem::Damaged("header authentication failed"),
            age::DecryptError::UnknownFormat => AgeProblem::Damaged("not an age v1 file"),
            age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
                AgeProblem::Damaged("key unwrapping failed")
            }
            age::DecryptError::ExcessiveWork { .. } => AgeProblem::Damaged("excessive work factor"),
            age::DecryptError::Io(e) if e.kind() == io::ErrorKind::InvalidData => AgeProblem::Damaged("invalid header"),
            age::DecryptError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => AgeProblem::Damaged("truncated"),
            age::DecryptError::Io(e) => AgeProblem::Io(e),
            age::DecryptError::Plugin(errors) => AgeProblem::Plugin(for_terminal(
                &errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ").replace(is_bidi_control, ""),
            )),
            age::DecryptError::PluginResolve(_) => AgeProblem::Plugin("the plugin could not be started".into()),
            _ => AgeProblem::Damaged("not decryptable"),
        }
    }
}

impl AgeProblem {
    /// An error about `file` of submission `id`.
    fn about(self, id: &str, file: &str, path: &Path) -> StaffError {
        let (id, file) = (id.to_string(), file.to_string());
        match self {
            AgeProblem::NotForUs => StaffError::NotForUs { id, file },
            AgeProblem::Damaged(what) => StaffError::Damaged { id, file, what },
            AgeProblem::Plugin(message) => StaffError::Plugin { message },
            AgeProblem::Io(e) => io_error(path)(e),
        }
    }
}

/// A read error from an age stream: authentication failures come back as `InvalidData`.
fn stream_problem(e: io::Error) -> AgeProblem {
    match e.kind() {
        io::ErrorKind::InvalidData => AgeProblem::Damaged("payload authentication failed"),
        io::ErrorKind::UnexpectedEof => AgeProblem::Damaged("truncated"),
        _ => AgeProblem::Io(e),
    }
}

/// Decrypts a whole age file from `input` into memory, at most `max` bytes.
fn decrypt_all<R: BufRead>(identities: &Identities, input: R, max: u64) -> Result<Zeroizing<Vec<u8>>, AgeProblem> {
    let mut stream = identities.decrypt(input)?;
    let mut plain = Zeroizing::new(Vec::new());
    (&mut stream).take(max + 1).read_to_end(&mut plain).map_err(stream_problem)?;
    if plain.len() as u64 > max {
        return Err(AgeProblem::Damaged("larger than any sealpost file of its kind"));
    }
    Ok(plain)
}

// ───────────────────────────── keygen ─────────────────────────────

/// A new identity: the file's text (secret) and its public recipient.
pub struct NewIdentity {
    /// `# created: …`, `# public key: age1…`, `AGE-SECRET-KEY-1…`, as age-keygen writes it.
    pub text: Zeroizing<String>,
    /// The `age1…` recipient to put in a recipients file.
    pub public: String,
}

/// Makes a new X25519 identity.
pub fn generate_identity() -> NewIdentity {
    let key = age::x25519::Identity::generate();
    let public = key.to_public().to_string();
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let secret = key.to_string();
    let text = Zeroizing::new(format!("# created: {created}\n# public key: {public}\n{}\n", secret.expose_secret()));
    NewIdentity { text, public }
}

/// Makes a new identity and writes it to `path` (0600, never overwriting, fsynced); returns the
/// public recipient.
pub fn keygen_to_file(path: &Path) -> Result<String, StaffError> {
    let identity = generate_identity();
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            StaffError::KeygenExists { path: path.display().to_string() }
        } else {
            io_error(path)(e)
        }
    })?;
    file.write_all(identity.text.as_bytes()).and_then(|()| file.sync_all()).map_err(io_error(path))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    sync_dir(parent).map_err(io_error(parent))?;
    Ok(identity.public)
}

// ───────────────────────────── writing a submission folder ─────────────────────────────

/// A ciphertext file on local disk, with the SHA-256 it was verified (or measured) to have.
struct CipherFile {
    /// Its name in the spool entry.
    name: FileName,
    /// Where it is now.
    path: PathBuf,
    /// Hex SHA-256 of its bytes.
    sha256: String,
}

/// What was written for one submission.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    /// The submission id.
    pub id: String,
    /// The form, neutralised for display.
    pub form: String,
    /// `OUT/<id>`.
    pub folder: String,
    /// Attachments written.
    pub attachments: usize,
    /// Every file written into the folder with its size, checked once more before the ack.
    #[serde(skip)]
    pub files: Vec<(String, u64)>,
}

/// `OUT/.<id>.partial/` while a submission is being written; renamed to `OUT/<id>/` by
/// [`Staging::commit`], removed if dropped before.
struct Staging {
    out: PathBuf,
    partial: PathBuf,
    target: PathBuf,
    id: SubmissionId,
    committed: bool,
}

impl Staging {
    /// Creates a fresh `OUT/.<id>.partial/` (0700), removing what an interrupted run left there.
    fn begin(out: &Path, id: &SubmissionId) -> Result<Staging, StaffError> {
        let partial = out.join(format!(".{id}.partial"));
        match fs::symlink_metadata(&partial) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&partial).map_err(io_error(&partial))?,
            Ok(_) => fs::remove_file(&partial).map_err(io_error(&partial))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&partial)(e)),
        }
        fs::DirBuilder::new().mode(0o700).create(&partial).map_err(io_error(&partial))?;
        Ok(Staging { out: out.to_owned(), partial, target: out.join(id.as_str()), id: id.clone(), committed: false })
    }

    /// Where downloads wait (inside the partial folder, removed before the rename).
    fn cipher_dir(&self) -> Result<PathBuf, StaffError> {
        let dir = self.partial.join(".ciphertext");
        fs::DirBuilder::new().mode(0o700).create(&dir).map_err(io_error(&dir))?;
        Ok(dir)
    }

    /// Decrypts and verifies `cipher` and writes the readable files. `form` is what the listing
    /// said, checked against the envelope. Returns, besides what was saved, the envelope's ack
    /// secret (none in a version 1 envelope), which is written nowhere.
    fn fill(
        &self,
        cipher: &[CipherFile],
        identities: &Identities,
        form: Option<&str>,
    ) -> Result<(Saved, Option<AckSecret>), StaffError> {
        let id = self.id.as_str();
        let bad = |what: String| StaffError::BadEnvelope { id: id.to_string(), what };
        let envelope_file =
            cipher.iter().find(|c| c.name == FileName::Envelope).ok_or_else(|| bad("no envelope.age".into()))?;
        let (mut envelope, json) = read_envelope(identities, id, &envelope_file.path)?;
        if envelope.id != id {
            return Err(bad("the envelope belongs to another submission".into()));
        }
        if form.is_some_and(|f| f != envelope.form) {
            return Err(bad("the envelope belongs to another form".into()));
        }
        let sent: BTreeSet<FileName> = cipher.iter().map(|c| c.name).filter(|n| *n != FileName::Envelope).collect();
        let mut listed = BTreeSet::new();
        for meta in &envelope.attachments {
            match FileName::parse(&meta.file) {
                Some(name @ FileName::Attachment(_)) if listed.insert(name) => {}
                _ => return Err(bad("the envelope's attachment list is malformed".into())),
            }
            if parse_sha256(&meta.sha256).is_none() {
                return Err(bad("the envelope records a malformed sha256".into()));
            }
        }
        if listed != sent {
            return Err(bad(format!(
                "the envelope lists {} attachment(s) but {} came with it",
                listed.len(),
                sent.len()
            )));
        }

        // Our own files first, so no attachment can take their names.
        let mut text_file = self.create(SUBMISSION_TXT)?;
        let mut json_file = self.create(ENVELOPE_JSON)?;
        let json = escape_json(&json);
        json_file.write_all(json.as_bytes()).map_err(io_error(&self.partial))?;
        json_file.sync_all().map_err(io_error(&self.partial))?;
        let mut sums = self.create(CIPHERTEXT_SHA256)?;
        let sums_text = sha256sums(cipher);
        sums.write_all(sums_text.as_bytes()).and_then(|()| sums.sync_all()).map_err(io_error(&self.partial))?;
        let mut files = vec![
            (ENVELOPE_JSON.to_string(), json.len() as u64),
            (CIPHERTEXT_SHA256.to_string(), sums_text.len() as u64),
        ];

        let mut names = FolderNames::default();
        for own in [SUBMISSION_TXT, ENVELOPE_JSON, CIPHERTEXT_SHA256] {
            names.reserve(own);
        }
        let mut saved_names = Vec::new();
        for (index, meta) in envelope.attachments.iter().enumerate() {
            let source = cipher
                .iter()
                .find(|c| c.name.to_string() == meta.file)
                .ok_or_else(|| bad("missing attachment".into()))?;
            let (file, name) =
                create_attachment(&self.partial, &mut names, &safe_file_name(&meta.name, index + 1), index + 1)?;
            decrypt_attachment(identities, id, source, meta.size, &meta.sha256, file, &self.partial.join(&name))?;
            files.push((name.clone(), meta.size));
            saved_names.push(name);
        }
        let text = render_submission(&envelope, &saved_names);
        text_file.write_all(text.as_bytes()).and_then(|()| text_file.sync_all()).map_err(io_error(&self.partial))?;
        files.push((SUBMISSION_TXT.to_string(), text.len() as u64));
        let saved = Saved {
            id: id.to_string(),
            form: for_terminal(&envelope.form),
            folder: self.target.display().to_string(),
            attachments: saved_names.len(),
            files,
        };
        Ok((saved, envelope.ack.take()))
    }

    fn create(&self, name: &str) -> Result<File, StaffError> {
        let path = self.partial.join(name);
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(io_error(&path))
    }

    /// Removes the downloads, fsyncs, renames to `OUT/<id>/` (never over an existing one) and
    /// fsyncs `OUT`. After this returns, the submission is durable on this machine.
    fn commit(mut self) -> Result<PathBuf, StaffError> {
        let cipher = self.partial.join(".ciphertext");
        if cipher.exists() {
            fs::remove_dir_all(&cipher).map_err(io_error(&cipher))?;
        }
        sync_dir(&self.partial).map_err(io_error(&self.partial))?;
        if fs::symlink_metadata(&self.target).is_ok() {
            return Err(StaffError::AlreadyOpened {
                id: self.id.to_string(),
                folder: self.target.display().to_string(),
            });
        }
        fs::rename(&self.partial, &self.target).map_err(io_error(&self.target))?;
        self.committed = true;
        sync_dir(&self.out).map_err(io_error(&self.out))?;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.partial);
        }
    }
}

/// `sha256sum`-style lines for the ciphertext files, so a re-run can tell it saved this copy.
fn sha256sums(cipher: &[CipherFile]) -> String {
    let mut sorted: Vec<&CipherFile> = cipher.iter().collect();
    sorted.sort_by_key(|c| c.name);
    sorted.iter().map(|c| format!("{}  {}\n", c.sha256, c.name)).collect()
}

/// Reads `ciphertext.sha256` back; `None` if absent or malformed.
fn recorded_sums(folder: &Path) -> Option<BTreeMap<FileName, String>> {
    let text = fs::read_to_string(folder.join(CIPHERTEXT_SHA256)).ok()?;
    let mut sums = BTreeMap::new();
    for line in text.lines() {
        let (hash, name) = line.split_once("  ")?;
        sums.insert(FileName::parse(name)?, parse_sha256(hash)?);
    }
    Some(sums)
}

/// Decrypts and parses `envelope.age` (format version 1 or 2): the envelope, and its JSON
/// re-serialised for `envelope.json` (every field kept but the ack secret, padding dropped). A
/// version 2 envelope must carry its ack secret.
fn read_envelope(identities: &Identities, id: &str, path: &Path) -> Result<(Envelope, String), StaffError> {
    let file = File::open(path).map_err(io_error(path))?;
    let plain =
        decrypt_all(identities, BufReader::new(file), MAX_ENVELOPE).map_err(|p| p.about(id, "envelope.age", path))?;
    let bad = || StaffError::BadEnvelope {
        id: id.to_string(),
        what: "envelope.age does not hold a sealpost envelope".into(),
    };
    // serde_json's messages can quote the text they choke on, so they are never shown.
    let mut value: serde_json::Value = serde_json::from_slice(&plain).map_err(|_| bad())?;
    let envelope: Envelope = serde_json::from_slice(&plain).map_err(|_| bad())?;
    if !(1..=ENVELOPE_VERSION).contains(&envelope.sealpost) {
        return Err(StaffError::BadEnvelope {
            id: id.to_string(),
            what: format!("envelope format {} is newer than this program; update sealpost-staff", envelope.sealpost),
        });
    }
    if envelope.sealpost >= 2 && envelope.ack.is_none() {
        return Err(StaffError::BadEnvelope { id: id.to_string(), what: "the envelope lacks its ack secret".into() });
    }
    // The ack secret proves this machine decrypted the envelope; it is sent once, in the ack,
    // and never written to the staff's folder.
    if let Some(serde_json::Value::String(mut secret)) = value.as_object_mut().and_then(|m| m.remove("ack")) {
        zeroize::Zeroize::zeroize(&mut secret);
    }
    let json = serde_json::to_string_pretty(&value).map_err(|_| bad())? + "\n";
    Ok((envelope, json))
}

/// Decrypts one attachment into `out`: its first `size` bytes (the rest is padding, still read
/// to the end so the whole stream is authenticated), checked against `sha256`; fsynced.
fn decrypt_attachment(
    identities: &Identities,
    id: &str,
    source: &CipherFile,
    size: u64,
    sha256: &str,
    out: File,
    out_path: &Path,
) -> Result<(), StaffError> {
    let file_name = source.name.to_string();
    let problem = |p: AgeProblem| p.about(id, &file_name, &source.path);
    let input = File::open(&source.path).map_err(io_error(&source.path))?;
    let mut stream = identities.decrypt(BufReader::with_capacity(BUFFER, input)).map_err(problem)?;
    let mut writer = BufWriter::with_capacity(BUFFER, out);
    let mut hasher = Sha256::new();
    let mut buf = Zeroizing::new(vec![0u8; BUFFER]);
    let mut remaining = size;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(problem(stream_problem(e))),
        };
        let keep = usize::try_from(remaining.min(n as u64)).unwrap_or(n);
        let piece = buf.get(..keep).unwrap_or_default();
        writer.write_all(piece).map_err(io_error(out_path))?;
        hasher.update(piece);
        remaining -= keep as u64;
    }
    if remaining > 0 {
        return Err(StaffError::Damaged {
            id: id.to_string(),
            file: file_name,
            what: "shorter than its recorded size",
        });
    }
    if data_encoding::HEXLOWER.encode(&hasher.finalize()) != sha256.to_ascii_lowercase() {
        return Err(StaffError::Damaged {
            id: id.to_string(),
            file: file_name,
            what: "its content does not match its recorded sha256",
        });
    }
    let file = writer.into_inner().map_err(|e| io_error(out_path)(e.into_error()))?;
    file.sync_all().map_err(io_error(out_path))
}

/// Creates a new private file (0600), never overwriting.
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

/// Creates the file for attachment number `number` in `dir` as `name` (made unique by
/// [`FolderNames::create_unique`]). If the file system refuses the name itself, the file is created as
/// `attachment-N<ext>` instead ([`fallback_name`]): one odd name must not hold back a submission,
/// let alone the queue behind it. The refusals that mean "not this name" — ENAMETOOLONG, EILSEQ,
/// EINVAL, and whatever FUSE, exFAT or NTFS drivers answer instead — differ between file systems,
/// so any refusal gets one retry under the plain ASCII name; if that fails too, the problem was
/// not the name, and it is reported.
fn create_attachment(
    dir: &Path,
    names: &mut FolderNames,
    name: &str,
    number: usize,
) -> Result<(File, String), StaffError> {
    create_attachment_with(dir, names, name, number, &create_private)
}

/// [`create_attachment`] with the file creation passed in (tests pass a pickier file system).
fn create_attachment_with(
    dir: &Path,
    names: &mut FolderNames,
    name: &str,
    number: usize,
    create: &dyn Fn(&Path) -> io::Result<File>,
) -> Result<(File, String), StaffError> {
    names.create_unique(dir, name, create).or_else(|_| {
        names.create_unique(dir, &fallback_name(name, number), create).map_err(|(path, e)| io_error(&path)(e))
    })
}

/// `attachment-N`, with `name`'s extension when that is a dot and 1 to 10 ASCII letters or
/// digits (so the file still opens with the right program).
fn fallback_name(name: &str, number: usize) -> String {
    let (_, ext) = split_extension(name);
    let safe = ext
        .strip_prefix('.')
        .is_some_and(|e| (1..=10).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_alphanumeric()));
    format!("attachment-{number}{}", if safe { ext } else { "" })
}

/// The names given out in one submission folder, so that making a name unique costs a few
/// lookups in memory instead of a walk through the file system from ` (2)` on: 9 999 attachments
/// of one name take 9 999 file creations, not 50 million.
#[derive(Default)]
struct FolderNames {
    /// Every name given out, as its [`collision_key`]: names that differ only in case or in
    /// Unicode normalization are one file on macOS and Windows, where staff may copy the folder.
    taken: HashSet<String>,
    /// Per wanted name (as its [`collision_key`]), the next ` (n)` to try, so the 100th
    /// `scan.pdf` starts at `scan (100).pdf` rather than at `scan (2).pdf`.
    next: HashMap<String, usize>,
    /// Names considered so far, each one lookup and at most one file creation (the test of
    /// linear cost reads it).
    probes: usize,
}

/// The key two names collide under on some file system staff may copy a folder to: NFC (APFS
/// treats NFC `é` and NFD `e` + U+0301 as one name), then full case folding approximated as
/// upper- then lower-case (so `ſ` and `ı` meet `s` and `i`, as NTFS, exFAT and APFS fold
/// them), then NFC again (case mapping can leave a name decomposed). It folds more than any one
/// file system does; a name that folds too eagerly only gets a ` (n)`.
fn collision_key(name: &str) -> String {
    let nfc = icu_normalizer::ComposingNormalizerBorrowed::new_nfc();
    nfc.normalize(&nfc.normalize(name).to_uppercase().to_lowercase()).into_owned()
}

impl FolderNames {
    /// Takes `name` for a file created by other means (our own files, written first).
    fn reserve(&mut self, name: &str) {
        self.taken.insert(collision_key(name));
    }

    /// Creates `name` in `dir` with `create`, or `stem (2).ext`, `stem (3).ext`, … if taken; at
    /// most [`MAX_UNIQUE`] names considered. On failure, the path tried and why.
    fn create_unique(
        &mut self,
        dir: &Path,
        name: &str,
        create: &dyn Fn(&Path) -> io::Result<File>,
    ) -> Result<(File, String), (PathBuf, io::Error)> {
        let (stem, ext) = split_extension(name);
        let wanted = collision_key(name);
        let first = self.next.get(&wanted).copied().unwrap_or(1);
        for n in first..first.saturating_add(MAX_UNIQUE) {
            self.probes += 1;
            let candidate = if n == 1 { name.to_string() } else { format!("{stem} ({n}){ext}") };
            let folded = collision_key(&candidate);
            if self.taken.contains(&folded) {
                continue;
            }
            let path = dir.join(&candidate);
            match create(&path) {
                Ok(file) => {
                    self.taken.insert(folded);
                    self.next.insert(wanted, n + 1);
                    return Ok((file, candidate));
                }
                // Someone else's file, or one the file system folds in a way we do not.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    self.taken.insert(folded);
                }
                Err(e) => return Err((path, e)),
            }
        }
        Err((dir.to_owned(), io::Error::other("too many attachments with the same name")))
    }
}

/// The human-readable `submission.txt`.
fn render_submission(envelope: &Envelope, saved_names: &[String]) -> String {
    let mut text = String::new();
    let clean = neutralize_text;
    text.push_str(&format!("Submission  {}\n", clean(&envelope.id)));
    text.push_str(&format!("Form        {}\n", clean(&envelope.form)));
    text.push_str(&format!("Received    {}\n", clean(&envelope.received)));
    text.push_str(&format!("Language    {}\n", clean(&envelope.locale)));
    for field in &envelope.fields {
        text.push_str(&format!("\n== {} ==\n{}\n", for_terminal(&field.label), clean(&field.value)));
    }
    if !envelope.attachments.is_empty() {
        text.push_str("\n== Attachments ==\n");
        for (index, (meta, saved)) in envelope.attachments.iter().zip(saved_names).enumerate() {
            text.push_str(&format!(
                "{}. {}  ({} bytes, {})\n   name as sent: {}\n",
                index + 1,
                saved,
                meta.size,
                for_terminal(&meta.media_type),
                for_terminal(&meta.name),
            ));
        }
    }
    text
}

/// Creates `OUT` (0700) if missing — and fsyncs the parent of every folder created, so the new
/// folders survive a crash — and checks it is a folder.
fn prepare_out(out: &Path) -> Result<(), StaffError> {
    let shown = || out.display().to_string();
    let failed = |e: io::Error| StaffError::OutDir { path: shown(), reason: io_reason(&e) };
    let missing: Vec<&Path> =
        out.ancestors().take_while(|p| !p.as_os_str().is_empty() && fs::symlink_metadata(p).is_err()).collect();
    fs::DirBuilder::new().recursive(true).mode(0o700).create(out).map_err(failed)?;
    for created in missing {
        let parent = match created.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        sync_dir(parent).map_err(failed)?;
    }
    if !out.is_dir() {
        return Err(StaffError::OutDir { path: shown(), reason: "not a folder".into() });
    }
    Ok(())
}

/// The exclusive lock on `OUT/.sealpost.lock`, held while it lives (the kernel releases it when
/// the process ends, however it ends).
struct OutLock {
    _file: File,
}

/// Takes the lock on `OUT`, or fails at once if another run holds it. Failing rather than waiting
/// is deliberate: a second run started by hand or by cron while the first still works should
/// say so, not hang with nothing on the screen; the next run picks up whatever is left.
fn lock_out(out: &Path) -> Result<OutLock, StaffError> {
    let path = out.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(io_error(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(OutLock { _file: file }),
        Err(fs::TryLockError::WouldBlock) => Err(StaffError::OutBusy { path: out.display().to_string() }),
        Err(fs::TryLockError::Error(e)) => Err(io_error(&path)(e)),
    }
}

/// Checks that `folder` holds exactly `expected` (names and sizes), as written, before the ack.
fn verify_folder(id: &str, folder: &Path, expected: &[(String, u64)]) -> Result<(), StaffError> {
    let incomplete = || StaffError::FolderIncomplete { id: id.to_string(), folder: folder.display().to_string() };
    let on_disk = folder_files(folder).map_err(io_error(folder))?.ok_or_else(incomplete)?;
    let expected: BTreeMap<String, u64> = expected.iter().cloned().collect();
    if on_disk != expected {
        return Err(incomplete());
    }
    Ok(())
}

/// Checks a folder saved by an earlier run before it is acknowledged: our three files are there,
/// and as many attachments, of the sizes its `envelope.json` records.
fn verify_saved_folder(id: &str, folder: &Path, attachments: usize) -> Result<(), StaffError> {
    let incomplete = || StaffError::FolderIncomplete { id: id.to_string(), folder: folder.display().to_string() };
    let mut on_disk = folder_files(folder).map_err(io_error(folder))?.ok_or_else(incomplete)?;
    for own in [SUBMISSION_TXT, ENVELOPE_JSON, CIPHERTEXT_SHA256] {
        on_disk.remove(own).ok_or_else(incomplete)?;
    }
    let json = File::open(folder.join(ENVELOPE_JSON)).map_err(io_error(folder))?;
    let mut text = Zeroizing::new(Vec::new());
    json.take(8 * MAX_ENVELOPE).read_to_end(&mut text).map_err(io_error(folder))?;
    let envelope: Envelope = serde_json::from_slice(&text).map_err(|_| incomplete())?;
    let sizes: u64 = envelope.attachments.iter().map(|a| a.size).fold(0, u64::saturating_add);
    let found: u64 = on_disk.values().fold(0, |a, b| a.saturating_add(*b));
    if envelope.attachments.len() != attachments || on_disk.len() != attachments || found != sizes {
        return Err(incomplete());
    }
    Ok(())
}

/// The regular files in `folder` with their sizes; `None` if it holds anything else.
fn folder_files(folder: &Path) -> io::Result<Option<BTreeMap<String, u64>>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        let meta = fs::symlink_metadata(entry.path())?;
        match entry.file_name().into_string() {
            Ok(name) if meta.is_file() => {
                files.insert(name, meta.len());
            }
            _ => return Ok(None),
        }
    }
    Ok(Some(files))
}

// ───────────────────────────── the server ─────────────────────────────

/// Checks `--server`: `https://`, or `http://` to this machine only (127.0.0.0/8, ::1,
/// `localhost`, which the client pins to 127.0.0.1). Not to onion services: whether plain
/// http to one stays inside Tor depends on how the client is wrapped (torsocks, proxy variables,
/// the resolver), and a slip sends the session token in clear. Returns the base URL (ending in
/// `/`).
pub fn parse_server_url(text: &str) -> Result<reqwest::Url, StaffError> {
    let shown = for_terminal(text);
    let bad = |reason| StaffError::BadUrl { url: shown.clone(), reason };
    let mut url = reqwest::Url::parse(text.trim()).map_err(|_| bad("not a URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not contain ? or #"));
    }
    let host = url.host_str().ok_or_else(|| bad("has no host"))?.to_string();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&host) => {}
        "http" => {
            return Err(StaffError::PlainHttp { url: shown, host: for_terminal(&host) });
        }
        _ => return Err(bad("must start with https://")),
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// `….onion`: a Tor onion service (named only to give the right hint).
fn is_onion_host(host: &str) -> bool {
    host.len() > ".onion".len() && host.to_ascii_lowercase().ends_with(".onion")
}

/// `localhost`, 127.0.0.0/8 or ::1 (an IPv4-mapped address is not accepted: it is not how
/// anyone writes this machine's address, and it is not loopback to every resolver).
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A logged-in session for one recipient.
struct Session {
    recipient: String,
    token: Zeroizing<String>,
    /// When to log in again.
    renew_at: Instant,
}

/// The staff API of one server.
struct Server {
    base: reqwest::Url,
    shown: String,
    client: reqwest::Client,
    /// When the whole pull must be over (`--timeout`); every wait on the network ends by then.
    deadline: tokio::time::Instant,
    /// The `--timeout` behind `deadline`, for the message.
    limit: Duration,
}

impl Server {
    /// The server at `url`, with no deadline until [`Server::deadline_in`] sets one.
    fn new(url: &str, ca_cert: Option<&Path>) -> Result<Server, StaffError> {
        let base = parse_server_url(url)?;
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("sealpost-staff/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .https_only(base.scheme() == "https");
        if base.scheme() == "http" {
            // Plain http goes only to this machine. An HTTP_PROXY or ALL_PROXY variable must not
            // route it, and the bearer token in it, through a proxy in clear. Over https the
            // system's proxy settings stay: a proxy sees a CONNECT and then TLS, which
            // authenticates the server and encrypts the token.
            builder = builder.no_proxy();
        }
        if let Some(path) = ca_cert {
            let shown = path.display().to_string();
            let pem = fs::read(path).map_err(|e| StaffError::CaCert { path: shown.clone(), reason: io_reason(&e) })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|_| StaffError::CaCert { path: shown.clone(), reason: "not a PEM certificate file".into() })?;
            if certs.is_empty() {
                return Err(StaffError::CaCert { path: shown, reason: "holds no certificate".into() });
            }
            builder = builder.tls_certs_only(certs);
        }
        if base.host_str().is_some_and(|h| h.eq_ignore_ascii_case("localhost")) {
            // `localhost` must mean this machine, whatever the resolver says.
            let port = base.port_or_known_default().unwrap_or(443);
            builder = builder.resolve("localhost", SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
        }
        let client =
            builder.build().map_err(|_| StaffError::BadUrl { url: for_terminal(url), reason: "cannot be used" })?;
        let (deadline, limit) = Server::far_deadline();
        Ok(Server { shown: base.as_str().trim_end_matches('/').to_string(), base, client, deadline, limit })
    }

    /// A deadline as good as none: about 34 years from now.
    fn far_deadline() -> (tokio::time::Instant, Duration) {
        let limit = Duration::from_secs(1 << 30);
        let now = tokio::time::Instant::now();
        (now.checked_add(limit).unwrap_or(now), limit)
    }

    /// Every wait on this server from now on ends `timeout` from now (one that does not fit on
    /// the clock counts as none).
    fn deadline_in(&mut self, timeout: Duration) {
        let now = tokio::time::Instant::now();
        (self.deadline, self.limit) = match now.checked_add(timeout) {
            Some(deadline) => (deadline, timeout),
            None => Server::far_deadline(),
        };
    }

    fn timed_out(&self) -> StaffError {
        StaffError::TimedOut { limit: humantime::format_duration(self.limit).to_string() }
    }

    /// The next piece of `response`'s body, or `None` at its end; fails at the pull's deadline
    /// or when the body falls below `floor`'s rate.
    async fn chunk(
        &self,
        response: &mut reqwest::Response,
        floor: &mut RateFloor,
    ) -> Result<Option<bytes::Bytes>, StaffError> {
        // `timeout_at` polls the body before its timer: a body whose pieces are always ready
        // would never notice the deadline, and a fast server could overrun it by a whole body.
        if tokio::time::Instant::now() >= self.deadline {
            return Err(self.timed_out());
        }
        loop {
            let wake = floor.window_end().min(self.deadline.into_std());
            // `chunk` is cancel-safe: a wake-up before a piece arrives loses nothing.
            match tokio::time::timeout_at(wake.into(), response.chunk()).await {
                Ok(piece) => {
                    let piece = piece.map_err(|e| self.transport(e))?;
                    let len = piece.as_ref().map_or(0, |p| p.len() as u64);
                    if piece.is_some() {
                        floor.received(Instant::now(), len).map_err(|()| self.too_slow())?;
                    }
                    return Ok(piece);
                }
                Err(_) if tokio::time::Instant::now() >= self.deadline => return Err(self.timed_out()),
                Err(_) => floor.received(Instant::now(), 0).map_err(|()| self.too_slow())?,
            }
        }
    }

    /// [`answer_challenge`] on a blocking thread, given up at the pull's deadline: a plugin key
    /// (a hardware token) may wait for a touch or a PIN, and on this current-thread runtime a
    /// wait on the runtime's own thread would stop every timer. A thread still waiting when the
    /// deadline passes is left behind; the command does not wait for it when it exits.
    async fn answer(&self, identities: &Arc<Identities>, armored: String) -> Result<Zeroizing<Vec<u8>>, StaffError> {
        let ids = Arc::clone(identities);
        let task = tokio::task::spawn_blocking(move || answer_challenge(&ids, &armored));
        match tokio::time::timeout_at(self.deadline, task).await {
            Ok(answered) => answered.map_err(|_| StaffError::Io {
                path: "the login challenge".into(),
                reason: "the decryption task failed".into(),
            })?,
            Err(_) => Err(self.timed_out()),
        }
    }

    fn too_slow(&self) -> StaffError {
        StaffError::TooSlow {
            server: self.shown.clone(),
            rate: format!("{}/s", bytesize::ByteSize(MIN_TRANSFER_RATE).display().iec()),
            window: humantime::format_duration(RATE_WINDOW).to_string(),
        }
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, StaffError> {
        self.base.join(path).map_err(|_| StaffError::BadUrl { url: self.shown.clone(), reason: "cannot be used" })
    }

    /// A transport failure in our words.
    fn transport(&self, e: reqwest::Error) -> StaffError {
        if is_certificate_error(&e) {
            return StaffError::Tls { server: self.shown.clone() };
        }
        let reason = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "connection failed".to_string()
        } else {
            "the connection broke off".to_string()
        };
        StaffError::Connect { server: self.shown.clone(), reason }
    }

    /// Sends `request` and waits for the response's head, until the pull's deadline at most.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, StaffError> {
        // As in `chunk`: a response that is ready at once would not notice a passed deadline.
        if tokio::time::Instant::now() >= self.deadline {
            return Err(self.timed_out());
        }
        match tokio::time::timeout_at(self.deadline, request.send()).await {
            Ok(response) => response.map_err(|e| self.transport(e)),
            Err(_) => Err(self.timed_out()),
        }
    }

    /// Reads a whole (small) response body.
    async fn body(&self, mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, StaffError> {
        let mut body = Vec::new();
        let mut floor = RateFloor::new(Instant::now(), None);
        while let Some(chunk) = self.chunk(&mut response, &mut floor).await? {
            if body.len() + chunk.len() > max {
                return Err(StaffError::Protocol { what: "an oversized response" });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The error a non-success response stands for.
    async fn refused(&self, what: &'static str, response: reqwest::Response) -> StaffError {
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            return StaffError::RateLimited { retry_after };
        }
        let message = match self.body(response, 4096).await {
            Ok(body) => serde_json::from_slice::<ErrorBody>(&body).map(|b| b.error).unwrap_or_default(),
            Err(_) => String::new(),
        };
        let message: String = for_terminal(&message).chars().take(MAX_SERVER_MESSAGE).collect();
        let message =
            if message.is_empty() { status.canonical_reason().unwrap_or_default().to_lowercase() } else { message };
        StaffError::Refused { what, status: status.as_u16(), message }
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        bad: &'static str,
        response: reqwest::Response,
    ) -> Result<T, StaffError> {
        if !response.status().is_success() {
            return Err(self.refused(what, response).await);
        }
        let body = self.body(response, MAX_JSON_RESPONSE).await?;
        serde_json::from_slice(&body).map_err(|_| StaffError::Protocol { what: bad })
    }

    /// Logs in as `recipient`; `None` if the server does not know it.
    async fn login(&self, identities: &Arc<Identities>, recipient: &str) -> Result<Option<Session>, StaffError> {
        let request = self
            .client
            .post(self.url("staff/v1/challenge")?)
            .json_body(&ChallengeRequest { recipient: recipient.to_string() });
        let response = self.send(request).await?;
        // 403: not on any list; 400: a recipient type this server cannot encrypt to.
        if matches!(response.status().as_u16(), 400 | 403) {
            return Ok(None);
        }
        let challenge: ChallengeResponse = self.json("the login", "a malformed login challenge", response).await?;
        let secret = self.answer(identities, challenge.challenge).await?;
        let mut answer = SessionRequest {
            challenge_id: challenge.challenge_id,
            response: data_encoding::BASE64.encode(secret.as_ref()),
        };
        let request = self.client.post(self.url("staff/v1/session")?).json_body(&answer);
        answer.response.zeroize();
        let response = self.send(request).await?;
        let session: SessionResponse = self.json("the login", "a malformed session", response).await?;
        Ok(Some(Session {
            recipient: recipient.to_string(),
            token: Zeroizing::new(session.token),
            renew_at: renew_at(Instant::now(), session.expires_in),
        }))
    }

    /// Logs in again if the session is about to expire.
    async fn fresh(&self, identities: &Arc<Identities>, session: &mut Session) -> Result<(), StaffError> {
        if Instant::now() >= session.renew_at {
            match self.login(identities, &session.recipient).await? {
                Some(new) => *session = new,
                None => {
                    return Err(StaffError::NotListed { recipients: vec![session.recipient.clone()] });
                }
            }
        }
        Ok(())
    }

    /// One page of the listing: the submissions after `after` (from the first without it); `None`
    /// if the server no longer lists `after` (acknowledged meanwhile). A server older than
    /// `?after=` ignores it and answers with the first page, which [`pull`] notices.
    async fn list(&self, session: &Session, after: Option<&str>) -> Result<Option<Vec<Listed>>, StaffError> {
        let mut url = self.url("staff/v1/submissions")?;
        if let Some(after) = after {
            url.query_pairs_mut().append_pair("after", after);
        }
        let response = self.send(self.client.get(url).bearer_auth(session.token.as_str())).await?;
        if after.is_some() && response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let mut page: Vec<Listed> = self.json("the listing", "a malformed listing", response).await?;
        // The server lists at most this many; a longer listing is cut, and paging fetches the rest.
        page.truncate(MAX_LISTED);
        Ok(Some(page))
    }

    /// Downloads `file` of submission `id` into `path`, checking the listed size and SHA-256.
    async fn download(&self, session: &Session, id: &str, file: &ListedPlan, path: &Path) -> Result<(), StaffError> {
        let url = self.url(&format!("staff/v1/submissions/{id}/{}", file.name))?;
        let mut response = self.send(self.client.get(url).bearer_auth(session.token.as_str())).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            // Listed a moment ago, gone now: a colleague pulled and acknowledged it.
            return Err(StaffError::Gone { id: id.to_string() });
        }
        if !response.status().is_success() {
            return Err(self.refused("the download", response).await);
        }
        let mismatch = || StaffError::DownloadMismatch { id: id.to_string(), file: file.name.to_string() };
        if response.content_length().is_some_and(|len| len != file.size) {
            return Err(mismatch());
        }
        let out = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io_error(path))?;
        let mut writer = BufWriter::with_capacity(BUFFER, out);
        let mut hasher = Sha256::new();
        let mut received = 0u64;
        let mut floor = RateFloor::new(Instant::now(), Some(file.size));
        while let Some(chunk) = self.chunk(&mut response, &mut floor).await? {
            received += chunk.len() as u64;
            if received > file.size {
                return Err(mismatch());
            }
            hasher.update(&chunk);
            writer.write_all(&chunk).map_err(io_error(path))?;
        }
        writer.flush().map_err(io_error(path))?;
        if received != file.size || data_encoding::HEXLOWER.encode(&hasher.finalize()) != file.sha256 {
            return Err(mismatch());
        }
        Ok(())
    }

    /// Acknowledges receipt with the envelope's ack secret (none for a version 1 envelope); the
    /// server deletes its copy. "Already gone" counts as done.
    async fn ack(
        &self,
        session: &Session,
        id: &str,
        files: &[ListedPlan],
        ack: Option<AckSecret>,
    ) -> Result<(), StaffError> {
        let body = AckRequest { sha256: files.iter().map(|f| (f.name.to_string(), f.sha256.clone())).collect(), ack };
        let url = self.url(&format!("staff/v1/submissions/{id}/ack"))?;
        let response = self.send(self.client.post(url).bearer_auth(session.token.as_str()).json_body(&body)).await?;
        match response.status().as_u16() {
            200..=299 | 404 => Ok(()),
            _ => Err(self.refused("the acknowledgement", response).await),
        }
    }
}

/// The slowest a response body may come in: after [`RATE_GRACE`], each [`RATE_WINDOW`] must
/// bring [`MIN_TRANSFER_RATE`] × the window, or the rest of the body if that is less. Time is an
/// input, so tests need no clock.
struct RateFloor {
    /// When the window being measured ends.
    window_end: Instant,
    /// Bytes received since the last window ended (the grace period counts toward the first).
    in_window: u64,
    /// Bytes the body still had to bring when this window began; `None` if its size is unknown.
    due: Option<u64>,
    /// Bytes the body still has to bring; `None` if its size is unknown.
    remaining: Option<u64>,
}

impl RateFloor {
    /// The floor for a body starting at `now`, of `size` bytes if known.
    fn new(now: Instant, size: Option<u64>) -> RateFloor {
        let window_end = now.checked_add(RATE_GRACE + RATE_WINDOW).unwrap_or(now);
        RateFloor { window_end, in_window: 0, due: size, remaining: size }
    }

    /// When the current window ends (and the rate must be checked even if nothing arrives).
    fn window_end(&self) -> Instant {
        self.window_end
    }

    /// Counts `bytes` that arrived at `now` (0 when only the time passed); fails if a window
    /// ended with less than the floor.
    fn received(&mut self, now: Instant, bytes: u64) -> Result<(), ()> {
        self.in_window = self.in_window.saturating_add(bytes);
        self.remaining = self.remaining.map(|r| r.saturating_sub(bytes));
        if now < self.window_end {
            return Ok(());
        }
        let floor = MIN_TRANSFER_RATE.saturating_mul(RATE_WINDOW.as_secs());
        let needed = self.due.map_or(floor, |due| due.min(floor));
        if self.in_window < needed {
            return Err(());
        }
        self.window_end = now.checked_add(RATE_WINDOW).unwrap_or(now);
        self.in_window = 0;
        self.due = self.remaining;
        Ok(())
    }
}

/// When to renew a session the server said lasts `expires_in` seconds: a little before it ends,
/// believing the server for at most [`SESSION_TTL`] (a hostile one could say `u64::MAX`).
fn renew_at(now: Instant, expires_in: u64) -> Instant {
    let lifetime = Duration::from_secs(expires_in.min(SESSION_TTL.as_secs())).saturating_sub(SESSION_MARGIN);
    now.checked_add(lifetime).unwrap_or(now)
}

/// JSON request bodies without reqwest's `json` feature.
trait JsonBody {
    fn json_body<T: Serialize>(self, value: &T) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    /// The body is [`json_bytes`], handed to reqwest without a copy: the buffer reqwest holds
    /// is the one wiped when it drops the body. The HTTP and TLS layers below may still copy
    /// pieces of it into buffers of their own that nobody wipes (a TLS record is encrypted in
    /// place, but plaintext queued before the handshake is not); that is beyond our reach.
    fn json_body<T: Serialize>(self, value: &T) -> Self {
        self.header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes::Bytes::from_owner(json_bytes(value)))
    }
}

/// `value` as JSON in a buffer wiped on drop, allocated once at its final size (measured by a
/// first pass that writes nowhere), so no smaller buffer that held part of it is freed unwiped
/// as it grows. What it holds may be secret (an ack secret, a challenge answer).
fn json_bytes<T: Serialize>(value: &T) -> Zeroizing<Vec<u8>> {
    /// Counts what would be written.
    struct Measure(usize);
    impl Write for Measure {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut measure = Measure(0);
    if serde_json::to_writer(&mut measure, value).is_err() {
        return Zeroizing::new(Vec::new());
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(measure.0));
    if serde_json::to_writer(&mut *bytes, value).is_err() {
        bytes.clear();
    }
    bytes
}

/// Whether a transport error is a rejected server certificate.
fn is_certificate_error(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return matches!(tls, rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented);
        }
        if let Some(tls) =
            err.downcast_ref::<io::Error>().and_then(|io| io.get_ref()).and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return matches!(tls, rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented);
        }
        if err.to_string().contains("certificate") {
            return true;
        }
        source = err.source();
    }
    false
}

/// Reads an armored age file; whitespace before it is allowed (the pinned age crate refuses it).
fn armored_reader(text: &[u8]) -> BufReader<age::armor::ArmoredReader<BufReader<&[u8]>>> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    BufReader::new(age::armor::ArmoredReader::new(text.get(start..).unwrap_or_default()))
}

/// Decrypts a login challenge and returns the secret, refusing anything but exactly
/// [`CHALLENGE_LABEL`] followed by 32 bytes.
fn answer_challenge(identities: &Identities, armored: &str) -> Result<Zeroizing<Vec<u8>>, StaffError> {
    let not_a_challenge =
        StaffError::Protocol { what: "a login challenge that is not a sealpost challenge; it was not answered" };
    if armored.len() > MAX_CHALLENGE {
        return Err(not_a_challenge);
    }
    let max = (CHALLENGE_LABEL.len() + CHALLENGE_SECRET_LEN) as u64;
    let plain = match decrypt_all(identities, armored_reader(armored.as_bytes()), max) {
        Ok(plain) => plain,
        Err(AgeProblem::NotForUs) => return Err(StaffError::ChallengeNotForUs),
        Err(AgeProblem::Plugin(message)) => return Err(StaffError::Plugin { message }),
        Err(_) => return Err(not_a_challenge),
    };
    match plain.strip_prefix(CHALLENGE_LABEL) {
        Some(secret) if secret.len() == CHALLENGE_SECRET_LEN => Ok(Zeroizing::new(secret.to_vec())),
        _ => Err(not_a_challenge),
    }
}

/// One file of a listed submission, checked.
struct ListedPlan {
    name: FileName,
    size: u64,
    sha256: String,
}

/// A listed submission, checked: a real id, real file names, an envelope, no duplicates.
fn plan(listed: &Listed) -> Result<(SubmissionId, Vec<ListedPlan>), StaffError> {
    let id = SubmissionId::parse(&listed.id)
        .ok_or(StaffError::Protocol { what: "a listing with a malformed submission id" })?;
    let bad = || StaffError::BadEnvelope {
        id: id.to_string(),
        what: "the server's listing of its files is malformed".into(),
    };
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for file in &listed.files {
        let name = FileName::parse(&file.name).ok_or_else(bad)?;
        let sha256 = parse_sha256(&file.sha256).ok_or_else(bad)?;
        if !seen.insert(name) {
            return Err(bad());
        }
        if file.size > MAX_DOWNLOAD_BYTES {
            return Err(StaffError::BadEnvelope {
                id: id.to_string(),
                what: format!(
                    "the server lists {name} as larger than the {} GiB this program downloads",
                    MAX_DOWNLOAD_BYTES >> 30
                ),
            });
        }
        files.push(ListedPlan { name, size: file.size, sha256 });
    }
    if !seen.contains(&FileName::Envelope) {
        return Err(bad());
    }
    Ok((id, files))
}

// ───────────────────────────── pull and open ─────────────────────────────

/// What `pull` needs.
pub struct PullOptions {
    /// `--server`.
    pub server: String,
    /// `--identity`.
    pub identity: PathBuf,
    /// `--out`.
    pub out: PathBuf,
    /// `--ca-cert`.
    pub ca_cert: Option<PathBuf>,
    /// Acknowledge once saved. The command always does; tests turn it off to play an
    /// interruption between saving and acknowledging.
    pub ack: bool,
    /// `--timeout`: how long the whole pull may take ([`DEFAULT_PULL_TIMEOUT`] unless given).
    pub timeout: Duration,
}

/// Where progress goes: a bar on a terminal, nothing otherwise.
pub trait Progress {
    /// `total` submissions are known so far.
    fn total(&mut self, total: u64);
    /// One more is done (saved, or failed).
    fn advance(&mut self);
    /// All done.
    fn finish(&mut self);
}

/// No progress output.
pub struct Quiet;

impl Progress for Quiet {
    fn total(&mut self, _: u64) {}
    fn advance(&mut self) {}
    fn finish(&mut self) {}
}

/// An indicatif bar on stdout.
pub struct Bar(indicatif::ProgressBar);

impl Bar {
    /// A bar drawn on stdout (use only when stdout is a terminal).
    pub fn new() -> Bar {
        let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stdout());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{pos}/{len} submissions [{wide_bar}] {elapsed}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(bar)
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Progress for Bar {
    fn total(&mut self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&mut self) {
        self.0.inc(1);
    }
    fn finish(&mut self) {
        self.0.finish_and_clear();
    }
}

/// The outcome of a pull or open.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Submissions written now (and acknowledged, for a pull).
    pub saved: usize,
    /// Submissions found already saved by an earlier, interrupted run, and acknowledged now.
    pub already_saved: usize,
    /// Submissions that failed; they stay on the server.
    pub failed: usize,
    /// Submissions another staff member pulled while this pull ran.
    pub gone: usize,
    /// The pull stopped after [`MAX_LISTING_ROUNDS`] listings; more may be waiting.
    pub unfinished: bool,
    /// Why the pull stopped before the end of the queue (out of time, too slow, out of space);
    /// what it saved before is listed all the same.
    #[serde(rename = "stopped", serialize_with = "error_message", skip_serializing_if = "Option::is_none")]
    pub stopped: Option<StaffError>,
    /// Details, in order.
    pub submissions: Vec<Outcome>,
}

/// A [`StaffError`] in a JSON summary: its message, neutralised.
fn error_message<S: serde::Serializer>(error: &Option<StaffError>, serializer: S) -> Result<S::Ok, S::Error> {
    match error {
        Some(e) => serializer.serialize_some(&for_terminal(&e.to_string())),
        None => serializer.serialize_none(),
    }
}

/// One submission's outcome.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// The id (or, for a folder that is not one, its name, neutralised).
    pub id: String,
    /// `saved`, `already saved` or `failed`.
    pub status: &'static str,
    /// Where it is, when saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// The form, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl Summary {
    fn failed(&mut self, id: &str, error: &StaffError) {
        self.failed += 1;
        self.submissions.push(Outcome {
            id: for_terminal(id),
            status: "failed",
            folder: None,
            form: None,
            error: Some(for_terminal(&error.to_string())),
            hints: error.hints().iter().map(|h| for_terminal(h)).collect(),
        });
    }

    fn saved(&mut self, saved: Saved) {
        self.saved += 1;
        self.submissions.push(Outcome {
            id: saved.id,
            status: "saved",
            folder: Some(for_terminal(&saved.folder)),
            form: Some(saved.form),
            error: None,
            hints: Vec::new(),
        });
    }

    /// Lines for a terminal, one per submission saved.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .submissions
            .iter()
            .filter(|o| o.status != "failed")
            .map(|o| {
                format!(
                    "{} {} ({}) → {}",
                    o.status,
                    o.id,
                    o.form.as_deref().unwrap_or("?"),
                    o.folder.as_deref().unwrap_or("?")
                )
            })
            .collect();
        if self.saved + self.already_saved + self.failed + self.gone == 0 {
            lines.push("nothing new".into());
        }
        lines
    }

    /// `(message, hints)` for each failure, for stderr.
    pub fn failures(&self) -> Vec<(String, Vec<String>)> {
        self.submissions.iter().filter_map(|o| o.error.as_ref().map(|e| (e.clone(), o.hints.clone()))).collect()
    }
}

/// `sealpost-staff pull`: logs in with every recipient of the identity, then lists, downloads,
/// verifies, decrypts and saves each submission, and acknowledges it once it is durable here.
/// Submission-level failures are counted in the summary (the pull goes on); anything else stops
/// the pull with an error — except running out of time, of transfer rate or of disk space after
/// some were saved: then the summary says what was saved, and [`Summary::stopped`] why it stopped.
pub async fn pull(options: &PullOptions, progress: &mut dyn Progress) -> Result<Summary, StaffError> {
    let mut server = Server::new(&options.server, options.ca_cert.as_deref())?;
    let identities = Arc::new(Identities::load(&options.identity)?);
    prepare_out(&options.out)?;
    let _lock = lock_out(&options.out)?;
    // The clock starts once the passphrase is typed and OUT is ours.
    server.deadline_in(options.timeout);

    let mut sessions = Vec::new();
    for recipient in identities.recipients() {
        if let Some(session) = server.login(&identities, recipient).await? {
            sessions.push(session);
        }
    }
    if sessions.is_empty() {
        return Err(StaffError::NotListed { recipients: identities.recipients().to_vec() });
    }

    let mut summary = Summary::default();
    let result = pull_queue(&server, &identities, &mut sessions, options, progress, &mut summary).await;
    progress.finish();
    match result {
        Ok(()) => Ok(summary),
        Err(e) if e.stops_the_pull() => {
            summary.stopped = Some(e);
            Ok(summary)
        }
        Err(e) => Err(e),
    }
}

/// The listing and saving loop of [`pull`], into `summary`.
async fn pull_queue(
    server: &Server,
    identities: &Arc<Identities>,
    sessions: &mut [Session],
    options: &PullOptions,
    progress: &mut dyn Progress,
    summary: &mut Summary,
) -> Result<(), StaffError> {
    // Each submission is tried once per run. Those known to have left the server (acknowledged
    // here, or pulled by a colleague) are in `removed`; the others are still there, and the last
    // of them on a page is where the next page starts, so submissions this identity cannot save
    // never hide the ones behind them.
    let mut attempted = HashSet::new();
    let mut removed = HashSet::new();
    let mut total = 0u64;
    let mut rounds = 0;
    'sessions: for index in 0..sessions.len() {
        let mut cursor: Option<String> = None;
        loop {
            if rounds == MAX_LISTING_ROUNDS {
                summary.unfinished = true;
                break 'sessions;
            }
            rounds += 1;
            let session = sessions.get_mut(index).ok_or(StaffError::Protocol { what: "an inconsistent listing" })?;
            server.fresh(identities, session).await?;
            let Some(page) = server.list(session, cursor.as_deref()).await? else {
                // The submission the page was to start after left the server meanwhile.
                cursor = None;
                continue;
            };
            let new: Vec<&Listed> = page.iter().filter(|l| attempted.insert(l.id.clone())).collect();
            total += new.len() as u64;
            progress.total(total);
            for listed in &new {
                server.fresh(identities, session).await?;
                match pull_one(server, session, listed, &options.out, identities, options.ack).await {
                    Ok(Pulled::Saved(saved)) => {
                        if options.ack {
                            removed.insert(listed.id.clone());
                        }
                        summary.saved(saved);
                    }
                    Ok(Pulled::AlreadySaved(saved)) => {
                        if options.ack {
                            removed.insert(listed.id.clone());
                        }
                        summary.already_saved += 1;
                        summary.submissions.push(Outcome {
                            id: saved.id,
                            status: "already saved",
                            folder: Some(for_terminal(&saved.folder)),
                            form: Some(saved.form),
                            error: None,
                            hints: Vec::new(),
                        });
                    }
                    Err(StaffError::Gone { .. }) => {
                        removed.insert(listed.id.clone());
                        summary.gone += 1;
                    }
                    // A local file that could not be written concerns this submission only: it
                    // stays on the server, the others go on (as `open` does).
                    Err(e) if e.is_per_submission() || matches!(e, StaffError::Io { .. }) => {
                        summary.failed(&listed.id, &e)
                    }
                    Err(e) => return Err(e),
                }
                progress.advance();
            }
            let next = page.iter().rev().find(|l| !removed.contains(&l.id)).map(|l| l.id.clone());
            if new.is_empty() && (next.is_none() || next == cursor) {
                // Nothing new on this page, and no further to go (an older server, which ignores
                // `after`, ends here too).
                break;
            }
            if next.is_some() {
                cursor = next;
            }
        }
    }
    Ok(())
}

enum Pulled {
    Saved(Saved),
    AlreadySaved(Saved),
}

async fn pull_one(
    server: &Server,
    session: &Session,
    listed: &Listed,
    out: &Path,
    identities: &Arc<Identities>,
    ack: bool,
) -> Result<Pulled, StaffError> {
    let (id, files) = plan(listed)?;
    let target = out.join(id.as_str());
    let task_failed =
        || StaffError::Io { path: out.display().to_string(), reason: "the decryption task failed".into() };
    if fs::symlink_metadata(&target).is_ok() {
        // Saved by a run that was interrupted before its ack: acknowledge, don't write again.
        let listed_sums: BTreeMap<FileName, String> = files.iter().map(|f| (f.name, f.sha256.clone())).collect();
        if recorded_sums(&target).as_ref() != Some(&listed_sums) {
            return Err(StaffError::LocalDiffers { id: id.to_string(), folder: target.display().to_string() });
        }
        let (folder, root, checked) = (target.clone(), out.to_owned(), id.clone());
        let attachments = files.len().saturating_sub(1);
        tokio::task::spawn_blocking(move || {
            verify_saved_folder(checked.as_str(), &folder, attachments)?;
            // That run may have stopped between its rename and the fsync of OUT.
            sync_dir(&folder).map_err(io_error(&folder))?;
            sync_dir(&root).map_err(io_error(&root))
        })
        .await
        .map_err(|_| task_failed())??;
        if ack {
            let secret = fetch_ack_secret(server, session, &id, &files, out, identities).await?;
            server.ack(session, id.as_str(), &files, secret).await?;
        }
        let saved = Saved {
            id: id.to_string(),
            form: for_terminal(&listed.form),
            folder: target.display().to_string(),
            attachments,
            files: Vec::new(),
        };
        return Ok(Pulled::AlreadySaved(saved));
    }

    check_free_space(out, &id, &files, free_space(out).map_err(io_error(out))?)?;
    let staging = Staging::begin(out, &id)?;
    let cipher_dir = staging.cipher_dir()?;
    let mut cipher = Vec::new();
    for file in &files {
        let path = cipher_dir.join(file.name.to_string());
        server.download(session, id.as_str(), file, &path).await?;
        cipher.push(CipherFile { name: file.name, path, sha256: file.sha256.clone() });
    }
    let form = listed.form.clone();
    let ids = identities.clone();
    let (saved, secret) = tokio::task::spawn_blocking(move || {
        let (saved, secret) = staging.fill(&cipher, &ids, Some(&form))?;
        let folder = staging.commit()?;
        verify_folder(&saved.id, &folder, &saved.files)?;
        Ok::<_, StaffError>((saved, secret))
    })
    .await
    .map_err(|_| task_failed())??;
    if ack {
        server.ack(session, id.as_str(), &files, secret).await?;
    }
    Ok(Pulled::Saved(saved))
}

/// Refuses to start on submission `id` unless `available` bytes (the free space on the disk of
/// `out`, `None` where it cannot be known) hold it: its files as listed, twice — the ciphertext
/// waits in the partial folder while the readable copy, at most as large, is written beside it —
/// and [`FREE_SPACE_MARGIN`] left over. Checked before each download, so what earlier
/// submissions took is counted.
fn check_free_space(
    out: &Path,
    id: &SubmissionId,
    files: &[ListedPlan],
    available: Option<u64>,
) -> Result<(), StaffError> {
    let Some(available) = available else { return Ok(()) };
    let listed = files.iter().fold(0u64, |sum, f| sum.saturating_add(f.size));
    let needed = listed.saturating_mul(2).saturating_add(FREE_SPACE_MARGIN);
    if needed <= available {
        return Ok(());
    }
    let size = |n: u64| bytesize::ByteSize(n).display().iec().to_string();
    Err(StaffError::NoSpace {
        id: id.to_string(),
        out: out.display().to_string(),
        needed: size(needed),
        available: size(available),
    })
}

/// The bytes an unprivileged user may still write on the file system holding `path`
/// (`statvfs`'s `f_bavail` × `f_frsize`, as `df` shows them).
#[cfg(unix)]
fn free_space(path: &Path) -> io::Result<Option<u64>> {
    let stat = rustix::fs::statvfs(path)?;
    Ok(Some(stat.f_bavail.saturating_mul(stat.f_frsize)))
}

/// Where `statvfs` does not exist the free space is not checked beforehand; a full disk then
/// shows as a failed write, which leaves nothing half-written either (the partial folder is
/// removed). The staff client's own crate will use `GetDiskFreeSpaceExW` there.
#[cfg(not(unix))]
fn free_space(_: &Path) -> io::Result<Option<u64>> {
    Ok(None)
}

/// The ack secret of a submission saved by an earlier run (which never wrote it down): downloads
/// and decrypts its envelope once more, in a partial folder that is removed afterwards.
async fn fetch_ack_secret(
    server: &Server,
    session: &Session,
    id: &SubmissionId,
    files: &[ListedPlan],
    out: &Path,
    identities: &Arc<Identities>,
) -> Result<Option<AckSecret>, StaffError> {
    let envelope = files
        .iter()
        .find(|f| f.name == FileName::Envelope)
        .ok_or(StaffError::Protocol { what: "a listing without an envelope" })?;
    let staging = Staging::begin(out, id)?;
    let path = staging.cipher_dir()?.join(envelope.name.to_string());
    server.download(session, id.as_str(), envelope, &path).await?;
    let (ids, checked) = (identities.clone(), id.clone());
    tokio::task::spawn_blocking(move || {
        let (mut envelope, _) = read_envelope(&ids, checked.as_str(), &path)?;
        drop(staging);
        Ok(envelope.ack.take())
    })
    .await
    .map_err(|_| StaffError::Io { path: out.display().to_string(), reason: "the decryption task failed".into() })?
}

/// `sealpost-staff open`: decrypts submission folders copied by other means (rsync, backup) —
/// `path` itself, or the submission folders up to two levels below it — into `out`, verified and
/// written exactly as `pull` does.
pub fn open(path: &Path, identity: &Path, out: &Path) -> Result<Summary, StaffError> {
    let folders = submission_folders(path)?;
    let identities = Identities::load(identity)?;
    prepare_out(out)?;
    let _lock = lock_out(out)?;
    let mut summary = Summary::default();
    for folder in folders {
        let label = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match open_one(&folder, &identities, out) {
            Ok(saved) => summary.saved(saved),
            Err(e) if e.is_per_submission() || matches!(e, StaffError::Io { .. }) => summary.failed(&label, &e),
            Err(e) => return Err(e),
        }
    }
    Ok(summary)
}

/// `path` if it is a submission folder, else the submission folders one or two levels below.
fn submission_folders(path: &Path) -> Result<Vec<PathBuf>, StaffError> {
    let is_submission = |p: &Path| p.join("envelope.age").is_file();
    let subdirs = |p: &Path| -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = fs::read_dir(p)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect())
            .unwrap_or_default();
        dirs.sort();
        dirs
    };
    if !path.is_dir() {
        return Err(StaffError::NoSubmissionFolder { path: path.display().to_string() });
    }
    if is_submission(path) {
        return Ok(vec![path.to_owned()]);
    }
    let mut found: Vec<PathBuf> = subdirs(path).into_iter().filter(|p| is_submission(p)).collect();
    if found.is_empty() {
        found = subdirs(path).iter().flat_map(|p| subdirs(p)).filter(|p| is_submission(p)).collect();
    }
    if found.is_empty() {
        return Err(StaffError::NoSubmissionFolder { path: path.display().to_string() });
    }
    Ok(found)
}

fn open_one(folder: &Path, identities: &Identities, out: &Path) -> Result<Saved, StaffError> {
    let mut cipher = Vec::new();
    for entry in fs::read_dir(folder).map_err(io_error(folder))? {
        let entry = entry.map_err(io_error(folder))?;
        let Some(name) = entry.file_name().to_str().and_then(FileName::parse) else {
            continue;
        };
        let path = entry.path();
        if path.is_file() {
            let sha256 = sha256_file(&path).map_err(io_error(&path))?;
            cipher.push(CipherFile { name, path, sha256 });
        }
    }
    let id = match folder.file_name().and_then(|n| n.to_str()).and_then(SubmissionId::parse) {
        Some(id) => id,
        None => {
            // Renamed by whoever copied it: the envelope knows its id.
            let envelope =
                cipher.iter().find(|c| c.name == FileName::Envelope).map(|c| c.path.clone()).unwrap_or_default();
            let (env, _) = read_envelope(identities, "?", &envelope)?;
            SubmissionId::parse(&env.id).ok_or_else(|| StaffError::BadEnvelope {
                id: "?".into(),
                what: "the envelope holds a malformed submission id".into(),
            })?
        }
    };
    let target = out.join(id.as_str());
    if fs::symlink_metadata(&target).is_ok() {
        return Err(StaffError::AlreadyOpened { id: id.to_string(), folder: target.display().to_string() });
    }
    let staging = Staging::begin(out, &id)?;
    // `open` acknowledges nothing: the secret is dropped (and wiped) here.
    let (saved, _secret) = staging.fill(&cipher, identities, None)?;
    staging.commit()?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn file_names_lose_their_folders_and_dangerous_characters() {
        assert_eq!(safe_file_name("../../x", 1), "x");
        assert_eq!(safe_file_name("/etc/passwd", 1), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\a\\evil.exe", 1), "evil.exe");
        assert_eq!(safe_file_name("a\0b.txt", 1), "ab.txt");
        assert_eq!(safe_file_name("report\u{1b}[31m.pdf", 1), "report[31m.pdf");
        assert_eq!(safe_file_name("invoice\u{202E}fdp.exe", 1), "invoicefdp.exe");
        assert_eq!(safe_file_name("a<b>c:d\"e|f?g*h", 1), "a_b_c_d_e_f_g_h");
        assert_eq!(safe_file_name(".bashrc", 1), "bashrc");
        assert_eq!(safe_file_name("name. . .", 1), "name");
    }

    /// Unicode's invisible format characters (category Cf) that the sanitiser must drop.
    fn is_listed_format_character(c: char) -> bool {
        matches!(
            c,
            '\u{AD}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{E0000}'..='\u{E007F}'
        )
    }

    #[test]
    fn file_names_lose_invisible_format_characters() {
        assert_eq!(safe_file_name("in\u{AD}voice\u{200B}.pdf\u{FEFF}", 1), "invoice.pdf");
        assert_eq!(safe_file_name("pay\u{200D}pal\u{2060}.exe", 1), "paypal.exe");
        assert_eq!(safe_file_name("a\u{E0041}\u{E0042}\u{E007F}b.txt", 1), "ab.txt");
        assert_eq!(safe_file_name("\u{200B}\u{FEFF}", 4), "attachment-4");
        assert_eq!(safe_file_name("\u{200B}.bashrc", 1), "bashrc", "no hidden file behind a zero-width space");
    }

    #[test]
    fn file_names_that_would_be_empty_or_special_get_a_numbered_name() {
        for raw in ["", ".", "..", "../..", "/", "\\", " ", "\u{202E}", "\0\0", "..."] {
            assert_eq!(safe_file_name(raw, 3), "attachment-3", "{raw:?}");
        }
    }

    #[test]
    fn windows_device_names_are_disarmed() {
        for raw in ["CON", "con.txt", "NUL", "nul.tar.gz", "COM1", "lpt9.doc", "AUX ", "COM¹", "CONOUT$"] {
            let safe = safe_file_name(raw, 1);
            assert!(safe.starts_with('_'), "{raw:?} → {safe:?}");
        }
        for fine in ["CONTACT.txt", "COM10", "console.log", "nullable.rs"] {
            assert_eq!(safe_file_name(fine, 1), fine);
        }
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary_keeping_the_extension() {
        let long = format!("{}.pdf", "é".repeat(10_000));
        let safe = safe_file_name(&long, 1);
        assert!(safe.len() <= MAX_NAME_BYTES);
        assert!(safe.ends_with("é.pdf"), "{safe}");
        let no_ext = "x".repeat(10_000);
        assert_eq!(safe_file_name(&no_ext, 1).len(), MAX_NAME_BYTES - 1);
    }

    #[test]
    fn text_keeps_newlines_and_tabs_but_not_escapes_or_overrides() {
        let text = neutralize_text("line 1\r\nline 2\rline\t3 \u{1b}[2J\u{9b}31m \u{202E}abc\u{2066} مرحبا\u{200F}");
        assert_eq!(text, "line 1\nline 2\nline\t3 \u{FFFD}[2J\u{FFFD}31m \u{FFFD}abc\u{FFFD} مرحبا\u{200F}");
        assert!(!for_terminal("a\nb\tc\u{7}").contains(['\n', '\t', '\u{7}']));
    }

    #[test]
    fn json_for_envelope_json_escapes_what_could_drive_a_terminal() {
        let value = serde_json::json!({ "v": "a\u{1b}b\u{9b}c\u{202E}d\u{2028}e" });
        let escaped = escape_json(&serde_json::to_string(&value).unwrap());
        assert!(escaped.chars().all(|c| !c.is_control() && !is_bidi_control(c)), "{escaped}");
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn server_urls_must_be_https_unless_they_point_at_this_machine() {
        assert_eq!(parse_server_url("https://forms.example.org").unwrap().as_str(), "https://forms.example.org/");
        assert_eq!(parse_server_url("https://example.org/sealpost").unwrap().as_str(), "https://example.org/sealpost/");
        for ok in ["http://127.0.0.1:8080", "http://[::1]:8080/", "http://localhost:8080", "http://127.1.2.3"] {
            assert!(parse_server_url(ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("http://example.org", 2),
            ("http://10.0.0.1:8080", 2),
            ("ftp://example.org", 2),
            ("example.org", 2),
            ("https://user:pw@example.org", 2),
            ("https://example.org/?x=1", 2),
        ] {
            assert_eq!(parse_server_url(bad).unwrap_err().code(), code, "{bad}");
        }
        for refused in [
            "http://2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
            "http://evil.org/.onion",
            "http://localhost.evil.org",
            "http://[::ffff:127.0.0.1]:8080",
            "http://[::2]",
            "http://0.0.0.0:8080",
            "http://128.0.0.1",
        ] {
            let err = parse_server_url(refused).unwrap_err();
            assert!(matches!(err, StaffError::PlainHttp { .. }), "{refused}: {err}");
            assert_eq!(err.code(), 2);
        }
        assert!(parse_server_url("https://2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion").is_ok());
    }

    #[test]
    fn refusing_plain_http_names_the_ways_that_work() {
        let onion =
            parse_server_url("http://2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.ONION").unwrap_err();
        let hints = onion.hints();
        assert_eq!(hints.len(), 1);
        assert!(hints[0].contains("https://") && hints[0].contains("ssh -L"), "{hints:?}");
        let elsewhere = parse_server_url("http://forms.example.org").unwrap_err().hints();
        assert!(!elsewhere[0].contains("onion"), "{elsewhere:?}");
    }

    fn identity_text() -> (String, String) {
        let new = generate_identity();
        (new.text.to_string(), new.public)
    }

    #[test]
    fn identity_files_yield_one_recipient_per_key() {
        let (a, pa) = identity_text();
        let (b, pb) = identity_text();
        let ids = Identities::parse("id.txt", &format!("{a}\n# another\n{b}")).unwrap();
        assert_eq!(ids.recipients(), [pa, pb]);
    }

    #[test]
    fn identity_files_with_garbage_name_the_line_but_not_its_content() {
        let (a, _) = identity_text();
        let err = Identities::parse("id.txt", &format!("{a}age1notasecret\n")).err().unwrap();
        assert_eq!(err.to_string(), "identity file id.txt: line 4 is not an age identity");
        let err = Identities::parse("id.txt", "# only comments\n\n").err().unwrap();
        assert_eq!(err.to_string(), "identity file id.txt holds no identities");
        assert_eq!(err.code(), 2);
    }

    #[test]
    fn a_missing_plugin_is_named() {
        let plugin = age::plugin::Identity::default_for_plugin("nosuchplugin").unwrap();
        let err = Identities::parse("id.txt", &format!("{plugin}\n")).err().unwrap();
        let StaffError::PluginMissing { plugin, .. } = &err else { panic!("{err}") };
        assert_eq!(plugin, "nosuchplugin");
    }

    fn armored_to(recipient: &age::x25519::Recipient, plain: &[u8]) -> String {
        use age::armor::{ArmoredWriter, Format};
        let enc = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient)).unwrap();
        let mut w = enc.wrap_output(ArmoredWriter::wrap_output(Vec::new(), Format::AsciiArmor).unwrap()).unwrap();
        w.write_all(plain).unwrap();
        String::from_utf8(w.finish().unwrap().finish().unwrap()).unwrap()
    }

    #[test]
    fn only_real_challenges_are_answered() {
        let key = age::x25519::Identity::generate();
        let ids = Identities::parse("id", key.to_string().expose_secret()).unwrap();
        let good = [CHALLENGE_LABEL, &[9u8; 32]].concat();
        assert_eq!(answer_challenge(&ids, &armored_to(&key.to_public(), &good)).unwrap().as_slice(), &[9u8; 32]);
        // A submission's 32-byte attachment, replayed as a challenge, is not decrypted for the server.
        for plain in [&[9u8; 32][..], &good[..good.len() - 1], &[good.as_slice(), b"x"].concat()] {
            let err = answer_challenge(&ids, &armored_to(&key.to_public(), plain)).unwrap_err();
            assert!(matches!(err, StaffError::Protocol { .. }), "{err}");
        }
        let other = age::x25519::Identity::generate();
        let err = answer_challenge(&ids, &armored_to(&other.to_public(), &good)).unwrap_err();
        assert!(matches!(err, StaffError::ChallengeNotForUs));
        assert!(matches!(answer_challenge(&ids, "garbage").unwrap_err(), StaffError::Protocol { .. }));
    }

    #[test]
    fn listings_with_path_tricks_are_refused() {
        let file =
            |name: &str| sealpost_format::wire::ListedFile { name: name.into(), size: 1, sha256: "a".repeat(64) };
        let listed =
            |id: &str, files: Vec<sealpost_format::wire::ListedFile>| Listed { id: id.into(), form: "f".into(), files };
        let id = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
        assert!(plan(&listed(id, vec![file("envelope.age"), file("1.age")])).is_ok());
        assert!(plan(&listed("../../etc", vec![file("envelope.age")])).is_err());
        assert!(plan(&listed(id, vec![file("envelope.age"), file("../1.age")])).is_err());
        assert!(plan(&listed(id, vec![file("1.age")])).is_err(), "no envelope");
        assert!(plan(&listed(id, vec![file("envelope.age"), file("envelope.age")])).is_err(), "duplicate");
    }

    #[test]
    fn unique_names_count_up_before_the_extension() {
        let tmp = tempfile::tempdir().unwrap();
        let mut taken = FolderNames::default();
        let names: Vec<String> =
            (0..3).map(|_| create_attachment(tmp.path(), &mut taken, "a.pdf", 1).unwrap().1).collect();
        assert_eq!(names, ["a.pdf", "a (2).pdf", "a (3).pdf"]);
        assert_eq!(create_attachment(tmp.path(), &mut taken, "noext", 1).unwrap().1, "noext");
        assert_eq!(create_attachment(tmp.path(), &mut taken, "noext", 1).unwrap().1, "noext (2)");
    }

    #[test]
    fn names_that_differ_only_in_case_or_were_taken_by_our_own_files_are_made_unique() {
        let tmp = tempfile::tempdir().unwrap();
        let mut taken = FolderNames::default();
        taken.reserve(SUBMISSION_TXT);
        for (name, expected) in [
            ("Submission.TXT", "Submission (2).TXT"),
            ("scan.pdf", "scan.pdf"),
            ("SCAN.pdf", "SCAN (2).pdf"),
            ("scan (2).pdf", "scan (2) (2).pdf"),
            ("scan.pdf", "scan (3).pdf"),
        ] {
            assert_eq!(create_attachment(tmp.path(), &mut taken, name, 1).unwrap().1, expected, "{name}");
        }
    }

    #[test]
    fn names_that_fold_or_normalize_to_one_name_are_made_unique() {
        let tmp = tempfile::tempdir().unwrap();
        let mut taken = FolderNames::default();
        taken.reserve(SUBMISSION_TXT);
        taken.reserve(ENVELOPE_JSON);
        for (name, expected) in [
            // Long s and dotless i upper-case to S and I: NTFS, exFAT and APFS see submission.txt.
            ("\u{17f}ubmission.txt", "\u{17f}ubmission (2).txt"),
            ("subm\u{131}ssion.txt", "subm\u{131}ssion (3).txt"),
            ("ENVELOPE.JSON", "ENVELOPE (2).JSON"),
            // NFC é, then NFD e + U+0301: one name on APFS.
            ("caf\u{e9}.pdf", "caf\u{e9}.pdf"),
            ("cafe\u{301}.pdf", "cafe\u{301} (2).pdf"),
            ("CAFE\u{301}.PDF", "CAFE\u{301} (3).PDF"),
            ("caf\u{e9} (2).pdf", "caf\u{e9} (2) (2).pdf"),
            // The Kelvin sign is K after normalization.
            ("\u{212a}ey.txt", "\u{212a}ey.txt"),
            ("key.txt", "key (2).txt"),
        ] {
            assert_eq!(create_attachment(tmp.path(), &mut taken, name, 1).unwrap().1, expected, "{name:?}");
        }
    }

    #[tokio::test]
    async fn a_body_that_is_always_ready_still_stops_at_a_deadline_already_passed() {
        let mut server = Server::new("https://sealpost.example", None).unwrap();
        server.deadline_in(Duration::ZERO);
        let mut response = reqwest::Response::from(http::Response::new(reqwest::Body::from(vec![7u8; 4096])));
        let mut floor = RateFloor::new(Instant::now(), None);
        let result = server.chunk(&mut response, &mut floor).await;
        assert!(matches!(result, Err(StaffError::TimedOut { .. })), "{:?}", result.map(|c| c.map(|b| b.len())));
    }

    /// A key that waits for a release, as a hardware token waits for a touch; gives up after a
    /// while so that a test of a client that waits does not hang for ever.
    struct WaitingKey(std::sync::Mutex<std::sync::mpsc::Receiver<()>>);

    impl age::Identity for WaitingKey {
        fn unwrap_stanza(
            &self,
            _: &age_core::format::Stanza,
        ) -> Option<Result<age_core::format::FileKey, age::DecryptError>> {
            let _ = self.0.lock().unwrap().recv_timeout(Duration::from_secs(10));
            None
        }
    }

    #[tokio::test]
    async fn a_challenge_waiting_for_a_hardware_token_is_given_up_at_the_deadline() {
        let (release, waiting) = std::sync::mpsc::channel();
        let ids = Arc::new(Identities {
            keys: vec![Box::new(WaitingKey(std::sync::Mutex::new(waiting)))],
            recipients: Vec::new(),
        });
        let key = age::x25519::Identity::generate();
        let challenge = armored_to(&key.to_public(), &[CHALLENGE_LABEL, &[9u8; 32]].concat());
        let mut server = Server::new("https://sealpost.example", None).unwrap();
        server.deadline_in(Duration::ZERO);
        let result = server.answer(&ids, challenge).await.map(|_| ());
        release.send(()).unwrap();
        assert!(matches!(result, Err(StaffError::TimedOut { .. })), "{result:?}");
    }

    #[test]
    fn the_ack_body_is_built_in_a_wiped_buffer_that_never_grew() {
        let secret = "ab".repeat(32);
        let body = AckRequest {
            sha256: [("envelope.age".to_string(), "cd".repeat(32)), ("1.age".to_string(), "ef".repeat(32))].into(),
            ack: AckSecret::from_hex(&secret),
        };
        let bytes: Zeroizing<Vec<u8>> = json_bytes(&body);
        // Allocated once at its final size: no smaller buffer holding the secret was freed unwiped.
        assert_eq!(bytes.capacity(), bytes.len());
        let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(parsed["ack"], secret.as_str());
        assert_eq!(parsed["sha256"]["1.age"], "ef".repeat(32).as_str());
    }

    #[test]
    fn nine_thousand_nine_hundred_and_ninety_nine_same_named_attachments_get_distinct_names_at_linear_cost() {
        use std::cell::{Cell, RefCell};
        const COUNT: usize = 9_999;
        let tmp = tempfile::tempdir().unwrap();
        let scratch = File::create(tmp.path().join("scratch")).unwrap();
        // An in-memory folder that counts every file creation tried, and stops answering once a
        // linear budget is spent (a quadratic search would try about 50 million names).
        let made = RefCell::new(HashSet::new());
        let tried = Cell::new(0usize);
        let create = |path: &Path| -> io::Result<File> {
            tried.set(tried.get() + 1);
            if tried.get() > 2 * COUNT {
                return Err(io::Error::other("over the linear budget"));
            }
            if !made.borrow_mut().insert(path.to_owned()) {
                return Err(io::ErrorKind::AlreadyExists.into());
            }
            scratch.try_clone()
        };
        let mut taken = FolderNames::default();
        let mut names = HashSet::new();
        for number in 1..=COUNT {
            let (_, name) = create_attachment_with(tmp.path(), &mut taken, "scan.pdf", number, &create).unwrap();
            names.insert(name);
        }
        assert_eq!(names.len(), COUNT, "every name is distinct");
        assert!(names.contains("scan.pdf") && names.contains("scan (9999).pdf"));
        assert!(tried.get() <= 2 * COUNT, "{} creations tried", tried.get());
        assert!(taken.probes <= 2 * COUNT, "{} names considered", taken.probes);
    }

    /// A file system that refuses names longer than `max` bytes or outside ASCII, as some do.
    fn picky(max: usize, errno: i32) -> impl Fn(&Path) -> io::Result<File> {
        move |path: &Path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            if name.len() > max || !name.is_ascii() {
                return Err(io::Error::from_raw_os_error(errno));
            }
            create_private(path)
        }
    }

    #[test]
    fn an_attachment_name_the_file_system_refuses_is_saved_as_attachment_n() {
        let tmp = tempfile::tempdir().unwrap();
        let mut taken = FolderNames::default();
        const ENAMETOOLONG: i32 = 36;
        const EILSEQ: i32 = 84;
        const EINVAL: i32 = 22;
        for (errno, name, expected) in [
            (ENAMETOOLONG, "a rather long name for this file system.pdf", "attachment-2.pdf"),
            (EILSEQ, "Überweisung.PDF", "attachment-3.PDF"),
            (EINVAL, "отчёт", "attachment-4"),
            (EINVAL, "report.tar.gz ~ weird?ext", "attachment-5"),
        ] {
            let number: usize = expected.trim_start_matches("attachment-").split('.').next().unwrap().parse().unwrap();
            let (_, saved) =
                create_attachment_with(tmp.path(), &mut taken, name, number + 10, &picky(20, errno)).unwrap();
            let (_, saved_again) =
                create_attachment_with(tmp.path(), &mut taken, name, number, &picky(20, errno)).unwrap();
            assert!(tmp.path().join(&saved).is_file() && tmp.path().join(&saved_again).is_file());
            assert_eq!(saved_again, expected, "{name:?}");
        }
        let (_, fits) = create_attachment_with(tmp.path(), &mut taken, "short.pdf", 9, &picky(20, EINVAL)).unwrap();
        assert_eq!(fits, "short.pdf", "names the file system takes are kept");
    }

    #[test]
    fn when_even_the_plain_name_is_refused_the_error_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let full = |_: &Path| -> io::Result<File> { Err(io::Error::from_raw_os_error(28)) };
        let err = create_attachment_with(tmp.path(), &mut FolderNames::default(), "a.pdf", 1, &full).unwrap_err();
        let StaffError::Io { path, reason } = &err else { panic!("{err}") };
        assert!(path.ends_with("attachment-1.pdf") && reason.contains("space"), "{err}");
    }

    #[test]
    fn fallback_names_keep_only_a_plain_extension() {
        assert_eq!(fallback_name("scan.pdf", 1), "attachment-1.pdf");
        assert_eq!(fallback_name("archive.tar.gz", 2), "attachment-2.gz");
        assert_eq!(fallback_name("no extension", 3), "attachment-3");
        assert_eq!(fallback_name("x.pdf\u{200B}", 4), "attachment-4");
        assert_eq!(fallback_name("x.verylongext", 5), "attachment-5");
        assert_eq!(fallback_name("x.ñ", 6), "attachment-6");
        assert_eq!(fallback_name(".pdf", 7), "attachment-7");
    }

    #[test]
    fn a_server_announcing_an_endless_session_is_believed_for_fifteen_minutes_at_most() {
        let now = Instant::now();
        assert_eq!(renew_at(now, u64::MAX), now + SESSION_TTL - SESSION_MARGIN);
        assert_eq!(renew_at(now, SESSION_TTL.as_secs() + 1), now + SESSION_TTL - SESSION_MARGIN);
        assert_eq!(renew_at(now, 600), now + Duration::from_secs(600) - SESSION_MARGIN);
        assert_eq!(renew_at(now, 0), now);
    }

    #[test]
    fn a_listed_file_larger_than_the_download_bound_is_refused_before_downloading() {
        let listed = |size: u64| Listed {
            id: "aaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
            form: "f".into(),
            files: vec![sealpost_format::wire::ListedFile {
                name: "envelope.age".into(),
                size,
                sha256: "a".repeat(64),
            }],
        };
        assert!(plan(&listed(MAX_DOWNLOAD_BYTES)).is_ok());
        let Err(err) = plan(&listed(MAX_DOWNLOAD_BYTES + 1)) else { panic!("an oversized file was accepted") };
        assert!(err.is_per_submission());
        assert_eq!(
            err.to_string(),
            "submission aaaaaaaaaaaaaaaaaaaaaaaaaa: the server lists envelope.age as larger than the 8 GiB this program downloads"
        );
    }

    #[test]
    fn a_body_dripping_a_byte_every_five_seconds_falls_below_the_floor_after_the_first_window() {
        let start = Instant::now();
        let mut floor = RateFloor::new(start, Some(20 << 20));
        let mut at = start;
        let mut failed_at = None;
        for _ in 0..100 {
            at += Duration::from_secs(5);
            if floor.received(at, 1).is_err() {
                failed_at = Some(at - start);
                break;
            }
        }
        assert_eq!(failed_at, Some(RATE_GRACE + RATE_WINDOW));
    }

    #[test]
    fn a_twenty_mebibyte_attachment_at_the_floor_rate_is_never_cut_off() {
        let start = Instant::now();
        let size: u64 = 20 << 20;
        let mut floor = RateFloor::new(start, Some(size));
        let mut sent = 0;
        let mut at = start;
        while sent < size {
            // One piece a second, at exactly the floor.
            at += Duration::from_secs(1);
            let piece = MIN_TRANSFER_RATE.min(size - sent);
            assert!(floor.received(at, piece).is_ok(), "cut off after {sent} bytes");
            sent += piece;
        }
        assert!(at - start < DEFAULT_PULL_TIMEOUT, "the default --timeout holds it");
    }

    #[test]
    fn the_last_bytes_of_a_body_need_not_fill_a_window() {
        let start = Instant::now();
        let mut floor = RateFloor::new(start, Some(MIN_TRANSFER_RATE * 30 + 10));
        assert!(floor.received(start + RATE_GRACE, MIN_TRANSFER_RATE * 30).is_ok());
        let first = start + RATE_GRACE + RATE_WINDOW;
        assert!(floor.received(first, 0).is_ok(), "the first window brought the floor");
        // Ten bytes were left: a window that brings those ten is fast enough.
        assert!(floor.received(first + RATE_WINDOW, 10).is_ok());
        let mut stalled = RateFloor::new(start, None);
        assert!(stalled.received(start + RATE_GRACE, 0).is_ok(), "the grace is not measured");
        assert!(stalled.received(first, 0).is_err(), "a body of unknown size that stops is too slow");
    }

    #[test]
    fn a_submission_is_started_only_if_twice_its_size_and_the_margin_are_free() {
        let id = SubmissionId::parse("aaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        let file = |size| ListedPlan { name: FileName::Envelope, size, sha256: "a".repeat(64) };
        let files = [file(1 << 30)];
        let out = Path::new("out");
        let exactly = (2 << 30) + FREE_SPACE_MARGIN;
        assert!(check_free_space(out, &id, &files, Some(exactly)).is_ok());
        assert!(check_free_space(out, &id, &files, None).is_ok(), "unknown free space is not checked");
        assert!(check_free_space(out, &id, &files, Some(exactly - 1)).is_err());
        let err = check_free_space(out, &id, &files, Some(1 << 30)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "submission aaaaaaaaaaaaaaaaaaaaaaaaaa needs 2.5 GiB of free space in out, which has only 1.0 GiB"
        );
        assert!(err.stops_the_pull() && err.code() == 1);
        let huge = [file(u64::MAX), file(u64::MAX)];
        assert!(check_free_space(out, &id, &huge, Some(u64::MAX - 1)).is_err(), "sizes saturate, never wrap");
    }

    #[test]
    fn the_free_space_of_a_real_folder_is_known() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(free_space(tmp.path()).unwrap().is_some_and(|n| n > 0));
    }

    #[test]
    fn only_one_run_at_a_time_holds_an_out_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let first = lock_out(tmp.path()).unwrap();
        assert!(matches!(lock_out(tmp.path()), Err(StaffError::OutBusy { .. })));
        drop(first);
        assert!(lock_out(tmp.path()).is_ok(), "the lock goes with the run");
    }

    #[test]
    fn a_committed_folder_must_hold_exactly_what_was_written() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("a.txt"), b"abc").unwrap();
        fs::write(tmp.path().join("b.txt"), b"").unwrap();
        let expected = [("a.txt".to_string(), 3), ("b.txt".to_string(), 0)];
        assert!(verify_folder("x", tmp.path(), &expected).is_ok());
        assert!(matches!(verify_folder("x", tmp.path(), &expected[..1]), Err(StaffError::FolderIncomplete { .. })));
        fs::write(tmp.path().join("b.txt"), b"?").unwrap();
        assert!(matches!(verify_folder("x", tmp.path(), &expected), Err(StaffError::FolderIncomplete { .. })));
        fs::remove_file(tmp.path().join("b.txt")).unwrap();
        assert!(matches!(verify_folder("x", tmp.path(), &expected), Err(StaffError::FolderIncomplete { .. })));
    }

    #[test]
    fn out_and_the_folders_above_it_are_created_when_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("a/b/out");
        prepare_out(&out).unwrap();
        assert!(out.is_dir());
        prepare_out(&out).unwrap();
        fs::write(tmp.path().join("file"), b"").unwrap();
        assert!(matches!(prepare_out(&tmp.path().join("file")), Err(StaffError::OutDir { .. })));
    }

    #[test]
    fn keygen_refuses_to_overwrite_and_writes_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("id.txt");
        let public = keygen_to_file(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("# public key: {public}\n")) && text.contains("AGE-SECRET-KEY-1"));
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let err = keygen_to_file(&path).unwrap_err();
        assert!(matches!(err, StaffError::KeygenExists { .. }));
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "the identity must be untouched");
    }

    /// Vectors the pinned age crate accepts although the spec says `header failure`.
    const AGE_CRATE_LENIENT: &[&str] = &["stanza_missing_body", "stanza_missing_final_line"];

    /// The C2SP age test vectors with X25519 identities: every `success` decrypts to the expected
    /// payload hash through our streaming path; every failure is refused (never a partial success).
    #[test]
    fn cctv_age_vectors_decrypt_or_fail_as_specified() {
        // Vendored with their licence (crates/staff/tests/vectors/cctv-age/README.md says from where).
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/cctv-age/testdata");
        let entries = fs::read_dir(&dir).unwrap();
        let mut checked = 0;
        let mut wrong = Vec::new();
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = fs::read(&path).unwrap();
            let split = bytes.windows(2).position(|w| w == b"\n\n").unwrap();
            let header = std::str::from_utf8(&bytes[..split]).unwrap();
            let mut body = bytes[split + 2..].to_vec();
            let field = |k: &str| header.lines().find_map(|l| l.strip_prefix(&format!("{k}: "))).map(str::to_string);
            let identities: Vec<String> =
                header.lines().filter_map(|l| l.strip_prefix("identity: ")).map(str::to_string).collect();
            let x25519 = identities.iter().all(|i| i.starts_with("AGE-SECRET-KEY-1"));
            if identities.is_empty() || !x25519 {
                continue; // passphrase or post-quantum vectors (age 0.12 lacks the latter)
            }
            if field("compressed").as_deref() == Some("zlib") {
                let mut out = Vec::new();
                flate2::read::ZlibDecoder::new(&body[..]).read_to_end(&mut out).unwrap();
                body = out;
            }
            let ids = Identities::parse("vector", &identities.join("\n")).unwrap();
            let expect = field("expect").unwrap();
            let armored = field("armored").as_deref() == Some("yes");
            let result = (|| {
                // Login challenges are armored; spool files are binary.
                let mut stream: Box<dyn Read> = if armored {
                    Box::new(ids.decrypt(armored_reader(&body))?)
                } else {
                    Box::new(ids.decrypt(&body[..])?)
                };
                let mut plain = Vec::new();
                stream.read_to_end(&mut plain).map_err(stream_problem)?;
                Ok::<_, AgeProblem>(plain)
            })();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            match (expect.as_str(), result) {
                ("success", Ok(plain)) => {
                    let hash = data_encoding::HEXLOWER.encode(&Sha256::digest(&plain));
                    assert_eq!(Some(hash), field("payload"), "{name}");
                }
                ("no match", Err(AgeProblem::NotForUs)) => {}
                // age 0.12.1 accepts a stanza whose body line is missing; the header MAC still
                // authenticates the file, so this is leniency, not a forgery. Known, and pinned
                // here so an upgrade that fixes it is noticed.
                ("header failure", Ok(_)) if AGE_CRATE_LENIENT.contains(&name.as_str()) => {}
                (
                    "header failure" | "HMAC failure" | "payload failure" | "armor failure",
                    Err(AgeProblem::Damaged(_)),
                ) => {}
                (expect, result) => wrong.push(format!("{name}: expected {expect}, got {:?}", result.map(|p| p.len()))),
            }
            checked += 1;
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
        assert!(checked > 90, "only {checked} vectors checked");
    }

    proptest! {
        #[test]
        fn sanitised_names_are_always_safe(raw in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f/\\\\.\u{AD}\u{200B}-\u{200F}\u{202A}-\u{202E}\u{2060}-\u{2064}\u{2066}-\u{2069}\u{FEFF}\u{E0000}-\u{E007F} a-zA-Z]{0,300}", number in 1usize..100) {
            let name = safe_file_name(&raw, number);
            prop_assert!(!name.is_empty());
            prop_assert!(name != "." && name != "..");
            prop_assert!(!name.contains(['/', '\\', '\0']));
            prop_assert!(!name.chars().any(|c| c.is_control() || is_bidi_control(c)));
            prop_assert!(!name.chars().any(is_listed_format_character), "{:?}", name);
            prop_assert!(name.len() <= MAX_NAME_BYTES);
            prop_assert!(!name.starts_with('.') && !name.ends_with('.') && !name.ends_with(' '));
            prop_assert!(!is_windows_reserved(&name));
        }

        #[test]
        fn long_names_stay_bounded(stem in "[a-zé ]{150,3000}", ext in "\\.[a-z]{1,6}") {
            let name = safe_file_name(&format!("{stem}{ext}"), 1);
            prop_assert!(name.len() <= MAX_NAME_BYTES);
        }

        #[test]
        fn terminal_text_never_holds_controls(raw in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f\u{202A}-\u{202E} a-z]{0,100}") {
            let line = for_terminal(&raw);
            prop_assert!(!line.chars().any(|c| c.is_control() || is_bidi_reordering(c)));
        }
    }
}
