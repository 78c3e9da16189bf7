//! Staff notifications end to end, against real peers: aiosmtpd (a real SMTP server, with
//! STARTTLS, implicit TLS and AUTH) and an HTTPS webhook receiver trusting a private CA. The
//! messages are content-free and padded: "activity" and "no activity" are the same size, and no
//! field value, file name, id or address appears in any of them. Time is an input: ticks are
//! passed in, nothing sleeps for a schedule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use support::bins::run_sealpost;
use support::peers::{SmtpMode, SmtpPeer, WebhookReceiver};
use support::server::{self, Server};
use support::tls::Ca;
use support::*;

const PASSWORD: &str = "correct horse battery staple";
const WEBHOOK_SECRET: &str = "5f1c0de0a2b4c6d8e0f2a4b6c8d0e2f45f1c0de0a2b4c6d8e0f2a4b6c8d0e2f4";
const ATTACHMENT_NAME: &str = "passport-of-amina.pdf";

/// Writes `text` as an owner-only secret file `name` in `dir`.
fn secret_file(dir: &Path, name: &str, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("{text}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn smtp_table(url: &str, auth: bool) -> String {
    let auth = if auth { "username = \"mailer\"\npassword_file = \"smtp-password\"\n" } else { "" };
    format!(
        "\n[notify]\ntime_zone = \"Europe/Madrid\"\nat = [\"09:00\"]\n[notify.smtp]\nurl = \"{url}\"\n{auth}\
         from = \"sealpost <sealpost@example.org>\"\nto = [\"intake@example.org\"]\nca_file = \"ca.pem\"\n"
    )
}

fn webhook_table(addr: std::net::SocketAddr) -> String {
    format!(
        "\n[notify]\ntime_zone = \"UTC\"\nevery = \"6h\"\n[notify.webhook]\nurl = \"https://127.0.0.1:{}/hook?topic=intake\"\n\
         secret_file = \"webhook-secret\"\nca_file = \"ca.pem\"\n",
        addr.port()
    )
}

fn notify_test(fx: &Fixture) -> std::process::Output {
    run_sealpost(&["notify-test", "--config", fx.config_path.to_str().unwrap()])
}

/// Two submissions through the real server: the asylum form with a named attachment and the
/// contact form; returns what must never appear in a notification (values, name, ids).
fn submit_two(fx: &Fixture) -> Vec<String> {
    let srv = Server::start(&fx.config_path);
    let page = server::get(srv.addr, "/asylum-help", "").unwrap();
    let token = extract_token(&page.body);
    let mut parts = asylum_parts(&token, "my hearing is on 14 January in Harbour Court");
    parts.push(document(ATTACHMENT_NAME, "application/pdf", b"%PDF-1.4 not really"));
    let reply = server::post(srv.addr, "/asylum-help", &multipart_type(), &multipart(&parts), "").unwrap();
    assert_eq!(reply.status, 303);
    assert_eq!(server::submit_contact(srv.addr, "call me at +34 600 000 000"), 303);
    drop(srv);
    let mut secrets = vec![
        "14 January".to_string(),
        "Harbour Court".into(),
        "600 000 000".into(),
        ATTACHMENT_NAME.into(),
        "passport".into(),
        "127.0.0.1".into(),
    ];
    for form in ["asylum-help", "contact"] {
        for entry in fx.entries(form) {
            secrets.push(entry.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert_eq!(secrets.len(), 8, "two ids");
    secrets
}

fn assert_content_free(message: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(!message.contains(secret.as_str()), "a notification holds {secret:?}:\n{message}");
    }
}

#[test]
fn notify_test_mails_a_padded_content_free_notice_over_starttls_with_auth() {
    let ca = Ca::new("sealpost notify test CA");
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let Some(smtp) = SmtpPeer::start(SmtpMode::StartTls, &leaf, "mailer", PASSWORD) else { return };
    let fx = Fixture::new();
    ca.write_pem(fx.dir.path());
    secret_file(fx.dir.path(), "smtp-password", PASSWORD);
    let url = format!("smtp://127.0.0.1:{}?tls=starttls", smtp.port);
    fx.edit_config(|text| text + &smtp_table(&url, true));

    let quiet = notify_test(&fx);
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert_eq!(stdout(&quiet), "smtp: sent\n");
    let secrets = submit_two(&fx);
    let busy = notify_test(&fx);
    assert_eq!(busy.status.code(), Some(0), "{}", stderr(&busy));

    let messages = smtp.messages();
    assert_eq!(messages.len(), 2);
    let (none, none_meta) = &messages[0];
    let (some, some_meta) = &messages[1];
    for meta in [none_meta, some_meta] {
        assert_eq!(meta["tls"], true, "STARTTLS was used");
        assert_eq!(meta["authenticated"], true, "AUTH was used");
        assert_eq!(meta["to"], serde_json::json!(["intake@example.org"]));
        assert_eq!(meta["from"], "sealpost@example.org");
    }
    assert!(none.contains("No activity: nothing is waiting to be pulled."), "{none}");
    assert!(some.contains("Activity: submissions are waiting to be pulled."), "{some}");
    for message in [none, some] {
        assert!(message.contains("Subject: sealpost: scheduled notice\r\n"), "{message}");
        assert_content_free(message, &secrets);
    }
    assert!(!some.contains("asylum-help"), "no per-form counts unless notify.counts = true");
    assert_eq!(none.len(), some.len(), "activity and no activity are the same size:\n{none}\n---\n{some}");
    assert_eq!(
        none.split("\r\n\r\n").nth(1).unwrap().len(),
        some.split("\r\n\r\n").nth(1).unwrap().len(),
        "the bodies too"
    );
}

#[test]
fn implicit_tls_works_and_a_wrong_password_fails_once_with_a_reason_and_no_secret() {
    let ca = Ca::new("sealpost notify test CA");
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let Some(smtp) = SmtpPeer::start(SmtpMode::Implicit, &leaf, "mailer", PASSWORD) else { return };
    let fx = Fixture::new();
    ca.write_pem(fx.dir.path());
    secret_file(fx.dir.path(), "smtp-password", PASSWORD);
    fx.edit_config(|text| text + &smtp_table(&format!("smtps://127.0.0.1:{}", smtp.port), true));
    let sent = notify_test(&fx);
    assert_eq!(sent.status.code(), Some(0), "{}{}", stdout(&sent), stderr(&sent));
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(smtp.messages()[0].1["tls"], true);

    secret_file(fx.dir.path(), "smtp-password", "not the password");
    let refused = notify_test(&fx);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(stdout(&refused), "smtp: FAILED: authentication refused\n");
    assert!(stderr(&refused).contains("sealpost: 1 of 1 channel(s) failed"), "{}", stderr(&refused));
    assert!(!stderr(&refused).contains("not the password") && !stdout(&refused).contains("not the password"));
    assert_eq!(smtp.messages().len(), 1, "nothing delivered without AUTH");
}

#[test]
fn a_certificate_the_configured_ca_did_not_sign_is_refused() {
    let ca = Ca::new("sealpost notify test CA");
    let impostor = Ca::new("someone else").leaf(&["localhost", "127.0.0.1"]);
    let Some(smtp) = SmtpPeer::start(SmtpMode::Implicit, &impostor, "mailer", PASSWORD) else { return };
    let fx = Fixture::new();
    ca.write_pem(fx.dir.path());
    secret_file(fx.dir.path(), "smtp-password", PASSWORD);
    fx.edit_config(|text| text + &smtp_table(&format!("smtps://127.0.0.1:{}", smtp.port), true));
    let out = notify_test(&fx);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("smtp: FAILED: "), "{}", stdout(&out));
    assert!(smtp.messages().is_empty(), "the password never went to the impostor");
}

#[test]
fn a_plain_relay_on_loopback_needs_no_tls_or_auth() {
    let ca = Ca::new("sealpost notify test CA");
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let Some(smtp) = SmtpPeer::start(SmtpMode::Plain, &leaf, "-", "-") else { return };
    let fx = Fixture::new();
    ca.write_pem(fx.dir.path());
    fx.edit_config(|text| text + &smtp_table(&format!("smtp://127.0.0.1:{}", smtp.port), false));
    let out = notify_test(&fx);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(smtp.messages()[0].1["tls"], false);
}

fn expected_signature(body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[test]
fn the_webhook_gets_signed_json_of_one_size_whatever_waits() {
    let ca = Ca::new("sealpost notify test CA");
    let receiver = WebhookReceiver::start(&ca.leaf(&["localhost", "127.0.0.1"]), &[200]);
    let fx = Fixture::new();
    ca.write_pem(fx.dir.path());
    secret_file(fx.dir.path(), "webhook-secret", WEBHOOK_SECRET);
    fx.edit_config(|text| text + &webhook_table(receiver.addr));
    assert_eq!(stdout(&notify_test(&fx)), "webhook: sent\n");
    let secrets = submit_two(&fx);
    assert_eq!(stdout(&notify_test(&fx)), "webhook: sent\n");

    let hooks = receiver.hooks();
    assert_eq!(hooks.len(), 2);
    for hook in &hooks {
        assert!(hook.head.starts_with("POST /hook?topic=intake HTTP/1.1\r\n"), "{}", hook.head);
        assert_eq!(hook.header("content-type").as_deref(), Some("application/json"));
        assert_eq!(hook.header("x-sealpost-signature"), Some(expected_signature(&hook.body)), "a valid signature");
        assert_ne!(hook.header("x-sealpost-signature"), Some(expected_signature(b"{}")));
        let json: serde_json::Value = serde_json::from_slice(&hook.body).unwrap();
        assert_eq!(json["sealpost"], 1);
        assert!(json["at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(hook.body.len() % sealpost::notify::message::MESSAGE_BLOCK, 0);
        assert_content_free(&String::from_utf8_lossy(&hook.body), &secrets);
        assert_content_free(&hook.head, &secrets[..secrets.len() - 3]);
    }
    let text = |n: usize| serde_json::from_slice::<serde_json::Value>(&hooks[n].body).unwrap()["text"].to_string();
    assert!(text(0).contains("No activity") && text(1).starts_with("\"Activity"));
    assert_eq!(hooks[0].body.len(), hooks[1].body.len(), "the same size");
}

/// The webhook channel built from `fx`'s config, with `statuses` scripted.
fn webhook_channel(statuses: &[u16], trusted: bool) -> (WebhookReceiver, sealpost::notify::Channel, Fixture) {
    let ca = Ca::new("sealpost notify test CA");
    let leaf = if trusted { ca.leaf(&["127.0.0.1"]) } else { Ca::new("impostor").leaf(&["127.0.0.1"]) };
    let receiver = WebhookReceiver::start(&leaf, statuses);
    let fx = Fixture::new();
    ca.write_pem(fx.dir.path());
    secret_file(fx.dir.path(), "webhook-secret", WEBHOOK_SECRET);
    fx.edit_config(|text| text + &webhook_table(receiver.addr));
    let config = fx.config();
    let hook = config.notify.as_ref().unwrap().webhook.as_ref().unwrap();
    let channel = sealpost::notify::webhook::WebhookChannel::new(hook, Duration::from_secs(10)).unwrap();
    (receiver, sealpost::notify::Channel::Webhook(channel), fx)
}

fn message() -> sealpost::notify::message::Message {
    let snapshot = sealpost::notify::message::Snapshot::default();
    sealpost::notify::message::compose(&snapshot, false, "2026-12-07T08:00:00Z".parse().unwrap())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn a_failing_webhook_is_retried_with_backoff_until_it_answers() {
    let (receiver, channel, _fx) = webhook_channel(&[503, 429, 200], true);
    let backoff = [Duration::ZERO; 4];
    let outcome = runtime().block_on(sealpost::notify::deliver(&channel, &message(), &backoff));
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.attempts, 3);
    let hooks = receiver.hooks();
    assert_eq!(hooks.len(), 3);
    assert!(hooks.iter().all(|h| h.body == hooks[0].body), "the same message each time");
}

#[test]
fn retries_stop_at_the_backoff_s_end_and_a_refusal_is_not_retried() {
    let (receiver, channel, _fx) = webhook_channel(&[503], true);
    let outcome = runtime().block_on(sealpost::notify::deliver(&channel, &message(), &[Duration::ZERO; 2]));
    assert!(!outcome.ok);
    assert_eq!((outcome.attempts, outcome.reason.as_deref()), (3, Some("the receiver answered 503")));
    assert_eq!(receiver.hooks().len(), 3);

    let (receiver, channel, _fx) = webhook_channel(&[401], true);
    let outcome = runtime().block_on(sealpost::notify::deliver(&channel, &message(), &[Duration::ZERO; 4]));
    assert_eq!((outcome.ok, outcome.attempts), (false, 1), "a 4xx will not change by asking again");
    assert_eq!(receiver.hooks().len(), 1);
}

#[test]
fn a_webhook_with_a_certificate_from_another_ca_gets_nothing() {
    let (receiver, channel, _fx) = webhook_channel(&[200], false);
    let outcome = runtime().block_on(sealpost::notify::deliver(&channel, &message(), &[]));
    assert!(!outcome.ok);
    assert!(outcome.reason.unwrap().starts_with("TLS failed"));
    assert!(receiver.hooks().is_empty());
}

#[test]
fn a_scheduled_tick_is_recorded_for_status_and_counts_per_form_when_asked() {
    let ca = Ca::new("sealpost notify test CA");
    let receiver = WebhookReceiver::start(&ca.leaf(&["127.0.0.1"]), &[200]);
    let fx = Fixture::new();
    ca.write_pem(fx.dir.path());
    secret_file(fx.dir.path(), "webhook-secret", WEBHOOK_SECRET);
    fx.edit_config(|text| {
        text + &webhook_table(receiver.addr).replace("every = \"6h\"", "every = \"6h\"\ncounts = true")
    });
    let secrets = submit_two(&fx);

    let config = fx.config();
    let notify = config.notify.as_ref().unwrap();
    let sources = Arc::new(sealpost::retention::Sources::view(
        &config.server.data_dir,
        config.limits.keep_unpulled,
        config.replies.keep,
    ));
    let notifier = Arc::new(sealpost::notifier(&config, notify, sources, Default::default()).unwrap());
    // The tick is an input: 06:00 UTC follows 05:59 on an every-6h schedule.
    let now: jiff::Timestamp = "2026-12-07T05:59:00Z".parse().unwrap();
    let tick = notifier.next_tick(now);
    assert_eq!(tick.to_string(), "2026-12-07T06:00:00Z");
    let outcomes = runtime().block_on(notifier.send(tick, &[]));
    assert!(outcomes.iter().all(|o| o.ok), "{outcomes:?}");
    let body = String::from_utf8(receiver.hooks()[0].body.clone()).unwrap();
    assert!(body.contains("asylum-help: 1 waiting\\ncontact: 1 waiting\\n"), "{body}");
    assert!(body.contains("\"at\":\"2026-12-07T06:00:00Z\""), "{body}");
    assert_content_free(&body, &secrets);

    let out = run_sealpost(&["status", "--config", fx.config_path.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let status: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(status["notifications"]["last"]["webhook"]["ok"], true);
    assert_eq!(status["notifications"]["last"]["webhook"]["attempts"], 1);
    assert_eq!(status["notifications"]["schedule"], "every 6h on the clock in UTC");
    // Each submission began a conversation (its receipt's thread), unless its receipt was late.
    let threads = std::fs::read_dir(fx.data_dir().join("threads"))
        .unwrap()
        .filter(|e| sealpost_format::id::ThreadId::parse(&e.as_ref().unwrap().file_name().to_string_lossy()).is_some())
        .count();
    assert_eq!(status["threads"], threads);
    let forms = status["forms"].as_array().unwrap();
    assert_eq!(forms.iter().map(|f| f["waiting"].as_u64().unwrap()).sum::<u64>(), 2);
    assert_content_free(&stdout(&out), &secrets[..secrets.len() - 2]);
    let text = run_sealpost(&["status", "--config", fx.config_path.to_str().unwrap()]);
    assert!(stdout(&text).contains("  webhook: ok at "), "{}", stdout(&text));
    assert!(stdout(&text).contains(&format!("threads: {threads}\n")), "{}", stdout(&text));
}
