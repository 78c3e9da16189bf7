//! `sealpost-staff pull` against a hostile server: a fake staff API that logs the client in
//! properly, then lies about lifetimes and sizes or never stops listing. Every lie must end in a
//! clear failure or a bounded run, never a crash, a hang or an unbounded download.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sealpost_format::wire::{
    CHALLENGE_LABEL, ChallengeRequest, ChallengeResponse, Listed, ListedFile, SessionResponse,
};
use support::server::{InProcess, Setup};
use support::staff::{Staff, pull_command, pull_options, saved_ids};
use support::stderr;

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
    /// Lists a real submission, then one whose download drips a byte every 200 ms.
    Drip,
    /// Lists 1 PiB in all: 128 submissions of 1024 files at the download bound each.
    Petabyte,
}

/// A real submission the fake serves as it is: its listing entry and its files' bytes.
struct Real {
    listed: Listed,
    files: HashMap<String, Vec<u8>>,
}

struct Fake {
    lie: Lie,
    /// Listings answered.
    listings: AtomicU64,
    /// Download requests answered.
    downloads: AtomicU64,
    /// Download bytes sent.
    sent: AtomicU64,
    /// Acknowledgements received.
    acks: AtomicU64,
    /// The real submission [`Lie::Drip`] lists first.
    real: Option<Real>,
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
                files: vec![file(sealpost_staff::MAX_DOWNLOAD_BYTES + 1)],
            }]
        }
        Lie::Drip if n == 0 => {
            let real = fake.real.as_ref().unwrap().listed.clone();
            vec![real, Listed { id: id(2), form: "contact".into(), files: vec![file(1000)] }]
        }
        Lie::Petabyte if n == 0 => (0..128)
            .map(|s| Listed {
                id: id(s + 1),
                form: "contact".into(),
                files: std::iter::once("envelope.age".to_string())
                    .chain((1..1024).map(|a| format!("{a}.age")))
                    .map(|name| ListedFile { name, size: sealpost_staff::MAX_DOWNLOAD_BYTES, sha256: "a".repeat(64) })
                    .collect(),
            })
            .collect(),
        Lie::EndlessDownload | Lie::HugeFile | Lie::Drip | Lie::Petabyte => Vec::new(),
        Lie::EndlessListing => vec![Listed { id: id(n + 1), form: "contact".into(), files: vec![file(10)] }],
    };
    axum::Json(listing).into_response()
}

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

async fn download(State(fake): State<Arc<Fake>>, UrlPath((sub, file)): UrlPath<(String, String)>) -> Response {
    fake.downloads.fetch_add(1, Ordering::SeqCst);
    if let Some(real) = fake.real.as_ref().filter(|r| r.listed.id == sub) {
        return real.files[&file].clone().into_response();
    }
    match fake.lie {
        Lie::EndlessListing | Lie::Petabyte => http::StatusCode::NOT_FOUND.into_response(),
        Lie::Drip => {
            let drip = futures_util::stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Some((Ok::<_, std::io::Error>(Bytes::from_static(b"x")), ()))
            });
            Body::from_stream(drip).into_response()
        }
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

async fn ack(State(fake): State<Arc<Fake>>) -> Response {
    fake.acks.fetch_add(1, Ordering::SeqCst);
    http::StatusCode::NO_CONTENT.into_response()
}

/// Starts the fake server; returns its address and its counters.
fn start(runtime: &tokio::runtime::Runtime, lie: Lie) -> (SocketAddr, Arc<Fake>) {
    start_with(runtime, lie, None)
}

/// [`start`], serving `real` as it is.
fn start_with(runtime: &tokio::runtime::Runtime, lie: Lie, real: Option<Real>) -> (SocketAddr, Arc<Fake>) {
    let fake = Arc::new(Fake {
        lie,
        listings: AtomicU64::new(0),
        downloads: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        acks: AtomicU64::new(0),
        real,
    });
    let app = Router::new()
        .route("/staff/v1/challenge", post(challenge))
        .route("/staff/v1/session", post(session))
        .route("/staff/v1/submissions", get(list))
        .route("/staff/v1/submissions/{id}/{file}", get(download))
        .route("/staff/v1/submissions/{id}/ack", post(ack))
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
    pull_as(addr, &staff, &keys.path().join("out"), extra)
}

