//! Replies (DESIGN §10): the receipt, the status page, staff replies and follow-ups, end to end
//! through the real server process and the `sealpost-staff` binary; what the server may and may
//! not keep; the staff API's refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::path::Path;

use support::server::{self, InProcess, Server, Setup};
use support::staff::{Staff, staff_cli};
use support::*;

/// Sends the asylum form (with `message`) to `addr` in `lang`; returns the receipt shown on the
/// sent page, as the person reads it (five groups of five digits).
fn submit_and_read_receipt(addr: std::net::SocketAddr, lang: &str, message: &str) -> String {
    let token = server::token(addr, "asylum-help");
    let parts = asylum_parts(&token, message);
    let reply =
        server::post(addr, &format!("/asylum-help?lang={lang}"), &multipart_type(), &multipart(&parts), "").unwrap();
    assert_eq!(reply.status, 303, "{}", reply.body);
    let location = reply.header("location").unwrap();
    assert!(location.starts_with(&format!("/asylum-help/sent?lang={lang}&r=")), "{location}");
    let sent = server::get(addr, &location, "").unwrap();
    let receipt = receipt_on(&sent.body);
    assert!(!location.contains(&receipt.replace(' ', "")), "the receipt is never in a URL");
    let again = server::get(addr, &location, "").unwrap();
    assert!(!again.body.contains("receipt-digits"), "a refresh does not show it twice");
    receipt
}

/// The receipt on a sent page.
fn receipt_on(page: &str) -> String {
    let start = page.find("class=\"receipt-digits\"").unwrap_or_else(|| panic!("no receipt on the page: {page}"));
    let rest = &page[start..page[start..].find("</p>").unwrap() + start];
    rest.split("<span>").skip(1).map(|g| g.split("</span>").next().unwrap()).collect::<Vec<_>>().join(" ")
}

/// `POST /status` with `receipt`: `(status, page)`.
fn status(addr: std::net::SocketAddr, receipt: &str, lang: &str) -> (u16, String) {
    let body = server::urlencoded(&[("receipt", receipt)]);
    let reply =
        server::post(addr, &format!("/status?lang={lang}"), "application/x-www-form-urlencoded", &body, "").unwrap();
    (reply.status, reply.body)
}

/// The value of the first `name="…" value="…"` in `page` after `after`.
fn action_of(page: &str, marker: &str) -> String {
    let at = page.find(marker).unwrap_or_else(|| panic!("no {marker} in {page}"));
    let start = page[..at].rfind("action=\"").unwrap() + "action=\"".len();
    page[start..].split('"').next().unwrap().replace("&amp;", "&")
}

