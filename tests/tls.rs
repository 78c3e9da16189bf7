//! Direct TLS on the real binary: certificate verification, TLS 1.3 and 1.2 (and 1.0/1.1
//! refused, as seen by Debian's `openssl s_client`), HTTP/2 through ALPN, HSTS, the redirect
//! listener, and certificate reloads on SIGHUP and on file change without a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::process::Command;
use std::time::Duration;

use rustls::version::{TLS12, TLS13};
use support::server::{self, Server};
use support::tls::{self, Ca};
use support::*;

/// A fixture serving HTTPS on 127.0.0.1:0 with a leaf for localhost from `ca`.
fn tls_fixture(ca: &Ca, keys: &str) -> Fixture {
    let fx = Fixture::new();
    fx.use_tls(ca, keys);
    fx
}

fn trusting(ca: &Ca) -> std::sync::Arc<rustls::ClientConfig> {
    tls::client_config(std::slice::from_ref(&ca.der), &[&TLS13, &TLS12], &[b"http/1.1"])
}

#[test]
fn a_verifying_client_gets_pages_over_tls_1_3_and_1_2_with_hsts() {
    let ca = Ca::new("sealpost test CA");
    let fx = tls_fixture(&ca, "");
    let srv = Server::start(&fx.config_path);
    for version in [&TLS13, &TLS12] {
        let config = tls::client_config(std::slice::from_ref(&ca.der), &[version], &[b"http/1.1"]);
        let mut conn = tls::connect(srv.addr, "localhost", config).unwrap();
        assert_eq!(conn.conn.protocol_version(), Some(version.version));
        let reply = tls::get_keep_alive(&mut conn, "/asylum-help?lang=en");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("strict-transport-security").as_deref(), Some("max-age=63072000"));
        assert!(reply.header("content-security-policy").is_some(), "invariant 9 headers are still there");
        let health = tls::get_keep_alive(&mut conn, "/healthz");
        assert_eq!(health.status, 200, "keep-alive: a second request on the same connection");
    }
    assert!(srv.log_text().contains("serving https"));
}

#[test]
fn a_client_that_does_not_trust_the_ca_or_asks_for_another_name_is_refused() {
    let ca = Ca::new("sealpost test CA");
    let fx = tls_fixture(&ca, "");
    let srv = Server::start(&fx.config_path);
    let stranger = Ca::new("someone else");
    let err = tls::connect(srv.addr, "localhost", trusting(&stranger)).unwrap_err();
    assert!(
        matches!(err, rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)),
        "unknown CA: {err:?}"
    );
    let err = tls::connect(srv.addr, "forms.example.org", trusting(&ca)).unwrap_err();
    assert!(matches!(err, rustls::Error::InvalidCertificate(_)), "wrong name: {err:?}");
    // The server is unharmed by failed handshakes.
    let mut conn = tls::connect(srv.addr, "localhost", trusting(&ca)).unwrap();
    assert_eq!(tls::get_keep_alive(&mut conn, "/healthz").status, 200);
}

#[test]
fn plain_http_to_the_tls_port_gets_no_page_and_no_hsts_is_sent_without_tls() {
    let ca = Ca::new("sealpost test CA");
    let fx = tls_fixture(&ca, "");
    let srv = Server::start(&fx.config_path);
    let reply = server::get(srv.addr, "/", "");
    assert!(reply.is_err() || reply.unwrap().status != 200, "the TLS port must not answer plain HTTP with a page");

    let plain = Fixture::new();
    let srv = Server::start(&plain.config_path);
    let reply = server::get(srv.addr, "/", "").unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("strict-transport-security"), None, "HSTS only over TLS");
}

