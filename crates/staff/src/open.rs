//! `sealpost-staff open`: decrypting submission folders copied from the server by other means.
//!
//! Job: [`open`] finds the submission folders at or below a path (as rsync or a backup copied
//! them from `spool/ready/<form>/`), measures each ciphertext file's SHA-256, and unseals each
//! into `OUT/<id>/` exactly as a pull does.
//! Invariant: the same checks and the same crash-safe writing as a pull (the same `unseal` and
//! `folder` code); a folder already in `OUT` is never written again; names found on disk are
//! used only once parsed as a submission id or spool file name.
//! Never: talks to a server or acknowledges anything (the ack secret is dropped, wiped, unused);
//! changes the folders it reads.

use std::fs;
use std::path::{Path, PathBuf};

use sealpost_format::files::sha256_file;
use sealpost_format::id::{FileName, SubmissionId};

use crate::error::{StaffError, io_error};
use crate::folder::{Staging, lock_out, prepare_out};
use crate::identities::Identities;
use crate::report::Summary;
use crate::unseal::{CipherFile, Saved, fill, read_envelope};

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

/// Decrypts one submission folder into `OUT/<id>/`; its id is the folder's name, or the
/// envelope's if the folder was renamed.
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
    let (saved, _secret) = fill(&staging, &cipher, identities, None)?;
    let folder = staging.commit()?;
    crate::pull::record_in_conversation(&folder, &saved)?;
    Ok(saved)
}
