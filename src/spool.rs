//! The crash-safe on-disk queue of sealed submissions (DESIGN §5).
//!
//! ```text
//! <data_dir>/spool/
//!   incoming/<id>/        being written; never listed; removed at startup
//!   ready/<form>/<id>/    complete and durable; 0700 dirs, 0600 files
//!   trash/                entries being deleted (rename first, then unlink)
//! ```
//!
//! Job: give the HTTP layer a [`Draft`] to seal into, and make it visible to staff only once
//! every byte and every directory entry is on stable storage.
//! Invariant: files are created `create_new` with mode 0600 and written only through
//! [`crate::seal`] writers, so only ciphertext reaches disk (invariant 2); the one exception,
//! [`ACK_FILE`], holds the SHA-256 of a random secret, nothing derived from the submission.
//! [`Draft::commit`]
//! returns only after fsync of files, rename into `ready/`, and fsync of the parent (invariant 3).
//! Never: names a path after anything a client sent; ids are random.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::seal::{AttachmentSealer, Envelope, Recipients, SealError, SharedFile};

/// Reserved per in-flight submission on top of `max_body`: the age header, chunk tags and
/// Padmé padding (≤ 12.5 %) can make ciphertext larger than the upload.
const CIPHERTEXT_OVERHEAD_DIVISOR: u64 = 8;
/// Fixed allowance per submission for the envelope, its ack record and directory entries.
const PER_SUBMISSION_ALLOWANCE: u64 = 64 * 1024;
/// The file in an entry beside `envelope.age` that holds the hex SHA-256 of the envelope's ack
/// secret ([`crate::seal::AckSecret`]): 64 bytes, no newline. Only the digest of a random value,
/// nothing derived from the submission; never listed or served (it is not a [`crate::pull::FileName`],
/// which are `envelope.age` and `N.age` only). An entry without one was written before envelope
/// version 2.
pub const ACK_FILE: &str = "ack.sha256";

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

/// Why the spool could not take a submission.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// Accepting would exceed `max_spool`, or the disk itself is full.
    #[error("spool is full")]
    Full,
    /// Any other storage failure.
    #[error("spool i/o failed: {0}")]
    Io(io::Error),
    /// The encryptor failed.
    #[error("sealing failed: {0}")]
    Seal(SealError),
}

impl From<io::Error> for SpoolError {
    fn from(e: io::Error) -> Self {
        if is_disk_full(&e) { SpoolError::Full } else { SpoolError::Io(e) }
    }
}

impl From<SealError> for SpoolError {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Io(io) => SpoolError::from(io),
            other => SpoolError::Seal(other),
        }
    }
}

fn is_disk_full(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded)
}

/// The spool under `<data_dir>/spool`. Cheap to clone.
#[derive(Clone)]
pub struct Spool {
    inner: Arc<Inner>,
}

struct Inner {
    incoming: PathBuf,
    ready: PathBuf,
    trash: PathBuf,
    /// `max_spool`: bytes of ciphertext allowed in `ready/` plus reservations.
    max_bytes: u64,
    /// Most bytes one submission may write (derived from `max_body`).
    per_submission: u64,
    /// Bytes in `ready/` plus bytes reserved by drafts in flight.
    used: AtomicU64,
}

