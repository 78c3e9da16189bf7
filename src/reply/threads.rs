//! Conversations on disk (DESIGN §10): `data_dir/threads/<T>/` holds only public values and
//! ciphertext: `recipient.txt` (P), `form`, the times the person and staff last acted, and
//! `replies/<n>.age`, each written like a spool entry (incoming → fsync → rename → dir fsync), so
//! a crash never shows half a reply.
//!
//! Job: create a conversation, add staff replies, read them back in order, record who acted when,
//! delete a conversation on the person's word, and expire the ones nobody touched.
//! Invariant: every file here is created new (0600, 0700 folders) and reaches its name only by a
//! rename after an fsync; a deleted conversation keeps only a tombstone (`deleted`, its `form`)
//! until it expires, so staff get 410, not 404; nothing here is a secret.
//! Never: holds a receipt, a key or plaintext.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use sealpost_format::files::{create_private_dir, create_private_file, sync_dir};
use sealpost_format::id::ThreadId;

/// The folder under `data_dir`.
pub const THREADS_DIR: &str = "threads";

/// Most replies in one conversation; staff get 409 beyond it.
pub const MAX_REPLIES: u32 = 1000;

/// Most bytes of replies one conversation holds (four full replies); staff get 409 beyond it.
pub const MAX_THREAD_BYTES: u64 = 64 * 1024 * 1024;

const RECIPIENT_FILE: &str = "recipient.txt";
const FORM_FILE: &str = "form";
const PERSON_FILE: &str = "person";
const STAFF_FILE: &str = "staff";
const CREATED_FILE: &str = "created";
const DELETED_FILE: &str = "deleted";
const REPLIES_DIR: &str = "replies";
/// Where replies and new conversations are written before their rename (never read).
const INCOMING_DIR: &str = ".incoming";
/// Where deleted and expired conversations go before they are removed.
const TRASH_DIR: &str = ".trash";

/// What a conversation's folder says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadState {
    /// The form it began on.
    pub form: String,
    /// P.
    pub recipient: String,
    /// When it began.
    pub created: SystemTime,
    /// When the person last acted.
    pub person: SystemTime,
    /// When staff last acted, if ever.
    pub staff: Option<SystemTime>,
    /// The replies, oldest first: number and when it was posted.
    pub replies: Vec<(u32, SystemTime)>,
    /// When it will be deleted unless someone acts.
    pub expires: SystemTime,
}

/// What finding a conversation can give.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// It exists and has not expired.
    Live(ThreadState),
    /// The person deleted it, or it expired: its form, for the staff API's access check.
    Gone(String),
    /// There is no such conversation.
    Unknown,
}

/// The conversations of one data dir.
pub struct Threads {
    dir: PathBuf,
    keep: Duration,
    /// Serialises changes to one folder's files (reply numbers, times, deletion).
    write: Mutex<()>,
}

impl Threads {
    /// Opens (creating) `data_dir/threads`, emptying its incoming and trash folders (leftovers of
    /// a crash: never visible, never acknowledged).
    pub fn open(data_dir: &Path, keep: Duration) -> io::Result<Threads> {
        let dir = data_dir.join(THREADS_DIR);
        create_private_dir(&dir)?;
        for leftover in [INCOMING_DIR, TRASH_DIR] {
            let path = dir.join(leftover);
            if path.exists() {
                fs::remove_dir_all(&path)?;
            }
            create_private_dir(&path)?;
        }
        sync_dir(&dir)?;
        Ok(Threads { dir, keep, write: Mutex::new(()) })
    }

    fn folder(&self, thread: &ThreadId) -> PathBuf {
        self.dir.join(thread.as_str())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates the conversation `thread` for `form`, sealed to `recipient`, durably: built under
    /// `.incoming/`, fsynced, renamed into place, the folder fsynced. A thread that already
    /// exists is left as it is (a receipt is never handed out twice, so this does not happen).
    pub fn create(&self, thread: &ThreadId, form: &str, recipient: &str, now: SystemTime) -> io::Result<()> {
        let _guard = self.lock();
        let target = self.folder(thread);
        if target.exists() {
            return Ok(());
        }
        let building = self.dir.join(INCOMING_DIR).join(thread.as_str());
        create_private_dir(&building)?;
        create_private_dir(&building.join(REPLIES_DIR))?;
        for (name, text) in
            [(RECIPIENT_FILE, recipient.to_string()), (FORM_FILE, form.to_string()), (CREATED_FILE, stamp(now))]
        {
            write_new(&building.join(name), text.as_bytes())?;
        }
        write_new(&building.join(PERSON_FILE), stamp(now).as_bytes())?;
        sync_dir(&building.join(REPLIES_DIR))?;
        sync_dir(&building)?;
        fs::rename(&building, &target)?;
        sync_dir(&self.dir)
    }

    /// The conversation `thread` as of `now`.
    pub fn find(&self, thread: &ThreadId, now: SystemTime) -> io::Result<Found> {
        let folder = self.folder(thread);
        let form = match fs::read_to_string(folder.join(FORM_FILE)) {
            Ok(form) => form,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Unknown),
            Err(e) => return Err(e),
        };
        if folder.join(DELETED_FILE).exists() {
            return Ok(Found::Gone(form));
        }
        let state = self.read_state(&folder, form)?;
        if state.expires <= now { Ok(Found::Gone(state.form)) } else { Ok(Found::Live(state)) }
    }

