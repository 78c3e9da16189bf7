//! The `/staff/v1` API over a real listener: every refusal has a precise status and deletes
//! nothing; the one success path deletes through `trash/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::sync::{Arc, Mutex};

use sealpost_format::wire::{ChallengeResponse, ErrorBody, Listed};
use support::server::{self, InProcess, Setup};
use support::staff::{Staff, challenge_body, pull, session_body};
use support::{hex_sha256, stderr};

fn error(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body)
        .unwrap_or_else(|_| panic!("not a JSON error: {}", String::from_utf8_lossy(body)))
        .error
}

fn listing(server: &InProcess, token: &str) -> Vec<Listed> {
    let (status, body) = server.api("GET", "/staff/v1/submissions", Some(token), None);
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

fn ack_body(files: &[(&str, &str)]) -> String {
    let map: BTreeMap<&str, &str> = files.iter().copied().collect();
    serde_json::json!({ "sha256": map }).to_string()
}

/// Alice reads both forms; one submission with an attachment is waiting.
fn setup() -> (tempfile::TempDir, Staff, InProcess, String) {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[&alice.public]));
    let id = server.seal("asylum-help", &[("Message", "hi")], &[("a.pdf", b"attachment")]);
    (keys, alice, server, id)
}

/// Seals a contact submission listed after `setup`'s `first`: file times are as coarse as the
/// kernel's clock tick, so "later" is made unambiguous.
fn seal_later(server: &InProcess, first: &str) -> String {
    let second = server.seal("contact", &[("Message", "later")], &[]);
    let first_time = server.envelope_time("asylum-help", first);
    server.set_envelope_time("contact", &second, first_time + std::time::Duration::from_secs(1));
    second
}

#[test]
fn challenges_are_refused_for_unknown_or_malformed_recipients() {
    let (keys, _alice, server, _) = setup();
    let stranger = Staff::new(keys.path(), "stranger");
    let (status, body) = server.api("POST", "/staff/v1/challenge", None, Some(challenge_body(&stranger.public)));
    assert_eq!((status, error(&body).as_str()), (403, "this recipient is on no form's recipients list"));
    let (status, body) = server.api("POST", "/staff/v1/challenge", None, Some("{\"recipient\":\"age1nope\"}".into()));
    assert_eq!((status, error(&body).as_str()), (400, "\"recipient\" is not an age X25519 public key (age1…)"));
    let (status, body) = server.api("POST", "/staff/v1/challenge", None, Some("{\"recipient\":".into()));
    assert_eq!((status, error(&body).as_str()), (400, "the body is not the expected JSON"));
    let (status, _) = server.api("POST", "/staff/v1/challenge", None, Some(challenge_body(&"a".repeat(100_000))));
    assert_eq!(status, 413);
    let (status, _) = server.api("GET", "/staff/v1/challenge", None, None);
    assert_eq!(status, 405);
}

#[test]
fn a_challenge_can_be_answered_once_and_only_correctly() {
    let (_keys, alice, server, _) = setup();
    let (id, secret) = server.challenge(&alice);
    let (status, body) = server.api("POST", "/staff/v1/session", None, Some(session_body(&id, &[0u8; 32])));
    assert_eq!((status, error(&body).as_str()), (403, "the response does not match the challenge"));
    // A wrong answer leaves the challenge to the client that asked (only it holds the id).
    let (status, _) = server.api("POST", "/staff/v1/session", None, Some(session_body(&id, &secret)));
    assert_eq!(status, 200);
    let (status, body) = server.api("POST", "/staff/v1/session", None, Some(session_body(&id, &secret)));
    assert_eq!((status, error(&body).as_str()), (404, "unknown or already used challenge"), "no replay");

    let (id, _) = server.challenge(&alice);
    let (status, body) = server.api(
        "POST",
        "/staff/v1/session",
        None,
        Some(format!("{{\"challenge_id\":\"{id}\",\"response\":\"!!\"}}")),
    );
    assert_eq!((status, error(&body).as_str()), (400, "\"response\" is not base64 of 32 bytes"));
    let (status, _) = server.api("POST", "/staff/v1/session", None, Some(session_body("made-up", &secret)));
    assert_eq!(status, 404);
}

