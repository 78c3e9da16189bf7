//! Listing and download: the ready submissions of the forms a session may read, oldest first,
//! with every file's size and SHA-256, and each ciphertext file streamed as it is stored
//! (DESIGN §6 steps 3 and 4).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path as UrlPath, Query, State};
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};

use sealpost_format::files::sha256_file;
use sealpost_format::id::{FileName, SubmissionId};
use sealpost_format::wire::{ListQuery, Listed, ListedFile, MAX_LISTED};

use crate::spool::{ACK_FILE, THREAD_FILE};

use super::errors::{ApiError, internal, json};
use super::state::{Access, StaffService, current_forms};

/// Most ciphertext bytes one listing hashes (at least one submission is always listed), so a
/// listing answers in seconds even when large attachments wait.
pub const MAX_LISTED_BYTES: u64 = 1 << 30;

/// Read buffer for hashing and streaming ciphertext files.
const READ_BUFFER: usize = 64 * 1024;

pub(super) async fn list(
    State(app): State<Arc<StaffService>>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let access = app.staff().authorize(&headers, current_forms(&app), Instant::now())?;
    let Query(query) = query.map_err(|_| ApiError::BadRequest("malformed query"))?;
    let after = match &query.after {
        Some(after) => {
            Some(SubmissionId::parse(after).ok_or(ApiError::BadRequest("\"after\" is not a submission id"))?)
        }
        None => None,
    };
    let ready = app.spool().ready_dir().to_owned();
    let listed = tokio::task::spawn_blocking(move || {
        list_ready(&ready, &access.forms, after.as_ref(), MAX_LISTED, MAX_LISTED_BYTES)
    })
    .await
    .map_err(|_| ApiError::Internal)?
    .map_err(internal("listing submissions"))?
    // Acknowledged meanwhile, or never one this caller could read: page again from the start.
    .ok_or(ApiError::NotFound("the submission named by \"after\" is not listed; list again without it"))?;
    Ok(json(StatusCode::OK, &listed))
}

/// Parses `{id}` and `{file}` from the URL; anything but the exact shapes is a 400.
fn parse_target(path: Result<UrlPath<(String, String)>, PathRejection>) -> Result<(SubmissionId, FileName), ApiError> {
    let UrlPath((id, file)) = path.map_err(|_| ApiError::BadRequest("malformed path"))?;
    let id = SubmissionId::parse(&id).ok_or(ApiError::BadRequest("not a submission id"))?;
    let file = FileName::parse(&file).ok_or(ApiError::BadRequest("not a submission file name"))?;
    Ok((id, file))
}

pub(super) async fn download(
    State(app): State<Arc<StaffService>>,
    headers: HeaderMap,
    path: Result<UrlPath<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (id, file) = parse_target(path)?;
    let access = app.staff().authorize(&headers, current_forms(&app), Instant::now())?;
    let dir = find_entry(&app, &access, &id).await?;
    // Held until the body has been streamed (the stream owns it): retention never expires an
    // entry while a pull reads it, nor for a grace after (see `spool::PULL_GRACE`).
    let hold = app.spool().hold(&id, Instant::now());
    let file = match tokio::fs::File::open(dir.join(file.to_string())).await {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ApiError::NotFound("no such file in this submission"));
        }
        Err(e) => return Err(internal("opening a submission file")(e)),
    };
    let len = file.metadata().await.map_err(internal("reading a submission file"))?.len();
    let stream =
        futures_util::StreamExt::map(tokio_util::io::ReaderStream::with_capacity(file, READ_BUFFER), move |chunk| {
            let _streaming = &hold;
            chunk
        });
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The entry `ready/<form>/<id>/` among the forms `access` may read. A submission of a form the
/// caller cannot read (any more) is reported exactly like a missing one.
pub(super) async fn find_entry(app: &StaffService, access: &Access, id: &SubmissionId) -> Result<PathBuf, ApiError> {
    for form in &access.forms {
        let dir = app.spool().ready_dir().join(form).join(id.as_str());
        if tokio::fs::metadata(&dir).await.is_ok_and(|m| m.is_dir()) {
            return Ok(dir);
        }
    }
    Err(ApiError::NotFound("no such submission"))
}

