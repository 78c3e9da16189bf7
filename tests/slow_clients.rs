//! slowhttptest (Debian package) attacks the loopback listener with slowloris (slow headers) and
//! slow-body (R-U-Dead-Yet) connections at bounded scale, while a normal client keeps submitting.
//! No legitimate submission may fail. Prints the normal client's success rate and latency.
//!
//! Then one address holding its most slow uploads, refused bodies, bodies below the minimum
//! upload rate, and idle HTTP/2 connections, each with real sockets on 127.0.0.x.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::server::{self, Server};
use support::tls::{self, Ca};
use support::*;

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

/// A second client address on the loopback network (Linux routes all of 127.0.0.0/8 locally).
const OTHER_CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
/// How long a test client waits for an answer before it calls the server unresponsive.
const PATIENCE: Duration = Duration::from_secs(8);

/// A TCP connection to `addr` from the local address `source`.
fn connect_from(source: IpAddr, addr: SocketAddr) -> TcpStream {
    server::tcp_from(source, addr, PATIENCE)
}

fn get_from(source: IpAddr, addr: SocketAddr, path: &str) -> std::io::Result<server::Reply> {
    server::exchange(connect_from(source, addr), &server::get_request(path, ""))
}

fn post_from(
    source: IpAddr,
    addr: SocketAddr,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<server::Reply> {
    server::exchange(connect_from(source, addr), &server::post_request(path, content_type, body, ""))
}

/// What became of a connection that started a slow upload.
#[derive(Debug, PartialEq, Eq)]
enum Fate {
    /// Still open, no answer: it holds a request slot.
    Held,
    /// Answered with this status.
    Answered(u16),
    /// Closed without an answer.
    Closed,
}

/// Reads what the server sent on `stream` within `wait`.
fn fate(stream: &mut TcpStream, wait: Duration) -> Fate {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                if out.is_empty() {
                    return Fate::Held;
                }
                break;
            }
            Err(_) => break,
        }
    }
    match server::parse(&out) {
        Ok(reply) => Fate::Answered(reply.status),
        Err(_) => Fate::Closed,
    }
}

#[test]
fn one_address_holding_its_most_slow_uploads_leaves_other_clients_healthz_and_staff_login_working() {
    // Exposed directly (no trusted proxy), 16 connection slots, as in the finding.
    let fx = Fixture::with(Options {
        trusted_proxies: "[]",
        extra_limits: "max_connections = 16\nmax_connections_per_client = 6\nmax_requests_per_client = 3",
        ..Options::default()
    });
    let srv = Server::start(&fx.config_path);
    let attacker = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let token = server::token(srv.addr, "contact");

    // 24 slow uploads from one address: a head announcing 100 kB, then 10 bytes, then nothing.
    let mut slow = Vec::new();
    for _ in 0..24 {
        let mut stream = connect_from(attacker, srv.addr);
        let mut request = server::post_head("/contact", "application/x-www-form-urlencoded", 100_000, "");
        request.extend_from_slice(b"message=ab");
        let _ = stream.write_all(&request);
        slow.push(stream);
    }
    let fates: Vec<Fate> = slow.iter_mut().map(|s| fate(s, Duration::from_millis(700))).collect();
    let held = fates.iter().filter(|f| **f == Fate::Held).count();
    let refused = fates.iter().filter(|f| **f == Fate::Answered(429)).count();
    let closed = fates.iter().filter(|f| **f == Fate::Closed).count();

    // Another client, /healthz and a staff login keep working meanwhile.
    let body = server::urlencoded(&contact_pairs(&token, "while one address holds its slots"));
    let submitted = post_from(OTHER_CLIENT, srv.addr, "/contact", "application/x-www-form-urlencoded", &body);
    let health = get_from(OTHER_CLIENT, srv.addr, "/healthz");
    let recipient = staff::challenge_body(&fx.identity.to_public().to_string());
    let challenge = post_from(OTHER_CLIENT, srv.addr, "/staff/v1/challenge", "application/json", recipient.as_bytes());
    eprintln!(
        "one address, 24 slow uploads: {held} held, {refused} refused with 429, {closed} closed at accept; \
         other client: submission {:?}, /healthz {:?}, staff challenge {:?}",
        submitted.as_ref().map(|r| r.status).map_err(|e| e.kind()),
        health.as_ref().map(|r| r.status).map_err(|e| e.kind()),
        challenge.as_ref().map(|r| r.status).map_err(|e| e.kind()),
    );
    assert_eq!(submitted.expect("the other client's submission got no answer").status, 303);
    assert_eq!(health.expect("/healthz got no answer").status, 200);
    assert_eq!(challenge.expect("the staff challenge got no answer").status, 200);
    assert!(held <= 3, "one address may hold only max_requests_per_client requests, held {held}");
    assert_eq!(held + refused + closed, 24, "{fates:?}");
    assert!(refused >= 1 && closed >= 1, "{fates:?}");
    // The attacker's requests still in flight were not answered for it, and nothing was stored for them.
    assert_eq!(fx.entries("contact").len(), 1);
}