#[test]
fn missing_forged_or_malformed_tokens_get_401() {
    let (_keys, alice, server, id) = setup();
    let token = server.login(&alice);
    for (token, path) in [
        (None, "/staff/v1/submissions".to_string()),
        (Some("forged"), "/staff/v1/submissions".to_string()),
        (Some(&token[1..]), "/staff/v1/submissions".to_string()),
        (None, format!("/staff/v1/submissions/{id}/envelope.age")),
        (Some("x"), format!("/staff/v1/submissions/{id}/envelope.age")),
    ] {
        let (status, body) = server.api("GET", &path, token, None);
        assert_eq!((status, error(&body).as_str()), (401, "missing or invalid session token"), "{path}");
    }
    let (status, _) = server.api("POST", &format!("/staff/v1/submissions/{id}/ack"), Some("x"), Some(ack_body(&[])));
    assert_eq!(status, 401);
    assert_eq!(server.ready_ids(), [id]);
}

#[test]
fn every_staff_response_is_uncacheable_json_and_asks_for_bearer_on_401() {
    let (_keys, _alice, server, _) = setup();
    let response = server.block_on(async {
        server.client().get(format!("{}/staff/v1/submissions", server.url())).send().await.unwrap()
    });
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, body) = server.api("GET", "/staff/v1/nothing-here", None, None);
    assert_eq!((status, error(&body).as_str()), (404, "no such staff API route"));
}

#[test]
fn the_listing_names_every_file_with_its_size_and_hash_oldest_first() {
    let (_keys, alice, server, first) = setup();
    let second = seal_later(&server, &first);
    let token = server.login(&alice);
    let listed = listing(&server, &token);
    assert_eq!(listed.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(), [first.as_str(), second.as_str()]);
    assert_eq!(listed[0].form, "asylum-help");
    let names: Vec<&str> = listed[0].files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["envelope.age", "1.age"]);
    let path = server.ready().join("asylum-help").join(&first).join("1.age");
    let disk = fs::read(&path).unwrap();
    assert_eq!(listed[0].files[1].size, disk.len() as u64);
    assert_eq!(listed[0].files[1].sha256, hex_sha256(&disk));

    let (status, body) = server.api("GET", &format!("/staff/v1/submissions/{first}/1.age"), Some(&token), None);
    assert_eq!((status, body), (200, disk));
}

/// `GET path` sent byte for byte: `(status, body)`.
fn raw_get(server: &InProcess, path: &str, token: &str) -> (u16, String) {
    let reply = server::get(server.addr, path, &format!("Authorization: Bearer {token}\r\n")).unwrap();
    (reply.status, reply.body)
}

#[test]
fn path_tricks_in_id_and_file_get_400_or_404_and_never_reach_the_disk() {
    let (_keys, alice, server, id) = setup();
    let token = server.login(&alice);
    let secret = server.dir.path().join("data/token.key");
    assert!(secret.exists());
    // Raw requests: an HTTP client library would normalise `%2e%2e` and `..` before sending.
    for (path, status) in [
        ("../../../token.key".to_string(), 404),
        (format!("{id}/../../../../token.key"), 404),
        ("..%2F..%2Ftoken.key/envelope.age".to_string(), 400),
        ("%2e%2e/envelope.age".to_string(), 400),
        (format!("{id}/..%2F..%2F..%2Ftoken.key"), 400),
        (format!("{id}/%2e%2e"), 400),
        (format!("{id}/envelope.age%00"), 400),
        (format!("{id}/0.age"), 400),
        (format!("{id}/01.age"), 400),
        (format!("{id}/1.AGE"), 400),
        (format!("{id}/envelope.json"), 400),
        (format!("{}/envelope.age", id.to_uppercase()), 400),
        (format!("{id}/2.age"), 404),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaa/envelope.age".to_string(), 404),
    ] {
        let (got, body) = raw_get(&server, &format!("/staff/v1/submissions/{path}"), &token);
        assert_eq!(got, status, "{path}: {body}");
        error(body.as_bytes());
    }
    let (status, _) =
        server.api("POST", "/staff/v1/submissions/..%2F..%2Fspool/ack", Some(&token), Some(ack_body(&[])));
    assert_eq!(status, 400);
    assert_eq!(server.ready_ids(), [id]);
}

