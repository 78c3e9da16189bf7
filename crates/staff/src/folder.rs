//! The folder writer: `OUT`, its lock, and the staging folder each submission is written into.
//!
//! Job: [`prepare_out`] creates `OUT` (0700) and [`lock_out`] takes `OUT/.sealpost.lock` for
//! the run; [`check_free_space`] refuses a submission the disk cannot hold; a [`Staging`] folder
//! `OUT/.<id>.partial/` receives the downloads and the readable files, then [`Staging::commit`]
//! fsyncs it, renames it to `OUT/<id>/` and fsyncs `OUT`; [`verify_folder`] checks it holds
//! exactly what was written; [`create_attachment`] gives each attachment a unique name in its
//! folder (names that differ only in case or Unicode normalization count as one).
//! Invariant: every file is created with mode 0600 and every folder with 0700 (on Unix), each
//! new but the lock file, which stays from run to run; `OUT/<id>/` appears only complete (the
//! rename is the commit) and is never replaced; a staging folder not committed is removed; one
//! run at a time writes into an `OUT`; making a name unique costs linear time.
//! Never: overwrites a file or writes outside `OUT`; uses a name from outside as a path (names
//! reach it through `safe_file_name` or as parsed ids); decrypts (that is `unseal`).
//!
//! Portable: on Unix the modes are set at creation and the free space is read with `statvfs`;
//! elsewhere files take the folder's access list and the free space is not checked beforehand
//! (see `free_space`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use sealpost_format::files::{create_private_dir, create_private_file, io_reason, sync_dir};
use sealpost_format::id::SubmissionId;

use crate::error::{StaffError, io_error};
use crate::listing::ListedPlan;
use crate::neutralize::split_extension;

/// Most ` (n)` variants tried to make a name unique.
const MAX_UNIQUE: usize = 10_000;
/// Free space left over on the disk of `OUT` after a submission is saved, in bytes: room for the
/// staff machine to keep working (its swap, mail, the next submission's small files), so a
/// large listing never fills the disk to the last byte.
pub const FREE_SPACE_MARGIN: u64 = 512 << 20;
/// The lock file in `OUT` that keeps two runs from writing into one folder at once.
pub const LOCK_FILE: &str = ".sealpost.lock";
/// The files every submission folder gets besides the attachments.
pub(crate) const SUBMISSION_TXT: &str = "submission.txt";
pub(crate) const ENVELOPE_JSON: &str = "envelope.json";
pub(crate) const CIPHERTEXT_SHA256: &str = "ciphertext.sha256";

