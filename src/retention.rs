//! Retention: nothing waits on the server forever (DESIGN §11).
//!
//! Job: find what has outlived its keep time and delete it crash-safely; say what will expire
//! soon, for the notifications and `sealpost status`.
//! Invariant: every deletion goes through its source's own crash-safe delete (rename into
//! `trash/`, fsync, unlink), so a crash mid-sweep leaves each item whole or gone, never half;
//! an item a staff download holds is skipped and tried again at the next sweep.
//! Never: logs or reports an id, a file name or anything derived from content; only kinds,
//! form ids and counts.
//!
//! The sweep works over [`Source`]s, each listing its items with their form and expiry and
//! deleting one crash-safely through its own trash: the spool's unpulled submissions
//! ([`SpoolSource`], `limits.keep_unpulled`) and reply threads ([`ThreadSource`],
//! `data_dir/threads/<T>/`, `replies.keep` after either side last acted). Another kind of
//! expiring thing plugs in the same way ([`Sources::push`]).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use std::sync::Arc;

use crate::config::Keep;
use crate::reply::Threads;
use crate::spool::{Expired, Spool};

/// How often the sweep runs while the service is up (it also runs once at start). Expiry is
/// measured in days; ten minutes late is nothing, and a sweep costs one folder scan.
pub const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// What kind of thing expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A submission no one pulled (`limits.keep_unpulled`).
    Submission,
    /// A reply thread with no activity (`replies.keep`), once threads exist.
    Thread,
}

impl Kind {
    /// The plural noun, for messages: "2 submissions".
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Submission => "submissions",
            Kind::Thread => "reply threads",
        }
    }

    /// The singular noun: "1 submission".
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Submission => "submission",
            Kind::Thread => "reply thread",
        }
    }

    /// `n` things: "1 submission", "2 submissions".
    pub fn count(self, n: usize) -> String {
        format!("{n} {}", if n == 1 { self.singular() } else { self.plural() })
    }

    /// What keeps one from expiring, for warnings: "unless pulled".
    pub fn unless(self) -> &'static str {
        match self {
            Kind::Submission => "unless pulled",
            Kind::Thread => "unless staff or the person act",
        }
    }

    /// The machine name, for JSON and metrics labels.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Submission => "submission",
            Kind::Thread => "thread",
        }
    }
}

/// One thing that will expire. `key` identifies it to its own source only; it is never logged,
/// shown or sent.
#[derive(Debug, Clone)]
pub struct Item {
    /// What it is.
    pub kind: Kind,
    /// The form it belongs to (an operator-chosen id, not content).
    pub form: String,
    /// When it expires.
    pub expires: SystemTime,
    /// Its source's handle on it (a submission id, a thread id).
    pub key: String,
    /// Whether staff are warned before it goes (not for a conversation the person deleted).
    pub warn: bool,
}

/// What a source's delete did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// Deleted.
    Done,
    /// In use right now (a download); left for the next sweep.
    Busy,
    /// Already gone.
    Gone,
}

/// Something whose items expire: the spool today, reply threads later.
pub trait Source: Send + Sync {
    /// Every item that has an expiry (an item kept forever is not listed).
    fn items(&self) -> io::Result<Vec<Item>>;
    /// Deletes `item` crash-safely (whole or not at all, even across a crash) if it is still
    /// due at `now`; `clock` is the monotonic time for in-use checks (a download's grace).
    fn delete(&self, item: &Item, now: SystemTime, clock: Instant) -> io::Result<Deleted>;
}

/// The spool's unpulled submissions, kept `limits.keep_unpulled`.
pub struct SpoolSource {
    /// The live spool, which deletes; `None` for a view that only lists (`status`,
    /// `notify-test`, which run beside the service and must change nothing).
    spool: Option<Spool>,
    data_dir: PathBuf,
    keep: Duration,
}

impl SpoolSource {
    /// The spool's entries, each expiring `keep` after it was written; `None` for "forever".
    pub fn new(spool: Option<Spool>, data_dir: &Path, keep: Keep) -> Option<SpoolSource> {
        keep.duration().map(|keep| SpoolSource { spool, data_dir: data_dir.to_owned(), keep })
    }
}

impl Source for SpoolSource {
    fn items(&self) -> io::Result<Vec<Item>> {
        Ok(crate::spool::waiting_in(&self.data_dir)?
            .into_iter()
            .map(|w| Item {
                kind: Kind::Submission,
                form: w.form,
                expires: w.written.checked_add(self.keep).unwrap_or(SystemTime::UNIX_EPOCH + Duration::MAX / 2),
                key: w.id.as_str().to_string(),
                warn: true,
            })
            .collect())
    }