impl Spool {
    /// Opens (creating if needed) the spool under `data_dir`, removes leftovers of interrupted
    /// writes from `incoming/` and `trash/`, and measures what `ready/` holds.
    pub fn open(data_dir: &Path, max_bytes: u64, max_body: u64) -> io::Result<Spool> {
        let root = data_dir.join("spool");
        let incoming = root.join("incoming");
        let ready = root.join("ready");
        let trash = root.join("trash");
        for dir in [data_dir, &root, &incoming, &ready, &trash] {
            create_private_dir(dir)?;
        }
        for dir in [&incoming, &trash] {
            for entry in fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() { fs::remove_dir_all(&path)? } else { fs::remove_file(&path)? }
            }
            sync_dir(dir)?;
        }
        let used = disk_usage(&ready)?;
        let per_submission = max_body + max_body / CIPHERTEXT_OVERHEAD_DIVISOR + PER_SUBMISSION_ALLOWANCE;
        Ok(Spool {
            inner: Arc::new(Inner { incoming, ready, trash, max_bytes, per_submission, used: AtomicU64::new(used) }),
        })
    }

    /// Starts a submission to `form`, reserving room for the largest body it could carry.
    pub fn begin(&self, form: &str) -> Result<Draft, SpoolError> {
        let inner = &self.inner;
        let reserve = inner.per_submission;
        let reserved = inner.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
            (used.saturating_add(reserve) <= inner.max_bytes).then_some(used + reserve)
        });
        if reserved.is_err() {
            return Err(SpoolError::Full);
        }
        let id = SubmissionId::random();
        let dir = inner.incoming.join(id.as_str());
        let draft = Draft {
            spool: self.clone(),
            id,
            form: form.to_string(),
            dir,
            reserved: reserve,
            written: 0,
            unsynced: Vec::new(),
            committed: false,
        };
        create_private_dir(&draft.dir)?;
        Ok(draft)
    }

    /// True while the spool is under quota and a file can be created and synced in it.
    pub fn healthy(&self) -> bool {
        let inner = &self.inner;
        if inner.used.load(Ordering::Acquire).saturating_add(inner.per_submission) > inner.max_bytes {
            return false;
        }
        let probe = inner.incoming.join(format!(".healthz-{}", SubmissionId::random()));
        let ok = new_private_file(&probe).and_then(|f| f.sync_all()).is_ok();
        let _ = fs::remove_file(&probe);
        ok
    }

    /// Bytes of ciphertext in `ready/` plus reservations in flight.
    pub fn used_bytes(&self) -> u64 {
        self.inner.used.load(Ordering::Acquire)
    }

    /// Forgets `bytes` of ciphertext that left `ready/` (an acknowledged submission).
    pub fn release(&self, bytes: u64) {
        self.unreserve(bytes);
    }

    /// Takes `bytes` off the usage count, never below zero (a wrapped counter would report the
    /// spool full until restart).
    fn unreserve(&self, bytes: u64) {
        let _ =
            self.inner.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| Some(used.saturating_sub(bytes)));
    }

    /// The `ready/` root (for the staff API and tests).
    pub fn ready_dir(&self) -> &Path {
        &self.inner.ready
    }

    /// The `trash/` root.
    pub fn trash_dir(&self) -> &Path {
        &self.inner.trash
    }
}

/// A submission being written under `incoming/`. Dropping it without [`Draft::commit`] removes
/// everything it wrote and returns its reservation.
pub struct Draft {
    spool: Spool,
    id: SubmissionId,
    form: String,
    dir: PathBuf,
    /// Bytes reserved against `max_spool` at [`Spool::begin`].
    reserved: u64,
    /// Bytes of ciphertext written so far.
    written: u64,
    /// The attachment files, each fsynced at commit.
    unsynced: Vec<SharedFile>,
    committed: bool,
}

impl Draft {
    /// The submission's id.
    pub fn id(&self) -> &SubmissionId {
        &self.id
    }

    /// Creates `<index>.age` (1-based) and returns a sealer streaming into it. The draft keeps a
    /// handle on the file to fsync it at [`Draft::commit`].
    pub fn attachment(&mut self, index: usize, recipients: &Recipients) -> Result<AttachmentSealer, SpoolError> {
        // The descriptor that writes, not a reopened file: a write-back error reported before a
        // later open would be invisible to that open's fsync.
        let file = SharedFile::new(new_private_file(&self.dir.join(format!("{index}.age")))?);
        self.unsynced.push(file.clone());
        Ok(AttachmentSealer::new(recipients, file)?)
    }

    /// Records ciphertext bytes written by an attachment sealer; fails once over the reservation.
    pub fn account(&mut self, bytes: u64) -> Result<(), SpoolError> {
        self.written += bytes;
        if self.written > self.reserved { Err(SpoolError::Full) } else { Ok(()) }
    }