#[test]
fn a_submission_of_a_form_the_caller_cannot_read_looks_missing() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let bob = Staff::new(keys.path(), "bob");
    let server = InProcess::start(Setup::new(&[&alice.public], &[&bob.public]));
    let bobs = server.seal("asylum-help", &[("Message", "for bob")], &[]);
    let token = server.login(&alice);
    assert!(listing(&server, &token).is_empty());
    let (status, _) = server.api("GET", &format!("/staff/v1/submissions/{bobs}/envelope.age"), Some(&token), None);
    assert_eq!(status, 404);
    let sha = |name: &str| {
        sealpost_format::files::sha256_file(&server.ready().join("asylum-help").join(&bobs).join(name)).unwrap()
    };
    let (status, _) = server.api(
        "POST",
        &format!("/staff/v1/submissions/{bobs}/ack"),
        Some(&token),
        Some(ack_body(&[("envelope.age", &sha("envelope.age"))])),
    );
    assert_eq!(status, 404, "alice cannot delete bob's submissions even knowing their hashes");
    assert_eq!(server.ready_ids(), [bobs]);
}

#[test]
fn acks_that_do_not_match_the_stored_files_delete_nothing() {
    let (_keys, alice, server, id) = setup();
    let token = server.login(&alice);
    let listed = &listing(&server, &token)[0];
    let (env, one) = (listed.files[0].sha256.as_str(), listed.files[1].sha256.as_str());
    let wrong = "0".repeat(64);
    let ack = |body: String| server.api("POST", &format!("/staff/v1/submissions/{id}/ack"), Some(&token), Some(body));
    for (body, status, message) in [
        (
            ack_body(&[("envelope.age", env), ("1.age", &wrong)]),
            409,
            "the sha256 of 1.age does not match; nothing was deleted",
        ),
        (ack_body(&[("envelope.age", env)]), 409, "the ack does not name 1.age; nothing was deleted"),
        (
            ack_body(&[("envelope.age", env), ("1.age", one), ("2.age", one)]),
            409,
            "the submission has no 2.age; nothing was deleted",
        ),
        (
            ack_body(&[("envelope.age", env), ("../1.age", one)]),
            400,
            "the ack names a file that no submission can hold",
        ),
        (ack_body(&[("envelope.age", env), ("1.age", "xyz")]), 400, "a sha256 is not 64 hex digits"),
        ("{\"sha256\": []}".to_string(), 400, "the body is not the expected JSON"),
    ] {
        let (got, response) = ack(body.clone());
        assert_eq!((got, error(&response).as_str()), (status, message), "{body}");
        assert_eq!(server.ready_ids(), std::slice::from_ref(&id));
    }
    let used = server.app.spool().used_bytes();
    let secret = server.envelope_json(&alice, "asylum-help", &id)["ack"].as_str().unwrap().to_string();
    let proper = serde_json::json!({ "sha256": { "envelope.age": env, "1.age": one }, "ack": secret }).to_string();
    let (status, _) = ack(proper.clone());
    assert_eq!(status, 204);
    assert!(server.ready_ids().is_empty());
    assert_eq!(fs::read_dir(server.app.spool().trash_dir()).unwrap().count(), 0);
    let ack_record = 64; // the hex SHA-256 in ack.sha256
    let freed = listed.files.iter().map(|f| f.size).sum::<u64>() + ack_record;
    assert_eq!(server.app.spool().used_bytes(), used - freed, "the ack record's bytes are freed too");
    let (status, _) = ack(proper);
    assert_eq!(status, 404, "a second ack finds nothing");
}

#[test]
fn login_attempts_are_rate_limited_per_client() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let mut setup = Setup::new(&[&alice.public], &[]);
    setup.per_client = "{ burst = 2, per_hour = 1 }";
    let server = InProcess::start(setup);
    let body = challenge_body(&alice.public);
    // An issued challenge spends no budget (it stores nothing); refusals do.
    for _ in 0..3 {
        assert_eq!(server.api("POST", "/staff/v1/challenge", None, Some(body.clone())).0, 200);
    }
    let body = challenge_body(&Staff::new(keys.path(), "stranger").public);
    for _ in 0..2 {
        assert_eq!(server.api("POST", "/staff/v1/challenge", None, Some(body.clone())).0, 403);
    }
    let response = server.block_on(async {
        server.client().post(format!("{}/staff/v1/challenge", server.url())).body(body.clone()).send().await.unwrap()
    });
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 60, "{retry}");
}

