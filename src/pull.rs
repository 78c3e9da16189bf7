//! The server side of the staff API (`/staff/v1`, DESIGN §6): login, list, download, ack.
//!
//! Job: let whoever can decrypt a form's submissions prove it with an age challenge, list and
//! download the ciphertext, and acknowledge receipt so the spool can forget it.
//! Invariant: the access list *is* the form's recipients file. A session remembers only which
//! recipient logged in; every authenticated request re-derives what it may touch from the forms'
//! recipients as [`App`] holds them at that moment (`current_forms`, never a copy taken at
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
//! Never: builds a path from request text (ids go through [`SubmissionId::parse`], file names
//! through [`FileName::parse`]); logs an address, a token, a recipient or a submission id;
//! deletes anything on bad input.
//!
//! The wire types ([`Listed`], [`FileName`], …) live in `sealpost-format`, which the staff client
//! shares.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path as UrlPath, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use sealpost_format::envelope::AckSecret;
use sealpost_format::files::{sha256_file, sync_dir};
use sealpost_format::id::{FileName, SubmissionId, parse_sha256};
use sealpost_format::wire::{
    AckRequest, CHALLENGE_LABEL, CHALLENGE_SECRET_LEN, ChallengeRequest, ChallengeResponse, ErrorBody, ListQuery,
    Listed, ListedFile, MAX_LISTED, SESSION_TTL, SessionRequest, SessionResponse,
};

use crate::config::{FormSpec, Limits};
use crate::http::{App, Connection};
use crate::limit::ClientLimiter;
use crate::spool::ACK_FILE;

/// How long a login challenge can be answered.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(60);
/// Most sessions open at once (each ≈ 150 bytes); only holders of a listed identity can open one.
pub const MAX_SESSIONS: usize = 256;
/// Most sessions open at once for one recipient; a new login evicts that recipient's oldest. A
/// pull needs one, so this leaves room for a person on two machines and a cron job, while a
/// cron job logging in every minute cannot fill [`MAX_SESSIONS`] for everyone else.
pub const MAX_SESSIONS_PER_RECIPIENT: usize = 4;
/// Most logins one recipient can complete within one [`CHALLENGE_TTL`]; the next gets a 503 until
/// its oldest redeemed challenge expires. Only someone who can decrypt as that recipient can
/// reach it (each entry needs a correct answer), and then it holds up only that recipient. A pull
/// logs in once per recipient, so 16 a minute leaves room for a person, a cron job and retries.
pub const MAX_LOGINS_PER_RECIPIENT: usize = 16;
/// Most redeemed challenge ids remembered at once (each ≈ 100 bytes, 400 KiB in all), each only
/// until its challenge would have expired, so that none is accepted twice. Entries come only from
/// *successful* logins, at most [`MAX_LOGINS_PER_RECIPIENT`] per listed recipient per
/// [`CHALLENGE_TTL`], so the set fills only if more than 256 listed identities each log in at
/// that maximum within one minute; then logins get a 503 until the oldest entry expires (≤ 60 s)
/// and nothing is evicted (an evicted id could be replayed).
pub const MAX_REDEEMED: usize = 4096;
/// Longest `challenge_id` accepted, in characters (a real one is 190); longer ones are unknown
/// without being decoded.
const MAX_CHALLENGE_ID: usize = 512;
/// Associated data of every challenge id, so the key can never authenticate anything else.
const CHALLENGE_ID_AAD: &[u8] = b"sealpost-staff-challenge-id-v1";
/// XChaCha20-Poly1305 nonce bytes at the front of a challenge id (random, so never repeated).
const CHALLENGE_NONCE_LEN: usize = 24;
/// Most login challenges being encrypted at once (each is one X25519 encryption and its armor,
/// about as much work as the TLS handshake that carried the request). Issuing a challenge for a
/// listed recipient stores nothing and spends no per-client budget (a budget keyed by something
/// an attacker can share, the tor daemon's address or a NAT, or name, a public key, could be spent
/// against the staff member it names), so this is what bounds the CPU a flood of them can take:
/// over it, a 503 with `Retry-After: 1`. Two, one per core of a small server.
pub const MAX_CHALLENGE_ENCRYPTIONS: usize = 2;
/// Most clients the login rate limit tracks at once (each ≈ 50 bytes); beyond it the client
/// closest to a full budget is forgotten (see [`ClientLimiter`]).
pub const MAX_LOGIN_CLIENTS: usize = 4096;
/// Largest JSON request body (an ack names at most every file of one submission).
pub const MAX_JSON_BODY: usize = 64 * 1024;
/// Most ciphertext bytes one listing hashes (at least one submission is always listed), so a
/// listing answers in seconds even when large attachments wait.
pub const MAX_LISTED_BYTES: u64 = 1 << 30;
/// Read buffer for hashing and streaming ciphertext files.
const READ_BUFFER: usize = 64 * 1024;

// ───────────────────────────── state ─────────────────────────────

/// The staff API's in-memory state: the challenge key, redeemed challenges, sessions, the login
/// rate limit.
pub struct StaffApi {
    /// Issues and opens challenge ids. Outstanding challenges are kept nowhere on the server, so
    /// no number of requests from others can push one out before its owner answers it.
    challenges: Challenges,
    /// Open sessions; at most [`MAX_SESSIONS`]. A list, scanned in full on every lookup, so the
    /// token comparison takes the same time wherever (and whether) the token is found.
    sessions: Mutex<Vec<Session>>,
    /// Login budget per client, at the submissions' per-client rate but in its own table. Only
    /// failures spend it: a refused challenge (malformed, or for a recipient on no list) and a
    /// failed `/session` spend the client's budget for refusals, except a wrong answer to a real
    /// challenge, which spends the budget kept for (client, that challenge's recipient). An
    /// issued challenge spends nothing (it stores nothing; [`MAX_CHALLENGE_ENCRYPTIONS`] bounds
    /// its CPU) and a correct answer is never refused by this budget, so no one sharing an
    /// address with a staff member (every Tor client is the tor daemon) and knowing their public
    /// key can lock them out. There is deliberately no global login budget: a global bucket is a
    /// lock that anyone with enough addresses can hold shut.
    limiter: ClientLimiter,
    /// Permits for [`MAX_CHALLENGE_ENCRYPTIONS`].
    encryptions: Arc<tokio::sync::Semaphore>,
    /// Serialises acknowledgements, so two staff members acking one submission cannot race.
    ack_lock: Mutex<()>,
    /// Whether the staff routes are served on their own listener (`[staff] listen`).
    separate_listener: bool,
}

