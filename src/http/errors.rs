//! Every client-visible failure as one enum, [`PageError`]: its status, its catalog key and its
//! headers. `pages::render_errors` turns it into a translated page: the one place errors become
//! responses.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{self, HeaderValue};

use crate::form::BodyError;
use crate::spool::SpoolError;

/// Retry-After of the 429 for a client over `max_requests_per_client`: its other requests are
/// usually page loads that end within seconds.
pub(super) const BUSY_RETRY_AFTER_SECS: u64 = 60;

/// `response` with `Connection: close`: the client's connection slot is given back at once.
pub(super) fn closing(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

// ───────────────────────────── errors → pages (the one place) ─────────────────────────────

/// Every client-visible failure. Handlers return it; `render_errors` turns it into a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// No such page or form.
    NotFound,
    /// The route exists, the method does not.
    MethodNotAllowed,
    /// Body over `max_body` (bytes).
    TooLarge(u64),
    /// Too many fields, malformed encoding.
    BadRequest,
    /// Not a form content type.
    Unsupported,
    /// A rate limit; come back after this many seconds.
    RateLimited(u64),
    /// The spool is over quota or the disk is full.
    SpoolFull,
    /// The request took longer than `request_timeout`.
    Timeout,
    /// A bug or a storage failure; logged once, without content.
    Internal,
}

impl PageError {
    /// The status this error is answered with.
    pub(super) fn status(self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            PageError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::BadRequest => StatusCode::BAD_REQUEST,
            PageError::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PageError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            PageError::SpoolFull => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Timeout => StatusCode::REQUEST_TIMEOUT,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Catalog key prefix: `error-<key>-title`, `error-<key>-body`.
    pub(super) fn key(self) -> &'static str {
        match self {
            PageError::NotFound => "not-found",
            PageError::MethodNotAllowed => "method",
            PageError::TooLarge(_) => "too-large",
            PageError::BadRequest => "bad-request",
            PageError::Unsupported => "unsupported",
            PageError::RateLimited(_) => "rate",
            PageError::SpoolFull => "full",
            PageError::Timeout => "timeout",
            PageError::Internal => "internal",
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        match self {
            PageError::RateLimited(secs) => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            PageError::SpoolFull => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("300"));
            }
            PageError::Timeout | PageError::TooLarge(_) | PageError::BadRequest => {
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response.extensions_mut().insert(self);
        response
    }
}

impl From<BodyError> for PageError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => PageError::TooLarge(0),
            BodyError::TooManyFields | BodyError::Malformed => PageError::BadRequest,
            BodyError::Unsupported => PageError::Unsupported,
            BodyError::Spool(e) => e.into(),
        }
    }
}

impl From<SpoolError> for PageError {
    fn from(e: SpoolError) -> Self {
        match e {
            SpoolError::Full => {
                tracing::warn!("spool full: refusing submissions");
                PageError::SpoolFull
            }
            SpoolError::CommittedButNotSynced(e) => {
                // Stored and visible to staff; only its durability across a power cut is unsure.
                tracing::error!(error = %e, "a submission was stored but its folder fsync failed twice");
                PageError::Internal
            }
            other => {
                tracing::error!(error = %other, "storing a submission failed");
                PageError::Internal
            }
        }
    }
}
