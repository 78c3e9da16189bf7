//! `sealpost-staff pull` over real HTTPS: a TLS terminator (as nginx or Caddy would be) with a
//! certificate from a private CA in front of the test server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::fs;
use std::net::SocketAddr;

use support::server::{InProcess, Setup};
use support::staff::{Staff, pull};
use support::stderr;
use support::tls::Ca;

/// Starts a TLS terminator forwarding to `backend`; returns its address and the CA's PEM.
fn tls_proxy(server: &InProcess, backend: SocketAddr) -> (SocketAddr, String) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let ca = Ca::new("sealpost test CA");
    let acceptor = tokio_rustls::TlsAcceptor::from(ca.leaf(&["localhost", "127.0.0.1"]).server_config());
    let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    server.runtime.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (addr, ca.pem)
}

#[test]
fn pull_over_https_trusts_the_given_ca_and_refuses_an_unknown_one() {
    let tmp = tempfile::tempdir().unwrap();
    let alice = Staff::new(tmp.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    let id = server.seal("contact", &[("Message", "over TLS")], &[]);
    let (addr, ca_pem) = tls_proxy(&server, server.addr);
    let ca = tmp.path().join("ca.pem");
    fs::write(&ca, ca_pem).unwrap();
    let out = tmp.path().join("out");

    let url = format!("https://localhost:{}", addr.port());
    let output = pull(&url, &alice.identity, &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "sealpost-staff: {url}: the server's TLS certificate is not trusted\n\
             hint: if the server uses its own certificate authority, pass its certificate with --ca-cert FILE\n"
        )
    );
    assert_eq!(server.ready_ids(), std::slice::from_ref(&id));

    let output = pull(&url, &alice.identity, &out, &["--ca-cert", ca.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(fs::read_to_string(out.join(&id).join("submission.txt")).unwrap().contains("over TLS"));
    assert!(server.ready_ids().is_empty());
}

#[test]
fn a_ca_cert_that_is_not_a_certificate_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let alice = Staff::new(tmp.path(), "alice");
    let bogus = tmp.path().join("bogus.pem");
    fs::write(&bogus, "not a certificate\n").unwrap();
    let out = tmp.path().join("out");
    let output = pull("https://forms.example.org", &alice.identity, &out, &["--ca-cert", bogus.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "sealpost-staff: --ca-cert {}: holds no certificate\nhint: pass the PEM file of the CA that signed the server's certificate\n",
            bogus.display()
        )
    );
    let missing = tmp.path().join("missing.pem");
    let output = pull("https://forms.example.org", &alice.identity, &out, &["--ca-cert", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .starts_with(&format!("sealpost-staff: --ca-cert {}: no such file or directory\n", missing.display()))
    );
}