/// Stateless login challenges: the id is an XChaCha20-Poly1305 box, under a key drawn at start
/// and never stored, of (expiry, SHA-256 of the secret, recipient). Only this process can make
/// or open one, a changed byte makes it unknown, and the recipient it names is the one the
/// secret was encrypted to, so an answer logs in as that recipient and no other. The one state
/// kept is the set of redeemed ids (until their expiry), which makes each id single use.
struct Challenges {
    /// The per-process key (zeroized on drop by the crate).
    cipher: XChaCha20Poly1305,
    /// Expiries inside ids count milliseconds from here: a monotonic clock, and ids never
    /// outlive the process that holds their key.
    epoch: Instant,
    /// Ids answered correctly, until they expire; at most [`MAX_REDEEMED`].
    redeemed: Mutex<RedeemedSet>,
}

/// The redeemed ids, and the latest time anyone looked at them.
struct RedeemedSet {
    ids: Vec<Redeemed>,
    /// The latest `now` seen under the lock. Expiry is judged against the later of this and the
    /// caller's `now`, so times under the lock only go forward: once an id was forgotten as
    /// expired, no request that read the clock earlier can still find it unexpired (and replay it).
    clock: Instant,
}

impl RedeemedSet {
    /// Moves the clock forward to `now` (never back), drops the ids expired by then, and returns
    /// the clock.
    fn advance(&mut self, now: Instant) -> Instant {
        self.clock = self.clock.max(now);
        let clock = self.clock;
        self.ids.retain(|r| r.expires > clock);
        clock
    }
}

/// A challenge that was answered correctly, remembered so it cannot be answered again.
struct Redeemed {
    /// The id's nonce: random, so it names exactly one id; a changed id fails to open.
    nonce: [u8; CHALLENGE_NONCE_LEN],
    /// The recipient it logged in, for [`MAX_LOGINS_PER_RECIPIENT`].
    recipient: String,
    /// When the id would have expired anyway; then it is forgotten.
    expires: Instant,
}

/// What a challenge id says once opened.
struct OpenedChallenge {
    nonce: [u8; CHALLENGE_NONCE_LEN],
    expires: Instant,
    answer: [u8; 32],
    recipient: String,
}

impl Challenges {
    fn new() -> Challenges {
        let key = Zeroizing::new(crate::random_bytes::<32>());
        Challenges {
            cipher: XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&key[..])),
            epoch: Instant::now(),
            redeemed: Mutex::new(RedeemedSet { ids: Vec::new(), clock: Instant::now() }),
        }
    }

    /// A challenge id for `recipient`, whose secret hashes to `answer`, valid for
    /// [`CHALLENGE_TTL`] from `now`.
    fn issue(&self, recipient: &str, answer: &[u8; 32], now: Instant) -> Result<String, ApiError> {
        let expires = now.saturating_duration_since(self.epoch).saturating_add(CHALLENGE_TTL);
        let millis = u64::try_from(expires.as_millis()).unwrap_or(u64::MAX);
        let mut plain = Zeroizing::new(Vec::with_capacity(8 + 32 + recipient.len()));
        plain.extend_from_slice(&millis.to_be_bytes());
        plain.extend_from_slice(answer);
        plain.extend_from_slice(recipient.as_bytes());
        let nonce = crate::random_bytes::<CHALLENGE_NONCE_LEN>();
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: &plain, aad: CHALLENGE_ID_AAD })
            .map_err(|_| ApiError::Internal)?;
        let mut id = Vec::with_capacity(nonce.len() + sealed.len());
        id.extend_from_slice(&nonce);
        id.extend_from_slice(&sealed);
        Ok(data_encoding::BASE64URL_NOPAD.encode(&id))
    }

    /// Opens a challenge id; `None` unless this process issued exactly it.
    fn open(&self, id: &str) -> Option<OpenedChallenge> {
        if id.len() > MAX_CHALLENGE_ID {
            return None;
        }
        let bytes = data_encoding::BASE64URL_NOPAD.decode(id.as_bytes()).ok()?;
        let (nonce, sealed) = bytes.split_at_checked(CHALLENGE_NONCE_LEN)?;
        let plain = Zeroizing::new(
            self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: CHALLENGE_ID_AAD }).ok()?,
        );
        let (millis, rest) = plain.split_first_chunk::<8>()?;
        let (answer, recipient) = rest.split_first_chunk::<32>()?;
        Some(OpenedChallenge {
            nonce: nonce.try_into().ok()?,
            expires: self.epoch.checked_add(Duration::from_millis(u64::from_be_bytes(*millis)))?,
            answer: *answer,
            recipient: String::from_utf8(recipient.to_vec()).ok()?,
        })
    }
}

/// An open session.
struct Session {
    /// SHA-256 of the bearer token (the token itself is not kept).
    token: [u8; 32],
    /// Canonical `age1…` recipient that logged in; access is re-derived from it at every request.
    recipient: String,
    /// When it stops being accepted.
    expires: Instant,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the tables hold no
/// invariant that a panic mid-update could break: every update is a single insert or remove).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl StaffApi {
    /// Empty tables; logins limited at the per-client submission rate in `limits`.
    pub fn new(limits: &Limits, separate_listener: bool) -> StaffApi {
        StaffApi {
            challenges: Challenges::new(),
            sessions: Mutex::new(Vec::new()),
            limiter: ClientLimiter::new(limits.per_client, MAX_LOGIN_CLIENTS),
            encryptions: Arc::new(tokio::sync::Semaphore::new(MAX_CHALLENGE_ENCRYPTIONS)),
            ack_lock: Mutex::new(()),
            separate_listener,
        }
    }

    /// Whether the staff routes have their own listener (then the public one does not serve them).
    pub fn separate_listener(&self) -> bool {
        self.separate_listener
    }

    /// Drops expired redeemed challenges and sessions and idle rate-limit entries.
    pub fn prune(&self) {
        self.prune_at(Instant::now());
    }

    fn prune_at(&self, now: Instant) {
        lock(&self.challenges.redeemed).advance(now);
        lock(&self.sessions).retain(|s| s.expires > now);
        self.limiter.prune(now);
    }

    /// A challenge id for `recipient` whose answer hashes to `answer`. Nothing is stored: however
    /// many challenges anyone asks for, every one issued stays answerable until it expires.
    fn issue_challenge(&self, recipient: String, answer: [u8; 32], now: Instant) -> Result<String, ApiError> {
        self.challenges.issue(&recipient, &answer, now)
    }

