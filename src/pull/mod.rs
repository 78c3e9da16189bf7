//! The server side of the staff API (`/staff/v1`, DESIGN §6, §10): login, list, download, ack,
//! and replies to conversations.
//!
//! Job: let whoever can decrypt a form's submissions prove it with an age challenge, list and
//! download the ciphertext, and acknowledge receipt so the spool can forget it.
//! Invariant: the access list *is* the form's recipients file. A session remembers only which
//! recipient logged in; every authenticated request re-derives what it may touch from the forms'
//! recipients as [`StaffService`] holds them at that moment (`current_forms`, never a copy taken at
//! login), and an ack checks once more right before deleting. A form whose list no longer names
//! the recipient looks exactly like an unknown id (404); a recipient on no list at all gets a 401
//! and all its sessions are dropped. A submission leaves `ready/` only after an ack naming the
//! SHA-256 of every file in its entry, by a rename into `trash/` (invariant 4). Challenges are
//! stateless (their id is sealed under a per-process key), so no one can evict a challenge before
//! its owner answers it; the set of redeemed ids and the sessions live only in memory, in tables
//! with a fixed number of slots, capped per recipient so one recipient cannot fill them for the
//! others (invariant 7); session tokens are held as SHA-256 hashes and compared in constant time. Failed logins spend a per-client budget and there is no
//! global one; issuing a challenge and answering it correctly spend none ([`StaffApi`]), so
//! nobody can spend the staff's logins, whatever addresses they share or public keys they know.
//! Never: builds a path from request text (ids go through [`sealpost_format::id::SubmissionId::parse`], file names
//! through [`sealpost_format::id::FileName::parse`]); logs an address, a token, a recipient or a submission id;
//! deletes anything on bad input.
//!
//! The wire types ([`sealpost_format::wire::Listed`], …) live in `sealpost-format`, which the staff client
//! shares.

mod ack;
mod errors;
mod listing;
mod login;
mod state;
#[cfg(test)]
mod tests;
mod threads;

use std::sync::Arc;

use ack::ack;
use axum::Router;
use axum::routing::{get, post};
use errors::ApiError;
use listing::{download, list};
use login::{challenge, session};

pub use ack::NEEDS_ACK_SECRET;
pub use errors::MAX_JSON_BODY;
pub use listing::MAX_LISTED_BYTES;
pub use state::{
    CHALLENGE_TTL, MAX_CHALLENGE_ENCRYPTIONS, MAX_LOGIN_CLIENTS, MAX_LOGINS_PER_RECIPIENT, MAX_REDEEMED, MAX_SESSIONS,
    MAX_SESSIONS_PER_RECIPIENT, StaffApi, StaffService,
};

// ───────────────────────────── routes ─────────────────────────────

/// The `/staff/v1` routes over `service`, to be nested under that prefix in a router of any state.
pub fn routes<S: Clone + Send + Sync + 'static>(service: Arc<StaffService>) -> Router<S> {
    Router::new()
        .route("/challenge", post(challenge))
        .route("/session", post(session))
        .route("/submissions", get(list))
        .route("/submissions/{id}/ack", post(ack))
        .route("/submissions/{id}/{file}", get(download))
        .route("/threads/{thread}", get(threads::thread))
        .route("/threads/{thread}/replies", post(threads::reply))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::NoRoute })
        .with_state(service)
}

/// The JSON fallback for a listener that serves only the staff API.
pub async fn no_route() -> ApiError {
    ApiError::NoRoute
}