#[test]
fn refused_uploads_are_answered_after_a_short_drain_and_the_connection_is_closed() {
    let fx = Fixture::with(Options { per_client: "{ burst = 1, per_hour = 1 }", ..Options::default() });
    let srv = Server::start(&fx.config_path);
    let token = server::token(srv.addr, "contact");
    let body = server::urlencoded(&contact_pairs(&token, "spends the budget"));
    assert_eq!(server::post(srv.addr, "/contact", "application/x-www-form-urlencoded", &body, "").unwrap().status, 303);

    // Each announces a body within the drain limits of before (1 MiB, under max_body and under
    // 4 × max_body), sends a little, then stalls: the answer must come anyway, and the close.
    // (The last two come through the trusted proxy on behalf of clients with budget left.)
    for (what, content_type, length, extra, status) in [
        ("rate limited", "application/x-www-form-urlencoded", 1 << 20, "", 429),
        ("wrong content type", "text/plain", 1 << 20, "X-Forwarded-For: 10.0.0.2\r\n", 415),
        ("too large", "application/x-www-form-urlencoded", 3 << 20, "X-Forwarded-For: 10.0.0.3\r\n", 413),
    ] {
        let mut stream = TcpStream::connect(srv.addr).unwrap();
        let mut request = server::post_head("/contact", content_type, length, extra);
        request.extend_from_slice(&[b'a'; 1000]);
        stream.write_all(&request).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => panic!("{what}: no answer and no close within {PATIENCE:?} ({e}); got {} bytes", out.len()),
            }
        }
        let reply = server::parse(&out).unwrap();
        assert_eq!(reply.status, status, "{what}");
        assert_eq!(reply.header("connection").as_deref(), Some("close"), "{what}");
        assert!(reply.body.contains("<html"), "{what}: a page is shown");
    }
}

#[test]
fn an_upload_below_the_minimum_rate_gets_the_timeout_page_and_is_closed() {
    let fx = Fixture::with(Options {
        extra_limits: "min_upload_rate = \"1 KiB\"\nupload_rate_window = \"1s\"",
        ..Options::default()
    });
    let srv = Server::start(&fx.config_path);
    let token = server::token(srv.addr, "contact");
    let body = server::urlencoded(&contact_pairs(&token, &"s".repeat(8000)));

    // Above the floor (about 5 kB/s, in pieces): accepted.
    let mut stream = TcpStream::connect(srv.addr).unwrap();
    stream.write_all(&server::post_head("/contact", "application/x-www-form-urlencoded", body.len(), "")).unwrap();
    for piece in body.chunks(1000) {
        stream.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).unwrap();
    assert_eq!(server::parse(&out).unwrap().status, 303, "a slow but steady upload gets through");

    // 100 bytes, then nothing: cut off with the translated page.
    let mut stream = TcpStream::connect(srv.addr).unwrap();
    stream
        .write_all(&server::post_head("/contact?lang=es", "application/x-www-form-urlencoded", body.len(), ""))
        .unwrap();
    stream.write_all(&body[..100]).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut out = Vec::new();
    let read = stream.read_to_end(&mut out);
    assert!(read.is_ok(), "the stalled upload was neither answered nor closed within {PATIENCE:?}");
    let reply = server::parse(&out).unwrap();
    assert_eq!(reply.status, 408);
    assert_eq!(reply.header("connection").as_deref(), Some("close"));
    assert!(reply.body.contains("lang=\"es\""), "{}", reply.body);
    assert_eq!(fx.entries("contact").len(), 1);
}

