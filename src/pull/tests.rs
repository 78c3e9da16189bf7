//! Tests of the sections together.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use axum::response::IntoResponse;
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};
use sha2::{Digest, Sha256};

use sealpost_format::envelope::AckSecret;
use sealpost_format::id::{FileName, SubmissionId};
use sealpost_format::wire::{AckRequest, CHALLENGE_LABEL, ErrorBody, SESSION_TTL};

use crate::config::Rate;
use crate::config::{FormSpec, Limits};
use crate::spool::ACK_FILE;

use super::ack::delete_if_matching;
use super::errors::{ApiError, parse_then_wipe};
use super::listing::list_ready;
use super::state::{
    CHALLENGE_TTL, MAX_CHALLENGE_ENCRYPTIONS, MAX_LOGINS_PER_RECIPIENT, MAX_REDEEMED, MAX_SESSIONS,
    MAX_SESSIONS_PER_RECIPIENT, StaffApi, encrypt_challenge, lock,
};

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
        keep_unpulled: crate::config::Keep::Forever,
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
            recipients: crate::config::RecipientsSlot::new(crate::seal::Recipients::parse(&keys.join("\n")).unwrap()),
            fields: Vec::new(),
            defined_at: format!("test.toml:{id}"),
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
    assert_eq!(delete_if_matching(&dir, &trash, "x", &hashes(files), Some(&from_hash)), refused, "the hash is no key");
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 3, "nothing was deleted");
    let wrong_hash = hashes(&[("envelope.age", b"envelope"), ("1.age", b"two")]);
    assert!(matches!(delete_if_matching(&dir, &trash, "x", &wrong_hash, Some(&secret)), Err(ApiError::Mismatch(_))));
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
