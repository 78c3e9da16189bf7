//! `sealpost-staff pull`: the loop that lists, saves and acknowledges submissions.
//!
//! Job: [`pull`] loads the identity, takes `OUT`, logs in once per recipient, then pages through
//! each session's listing; for every submission new to this run it checks the listing, the free
//! space, downloads into a staging folder, unseals, commits, verifies the folder, and only then
//! acknowledges. A submission saved by an earlier run that stopped before its ack is verified
//! and acknowledged instead of being written again.
//! Invariant: a submission is acknowledged only after its folder is complete and durable on disk
//! (invariant 4); each submission is tried at most once per run; a failure that concerns one
//! submission leaves it on the server and the pull goes on; the run ends by its `--timeout` and
//! after [`MAX_LISTING_ROUNDS`] listings at most, keeping what it saved.
//! Never: acknowledges what it could not save or verify; lets a submission it cannot read hide
//! the ones listed after it; decrypts on the async executor (that runs on a blocking thread).

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sealpost_format::envelope::AckSecret;
use sealpost_format::files::sync_dir;
use sealpost_format::id::{FileName, SubmissionId, ThreadId};
use sealpost_format::wire::Listed;

use crate::client::{Server, Session};
use crate::conversation::{self, Entry};
use crate::error::{StaffError, io_error};
use crate::folder::{Staging, check_free_space, free_space, lock_out, prepare_out, verify_folder};
use crate::identities::Identities;
use crate::listing::{ListedPlan, plan};
use crate::neutralize::for_terminal;
use crate::report::{Progress, Summary};
use crate::unseal::{CipherFile, Saved, fill, read_envelope, recorded_sums, verify_saved_folder};

/// Most listings one pull asks for (each lists at most [`MAX_LISTED`] submissions), so a hostile
/// or flooded server cannot keep a pull running forever; the next pull goes on where this one
/// stopped.
///
/// [`MAX_LISTED`]: sealpost_format::wire::MAX_LISTED
pub const MAX_LISTING_ROUNDS: usize = 1000;

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
    /// `--timeout`: how long the whole pull may take
    /// ([`DEFAULT_PULL_TIMEOUT`](crate::DEFAULT_PULL_TIMEOUT) unless given).
    pub timeout: Duration,
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
                        summary.already_saved(saved);
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

/// What became of a listed submission that did not fail.
enum Pulled {
    Saved(Saved),
    AlreadySaved(Saved),
}

/// Saves one listed submission and acknowledges it (with `ack`) once it is durable here; one
/// that an earlier, interrupted run saved is checked and acknowledged, not written again.
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
            thread: None,
            follow_up: false,
            continues: None,
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
        let (saved, secret) = fill(&staging, &cipher, &ids, Some(&form))?;
        let folder = staging.commit()?;
        verify_folder(&saved.id, &folder, &saved.files)?;
        record_in_conversation(&folder, &saved)?;
        Ok::<_, StaffError>((saved, secret))
    })
    .await
    .map_err(|_| task_failed())??;
    if ack {
        server.ack(session, id.as_str(), &files, secret).await?;
    }
    Ok(Pulled::Saved(saved))
}

/// Lists a saved submission or follow-up in its conversation's index (`OUT` is `folder`'s parent).
pub(crate) fn record_in_conversation(folder: &Path, saved: &Saved) -> Result<(), StaffError> {
    let (Some(thread), Some(out)) = (saved.thread.as_deref().and_then(ThreadId::parse), folder.parent()) else {
        return Ok(());
    };
    let entry = if saved.follow_up { Entry::FollowUp } else { Entry::Submission };
    conversation::record(out, &thread, entry, &saved.id, &now_rfc3339())
}

/// Now, UTC, RFC 3339 to the second.
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
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
