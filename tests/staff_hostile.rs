//! `sealpost-staff pull` against a hostile server: a fake staff API that logs the client in
//! properly, then lies about lifetimes and sizes or never stops listing. Every lie must end in a
//! clear failure or a bounded run, never a crash, a hang or an unbounded download.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "staff_common/mod.rs"]
mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::{Staff, stderr};
use sealpost::pull::{CHALLENGE_LABEL, ChallengeRequest, ChallengeResponse, Listed, ListedFile, SessionResponse};

/// What the fake server lies about.
#[derive(Clone, Copy)]
enum Lie {
    /// `expires_in: u64::MAX`, then an empty listing.
    EndlessSession,
    /// Lists a 1000-byte file, then sends bytes forever.
    EndlessDownload,
    /// Lists a file larger than the client downloads.
    HugeFile,
    /// Lists one new submission at every request, forever (each gone when downloaded).
    EndlessListing,
}

struct Fake {
    lie: Lie,
    /// Listings answered.
    listings: AtomicU64,
    /// Download requests answered.
    downloads: AtomicU64,
    /// Download bytes sent.
    sent: AtomicU64,
}

fn id(n: u64) -> String {
    data_encoding::BASE32_NOPAD.encode(&u128::from(n).to_be_bytes()).to_ascii_lowercase()
}

async fn challenge(body: Bytes) -> Response {
    let request: ChallengeRequest = serde_json::from_slice(&body).unwrap();
    let recipient: age::x25519::Recipient = request.recipient.parse().unwrap();
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient)).unwrap();
    let armor = age::armor::ArmoredWriter::wrap_output(Vec::new(), age::armor::Format::AsciiArmor).unwrap();
    let mut writer = encryptor.wrap_output(armor).unwrap();
    writer.write_all(CHALLENGE_LABEL).unwrap();
    writer.write_all(&[7u8; 32]).unwrap();
    let challenge = String::from_utf8(writer.finish().unwrap().finish().unwrap()).unwrap();
    axum::Json(ChallengeResponse { challenge_id: "c".into(), challenge }).into_response()
}

async fn session(State(fake): State<Arc<Fake>>) -> Response {
    let expires_in = match fake.lie {
        Lie::EndlessSession => u64::MAX,
        _ => 900,
    };
    axum::Json(SessionResponse { token: "t".into(), expires_in }).into_response()
}

async fn list(State(fake): State<Arc<Fake>>) -> Response {
    let n = fake.listings.fetch_add(1, Ordering::SeqCst);
    let file = |size| ListedFile { name: "envelope.age".into(), size, sha256: "a".repeat(64) };
    let listing = match fake.lie {
        Lie::EndlessSession => Vec::new(),
        Lie::EndlessDownload if n == 0 => vec![Listed { id: id(1), form: "contact".into(), files: vec![file(1000)] }],
        Lie::HugeFile if n == 0 => {
            vec![Listed {
                id: id(1),
                form: "contact".into(),
                files: vec![file(sealpost::staff::MAX_DOWNLOAD_BYTES + 1)],
            }]
        }
        Lie::EndlessDownload | Lie::HugeFile => Vec::new(),
        Lie::EndlessListing => vec![Listed { id: id(n + 1), form: "contact".into(), files: vec![file(10)] }],
    };
    axum::Json(listing).into_response()
}

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

async fn download(State(fake): State<Arc<Fake>>) -> Response {
    fake.downloads.fetch_add(1, Ordering::SeqCst);
    match fake.lie {
        Lie::EndlessListing => http::StatusCode::NOT_FOUND.into_response(),
        _ => {
            let fake = fake.clone();
            let endless = futures_util::stream::repeat_with(move || {
                fake.sent.fetch_add(ZEROS.len() as u64, Ordering::SeqCst);
                Ok::<_, std::io::Error>(Bytes::from_static(&ZEROS))
            });
            Body::from_stream(endless).into_response()
        }
    }
}

/// Starts the fake server; returns its address and its counters.
fn start(runtime: &tokio::runtime::Runtime, lie: Lie) -> (SocketAddr, Arc<Fake>) {
    let fake =
        Arc::new(Fake { lie, listings: AtomicU64::new(0), downloads: AtomicU64::new(0), sent: AtomicU64::new(0) });
    let app = Router::new()
        .route("/staff/v1/challenge", post(challenge))
        .route("/staff/v1/session", post(session))
        .route("/staff/v1/submissions", get(list))
        .route("/staff/v1/submissions/{id}/{file}", get(download))
        .with_state(fake.clone());
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move { axum::serve(listener, app).await });
    (addr, fake)
}

/// Runs a pull against `addr` as a new staff member; fails the test if it takes over a minute.
fn pull(addr: SocketAddr, extra: &[&str]) -> Output {
    let keys = tempfile::tempdir().unwrap();
    let staff = Staff::new(keys.path(), "staff");
    let out = keys.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealpost-staff"))
        .args(["pull", "--server", &format!("http://{addr}"), "--identity"])
        .arg(&staff.identity)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the pull was still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn a_session_said_to_last_forever_does_not_crash_the_client() {
    let runtime = runtime();
    let (addr, _) = start(&runtime, Lie::EndlessSession);
    let output = pull(addr, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_download_longer_than_announced_is_cut_off() {
    let runtime = runtime();
    let (addr, fake) = start(&runtime, Lie::EndlessDownload);
    let output = pull(addr, &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "submission {}: envelope.age does not match the size and sha256 the server listed",
            id(1)
        )),
        "{err}"
    );
    // What the server pushed into socket buffers before the client hung up, no more.
    assert!(fake.sent.load(Ordering::SeqCst) < 64 << 20, "{} bytes sent", fake.sent.load(Ordering::SeqCst));
}

#[test]
fn a_file_listed_larger_than_the_bound_is_never_downloaded() {
    let runtime = runtime();
    let (addr, fake) = start(&runtime, Lie::HugeFile);
    let output = pull(addr, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("as larger than the 8 GiB this program downloads"), "{}", stderr(&output));
    assert_eq!(fake.downloads.load(Ordering::SeqCst), 0);
}

#[test]
fn a_server_that_never_stops_listing_is_left_after_a_bounded_number_of_listings() {
    let runtime = runtime();
    let (addr, fake) = start(&runtime, Lie::EndlessListing);
    let output = pull(addr, &["--json"]);
    assert_eq!(output.status.code(), Some(1));
    let rounds = sealpost::staff::MAX_LISTING_ROUNDS;
    assert_eq!(
        stderr(&output),
        format!(
            "sealpost-staff: stopped after {rounds} listings; more submissions may be waiting on the server\n\
             hint: run the pull again to fetch the rest\n"
        )
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["unfinished"], true);
    assert_eq!(summary["gone"], rounds);
    assert_eq!(fake.listings.load(Ordering::SeqCst), rounds as u64);
}
