//! A real full disk: the data dir is a small tmpfs mounted by the test (CI runs as root).
//! Submissions then get the friendly 503 page, nothing acknowledged is lost, and the server
//! recovers once space returns. Without root: the spool's own quota counts the bytes actually
//! written, so uploads still open do not fill it, and one that writes past it is refused cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::server::{self, Server};
use support::*;

/// Size of the test filesystem.
const FS_SIZE: &str = "8m";

/// A tmpfs mounted for the test, unmounted on drop.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path) -> Option<Mount> {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={FS_SIZE},mode=0700"), "tmpfs"])
            .arg(at)
            .status();
        if status.is_ok_and(|s| s.success()) {
            return Some(Mount(at.to_owned()));
        }
        bins::peer_missing(
            "cannot mount a tmpfs (the disk-full test needs root); .ci/run runs as root",
            "cannot mount a tmpfs here (needs root)",
        );
        None
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn submit(addr: std::net::SocketAddr, token: &str, marker: &str, doc_bytes: &[u8]) -> server::Reply {
    let mut parts = asylum_parts(token, marker);
    parts.push(document("scan.pdf", "application/pdf", doc_bytes));
    let body = multipart(&parts);
    server::post(addr, "/asylum-help", &multipart_type(), &body, "").unwrap()
}

#[test]
fn a_full_disk_gets_the_503_page_loses_nothing_acknowledged_and_recovers() {
    let fx = Fixture::with(Options { max_spool: "1 GiB", ..Options::default() });
    let Some(_mount) = Mount::tmpfs(&fx.data_dir()) else { return };
    let srv = Server::start(&fx.config_path);
    // Leave about 1.5 MB free.
    let filler = fx.data_dir().join("filler");
    std::fs::write(&filler, vec![0u8; 6 * 1024 * 1024 + 512 * 1024]).unwrap();

    let doc_bytes: Vec<u8> = (0..400_000u32).map(|i| (i % 249) as u8).collect();
    let mut acknowledged = Vec::new();
    let mut full_page = None;
    for i in 0..20 {
        let marker = format!("disk-full-{i}");
        // A page of its own for each submission: a timing token is accepted once.
        let token = server::token(srv.addr, "asylum-help");
        let reply = submit(srv.addr, &token, &marker, &doc_bytes);
        match reply.status {
            303 => acknowledged.push(marker),
            503 => {
                full_page = Some((reply, token));
                break;
            }
            other => panic!("unexpected status {other}: {}", reply.body),
        }
    }
    let (page, refused_token) = full_page.expect("the disk never filled up");
    assert!(page.body.contains("We cannot accept messages right now"), "{}", page.body);
    assert!(page.header("retry-after").is_some());
    assert!(!acknowledged.is_empty(), "some submissions fit before the disk filled");
    assert_eq!(
        std::fs::read_dir(fx.data_dir().join("spool/incoming")).unwrap().count(),
        0,
        "the failed draft was removed"
    );

    // Space returns: the same server accepts again, without a restart.
    std::fs::remove_file(&filler).unwrap();
    // The page whose submission the full disk refused is sent again as it was: storing failed,
    // so its timing token was not spent.
    let reply = submit(srv.addr, &refused_token, "after-recovery", &doc_bytes);
    assert_eq!(reply.status, 303, "{}", reply.body);
    acknowledged.push("after-recovery".into());
    assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200);

    let mut present = Vec::new();
    for entry in fx.entries("asylum-help") {
        let env = fx.envelope(&entry);
        let plain = fx.decrypt(&entry.join("1.age"));
        assert_eq!(&plain[..doc_bytes.len()], &doc_bytes[..]);
        let fields = env["fields"].as_array().unwrap();
        present.push(fields.iter().find(|f| f["name"] == "message").unwrap()["value"].as_str().unwrap().to_string());
    }
    present.sort();
    acknowledged.sort();
    assert_eq!(present, acknowledged, "exactly the acknowledged submissions are stored, all intact");
    eprintln!("disk full: {} acknowledged before the disk filled, 503 page shown, recovered", acknowledged.len() - 1);
}

/// Submission directories being written under `spool/incoming/`.
fn incoming(fx: &Fixture) -> usize {
    std::fs::read_dir(fx.data_dir().join("spool/incoming"))
        .unwrap()
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count()
}

#[test]
fn open_uploads_that_have_written_nothing_do_not_fill_the_spool() {
    // Before, each upload reserved max_body (2 MiB) and more: three open ones filled 8 MiB.
    let fx = Fixture::with(Options { max_spool: "8 MiB", ..Options::default() });
    let srv = Server::start(&fx.config_path);
    let token = server::token(srv.addr, "asylum-help");
    let mut open = Vec::new();
    for _ in 0..6 {
        let mut stream = TcpStream::connect(srv.addr).unwrap();
        let mut head = server::post_head("/asylum-help", &multipart_type(), 1_000_000, "");
        head.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        stream.write_all(&head).unwrap();
        open.push(stream);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while incoming(&fx) < open.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = incoming(&fx);
    let health = server::get(srv.addr, "/healthz", "").unwrap();
    let reply = submit(srv.addr, &token, "beside six open uploads", b"a small document");
    eprintln!(
        "spool quota: {started} open uploads started; /healthz {}, new submission {}",
        health.status, reply.status
    );
    assert_eq!(started, 6, "every open upload got a draft");
    assert_eq!(health.status, 200, "{}", health.body);
    assert_eq!(reply.status, 303, "{}", reply.body);
    drop(open);
}

#[test]
fn an_upload_that_writes_past_the_quota_gets_the_503_page_and_gives_its_room_back() {
    let fx = Fixture::with(Options { max_spool: "1 MiB", ..Options::default() });
    let srv = Server::start(&fx.config_path);
    // Each timing token is accepted once: every submission fetches its own page.
    let token = || server::token(srv.addr, "asylum-help");
    let doc_bytes: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let first = submit(srv.addr, &token(), "fits", &doc_bytes);
    assert_eq!(first.status, 303, "{}", first.body);
    let second = submit(srv.addr, &token(), "does not fit", &doc_bytes);
    assert_eq!(second.status, 503, "{}", second.body);
    assert!(second.body.contains("We cannot accept messages right now"), "{}", second.body);
    assert_eq!(incoming(&fx), 0, "the refused draft was removed");
    // Its bytes were given back: a small submission still fits, and /healthz says so.
    let third = submit(srv.addr, &token(), "small", b"tiny");
    assert_eq!(third.status, 303, "{}", third.body);
    assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200);
    assert_eq!(fx.entries("asylum-help").len(), 2);
}
