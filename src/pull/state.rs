//! The staff API's state: what it serves from ([`StaffService`]: the forms with their access
//! lists, the spool, the trusted proxies) and what it keeps in memory ([`StaffApi`]: stateless
//! age challenges, the redeemed set that makes each single-use, sessions held as hashes, and the
//! login budget that only failures spend).

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use http::HeaderMap;
use http::header;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use sealpost_format::wire::{CHALLENGE_LABEL, CHALLENGE_SECRET_LEN, SESSION_TTL};

use crate::config::{FormSpec, Limits, TrustedProxies};
use crate::limit::ClientLimiter;
use crate::reply::Threads;
use crate::spool::Spool;

use super::errors::{ApiError, internal};

/// What the staff API serves from, and nothing else of the server: its own login state, the
/// forms with their access lists (the same values the public side seals to, so a `SIGHUP` reload
/// applies to both at once), the spool, and the proxies whose forwarded headers are believed. The
/// service builds one and hands [`super::routes`] an `Arc` of it.
pub struct StaffService {
    /// Challenges, sessions and the login budget.
    staff: StaffApi,
    /// The forms; their recipients files are the access lists.
    forms: Arc<[FormSpec]>,
    /// Where the submissions wait.
    spool: Spool,
    /// Whose forwarded headers name the client (for the login budget).
    trusted_proxies: TrustedProxies,
    /// The conversations staff reply to.
    threads: Arc<Threads>,
}

impl StaffService {
    /// The staff API over `forms`, `spool` and `threads`.
    pub fn new(
        staff: StaffApi,
        forms: Arc<[FormSpec]>,
        spool: Spool,
        trusted_proxies: TrustedProxies,
        threads: Arc<Threads>,
    ) -> StaffService {
        StaffService { staff, forms, spool, trusted_proxies, threads }
    }

    /// The conversations.
    pub fn threads(&self) -> &Threads {
        &self.threads
    }

    /// The login state.
    pub fn staff(&self) -> &StaffApi {
        &self.staff
    }

    /// The forms, whose recipients files are the access lists.
    pub fn forms(&self) -> &[FormSpec] {
        &self.forms
    }

    /// The spool.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// Peers whose forwarded headers are believed.
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }
}

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

// ───────────────────────────── state ─────────────────────────────

/// The staff API's in-memory state: the challenge key, redeemed challenges, sessions, the login
/// rate limit.
pub struct StaffApi {
    /// Issues and opens challenge ids. Outstanding challenges are kept nowhere on the server, so
    /// no number of requests from others can push one out before its owner answers it.
    pub(super) challenges: Challenges,
    /// Open sessions; at most [`MAX_SESSIONS`]. A list, scanned in full on every lookup, so the
    /// token comparison takes the same time wherever (and whether) the token is found.
    pub(super) sessions: Mutex<Vec<Session>>,
    /// Login budget per client, at the submissions' per-client rate but in its own table. Only
    /// failures spend it: a refused challenge (malformed, or for a recipient on no list) and a
    /// failed `/session` spend the client's budget for refusals, except a wrong answer to a real
    /// challenge, which spends the budget kept for (client, that challenge's recipient). An
    /// issued challenge spends nothing (it stores nothing; [`MAX_CHALLENGE_ENCRYPTIONS`] bounds
    /// its CPU) and a correct answer is never refused by this budget, so no one sharing an
    /// address with a staff member (every Tor client is the tor daemon) and knowing their public
    /// key can lock them out. There is deliberately no global login budget: a global bucket is a
    /// lock that anyone with enough addresses can hold shut.
    pub(super) limiter: ClientLimiter,
    /// Permits for [`MAX_CHALLENGE_ENCRYPTIONS`].
    pub(super) encryptions: Arc<tokio::sync::Semaphore>,
    /// Serialises acknowledgements, so two staff members acking one submission cannot race.
    pub(super) ack_lock: Mutex<()>,
    /// Whether the staff routes are served on their own listener (`[staff] listen`).
    separate_listener: bool,
}

/// Stateless login challenges: the id is an XChaCha20-Poly1305 box, under a key drawn at start
/// and never stored, of (expiry, SHA-256 of the secret, recipient). Only this process can make
/// or open one, a changed byte makes it unknown, and the recipient it names is the one the
/// secret was encrypted to, so an answer logs in as that recipient and no other. The one state
/// kept is the set of redeemed ids (until their expiry), which makes each id single use.
pub(super) struct Challenges {
    /// The per-process key (zeroized on drop by the crate).
    cipher: XChaCha20Poly1305,
    /// Expiries inside ids count milliseconds from here: a monotonic clock, and ids never
    /// outlive the process that holds their key.
    epoch: Instant,
    /// Ids answered correctly, until they expire; at most [`MAX_REDEEMED`].
    pub(super) redeemed: Mutex<RedeemedSet>,
}

/// The redeemed ids, and the latest time anyone looked at them.
pub(super) struct RedeemedSet {
    pub(super) ids: Vec<Redeemed>,
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
pub(super) struct Redeemed {
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
        let key = Zeroizing::new(sealpost_format::random_bytes::<32>());
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
        let nonce = sealpost_format::random_bytes::<CHALLENGE_NONCE_LEN>();
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
pub(super) struct Session {
    /// SHA-256 of the bearer token (the token itself is not kept).
    pub(super) token: [u8; 32],
    /// Canonical `age1…` recipient that logged in; access is re-derived from it at every request.
    recipient: String,
    /// When it stops being accepted.
    expires: Instant,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the tables hold no
/// invariant that a panic mid-update could break: every update is a single insert or remove).
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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