    /// A fresh challenge for `recipient`: the armored age file and its id. The encryption runs on
    /// the blocking pool, at most [`MAX_CHALLENGE_ENCRYPTIONS`] at once; over that,
    /// [`ApiError::ChallengesBusy`] at once (never a queue, which a flood would fill).
    async fn prepare_challenge(&self, recipient: age::x25519::Recipient) -> Result<(String, String), ApiError> {
        let Ok(permit) = self.encryptions.clone().try_acquire_owned() else {
            tracing::warn!("staff login refused: too many challenges being encrypted");
            return Err(ApiError::ChallengesBusy);
        };
        let canonical = recipient.to_string();
        let secret = Zeroizing::new(crate::random_bytes::<CHALLENGE_SECRET_LEN>());
        let answer: [u8; 32] = Sha256::digest(&secret[..]).into();
        let armored = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            encrypt_challenge(&recipient, &secret[..])
        })
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(internal("encrypting a challenge"))?;
        let id = self.issue_challenge(canonical, answer, Instant::now())?;
        Ok((armored, id))
    }

    /// The recipient a challenge id was issued for, if this process issued it.
    fn challenge_recipient(&self, id: &str) -> Option<String> {
        self.challenges.open(id).map(|c| c.recipient)
    }

    /// Returns the recipient of challenge `id` if `response` is its answer, and marks the id used.
    /// A wrong answer leaves the challenge open: only the client that asked holds its id, the
    /// secret has 256 bits, and failures spend login budget, while remembering them would let
    /// failures fill the redeemed set.
    fn redeem(&self, id: &str, response: &[u8], now: Instant) -> Result<String, ApiError> {
        let challenge = self.challenges.open(id).ok_or(ApiError::UnknownChallenge)?;
        let given: [u8; 32] = Sha256::digest(response).into();
        if !bool::from(given.ct_eq(&challenge.answer)) {
            return Err(ApiError::WrongResponse);
        }
        let mut set = lock(&self.challenges.redeemed);
        // Expiry is judged here, under the lock, on a clock that only goes forward: a `prune`
        // that forgot this id as expired has moved it past the id's expiry.
        let now = set.advance(now);
        if challenge.expires <= now {
            return Err(ApiError::ExpiredChallenge);
        }
        let redeemed = &mut set.ids;
        if redeemed.iter().any(|r| r.nonce == challenge.nonce) {
            return Err(ApiError::UnknownChallenge);
        }
        if redeemed.iter().filter(|r| r.recipient == challenge.recipient).count() >= MAX_LOGINS_PER_RECIPIENT {
            tracing::warn!("staff login refused: too many logins for one recipient in the last minute");
            return Err(ApiError::Busy);
        }
        if redeemed.len() >= MAX_REDEEMED {
            tracing::warn!("staff login refused: too many logins in the last minute");
            return Err(ApiError::Busy);
        }
        redeemed.push(Redeemed {
            nonce: challenge.nonce,
            recipient: challenge.recipient.clone(),
            expires: challenge.expires,
        });
        Ok(challenge.recipient)
    }

    /// Opens a session for `recipient`; returns the token (shown once, then only its hash is kept).
    /// A recipient with [`MAX_SESSIONS_PER_RECIPIENT`] open loses its oldest.
    fn open_session(&self, recipient: String, now: Instant) -> Result<String, ApiError> {
        let mut table = lock(&self.sessions);
        table.retain(|s| s.expires > now);
        // The table is in the order sessions were opened (only `push` adds), so a recipient's
        // first sessions in it are its oldest.
        let theirs = table.iter().filter(|s| s.recipient == recipient).count();
        let mut surplus = (theirs + 1).saturating_sub(MAX_SESSIONS_PER_RECIPIENT);
        table.retain(|s| {
            let evict = surplus > 0 && s.recipient == recipient;
            surplus -= usize::from(evict);
            !evict
        });
        if table.len() >= MAX_SESSIONS {
            tracing::warn!("staff login refused: too many sessions open");
            return Err(ApiError::Busy);
        }
        let secret = Zeroizing::new(crate::random_bytes::<32>());
        let token = data_encoding::BASE64URL_NOPAD.encode(secret.as_ref());
        table.push(Session { token: Sha256::digest(token.as_bytes()).into(), recipient, expires: now + SESSION_TTL });
        Ok(token)
    }

    /// The recipient whose session `token` is, compared in constant time against every session.
    #[cfg(test)]
    fn session(&self, token: &str, now: Instant) -> Result<String, ApiError> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.session_by_hash(&hash, now)
    }

    fn session_by_hash(&self, hash: &[u8; 32], now: Instant) -> Result<String, ApiError> {
        let table = lock(&self.sessions);
        let mut found: Option<&Session> = None;
        for session in table.iter() {
            if bool::from(session.token.ct_eq(hash)) {
                found = Some(session);
            }
        }
        match found {
            Some(s) if s.expires > now => Ok(s.recipient.clone()),
            Some(_) => Err(ApiError::SessionExpired),
            None => Err(ApiError::Unauthorized),
        }
    }

    /// The recipient behind the request's `Authorization: Bearer` header.
    fn authenticate(&self, headers: &HeaderMap, now: Instant) -> Result<String, ApiError> {
        self.session_by_hash(&bearer_hash(headers)?, now)
    }

    /// Authenticates the request and works out, from `forms` — the recipients lists as they are
    /// *now* — which forms its recipient may read. A recipient that is on no list any more gets
    /// [`ApiError::Revoked`] and every session it holds is dropped.
    fn authorize(&self, headers: &HeaderMap, forms: &[FormSpec], now: Instant) -> Result<Access, ApiError> {
        let recipient = self.authenticate(headers, now)?;
        let readable = readable_forms(forms, &recipient);
        if readable.is_empty() {
            lock(&self.sessions).retain(|s| s.recipient != recipient);
            tracing::warn!("staff session closed: its recipient is on no recipients list any more");
            return Err(ApiError::Revoked);
        }
        Ok(Access { recipient, forms: readable })
    }
}

/// SHA-256 of the bearer token in the request's `Authorization` header.
fn bearer_hash(headers: &HeaderMap) -> Result<[u8; 32], ApiError> {
    let value = headers.get(header::AUTHORIZATION).ok_or(ApiError::Unauthorized)?;
    let (scheme, token) = value.to_str().ok().and_then(|v| v.split_once(' ')).ok_or(ApiError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized);
    }
    Ok(Sha256::digest(token.trim().as_bytes()).into())
}

/// What an authenticated request may touch, derived at request time.
#[derive(Debug, PartialEq, Eq)]
struct Access {
    /// The recipient that logged in.
    recipient: String,
    /// The forms whose recipients list names it now (never empty).
    forms: Vec<String>,
}

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
    /// A storage failure; logged once, without details that could identify anything.
    Internal,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized | ApiError::SessionExpired | ApiError::Revoked => StatusCode::UNAUTHORIZED,
            ApiError::UnknownRecipient | ApiError::WrongResponse => StatusCode::FORBIDDEN,
            ApiError::UnknownChallenge | ApiError::NotFound(_) | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::ExpiredChallenge => StatusCode::GONE,
            ApiError::Mismatch(_) => StatusCode::CONFLICT,
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
fn internal(what: &'static str) -> impl Fn(io::Error) -> ApiError {
    move |e| {
        tracing::error!(error_kind = ?e.kind(), "staff api: {what} failed");
        ApiError::Internal
    }
}