#[test]
fn a_separate_staff_listener_serves_the_api_and_the_public_one_does_not() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let mut setup = Setup::new(&[&alice.public], &[]);
    setup.staff = "listen = \"127.0.0.1:1\"";
    let server = InProcess::start(setup);
    let staff_url = format!("http://{}", server.staff_addr.unwrap());
    let body = challenge_body(&alice.public);
    let (status, _) = server.api("POST", "/staff/v1/challenge", None, Some(body.clone()));
    assert_eq!(status, 404, "the public listener does not serve the staff API");
    let (status, _) = server.api("GET", "/staff/v1/submissions", None, None);
    assert_eq!(status, 404);
    let (status, _) = server.api_at(&staff_url, "POST", "/staff/v1/challenge", None, Some(body));
    assert_eq!(status, 200);
    let (status, body) = server.api_at(&staff_url, "GET", "/contact", None, None);
    assert_eq!(
        (status, error(&body).as_str()),
        (404, "no such staff API route"),
        "the staff listener serves nothing public"
    );

    server.seal("contact", &[("Message", "hi")], &[]);
    let out = keys.path().join("out");
    let output = pull(&staff_url, &alice.identity, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(server.ready_ids().is_empty());
}

/// A writer the global subscriber appends to.
#[derive(Clone)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn failed_logins_are_logged_without_addresses_keys_or_ids() {
    let log = Log(Arc::new(Mutex::new(Vec::new())));
    let writer = log.clone();
    tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).init();
    let (keys, alice, server, id) = setup();
    let stranger = Staff::new(keys.path(), "stranger");
    server.api("POST", "/staff/v1/challenge", None, Some(challenge_body(&stranger.public)));
    let (challenge, _) = server.challenge(&alice);
    server.api("POST", "/staff/v1/session", None, Some(session_body(&challenge, &[1u8; 32])));
    let token = server.login(&alice);
    let listed = &listing(&server, &token)[0];
    let secret = server.envelope_json(&alice, "asylum-help", &id)["ack"].as_str().unwrap().to_string();
    let hashes = serde_json::json!({ "envelope.age": listed.files[0].sha256, "1.age": listed.files[1].sha256 });
    let body = serde_json::json!({ "sha256": hashes, "ack": secret }).to_string();
    assert_eq!(server.api("POST", &format!("/staff/v1/submissions/{id}/ack"), Some(&token), Some(body)).0, 204);

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("staff login refused")
            && text.contains("recipient on no list")
            && text.contains("wrong response"),
        "{text}"
    );
    for leaked in ["127.0.0.1", &stranger.public, &alice.public, &id, &challenge, &token, &secret] {
        assert!(!text.contains(leaked), "{leaked} leaked into the log:\n{text}");
    }
}

#[test]
fn exhausting_the_public_submission_budget_does_not_block_staff_login() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let mut setup = Setup::new(&[&alice.public], &[]);
    setup.per_client = "{ burst = 2, per_hour = 1 }";
    setup.global = "{ burst = 2, per_hour = 1 }";
    let server = InProcess::start(setup);
    let sent: Vec<u16> = (0..3).map(|i| server.submit("contact", &[("message", &format!("m{i}"))], &[])).collect();
    assert_eq!(sent, [303, 303, 429], "the public budget, per client and global, is spent");
    let token = server.login(&alice);
    assert_eq!(listing(&server, &token).len(), 2);
}

#[test]
fn flooding_challenges_from_many_addresses_does_not_block_a_different_address() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let stranger = Staff::new(keys.path(), "stranger");
    let mut setup = Setup::new(&[&alice.public], &[]);
    setup.per_client = "{ burst = 2, per_hour = 1 }";
    setup.global = "{ burst = 20, per_hour = 1 }";
    setup.trusted_proxies = "[\"127.0.0.1/32\"]";
    let server = InProcess::start(setup);
    let challenge = |staff: &Staff| Some(challenge_body(&staff.public));
    // 120 addresses, each asking until refused: for a listed key (which someone learnt) and for
    // an unknown one.
    for i in 0..120u32 {
        let from = format!("198.18.0.{}", i + 1);
        for staff in [&alice, &stranger, &alice, &stranger] {
            server.api_from(&from, "POST", "/staff/v1/challenge", challenge(staff));
        }
        assert_eq!(server.api_from(&from, "POST", "/staff/v1/challenge", challenge(&stranger)).0, 429);
    }
    let (status, body) = server.api_from("203.0.113.5", "POST", "/staff/v1/challenge", challenge(&alice));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
}

