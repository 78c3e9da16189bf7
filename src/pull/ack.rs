//! Acknowledgement: a submission leaves `ready/` only when an ack names the SHA-256 of every
//! file and proves the envelope was decrypted; then it is renamed into `trash/` and deleted
//! (DESIGN §6 step 5, invariant 4).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path as UrlPath, State};
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};

use sealpost_format::envelope::AckSecret;
use sealpost_format::files::{sha256_file, sync_dir};
use sealpost_format::id::{FileName, SubmissionId, ThreadId, parse_sha256};
use sealpost_format::wire::AckRequest;

use crate::spool::{ACK_FILE, THREAD_FILE};

use super::errors::{ApiError, internal, read_json};
use super::listing::{entry_files, find_entry};
use super::state::{StaffService, current_forms, lock, readable_forms};

pub(super) async fn ack(
    State(app): State<Arc<StaffService>>,
    headers: HeaderMap,
    path: Result<UrlPath<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let UrlPath(id) = path.map_err(|_| ApiError::BadRequest("malformed path"))?;
    let id = SubmissionId::parse(&id).ok_or(ApiError::BadRequest("not a submission id"))?;
    let access = app.staff().authorize(&headers, current_forms(&app), Instant::now())?;
    let request: AckRequest = read_json(body).await?;
    let mut named = BTreeMap::new();
    for (name, hash) in &request.sha256 {
        let file =
            FileName::parse(name).ok_or(ApiError::BadRequest("the ack names a file that no submission can hold"))?;
        let hash = parse_sha256(hash).ok_or(ApiError::BadRequest("a sha256 is not 64 hex digits"))?;
        named.insert(file, hash);
    }
    let dir = find_entry(&app, &access, &id).await?;
    let form = dir.parent().and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let app2 = app.clone();
    let form2 = form.clone();
    let freed = tokio::task::spawn_blocking(move || {
        let _serial = lock(&app2.staff().ack_lock);
        // The lists may have changed while the body was read: ask them once more, right before
        // deleting.
        if !readable_forms(current_forms(&app2), &access.recipient).contains(&form2) {
            return Err(ApiError::NotFound("no such submission"));
        }
        // The conversation, if any: staff have now read the person's message.
        let thread = fs::read_to_string(dir.join(THREAD_FILE)).ok().and_then(|t| ThreadId::parse(t.trim()));
        let freed = delete_if_matching(&dir, app2.spool().trash_dir(), id.as_str(), &named, request.ack.as_ref())?;
        if let Some(thread) = thread
            && let Err(e) = app2.threads().staff_acted(&thread, std::time::SystemTime::now())
        {
            tracing::warn!(error_kind = ?e.kind(), "staff api: recording that staff read a conversation failed");
        }
        Ok(freed)
    })
    .await
    .map_err(|_| ApiError::Internal)??;
    app.spool().release(freed);
    tracing::info!(form = %form, "submission acknowledged and deleted");
    Ok((StatusCode::NO_CONTENT, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]).into_response())
}

/// Deletes entry `dir` if `named` lists exactly its files with matching hashes and, for an entry
/// with an [`ACK_FILE`], `ack` is the secret it is the hash of: rename into `trash/<id>`, fsync
/// both parents, then unlink. An entry without one (written before envelope version 2) is deleted
/// on the hashes alone, as it always was. Returns the bytes freed: 0 if emptying trash failed,
/// since those bytes are still on disk (the next start empties trash and measures again).
pub(super) fn delete_if_matching(
    dir: &Path,
    trash: &Path,
    id: &str,
    named: &BTreeMap<FileName, String>,
    ack: Option<&AckSecret>,
) -> Result<u64, ApiError> {
    let files = match entry_files(dir) {
        Ok(Some(files)) => files,
        Ok(None) => {
            return Err(ApiError::Mismatch("the submission holds files it should not".into()));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ApiError::NotFound("no such submission"));
        }
        Err(e) => return Err(internal("reading a submission")(e)),
    };
    for file in files.keys() {
        if !named.contains_key(file) {
            return Err(ApiError::Mismatch(format!("the ack does not name {file}")));
        }
    }
    for file in named.keys() {
        if !files.contains_key(file) {
            return Err(ApiError::Mismatch(format!("the submission has no {file}")));
        }
    }
    for (file, expected) in named {
        let actual = sha256_file(&dir.join(file.to_string())).map_err(internal("hashing a submission file"))?;
        if &actual != expected {
            return Err(ApiError::Mismatch(format!("the sha256 of {file} does not match")));
        }
    }
    let ack_record = match fs::read(dir.join(ACK_FILE)) {
        Ok(text) => Some(parse_ack_record(&text).ok_or_else(|| {
            tracing::error!("staff api: a submission's ack record is malformed; it is kept");
            ApiError::Internal
        })?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(internal("reading an ack record")(e)),
    };
    if let Some(digest) = &ack_record {
        match ack {
            // A client from before ack secrets existed sends none, and prints this message.
            None => return Err(ApiError::Mismatch(NEEDS_ACK_SECRET.into())),
            Some(secret) if !secret.matches(digest) => {
                return Err(ApiError::Mismatch("the ack does not prove the envelope was decrypted".into()));
            }
            Some(_) => {}
        }
    }
    let thread_record = fs::metadata(dir.join(THREAD_FILE)).map_or(0, |m| m.len());
    let freed: u64 = files.values().sum::<u64>() + ack_record.map_or(0, |_| ACK_RECORD_LEN as u64) + thread_record;
    let parent = dir.parent().ok_or(ApiError::Internal)?;
    let target = trash.join(id);
    fs::rename(dir, &target).map_err(internal("moving a submission to trash"))?;
    sync_dir(parent).map_err(internal("syncing the form folder"))?;
    sync_dir(trash).map_err(internal("syncing trash"))?;
    // From here the submission is gone from ready/; a failure below leaves it in trash/, which
    // the next start empties.
    if let Err(e) = fs::remove_dir_all(&target) {
        tracing::warn!(error_kind = ?e.kind(), "staff api: emptying trash failed; the next start retries");
        return Ok(0);
    }
    if let Err(e) = sync_dir(trash) {
        tracing::warn!(error_kind = ?e.kind(), "staff api: syncing trash failed");
    }
    Ok(freed)
}

/// Why an ack without `ack` is refused for an entry that has an [`ACK_FILE`]: a `sealpost-staff`
/// from before ack secrets sends none and shows the server's message, so it says what to do.
pub const NEEDS_ACK_SECRET: &str = "this submission needs an ack secret: upgrade sealpost-staff";

/// Bytes of an [`ACK_FILE`]: the hex SHA-256.
const ACK_RECORD_LEN: usize = 64;

/// The digest in an [`ACK_FILE`]; `None` unless it is exactly 64 hex digits.
fn parse_ack_record(text: &[u8]) -> Option<[u8; 32]> {
    if text.len() != ACK_RECORD_LEN {
        return None;
    }
    let mut digest = [0u8; 32];
    data_encoding::HEXLOWER_PERMISSIVE.decode_mut(text, &mut digest).ok()?;
    Some(digest)
}