/// A JSON response with `Cache-Control: no-store`.
fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
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

// ───────────────────────────── routes ─────────────────────────────

/// The `/staff/v1` routes, to be nested under that prefix.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/challenge", post(challenge))
        .route("/session", post(session))
        .route("/submissions", get(list))
        .route("/submissions/{id}/ack", post(ack))
        .route("/submissions/{id}/{file}", get(download))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::NoRoute })
}

/// The JSON fallback for a listener that serves only the staff API.
pub async fn no_route() -> ApiError {
    ApiError::NoRoute
}

/// Reads a small JSON body of type `T`, and wipes the bytes it was parsed from.
async fn read_json<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_JSON_BODY).await.map_err(|_| ApiError::TooLarge)?;
    // Takes over the collected buffer when it is the only reference (no copy), else copies it.
    // What this cannot reach: a shared buffer's other owner and hyper's read and TLS buffers,
    // which are reused for the connection's next bytes and freed unwiped.
    let mut buf = Vec::from(bytes);
    parse_then_wipe(&mut buf)
}

/// Parses `buf` as JSON of type `T`, then zeroes it (an ack carries its secret), parsed or not.
fn parse_then_wipe<T: serde::de::DeserializeOwned>(buf: &mut [u8]) -> Result<T, ApiError> {
    let parsed = serde_json::from_slice(buf).map_err(|_| ApiError::BadRequest("the body is not the expected JSON"));
    zeroize::Zeroize::zeroize(buf);
    parsed
}

/// The forms with their recipients lists as they are now: the one place the staff API reads the
/// access lists. Each request calls it after authenticating (and an ack once more before
/// deleting), so a change to the lists (a SIGHUP reload) applies to open sessions at their next
/// request.
fn current_forms(app: &App) -> &[FormSpec] {
    app.forms()
}

/// Spends one unit of the login budget of the request's client for `recipient` (the recipient
/// of a real challenge answered wrongly), or of its budget for other failures (`None`). Only
/// failures call this. On the onion listener every client is the tor daemon, so these are the
/// budgets of [`crate::limit::ONION_CLIENT`]: staff on loopback or `staff.listen` keep their own.
fn charge_login(
    app: &App,
    connection: Connection,
    headers: &HeaderMap,
    recipient: Option<&str>,
) -> Result<(), ApiError> {
    let client = connection.client_key(headers, app.trusted_proxies());
    let scope = recipient.unwrap_or_default().as_bytes();
    app.staff().limiter.check(client, scope, Instant::now()).map_err(|l| ApiError::RateLimited(l.retry_after.as_secs()))
}

/// Whether `recipient` is on any of `forms`' lists.
fn is_listed(forms: &[FormSpec], recipient: &str) -> bool {
    forms.iter().any(|f| f.recipients.current().contains(recipient))
}

/// The ids of the forms among `forms` whose list names `recipient`.
fn readable_forms(forms: &[FormSpec], recipient: &str) -> Vec<String> {
    forms.iter().filter(|f| f.recipients.current().contains(recipient)).map(|f| f.id.clone()).collect()
}

async fn challenge(
    State(app): State<Arc<App>>,
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

/// An armored age file encrypting [`CHALLENGE_LABEL`] followed by `secret` to `recipient`.
fn encrypt_challenge(recipient: &age::x25519::Recipient, secret: &[u8]) -> io::Result<String> {
    use age::armor::{ArmoredWriter, Format};
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .map_err(|_| io::Error::other("recipient refused"))?;
    let mut writer = encryptor.wrap_output(ArmoredWriter::wrap_output(Vec::new(), Format::AsciiArmor)?)?;
    writer.write_all(CHALLENGE_LABEL)?;
    writer.write_all(secret)?;
    let bytes = writer.finish()?.finish()?;
    String::from_utf8(bytes).map_err(|_| io::Error::other("armor is not text"))
}

async fn session(
    State(app): State<Arc<App>>,
    connection: Connection,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Only failures spend login budget here, and a correct answer is never refused by it: a wrong
    // answer to a real challenge spends the budget of (client, its recipient), any other failure
    // the client's budget for refusals.
    let refused_as = |app: &App, e: ApiError, reason: &'static str, recipient: Option<&str>| {
        tracing::warn!(reason, "staff login refused");
        match charge_login(app, connection, &headers, recipient) {
            Err(limited) => limited,
            Ok(()) => e,
        }
    };
    let refused = |app: &App, e: ApiError, reason: &'static str| refused_as(app, e, reason, None);
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

async fn list(
    State(app): State<Arc<App>>,
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

async fn download(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    path: Result<UrlPath<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (id, file) = parse_target(path)?;
    let access = app.staff().authorize(&headers, current_forms(&app), Instant::now())?;
    let dir = find_entry(&app, &access, &id).await?;
    let file = match tokio::fs::File::open(dir.join(file.to_string())).await {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ApiError::NotFound("no such file in this submission"));
        }
        Err(e) => return Err(internal("opening a submission file")(e)),
    };
    let len = file.metadata().await.map_err(internal("reading a submission file"))?.len();
    let stream = tokio_util::io::ReaderStream::with_capacity(file, READ_BUFFER);
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn ack(
    State(app): State<Arc<App>>,
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
        delete_if_matching(&dir, app2.spool().trash_dir(), id.as_str(), &named, request.ack.as_ref())
    })
    .await
    .map_err(|_| ApiError::Internal)??;
    app.spool().release(freed);
    tracing::info!(form = %form, "submission acknowledged and deleted");
    Ok((StatusCode::NO_CONTENT, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]).into_response())
}

/// The entry `ready/<form>/<id>/` among the forms `access` may read. A submission of a form the
/// caller cannot read (any more) is reported exactly like a missing one.
async fn find_entry(app: &App, access: &Access, id: &SubmissionId) -> Result<PathBuf, ApiError> {
    for form in &access.forms {
        let dir = app.spool().ready_dir().join(form).join(id.as_str());
        if tokio::fs::metadata(&dir).await.is_ok_and(|m| m.is_dir()) {
            return Ok(dir);
        }
    }
    Err(ApiError::NotFound("no such submission"))
}

// ───────────────────────────── spool reading and deleting (blocking) ─────────────────────────────