    /// Seals the envelope into `envelope.age` and, if it carries an ack secret, its SHA-256 into
    /// [`ACK_FILE`] (created new, 0600, fsynced; the commit fsyncs the directory).
    pub fn seal_envelope(&mut self, recipients: &Recipients, envelope: &Envelope) -> Result<(), SpoolError> {
        if let Some(secret) = &envelope.ack {
            let digest = data_encoding::HEXLOWER.encode(&secret.digest());
            let mut file = new_private_file(&self.dir.join(ACK_FILE))?;
            file.write_all(digest.as_bytes())?;
            file.sync_all()?;
            self.account(digest.len() as u64)?;
        }
        let file = new_private_file(&self.dir.join("envelope.age"))?;
        let stored = crate::seal::seal_envelope(recipients, envelope, file)?;
        self.account(stored)
    }

    /// Makes the submission durable and visible: fsync the attachment files (the envelope was
    /// fsynced when sealed) and the draft dir, rename it into `ready/<form>/`, fsync that dir.
    pub fn commit(mut self) -> Result<SubmissionId, SpoolError> {
        for file in &self.unsynced {
            file.sync_all()?;
        }
        sync_dir(&self.dir)?;
        let form_dir = self.spool.inner.ready.join(&self.form);
        if !form_dir.exists() {
            create_private_dir(&form_dir)?;
            sync_dir(&self.spool.inner.ready)?;
        }
        fs::rename(&self.dir, form_dir.join(self.id.as_str()))?;
        // From here the entry is in ready/ whatever happens next: count what it holds.
        self.committed = true;
        self.spool.unreserve(self.reserved - self.written.min(self.reserved));
        sync_dir(&form_dir)?;
        Ok(self.id.clone())
    }
}

impl Drop for Draft {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
            self.spool.unreserve(self.reserved);
        }
    }
}

/// Creates a directory with mode 0700 (and its parents), succeeding if it exists.
fn create_private_dir(path: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)
}

/// Creates a new file with mode 0600; fails if anything exists at `path`.
fn new_private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

/// fsyncs a directory so the entries in it (creations, renames) are durable.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Total bytes of the files under `dir`.
fn disk_usage(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { disk_usage(&entry.path())? } else { meta.len() };
    }
    Ok(total)
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
    fn open_removes_interrupted_drafts_and_trash() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 1 << 30, 1 << 20).unwrap();
        let draft = spool.begin("contact").unwrap();
        let left = draft.dir.clone();
        std::mem::forget(draft); // as if the process died mid-write
        fs::write(tmp.path().join("spool/trash/x"), b"x").unwrap();
        Spool::open(tmp.path(), 1 << 30, 1 << 20).unwrap();
        assert!(!left.exists());
        assert_eq!(fs::read_dir(tmp.path().join("spool/trash")).unwrap().count(), 0);
    }

    #[test]
    fn refuses_a_draft_that_would_exceed_the_quota_and_releases_dropped_reservations() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 3 << 20, 1 << 20).unwrap();
        let a = spool.begin("contact").unwrap();
        let b = spool.begin("contact").unwrap();
        assert!(matches!(spool.begin("contact"), Err(SpoolError::Full)));
        assert!(!spool.healthy());
        drop(a);
        drop(b);
        assert_eq!(spool.used_bytes(), 0);
        assert!(spool.healthy());
        assert_eq!(fs::read_dir(tmp.path().join("spool/incoming")).unwrap().count(), 0);
    }

    #[test]
    fn drafts_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 1 << 30, 1 << 20).unwrap();
        let draft = spool.begin("contact").unwrap();
        let mode = fs::metadata(&draft.dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let f = new_private_file(&draft.dir.join("x")).unwrap();
        assert_eq!(f.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        assert!(new_private_file(&draft.dir.join("x")).is_err(), "create_new must refuse to reuse a name");
    }
}
