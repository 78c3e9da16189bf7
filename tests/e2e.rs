//! The real binary on 127.0.0.1:0: a submission over a socket, privacy of logs and disk,
//! slow clients, the connection cap and graceful shutdown. (kill -9: see durability.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::server::{self, Server};
use support::*;

#[test]
fn a_submission_over_a_real_socket_lands_sealed() {
    let fx = Fixture::new();
    let srv = Server::start(&fx.config_path);
    let token = server::token(srv.addr, "asylum-help");
    let mut parts = asylum_parts(&token, "over the wire");
    parts.push(document("id.png", "image/png", b"\x89PNG fake"));
    let body = multipart(&parts);
    let reply = server::post(srv.addr, "/asylum-help?lang=en", &multipart_type(), &body, "").unwrap();
    assert_eq!(reply.status, 303);
    assert!(reply.header("location").unwrap().starts_with("/asylum-help/sent?lang=en&r="), "a handle to the receipt");
    let entry = &fx.entries("asylum-help")[0];
    let env = fx.envelope(entry);
    assert!(env["fields"].as_array().unwrap().iter().any(|f| f["value"] == "over the wire"));
    assert_eq!(&fx.decrypt(&entry.join("1.age"))[..9], b"\x89PNG fake");
    let sent = server::get(srv.addr, "/asylum-help/sent?lang=en", "").unwrap();
    assert_eq!(sent.status, 200);
    assert!(!sent.body.contains("Your message has not been sent") && sent.body.contains("Your message has been sent"));
}

#[test]
fn no_marker_address_agent_or_language_reaches_the_log_or_the_disk_outside_age_files() {
    let fx = Fixture::new();
    let srv = Server::start(&fx.config_path);
    let mut markers = Vec::new();
    for i in 0..12 {
        let marker = format!("MARKER{i:03}xq7");
        let token = server::token(srv.addr, "contact");
        let extra = format!(
            "X-Forwarded-For: 198.51.100.{i}\r\nUser-Agent: AGENT{i}zz/1.0\r\nAccept-Language: tr-TR;q=0.9\r\n"
        );
        let body = server::urlencoded(&contact_pairs(&token, &marker));
        let reply = if i % 2 == 0 {
            server::post(srv.addr, "/contact", "application/x-www-form-urlencoded", &body, &extra).unwrap()
        } else {
            // Also a refused submission (422): its content must not leak either.
            let bad = server::urlencoded(&[("_token", token.as_str()), ("email", &marker), ("message", "")]);
            server::post(srv.addr, "/contact", "application/x-www-form-urlencoded", &bad, &extra).unwrap()
        };
        assert!(reply.status == 303 || reply.status == 422);
        markers.push(marker);
    }
    let mut parts = asylum_parts("", "x");
    let token = server::token(srv.addr, "asylum-help");
    parts[0] = Part::Text("_token", &token);
    parts.push(document("FILENAMEMARKER.pdf", "application/pdf", b"ATTACHMENTMARKER"));
    let body = multipart(&parts);
    assert_eq!(server::post(srv.addr, "/asylum-help", &multipart_type(), &body, "").unwrap().status, 303);
    markers.extend(["FILENAMEMARKER".into(), "ATTACHMENTMARKER".into()]);

    let status = srv.log.clone();
    // The server's own listening address is the one address allowed in the log.
    let log: String = status
        .lock()
        .unwrap()
        .iter()
        .filter(|l| !l.contains(" listening address="))
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(log.contains("route=/{form}"), "the request log is there: {log}");
    let mut forbidden: Vec<String> = markers.clone();
    forbidden.extend((0..12).map(|i| format!("198.51.100.{i}")));
    forbidden.extend((0..12).map(|i| format!("AGENT{i}zz")));
    forbidden.extend(["127.0.0.1:".into(), "tr-TR".into(), "lang=".into(), "locale".into()]);
    for needle in &forbidden {
        assert!(!log.contains(needle.as_str()), "log contains {needle}: {log}");
    }
    for file in fx.all_files() {
        let bytes = std::fs::read(&file).unwrap();
        if file.ends_with("ack.sha256") {
            // The SHA-256 of the envelope's random ack secret: nothing from the submission.
            assert!(bytes.len() == 64 && bytes.iter().all(|b| b.is_ascii_hexdigit()), "{file:?}");
            continue;
        }
        if fx.is_public_conversation_file(&file, &bytes) {
            continue;
        }
        let is_age = file.extension().is_some_and(|e| e == "age");
        assert!(is_age, "only .age files hold anything under the data dir: {file:?}");
        assert!(bytes.starts_with(b"age-encryption.org/v1\n"), "binary age v1: {file:?}");
        for needle in &forbidden {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{file:?} contains {needle}");
        }
    }
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let fx = Fixture::with(Options { extra_limits: "header_read_timeout = \"1s\"", ..Options::default() });
    let srv = Server::start(&fx.config_path);
    let mut slow = TcpStream::connect(srv.addr).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let started = Instant::now();
    let _ = slow.read_to_end(&mut buf); // returns when the server closes
    assert!(started.elapsed() < Duration::from_secs(9), "the server must close the connection");
    assert!(
        buf.is_empty() || String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408"),
        "{:?}",
        String::from_utf8_lossy(&buf)
    );
    // Meanwhile, and afterwards, real clients are served.
    assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200);
}

