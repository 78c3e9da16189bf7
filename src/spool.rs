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

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use sealpost_format::envelope::Envelope;
use sealpost_format::files::{create_private_dir, create_private_file, sync_dir};
#[cfg(doc)]
use sealpost_format::id::FileName;
use sealpost_format::id::SubmissionId;

use crate::seal::{AttachmentSealer, Meter, Recipients, SealError, SharedFile};

/// Free room a new submission needs before it starts, and that `/healthz` asks for: a form
/// without attachments (its envelope, sealed and padded) fits in it. Nothing is reserved up
/// front; bytes are counted as they are written (see [`Draft`]).
const ROOM_FOR_A_SUBMISSION: u64 = 64 * 1024;
/// Bound on an age header: the fixed lines and MAC, and the HMAC-keyed nonce.
const AGE_HEADER_BASE: u64 = 1024;
/// Bound on one recipient's stanza in an age header (X25519: about 110 bytes; plugin stanzas
/// are larger).
const AGE_STANZA_BOUND: u64 = 1024;
/// age's STREAM chunk size and tag: each 64 KiB of plaintext gains 16 bytes.
const AGE_CHUNK: u64 = 64 * 1024;
const AGE_TAG: u64 = 16;
/// The file in an entry beside `envelope.age` that holds the hex SHA-256 of the envelope's ack
/// secret ([`sealpost_format::envelope::AckSecret`]): 64 bytes, no newline. Only the digest of a random value,
/// nothing derived from the submission; never listed or served (it is not a [`FileName`],
/// which are `envelope.age` and `N.age` only). An entry without one was written before envelope
/// version 2.
pub const ACK_FILE: &str = "ack.sha256";

/// How long after a staff download starts the entry is safe from expiry: a pull downloads an
/// entry's files one by one and acknowledges them at the end, within its own `--timeout`
/// (default one hour), so an entry a pull has touched is never expired under it.
pub const PULL_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);
/// The file in an entry that names its conversation's thread id (26 base32 characters, public,
/// DESIGN §10), so an ack can record that staff have read the person's message. Never listed or
/// served. An entry without one has no conversation.
pub const THREAD_FILE: &str = "thread";

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
    /// The entry was renamed into `ready/` (staff can see it, and it is counted), but the fsync
    /// of its folder failed twice, so the rename may not survive a power cut. Unlike every
    /// other variant, the submission WAS stored: its timing token stays spent.
    #[error("stored, but the folder fsync after the rename failed: {0}")]
    CommittedButNotSynced(io::Error),
}

impl SpoolError {
    /// Whether the submission is in `ready/` despite the error: then its timing token must stay
    /// spent (the same page sent again would be a duplicate). Every other failure happened
    /// before the rename, so nothing was stored and the token may be given back.
    pub fn was_stored(&self) -> bool {
        matches!(self, SpoolError::CommittedButNotSynced(_))
    }
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
    /// `max_spool`: bytes of ciphertext allowed in `ready/` plus drafts in flight.
    max_bytes: u64,
    /// Bytes in `ready/` plus bytes written (or about to be) by drafts in flight.
    used: AtomicU64,
    /// Entries a staff download is reading, or read within [`PULL_GRACE`]: expiry leaves them.
    /// Only entries that exist get one (the download found the entry first), so this holds at
    /// most what `ready/` holds plus what left it within the grace; pruned by [`Spool::prune_holds`].
    holds: Mutex<HashMap<SubmissionId, HoldState>>,
}

/// One entry's downloads.
struct HoldState {
    /// Downloads streaming it now.
    active: u32,
    /// When the latest download started.
    last: Instant,
}

/// A submission waiting in `ready/`, as the retention sweep and `sealpost status` see it.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// Its form.
    pub form: String,
    /// Its id (never logged, never put in a notification).
    pub id: SubmissionId,
    /// When it was written: its folder's modification time.
    pub written: SystemTime,
    /// Bytes of its files.
    pub bytes: u64,
}

/// What [`Spool::expire`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// Moved out of `ready/` and deleted; this many bytes freed.
    Deleted(u64),
    /// A staff download is reading it, or did within [`PULL_GRACE`]: left in place.
    Busy,
    /// Not there any more (acknowledged meanwhile).
    Gone,
}