// ───────────────────────────── spool reading and deleting (blocking) ─────────────────────────────

/// The files of one entry, by name, with their sizes, leaving out [`ACK_FILE`] and
/// [`THREAD_FILE`]; `None` if the
/// entry holds anything else (which the spool never writes) or no envelope.
pub(super) fn entry_files(dir: &Path) -> io::Result<Option<BTreeMap<FileName, u64>>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        let name = entry.file_name();
        if (name == ACK_FILE || name == THREAD_FILE) && meta.is_file() {
            // Not a submission file: never listed, downloaded or named in an ack.
            continue;
        }
        match name.to_str().and_then(FileName::parse) {
            Some(file) if meta.is_file() => {
                files.insert(file, meta.len());
            }
            _ => return Ok(None),
        }
    }
    Ok(files.contains_key(&FileName::Envelope).then_some(files))
}

/// Lists up to `max` entries of `forms` under `ready`, oldest first (by the envelope's time,
/// which is written last, then by id), with every file's size and SHA-256; stops before hashing
/// more than `max_bytes` (but always lists the first entry). With `after`, lists only the entries
/// that come strictly after that one in this order; `None` if `after` is not among them.
pub(super) fn list_ready(
    ready: &Path,
    forms: &[String],
    after: Option<&SubmissionId>,
    max: usize,
    max_bytes: u64,
) -> io::Result<Option<Vec<Listed>>> {
    let mut found: Vec<(SystemTime, String, String, PathBuf)> = Vec::new();
    for form in forms {
        let form_dir = ready.join(form);
        let entries = match fs::read_dir(&form_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let Some(id) = entry.file_name().to_str().and_then(SubmissionId::parse) else {
                tracing::warn!(form = %form, "spool: ignoring an entry that is not a submission id");
                continue;
            };
            let path = entry.path();
            let time = match fs::metadata(path.join("envelope.age")) {
                Ok(m) => m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                Err(_) => {
                    tracing::warn!(form = %form, "spool: ignoring an entry without an envelope");
                    continue;
                }
            };
            found.push((time, id.as_str().to_string(), form.clone(), path));
        }
    }
    found.sort();
    let skip = match after {
        Some(after) => match found.iter().position(|(_, id, _, _)| id == after.as_str()) {
            Some(position) => position + 1,
            None => return Ok(None),
        },
        None => 0,
    };
    let mut listed = Vec::new();
    let mut bytes = 0u64;
    for (_, id, form, path) in found.into_iter().skip(skip).take(max) {
        if !listed.is_empty() && bytes.saturating_add(entry_bytes(&path)) > max_bytes {
            break;
        }
        match describe(&path) {
            Ok(Some(files)) => {
                bytes = bytes.saturating_add(files.iter().map(|f| f.size).sum());
                listed.push(Listed { id, form, files });
            }
            Ok(None) => {
                tracing::warn!(form = %form, "spool: ignoring an entry holding unexpected files")
            }
            // Acknowledged by someone else while we were listing.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(listed))
}

/// Bytes in one entry (0 if unreadable; the listing then reports or skips it).
fn entry_bytes(path: &Path) -> u64 {
    entry_files(path).ok().flatten().map_or(0, |files| files.values().sum())
}

/// The listing of one entry's files, or `None` if it holds something the spool never writes.
fn describe(path: &Path) -> io::Result<Option<Vec<ListedFile>>> {
    let Some(files) = entry_files(path)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (name, size) in files {
        out.push(ListedFile { name: name.to_string(), size, sha256: sha256_file(&path.join(name.to_string()))? });
    }
    Ok(Some(out))
}
