//! slowhttptest (Debian package) attacks the loopback listener with slowloris (slow headers) and
//! slow-body (R-U-Dead-Yet) connections at bounded scale, while a normal client keeps submitting.
//! No legitimate submission may fail. Prints the normal client's success rate and latency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::server::{self, Server};
use common::*;

/// How long each attack runs.
const ATTACK_SECONDS: u64 = 12;
/// Attack connections per attack: bounded, and below `max_connections` (1024 by default).
const ATTACK_CONNECTIONS: u32 = 300;

fn attack(slowhttptest: &std::path::Path, mode: &str, url: &str, verb: &str) -> std::process::Child {
    Command::new(slowhttptest)
        .args([mode, "-c", &ATTACK_CONNECTIONS.to_string(), "-r", "150", "-i", "2", "-x", "24", "-p", "3"])
        .args(["-l", &ATTACK_SECONDS.to_string(), "-s", "65536", "-t", verb, "-u", url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Established TCP connections whose local port is `port` (the server's side), from /proc.
fn established_to(port: u16) -> usize {
    let mut count = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let local_port =
                cols.get(1).and_then(|a| a.rsplit(':').next()).and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) && cols.get(3) == Some(&"01") {
                count += 1;
            }
        }
    }
    count
}

#[test]
fn legitimate_submissions_all_succeed_during_slowloris_and_slow_body_attacks() {
    let Some(slowhttptest) = require_peer("slowhttptest") else { return };
    let fx = Fixture::with(Options { extra_limits: "header_read_timeout = \"5s\"", ..Options::default() });
    let srv = Server::start(&fx.config_path);
    let base = format!("http://{}", srv.addr);
    let mut loris = attack(&slowhttptest, "-H", &format!("{base}/"), "GET");
    let mut rudy = attack(&slowhttptest, "-B", &format!("{base}/contact"), "POST");
    std::thread::sleep(Duration::from_secs(2)); // let the attacks ramp up

    let held = established_to(srv.addr.port());
    assert!(held >= 100, "the attacks should hold many connections open, saw {held}");
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    let until = Instant::now() + Duration::from_secs(ATTACK_SECONDS - 3);
    let mut i = 0;
    while Instant::now() < until {
        // A page of its own for each submission: a timing token is accepted once.
        let start = Instant::now();
        let token = match server::get(srv.addr, "/contact", "") {
            Ok(page) if page.status == 200 => extract_token(&page.body),
            Ok(page) => {
                failures.push(format!("form page status {}", page.status));
                continue;
            }
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        let body = server::urlencoded(&contact_pairs(&token, &format!("during the attack {i}")));
        match server::post(srv.addr, "/contact", "application/x-www-form-urlencoded", &body, "") {
            Ok(r) if r.status == 303 => latencies.push(start.elapsed()),
            Ok(r) => failures.push(format!("status {}", r.status)),
            Err(e) => failures.push(e.to_string()),
        }
        i += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = loris.wait();
    let _ = rudy.wait();
    latencies.sort();
    let pct = |p: usize| latencies.get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1))).copied();
    eprintln!("slow clients: the attacks held {held} connections open");
    eprintln!(
        "slow clients: {} of {} legitimate submissions succeeded; latency p50 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        i,
        pct(50).unwrap_or_default(),
        pct(99).unwrap_or_default(),
        latencies.last().copied().unwrap_or_default()
    );
    assert!(failures.is_empty(), "{} legitimate submissions failed: {failures:?}", failures.len());
    assert!(latencies.len() >= 20, "too few submissions were tried");
    assert_eq!(fx.entries("contact").len(), latencies.len(), "every acknowledged submission is stored");
    assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200);
}