/// Keeps one entry from expiring while a download streams it; dropping it ends the download.
pub struct Hold {
    spool: Spool,
    id: SubmissionId,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut holds = self.spool.holds();
        if let Some(state) = holds.get_mut(&self.id) {
            state.active = state.active.saturating_sub(1);
        }
    }
}

impl Spool {
    /// Opens (creating if needed) the spool under `data_dir`, removes leftovers of interrupted
    /// writes from `incoming/` and `trash/`, and measures what `ready/` holds. Usage is counted by
    /// bytes written, up to `max_bytes`.
    pub fn open(data_dir: &Path, max_bytes: u64) -> io::Result<Spool> {
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
        Ok(Spool {
            inner: Arc::new(Inner {
                incoming,
                ready,
                trash,
                max_bytes,
                used: AtomicU64::new(used),
                holds: Mutex::new(HashMap::new()),
            }),
        })
    }

    fn holds(&self) -> std::sync::MutexGuard<'_, HashMap<SubmissionId, HoldState>> {
        // A poisoned map still holds whole entries: every change is one insert or one field.
        self.inner.holds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks entry `id` as being downloaded until the [`Hold`] drops, and for [`PULL_GRACE`]
    /// after its start. Call it once the entry was found, before opening its file: then expiry
    /// either ran first (the open fails) or sees the hold.
    pub fn hold(&self, id: &SubmissionId, now: Instant) -> Hold {
        let mut holds = self.holds();
        let state = holds.entry(id.clone()).or_insert(HoldState { active: 0, last: now });
        state.active = state.active.saturating_add(1);
        state.last = now;
        Hold { spool: self.clone(), id: id.clone() }
    }

    /// Forgets holds that ended more than [`PULL_GRACE`] ago.
    pub fn prune_holds(&self, now: Instant) {
        self.holds().retain(|_, s| s.active > 0 || now.saturating_duration_since(s.last) < PULL_GRACE);
    }

    /// Every entry in `ready/`, oldest first (see [`waiting_in`]).
    pub fn waiting(&self) -> io::Result<Vec<Waiting>> {
        scan_ready(&self.inner.ready)
    }

