//! The anti-bot timing token: a form sent sooner than `min_fill_time` or later than
//! `max_fill_time` is refused, and each token is spent by the one submission it carried.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::Mac;
use subtle::ConstantTimeEq;

use crate::config::Rate;

use super::rate::HmacSha256;

/// Most redeemed timing tokens remembered at once (invariant 7). Each is about 40 bytes in the
/// set, so the table stays under about 4 MiB. The set never needs more than the global budgets
/// (clearnet, and the onion listener's own when there is one) can accept within `max_fill_time`
/// (see [`TimingTokens::capacity_for`]); this caps it for
/// generous budgets, and [`TimingTokens::redeem`] says what happens when it is full.
pub const MAX_REDEEMED_TOKENS: usize = 100_000;

/// Random bytes in each token, so two pages served in the same second carry different tokens
/// and one person's submission can never spend another's.
const TOKEN_NONCE_LEN: usize = 12;

/// Why a timing token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// No token, or not one we issued (forged, for another form, or from before a key change).
    Invalid,
    /// Sent sooner than `min_fill_time` after the page was served.
    TooFast,
    /// Sent later than `max_fill_time` after the page was served, or older than every token
    /// the set of spent ones can still vouch for (see [`TimingTokens::redeem`]).
    Expired,
    /// Already spent by an accepted submission.
    Used,
}

/// A token that passed [`TimingTokens::check`]: which one it is, for [`TimingTokens::redeem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokenId {
    /// When the page was served (seconds since the epoch).
    issued: u64,
    /// The token's random bytes, authenticated by its MAC.
    nonce: [u8; TOKEN_NONCE_LEN],
}

/// Signs the time a form was served, so a submission can prove a person had time to fill it in,
/// and remembers which tokens accepted submissions spent, so each is accepted at most once.
/// Needs neither JavaScript nor cookies: the token is a hidden field.
pub struct TimingTokens {
    key: [u8; 32],
    /// Tokens spent and not yet expired.
    spent: Mutex<Spent>,
}

/// The tokens accepted submissions spent, until they expire.
struct Spent {
    /// Ordered by issue time, oldest first, so expired ones leave from the front.
    ids: std::collections::BTreeSet<TokenId>,
    /// Tokens issued at or before this second are refused: the set had to forget one of them,
    /// so it can no longer tell whether they were spent.
    floor: Option<u64>,
    /// Most ids held (at most [`MAX_REDEEMED_TOKENS`]).
    capacity: usize,
}

impl TimingTokens {
    /// Tokens signed with `key` (kept in the data dir so a restart does not void open pages),
    /// remembering up to [`MAX_REDEEMED_TOKENS`] spent ones.
    pub fn new(key: [u8; 32]) -> Self {
        TimingTokens::with_capacity(key, MAX_REDEEMED_TOKENS)
    }

    /// Like [`TimingTokens::new`], remembering up to `capacity` spent tokens (at most
    /// [`MAX_REDEEMED_TOKENS`], at least 1).
    pub fn with_capacity(key: [u8; 32], capacity: usize) -> Self {
        let capacity = capacity.clamp(1, MAX_REDEEMED_TOKENS);
        TimingTokens { key, spent: Mutex::new(Spent { ids: std::collections::BTreeSet::new(), floor: None, capacity }) }
    }

    /// How many spent tokens can be unexpired at once: a token is spent only by a submission the
    /// `global` budget accepted, and it expires `max_fill_time` after it was issued (so at most
    /// that long after it was spent). In any window of `max_fill_time` the budget accepts at most
    /// `burst + max_fill_time / period` submissions, plus one for rounding. Capped at
    /// [`MAX_REDEEMED_TOKENS`].
    pub fn capacity_for(global: Rate, max_fill_time: Duration) -> usize {
        let period = global.period.as_nanos().max(1);
        let refills = max_fill_time.as_nanos() / period;
        let needed = u128::from(global.burst.get()).saturating_add(refills).saturating_add(1);
        usize::try_from(needed).unwrap_or(usize::MAX).min(MAX_REDEEMED_TOKENS)
    }

