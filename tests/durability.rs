//! Durability harness (invariant 3): rounds of start → a bounded stream of concurrent
//! submissions → SIGKILL at an arbitrary moment → restart and check. Every submission that got its
//! 303 must be present and decrypt, and nothing partial may be visible in `ready/`.
//!
//! The same for the way back (DESIGN §10): staff replies posted and follow-ups written while the
//! server is killed; every reply that got its 201 must decrypt with the conversation's key, every
//! follow-up that got its 303 must be in the spool, and no half-written reply may be visible.
//!
//! And the same harness kills the server while its retention sweep deletes expired entries: every
//! entry stays whole or goes whole, nothing fresh is touched, and trash/ is emptied at start.
//!
//! CI runs a short version; `SEALPOST_DURABILITY_ROUNDS=25 cargo test --test durability --
//! --nocapture` runs the long one and prints one line per round.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::collections::BTreeSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::server::{self, Server};
use support::staff::{challenge_body, decrypt_challenge, session_body};
use support::*;

/// Rounds when `SEALPOST_DURABILITY_ROUNDS` is not set.
const DEFAULT_ROUNDS: usize = 3;
/// Concurrent clients per round.
const CLIENTS: u32 = 6;
/// Most submissions one client sends in a round.
const MAX_PER_CLIENT: usize = 300;

/// An arbitrary number in 0..bound, different in every call and every run.
fn arbitrary(bound: u64) -> u64 {
    RandomState::new().hash_one(Instant::now()) % bound.max(1)
}

struct Round {
    acknowledged: usize,
    present: usize,
    decrypted: usize,
}

fn run_round(fx: &Fixture, round: usize) -> Round {
    let srv = Server::start(&fx.config_path);
    let addr = srv.addr;
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop_at = Instant::now() + Duration::from_secs(30);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let acked = acked.clone();
            std::thread::spawn(move || {
                // Several sealing batches long, so a kill can land while one batch is being
                // encrypted and hashed on two threads and the next is arriving.
                let len = 2 * sealpost::form::SEAL_BATCH + 400_000 + 7_919 * t as usize;
                let doc_bytes: Vec<u8> = (0..len).map(|i| (i ^ (i >> 8) ^ t as usize) as u8).collect();
                for i in 0..MAX_PER_CLIENT {
                    if Instant::now() > stop_at {
                        break;
                    }
                    let marker = format!("round{round}-client{t}-{i}");
                    // A page of its own for each submission: a timing token is accepted once.
                    let Ok(page) = server::get(addr, "/asylum-help", "") else { break }; // the server died
                    let token = extract_token(&page.body);
                    let mut parts = asylum_parts(&token, &marker);
                    parts.push(document("d.bin", "application/octet-stream", &doc_bytes));
                    let body = multipart(&parts);
                    match server::post(addr, "/asylum-help", &multipart_type(), &body, "") {
                        Ok(r) if r.status == 303 => acked.lock().unwrap().push(marker),
                        Ok(r) => panic!("unexpected status {}", r.status),
                        Err(_) => break, // the server died
                    }
                }
            })
        })
        .collect();
    // Kill at an arbitrary moment once a stream is flowing.
    let wait_for = 5 + arbitrary(40) as usize;
    while acked.lock().unwrap().len() < wait_for {
        assert!(Instant::now() < stop_at, "no progress before the kill");
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_micros(arbitrary(50_000)));
    drop(srv); // SIGKILL
    for c in clients {
        c.join().unwrap();
    }
    let acked: BTreeSet<String> = acked.lock().unwrap().iter().cloned().collect();

    // Restart: leftovers are cleaned, every visible entry is complete and decrypts.
    let srv = Server::start(&fx.config_path);
    assert_eq!(std::fs::read_dir(fx.data_dir().join("spool/incoming")).unwrap().count(), 0);
    let mut present = BTreeSet::new();
    let mut decrypted = 0;
    for entry in fx.entries("asylum-help") {
        let env = fx.envelope(&entry);
        let meta = &env["attachments"][0];
        let plain = fx.decrypt(&entry.join("1.age"));
        let size = meta["size"].as_u64().unwrap() as usize;
        assert_eq!(plain.len() as u64, sealpost_format::pad::padme(size as u64));
        assert_eq!(meta["sha256"], hex_sha256(&plain[..size]), "attachment intact");
        decrypted += 1;
        let fields = env["fields"].as_array().unwrap();
        let message = fields.iter().find(|f| f["name"] == "message").unwrap()["value"].as_str().unwrap();
        present.insert(message.to_string());
    }
    let lost: Vec<_> =
        acked.iter().filter(|m| m.starts_with(&format!("round{round}-")) && !present.contains(*m)).collect();
    assert!(lost.is_empty(), "round {round}: acknowledged but lost: {lost:?}");
    assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200);
    let this_round = present.iter().filter(|m| m.starts_with(&format!("round{round}-"))).count();
    Round { acknowledged: acked.len(), present: this_round, decrypted }
}