    /// Deletes entry `form`/`id` because no one pulled it in time, unless a download holds it:
    /// renamed into `trash/` (so `ready/` shows it whole or not at all), both folders fsynced,
    /// then unlinked. A crash after the rename leaves it in `trash/`, which the next start
    /// empties; before the rename's fsync, it may reappear whole in `ready/` and expires again.
    pub fn expire(&self, form: &str, id: &SubmissionId, now: Instant) -> io::Result<Expired> {
        let form_dir = self.inner.ready.join(form);
        let dir = form_dir.join(id.as_str());
        // Named apart from an acknowledged entry's trash folder, so the two never collide.
        let target = self.inner.trash.join(format!("{}.expired", id.as_str()));
        let bytes = {
            // Held across the rename: a download that starts now waits, then finds nothing.
            let holds = self.holds();
            if holds.get(id).is_some_and(|s| s.active > 0 || now.saturating_duration_since(s.last) < PULL_GRACE) {
                return Ok(Expired::Busy);
            }
            let bytes = match disk_usage(&dir) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Expired::Gone),
                Err(e) => return Err(e),
            };
            match fs::rename(&dir, &target) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Expired::Gone),
                Err(e) => return Err(e),
            }
            bytes
        };
        sync_dir(&form_dir)?;
        sync_dir(&self.inner.trash)?;
        // Gone from ready/ now; what is left in trash/ is removed here or at the next start.
        fs::remove_dir_all(&target)?;
        self.release(bytes);
        sync_dir(&self.inner.trash)?;
        Ok(Expired::Deleted(bytes))
    }

    /// Starts a submission to `form` if there is `ROOM_FOR_A_SUBMISSION` (64 KiB) free. Nothing is counted
    /// now; what it writes is counted as it is written.
    pub fn begin(&self, form: &str) -> Result<Draft, SpoolError> {
        if !self.has_room() {
            return Err(SpoolError::Full);
        }
        let id = SubmissionId::random();
        let dir = self.inner.incoming.join(id.as_str());
        let draft = Draft {
            quota: Arc::new(Quota { spool: self.clone(), state: Mutex::new(QuotaState { taken: 0, open: true }) }),
            spool: self.clone(),
            id,
            form: form.to_string(),
            dir,
            unsynced: Vec::new(),
            committed: false,
        };
        create_private_dir(&draft.dir)?;
        Ok(draft)
    }

    /// True while a submission without attachments still fits under `max_spool`.
    fn has_room(&self) -> bool {
        self.inner.used.load(Ordering::Acquire).saturating_add(ROOM_FOR_A_SUBMISSION) <= self.inner.max_bytes
    }

    /// Counts `bytes` more against `max_spool`, or refuses if they would not fit.
    fn reserve(&self, bytes: u64) -> Result<(), SpoolError> {
        let max = self.inner.max_bytes;
        self.inner
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= max)
            })
            .map(|_| ())
            .map_err(|_| SpoolError::Full)
    }

    /// True while the spool is under quota and a file can be created and synced in it.
    pub fn healthy(&self) -> bool {
        if !self.has_room() {
            return false;
        }
        let inner = &self.inner;
        let probe = inner.incoming.join(format!(".healthz-{}", SubmissionId::random()));
        let ok = create_private_file(&probe).and_then(|f| f.sync_all()).is_ok();
        let _ = fs::remove_file(&probe);
        ok
    }

    /// Bytes of ciphertext in `ready/` plus what drafts in flight have written.
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
/// everything it wrote and gives back what it counted.
///
/// Quota by bytes written: every write to an attachment file is counted against `max_spool`
/// before it happens (through the file's `seal::Meter`), and the envelope's bound before it is
/// sealed, so the count of `ready/` and all drafts never exceeds `max_spool`; a write that would
/// exceed it fails, and the submission gets the "full" page. Uploads still arriving hold only
/// what they wrote, so slow ones cannot make the spool look full. The slack: the count is of
/// file lengths, so on disk each file and directory may take up to one filesystem block more
/// (4 KiB on ext4 and tmpfs; at most attachments + 2 blocks per submission).
pub struct Draft {
    spool: Spool,
    /// What this draft has counted against `max_spool`, shared with its files' writers.
    quota: Arc<Quota>,
    id: SubmissionId,
    form: String,
    dir: PathBuf,
    /// The attachment files, each fsynced at commit.
    unsynced: Vec<SharedFile>,
    committed: bool,
}

/// One draft's share of the spool count.
struct Quota {
    spool: Spool,
    state: Mutex<QuotaState>,
}

struct QuotaState {
    /// Bytes this draft has counted.
    taken: u64,
    /// False once the draft is committed or dropped: a late write (a batch still being sealed
    /// when the upload was abandoned) is refused instead of counted for no one.
    open: bool,
}

impl Quota {
    fn state(&self) -> std::sync::MutexGuard<'_, QuotaState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops counting. Unless `keep` (the files are now in `ready/`), gives everything back.
    fn close(&self, keep: bool) {
        let mut state = self.state();
        state.open = false;
        if !keep {
            self.spool.unreserve(state.taken);
        }
        state.taken = 0;
    }
}

impl Meter for Quota {
    fn take(&self, bytes: u64) -> io::Result<()> {
        let mut state = self.state();
        if !state.open {
            return Err(io::Error::other("the submission was abandoned"));
        }
        self.spool.reserve(bytes).map_err(|_| io::Error::from(io::ErrorKind::QuotaExceeded))?;
        state.taken += bytes;
        Ok(())
    }