#[test]
fn a_flood_of_unknown_recipients_from_one_address_does_not_block_staff_at_that_address() {
    // On an onion service every client, the public's and the staff's, is 127.0.0.1.
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let mut setup = Setup::new(&[&alice.public], &[]);
    setup.per_client = "{ burst = 3, per_hour = 1 }";
    let server = InProcess::start(setup);
    for _ in 0..10 {
        let guess = Staff::new(keys.path(), "guess");
        server.api("POST", "/staff/v1/challenge", None, Some(challenge_body(&guess.public)));
        server.api("POST", "/staff/v1/session", None, Some("{\"challenge_id\":\"x\",\"response\":\"\"}".into()));
    }
    let (status, _) =
        server.api("POST", "/staff/v1/challenge", None, Some(challenge_body(&Staff::new(keys.path(), "g").public)));
    assert_eq!(status, 429, "the guesses are limited");
    let token = server.login(&alice);
    assert_eq!(listing(&server, &token).len(), 0);
}

#[test]
fn a_flood_of_challenges_and_wrong_answers_naming_a_staff_key_from_their_own_address_does_not_lock_them_out() {
    // Behind one NAT, or on an onion service, the attacker and the staff member are one client.
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let mut setup = Setup::new(&[&alice.public], &[]);
    setup.per_client = "{ burst = 2, per_hour = 1 }";
    let server = InProcess::start(setup);
    let body = Some(challenge_body(&alice.public));
    let mut wrong = Vec::new();
    for _ in 0..50 {
        let (status, reply) = server.api("POST", "/staff/v1/challenge", None, body.clone());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
        let id = serde_json::from_slice::<ChallengeResponse>(&reply).unwrap().challenge_id;
        let guess = session_body(&id, &[0; 32]);
        wrong.push(server.api("POST", "/staff/v1/session", None, Some(guess)).0);
    }
    assert_eq!(wrong[..3], [403, 403, 429], "wrong answers spend the budget kept for this client and key");
    assert!(wrong[3..].iter().all(|s| *s == 429));
    let token = server.login(&alice);
    assert_eq!(listing(&server, &token).len(), 0);
}

#[test]
fn a_cron_job_logging_in_again_and_again_cannot_fill_the_session_table_or_hold_up_others() {
    let keys = tempfile::tempdir().unwrap();
    let cron = Staff::new(keys.path(), "cron");
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&cron.public, &alice.public], &[]));
    let tokens: Vec<String> = (0..sealpost::pull::MAX_LOGINS_PER_RECIPIENT).map(|_| server.login(&cron)).collect();
    // One login too many within a minute is refused, for that key only.
    let (id, secret) = server.challenge(&cron);
    let answer = session_body(&id, &secret);
    let (status, body) = server.api("POST", "/staff/v1/session", None, Some(answer));
    assert_eq!((status, error(&body).as_str()), (503, "too many logins in progress; try again shortly"));
    let alices = server.login(&alice);
    assert_eq!(server.api("GET", "/staff/v1/submissions", Some(&alices), None).0, 200);
    let newest = &tokens[tokens.len() - sealpost::pull::MAX_SESSIONS_PER_RECIPIENT..];
    for token in newest {
        assert_eq!(server.api("GET", "/staff/v1/submissions", Some(token), None).0, 200);
    }
    assert_eq!(server.api("GET", "/staff/v1/submissions", Some(&tokens[0]), None).0, 401, "the oldest was evicted");
}