/// Runs `openssl s_client` against `addr` with `args`; returns (exit success, stdout+stderr).
fn s_client(openssl: &std::path::Path, addr: std::net::SocketAddr, args: &[&str]) -> (bool, String) {
    let out = Command::new(openssl)
        .args(["s_client", "-connect", &addr.to_string(), "-servername", "localhost"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn tls_1_0_and_1_1_are_refused_by_the_server_with_an_alert() {
    let Some(openssl) = require_peer("openssl") else { return };
    let ca = Ca::new("sealpost test CA");
    let fx = tls_fixture(&ca, "");
    let srv = Server::start(&fx.config_path);
    // SECLEVEL=0 lets Debian's OpenSSL send a TLS 1.0 / 1.1 ClientHello at all, so the refusal
    // seen here is the server's: an alert record read from the peer (rustls answers a hello
    // without TLS 1.2 or 1.3 with handshake_failure, 40), and no cipher negotiated.
    for flag in ["-tls1", "-tls1_1"] {
        let (ok, out) = s_client(&openssl, srv.addr, &[flag, "-cipher", "DEFAULT@SECLEVEL=0"]);
        assert!(!ok, "{flag} must fail: {out}");
        assert!(!out.contains("no protocols available"), "OpenSSL refused by itself, not the server: {out}");
        assert!(out.contains("ssl3_read_bytes"), "{flag}: the alert must come from the server: {out}");
        assert!(out.contains("SSL alert number 40") || out.contains("SSL alert number 70"), "{flag}: {out}");
        assert!(out.contains("Cipher is (NONE)"), "{flag}: {out}");
    }
    for (flag, name) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let (ok, out) = s_client(&openssl, srv.addr, &[flag, "-CAfile", ca.write_pem(fx.dir.path()).to_str().unwrap()]);
        assert!(ok, "{flag}: {out}");
        assert!(out.contains(&format!("Protocol  : {name}")) || out.contains(&format!("New, {name}")), "{out}");
        assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    }
}

#[test]
fn alpn_offers_h2_and_http2_requests_work() {
    let Some(openssl) = require_peer("openssl") else { return };
    let ca = Ca::new("sealpost test CA");
    let fx = tls_fixture(&ca, "");
    let srv = Server::start(&fx.config_path);
    let (ok, out) = s_client(&openssl, srv.addr, &["-alpn", "h2,http/1.1"]);
    assert!(ok && out.contains("ALPN protocol: h2"), "{out}");
    let (ok, out) = s_client(&openssl, srv.addr, &["-alpn", "http/1.1"]);
    assert!(ok && out.contains("ALPN protocol: http/1.1"), "{out}");

    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap()])
            .resolve("localhost", srv.addr)
            .build()
            .unwrap();
        let url = format!("https://localhost:{}/contact?lang=en", srv.addr.port());
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["strict-transport-security"], "max-age=63072000");
        let page = response.text().await.unwrap();
        // A submission over HTTP/2 lands like any other.
        let token = extract_token(&page);
        let body = server::urlencoded(&contact_pairs(&token, "sent over h2"));
        let response = client
            .post(format!("https://localhost:{}/contact", srv.addr.port()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
        assert_eq!(response.status(), 200, "reqwest follows the 303 to the sent page");
        assert!(response.url().path().ends_with("/contact/sent"));
    });
    let entry = &fx.entries("contact")[0];
    assert!(fx.envelope(entry)["fields"].as_array().unwrap().iter().any(|f| f["value"] == "sent over h2"));
}

#[test]
fn sighup_serves_a_renewed_certificate_to_new_handshakes_while_open_connections_keep_working() {
    let ca = Ca::new("sealpost test CA");
    let fx = tls_fixture(&ca, "");
    let srv = Server::start(&fx.config_path);
    let mut open = tls::connect(srv.addr, "localhost", trusting(&ca)).unwrap();
    let old = tls::peer_leaf(&open);
    assert_eq!(tls::get_keep_alive(&mut open, "/healthz").status, 200);

    let renewed = ca.leaf(&["localhost", "renewed.sealpost.test"]);
    renewed.write(fx.dir.path());
    srv.signal("HUP");
    srv.wait_for_log("tls certificate reloaded", 1, Duration::from_secs(10));
    assert!(srv.log_text().contains("recipients reloaded"), "SIGHUP reloads recipients too");

    let fresh = tls::connect(srv.addr, "localhost", trusting(&ca)).unwrap();
    assert_eq!(tls::peer_leaf(&fresh), renewed.der, "a new handshake sees the new certificate");
    assert_ne!(renewed.der, old);
    let reply = tls::get_keep_alive(&mut open, "/healthz");
    assert_eq!(reply.status, 200, "the connection opened before the reload still works");
    assert_eq!(tls::peer_leaf(&open), old);
}