    fn give_back(&self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let mut state = self.state();
        let bytes = bytes.min(state.taken);
        state.taken -= bytes;
        self.spool.unreserve(bytes);
    }
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
        let file =
            SharedFile::metered(create_private_file(&self.dir.join(format!("{index}.age")))?, self.quota.clone());
        self.unsynced.push(file.clone());
        Ok(AttachmentSealer::new(recipients, file)?)
    }

    /// Checks what an attachment sealer wrote: its bytes were counted as they were written, so
    /// this only confirms that the file holds no more than that.
    pub fn account(&mut self, bytes: u64) -> Result<(), SpoolError> {
        if bytes > self.quota.state().taken { Err(SpoolError::Full) } else { Ok(()) }
    }

    /// Writes [`THREAD_FILE`] (created new, 0600, fsynced; the commit fsyncs the directory).
    pub fn record_thread(&mut self, thread: &sealpost_format::id::ThreadId) -> Result<(), SpoolError> {
        self.quota.take(thread.as_str().len() as u64)?;
        let mut file = create_private_file(&self.dir.join(THREAD_FILE))?;
        file.write_all(thread.as_str().as_bytes())?;
        file.sync_all()?;
        Ok(())
    }

    /// Seals the envelope into `envelope.age` and, if it carries an ack secret, its SHA-256 into
    /// [`ACK_FILE`] (created new, 0600, fsynced; the commit fsyncs the directory). Room for the
    /// envelope's largest possible ciphertext is counted first, then what was not used is given
    /// back.
    pub fn seal_envelope(&mut self, recipients: &Recipients, envelope: &Envelope) -> Result<(), SpoolError> {
        if let Some(secret) = &envelope.ack {
            let digest = data_encoding::HEXLOWER.encode(&secret.digest());
            self.quota.take(digest.len() as u64)?;
            let mut file = create_private_file(&self.dir.join(ACK_FILE))?;
            file.write_all(digest.as_bytes())?;
            file.sync_all()?;
        }
        let bound = envelope_bound(recipients, envelope)?;
        self.quota.take(bound)?;
        let file = create_private_file(&self.dir.join("envelope.age"))?;
        let stored = crate::seal::seal_envelope(recipients, envelope, file)?;
        if stored > bound {
            // invariant: the bound covers every age header we write; if not, count the rest.
            self.quota.take(stored - bound)?;
        } else {
            self.quota.give_back(bound - stored);
        }
        Ok(())
    }

    /// Makes the submission durable and visible: fsync the attachment files (the envelope was
    /// fsynced when sealed) and the draft dir, rename it into `ready/<form>/`, fsync that dir
    /// (retried once). An error from [`SpoolError::was_stored`] means the rename happened.
    pub fn commit(self) -> Result<SubmissionId, SpoolError> {
        self.commit_syncing(sync_dir)
    }

    /// [`Draft::commit`], with the fsync of the folder after the rename as an input (tests
    /// inject its failure; the disk cannot be made to fail on cue).
    fn commit_syncing(mut self, sync_after_rename: fn(&Path) -> io::Result<()>) -> Result<SubmissionId, SpoolError> {
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
        // From here the entry is in ready/ whatever happens next: what it counted stays counted.
        self.committed = true;
        self.quota.close(true);
        // Whatever fails now, the entry stays: say so, once the fsync has been retried.
        sync_after_rename(&form_dir)
            .or_else(|_| sync_after_rename(&form_dir))
            .map_err(SpoolError::CommittedButNotSynced)?;
        Ok(self.id.clone())
    }
}