#[test]
fn the_listing_pages_with_after_and_refuses_a_malformed_or_vanished_cursor() {
    let (_keys, alice, server, first) = setup();
    let second = seal_later(&server, &first);
    let token = server.login(&alice);
    let page = |query: &str| {
        let (status, body) = server.api("GET", &format!("/staff/v1/submissions{query}"), Some(&token), None);
        (status, body)
    };
    let ids = |body: &[u8]| {
        serde_json::from_slice::<Vec<Listed>>(body).unwrap().into_iter().map(|l| l.id).collect::<Vec<_>>()
    };
    let (status, body) = page(&format!("?after={first}"));
    assert_eq!((status, ids(&body)), (200, vec![second.clone()]));
    let (status, body) = page(&format!("?after={second}"));
    assert_eq!((status, ids(&body)), (200, Vec::<String>::new()));
    let (status, body) = page("?unrelated=1");
    assert_eq!((status, ids(&body)), (200, vec![first.clone(), second.clone()]), "other parameters are ignored");
    let (status, body) = page("?after=..%2F..%2Ftoken.key");
    assert_eq!((status, error(&body).as_str()), (400, "\"after\" is not a submission id"));
    let (status, body) = page("?after=aaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(
        (status, error(&body).as_str()),
        (404, "the submission named by \"after\" is not listed; list again without it")
    );
}

#[test]
fn removing_a_key_and_reloading_revokes_its_open_session_at_the_next_request() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let bob = Staff::new(keys.path(), "bob");
    let server = InProcess::start(Setup::new(&[&alice.public, &bob.public], &[&alice.public]));
    server.seal("contact", &[("message", "for the contact team")], &[]);
    server.seal("asylum-help", &[("message", "for the legal team")], &[]);
    let alice_token = server.login(&alice);
    let bob_token = server.login(&bob);
    assert_eq!(listing(&server, &alice_token).len(), 2);

    // The admin takes Alice off the contact list and reloads (what SIGHUP does).
    fs::write(server.dir.path().join("contact.txt"), format!("{}\n", bob.public)).unwrap();
    server.app.reload_recipients();
    let forms: Vec<String> = listing(&server, &alice_token).into_iter().map(|l| l.form).collect();
    assert_eq!(forms, ["asylum-help"], "the contact form is gone from Alice's open session");

    // Then off every list: her session is refused outright.
    fs::write(server.dir.path().join("legal.txt"), format!("{}\n", bob.public)).unwrap();
    server.app.reload_recipients();
    let (status, _) = server.api("GET", "/staff/v1/submissions", Some(&alice_token), None);
    assert_eq!(status, 401);
    assert_eq!(listing(&server, &bob_token).len(), 2, "Bob keeps his access");
}

#[test]
fn a_pending_challenge_survives_a_thousand_challenges_for_the_same_key_from_other_clients() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let mut setup = Setup::new(&[&alice.public], &[]);
    // Each flooding client stays well inside its own budget: the limiter is not what stops them.
    setup.per_client = "{ burst = 5, per_hour = 20 }";
    setup.trusted_proxies = "[\"127.0.0.1/32\"]";
    let server = InProcess::start(setup);
    // Alice asks for her challenge, and her hardware token takes its time to answer.
    let (id, secret) = server.challenge(&alice);
    // Meanwhile anyone who knows her public key asks for challenges for it from 1 000 addresses.
    let body = Some(challenge_body(&alice.public));
    for i in 0..1000u32 {
        let from = format!("198.18.{}.{}", i / 250, i % 250 + 1);
        let (status, reply) = server.api_from(&from, "POST", "/staff/v1/challenge", body.clone());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    }
    let answer = session_body(&id, &secret);
    let (status, reply) = server.api("POST", "/staff/v1/session", None, Some(answer));
    assert_eq!(status, 200, "alice's challenge was evicted: {}", String::from_utf8_lossy(&reply));
}