    fn delete(&self, item: &Item, _now: SystemTime, clock: Instant) -> io::Result<Deleted> {
        let Some(spool) = &self.spool else { return Ok(Deleted::Busy) };
        let Some(id) = sealpost_format::id::SubmissionId::parse(&item.key) else { return Ok(Deleted::Gone) };
        Ok(match spool.expire(&item.form, &id, clock)? {
            Expired::Deleted(_) => Deleted::Done,
            Expired::Busy => Deleted::Busy,
            Expired::Gone => Deleted::Gone,
        })
    }
}

/// Reply threads, kept `replies.keep` after either side last acted (DESIGN §10); a tombstone
/// of a conversation the person deleted, `replies.keep` after the deletion, without a warning.
pub struct ThreadSource {
    threads: Arc<Threads>,
    /// False for a view (`status`), which lists and never deletes.
    live: bool,
}

impl ThreadSource {
    /// The service's own conversations, which this source deletes when due.
    pub fn new(threads: Arc<Threads>) -> ThreadSource {
        ThreadSource { threads, live: true }
    }

    /// The conversations under `data_dir`, read only.
    pub fn view(data_dir: &Path, keep: Duration) -> ThreadSource {
        ThreadSource { threads: Arc::new(Threads::view(data_dir, keep)), live: false }
    }
}

impl Source for ThreadSource {
    fn items(&self) -> io::Result<Vec<Item>> {
        Ok(self
            .threads
            .expiring(SystemTime::now())?
            .into_iter()
            .map(|(thread, form, expires, live)| Item {
                kind: Kind::Thread,
                form,
                expires,
                key: thread.as_str().to_string(),
                warn: live,
            })
            .collect())
    }

    fn delete(&self, item: &Item, now: SystemTime, _clock: Instant) -> io::Result<Deleted> {
        if !self.live {
            return Ok(Deleted::Busy);
        }
        let Some(thread) = sealpost_format::id::ThreadId::parse(&item.key) else { return Ok(Deleted::Gone) };
        // Not gone means someone acted since it was listed: no longer due.
        Ok(if self.threads.expire(&thread, now)? { Deleted::Done } else { Deleted::Busy })
    }
}

/// Every source that has items to expire.
#[derive(Default)]
pub struct Sources {
    sources: Vec<Box<dyn Source>>,
}

impl Sources {
    /// The live spool's unpulled submissions (none when they are kept forever); add the
    /// service's conversations with [`Sources::push`] and [`ThreadSource::new`].
    pub fn new(spool: Spool, data_dir: &Path, keep_unpulled: Keep) -> Sources {
        Sources::with(Some(spool), data_dir, keep_unpulled)
    }

    /// Submissions and conversations under `data_dir`, read only: they list, and never delete
    /// (for `status` and `notify-test`, beside a running service).
    pub fn view(data_dir: &Path, keep_unpulled: Keep, replies_keep: Duration) -> Sources {
        let mut sources = Sources::with(None, data_dir, keep_unpulled);
        sources.push(Box::new(ThreadSource::view(data_dir, replies_keep)));
        sources
    }

    fn with(spool: Option<Spool>, data_dir: &Path, keep_unpulled: Keep) -> Sources {
        let mut sources: Vec<Box<dyn Source>> = Vec::new();
        if let Some(source) = SpoolSource::new(spool, data_dir, keep_unpulled) {
            sources.push(Box::new(source));
        }
        Sources { sources }
    }

    /// Adds a source (reply threads, when they exist).
    pub fn push(&mut self, source: Box<dyn Source>) {
        self.sources.push(source);
    }

    /// Deletes every item whose expiry is at or before `now`. One source failing to list does
    /// not stop the others; each failure is counted, never logged with a name.
    pub fn sweep(&self, now: SystemTime, clock: Instant) -> Sweep {
        let mut sweep = Sweep::default();
        for source in &self.sources {
            let items = match source.items() {
                Ok(items) => items,
                Err(_) => {
                    sweep.failed += 1;
                    continue;
                }
            };
            for item in items.iter().filter(|i| i.expires <= now) {
                match source.delete(item, now, clock) {
                    Ok(Deleted::Done) => *sweep.deleted.entry((item.kind, item.form.clone())).or_default() += 1,
                    Ok(Deleted::Busy) => sweep.busy += 1,
                    Ok(Deleted::Gone) => {}
                    Err(_) => sweep.failed += 1,
                }
            }
        }
        sweep
    }

    /// What expires after `now` and by `now + within`, grouped by kind and form, soonest first.
    pub fn upcoming(&self, now: SystemTime, within: Duration) -> io::Result<Vec<Upcoming>> {
        let mut items = Vec::new();
        for source in &self.sources {
            items.extend(source.items()?);
        }
        Ok(upcoming(&items, now, within))
    }

