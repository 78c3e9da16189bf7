//! Conversations, for staff (DESIGN §10): `GET /staff/v1/threads/{T}` says what the server knows
//! of one (all public), and `POST /staff/v1/threads/{T}/replies` stores a reply sealed on a staff
//! machine to the conversation's key.
//!
//! Job: let whoever can read a conversation's form see its state and reply to it.
//! Invariant: only staff whose key is on the form's recipients list reach a conversation (others
//! get 404, as for an unknown one); a conversation the person deleted or that expired answers 410;
//! a reply is stored only if it is one binary age file of at most
//! [`sealpost_format::reply::MAX_REPLY_BYTES`], written crash-safely by [`crate::reply::Threads`].
//! Never: decrypts anything, or learns anything from a reply but its size.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use futures_util::StreamExt;
use http::{HeaderMap, StatusCode};

use sealpost_format::id::ThreadId;
use sealpost_format::reply::MAX_REPLY_BYTES;
use sealpost_format::wire::{ReplyPosted, ThreadInfo, ThreadReply};

use crate::reply::{Found, ThreadState, day};

use super::errors::{ApiError, internal, json};
use super::state::{Access, StaffService, current_forms};

/// What every binary age file begins with.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

pub(super) async fn thread(
    State(app): State<Arc<StaffService>>,
    headers: HeaderMap,
    path: Result<UrlPath<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let thread = parse_thread(path)?;
    let access = app.staff().authorize(&headers, current_forms(&app), Instant::now())?;
    let state = find(&app, &access, thread).await?;
    Ok(json(StatusCode::OK, &info(&state)))
}

pub(super) async fn reply(
    State(app): State<Arc<StaffService>>,
    headers: HeaderMap,
    path: Result<UrlPath<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let thread = parse_thread(path)?;
    let access = app.staff().authorize(&headers, current_forms(&app), Instant::now())?;
    // Found and readable before the body is read: a stranger's upload is never buffered.
    find(&app, &access, thread.clone()).await?;
    let sealed = read_reply(body).await?;
    if !sealed.starts_with(AGE_MAGIC) || age::Decryptor::new_buffered(&sealed[..]).is_err() {
        return Err(ApiError::BadRequest("a reply is one binary age file"));
    }
    let app2 = app.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let number = app2.threads().add_reply(&thread, &sealed, SystemTime::now())?;
        let state = match app2.threads().find(&thread, SystemTime::now())? {
            Found::Live(state) => Some(state),
            _ => None,
        };
        Ok::<_, std::io::Error>(number.zip(state))
    })
    .await
    .map_err(|_| ApiError::Internal)?
    .map_err(|e| match e.kind() {
        std::io::ErrorKind::QuotaExceeded => ApiError::ConversationFull,
        _ => internal("storing a reply")(e),
    })?;
    let (number, state) = stored.ok_or(ApiError::Gone)?;
    tracing::info!(form = %state.form, "reply stored");
    Ok(json(StatusCode::CREATED, &ReplyPosted { number, expires: day(state.expires) }))
}

/// `{T}` from the URL; anything but a thread id's exact shape is a 400.
fn parse_thread(path: Result<UrlPath<String>, PathRejection>) -> Result<ThreadId, ApiError> {
    let UrlPath(thread) = path.map_err(|_| ApiError::BadRequest("malformed path"))?;
    ThreadId::parse(&thread).ok_or(ApiError::BadRequest("not a thread id"))
}

/// The live conversation `thread`, if `access` may read its form: 404 for an unknown one or one
/// of another form, 410 for one deleted or expired.
async fn find(app: &Arc<StaffService>, access: &Access, thread: ThreadId) -> Result<ThreadState, ApiError> {
    let app = app.clone();
    let found = tokio::task::spawn_blocking(move || app.threads().find(&thread, SystemTime::now()))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(internal("reading a conversation"))?;
    match found {
        Found::Live(state) if access.forms.contains(&state.form) => Ok(state),
        Found::Gone(form) if access.forms.contains(&form) => Err(ApiError::Gone),
        _ => Err(ApiError::NotFound("no such conversation")),
    }
}

/// Reads a reply body, refusing more than [`MAX_REPLY_BYTES`].
async fn read_reply(body: Body) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    let mut sealed = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest("the reply could not be read"))?;
        if sealed.len() as u64 + chunk.len() as u64 > MAX_REPLY_BYTES {
            return Err(ApiError::ReplyTooLarge);
        }
        sealed.extend_from_slice(&chunk);
    }
    Ok(sealed)
}

fn info(state: &ThreadState) -> ThreadInfo {
    ThreadInfo {
        form: state.form.clone(),
        created: humantime::format_rfc3339_seconds(state.created).to_string(),
        person_active: day(state.person),
        staff_active: state.staff.map(day),
        expires: day(state.expires),
        replies: state
            .replies
            .iter()
            .map(|(number, posted)| ThreadReply { number: *number, posted: day(*posted) })
            .collect(),
    }
}