#[test]
fn a_client_that_connects_and_sends_nothing_is_disconnected() {
    let fx = Fixture::with(Options { extra_limits: "header_read_timeout = \"1s\"", ..Options::default() });
    let srv = Server::start(&fx.config_path);
    let mut silent = TcpStream::connect(srv.addr).unwrap();
    silent.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = silent.read_to_end(&mut buf); // returns when the server closes
    assert!(started.elapsed() < Duration::from_secs(9), "a silent connection must not hold a slot forever");
    assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200);
}

#[test]
fn connections_beyond_max_connections_wait_until_one_closes() {
    let fx = Fixture::with(Options {
        extra_limits: "max_connections = 2\nheader_read_timeout = \"20s\"",
        ..Options::default()
    });
    let srv = Server::start(&fx.config_path);
    let hold: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(srv.addr).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap(); // unfinished head
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let addr = srv.addr;
    let waiting = std::thread::spawn(move || server::get(addr, "/healthz", "").map(|r| (r.status, Instant::now())));
    std::thread::sleep(Duration::from_millis(500));
    let released = Instant::now();
    drop(hold);
    let (status, answered) = waiting.join().unwrap().unwrap();
    assert_eq!(status, 200);
    assert!(answered >= released, "the third connection must be served only after one of the first two closed");
}

#[test]
fn sigterm_lets_an_upload_in_flight_finish_then_exits_cleanly() {
    let fx = Fixture::new();
    let srv = Server::start(&fx.config_path);
    let token = server::token(srv.addr, "asylum-help");
    let mut parts = asylum_parts(&token, "in flight at shutdown");
    let doc_bytes = vec![9u8; 200_000];
    parts.push(document("late.bin", "application/octet-stream", &doc_bytes));
    let body = multipart(&parts);
    let head = server::post_head("/asylum-help", &multipart_type(), body.len(), "");
    let mut stream = TcpStream::connect(srv.addr).unwrap();
    stream.write_all(&head).unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = srv.child.id();
    std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[body.len() / 2..]).unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).unwrap();
    let reply = server::parse(&out).unwrap();
    assert_eq!(reply.status, 303, "the upload in flight completes");
    let status = srv.terminate();
    assert!(status.success(), "clean exit: {status:?}");
    assert_eq!(fx.entries("asylum-help").len(), 1);
}

#[test]
fn a_request_whose_body_is_left_unread_is_answered_then_closed_and_a_plain_one_keeps_its_connection() {
    let fx = Fixture::new();
    let srv = Server::start(&fx.config_path);
    // No handler reads a GET's body: the answer says so and the server closes, so no client can
    // keep an idle connection in hyper's full state (src/http/keepalive.rs).
    let mut odd = TcpStream::connect(srv.addr).unwrap();
    odd.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    odd.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nx").unwrap();
    let mut buf = Vec::new();
    let started = Instant::now();
    let _ = odd.read_to_end(&mut buf); // returns when the server closes
    assert!(started.elapsed() < Duration::from_secs(9), "the connection must close after the answer");
    let reply = server::parse(&buf).unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("connection").as_deref(), Some("close"), "{}", reply.head);

    // A request without a body keeps its connection: a second one is answered on it.
    let mut plain = TcpStream::connect(srv.addr).unwrap();
    plain.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for round in 0..2 {
        plain.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(plain.read(&mut byte).unwrap(), 1, "round {round}: the connection closed");
            head.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
        assert!(text.starts_with("http/1.1 200"), "round {round}: {text}");
        assert!(!text.contains("connection: close"), "round {round}: {text}");
        let length: usize =
            text.lines().find_map(|l| l.strip_prefix("content-length: ")).and_then(|n| n.trim().parse().ok()).unwrap();
        let mut body = vec![0u8; length];
        plain.read_exact(&mut body).unwrap();
    }
}

#[test]
fn a_request_head_over_32_kib_gets_431_and_one_under_it_is_served() {
    let fx = Fixture::new();
    let srv = Server::start(&fx.config_path);
    let head = |padding: usize| {
        format!(
            "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Pad: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(padding)
        )
    };
    assert_eq!(server::raw(srv.addr, head(30_000).as_bytes()).unwrap().status, 200);
    assert_eq!(
        server::raw(srv.addr, head(40_000).as_bytes()).unwrap().status,
        431,
        "the bound is the head's, not the buffer's"
    );
    assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200, "and the server stays up");
}