    /// Every item, for `status`.
    pub fn items(&self) -> io::Result<Vec<Item>> {
        let mut items = Vec::new();
        for source in &self.sources {
            items.extend(source.items()?);
        }
        Ok(items)
    }
}

/// What one sweep did: counts only.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Deleted, by kind and form.
    pub deleted: BTreeMap<(Kind, String), usize>,
    /// Left because a download held them.
    pub busy: usize,
    /// Listing or deleting failed (retried at the next sweep).
    pub failed: usize,
}

/// Items of one kind and form that expire soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upcoming {
    /// What they are.
    pub kind: Kind,
    /// Their form.
    pub form: String,
    /// How many.
    pub count: usize,
    /// The soonest expiry among them.
    pub first: SystemTime,
}

/// Groups the items that expire in `(now, now + within]` by kind and form, soonest first.
/// (Anything already due is the sweep's to delete, not to warn about.)
pub fn upcoming(items: &[Item], now: SystemTime, within: Duration) -> Vec<Upcoming> {
    let until = now.checked_add(within).unwrap_or(now);
    let mut groups: BTreeMap<(Kind, String), Upcoming> = BTreeMap::new();
    for item in items.iter().filter(|i| i.warn && i.expires > now && i.expires <= until) {
        let group = groups.entry((item.kind, item.form.clone())).or_insert_with(|| Upcoming {
            kind: item.kind,
            form: item.form.clone(),
            count: 0,
            first: item.expires,
        });
        group.count += 1;
        group.first = group.first.min(item.expires);
    }
    let mut list: Vec<Upcoming> = groups.into_values().collect();
    list.sort_by(|a, b| a.first.cmp(&b.first).then(a.form.cmp(&b.form)));
    list
}

