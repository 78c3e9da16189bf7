//! A catalogue of hostile requests sent over raw TCP to the real binary. Each has its expected
//! status; the server must stay up throughout, and a refused request must leave nothing on disk.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use support::server::Server;
use support::*;

/// What a hostile request may get back.
#[derive(Debug)]
enum Expect {
    /// One of these statuses.
    Status(&'static [u16]),
    /// The connection is closed without a response, or with a 4xx.
    ClosedOr4xx,
}

struct Case {
    name: &'static str,
    request: Vec<u8>,
    /// Half-close our side after sending (the client "hangs up" mid-body).
    hang_up: bool,
    expect: Expect,
    /// Whether a sealed submission may result (a harmless request in disguise).
    may_store: bool,
}

fn case(name: &'static str, request: Vec<u8>, expect: &'static [u16]) -> Case {
    Case { name, request, hang_up: false, expect: Expect::Status(expect), may_store: false }
}

fn post(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn raw(head: &str, body: &[u8]) -> Vec<u8> {
    let mut r = head.replace('\n', "\r\n").into_bytes();
    r.extend_from_slice(body);
    r
}

const MP: &str = "multipart/form-data; boundary=XyZ";

fn mp_text(name: &str, value: &str) -> String {
    format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
}

fn mp_file(disposition_tail: &str, bytes: &str) -> String {
    format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"documents\"; {disposition_tail}\r\nContent-Type: application/pdf\r\n\r\n{bytes}\r\n"
    )
}

/// A valid asylum-form body with `extra` parts appended before the closing boundary.
fn asylum_body(token: &str, extra: &str) -> Vec<u8> {
    let mut body = String::new();
    for (k, v) in [
        ("_token", token),
        ("_homepage", ""),
        ("contact_method", "phone"),
        ("contact", "+1 555 0100"),
        ("language", "Tigrinya"),
        ("location", "Rome"),
        ("message", "hostile catalogue"),
        ("consent", "yes"),
    ] {
        body.push_str(&mp_text(k, v));
    }
    body.push_str(extra);
    body.push_str("--XyZ--\r\n");
    body.into_bytes()
}

/// The catalogue; `token(form)` fetches a fresh timing token (each is accepted once), so a case
/// that may be stored is refused, if at all, for what it is and not for a spent token.
fn catalogue(token: &dyn Fn(&str) -> String) -> Vec<Case> {
    let ct = |pairs: &str| format!("_token={}&{pairs}", enc(&token("contact")));
    let many_pairs: String = (0..10_000).map(|i| format!("&f{i}=1")).collect();
    let many_parts: String = (0..10_000).map(|i| mp_text(&format!("f{i}"), "1")).collect();
    let big_header = format!("GET / HTTP/1.1\nHost: x\nX-Big: {}\nConnection: close\n\n", "a".repeat(70_000));
    let many_headers: String = (0..300).map(|i| format!("X-H{i}: v\n")).collect();
    let long_uri = format!("GET /{} HTTP/1.1\nHost: x\nConnection: close\n\n", "a".repeat(70_000));
    let mut c = vec![
        // ── encodings and content types
        case(
            "urlencoded without a token",
            post("/contact", "application/x-www-form-urlencoded", b"message=hi"),
            &[422],
        ),
        case("empty urlencoded body", post("/contact", "application/x-www-form-urlencoded", b""), &[422]),
        case("text/plain body", post("/contact", "text/plain", b"message=hi"), &[415]),
        case("json body", post("/contact", "application/json", b"{\"message\":\"hi\"}"), &[415]),
        case(
            "no content type",
            raw("POST /contact HTTP/1.1\nHost: x\nContent-Length: 10\nConnection: close\n\n", b"message=hi"),
            &[415],
        ),
        case("multipart without a boundary", post("/contact", "multipart/form-data", b"--XyZ--\r\n"), &[415]),
        case(
            "invalid UTF-8 in a value",
            post("/contact", "application/x-www-form-urlencoded", ct("message=%FF%FE%FD").as_bytes()),
            &[400],
        ),
        case(
            "overlong UTF-8 percent-encoding",
            post("/contact", "application/x-www-form-urlencoded", ct("message=%C0%AE%C0%AE").as_bytes()),
            &[400],
        ),
        case(
            "raw invalid UTF-8 bytes",
            post("/contact", "application/x-www-form-urlencoded", &[b"message=".as_slice(), &[0xC3, 0x28]].concat()),
            &[400],
        ),
        case(
            "duplicate urlencoded field",
            post("/contact", "application/x-www-form-urlencoded", ct("message=a&message=b").as_bytes()),
            &[400],
        ),
        case(
            "10 000 urlencoded fields",
            post("/contact", "application/x-www-form-urlencoded", ct(&format!("message=a{many_pairs}")).as_bytes()),
            &[400, 413],
        ),
        case(
            "urlencoded body over its bound",
            post(
                "/contact",
                "application/x-www-form-urlencoded",
                ct(&format!("message={}", "a".repeat(1_100_000))).as_bytes(),
            ),
            &[413],
        ),
        // ── multipart structure
        case(
            "two boundary parameters",
            post(
                "/asylum-help",
                "multipart/form-data; boundary=XyZ; boundary=Other",
                &asylum_body(&token("asylum-help"), ""),
            ),
            &[400],
        ),
        case(
            "a part with two Content-Disposition headers",
            post(
                "/asylum-help",
                MP,
                &asylum_body(
                    &token("asylum-help"),
                    "--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\nContent-Disposition: form-data; name=\"deadline\"\r\n\r\nsoon\r\n",
                ),
            ),
            &[400],
        ),
        case(
            "a megabyte of preamble",
            post(
                "/asylum-help",
                MP,
                format!(
                    "{}{}",
                    "p".repeat(1 << 20),
                    String::from_utf8(asylum_body(&token("asylum-help"), "")).unwrap()
                )
                .as_bytes(),
            ),
            &[400],
        ),
        case("HTTP/1.1 without Host", raw("GET / HTTP/1.1\nConnection: close\n\n", b""), &[400]),
        case("two Host headers", raw("GET / HTTP/1.1\nHost: x\nHost: y\nConnection: close\n\n", b""), &[400]),
        case(
            "multipart with the wrong boundary",
            post("/asylum-help", "multipart/form-data; boundary=Other", &asylum_body(&token("asylum-help"), "")),
            &[400],
        ),
        case("truncated multipart", post("/asylum-help", MP, &asylum_body(&token("asylum-help"), "")[..300]), &[400]),
        case(
            "multipart with no closing boundary",
            post("/asylum-help", MP, mp_text("_token", &token("asylum-help")).as_bytes()),
            &[400],
        ),
        case(
            "part without Content-Disposition",
            post(
                "/asylum-help",
                MP,
                format!(
                    "{}--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n",
                    mp_text("_token", &token("asylum-help"))
                )
                .as_bytes(),
            ),
            &[400, 422],
        ),
        case(
            "duplicate multipart text field",
            post("/asylum-help", MP, &asylum_body(&token("asylum-help"), &mp_text("message", "again"))),
            &[400],
        ),
        case("10 000 multipart parts", post("/asylum-help", MP, format!("{many_parts}--XyZ--\r\n").as_bytes()), &[400]),
        case(
            "a part header of 100 KB",
            post(
                "/asylum-help",
                MP,
                format!(
                    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: {}\r\n\r\nx\r\n--XyZ--\r\n",
                    "p".repeat(100_000)
                )
                .as_bytes(),
            ),
            &[400, 422],
        ),
        case(
            "boundary of 200 characters",
            post(
                "/asylum-help",
                &format!("multipart/form-data; boundary={}", "b".repeat(200)),
                format!("--{}--\r\n", "b".repeat(200)).as_bytes(),
            ),
            &[400, 415, 422],
        ),
        case(
            "file part before the token",
            post(
                "/asylum-help",
                MP,
                format!(
                    "{}{}--XyZ--\r\n",
                    mp_file("filename=\"a.pdf\"", "%PDF"),
                    mp_text("_token", &token("asylum-help"))
                )
                .as_bytes(),
            ),
            &[422],
        ),
        case(
            "text part posing as a file field",
            post("/asylum-help", MP, &asylum_body(&token("asylum-help"), &mp_text("documents", "not a file"))),
            &[400],
        ),
        case(
            "a file over max_size",
            post(
                "/asylum-help",
                MP,
                &asylum_body(&token("asylum-help"), &mp_file("filename=\"big.pdf\"", &"z".repeat(1024 * 1024 + 10))),
            ),
            &[422],
        ),
        case(
            "more files than max_files",
            post(
                "/asylum-help",
                MP,
                &asylum_body(&token("asylum-help"), &mp_file("filename=\"a.pdf\"", "1").repeat(4)),
            ),
            &[422],
        ),
        // ── bodies and lengths
        case(
            "Content-Length over max_body",
            raw(
                "POST /asylum-help HTTP/1.1\nHost: x\nContent-Type: multipart/form-data; boundary=XyZ\nContent-Length: 999999999999\nConnection: close\n\n",
                b"--XyZ--\r\n",
            ),
            &[413],
        ),
        case(
            "two different Content-Lengths",
            raw(
                "POST /contact HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 5\nContent-Length: 6\nConnection: close\n\n",
                b"a=b&c",
            ),
            &[400],
        ),
        case(
            "Content-Length and chunked together",
            raw(
                "POST /contact HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 5\nTransfer-Encoding: chunked\nConnection: close\n\n",
                b"5\r\na=b&c\r\n0\r\n\r\n",
            ),
            &[400, 422],
        ),
        case(
            "invalid chunk size",
            raw(
                "POST /contact HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\nTransfer-Encoding: chunked\nConnection: close\n\n",
                b"zz\r\nhello\r\n0\r\n\r\n",
            ),
            &[400],
        ),
        case(
            "absurd chunk size",
            raw(
                "POST /contact HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\nTransfer-Encoding: chunked\nConnection: close\n\n",
                b"ffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
            ),
            &[400, 413],
        ),
        case(
            "chunked body over max_body",
            {
                let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, "c".repeat(1 << 20));
                let mut body = mp_text("_token", &token("asylum-help")).into_bytes();
                let head = format!(
                    "POST /asylum-help HTTP/1.1\nHost: x\nContent-Type: {MP}\nTransfer-Encoding: chunked\nConnection: close\n\n"
                );
                let mut r = raw(&head, b"");
                r.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
                r.append(&mut body);
                r.extend_from_slice(b"\r\n");
                for _ in 0..3 {
                    r.extend_from_slice(chunk.as_bytes());
                }
                r.extend_from_slice(b"0\r\n\r\n");
                r
            },
            &[413],
        ),
        case(
            "unknown transfer coding",
            raw(
                "POST /contact HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\nTransfer-Encoding: gzip, chunked\nConnection: close\n\n",
                b"0\r\n\r\n",
            ),
            &[400, 422, 501],
        ),
        // ── heads
        case("a 70 KB header", raw(&big_header, b""), &[400, 431]),
        case(
            "300 headers",
            raw(&format!("GET / HTTP/1.1\nHost: x\n{many_headers}Connection: close\n\n"), b""),
            &[400, 431],
        ),
        case("a 70 KB URI", raw(&long_uri, b""), &[400, 414, 431]),
        case(
            "control byte in a header",
            raw("GET / HTTP/1.1\nHost: x\nX-Bad: a\x01b\nConnection: close\n\n", b""),
            &[400],
        ),
        case(
            "obsolete header line folding",
            raw("GET / HTTP/1.1\nHost: x\nX-Fold: a\n  b\nConnection: close\n\n", b""),
            &[400],
        ),
        case("unknown method", raw("BREW /contact HTTP/1.1\nHost: x\nConnection: close\n\n", b""), &[405]),
        case(
            "a TLS handshake on the plain port",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(),
            &[400],
        ),
        // ── paths and routing
        case("dot-dot path", raw("GET /../../etc/passwd HTTP/1.1\nHost: x\nConnection: close\n\n", b""), &[400, 404]),
        case(
            "encoded dot-dot path",
            raw("GET /static/%2e%2e/%2e%2e/Cargo.toml HTTP/1.1\nHost: x\nConnection: close\n\n", b""),
            &[404],
        ),
        case("unknown form", post("/no-such-form", "application/x-www-form-urlencoded", b"a=b"), &[404]),
        case("POST to the sent page", post("/contact/sent", "application/x-www-form-urlencoded", b"a=b"), &[405]),
        case("non-ASCII form id", raw("GET /c%C3%B8ntact HTTP/1.1\nHost: x\nConnection: close\n\n", b""), &[404]),
        case(
            "10 000-character language",
            raw(&format!("GET /contact?lang={} HTTP/1.1\nHost: x\nConnection: close\n\n", "x".repeat(10_000)), b""),
            &[200],
        ),
        case(
            "10 000 Accept-Language entries",
            raw(
                &format!(
                    "GET /contact HTTP/1.1\nHost: x\nAccept-Language: {}\nConnection: close\n\n",
                    "xx;q=0.5,".repeat(5_000)
                ),
                b"",
            ),
            &[200, 431],
        ),
        case(
            "a forwarded chain of 5 000 hops",
            raw(
                &format!(
                    "GET / HTTP/1.1\nHost: x\nX-Forwarded-For: {}\nConnection: close\n\n",
                    "10.0.0.1, ".repeat(5_000)
                ),
                b"",
            ),
            &[200, 431],
        ),
        case(
            "staff listing without a token",
            raw("GET /staff/v1/submissions HTTP/1.1\nHost: x\nConnection: close\n\n", b""),
            &[401],
        ),
        case(
            "staff download with a path trick",
            raw(
                "GET /staff/v1/submissions/..%2F..%2Fetc/passwd HTTP/1.1\nHost: x\nAuthorization: Bearer x\nConnection: close\n\n",
                b"",
            ),
            &[400, 401, 404],
        ),
    ];
    // Names that must never become paths on the server: accepted, sealed, kept only inside the envelope.
    for (name, tail) in [
        ("NUL in a filename", "filename=\"a\0b.pdf\""),
        ("path trick in a filename", "filename=\"../../../../tmp/owned.pdf\""),
        ("absolute Windows path in a filename", "filename=\"C:\\\\Windows\\\\system32\\\\x.dll\""),
        ("quotes in a filename", "filename=\"a\\\"b'c.pdf\""),
        ("right-to-left override in a filename", "filename=\"invoice\u{202e}fdp.exe\""),
        ("10 000-character filename", "filename=\"aaaaaaaaaa.pdf\""),
    ] {
        let tail = if name.starts_with("10 000") {
            format!("filename=\"{}.pdf\"", "a".repeat(10_000))
        } else {
            tail.to_string()
        };
        let body = asylum_body(&token("asylum-help"), &mp_file(&tail, "%PDF-1.4 hostile"));
        c.push(Case {
            name,
            request: post("/asylum-help", MP, &body),
            hang_up: false,
            expect: Expect::Status(&[303, 400]),
            may_store: true,
        });
    }
    // A client that lies about its length and hangs up.
    c.push(Case {
        name: "Content-Length longer than a truncated body, then hang up",
        request: raw(
            &format!("POST /asylum-help HTTP/1.1\nHost: x\nContent-Type: {MP}\nContent-Length: 100000\n\n"),
            &asylum_body(&token("asylum-help"), "")[..400],
        ),
        hang_up: true,
        expect: Expect::ClosedOr4xx,
        may_store: false,
    });
    // The multipart framing is complete, so what is stored is exactly what was sent.
    c.push(Case {
        name: "Content-Length longer than a complete multipart body, then hang up",
        request: raw(
            &format!("POST /asylum-help HTTP/1.1\nHost: x\nContent-Type: {MP}\nContent-Length: 100000\n\n"),
            &asylum_body(&token("asylum-help"), ""),
        ),
        hang_up: true,
        expect: Expect::Status(&[303, 400]),
        may_store: true,
    });
    c.push(Case {
        name: "half a request line, then hang up",
        request: b"POST /conta".to_vec(),
        hang_up: true,
        expect: Expect::ClosedOr4xx,
        may_store: false,
    });
    c
}