impl Drop for Draft {
    fn drop(&mut self) {
        if !self.committed {
            self.quota.close(false);
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The most ciphertext `envelope` can seal to: its padded plaintext, a tag per age chunk, and
/// the header for `recipients` (see [`AGE_HEADER_BASE`], [`AGE_STANZA_BOUND`]).
fn envelope_bound(recipients: &Recipients, envelope: &Envelope) -> Result<u64, SpoolError> {
    struct Count(u64);
    impl io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, envelope).map_err(|e| SpoolError::Io(io::Error::other(e)))?;
    let padded = sealpost_format::pad::envelope_padded_len(usize::try_from(count.0).unwrap_or(usize::MAX)) as u64;
    let chunks = padded / AGE_CHUNK + 1;
    Ok(padded + chunks * AGE_TAG + AGE_HEADER_BASE + AGE_STANZA_BOUND * recipients.len() as u64)
}

/// Every submission in `<data_dir>/spool/ready/`, oldest first, read without changing anything
/// (for `sealpost status` while the service runs). No spool yet means nothing waits.
pub fn waiting_in(data_dir: &Path) -> io::Result<Vec<Waiting>> {
    match scan_ready(&data_dir.join("spool").join("ready")) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        other => other,
    }
}

/// The entries under `ready/<form>/<id>/`; folders whose name is not a submission id are not
/// entries (the spool never makes them) and are left out. An entry that vanishes while being
/// read was acknowledged meanwhile and is left out too.
fn scan_ready(ready: &Path) -> io::Result<Vec<Waiting>> {
    let mut found = Vec::new();
    for form in fs::read_dir(ready)? {
        let form = form?;
        if !form.file_type()?.is_dir() {
            continue;
        }
        let Some(form_name) = form.file_name().to_str().map(str::to_string) else { continue };
        for entry in fs::read_dir(form.path())? {
            let entry = entry?;
            let Some(id) = entry.file_name().to_str().and_then(SubmissionId::parse) else { continue };
            let (written, bytes) = match entry.metadata().and_then(|m| Ok((m.modified()?, disk_usage(&entry.path())?)))
            {
                Ok(found) => found,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            found.push(Waiting { form: form_name.clone(), id, written, bytes });
        }
    }
    found.sort_by_key(|w| w.written);
    Ok(found)
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
    fn a_failed_fsync_after_the_rename_says_the_entry_was_stored_and_leaves_it_visible() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 1 << 30).unwrap();
        let draft = spool.begin("contact").unwrap();
        let id = draft.id().clone();
        let result = draft.commit_syncing(|_| Err(io::Error::other("injected fsync failure")));
        assert!(matches!(result, Err(SpoolError::CommittedButNotSynced(_))), "{result:?}");
        assert!(result.unwrap_err().was_stored());
        assert!(tmp.path().join("spool/ready/contact").join(id.as_str()).is_dir(), "staff can see it");
        assert!(!SpoolError::Full.was_stored() && !SpoolError::Io(io::Error::other("x")).was_stored());
    }

    #[test]
    fn open_removes_interrupted_drafts_and_trash() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 1 << 30).unwrap();
        let draft = spool.begin("contact").unwrap();
        let left = draft.dir.clone();
        std::mem::forget(draft); // as if the process died mid-write
        fs::write(tmp.path().join("spool/trash/x"), b"x").unwrap();
        Spool::open(tmp.path(), 1 << 30).unwrap();
        assert!(!left.exists());
        assert_eq!(fs::read_dir(tmp.path().join("spool/trash")).unwrap().count(), 0);
    }

    #[test]
    fn drafts_that_have_written_nothing_do_not_count_against_the_quota() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 3 << 20).unwrap();
        let drafts: Vec<Draft> = (0..100).map(|_| spool.begin("contact").unwrap()).collect();
        assert_eq!(spool.used_bytes(), 0);
        assert!(spool.healthy());
        drop(drafts);
        assert_eq!(fs::read_dir(tmp.path().join("spool/incoming")).unwrap().count(), 0);
    }

    #[test]
    fn a_write_past_the_quota_is_refused_and_a_dropped_draft_gives_its_bytes_back() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 3 << 20).unwrap();
        let a = spool.begin("contact").unwrap();
        let b = spool.begin("contact").unwrap();
        a.quota.take(2 << 20).unwrap();
        let refused = b.quota.take(2 << 20).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::QuotaExceeded);
        assert!(matches!(SpoolError::from(refused), SpoolError::Full));
        assert_eq!(spool.used_bytes(), 2 << 20, "a refused write counts nothing");
        a.quota.take((1 << 20) - 1000).unwrap();
        assert!(!spool.healthy(), "less than room for one small submission is left");
        assert!(matches!(spool.begin("contact"), Err(SpoolError::Full)));
        let late = a.quota.clone();
        drop(a);
        drop(b);
        assert_eq!(spool.used_bytes(), 0);
        assert!(late.take(1).is_err(), "a write after the draft was dropped is refused");
        assert_eq!(spool.used_bytes(), 0);
        assert!(spool.healthy());
        assert_eq!(fs::read_dir(tmp.path().join("spool/incoming")).unwrap().count(), 0);
    }

    #[test]
    fn drafts_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 1 << 30).unwrap();
        let draft = spool.begin("contact").unwrap();
        let mode = fs::metadata(&draft.dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let f = create_private_file(&draft.dir.join("x")).unwrap();
        assert_eq!(f.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        assert!(create_private_file(&draft.dir.join("x")).is_err(), "create_new must refuse to reuse a name");
    }
}