    fn read_state(&self, folder: &Path, form: String) -> io::Result<ThreadState> {
        let recipient = fs::read_to_string(folder.join(RECIPIENT_FILE))?;
        let created = read_stamp(&folder.join(CREATED_FILE))?.unwrap_or(SystemTime::UNIX_EPOCH);
        let person = read_stamp(&folder.join(PERSON_FILE))?.unwrap_or(created);
        let staff = read_stamp(&folder.join(STAFF_FILE))?;
        let mut replies = Vec::new();
        for entry in fs::read_dir(folder.join(REPLIES_DIR))? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(number) = name.to_str().and_then(|n| n.strip_suffix(".age")).and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            replies.push((number, entry.metadata()?.modified()?));
        }
        replies.sort_unstable();
        let last = replies.iter().map(|(_, t)| *t).chain([created, person]).chain(staff).max().unwrap_or(created);
        Ok(ThreadState { form, recipient, created, person, staff, replies, expires: last + self.keep })
    }

    /// Path of reply `number`'s ciphertext.
    pub fn reply_path(&self, thread: &ThreadId, number: u32) -> PathBuf {
        self.folder(thread).join(REPLIES_DIR).join(format!("{number}.age"))
    }

    /// Stores `ciphertext` as the next reply of live conversation `thread` and returns its number:
    /// written under `.incoming/`, fsynced, renamed into `replies/`, that folder fsynced. Records
    /// that staff acted.
    pub fn add_reply(&self, thread: &ThreadId, ciphertext: &[u8], now: SystemTime) -> io::Result<Option<u32>> {
        let _guard = self.lock();
        let folder = self.folder(thread);
        let Found::Live(state) = self.find(thread, now)? else { return Ok(None) };
        let number = state.replies.last().map_or(1, |(n, _)| n + 1);
        if number > MAX_REPLIES {
            return Err(io::Error::new(io::ErrorKind::QuotaExceeded, "the conversation has too many replies"));
        }
        let stored: u64 = fs::read_dir(folder.join(REPLIES_DIR))?
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum();
        if stored.saturating_add(ciphertext.len() as u64) > MAX_THREAD_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::QuotaExceeded,
                "the conversation holds too many bytes of replies",
            ));
        }
        let building = self.dir.join(INCOMING_DIR).join(format!("{thread}-{number}.age"));
        let _ = fs::remove_file(&building);
        write_new(&building, ciphertext)?;
        // The reply's time, like every time here, to the day.
        fs::File::options().write(true).open(&building)?.set_modified(day_of(now))?;
        let replies = folder.join(REPLIES_DIR);
        fs::rename(&building, replies.join(format!("{number}.age")))?;
        sync_dir(&replies)?;
        replace(&folder, STAFF_FILE, stamp(now).as_bytes())?;
        Ok(Some(number))
    }

    /// Records that the person acted (read the conversation, or wrote again).
    pub fn person_acted(&self, thread: &ThreadId, now: SystemTime) -> io::Result<()> {
        self.acted(thread, PERSON_FILE, now)
    }

    /// Records that staff acted (pulled a submission of it).
    pub fn staff_acted(&self, thread: &ThreadId, now: SystemTime) -> io::Result<()> {
        self.acted(thread, STAFF_FILE, now)
    }

    fn acted(&self, thread: &ThreadId, who: &str, now: SystemTime) -> io::Result<()> {
        let _guard = self.lock();
        let folder = self.folder(thread);
        // Only a live conversation: an act never brings back a deleted or expired one.
        if !matches!(self.find(thread, now)?, Found::Live(_)) {
            return Ok(());
        }
        replace(&folder, who, stamp(now).as_bytes())
    }

    /// Deletes the conversation on the person's word: its replies and key go, a tombstone with
    /// its form stays until it would have expired (so staff learn it is gone, not unknown).
    pub fn delete(&self, thread: &ThreadId, now: SystemTime) -> io::Result<()> {
        let _guard = self.lock();
        let folder = self.folder(thread);
        if !folder.join(FORM_FILE).exists() {
            return Ok(());
        }
        let form = fs::read_to_string(folder.join(FORM_FILE))?;
        // Build the tombstone, then swap it in for the whole folder: the replies are gone at once.
        let building = self.dir.join(INCOMING_DIR).join(format!("{thread}-deleted"));
        let _ = fs::remove_dir_all(&building);
        create_private_dir(&building)?;
        write_new(&building.join(FORM_FILE), form.as_bytes())?;
        write_new(&building.join(DELETED_FILE), stamp(now).as_bytes())?;
        sync_dir(&building)?;
        let trash = self.dir.join(TRASH_DIR).join(thread.as_str());
        let _ = fs::remove_dir_all(&trash);
        fs::rename(&folder, &trash)?;
        fs::rename(&building, &folder)?;
        sync_dir(&self.dir)?;
        sync_dir(&self.dir.join(TRASH_DIR))?;
        fs::remove_dir_all(&trash)
    }

    /// `data_dir/threads` read only, for `sealpost status` beside a running service: creates and
    /// empties nothing, so only [`Threads::find`], [`Threads::expiring`] and [`Threads::count`]
    /// make sense on it. A data dir without conversations lists none.
    pub fn view(data_dir: &Path, keep: Duration) -> Threads {
        Threads { dir: data_dir.join(THREADS_DIR), keep, write: Mutex::new(()) }
    }

    /// Every conversation with its form, when it expires (a live one `replies.keep` after
    /// either side last acted; a tombstone `replies.keep` after the person deleted it), and
    /// whether it is live (not a tombstone), as of `now`.
    pub fn expiring(&self, now: SystemTime) -> io::Result<Vec<(ThreadId, String, SystemTime, bool)>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry?;
            let Some(thread) = entry.file_name().to_str().and_then(ThreadId::parse) else { continue };
            match self.expiry(&thread, now) {
                Ok(Some((form, expires, live))) => found.push((thread, form, expires, live)),
                Ok(None) => {}
                // Removed while being read: no longer there to expire.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }

    /// When `thread` expires, its form and whether it is live; `None` if there is no such thread.
    fn expiry(&self, thread: &ThreadId, now: SystemTime) -> io::Result<Option<(String, SystemTime, bool)>> {
        let folder = self.folder(thread);
        let form = match fs::read_to_string(folder.join(FORM_FILE)) {
            Ok(form) => form,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if folder.join(DELETED_FILE).exists() {
            let deleted = read_stamp(&folder.join(DELETED_FILE))?.unwrap_or(now);
            return Ok(Some((form, deleted + self.keep, false)));
        }
        let state = self.read_state(&folder, form)?;
        Ok(Some((state.form, state.expires, true)))
    }

    /// Removes conversation `thread` (or its tombstone) if it is past its expiry at `now`,
    /// through `.trash/`: renamed, the folder fsynced, then deleted, so a crash leaves it whole or
    /// gone. Returns whether it went.
    pub fn expire(&self, thread: &ThreadId, now: SystemTime) -> io::Result<bool> {
        let _guard = self.lock();
        match self.expiry(thread, now)? {
            Some((_, expires, _)) if expires <= now => {}
            _ => return Ok(false),
        }
        let folder = self.folder(thread);
        let trash = self.dir.join(TRASH_DIR).join(thread.as_str());
        let _ = fs::remove_dir_all(&trash);
        fs::rename(&folder, &trash)?;
        sync_dir(&self.dir)?;
        fs::remove_dir_all(&trash)?;
        Ok(true)
    }

    /// Removes a conversation just created for a submission that could not be stored (no one
    /// holds its receipt), through `.trash/`.
    pub fn discard(&self, thread: &ThreadId) -> io::Result<()> {
        let _guard = self.lock();
        let folder = self.folder(thread);
        if !folder.exists() {
            return Ok(());
        }
        let trash = self.dir.join(TRASH_DIR).join(thread.as_str());
        let _ = fs::remove_dir_all(&trash);
        fs::rename(&folder, &trash)?;
        sync_dir(&self.dir)?;
        fs::remove_dir_all(&trash)
    }

    /// Removes every conversation (and tombstone) past its expiry, through `.trash/`. Returns how
    /// many went.
    pub fn sweep(&self, now: SystemTime) -> io::Result<usize> {
        let mut removed = 0;
        for (thread, ..) in self.expiring(now)? {
            if self.expire(&thread, now)? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// How many conversations there are (live or tombstones).
    pub fn count(&self) -> io::Result<usize> {
        Ok(fs::read_dir(&self.dir)?
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_str().and_then(ThreadId::parse).is_some())
            .count())
    }
}

/// A time as written in the folder: seconds since the epoch, cut to the start of its day (UTC),
/// so a seized server cannot match a visit to the second against another log.
fn stamp(time: SystemTime) -> String {
    day_of(time).duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs().to_string()
}

/// The start of `time`'s day, UTC.
fn day_of(time: SystemTime) -> SystemTime {
    let seconds = time.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds - seconds % DAY)
}

/// Seconds in a day.
const DAY: u64 = 24 * 3600;

fn read_stamp(path: &Path) -> io::Result<Option<SystemTime>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(text.trim().parse::<u64>().ok().map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates `path` new (0600) with `bytes`, fsynced.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = create_private_file(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Replaces `folder/name` with `bytes` atomically: a new file, fsynced, renamed over the old one,
/// the folder fsynced.
fn replace(folder: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let temporary = folder.join(format!(".{name}.new"));
    let _ = fs::remove_file(&temporary);
    write_new(&temporary, bytes)?;
    fs::rename(&temporary, folder.join(name))?;
    sync_dir(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread(n: u8) -> ThreadId {
        ThreadId::from_bits(&[n; 16])
    }

    #[test]
    fn a_conversation_collects_replies_in_order_and_expires_after_the_last_act() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let keep = Duration::from_secs(90 * 24 * 3600);
        let threads = Threads::open(dir.path(), keep).unwrap_or_else(|e| panic!("{e}"));
        let t = thread(1);
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(threads.find(&t, start).ok(), Some(Found::Unknown));
        threads.create(&t, "asylum-help", "age1xyz", start).unwrap_or_else(|e| panic!("{e}"));
        let Ok(Found::Live(state)) = threads.find(&t, start) else { panic!("not live") };
        assert_eq!((state.form.as_str(), state.recipient.as_str(), state.staff), ("asylum-help", "age1xyz", None));
        // Times are kept to the day: the conversation began at the start of `start`'s day.
        assert_eq!(state.expires, day_of(start) + keep);
        assert_eq!(state.created, day_of(start));
        let later = start + Duration::from_secs(3600);
        assert_eq!(threads.add_reply(&t, b"one", later).ok(), Some(Some(1)));
        assert_eq!(threads.add_reply(&t, b"two", later).ok(), Some(Some(2)));
        assert_eq!(fs::read(threads.reply_path(&t, 2)).ok(), Some(b"two".to_vec()));
        let Ok(Found::Live(state)) = threads.find(&t, later) else { panic!("not live") };
        assert_eq!(state.replies.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(state.staff, Some(day_of(later)), "to the day");
        assert!(state.replies.iter().all(|(_, posted)| *posted == day_of(later)), "replies dated to the day");
        assert_eq!(state.expires, day_of(later) + keep);
        assert_eq!(threads.sweep(later + keep / 2).ok(), Some(0));
        let far = SystemTime::now() + keep * 2;
        assert_eq!(threads.find(&t, far).ok(), Some(Found::Gone("asylum-help".into())));
        assert_eq!(threads.add_reply(&t, b"late", far).ok(), Some(None), "no reply to an expired conversation");
        assert_eq!(threads.sweep(far).ok(), Some(1));
        assert_eq!(threads.find(&t, far).ok(), Some(Found::Unknown));
        assert_eq!(threads.count().ok(), Some(0));
    }

    #[test]
    fn a_deleted_conversation_keeps_only_a_tombstone_until_it_would_have_expired() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let keep = Duration::from_secs(2 * DAY);
        let threads = Threads::open(dir.path(), keep).unwrap_or_else(|e| panic!("{e}"));
        let t = thread(2);
        let now = SystemTime::now();
        threads.create(&t, "contact", "age1abc", now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(threads.add_reply(&t, b"sealed", now).ok(), Some(Some(1)));
        threads.delete(&t, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(threads.find(&t, now).ok(), Some(Found::Gone("contact".into())));
        let folder = dir.path().join(THREADS_DIR).join(t.as_str());
        let mut left: Vec<String> = fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()).unwrap_or_default())
            .collect();
        left.sort();
        assert_eq!(left, ["deleted", "form"], "no reply and no key are left");
        assert_eq!(threads.add_reply(&t, b"late", now).ok(), Some(None));
        assert_eq!(threads.sweep(now).ok(), Some(0), "the tombstone stays while it would have lived");
        assert_eq!(threads.sweep(now + keep * 2).ok(), Some(1));
    }

    #[test]
    fn leftovers_of_a_crash_are_never_visible_and_are_removed_at_start() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let threads = Threads::open(dir.path(), Duration::from_secs(90 * 24 * 3600)).unwrap_or_else(|e| panic!("{e}"));
        let half = dir.path().join(THREADS_DIR).join(INCOMING_DIR).join("half-written.age");
        fs::write(&half, b"half").unwrap_or_else(|e| panic!("{e}"));
        drop(threads);
        let threads = Threads::open(dir.path(), Duration::from_secs(90 * 24 * 3600)).unwrap_or_else(|e| panic!("{e}"));
        assert!(!half.exists());
        assert_eq!(threads.count().ok(), Some(0));
    }
}
