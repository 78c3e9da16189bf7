//! Real outside peers: the reference `age` CLI (Debian package `age`) reads what the server wrote.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::path::Path;

use http::StatusCode;
use support::*;

#[tokio::test]
async fn the_reference_age_cli_decrypts_an_envelope_and_an_attachment_the_server_wrote() {
    let Some(age) = require_peer("age") else { return };
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let doc_bytes: Vec<u8> = (0..123_457u32).map(|i| (i % 253) as u8).collect();
    let mut parts = asylum_parts(&token, "read me with age");
    parts.push(document("letter.pdf", "application/pdf", &doc_bytes));
    let (status, _, _) = send(&app, multipart_request("/asylum-help", multipart(&parts))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let entry = fx.entries("asylum-help").remove(0);
    let identity = fx.write_identity_file();
    // `age -d -i IDENTITY FILE`
    let decrypt = |identity: &Path, file: &Path| {
        std::process::Command::new(&age).arg("-d").arg("-i").arg(identity).arg(file).output().unwrap()
    };

    let out = decrypt(&identity, &entry.join("envelope.age"));
    assert!(out.status.success(), "age -d failed: {}", stderr(&out));
    assert_eq!(out.stdout.len() % 1024, 0);
    let env: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(env["fields"].as_array().unwrap().iter().any(|f| f["value"] == "read me with age"));
    assert_eq!(env["attachments"][0]["size"], doc_bytes.len() as u64);

    let out = decrypt(&identity, &entry.join("1.age"));
    assert!(out.status.success(), "age -d failed: {}", stderr(&out));
    assert_eq!(&out.stdout[..doc_bytes.len()], &doc_bytes[..]);
    assert!(out.stdout[doc_bytes.len()..].iter().all(|b| *b == 0), "the tail is zero padding");

    // A stranger's identity cannot open it.
    let stranger = fx.dir.path().join("stranger.txt");
    let keygen =
        std::process::Command::new(format!("{}-keygen", age.display())).arg("-o").arg(&stranger).output().unwrap();
    assert!(keygen.status.success());
    let out = decrypt(&stranger, &entry.join("envelope.age"));
    assert!(!out.status.success());
}