/// Creates `OUT` (0700) if missing — and fsyncs the parent of every folder created, so the new
/// folders survive a crash — and checks it is a folder.
pub(crate) fn prepare_out(out: &Path) -> Result<(), StaffError> {
    let shown = || out.display().to_string();
    let failed = |e: io::Error| StaffError::OutDir { path: shown(), reason: io_reason(&e) };
    let missing: Vec<&Path> =
        out.ancestors().take_while(|p| !p.as_os_str().is_empty() && fs::symlink_metadata(p).is_err()).collect();
    create_private_dir(out).map_err(failed)?;
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
pub(crate) struct OutLock {
    _file: File,
}

/// Takes the lock on `OUT`, or fails at once if another run holds it. Failing rather than waiting
/// is deliberate: a second run started by hand or by cron while the first still works should
/// say so, not hang with nothing on the screen; the next run picks up whatever is left.
pub(crate) fn lock_out(out: &Path) -> Result<OutLock, StaffError> {
    let path = out.join(LOCK_FILE);
    // Opened, never created new: the file stays from run to run, and only its lock counts.
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).map_err(io_error(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(OutLock { _file: file }),
        Err(fs::TryLockError::WouldBlock) => Err(StaffError::OutBusy { path: out.display().to_string() }),
        Err(fs::TryLockError::Error(e)) => Err(io_error(&path)(e)),
    }
}

/// Refuses to start on submission `id` unless `available` bytes (the free space on the disk of
/// `out`, `None` where it cannot be known) hold it: its files as listed, twice — the ciphertext
/// waits in the partial folder while the readable copy, at most as large, is written beside it —
/// and [`FREE_SPACE_MARGIN`] left over. Checked before each download, so what earlier
/// submissions took is counted.
pub(crate) fn check_free_space(
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
pub(crate) fn free_space(path: &Path) -> io::Result<Option<u64>> {
    let stat = rustix::fs::statvfs(path)?;
    Ok(Some(stat.f_bavail.saturating_mul(stat.f_frsize)))
}

/// Elsewhere (Windows) the free space is not checked beforehand: the standard library cannot
/// ask for it, and the Windows call that can (`GetDiskFreeSpaceExW`) is FFI, which this crate
/// does not write (the workspace forbids it) and is not worth a dependency for a check made in
/// advance. A full disk then shows as a failed write, which leaves nothing half-written either
/// (the partial folder is removed) and stops nothing but that submission.
#[cfg(not(unix))]
pub(crate) fn free_space(_: &Path) -> io::Result<Option<u64>> {
    Ok(None)
}

/// `OUT/.<id>.partial/` while a submission is being written; renamed to `OUT/<id>/` by
/// [`Staging::commit`], removed if dropped before.
pub(crate) struct Staging {
    out: PathBuf,
    partial: PathBuf,
    target: PathBuf,
    id: SubmissionId,
    committed: bool,
}

impl Staging {
    /// Creates a fresh `OUT/.<id>.partial/` (0700), removing what an interrupted run left there.
    pub(crate) fn begin(out: &Path, id: &SubmissionId) -> Result<Staging, StaffError> {
        let partial = out.join(format!(".{id}.partial"));
        match fs::symlink_metadata(&partial) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&partial).map_err(io_error(&partial))?,
            Ok(_) => fs::remove_file(&partial).map_err(io_error(&partial))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&partial)(e)),
        }
        create_fresh_dir(&partial).map_err(io_error(&partial))?;
        Ok(Staging { out: out.to_owned(), partial, target: out.join(id.as_str()), id: id.clone(), committed: false })
    }

    /// Where downloads wait (inside the partial folder, removed before the rename).
    pub(crate) fn cipher_dir(&self) -> Result<PathBuf, StaffError> {
        let dir = self.partial.join(".ciphertext");
        create_fresh_dir(&dir).map_err(io_error(&dir))?;
        Ok(dir)
    }

    /// The submission being written.
    pub(crate) fn id(&self) -> &SubmissionId {
        &self.id
    }

    /// The partial folder the files are written into.
    pub(crate) fn path(&self) -> &Path {
        &self.partial
    }

    /// `OUT/<id>/`, where the folder will be once committed.
    pub(crate) fn target(&self) -> &Path {
        &self.target
    }

    /// Creates `name` in the partial folder: new, 0600.
    pub(crate) fn create(&self, name: &str) -> Result<File, StaffError> {
        let path = self.partial.join(name);
        create_private_file(&path).map_err(io_error(&path))
    }

    /// Removes the downloads, fsyncs, renames to `OUT/<id>/` (never over an existing one) and
    /// fsyncs `OUT`. After this returns, the submission is durable on this machine.
    pub(crate) fn commit(mut self) -> Result<PathBuf, StaffError> {
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
        // Not `rename_durably`: a failed rename names the folder it was to become, a failed fsync
        // the folder that holds it, and once renamed there is no partial folder left to remove.
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

/// Creates a folder (0700 on Unix) that must not exist yet, not even as a symbolic link: the
/// format crate's `create_private_dir` creates parents and accepts a folder (or a link to one)
/// already there, and a staging folder must be our own.
fn create_fresh_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(false);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Checks that `folder` holds exactly `expected` (names and sizes), as written, before the ack.
pub(crate) fn verify_folder(id: &str, folder: &Path, expected: &[(String, u64)]) -> Result<(), StaffError> {
    let incomplete = || StaffError::FolderIncomplete { id: id.to_string(), folder: folder.display().to_string() };
    let on_disk = folder_files(folder).map_err(io_error(folder))?.ok_or_else(incomplete)?;
    let expected: BTreeMap<String, u64> = expected.iter().cloned().collect();
    if on_disk != expected {
        return Err(incomplete());
    }
    Ok(())
}

/// The regular files in `folder` with their sizes; `None` if it holds anything else.
pub(crate) fn folder_files(folder: &Path) -> io::Result<Option<BTreeMap<String, u64>>> {
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

/// Creates the file for attachment number `number` in `dir` as `name` (made unique by
/// [`FolderNames::create_unique`]). If the file system refuses the name itself, the file is created as
/// `attachment-N<ext>` instead ([`fallback_name`]): one odd name must not hold back a submission,
/// let alone the queue behind it. The refusals that mean "not this name" — ENAMETOOLONG, EILSEQ,
/// EINVAL, and whatever FUSE, exFAT or NTFS drivers answer instead — differ between file systems,
/// so any refusal gets one retry under the plain ASCII name; if that fails too, the problem was
/// not the name, and it is reported.
pub(crate) fn create_attachment(
    dir: &Path,
    names: &mut FolderNames,
    name: &str,
    number: usize,
) -> Result<(File, String), StaffError> {
    create_attachment_with(dir, names, name, number, &create_private_file)
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
pub(crate) struct FolderNames {
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
    pub(crate) fn reserve(&mut self, name: &str) {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use sealpost_format::id::FileName;

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
            create_private_file(path)
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

    /// Unix only: elsewhere the free space is not known (see `free_space`).
    #[cfg(unix)]
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
}