/// Sends one case; returns the status, or None if the server closed without answering.
fn send_case(addr: SocketAddr, case: &Case) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer and close before reading everything: a failed write is an answer too.
    let _ = stream.write_all(&case.request);
    if case.hang_up {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    text.strip_prefix("HTTP/1.1 ").and_then(|rest| rest.get(..3)).and_then(|s| s.parse().ok())
}

#[test]
fn the_server_survives_the_hostile_catalogue_with_the_expected_answers_and_stores_nothing_it_refused() {
    let fx = Fixture::with(Options { extra_limits: "request_timeout = \"5s\"", ..Options::default() });
    let srv = Server::start(&fx.config_path);
    let cases = catalogue(&|form| server::token(srv.addr, form));
    assert!(cases.len() >= 40, "the catalogue has {} requests", cases.len());
    let mut wrong = Vec::new();
    let mut stored_expected = 0;
    for case in &cases {
        let before = fx.entries("asylum-help").len() + fx.entries("contact").len();
        let got = send_case(srv.addr, case);
        let ok = match (&case.expect, got) {
            (Expect::Status(list), Some(status)) => list.contains(&status),
            (Expect::Status(_), None) => false,
            (Expect::ClosedOr4xx, None) => true,
            (Expect::ClosedOr4xx, Some(status)) => (400..500).contains(&status),
        };
        if !ok {
            wrong.push(format!("{}: expected {:?}, got {got:?}", case.name, case.expect));
        }
        let after = fx.entries("asylum-help").len() + fx.entries("contact").len();
        if got == Some(303) && case.may_store {
            stored_expected += 1;
        } else if after != before {
            wrong.push(format!("{}: stored a submission it should have refused", case.name));
        }
        let health = server::get(srv.addr, "/healthz", "").map(|r| r.status).ok();
        assert_eq!(health, Some(200), "the server must stay up after: {}", case.name);
    }
    assert!(wrong.is_empty(), "{} of {} cases misbehaved:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
    // What was accepted is sealed, and no client-chosen name exists anywhere under the data dir.
    assert_eq!(fx.entries("asylum-help").len(), stored_expected);
    for file in fx.all_files() {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let public = fx.is_public_conversation_file(&file, &std::fs::read(&file).unwrap());
        assert!(public || name == "envelope.age" || name == "1.age" || name == "ack.sha256", "{file:?}");
    }
    assert!(!std::path::Path::new("/tmp/owned.pdf").exists());
    assert_eq!(std::fs::read_dir(fx.data_dir().join("spool/incoming")).unwrap().count(), 0);
    eprintln!("hostile catalogue: {} requests, {} harmless ones stored sealed", cases.len(), stored_expected);
}

#[test]
fn http11_requests_without_exactly_one_host_header_get_the_400_page_and_store_nothing() {
    let fx = Fixture::new();
    let srv = Server::start(&fx.config_path);
    let token = server::token(srv.addr, "contact");
    let body = format!("_token={}&message=hello", enc(&token));
    let submit = |head: &str| {
        let request = format!(
            "POST /contact HTTP/1.1\r\n{head}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        server::raw(srv.addr, request.as_bytes()).unwrap()
    };
    for (what, head) in [
        ("no Host", ""),
        ("two Host headers", "Host: a.example\r\nHost: b.example\r\n"),
        ("two identical Host headers", "Host: x\r\nHost: x\r\n"),
    ] {
        let reply = submit(head);
        assert_eq!(reply.status, 400, "{what}: {}", reply.head);
        assert!(reply.body.contains("<html lang=\"en\""), "{what}: the translated page");
        assert!(reply.header("content-security-policy").is_some(), "{what}: security headers");
    }
    for (what, request) in [
        ("GET without Host", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n".to_string()),
        ("GET with two Hosts", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\nConnection: close\r\n\r\n".to_string()),
    ] {
        assert_eq!(server::raw(srv.addr, request.as_bytes()).unwrap().status, 400, "{what}");
    }
    assert!(fx.entries("contact").is_empty(), "nothing stored");
    // One Host is fine, and HTTP/1.0 needs none.
    assert_eq!(submit("Host: x\r\n").status, 303);
    let old = server::raw(srv.addr, b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(old.status, 200);
}
