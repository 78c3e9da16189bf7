//! Why a staff command failed: [`StaffError`], its `hint:` lines and its exit code.
//!
//! Job: one error enum for the whole client (STYLE 5): every variant one lower-case line naming
//! the flag, file or submission it is about, its fixes in [`StaffError::hints`], its exit code in
//! [`StaffError::code`]; and which failures concern one submission only or stop a pull while
//! keeping what it saved.
//! Invariant: no variant carries a secret (identity, passphrase, session token, plaintext), and
//! text from the server or a submission reaches a variant only parsed or neutralised; an I/O
//! failure is told in [`io_reason`]'s words, without the OS error number.
//! Never: prints anything (the binary prints each message through `for_terminal` once more);
//! quotes an identity line, an age error string or a serde message.

use std::io;
use std::path::Path;

use sealpost_format::files::io_reason;

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
    /// The pull asked for [`MAX_LISTING_ROUNDS`](crate::MAX_LISTING_ROUNDS) listings and stopped;
    /// more may be waiting.
    #[error("stopped after {rounds} listings; more submissions may be waiting on the server")]
    Unfinished { rounds: usize },
    /// The pull ran for its whole `--timeout` and stopped.
    #[error("the pull ran out of time after {limit}; the submissions saved before then are kept")]
    TimedOut { limit: String },
    /// A response came in slower than [`MIN_TRANSFER_RATE`](crate::MIN_TRANSFER_RATE) for a whole
    /// [`RATE_WINDOW`](crate::RATE_WINDOW).
    #[error("{server} sent less than {rate} for {window}; the pull stopped")]
    TooSlow { server: String, rate: String, window: String },
    /// Saving a submission would leave less than [`FREE_SPACE_MARGIN`](crate::FREE_SPACE_MARGIN)
    /// free on the disk of `OUT`.
    #[error("submission {id} needs {needed} of free space in {out}, which has only {available}")]
    NoSpace { id: String, out: String, needed: String, available: String },
    /// `reply FOLDER`: the folder is not a saved submission.
    #[error("{folder}: not a submission folder saved by sealpost-staff (no envelope.json)")]
    NotSubmissionFolder { folder: String },
    /// `reply FOLDER`: the submission has no conversation.
    #[error("{folder}: this submission has no conversation; the person got no receipt, so a reply cannot reach them")]
    NoConversation { folder: String },
    /// The person deleted the conversation, or it expired.
    #[error("conversation {thread}: the person deleted it, or it expired; the reply was not sent")]
    ConversationGone { thread: String },
    /// No session of this identity can see the conversation.
    #[error("conversation {thread}: the server has no such conversation for this identity's forms")]
    ConversationUnknown { thread: String },
    /// `reply`: the message or documents are not a reply that can be sent.
    #[error("{what}")]
    BadReply { what: String },
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
            | StaffError::NoSubmissionFolder { .. }
            | StaffError::NotSubmissionFolder { .. }
            | StaffError::NoConversation { .. }
            | StaffError::BadReply { .. } => 2,
            _ => 1,
        }
    }

    /// Fixes, each printed as `hint: …`.
    pub fn hints(&self) -> Vec<String> {
        let one = |s: &str| vec![s.to_string()];
        match self {
            StaffError::BadUrl { .. } => one("write the server's address like https://forms.example.org"),
            StaffError::NotSubmissionFolder { .. } => {
                one("pass the folder `sealpost-staff pull` saved the submission in: OUT/<id>")
            }
            StaffError::NoConversation { .. } => one(
                "reach the person through the contact details in submission.txt, if it is safe; submissions sent before replies existed have no conversation",
            ),
            StaffError::ConversationGone { .. } => one(
                "the person can still write a new message through the website; there is no way to reach this conversation again",
            ),
            StaffError::ConversationUnknown { .. } => one(
                "check --server and that your key is on the recipients list of the conversation's form; a conversation is deleted a while after nobody acts on it",
            ),
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
            StaffError::BadReply { .. } => one("sealpost-staff reply OUT/<id> --message FILE (or - for standard input) [--attach FILE]…"),
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
    pub(crate) fn stops_the_pull(&self) -> bool {
        matches!(self, StaffError::TimedOut { .. } | StaffError::TooSlow { .. } | StaffError::NoSpace { .. })
    }

    /// Whether this failure concerns one submission only (the pull goes on with the others).
    pub(crate) fn is_per_submission(&self) -> bool {
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

/// Maps an I/O error on `path` to [`StaffError::Io`], for `map_err`.
pub(crate) fn io_error(path: &Path) -> impl Fn(io::Error) -> StaffError + '_ {
    move |e| StaffError::Io { path: path.display().to_string(), reason: io_reason(&e) }
}

/// `….onion`: a Tor onion service (named only to give the right hint).
fn is_onion_host(host: &str) -> bool {
    host.len() > ".onion".len() && host.to_ascii_lowercase().ends_with(".onion")
}