/// The files of one entry, by name, with their sizes, leaving out [`ACK_FILE`]; `None` if the
/// entry holds anything else (which the spool never writes) or no envelope.
fn entry_files(dir: &Path) -> io::Result<Option<BTreeMap<FileName, u64>>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        let name = entry.file_name();
        if name == ACK_FILE && meta.is_file() {
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
fn list_ready(
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

/// Deletes entry `dir` if `named` lists exactly its files with matching hashes and, for an entry
/// with an [`ACK_FILE`], `ack` is the secret it is the hash of: rename into `trash/<id>`, fsync
/// both parents, then unlink. An entry without one (written before envelope version 2) is deleted
/// on the hashes alone, as it always was. Returns the bytes freed: 0 if emptying trash failed,
/// since those bytes are still on disk (the next start empties trash and measures again).
fn delete_if_matching(
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
    let freed: u64 = files.values().sum::<u64>() + ack_record.map_or(0, |_| ACK_RECORD_LEN as u64);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::config::Rate;
    use std::io::Read;
    use std::num::NonZeroU32;

    fn limits() -> Limits {
        let rate = Rate { burst: NonZeroU32::new(5).unwrap(), period: Duration::from_secs(1) };
        Limits {
            max_body: 1 << 20,
            per_client: rate,
            global: rate,
            max_spool: 1 << 30,
            min_fill_time: Duration::ZERO,
            max_fill_time: Duration::from_secs(3600),
            max_fields: 10,
            header_read_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            max_connections: 1,
            rate_limit_table: 10,
            max_requests_per_client: 1,
            max_connections_per_client: 1,
            min_upload_rate: 1,
            upload_rate_window: Duration::from_secs(1),
            http2_idle_timeout: Duration::from_secs(1),
        }
    }

    fn answer(bytes: &[u8]) -> [u8; 32] {
        Sha256::digest(bytes).into()
    }

    #[test]
    fn a_challenge_is_single_use() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let id = api.issue_challenge("age1x".into(), answer(b"secret"), now).unwrap();
        assert_eq!(api.redeem(&id, b"secret", now).unwrap(), "age1x");
        assert_eq!(api.redeem(&id, b"secret", now), Err(ApiError::UnknownChallenge));
    }

    #[test]
    fn a_wrong_response_is_refused_and_leaves_the_challenge_to_its_owner() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let id = api.issue_challenge("age1x".into(), answer(b"secret"), now).unwrap();
        assert_eq!(api.redeem(&id, b"guess", now), Err(ApiError::WrongResponse));
        assert!(lock(&api.challenges.redeemed).ids.is_empty(), "failures never fill the redeemed set");
        assert_eq!(api.redeem(&id, b"secret", now).unwrap(), "age1x");
    }

    #[test]
    fn a_challenge_expires_after_its_ttl() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let id = api.issue_challenge("age1x".into(), answer(b"secret"), now).unwrap();
        let on_time = api.issue_challenge("age1x".into(), answer(b"secret"), now).unwrap();
        // Just in time first: the clock the redeemed set judges by only goes forward.
        let just_in_time = now + CHALLENGE_TTL - Duration::from_millis(2);
        assert_eq!(api.redeem(&on_time, b"secret", just_in_time).unwrap(), "age1x");
        assert_eq!(api.redeem(&id, b"secret", now + CHALLENGE_TTL), Err(ApiError::ExpiredChallenge));
        assert_eq!(api.redeem(&id, b"secret", now + CHALLENGE_TTL * 100), Err(ApiError::ExpiredChallenge));
    }

    #[test]
    fn a_json_request_body_is_wiped_once_parsed_whether_or_not_it_parses() {
        let secret = "ab".repeat(32);
        let mut good = serde_json::to_vec(&serde_json::json!({ "sha256": {}, "ack": secret })).unwrap();
        let ack: AckRequest = parse_then_wipe(&mut good).unwrap();
        assert!(ack.ack.is_some());
        assert!(good.iter().all(|b| *b == 0), "the request bytes still hold the ack secret");
        let mut bad = format!("{{\"ack\": \"{secret}\", \"oops\"").into_bytes();
        assert!(parse_then_wipe::<AckRequest>(&mut bad).is_err());
        assert!(bad.iter().all(|b| *b == 0));
    }

    #[tokio::test]
    async fn a_challenge_beyond_the_bound_on_concurrent_encryptions_gets_a_503_json_error_at_once() {
        let api = StaffApi::new(&limits(), false);
        let recipient = age::x25519::Identity::generate().to_public();
        let bound = u32::try_from(MAX_CHALLENGE_ENCRYPTIONS).unwrap();
        // Every permit is taken, as by that many encryptions in progress.
        let busy = api.encryptions.clone().try_acquire_many_owned(bound).unwrap();
        let refused = api.prepare_challenge(recipient.clone()).await.unwrap_err();
        assert_eq!(refused, ApiError::ChallengesBusy);
        let response = refused.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let body: ErrorBody = serde_json::from_slice(&body).unwrap();
        assert_eq!(body.error, "too many login challenges being prepared; try again in a second");
        drop(busy);
        let (armored, id) = api.prepare_challenge(recipient).await.unwrap();
        assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        assert!(api.challenge_recipient(&id).is_some());
        assert_eq!(api.encryptions.available_permits(), MAX_CHALLENGE_ENCRYPTIONS, "the permit is given back");
    }

    #[test]
    fn a_redeemed_challenge_cannot_be_replayed_by_a_request_that_read_the_clock_before_a_prune() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let id = api.issue_challenge("age1x".into(), answer(b"secret"), now).unwrap();
        // A captured answer, sent twice right at expiry: the second request read the clock just
        // before expiry, then a prune (with a later clock) ran before it reached the redeemed set.
        let stale = now + CHALLENGE_TTL - Duration::from_millis(2);
        assert_eq!(api.redeem(&id, b"secret", stale).unwrap(), "age1x");
        api.prune_at(now + CHALLENGE_TTL + Duration::from_millis(1));
        assert_eq!(api.redeem(&id, b"secret", stale), Err(ApiError::ExpiredChallenge), "replayed after the prune");
    }

    #[test]
    fn a_tampered_challenge_id_is_refused() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let id = api.issue_challenge("age1x".into(), answer(b"secret"), now).unwrap();
        let bytes = data_encoding::BASE64URL_NOPAD.decode(id.as_bytes()).unwrap();
        for at in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[at] ^= 1;
            let forged = data_encoding::BASE64URL_NOPAD.encode(&changed);
            assert_eq!(api.redeem(&forged, b"secret", now), Err(ApiError::UnknownChallenge), "byte {at}");
        }
        let truncated = data_encoding::BASE64URL_NOPAD.encode(&bytes[..bytes.len() - 1]);
        for forged in [truncated, format!("{id}A"), String::new(), "!".repeat(10), "A".repeat(100_000)] {
            assert_eq!(api.redeem(&forged, b"secret", now), Err(ApiError::UnknownChallenge));
        }
        let other_process = StaffApi::new(&limits(), false);
        assert_eq!(other_process.redeem(&id, b"secret", now), Err(ApiError::UnknownChallenge), "another key");
        assert_eq!(api.redeem(&id, b"secret", now).unwrap(), "age1x", "the real one still works");
    }

    #[test]
    fn a_challenge_for_one_recipient_cannot_log_in_as_another() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let alices = api.issue_challenge("age1alice".into(), answer(b"alice's secret"), now).unwrap();
        let bobs = api.issue_challenge("age1bob".into(), answer(b"bob's secret"), now).unwrap();
        // Alice can decrypt only her own challenge; its secret does not answer Bob's.
        assert_eq!(api.redeem(&bobs, b"alice's secret", now), Err(ApiError::WrongResponse));
        assert_eq!(api.redeem(&alices, b"alice's secret", now).unwrap(), "age1alice");
        assert_eq!(api.redeem(&bobs, b"bob's secret", now).unwrap(), "age1bob");
    }

    #[test]
    fn a_pending_challenge_survives_any_number_of_challenges_for_its_key() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let mine = api.issue_challenge("age1staff".into(), answer(b"mine"), now).unwrap();
        for i in 0..10_000u64 {
            api.issue_challenge("age1staff".into(), answer(b"s"), now + Duration::from_micros(i)).unwrap();
        }
        assert!(lock(&api.challenges.redeemed).ids.is_empty(), "nothing is kept for an unanswered challenge");
        assert_eq!(api.redeem(&mine, b"mine", now + Duration::from_secs(59)).unwrap(), "age1staff");
    }

    #[test]
    fn one_recipient_can_complete_a_bounded_number_of_logins_per_challenge_lifetime() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        for _ in 0..MAX_LOGINS_PER_RECIPIENT {
            let id = api.issue_challenge("age1cron".into(), answer(b"s"), now).unwrap();
            api.redeem(&id, b"s", now).unwrap();
        }
        let id = api.issue_challenge("age1cron".into(), answer(b"s"), now).unwrap();
        assert_eq!(api.redeem(&id, b"s", now), Err(ApiError::Busy));
        let other = api.issue_challenge("age1alice".into(), answer(b"a"), now).unwrap();
        assert_eq!(api.redeem(&other, b"a", now).unwrap(), "age1alice", "another recipient is not held up");
        let later = now + CHALLENGE_TTL;
        let id = api.issue_challenge("age1cron".into(), answer(b"s"), later).unwrap();
        assert_eq!(api.redeem(&id, b"s", later).unwrap(), "age1cron", "expired entries are forgotten");
    }

    #[test]
    fn the_redeemed_set_is_bounded_and_refuses_rather_than_forgets() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let mut first = None;
        for i in 0..MAX_REDEEMED {
            let recipient = format!("age1r{}", i / MAX_LOGINS_PER_RECIPIENT);
            let id = api.issue_challenge(recipient, answer(b"s"), now).unwrap();
            api.redeem(&id, b"s", now).unwrap();
            first.get_or_insert(id);
        }
        let id = api.issue_challenge("age1new".into(), answer(b"s"), now).unwrap();
        assert_eq!(api.redeem(&id, b"s", now), Err(ApiError::Busy));
        assert_eq!(api.redeem(first.as_ref().unwrap(), b"s", now), Err(ApiError::UnknownChallenge), "no replay");
        let later = now + CHALLENGE_TTL;
        let id = api.issue_challenge("age1new".into(), answer(b"s"), later).unwrap();
        assert_eq!(api.redeem(&id, b"s", later).unwrap(), "age1new");
        assert_eq!(lock(&api.challenges.redeemed).ids.len(), 1);
    }

    #[test]
    fn sessions_expire_and_forged_tokens_are_refused() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let token = api.open_session("age1x".into(), now).unwrap();
        assert_eq!(token.len(), 43, "256 bits in base64url");
        assert_eq!(api.session(&token, now).unwrap(), "age1x");
        assert_eq!(api.session(&format!("{token}x"), now), Err(ApiError::Unauthorized));
        assert_eq!(api.session("", now), Err(ApiError::Unauthorized));
        assert_eq!(api.session(&token, now + SESSION_TTL), Err(ApiError::SessionExpired));
    }

    #[test]
    fn the_session_table_is_bounded() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        for i in 0..MAX_SESSIONS {
            api.open_session(format!("age1r{}", i % (MAX_SESSIONS / MAX_SESSIONS_PER_RECIPIENT)), now).unwrap();
        }
        assert_eq!(api.open_session("age1new".into(), now), Err(ApiError::Busy));
        assert!(api.open_session("age1new".into(), now + SESSION_TTL).is_ok());
    }

    #[test]
    fn a_recipient_logging_in_again_and_again_evicts_only_its_own_oldest_sessions() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let other = api.open_session("age1other".into(), now).unwrap();
        let tokens: Vec<String> = (0..MAX_SESSIONS * 2)
            .map(|i| api.open_session("age1cron".into(), now + Duration::from_secs(i as u64)).unwrap())
            .collect();
        let later = now + Duration::from_secs(MAX_SESSIONS as u64 * 2);
        let (evicted, kept) = tokens.split_at(tokens.len() - MAX_SESSIONS_PER_RECIPIENT);
        for token in kept {
            assert_eq!(api.session(token, later).unwrap(), "age1cron");
        }
        for token in evicted {
            assert_eq!(api.session(token, later), Err(ApiError::Unauthorized));
        }
        assert_eq!(api.session(&other, later).unwrap(), "age1other", "another recipient's session survives");
        assert_eq!(lock(&api.sessions).len(), MAX_SESSIONS_PER_RECIPIENT + 1);
    }

    fn forms(lists: &[(&str, &[&str])]) -> Vec<FormSpec> {
        lists
            .iter()
            .map(|(id, keys)| FormSpec {
                id: id.to_string(),
                recipients_file: PathBuf::from(format!("{id}.txt")),
                recipients: crate::config::RecipientsSlot::new(
                    crate::seal::Recipients::parse(&keys.join("\n")).unwrap(),
                ),
                fields: Vec::new(),
            })
            .collect()
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        headers
    }

    #[test]
    fn access_is_re_derived_from_the_current_lists_at_every_request() {
        let alice = age::x25519::Identity::generate().to_public().to_string();
        let bob = age::x25519::Identity::generate().to_public().to_string();
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let token = api.open_session(alice.clone(), now).unwrap();
        let other = api.open_session(alice.clone(), now).unwrap();
        let bobs = api.open_session(bob.clone(), now).unwrap();

        let before = forms(&[("contact", &[&alice, &bob]), ("asylum-help", &[&alice])]);
        let access = api.authorize(&bearer(&token), &before, now).unwrap();
        assert_eq!(access.forms, ["contact", "asylum-help"]);

        // Alice is taken off asylum-help: that form disappears from what her session may read.
        let narrowed = forms(&[("contact", &[&alice, &bob]), ("asylum-help", &[&bob])]);
        assert_eq!(api.authorize(&bearer(&token), &narrowed, now).unwrap().forms, ["contact"]);

        // Alice is taken off every list: 401, and every session of hers is gone for good.
        let removed = forms(&[("contact", &[&bob]), ("asylum-help", &[&bob])]);
        assert_eq!(api.authorize(&bearer(&token), &removed, now), Err(ApiError::Revoked));
        assert_eq!(ApiError::Revoked.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(api.authorize(&bearer(&token), &before, now), Err(ApiError::Unauthorized));
        assert_eq!(api.authorize(&bearer(&other), &before, now), Err(ApiError::Unauthorized));
        assert_eq!(api.authorize(&bearer(&bobs), &removed, now).unwrap().forms, ["contact", "asylum-help"]);
    }

    #[test]
    fn only_tokens_are_kept_hashed_never_in_clear() {
        let api = StaffApi::new(&limits(), false);
        let token = api.open_session("age1x".into(), Instant::now()).unwrap();
        let table = lock(&api.sessions);
        let stored = table[0].token;
        assert_ne!(&stored[..], token.as_bytes().get(..32).unwrap());
        assert_eq!(stored, <[u8; 32]>::from(Sha256::digest(token.as_bytes())));
    }

    #[test]
    fn authentication_needs_a_bearer_header() {
        let api = StaffApi::new(&limits(), false);
        let now = Instant::now();
        let token = api.open_session("age1x".into(), now).unwrap();
        let mut headers = HeaderMap::new();
        assert_eq!(api.authenticate(&headers, now), Err(ApiError::Unauthorized));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {token}")).unwrap());
        assert_eq!(api.authenticate(&headers, now), Err(ApiError::Unauthorized));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        assert_eq!(api.authenticate(&headers, now).unwrap(), "age1x");
        let lower = HeaderValue::from_str(&format!("bearer {token}")).unwrap();
        headers.insert(header::AUTHORIZATION, lower);
        assert_eq!(api.authenticate(&headers, now).unwrap(), "age1x", "the scheme is case-insensitive");
    }

    #[test]
    fn a_listing_stops_at_its_byte_budget_but_always_lists_the_oldest() {
        let tmp = tempfile::tempdir().unwrap();
        let ready = tmp.path().join("ready");
        let ids = ["aaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbb"];
        for (age, id) in ids.iter().enumerate() {
            let dir = ready.join("contact").join(id);
            fs::create_dir_all(&dir).unwrap();
            let f = fs::File::create(dir.join("envelope.age")).unwrap();
            f.set_len(100).unwrap();
            f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1000 + age as u64)).unwrap();
        }
        let contact = ["contact".to_string()];
        let listed = list_ready(&ready, &contact, None, 10, 50).unwrap().unwrap();
        assert_eq!(listed.len(), 1, "over budget from the start, yet the oldest is listed");
        assert_eq!(listed[0].id, ids[0]);
        assert_eq!(list_ready(&ready, &contact, None, 10, 200).unwrap().unwrap().len(), 2);
    }

    #[test]
    fn the_challenge_decrypts_to_the_label_and_the_secret() {
        let identity = age::x25519::Identity::generate();
        let armored = encrypt_challenge(&identity.to_public(), &[7u8; 32]).unwrap();
        assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        let reader = age::armor::ArmoredReader::new(armored.as_bytes());
        let decryptor = age::Decryptor::new(reader).unwrap();
        let mut plain = Vec::new();
        decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)).unwrap().read_to_end(&mut plain).unwrap();
        assert_eq!(&plain[..CHALLENGE_LABEL.len()], CHALLENGE_LABEL);
        assert_eq!(&plain[CHALLENGE_LABEL.len()..], &[7u8; 32]);
    }

    fn entry(root: &Path, files: &[(&str, &[u8])]) -> PathBuf {
        let dir = root.join("ready/contact/aaaaaaaaaaaaaaaaaaaaaaaaaa");
        fs::create_dir_all(&dir).unwrap();
        fs::create_dir_all(root.join("trash")).unwrap();
        for (name, bytes) in files {
            fs::write(dir.join(name), bytes).unwrap();
        }
        dir
    }

    fn hashes(pairs: &[(&str, &[u8])]) -> BTreeMap<FileName, String> {
        pairs
            .iter()
            .map(|(n, b)| (FileName::parse(n).unwrap(), data_encoding::HEXLOWER.encode(&Sha256::digest(b))))
            .collect()
    }

    #[test]
    fn an_ack_with_one_wrong_hash_deletes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = entry(tmp.path(), &[("envelope.age", b"e"), ("1.age", b"one")]);
        let named = hashes(&[("envelope.age", b"e"), ("1.age", b"two")]);
        let err = delete_if_matching(&dir, &tmp.path().join("trash"), "x", &named, None).unwrap_err();
        assert_eq!(err, ApiError::Mismatch("the sha256 of 1.age does not match".into()));
        assert!(dir.join("1.age").exists() && dir.join("envelope.age").exists());
    }

    #[test]
    fn an_ack_that_omits_a_file_or_names_an_extra_one_deletes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = entry(tmp.path(), &[("envelope.age", b"e"), ("1.age", b"one")]);
        let trash = tmp.path().join("trash");
        let short = hashes(&[("envelope.age", b"e")]);
        assert_eq!(
            delete_if_matching(&dir, &trash, "x", &short, None),
            Err(ApiError::Mismatch("the ack does not name 1.age".into()))
        );
        let long = hashes(&[("envelope.age", b"e"), ("1.age", b"one"), ("2.age", b"")]);
        assert_eq!(
            delete_if_matching(&dir, &trash, "x", &long, None),
            Err(ApiError::Mismatch("the submission has no 2.age".into()))
        );
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2);
    }

    #[test]
    fn an_entry_holding_a_stray_file_is_never_deleted_or_listed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = entry(tmp.path(), &[("envelope.age", b"e"), ("notes.txt", b"?")]);
        let named = hashes(&[("envelope.age", b"e")]);
        assert!(matches!(
            delete_if_matching(&dir, &tmp.path().join("trash"), "x", &named, None),
            Err(ApiError::Mismatch(_))
        ));
        assert!(dir.exists());
        let listed = list_ready(&tmp.path().join("ready"), &["contact".into()], None, 10, u64::MAX).unwrap();
        assert_eq!(listed, Some(Vec::new()));
    }

    #[test]
    fn a_matching_ack_moves_the_entry_through_trash_and_frees_its_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let files: &[(&str, &[u8])] = &[("envelope.age", b"envelope"), ("1.age", b"one")];
        let dir = entry(tmp.path(), files);
        let freed = delete_if_matching(&dir, &tmp.path().join("trash"), "x", &hashes(files), None).unwrap();
        assert_eq!(freed, 11);
        assert!(!dir.exists());
        assert_eq!(fs::read_dir(tmp.path().join("trash")).unwrap().count(), 0);
    }

    fn with_ack_record(dir: &Path, secret: &AckSecret) {
        fs::write(dir.join(ACK_FILE), data_encoding::HEXLOWER.encode(&secret.digest())).unwrap();
    }

    #[test]
    fn an_entry_with_an_ack_record_is_deleted_only_with_the_secret_it_hashes() {
        let tmp = tempfile::tempdir().unwrap();
        let files: &[(&str, &[u8])] = &[("envelope.age", b"envelope"), ("1.age", b"one")];
        let dir = entry(tmp.path(), files);
        let secret = AckSecret::random();
        with_ack_record(&dir, &secret);
        let trash = tmp.path().join("trash");
        let refused = Err(ApiError::Mismatch("the ack does not prove the envelope was decrypted".into()));
        let outdated = Err(ApiError::Mismatch("this submission needs an ack secret: upgrade sealpost-staff".into()));
        assert_eq!(delete_if_matching(&dir, &trash, "x", &hashes(files), None), outdated, "an old client is told why");
        assert_eq!(delete_if_matching(&dir, &trash, "x", &hashes(files), Some(&AckSecret::random())), refused);
        let from_hash = AckSecret::from_hex(&fs::read_to_string(dir.join(ACK_FILE)).unwrap()).unwrap();
        assert_eq!(
            delete_if_matching(&dir, &trash, "x", &hashes(files), Some(&from_hash)),
            refused,
            "the hash is no key"
        );
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 3, "nothing was deleted");
        let wrong_hash = hashes(&[("envelope.age", b"envelope"), ("1.age", b"two")]);
        assert!(matches!(
            delete_if_matching(&dir, &trash, "x", &wrong_hash, Some(&secret)),
            Err(ApiError::Mismatch(_))
        ));
        assert_eq!(delete_if_matching(&dir, &trash, "x", &hashes(files), Some(&secret)), Ok(8 + 3 + 64));
        assert!(!dir.exists());
    }

    #[test]
    fn a_version_1_entry_without_an_ack_record_is_deleted_on_its_hashes_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let files: &[(&str, &[u8])] = &[("envelope.age", b"envelope")];
        let dir = entry(tmp.path(), files);
        assert_eq!(delete_if_matching(&dir, &tmp.path().join("trash"), "x", &hashes(files), None), Ok(8));
        assert!(!dir.exists());
    }

    #[test]
    fn a_damaged_ack_record_keeps_the_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let files: &[(&str, &[u8])] = &[("envelope.age", b"envelope")];
        let dir = entry(tmp.path(), files);
        fs::write(dir.join(ACK_FILE), "not a digest").unwrap();
        let secret = AckSecret::random();
        assert_eq!(
            delete_if_matching(&dir, &tmp.path().join("trash"), "x", &hashes(files), Some(&secret)),
            Err(ApiError::Internal)
        );
        assert!(dir.join("envelope.age").exists());
    }

    #[test]
    fn the_ack_record_is_never_listed_and_is_no_file_name() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = entry(tmp.path(), &[("envelope.age", b"e"), ("1.age", b"one")]);
        with_ack_record(&dir, &AckSecret::random());
        let listed = list_ready(&tmp.path().join("ready"), &["contact".into()], None, 10, u64::MAX).unwrap().unwrap();
        let names: Vec<&str> = listed[0].files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["envelope.age", "1.age"]);
        assert_eq!(FileName::parse(ACK_FILE), None, "so it can be neither downloaded nor named in an ack");
    }

    #[test]
    fn listing_is_oldest_first_and_hashes_every_file() {
        let tmp = tempfile::tempdir().unwrap();
        let ready = tmp.path().join("ready");
        let ids = ["bbbbbbbbbbbbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaaaaaaaaaaaa", "cccccccccccccccccccccccccc"];
        for (age, id) in ids.iter().enumerate() {
            let dir = ready.join("contact").join(id);
            fs::create_dir_all(&dir).unwrap();
            let f = fs::File::create(dir.join("envelope.age")).unwrap();
            f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1000 + age as u64)).unwrap();
        }
        let listed = list_ready(&ready, &["contact".into(), "missing".into()], None, 2, u64::MAX).unwrap().unwrap();
        assert_eq!(listed.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(), ids[..2]);
        assert_eq!(listed[0].files[0].sha256, data_encoding::HEXLOWER.encode(&Sha256::digest(b"")));
    }

    #[test]
    fn a_listing_after_an_id_pages_strictly_past_it_in_listing_order() {
        let tmp = tempfile::tempdir().unwrap();
        let ready = tmp.path().join("ready");
        // Listing order is by envelope time, not by id.
        let ids = ["dddddddddddddddddddddddddd", "bbbbbbbbbbbbbbbbbbbbbbbbbb", "eeeeeeeeeeeeeeeeeeeeeeeeee"];
        let forms = ["contact", "asylum-help", "contact"];
        for (age, (id, form)) in ids.iter().zip(forms).enumerate() {
            let dir = ready.join(form).join(id);
            fs::create_dir_all(&dir).unwrap();
            let f = fs::File::create(dir.join("envelope.age")).unwrap();
            f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1000 + age as u64)).unwrap();
        }
        let both = ["contact".to_string(), "asylum-help".to_string()];
        let page = |after: Option<&str>, max| {
            let after = after.map(|a| SubmissionId::parse(a).unwrap());
            list_ready(&ready, &both, after.as_ref(), max, u64::MAX)
                .unwrap()
                .map(|l| l.into_iter().map(|l| l.id).collect::<Vec<_>>())
        };
        assert_eq!(page(None, 2).unwrap(), ids[..2]);
        assert_eq!(page(Some(ids[1]), 2).unwrap(), ids[2..]);
        assert_eq!(page(Some(ids[0]), 1).unwrap(), ids[1..2]);
        assert_eq!(page(Some(ids[2]), 2).unwrap(), Vec::<String>::new(), "nothing after the newest");
        assert_eq!(page(Some("aaaaaaaaaaaaaaaaaaaaaaaaaa"), 2), None, "an id not listed is no cursor");
        let contact_only = list_ready(&ready, &both[..1], SubmissionId::parse(ids[1]).as_ref(), 2, u64::MAX).unwrap();
        assert_eq!(contact_only, None, "nor is an id of a form the caller cannot read");
    }
}