#[test]
fn an_idle_http2_connection_that_answers_pings_is_closed_after_the_idle_timeout() {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let ca = Ca::new("sealpost test CA");
    let fx = Fixture::with(Options { extra_limits: "http2_idle_timeout = \"1s\"", ..Options::default() });
    fx.use_tls(&ca, "");
    let srv = Server::start(&fx.config_path);
    let config = tls::client_config(std::slice::from_ref(&ca.der), &[&rustls::version::TLS13], &[b"h2"]);

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let tcp = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(b"h2".as_slice()));
        let (mut sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .keep_alive_interval(Duration::from_millis(200))
            .keep_alive_timeout(Duration::from_secs(5))
            .keep_alive_while_idle(true)
            .handshake(TokioIo::new(tls))
            .await
            .unwrap();
        let connection = tokio::spawn(connection);
        type Boxed = http_body_util::combinators::BoxBody<bytes::Bytes, std::convert::Infallible>;
        let get = |path: &str| {
            let empty: Boxed = http_body_util::BodyExt::boxed(http_body_util::Empty::<bytes::Bytes>::new());
            http::Request::get(format!("https://localhost{path}")).body(empty).unwrap()
        };
        // A request well inside the timeout works, twice over the same connection.
        let mut page = String::new();
        for _ in 0..2 {
            let response = sender.send_request(get("/contact")).await.unwrap();
            assert_eq!(response.status(), 200);
            let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
            page = String::from_utf8(bytes.to_vec()).unwrap();
        }
        // An upload that takes longer than the idle timeout is in flight all along: not cut.
        let body = server::urlencoded(&contact_pairs(&extract_token(&page), "slowly over h2"));
        let pieces: Vec<bytes::Bytes> =
            body.chunks(body.len().div_ceil(6)).map(bytes::Bytes::copy_from_slice).collect();
        let stream = futures_util::stream::unfold(pieces.into_iter(), |mut rest| async move {
            let piece = rest.next()?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            Some((Ok::<_, std::convert::Infallible>(hyper::body::Frame::data(piece)), rest))
        });
        let slow: Boxed = http_body_util::BodyExt::boxed(http_body_util::StreamBody::new(stream));
        let post = http::Request::post("https://localhost/contact")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(slow)
            .unwrap();
        let response = sender.send_request(post).await.unwrap();
        assert_eq!(response.status(), 303, "an upload in flight keeps its HTTP/2 connection");
        // Then nothing but pings, answered both ways: the server closes it anyway.
        let ended = tokio::time::timeout(Duration::from_secs(15), connection).await;
        assert!(ended.is_ok(), "an HTTP/2 connection with no request for 15 s was still open (idle timeout 1 s)");
        assert!(sender.send_request(get("/healthz")).await.is_err(), "the closed connection takes no new request");
        assert_eq!(fx.entries("contact").len(), 1);
    });
}

#[test]
fn onion_visitors_all_arriving_from_the_tor_daemon_are_not_capped_as_one_client() {
    let fx = Fixture::with(Options {
        trusted_proxies: "[]",
        extra_limits: "max_connections_per_client = 2\nmax_requests_per_client = 1",
        ..Options::default()
    });
    fx.add_server_settings("onion_listen = \"127.0.0.1:0\"", "");
    let srv = Server::start(&fx.config_path);
    let onion = srv.listener("onion");
    let slow_uploads = |addr: SocketAddr| -> Vec<Fate> {
        let mut streams: Vec<TcpStream> = (0..4)
            .map(|_| {
                let mut stream = TcpStream::connect(addr).unwrap();
                let mut request = server::post_head("/contact", "application/x-www-form-urlencoded", 100_000, "");
                request.extend_from_slice(b"message=ab");
                let _ = stream.write_all(&request);
                stream
            })
            .collect();
        streams.iter_mut().map(|s| fate(s, Duration::from_millis(700))).collect()
    };
    let clearnet = slow_uploads(srv.addr);
    assert_eq!(clearnet.iter().filter(|f| **f == Fate::Held).count(), 1, "{clearnet:?}");
    let onion_fates = slow_uploads(onion);
    assert!(onion_fates.iter().all(|f| *f == Fate::Held), "every onion visitor's upload goes on: {onion_fates:?}");
}