#[test]
fn an_ack_with_the_right_hashes_but_without_the_envelopes_ack_secret_deletes_nothing() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    assert_eq!(server.submit("contact", &[("message", "please call me")], &[]), 303);
    let id = server.ready_ids().pop().unwrap();
    // Any session for the form sees every hash in the listing, without decrypting anything.
    let token = server.login(&alice);
    let listed = &listing(&server, &token)[0];
    let hashes: BTreeMap<&str, &str> = listed.files.iter().map(|f| (f.name.as_str(), f.sha256.as_str())).collect();
    let ack = |body: serde_json::Value| {
        server.api("POST", &format!("/staff/v1/submissions/{id}/ack"), Some(&token), Some(body.to_string()))
    };
    let refused = "the ack does not prove the envelope was decrypted; nothing was deleted";
    // A client from before ack secrets sends none and prints the server's message: it says what to do.
    let (status, response) = ack(serde_json::json!({ "sha256": hashes }));
    let outdated = "this submission needs an ack secret: upgrade sealpost-staff; nothing was deleted";
    assert_eq!((status, error(&response).as_str()), (409, outdated));
    assert_eq!(server.ready_ids(), std::slice::from_ref(&id));
    for body in [
        serde_json::json!({ "sha256": hashes, "ack": "0".repeat(64) }),
        serde_json::json!({ "sha256": hashes, "ack": listed.files[0].sha256 }),
    ] {
        let (status, response) = ack(body.clone());
        assert_eq!((status, error(&response).as_str()), (409, refused), "{body}");
        assert_eq!(server.ready_ids(), std::slice::from_ref(&id));
    }
    let (status, response) = ack(serde_json::json!({ "sha256": hashes, "ack": "zz" }));
    assert_eq!((status, error(&response).as_str()), (400, "the body is not the expected JSON"));
    assert_eq!(server.ready_ids(), std::slice::from_ref(&id));

    // Whoever decrypts the envelope finds the secret in it, and only that proves receipt.
    let envelope = server.envelope_json(&alice, "contact", &id);
    assert_eq!(envelope["sealpost"], 2);
    let secret = envelope["ack"].as_str().unwrap().to_string();
    let (status, _) = ack(serde_json::json!({ "sha256": hashes, "ack": secret }));
    assert_eq!(status, 204);
    assert!(server.ready_ids().is_empty());
}

#[test]
fn a_version_1_entry_from_before_the_upgrade_is_still_acknowledged_by_its_hashes_alone() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    let id = server.seal_v1("contact", &[("Message", "old")], &[]);
    let token = server.login(&alice);
    let listed = &listing(&server, &token)[0];
    assert_eq!(listed.files.len(), 1);
    let body = ack_body(&[("envelope.age", &listed.files[0].sha256)]);
    assert_eq!(server.api("POST", &format!("/staff/v1/submissions/{id}/ack"), Some(&token), Some(body)).0, 204);
    assert!(server.ready_ids().is_empty());
}

#[test]
fn retention_never_expires_an_entry_a_pull_is_downloading_or_just_downloaded() {
    use sealpost::config::Keep;
    use sealpost::retention::Sources;
    use std::time::{Duration, Instant, SystemTime};
    let (_keys, alice, server, id) = setup();
    let entry = server.ready().join("asylum-help").join(&id);
    fs::File::open(&entry).unwrap().set_modified(SystemTime::now() - Duration::from_secs(40 * 86_400)).unwrap();
    let data_dir = server.ready().parent().unwrap().parent().unwrap().to_owned();
    let sources = Sources::new(server.app.spool().clone(), &data_dir, Keep::For(Duration::from_secs(30 * 86_400)));

    // A pull downloads the envelope, then (a while later) the attachment, then acks.
    let token = server.login(&alice);
    let (status, _) = server.api("GET", &format!("/staff/v1/submissions/{id}/envelope.age"), Some(&token), None);
    assert_eq!(status, 200);
    let sweep = sources.sweep(SystemTime::now(), Instant::now());
    assert_eq!((sweep.busy, sweep.deleted.len()), (1, 0), "expired, but a pull is on it");
    assert!(entry.is_dir());
    let (status, _) = server.api("GET", &format!("/staff/v1/submissions/{id}/1.age"), Some(&token), None);
    assert_eq!(status, 200, "the rest of the pull still finds it");

    // Long after the pull, with nobody on it, it goes.
    let later = Instant::now() + sealpost::spool::PULL_GRACE + Duration::from_secs(1);
    let sweep = sources.sweep(SystemTime::now(), later);
    assert_eq!((sweep.busy, sweep.deleted.values().sum::<usize>()), (0, 1));
    assert!(!entry.exists());
    let (status, _) = server.api("GET", &format!("/staff/v1/submissions/{id}/1.age"), Some(&token), None);
    assert_eq!(status, 404);
}