    pub(super) fn prune_at(&self, now: Instant) {
        lock(&self.challenges.redeemed).advance(now);
        lock(&self.sessions).retain(|s| s.expires > now);
        self.limiter.prune(now);
    }

    /// A challenge id for `recipient` whose answer hashes to `answer`. Nothing is stored: however
    /// many challenges anyone asks for, every one issued stays answerable until it expires.
    pub(super) fn issue_challenge(
        &self,
        recipient: String,
        answer: [u8; 32],
        now: Instant,
    ) -> Result<String, ApiError> {
        self.challenges.issue(&recipient, &answer, now)
    }

    /// A fresh challenge for `recipient`: the armored age file and its id. The encryption runs on
    /// the blocking pool, at most [`MAX_CHALLENGE_ENCRYPTIONS`] at once; over that,
    /// [`ApiError::ChallengesBusy`] at once (never a queue, which a flood would fill).
    pub(super) async fn prepare_challenge(
        &self,
        recipient: age::x25519::Recipient,
    ) -> Result<(String, String), ApiError> {
        let Ok(permit) = self.encryptions.clone().try_acquire_owned() else {
            tracing::warn!("staff login refused: too many challenges being encrypted");
            return Err(ApiError::ChallengesBusy);
        };
        let canonical = recipient.to_string();
        let secret = Zeroizing::new(sealpost_format::random_bytes::<CHALLENGE_SECRET_LEN>());
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
    pub(super) fn challenge_recipient(&self, id: &str) -> Option<String> {
        self.challenges.open(id).map(|c| c.recipient)
    }

    /// Returns the recipient of challenge `id` if `response` is its answer, and marks the id used.
    /// A wrong answer leaves the challenge open: only the client that asked holds its id, the
    /// secret has 256 bits, and failures spend login budget, while remembering them would let
    /// failures fill the redeemed set.
    pub(super) fn redeem(&self, id: &str, response: &[u8], now: Instant) -> Result<String, ApiError> {
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
    pub(super) fn open_session(&self, recipient: String, now: Instant) -> Result<String, ApiError> {
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
        let secret = Zeroizing::new(sealpost_format::random_bytes::<32>());
        let token = data_encoding::BASE64URL_NOPAD.encode(secret.as_ref());
        table.push(Session { token: Sha256::digest(token.as_bytes()).into(), recipient, expires: now + SESSION_TTL });
        Ok(token)
    }

    /// The recipient whose session `token` is, compared in constant time against every session.
    #[cfg(test)]
    pub(super) fn session(&self, token: &str, now: Instant) -> Result<String, ApiError> {
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
    pub(super) fn authenticate(&self, headers: &HeaderMap, now: Instant) -> Result<String, ApiError> {
        self.session_by_hash(&bearer_hash(headers)?, now)
    }

    /// Authenticates the request and works out, from `forms` — the recipients lists as they are
    /// *now* — which forms its recipient may read. A recipient that is on no list any more gets
    /// [`ApiError::Revoked`] and every session it holds is dropped.
    pub(super) fn authorize(&self, headers: &HeaderMap, forms: &[FormSpec], now: Instant) -> Result<Access, ApiError> {
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
pub(super) struct Access {
    /// The recipient that logged in.
    pub(super) recipient: String,
    /// The forms whose recipients list names it now (never empty).
    pub(super) forms: Vec<String>,
}

/// The forms with their recipients lists as they are now: the one place the staff API reads the
/// access lists. Each request calls it after authenticating (and an ack once more before
/// deleting), so a change to the lists (a SIGHUP reload) applies to open sessions at their next
/// request.
pub(super) fn current_forms(app: &StaffService) -> &[FormSpec] {
    app.forms()
}

/// Whether `recipient` is on any of `forms`' lists.
pub(super) fn is_listed(forms: &[FormSpec], recipient: &str) -> bool {
    forms.iter().any(|f| f.recipients.current().contains(recipient))
}

/// The ids of the forms among `forms` whose list names `recipient`.
pub(super) fn readable_forms(forms: &[FormSpec], recipient: &str) -> Vec<String> {
    forms.iter().filter(|f| f.recipients.current().contains(recipient)).map(|f| f.id.clone()).collect()
}

/// An armored age file encrypting [`CHALLENGE_LABEL`] followed by `secret` to `recipient`.
pub(super) fn encrypt_challenge(recipient: &age::x25519::Recipient, secret: &[u8]) -> io::Result<String> {
    use age::armor::{ArmoredWriter, Format};
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .map_err(|_| io::Error::other("recipient refused"))?;
    let mut writer = encryptor.wrap_output(ArmoredWriter::wrap_output(Vec::new(), Format::AsciiArmor)?)?;
    writer.write_all(CHALLENGE_LABEL)?;
    writer.write_all(secret)?;
    let bytes = writer.finish()?.finish()?;
    String::from_utf8(bytes).map_err(|_| io::Error::other("armor is not text"))
}