/// Every file under `dir`, read whole.
fn every_file(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_person_with_a_receipt_reads_the_staff_reply_writes_again_with_a_document_and_nothing_readable_is_kept() {
    let fx = Fixture::new();
    let srv = Server::start(&fx.config_path);
    let identity = fx.write_identity_file();
    let out = fx.dir.path().join("out");
    let url = format!("http://{}", srv.addr);

    let receipt = submit_and_read_receipt(srv.addr, "en", "They took my passport at the border.");
    let pulled = staff_cli(&[
        "pull",
        "--server",
        &url,
        "--identity",
        identity.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(pulled.status.success(), "{}", stderr(&pulled));
    let summary: serde_json::Value = serde_json::from_slice(&pulled.stdout).unwrap();
    let first = summary["submissions"][0]["id"].as_str().unwrap().to_string();
    let thread = summary["submissions"][0]["thread"].as_str().unwrap().to_string();

    // Before staff reply, the person learns their message was read.
    let (code, page) = status(srv.addr, &receipt, "en");
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("Our team has received your message."));
    assert!(page.contains("There is no answer yet."));

    let message = fx.dir.path().join("reply.txt");
    std::fs::write(&message, "We can help. Your hearing is on 12 January; call us on Monday.").unwrap();
    let letter = fx.dir.path().join("appointment letter.pdf");
    std::fs::write(&letter, b"%PDF-1.4 the appointment").unwrap();
    let folder = out.join(&first);
    let replied = staff_cli(&[
        "reply",
        folder.to_str().unwrap(),
        "--server",
        &url,
        "--identity",
        identity.to_str().unwrap(),
        "--message",
        message.to_str().unwrap(),
        "--attach",
        letter.to_str().unwrap(),
        "--json",
    ]);
    assert!(replied.status.success(), "{}", stderr(&replied));
    let replied: serde_json::Value = serde_json::from_slice(&replied.stdout).unwrap();
    assert_eq!((replied["number"].as_u64(), replied["thread"].as_str()), (Some(1), Some(thread.as_str())));
    let copy = out.join("conversations").join(&thread).join("reply-1");
    assert!(std::fs::read_to_string(copy.join("message.txt")).unwrap().contains("12 January"));
    assert_eq!(std::fs::read(copy.join("appointment letter.pdf")).unwrap(), b"%PDF-1.4 the appointment");

    // The person, typing the receipt with Arabic-Indic digits and dashes, reads the reply.
    let arabic: String =
        receipt.chars().map(|c| c.to_digit(10).map_or('-', |d| char::from_u32(0x0660 + d).unwrap())).collect();
    let (code, page) = status(srv.addr, &arabic, "ar");
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("We can help. Your hearing is on 12 January; call us on Monday."), "{page}");
    assert!(page.contains("appointment letter.pdf"));
    let download = server::urlencoded(&[("receipt", receipt.as_str()), ("reply", "1"), ("file", "0")]);
    let file =
        server::post(srv.addr, "/status/file?lang=ar", "application/x-www-form-urlencoded", &download, "").unwrap();
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type").as_deref(), Some("application/octet-stream"));
    assert!(file.header("content-disposition").unwrap().starts_with("attachment; filename=\"appointment letter.pdf\""));
    assert_eq!(file.body, "%PDF-1.4 the appointment");

    // The person writes again, with a document.
    let write = action_of(&page, "name=\"message\"");
    let token = extract_token(&page[page.find(&write).unwrap()..]);
    let parts = [
        Part::Text("_token", &token),
        Part::Text("message", "Thank you. I found my reporting letter, attached."),
        Part::File {
            name: "documents",
            file_name: "reporting.jpg",
            media_type: "image/jpeg",
            bytes: b"\xff\xd8 the letter",
        },
    ];
    let sent = server::post(srv.addr, &write, &multipart_type(), &multipart(&parts), "").unwrap();
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.header("location").as_deref(), Some("/status/sent?lang=ar"));

    let pulled = staff_cli(&[
        "pull",
        "--server",
        &url,
        "--identity",
        identity.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(pulled.status.success(), "{}", stderr(&pulled));
    let summary: serde_json::Value = serde_json::from_slice(&pulled.stdout).unwrap();
    let follow = &summary["submissions"][0];
    assert_eq!((follow["follow_up"].as_bool(), follow["continues"].as_str()), (Some(true), Some(first.as_str())));
    let second = follow["id"].as_str().unwrap();
    let text = std::fs::read_to_string(out.join(second).join("submission.txt")).unwrap();
    assert!(text.starts_with(&format!("Follow-up   {second}\n")), "{text}");
    assert!(text.contains(&format!("Continues   submission {first}")), "{text}");
    assert!(text.contains("Thank you. I found my reporting letter, attached."));
    assert_eq!(std::fs::read(out.join(second).join("reporting.jpg")).unwrap(), b"\xff\xd8 the letter");
    let index = std::fs::read_to_string(out.join("conversations").join(&thread).join("index.txt")).unwrap();
    let kinds: Vec<&str> = index.lines().map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(kinds, ["submission", "reply", "follow-up"], "{index}");

    // Nothing readable is kept: not the receipt, the reply or the follow-up, in any file or the log.
    let digits = receipt.replace(' ', "");
    for (path, bytes) in every_file(&fx.data_dir()) {
        for secret in [receipt.as_str(), digits.as_str(), "12 January", "reporting letter", "passport at the border"] {
            assert!(!contains(&bytes, secret), "{} holds {secret:?}", path.display());
        }
    }
    let log = srv.log_text();
    for secret in [receipt.as_str(), digits.as_str(), "12 January", "reporting letter", thread.as_str()] {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
}

#[test]
fn the_reference_age_cli_opens_a_follow_up_with_the_staff_identity() {
    let Some(age) = bins::require_peer("age") else { return };
    let fx = Fixture::new();
    let srv = Server::start(&fx.config_path);
    let receipt = submit_and_read_receipt(srv.addr, "en", "first");
    let (_, page) = status(srv.addr, &receipt, "en");
    let write = action_of(&page, "name=\"message\"");
    let token = extract_token(&page[page.find(&write).unwrap()..]);
    let parts = [Part::Text("_token", &token), Part::Text("message", "a follow-up for the age CLI")];
    assert_eq!(server::post(srv.addr, &write, &multipart_type(), &multipart(&parts), "").unwrap().status, 303);
    let identity = fx.write_identity_file();
    let entries = fx.entries("asylum-help");
    assert_eq!(entries.len(), 2);
    let opened: Vec<String> = entries
        .iter()
        .map(|entry| {
            let out = std::process::Command::new(&age)
                .args(["-d", "-i", identity.to_str().unwrap(), entry.join("envelope.age").to_str().unwrap()])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        })
        .collect();
    let follow = opened.iter().find(|e| e.contains("\"follow_up\":true")).expect("the follow-up");
    assert!(follow.contains("a follow-up for the age CLI"));
    let first = opened.iter().find(|e| !e.contains("\"follow_up\"")).unwrap();
    let thread = |e: &str| e.split("\"thread\":\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert_eq!(thread(follow), thread(first), "the follow-up names the same conversation");
}

#[test]
fn a_mistyped_receipt_is_named_by_its_group_and_any_input_gets_a_clear_answer() {
    let fx = Fixture::new();
    let srv = Server::start(&fx.config_path);
    let receipt = submit_and_read_receipt(srv.addr, "en", "hello");
    let mut typo: Vec<char> = receipt.chars().collect();
    let at = 3 * 6 + 2; // the third digit of the fourth group
    typo[at] = char::from_digit((typo[at].to_digit(10).unwrap() + 1) % 10, 10).unwrap();
    let (code, page) = status(srv.addr, &typo.iter().collect::<String>(), "en");
    assert_eq!(code, 422);
    assert!(page.contains("Group 4 of your receipt looks wrong. Please check it."), "{page}");
    assert!(page.contains(&format!("value=\"{}\"", typo.iter().collect::<String>())), "what was typed is kept");

    let (code, page) = status(srv.addr, &"7".repeat(1_000_000), "en");
    assert_eq!(code, 422);
    assert!(page.contains("A receipt has 25 digits. You typed 1000000."), "{page}");
    let (code, page) = status(srv.addr, "my code is 12345", "fr");
    assert_eq!(code, 422);
    assert!(page.contains("lang=\"fr\""));
    assert!(page.contains("class=\"error\" id=\"e-receipt\""));
    let (code, page) = status(srv.addr, "", "en");
    assert_eq!((code, page.contains("You typed 0.")), (422, true));
    assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200, "the server stays up");
}

#[test]
fn an_unknown_receipt_and_a_deleted_conversation_get_the_same_page() {
    let fx = Fixture::new();
    let srv = Server::start(&fx.config_path);
    let receipt = submit_and_read_receipt(srv.addr, "en", "please delete me later");
    let unknown = sealpost::reply::Receipt::random().to_groups().to_string();
    let (code, never) = status(srv.addr, &unknown, "en");
    assert_eq!(code, 404);
    assert!(never.contains("We found no conversation for this receipt"));

    let (_, page) = status(srv.addr, &receipt, "en");
    let delete = action_of(&page, "name=\"confirm\"");
    let unconfirmed = server::post(srv.addr, &delete, "application/x-www-form-urlencoded", b"", "").unwrap();
    assert_eq!(unconfirmed.status, 422, "the box must be ticked");
    assert_eq!(status(srv.addr, &receipt, "en").0, 200, "nothing was deleted");
    let (_, page) = status(srv.addr, &receipt, "en");
    let delete = action_of(&page, "name=\"confirm\"");
    let deleted = server::post(srv.addr, &delete, "application/x-www-form-urlencoded", b"confirm=yes", "").unwrap();
    assert_eq!(deleted.status, 200);
    assert!(deleted.body.contains("The conversation was deleted"));
    let (code, gone) = status(srv.addr, &receipt, "en");
    assert_eq!((code, gone), (404, never), "deleted and unknown look exactly alike");
    assert_eq!(
        server::post(srv.addr, &delete, "application/x-www-form-urlencoded", b"confirm=yes", "").unwrap().status,
        303,
        "a handle works once"
    );
}

#[test]
fn the_staff_api_stores_only_age_replies_for_staff_of_the_conversations_form() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let bob = Staff::new(keys.path(), "bob");
    let srv = InProcess::start(Setup::new(&[&alice.public], &[&bob.public]));
    assert_eq!(srv.submit("contact", &[("message", "hello")], &[]), 303);
    let entry = std::fs::read_dir(srv.ready().join("contact")).unwrap().next().unwrap().unwrap().path();
    let thread = std::fs::read_to_string(entry.join("thread")).unwrap();
    let path = format!("/staff/v1/threads/{thread}");
    let token = srv.login(&alice);
    let (code, body) = srv.api("GET", &path, Some(&token), None);
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    let info: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((info["form"].as_str(), info["replies"].as_array().map(Vec::len)), (Some("contact"), Some(0)));
    let bobs = srv.login(&bob);
    assert_eq!(srv.api("GET", &path, Some(&bobs), None).0, 404, "another form's staff see nothing");

    let post = |token: &str, body: Vec<u8>| {
        srv.block_on(async {
            let response = srv
                .client()
                .post(format!("{}{path}/replies", srv.url()))
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    assert_eq!(post(&token, b"not an age file".to_vec()).0, 400);
    let (code, message) = post(&token, vec![b'a'; 17 * 1024 * 1024]);
    assert_eq!(code, 413, "{message}");
    let sealed = {
        let recipient = age::x25519::Identity::generate().to_public();
        let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient)).unwrap();
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).unwrap();
        std::io::Write::write_all(&mut writer, b"sealed").unwrap();
        writer.finish().unwrap();
        out
    };
    assert_eq!(post(&bobs, sealed.clone()).0, 404);
    let (code, body) = post(&token, sealed.clone());
    assert_eq!(code, 201, "{body}");
    assert!(body.contains("\"number\":1"));
    assert!(post(&token, sealed.clone()).1.contains("\"number\":2"));
    let stored = srv.dir.path().join("data/threads").join(&thread).join("replies/2.age");
    assert_eq!(std::fs::read(stored).unwrap(), sealed);
    assert_eq!(srv.api("GET", "/staff/v1/threads/not-a-thread", Some(&token), None).0, 400);
}
