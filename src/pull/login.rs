//! Login (DESIGN §6 steps 1 and 2): a challenge for a listed recipient, and a session for a
//! correct answer. Only failures spend the client's login budget.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use zeroize::Zeroizing;

use sealpost_format::wire::{
    CHALLENGE_SECRET_LEN, ChallengeRequest, ChallengeResponse, SESSION_TTL, SessionRequest, SessionResponse,
};

use crate::limit::Connection;

use super::errors::{ApiError, json, read_json};
use super::state::{StaffService, current_forms, is_listed};

/// Spends one unit of the login budget of the request's client for `recipient` (the recipient
/// of a real challenge answered wrongly), or of its budget for other failures (`None`). Only
/// failures call this. On the onion listener every client is the tor daemon, so these are the
/// budgets of [`crate::limit::ONION_CLIENT`]: staff on loopback or `staff.listen` keep their own.
fn charge_login(
    app: &StaffService,
    connection: Connection,
    headers: &HeaderMap,
    recipient: Option<&str>,
) -> Result<(), ApiError> {
    let client = connection.client_key(headers, app.trusted_proxies());
    let scope = recipient.unwrap_or_default().as_bytes();
    app.staff().limiter.check(client, scope, Instant::now()).map_err(|l| ApiError::RateLimited(l.retry_after.as_secs()))
}

pub(super) async fn challenge(
    State(app): State<Arc<StaffService>>,
    connection: Connection,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // A refusal spends the client's budget for refusals. An issued challenge spends none: it
    // stores nothing, its CPU is bounded by MAX_CHALLENGE_ENCRYPTIONS, and a budget for it would
    // be keyed by a public key anyone can name, from an address staff may share (see StaffApi).
    let refused = |e: ApiError| charge_login(&app, connection, &headers, None).err().unwrap_or(e);
    let request: ChallengeRequest = read_json(body).await.map_err(refused)?;
    let recipient: age::x25519::Recipient = request
        .recipient
        .trim()
        .parse()
        .map_err(|_| refused(ApiError::BadRequest("\"recipient\" is not an age X25519 public key (age1…)")))?;
    let canonical = recipient.to_string();
    if !is_listed(current_forms(&app), &canonical) {
        tracing::warn!(reason = "recipient on no list", "staff login refused");
        return Err(refused(ApiError::UnknownRecipient));
    }
    let (armored, id) = app.staff().prepare_challenge(recipient).await?;
    Ok(json(StatusCode::OK, &ChallengeResponse { challenge_id: id, challenge: armored }))
}

pub(super) async fn session(
    State(app): State<Arc<StaffService>>,
    connection: Connection,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Only failures spend login budget here, and a correct answer is never refused by it: a wrong
    // answer to a real challenge spends the budget of (client, its recipient), any other failure
    // the client's budget for refusals.
    let refused_as = |app: &StaffService, e: ApiError, reason: &'static str, recipient: Option<&str>| {
        tracing::warn!(reason, "staff login refused");
        match charge_login(app, connection, &headers, recipient) {
            Err(limited) => limited,
            Ok(()) => e,
        }
    };
    let refused = |app: &StaffService, e: ApiError, reason: &'static str| refused_as(app, e, reason, None);
    let request: SessionRequest = match read_json(body).await {
        Ok(r) => r,
        Err(e) => return Err(refused(&app, e, "malformed session request")),
    };
    let answer = match data_encoding::BASE64.decode(request.response.trim().as_bytes()) {
        Ok(bytes) if bytes.len() == CHALLENGE_SECRET_LEN => Zeroizing::new(bytes),
        _ => {
            let e = ApiError::BadRequest("\"response\" is not base64 of 32 bytes");
            return Err(refused(&app, e, "malformed response"));
        }
    };
    let recipient = match app.staff().redeem(&request.challenge_id, &answer, Instant::now()) {
        Ok(r) => r,
        Err(e) => {
            let reason = match e {
                ApiError::ExpiredChallenge => "expired challenge",
                ApiError::WrongResponse => "wrong response",
                _ => "unknown challenge",
            };
            let recipient = if e == ApiError::WrongResponse {
                app.staff().challenge_recipient(&request.challenge_id)
            } else {
                None
            };
            return Err(refused_as(&app, e, reason, recipient.as_deref()));
        }
    };
    if !is_listed(current_forms(&app), &recipient) {
        return Err(refused(&app, ApiError::UnknownRecipient, "recipient removed from its list"));
    }
    let token = app.staff().open_session(recipient, Instant::now())?;
    tracing::info!("staff session opened");
    Ok(json(StatusCode::OK, &SessionResponse { token, expires_in: SESSION_TTL.as_secs() }))
}