/// Whole days from `now` to `then`, rounded up, at least one ("in 1 day" for 3 hours).
pub fn days_until(now: SystemTime, then: SystemTime) -> u64 {
    let secs = then.duration_since(now).map_or(0, |d| d.as_secs());
    secs.div_ceil(86_400).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn write_entry(spool: &Spool, form: &str) -> sealpost_format::id::SubmissionId {
        let mut draft = spool.begin(form).unwrap();
        let id = draft.id().clone();
        let recipients =
            crate::seal::Recipients::parse(&age::x25519::Identity::generate().to_public().to_string()).unwrap();
        let envelope = sealpost_format::envelope::Envelope {
            sealpost: sealpost_format::envelope::ENVELOPE_VERSION,
            ack: None,
            id: id.as_str().into(),
            form: form.into(),
            received: "2026-11-28T10:15:03Z".into(),
            locale: "en".into(),
            fields: Vec::new(),
            attachments: Vec::new(),
            reply: None,
            follow_up: false,
        };
        draft.seal_envelope(&recipients, &envelope).unwrap();
        draft.commit().unwrap();
        id
    }

    fn age(dir: &std::path::Path, by: Duration) {
        let file = std::fs::File::open(dir).unwrap();
        file.set_modified(SystemTime::now() - by).unwrap();
    }

    #[test]
    fn expires_only_what_is_older_than_the_keep_time_and_frees_its_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 1 << 30).unwrap();
        let old = write_entry(&spool, "contact");
        let fresh = write_entry(&spool, "contact");
        age(&spool.ready_dir().join("contact").join(old.as_str()), 31 * DAY);
        let before = spool.used_bytes();
        let sources = Sources::new(spool.clone(), tmp.path(), Keep::For(30 * DAY));
        let sweep = sources.sweep(SystemTime::now(), Instant::now());
        assert_eq!(sweep.deleted.get(&(Kind::Submission, "contact".to_string())), Some(&1));
        assert!(!spool.ready_dir().join("contact").join(old.as_str()).exists());
        assert!(spool.ready_dir().join("contact").join(fresh.as_str()).is_dir());
        assert!(spool.used_bytes() < before, "the expired entry's bytes are given back");
        assert_eq!(std::fs::read_dir(spool.trash_dir()).unwrap().count(), 0);
    }

    #[test]
    fn forever_lists_nothing_and_deletes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 1 << 30).unwrap();
        let old = write_entry(&spool, "contact");
        age(&spool.ready_dir().join("contact").join(old.as_str()), 3650 * DAY);
        let sources = Sources::new(spool.clone(), tmp.path(), Keep::Forever);
        assert_eq!(sources.sweep(SystemTime::now(), Instant::now()), Sweep::default());
        assert!(sources.items().unwrap().is_empty());
        assert!(spool.ready_dir().join("contact").join(old.as_str()).is_dir());
    }

    #[test]
    fn an_entry_being_downloaded_or_just_downloaded_is_not_expired() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 1 << 30).unwrap();
        let id = write_entry(&spool, "contact");
        let dir = spool.ready_dir().join("contact").join(id.as_str());
        age(&dir, 40 * DAY);
        let sources = Sources::new(spool.clone(), tmp.path(), Keep::For(30 * DAY));
        let start = Instant::now();
        let hold = spool.hold(&id, start);
        assert_eq!(sources.sweep(SystemTime::now(), start).busy, 1);
        drop(hold);
        let later = start + Duration::from_secs(60);
        assert_eq!(sources.sweep(SystemTime::now(), later).busy, 1, "within the grace after the download");
        assert!(dir.is_dir());
        let after_grace = start + crate::spool::PULL_GRACE + Duration::from_secs(1);
        spool.prune_holds(after_grace);
        let sweep = sources.sweep(SystemTime::now(), after_grace);
        assert_eq!((sweep.busy, sweep.deleted.values().sum::<usize>()), (0, 1));
        assert!(!dir.exists());
    }

    #[test]
    fn a_crash_after_the_rename_leaves_nothing_visible_and_the_next_start_empties_trash() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = Spool::open(tmp.path(), 1 << 30).unwrap();
        let id = write_entry(&spool, "contact");
        let dir = spool.ready_dir().join("contact").join(id.as_str());
        // What expire() does before it unlinks: the state a kill -9 right there leaves.
        std::fs::rename(&dir, spool.trash_dir().join(format!("{}.expired", id.as_str()))).unwrap();
        let reopened = Spool::open(tmp.path(), 1 << 30).unwrap();
        assert!(reopened.waiting().unwrap().is_empty());
        assert_eq!(std::fs::read_dir(reopened.trash_dir()).unwrap().count(), 0);
        assert_eq!(reopened.used_bytes(), 0);
    }

    #[test]
    fn conversations_expire_through_the_same_sweep_and_a_view_only_lists_them() {
        let tmp = tempfile::tempdir().unwrap();
        let keep = 90 * DAY;
        let threads = Arc::new(Threads::open(tmp.path(), keep).unwrap());
        let id = |c: char| sealpost_format::id::ThreadId::parse(&c.to_string().repeat(26)).unwrap();
        let now = SystemTime::now();
        threads.create(&id('a'), "asylum-help", "age1x", now - 91 * DAY).unwrap();
        threads.create(&id('b'), "asylum-help", "age1x", now - 88 * DAY).unwrap();
        threads.create(&id('c'), "contact", "age1x", now).unwrap();

        let view = Sources::view(tmp.path(), Keep::Forever, keep);
        let soon = view.upcoming(now, 3 * DAY).unwrap();
        assert_eq!(soon.len(), 1, "{soon:?}");
        assert_eq!((soon[0].kind, soon[0].form.as_str(), soon[0].count), (Kind::Thread, "asylum-help", 1));
        assert_eq!(view.sweep(now, Instant::now()).busy, 1, "a view deletes nothing");
        assert_eq!(threads.count().unwrap(), 3);

        let spool = Spool::open(tmp.path(), 1 << 30).unwrap();
        let mut live = Sources::new(spool, tmp.path(), Keep::Forever);
        live.push(Box::new(ThreadSource::new(threads.clone())));
        let sweep = live.sweep(now, Instant::now());
        assert_eq!(sweep.deleted.get(&(Kind::Thread, "asylum-help".to_string())), Some(&1));
        assert_eq!(threads.count().unwrap(), 2);
        assert!(matches!(threads.find(&id('b'), now).unwrap(), crate::reply::Found::Live(_)));
        assert_eq!(Kind::Thread.unless(), "unless staff or the person act");
    }

    #[test]
    fn upcoming_groups_by_form_and_leaves_out_what_is_due_or_far() {
        let now = SystemTime::UNIX_EPOCH + 1000 * DAY;
        let item = |form: &str, days: f64| Item {
            kind: Kind::Submission,
            form: form.into(),
            expires: if days < 0.0 {
                now - Duration::from_secs_f64(-days * 86_400.0)
            } else {
                now + Duration::from_secs_f64(days * 86_400.0)
            },
            key: String::new(),
            warn: true,
        };
        let items = [item("a", 1.0), item("a", 2.5), item("b", 0.5), item("a", 10.0), item("a", -1.0)];
        let list = upcoming(&items, now, 3 * DAY);
        assert_eq!(list.len(), 2);
        assert_eq!((list[0].form.as_str(), list[0].count), ("b", 1));
        assert_eq!((list[1].form.as_str(), list[1].count), ("a", 2));
        assert_eq!(days_until(now, list[1].first), 1);
        assert_eq!(days_until(now, now + Duration::from_secs(3 * 86_400 - 1)), 3);
        assert_eq!(Kind::Submission.count(1), "1 submission");
        assert_eq!(Kind::Thread.count(2), "2 reply threads");
    }
}
