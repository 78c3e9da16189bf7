//! The staff API's errors and JSON bodies: one place maps every failure to a status and a
//! `{"error": "…"}` body, and request bodies are read bounded and wiped after parsing.

use std::io;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{self, HeaderValue};
use serde::Serialize;

use sealpost_format::wire::ErrorBody;

/// Largest JSON request body (an ack names at most every file of one submission).
pub const MAX_JSON_BODY: usize = 64 * 1024;

// ───────────────────────────── errors → responses (the one place) ─────────────────────────────

/// Every failure of the staff API. Each has one status and one fixed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The request is malformed; says what is wrong.
    BadRequest(&'static str),
    /// The JSON body is over [`MAX_JSON_BODY`].
    TooLarge,
    /// No bearer token, or not one we issued.
    Unauthorized,
    /// The session is over; log in again.
    SessionExpired,
    /// The session's recipient was removed from every recipients list; its sessions are dropped.
    Revoked,
    /// The recipient is on no form's recipients list.
    UnknownRecipient,
    /// The response does not match the challenge.
    WrongResponse,
    /// No such challenge: never issued, or already used.
    UnknownChallenge,
    /// The challenge is older than [`CHALLENGE_TTL`].
    ExpiredChallenge,
    /// No such submission (for this caller) or no such file in it.
    NotFound(&'static str),
    /// The ack does not name exactly the stored files, or a hash differs; nothing was deleted.
    Mismatch(String),
    /// No route.
    NoRoute,
    /// The route exists, the method does not.
    MethodNotAllowed,
    /// Login rate limit; retry after this many seconds.
    RateLimited(u64),
    /// A table is full; try again shortly.
    Busy,
    /// [`MAX_CHALLENGE_ENCRYPTIONS`] challenges are being encrypted; try again in a second.
    ChallengesBusy,
    /// The conversation was deleted by the person, or expired.
    Gone,
    /// The conversation holds as many replies as it may; nothing was stored.
    ConversationFull,
    /// A reply over [`sealpost_format::reply::MAX_REPLY_BYTES`].
    ReplyTooLarge,
    /// A storage failure; logged once, without details that could identify anything.
    Internal,
}

impl ApiError {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized | ApiError::SessionExpired | ApiError::Revoked => StatusCode::UNAUTHORIZED,
            ApiError::UnknownRecipient | ApiError::WrongResponse => StatusCode::FORBIDDEN,
            ApiError::UnknownChallenge | ApiError::NotFound(_) | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::ExpiredChallenge | ApiError::Gone => StatusCode::GONE,
            ApiError::ReplyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Mismatch(_) | ApiError::ConversationFull => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy | ApiError::ChallengesBusy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> String {
        match self {
            ApiError::BadRequest(m) | ApiError::NotFound(m) => (*m).to_string(),
            ApiError::TooLarge => "request body too large".into(),
            ApiError::Unauthorized => "missing or invalid session token".into(),
            ApiError::SessionExpired => "session expired; log in again".into(),
            ApiError::Revoked => {
                "this recipient is on no form's recipients list any more; the session is closed".into()
            }
            ApiError::UnknownRecipient => "this recipient is on no form's recipients list".into(),
            ApiError::WrongResponse => "the response does not match the challenge".into(),
            ApiError::UnknownChallenge => "unknown or already used challenge".into(),
            ApiError::ExpiredChallenge => "the challenge expired; ask for a new one".into(),
            ApiError::Mismatch(m) => format!("{m}; nothing was deleted"),
            ApiError::NoRoute => "no such staff API route".into(),
            ApiError::MethodNotAllowed => "method not allowed".into(),
            ApiError::RateLimited(_) => "too many login attempts; try again later".into(),
            ApiError::Busy => "too many logins in progress; try again shortly".into(),
            ApiError::ChallengesBusy => "too many login challenges being prepared; try again in a second".into(),
            ApiError::Gone => "the person deleted this conversation, or it expired; nothing was stored".into(),
            ApiError::ConversationFull => format!(
                "the conversation is full ({} replies or {} MiB at most); nothing was stored",
                crate::reply::MAX_REPLIES,
                crate::reply::MAX_THREAD_BYTES >> 20
            ),
            ApiError::ReplyTooLarge => format!(
                "a reply is at most {} bytes of ciphertext; send a shorter one, or fewer documents",
                sealpost_format::reply::MAX_REPLY_BYTES
            ),
            ApiError::Internal => "internal error".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&ErrorBody { error: self.message() }).unwrap_or_default();
        let mut response = (self.status(), body).into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match self {
            ApiError::Unauthorized | ApiError::SessionExpired | ApiError::Revoked => {
                h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::RateLimited(secs) => {
                h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            ApiError::Busy => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            }
            ApiError::ChallengesBusy => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

/// Logs a storage failure once (kind only: no paths, which hold form names and ids) and hides it.
pub(super) fn internal(what: &'static str) -> impl Fn(io::Error) -> ApiError {
    move |e| {
        tracing::error!(error_kind = ?e.kind(), "staff api: {what} failed");
        ApiError::Internal
    }
}

/// A JSON response with `Cache-Control: no-store`.
pub(super) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = (status, body).into_response();
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => ApiError::Internal.into_response(),
    }
}

/// Reads a small JSON body of type `T`, and wipes the bytes it was parsed from.
pub(super) async fn read_json<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_JSON_BODY).await.map_err(|_| ApiError::TooLarge)?;
    // Takes over the collected buffer when it is the only reference (no copy), else copies it.
    // What this cannot reach: a shared buffer's other owner and hyper's read and TLS buffers,
    // which are reused for the connection's next bytes and freed unwiped.
    let mut buf = Vec::from(bytes);
    parse_then_wipe(&mut buf)
}

/// Parses `buf` as JSON of type `T`, then zeroes it (an ack carries its secret), parsed or not.
pub(super) fn parse_then_wipe<T: serde::de::DeserializeOwned>(buf: &mut [u8]) -> Result<T, ApiError> {
    let parsed = serde_json::from_slice(buf).map_err(|_| ApiError::BadRequest("the body is not the expected JSON"));
    zeroize::Zeroize::zeroize(buf);
    parsed
}