#[test]
fn every_acknowledged_submission_survives_kill_9_in_every_round() {
    let rounds =
        std::env::var("SEALPOST_DURABILITY_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_ROUNDS);
    // Room for attachments longer than two sealing batches (the fixture's form allows 1 MiB),
    // and for every round's submissions, which stay in the spool.
    let fx = Fixture::with(Options { max_body: "8 MiB", max_spool: "8 GiB", ..Options::default() });
    fx.edit_config(|text| text.replace("max_size = \"1 MiB\"", "max_size = \"4 MiB\""));
    let mut total = Round { acknowledged: 0, present: 0, decrypted: 0 };
    eprintln!("round  acknowledged  present  decrypt(all entries so far)");
    for round in 1..=rounds {
        let r = run_round(&fx, round);
        eprintln!("{round:>5}  {:>12}  {:>7}  {:>7}", r.acknowledged, r.present, r.decrypted);
        assert!(r.present >= r.acknowledged, "round {round}: fewer present than acknowledged");
        total.acknowledged += r.acknowledged;
        total.present += r.present;
        total.decrypted = r.decrypted;
    }
    eprintln!(
        "durability: {rounds} rounds, {} acknowledged, {} present, {} entries decrypt, 0 lost",
        total.acknowledged, total.present, total.decrypted
    );
}

/// Logs the fixture's staff key in over HTTP; returns the bearer token.
fn login(fx: &Fixture, addr: std::net::SocketAddr) -> String {
    let public = fx.identity.to_public().to_string();
    let json = "application/json";
    let challenge = server::post(addr, "/staff/v1/challenge", json, challenge_body(&public).as_bytes(), "").unwrap();
    let challenge: serde_json::Value = serde_json::from_str(&challenge.body).unwrap();
    let secret = decrypt_challenge(&fx.identity, challenge["challenge"].as_str().unwrap());
    let body = session_body(challenge["challenge_id"].as_str().unwrap(), &secret);
    let session = server::post(addr, "/staff/v1/session", json, body.as_bytes(), "").unwrap();
    serde_json::from_str::<serde_json::Value>(&session.body).unwrap()["token"].as_str().unwrap().to_string()
}

/// A reply saying `marker`, sealed to `recipient` as `sealpost-staff reply` seals one.
fn sealed_reply(recipient: &str, marker: &str) -> Vec<u8> {
    let key: age::x25519::Recipient = recipient.trim().parse().unwrap();
    let mut json = format!("{{\"sealpost_reply\":1,\"message\":\"{marker}\",\"attachments\":[]}}").into_bytes();
    json.resize(sealpost_format::pad::envelope_padded_len(json.len()), b' ');
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&key as &dyn age::Recipient)).unwrap();
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).unwrap();
    std::io::Write::write_all(&mut writer, &json).unwrap();
    writer.finish().unwrap();
    out
}