/// Runs a pull against `addr` as `staff` into `out`; fails the test if it takes over a minute.
fn pull_as(addr: SocketAddr, staff: &Staff, out: &Path, extra: &[&str]) -> Output {
    let mut child = pull_command(&format!("http://{addr}"), &staff.identity, out)
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
    let rounds = sealpost_staff::MAX_LISTING_ROUNDS;
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

/// A submission sealed to `staff` by a real server, as the fake will serve it.
fn real_submission(staff: &Staff) -> Real {
    let server = InProcess::start(Setup::new(&[&staff.public], &[]));
    let id = server.seal("contact", &[("Message", "sent before the slow one")], &[("a.txt", b"attached")]);
    let folder = server.ready().join("contact").join(&id);
    let mut files = HashMap::new();
    let mut listed = Vec::new();
    for name in ["envelope.age", "1.age"] {
        let path = folder.join(name);
        let sha256 = sealpost_format::files::sha256_file(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        listed.push(ListedFile { name: name.into(), size: bytes.len() as u64, sha256 });
        files.insert(name.to_string(), bytes);
    }
    Real { listed: Listed { id, form: "contact".into(), files: listed }, files }
}

#[test]
fn a_server_dripping_bytes_is_left_when_the_pull_runs_out_of_time_and_what_was_saved_stays() {
    let keys = tempfile::tempdir().unwrap();
    let staff = Staff::new(keys.path(), "staff");
    let real = real_submission(&staff);
    let real_id = real.listed.id.clone();
    let runtime = runtime();
    let (addr, fake) = start_with(&runtime, Lie::Drip, Some(real));
    let out = keys.path().join("out");
    let output = pull_as(addr, &staff, &out, &["--timeout", "2s", "--json"]);
    assert_eq!(
        stderr(&output),
        "sealpost-staff: the pull ran out of time after 2s; the submissions saved before then are kept\n\
         hint: run the pull again to fetch the rest; it goes on where this one stopped\n\
         hint: on a slow connection, allow more time, e.g. --timeout 3h\n"
    );
    assert_eq!(output.status.code(), Some(1));
    // The real one is saved and acknowledged; nothing of the dripping one is left, not even hidden.
    assert_eq!(saved_ids(&out), std::slice::from_ref(&real_id));
    assert_eq!(std::fs::read_to_string(out.join(&real_id).join("a.txt")).unwrap(), "attached");
    assert_eq!(fake.acks.load(Ordering::SeqCst), 1);
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["saved"], 1);
    assert_eq!(summary["submissions"][0]["id"], real_id.as_str());
    assert_eq!(summary["stopped"], "the pull ran out of time after 2s; the submissions saved before then are kept");
}

#[test]
fn a_pull_that_runs_out_of_time_releases_its_lock_on_out() {
    let keys = tempfile::tempdir().unwrap();
    let staff = Staff::new(keys.path(), "staff");
    let runtime = runtime();
    let (addr, _) = start_with(&runtime, Lie::Drip, Some(real_submission(&staff)));
    let out = keys.path().join("out");
    let options = sealpost_staff::PullOptions {
        timeout: Duration::from_secs(1),
        ..pull_options(format!("http://{addr}"), &staff.identity, &out)
    };
    let summary = runtime.block_on(sealpost_staff::pull(&options, &mut sealpost_staff::Quiet)).unwrap();
    assert!(matches!(summary.stopped, Some(sealpost_staff::StaffError::TimedOut { .. })), "{:?}", summary.stopped);
    assert_eq!(summary.saved, 1, "what was saved before the deadline is in the summary");
    let lock = std::fs::File::open(out.join(sealpost_staff::LOCK_FILE)).unwrap();
    assert!(lock.try_lock().is_ok(), "the lock on OUT outlived the pull");
}

#[test]
fn a_listing_announcing_a_petabyte_is_refused_for_want_of_space_before_anything_is_downloaded() {
    let runtime = runtime();
    let (addr, fake) = start(&runtime, Lie::Petabyte);
    let output = pull(addr, &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let first = err.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("sealpost-staff: submission {} needs 16.0 TiB of free space in ", id(1)))
            && first.contains(", which has only "),
        "{err}"
    );
    assert!(
        err.contains("\nhint: free some space there, or save into a folder on a larger disk with --out\n"),
        "{err}"
    );
    assert_eq!(fake.downloads.load(Ordering::SeqCst), 0);
}
