//! The operator's view: Prometheus metrics on the ops listener, read by the reference Python
//! parser (prometheus_client), never on the public listener; and `sealpost status` in text and
//! JSON, the served certificate's expiry included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use support::bins::run_sealpost;
use support::peers::{python_with, scripts};
use support::server::{self, Server};
use support::tls::Ca;
use support::*;

/// Every sample of `text`, as the Prometheus project's own Python parser reads it:
/// "name{k=v,…}" → value.
fn parse_with_prometheus_client(python: &std::path::Path, text: &str) -> BTreeMap<String, f64> {
    let mut child = Command::new(python)
        .arg(scripts().join("prometheus_parse.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the parser refused the text: {}\n{text}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let sample: serde_json::Value = serde_json::from_str(line).unwrap();
            let labels: Vec<String> = sample["labels"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
                .collect();
            (format!("{}{{{}}}", sample["name"].as_str().unwrap(), labels.join(",")), sample["value"].as_f64().unwrap())
        })
        .collect()
}

#[test]
fn metrics_are_scraped_from_the_ops_listener_only_and_parse_as_prometheus_text() {
    let Some(python) = python_with("prometheus_client", "python3-prometheus-client") else { return };
    let fx = Fixture::new();
    fx.edit_config(|text| text + "\n[ops]\nlisten = \"127.0.0.1:0\"\n");
    let srv = Server::start(&fx.config_path);
    let ops = srv.listener("ops metrics");
    assert_eq!(server::submit_contact(srv.addr, "first"), 303);
    assert_eq!(server::submit_contact(srv.addr, "second"), 303);
    let refused = server::post(srv.addr, "/contact", "text/plain", b"hello", "").unwrap();
    assert_eq!(refused.status, 415);
    let empty = server::urlencoded(&[("message", "")]);
    let invalid = server::post(srv.addr, "/contact", "application/x-www-form-urlencoded", &empty, "").unwrap();
    assert_eq!(invalid.status, 422);

    let reply = server::get(ops, "/metrics", "").unwrap();
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    let samples = parse_with_prometheus_client(&python, &reply.body);
    let value = |key: &str| *samples.get(key).unwrap_or_else(|| panic!("no sample {key} in {samples:#?}"));
    assert_eq!(value("sealpost_submissions_accepted_total{form=contact}"), 2.0);
    assert_eq!(value("sealpost_submissions_refused_total{form=contact,reason=malformed}"), 1.0);
    assert_eq!(value("sealpost_submissions_refused_total{form=contact,reason=invalid}"), 1.0);
    assert_eq!(value("sealpost_spool_entries{form=contact}"), 2.0);
    assert_eq!(value("sealpost_spool_entries{form=asylum-help}"), 0.0);
    assert!(value("sealpost_spool_bytes{form=contact}") > 2048.0);
    assert_eq!(value("sealpost_spool_max_bytes{}"), (1u64 << 30) as f64);
    assert!(value("sealpost_rate_limit_table_entries{}") >= 1.0, "the submitting client is tracked");
    assert!(value("sealpost_connections{}") >= 0.0);
    // Labels are only forms, reasons and channels: nothing a client sent, no address.
    for key in samples.keys() {
        assert!(!key.contains("127.0.0.1") && !key.contains("first"), "{key}");
    }

    // Never on the public listener; /healthz there keeps its meaning.
    assert_eq!(server::get(srv.addr, "/metrics", "").unwrap().status, 404);
    assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200);
    assert_eq!(server::get(ops, "/", "").unwrap().status, 404, "the ops listener serves nothing else");
    assert_eq!(server::get(ops, "/contact", "").unwrap().status, 404);
}

#[test]
fn status_shows_what_waits_per_form_the_spool_threads_expiry_and_the_certificate() {
    let fx = Fixture::new();
    let ca = Ca::new("status test CA");
    fx.use_tls(&ca, "");
    fx.edit_config(|text| text.replace("keep_unpulled = \"forever\"", "keep_unpulled = \"30d\""));
    let config = fx.config();
    // Two entries written as the server writes them; one 28 days old, so it expires in 2 days.
    let spool = sealpost::spool::Spool::open(&config.server.data_dir, 1 << 30).unwrap();
    let recipients = sealpost::seal::Recipients::parse(&fx.identity.to_public().to_string()).unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut draft = spool.begin("contact").unwrap();
        let envelope = sealpost_format::envelope::Envelope {
            sealpost: sealpost_format::envelope::ENVELOPE_VERSION,
            ack: None,
            id: draft.id().as_str().into(),
            form: "contact".into(),
            received: "2026-11-28T10:15:03Z".into(),
            locale: "en".into(),
            fields: Vec::new(),
            attachments: Vec::new(),
            reply: None,
            follow_up: false,
        };
        draft.seal_envelope(&recipients, &envelope).unwrap();
        ids.push(draft.commit().unwrap());
    }
    let old = std::fs::File::open(fx.data_dir().join("spool/ready/contact").join(ids[0].as_str())).unwrap();
    old.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(28 * 86_400 + 60)).unwrap();
    // Two conversations (the replies' threads/<T>/ folders); a folder that is not a thread id is none.
    for name in ["aaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbb", ".trash"] {
        std::fs::create_dir_all(fx.data_dir().join("threads").join(name)).unwrap();
    }

    let out = run_sealpost(&["status", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("  asylum-help  0 waiting\n"), "{text}");
    assert!(text.contains("  contact      2 waiting, oldest 28d 0h old, "), "{text}");
    assert!(text.contains("threads: 2\n"), "{text}");
    assert!(
        text.contains(
            "retention: keep_unpulled 30d, replies.keep 90d; within 7 days:\n  1 submission of form contact from "
        ),
        "{text}"
    );
    for id in &ids {
        assert!(!text.contains(id.as_str()), "status never names an entry");
    }
    assert!(text.contains("notifications: none configured"), "{text}");
    assert!(text.contains("tls: certificate expires 4096-01-01T00:00:00Z"), "rcgen's default notAfter: {text}");

    let json = run_sealpost(&["status", "--config", fx.config_path.to_str().unwrap(), "--json"]);
    let status: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(status["tls"]["not_after"], "4096-01-01T00:00:00Z");
    assert!(status["tls"]["days_left"].as_i64().unwrap() > 700_000);
    assert_eq!(status["spool"]["max_bytes"], 1u64 << 30);
    assert_eq!(status["threads"], 2);
    assert_eq!(status["forms"][1]["waiting"], 2);
    assert_eq!(status["retention"]["expiring"][0]["count"], 1);
    assert!(status["forms"][1]["oldest_age_seconds"].as_u64().unwrap() >= 28 * 86_400);

    // A secret only the service can see (a systemd credential): status needs none of it,
    // check-config (which the service's own checks mirror) names the line and the fix.
    fx.edit_config(|text| {
        text + "\n[notify]\ntime_zone = \"UTC\"\nat = [\"09:00\"]\n[notify.webhook]\nurl = \"https://hooks.example.org/x\"\n\
                secret_file = \"/run/credentials/sealpost.service/webhook-secret\"\n"
    });
    let out = run_sealpost(&["status", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("notifications: at 09:00 UTC; next "), "{}", stdout(&out));
    assert!(stdout(&out).contains("  webhook: nothing sent yet"), "{}", stdout(&out));
    let check = run_sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(2));
    assert!(stderr(&check).contains("notify.webhook.secret_file: /run/credentials/sealpost.service/webhook-secret: "));
    assert!(stderr(&check).contains("hint: "), "{}", stderr(&check));
}