#[test]
fn every_acknowledged_reply_and_follow_up_survives_kill_9() {
    let rounds =
        std::env::var("SEALPOST_DURABILITY_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_ROUNDS);
    let fx = Fixture::new();
    // The conversation: one submission, its receipt from the sent page.
    let srv = Server::start(&fx.config_path);
    let token = server::token(srv.addr, "contact");
    let body = server::urlencoded(&contact_pairs(&token, "begin"));
    let sent = server::post(srv.addr, "/contact", "application/x-www-form-urlencoded", &body, "").unwrap();
    let page = server::get(srv.addr, &sent.header("location").unwrap(), "").unwrap().body;
    let start = page.find("receipt-digits").unwrap();
    let receipt: String = page[start..start + page[start..].find("</p>").unwrap()]
        .split("<span>")
        .skip(1)
        .map(|g| g.split("</span>").next().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    drop(srv);
    let salt: [u8; 32] = std::fs::read(fx.data_dir().join(sealpost::reply::SALT_FILE)).unwrap().try_into().unwrap();
    let keys = sealpost::reply::derive(&sealpost::reply::Receipt::parse(&receipt).unwrap(), &salt);
    let thread_dir = fx.data_dir().join("threads").join(keys.thread.as_str());
    let recipient = std::fs::read_to_string(thread_dir.join("recipient.txt")).unwrap();

    let mut replies_acked = BTreeSet::new();
    let mut follow_ups_acked = BTreeSet::new();
    eprintln!("round  replies acknowledged  follow-ups acknowledged");
    for round in 1..=rounds {
        let srv = Server::start(&fx.config_path);
        let addr = srv.addr;
        let bearer = format!("Authorization: Bearer {}\r\n", login(&fx, addr));
        let stop_at = Instant::now() + Duration::from_secs(30);
        let replies = Arc::new(Mutex::new(Vec::<String>::new()));
        let follow_ups = Arc::new(Mutex::new(Vec::<String>::new()));
        let staff = {
            let (replies, recipient, thread) = (replies.clone(), recipient.clone(), keys.thread.to_string());
            std::thread::spawn(move || {
                for i in 0..MAX_PER_CLIENT {
                    let marker = format!("reply-{round}-{i}");
                    let path = format!("/staff/v1/threads/{thread}/replies");
                    match server::post(
                        addr,
                        &path,
                        "application/octet-stream",
                        &sealed_reply(&recipient, &marker),
                        &bearer,
                    ) {
                        Ok(r) if r.status == 201 => replies.lock().unwrap().push(marker),
                        Ok(r) => panic!("unexpected status {}: {}", r.status, r.body),
                        Err(_) => break,
                    }
                    if Instant::now() > stop_at {
                        break;
                    }
                }
            })
        };
        let person = {
            let (follow_ups, receipt) = (follow_ups.clone(), receipt.clone());
            std::thread::spawn(move || {
                for i in 0..MAX_PER_CLIENT {
                    let marker = format!("follow-{round}-{i}");
                    let body = server::urlencoded(&[("receipt", receipt.as_str())]);
                    let Ok(page) = server::post(addr, "/status", "application/x-www-form-urlencoded", &body, "") else {
                        break;
                    };
                    if page.status == 503 {
                        continue; // busy: the derivations are taken
                    }
                    let at = page.body.find("/write").unwrap_or_else(|| panic!("{}: {}", page.status, page.body));
                    let action = &page.body[page.body[..at].rfind('"').unwrap() + 1..at + "/write".len()];
                    let token = extract_token(&page.body[at..]);
                    let body = server::urlencoded(&[("_token", token.as_str()), ("message", marker.as_str())]);
                    match server::post(addr, action, "application/x-www-form-urlencoded", &body, "") {
                        Ok(r) if r.status == 303 => follow_ups.lock().unwrap().push(marker),
                        Ok(r) => panic!("unexpected status {}", r.status),
                        Err(_) => break,
                    }
                    if Instant::now() > stop_at {
                        break;
                    }
                }
            })
        };
        let wait_for = 3 + arbitrary(20) as usize;
        while replies.lock().unwrap().len() + follow_ups.lock().unwrap().len() < wait_for {
            assert!(Instant::now() < stop_at, "no progress before the kill");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_micros(arbitrary(30_000)));
        drop(srv); // SIGKILL
        staff.join().unwrap();
        person.join().unwrap();
        let (r, f) = (replies.lock().unwrap().clone(), follow_ups.lock().unwrap().clone());
        eprintln!("{round:>5}  {:>20}  {:>23}", r.len(), f.len());
        replies_acked.extend(r);
        follow_ups_acked.extend(f);

        // Restart: nothing half-written is visible, and everything acknowledged is there.
        let srv = Server::start(&fx.config_path);
        assert_eq!(std::fs::read_dir(fx.data_dir().join("threads/.incoming")).unwrap().count(), 0);
        let mut replies_present = BTreeSet::new();
        for entry in std::fs::read_dir(thread_dir.join("replies")).unwrap() {
            let sealed = std::fs::read(entry.unwrap().path()).unwrap();
            let plain = decrypt_with(&keys.identity, &sealed);
            let reply: serde_json::Value = serde_json::from_slice(&plain).unwrap();
            replies_present.insert(reply["message"].as_str().unwrap().to_string());
        }
        let lost: Vec<_> = replies_acked.difference(&replies_present).collect();
        assert!(lost.is_empty(), "round {round}: replies acknowledged but lost: {lost:?}");
        let mut follow_ups_present = BTreeSet::new();
        for entry in fx.entries("contact") {
            let env = fx.envelope(&entry);
            follow_ups_present.insert(env["fields"][0]["value"].as_str().unwrap().to_string());
        }
        let lost: Vec<_> = follow_ups_acked.difference(&follow_ups_present).collect();
        assert!(lost.is_empty(), "round {round}: follow-ups acknowledged but lost: {lost:?}");
        assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200);
    }
    eprintln!(
        "durability (replies): {rounds} rounds, {} replies and {} follow-ups acknowledged, 0 lost",
        replies_acked.len(),
        follow_ups_acked.len()
    );
}

/// Expired and fresh entries per round of the retention harness.
const EXPIRED_PER_ROUND: usize = 120;
const FRESH_PER_ROUND: usize = 30;

#[test]
fn a_kill_9_mid_expiry_leaves_each_entry_whole_or_gone_and_every_fresh_one_in_place() {
    let rounds =
        std::env::var("SEALPOST_DURABILITY_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_ROUNDS);
    let fx = Fixture::new();
    fx.edit_config(|text| text.replace("keep_unpulled = \"forever\"", "keep_unpulled = \"30d\""));
    let old = Duration::from_secs(31 * 86_400);
    let young = Duration::from_secs(29 * 86_400);
    let mut fresh = BTreeSet::new();
    eprintln!("round  expired  left after the kill  fresh");
    for round in 1..=rounds {
        for i in 0..EXPIRED_PER_ROUND {
            fx.write_entry(if i % 2 == 0 { "contact" } else { "asylum-help" }, &format!("old-{round}-{i}"), old);
        }
        for i in 0..FRESH_PER_ROUND {
            let message = format!("fresh-{round}-{i}");
            fx.write_entry("contact", &message, young);
            fresh.insert(message);
        }
        // The sweep starts as the server starts; kill it at an arbitrary moment of it.
        let srv = Server::start(&fx.config_path);
        std::thread::sleep(Duration::from_micros(arbitrary(30_000)));
        drop(srv); // SIGKILL

        // Whatever the moment: every visible entry decrypts whole, and every fresh one is there.
        let mut left_old = 0;
        let mut present = BTreeSet::new();
        for form in ["contact", "asylum-help"] {
            for entry in fx.entries(form) {
                let env = fx.envelope(&entry);
                let message = env["fields"][0]["value"].as_str().unwrap().to_string();
                assert!(entry.join("ack.sha256").is_file(), "an entry lost a file: {}", entry.display());
                if message.starts_with("old-") {
                    left_old += 1;
                }
                present.insert(message);
            }
        }
        let lost: Vec<_> = fresh.difference(&present).collect();
        assert!(lost.is_empty(), "round {round}: fresh entries deleted: {lost:?}");

        // The next start empties trash/ and finishes the sweep.
        let srv = Server::start(&fx.config_path);
        let trash = fx.data_dir().join("spool/trash");
        let deadline = Instant::now() + Duration::from_secs(30);
        // Done once nothing old is in ready/ and its last entry has left trash/ too.
        while fx.entries("asylum-help").len() + fx.entries("contact").len() > fresh.len()
            || std::fs::read_dir(&trash).unwrap().count() > 0
        {
            assert!(
                Instant::now() < deadline,
                "the sweep did not finish (trash/ or ready/ still holds expired entries)"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(fx.entries("asylum-help").is_empty());
        assert_eq!(fx.entries("contact").len(), fresh.len());
        assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200);
        drop(srv);
        eprintln!("{round:>5}  {EXPIRED_PER_ROUND:>7}  {left_old:>19}  {:>5}", fresh.len());
    }
}