    fn mac(&self, form: &str, issued: u64, nonce: &[u8]) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(form.as_bytes());
        mac.update(b"\0");
        mac.update(&issued.to_be_bytes());
        mac.update(nonce);
        let digest = mac.finalize().into_bytes();
        data_encoding::BASE64URL_NOPAD.encode(digest.get(..18).unwrap_or(&digest))
    }

    /// A fresh token for `form` served at `now`: `<issued>.<nonce>.<mac>`.
    pub fn issue(&self, form: &str, now: SystemTime) -> String {
        let issued = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let nonce: [u8; TOKEN_NONCE_LEN] = sealpost_format::random_bytes();
        let encoded = data_encoding::BASE64URL_NOPAD.encode(&nonce);
        format!("{issued}.{encoded}.{}", self.mac(form, issued, &nonce))
    }

    /// Checks a token sent back with `form` at `now`, without spending it: a submission that
    /// is then refused for a mistake leaves it usable (the re-rendered page carries a fresh one
    /// anyway). Only [`TimingTokens::redeem`] spends it.
    pub fn check(
        &self,
        form: &str,
        token: &str,
        now: SystemTime,
        min: Duration,
        max: Duration,
    ) -> Result<TokenId, TokenProblem> {
        let mut parts = token.splitn(3, '.');
        let (Some(issued), Some(nonce), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(TokenProblem::Invalid);
        };
        let issued: u64 = issued.parse().map_err(|_| TokenProblem::Invalid)?;
        let nonce = data_encoding::BASE64URL_NOPAD.decode(nonce.as_bytes()).map_err(|_| TokenProblem::Invalid)?;
        let nonce: [u8; TOKEN_NONCE_LEN] = nonce.try_into().map_err(|_| TokenProblem::Invalid)?;
        if !bool::from(self.mac(form, issued, &nonce).as_bytes().ct_eq(mac.as_bytes())) {
            return Err(TokenProblem::Invalid);
        }
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let age = Duration::from_secs(now.saturating_sub(issued));
        if issued > now + 60 {
            return Err(TokenProblem::Invalid);
        }
        if age < min {
            return Err(TokenProblem::TooFast);
        }
        if age > max {
            return Err(TokenProblem::Expired);
        }
        let id = TokenId { issued, nonce };
        self.lock().seen(id)?;
        Ok(id)
    }

    /// Spends a checked token for a submission about to be stored, at `now`, with tokens valid
    /// for `max` after issue. Refused if it was spent already (two submissions racing with one
    /// token: exactly one wins) or is no longer covered by the set.
    ///
    /// Expired ids are dropped first. When the set is still full (only an attacker making
    /// accepted submissions at the global rate can fill it, and only past
    /// [`TimingTokens::capacity_for`]), the oldest id is forgotten and every token issued at or
    /// before it is refused from then on as expired: no token is ever accepted twice, and
    /// people with recently opened pages are never locked out; under such a flood only pages
    /// open for longer than the set covers ask the person to send again (with their answers
    /// kept and a fresh token).
    pub fn redeem(&self, id: TokenId, now: SystemTime, max: Duration) -> Result<(), TokenProblem> {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let mut spent = self.lock();
        spent.drop_expired(now, max);
        spent.seen(id)?;
        if spent.ids.len() >= spent.capacity {
            match spent.ids.first().copied() {
                // The newcomer is no newer than everything held: it is the one to refuse.
                Some(oldest) if id.issued <= oldest.issued => return Err(TokenProblem::Expired),
                Some(oldest) => {
                    spent.ids.remove(&oldest);
                    spent.floor = Some(spent.floor.map_or(oldest.issued, |f| f.max(oldest.issued)));
                }
                None => {}
            }
        }
        spent.ids.insert(id);
        Ok(())
    }

    /// Gives back a token spent by a submission that then failed to be stored (a full disk), so
    /// the person can send the same page again.
    pub fn release(&self, id: TokenId) {
        self.lock().ids.remove(&id);
    }

    /// Forgets spent tokens older than `max` at `now`; call periodically to keep the set small.
    pub fn prune(&self, now: SystemTime, max: Duration) {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        self.lock().drop_expired(now, max);
    }

    /// Spent tokens remembered.
    pub fn remembered(&self) -> usize {
        self.lock().ids.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Spent> {
        self.spent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Spent {
    /// Refuses a token that was spent, or that the set can no longer vouch for.
    fn seen(&self, id: TokenId) -> Result<(), TokenProblem> {
        if self.floor.is_some_and(|floor| id.issued <= floor) {
            return Err(TokenProblem::Expired);
        }
        if self.ids.contains(&id) {
            return Err(TokenProblem::Used);
        }
        Ok(())
    }

    /// Drops ids of tokens that [`TimingTokens::check`] refuses as expired anyway at `now`.
    fn drop_expired(&mut self, now: u64, max: Duration) {
        while let Some(first) = self.ids.first().copied() {
            if first.issued.saturating_add(max.as_secs()) >= now {
                break;
            }
            self.ids.remove(&first);
        }
    }
}