#[test]
fn a_certificate_changed_on_disk_is_picked_up_and_a_broken_one_is_refused_keeping_the_last_good() {
    let ca = Ca::new("sealpost test CA");
    let fx = tls_fixture(&ca, "");
    let srv = Server::start(&fx.config_path);
    let renewed = ca.leaf(&["localhost", "watched.sealpost.test"]);
    renewed.write(fx.dir.path());
    srv.wait_for_log("tls certificate reloaded", 1, Duration::from_secs(20));
    let conn = tls::connect(srv.addr, "localhost", trusting(&ca)).unwrap();
    assert_eq!(tls::peer_leaf(&conn), renewed.der, "no signal needed: the file change was noticed");

    // A key that does not match: the reload fails, one clear line, the last good pair stays.
    let other = ca.leaf(&["localhost"]);
    std::fs::write(fx.dir.path().join("key.pem"), &other.key_pem).unwrap();
    let line = srv.wait_for_log("tls certificate reload failed", 1, Duration::from_secs(20));
    assert!(line.contains("keeping the current one") && line.contains("does not belong to the certificate"), "{line}");
    let conn = tls::connect(srv.addr, "localhost", trusting(&ca)).unwrap();
    assert_eq!(tls::peer_leaf(&conn), renewed.der);
    std::thread::sleep(Duration::from_secs(6));
    let failures = srv.log.lock().unwrap().iter().filter(|l| l.contains("reload failed")).count();
    assert_eq!(failures, 1, "one failure is logged once, not at every poll");
}

#[test]
fn the_redirect_listener_sends_every_request_to_the_public_url_with_its_path_and_query() {
    let ca = Ca::new("sealpost test CA");
    let fx = tls_fixture(&ca, "public_url = \"https://forms.example.org\"\nredirect_http = \"127.0.0.1:0\"");
    let srv = Server::start(&fx.config_path);
    let redirect = srv.listener("redirect");
    let reply = server::get(redirect, "/asylum-help?lang=es", "").unwrap();
    assert_eq!(reply.status, 308);
    assert_eq!(reply.header("location").as_deref(), Some("https://forms.example.org/asylum-help?lang=es"));
    assert_eq!(reply.header("referrer-policy").as_deref(), Some("no-referrer"), "invariant 9 on redirects too");
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    let reply = server::post(redirect, "/contact", "application/x-www-form-urlencoded", b"message=x", "").unwrap();
    assert_eq!(reply.status, 308, "a POST is redirected too, and 308 keeps its method");
    assert_eq!(reply.header("location").as_deref(), Some("https://forms.example.org/contact"));
    let reply = server::get(redirect, "/../../etc/passwd", "").unwrap();
    assert_eq!(reply.status, 308);
    assert!(reply.header("location").unwrap().starts_with("https://forms.example.org/"));
    assert!(fx.entries("contact").is_empty(), "the redirect listener never accepts a submission");
}

#[test]
fn check_config_refuses_a_key_that_does_not_match_the_certificate() {
    let ca = Ca::new("sealpost test CA");
    let fx = tls_fixture(&ca, "");
    let out = bins::run_sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("listen: https://127.0.0.1:0 (certificate "));

    std::fs::write(fx.dir.path().join("key.pem"), ca.leaf(&["localhost"]).key_pem).unwrap();
    let out = bins::run_sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let dir = fx.dir.path();
    assert_eq!(
        stderr(&out),
        format!(
            "sealpost: tls: the key in {} does not belong to the certificate in {}\n\
             hint: the files may be from different renewals; point both at the same certificate's files\n",
            dir.join("key.pem").display(),
            dir.join("cert.pem").display()
        )
    );
    std::fs::remove_file(dir.join("cert.pem")).unwrap();
    let out = bins::run_sealpost(&["serve", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "serve refuses to start without its certificate");
    assert!(stderr(&out).contains("no such file or directory"));
}
