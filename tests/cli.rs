//! The `sealpost` command line: exit codes, one-line messages and hints, and the demo.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;

fn sealpost(args: &[&str]) -> (i32, String, String) {
    let out = bins::run_sealpost(args);
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

#[test]
fn check_config_prints_what_it_found_and_exits_0() {
    let fx = Fixture::new();
    let (code, out, err) = sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(": ok"));
    assert!(out.contains("form \"asylum-help\": 17 fields, 1 recipient(s)"));
    assert!(out.contains("trusted_proxies: 127.0.0.1/32, ::1/128"));
    assert!(!fx.data_dir().exists(), "check-config creates nothing");
}

#[test]
fn check_config_previews_each_form_with_its_languages_and_every_field_kind_bound_and_label() {
    let fx = Fixture::new();
    let (code, out, err) = sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let preview = out.split_once("form \"asylum-help\"").map(|(_, rest)| rest).unwrap_or_default();
    assert!(preview.contains("languages: all 12 (en es fr ht pt ar fa ps ru uk zh-Hans tr)"), "{out}");
    for line in [
        "message         textarea, required, up to 20000 characters: \"What happened, and what help do you need?\"",
        "documents       file, up to 3 file(s) of 1.0 MiB each: \"Documents\"",
        "consent         checkbox, required: \"I agree that the legal team may contact me using the details above.\"",
        "contact_method  select, required, one of phone, sms, whatsapp, signal, telegram, email, other:",
    ] {
        assert!(preview.contains(line), "missing {line:?} in\n{out}");
    }
}

#[test]
fn check_config_refuses_a_secret_key_in_a_recipients_file_with_a_hint() {
    let fx = Fixture::new();
    let key = age::x25519::Identity::generate();
    let secret = secrecy::ExposeSecret::expose_secret(&key.to_string()).to_string();
    std::fs::write(fx.dir.path().join("staff.txt"), format!("# oops\n{secret}\n")).unwrap();
    let (code, _, err) = sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(code, 2);
    let staff = fx.dir.path().join("staff.txt");
    assert_eq!(
        err,
        format!(
            "sealpost: form \"asylum-help\": recipients file \"{}\" line 2 holds a secret key\n\
             hint: put only public keys (age1…) here; the identity stays on the staff member's machine\n",
            staff.display()
        )
    );
    assert!(!err.contains(&secret), "the secret is never echoed");
}

#[test]
fn check_config_names_the_line_of_a_typo() {
    let fx = Fixture::new();
    let text = std::fs::read_to_string(&fx.config_path).unwrap().replace("max_spool", "max_spoool");
    std::fs::write(&fx.config_path, text).unwrap();
    let (code, _, err) = sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.starts_with(&format!("sealpost: {}:", fx.config_path.display())), "{err}");
    assert!(err.contains("unknown field `max_spoool`"), "{err}");
    assert!(err.contains("\nhint: compare with config/sealpost.example.toml"), "{err}");
}

#[test]
fn a_missing_config_file_is_a_usage_error() {
    let (code, _, err) = sealpost(&["serve", "--config", "/nonexistent/sealpost.toml"]);
    assert_eq!(code, 2);
    assert_eq!(
        err.lines().next().unwrap(),
        "sealpost: /nonexistent/sealpost.toml: cannot read: no such file or directory"
    );
    assert!(err.lines().nth(1).unwrap().starts_with("hint: "));
}

#[test]
fn plain_http_on_a_public_address_is_refused() {
    let fx = Fixture::with(Options { listen: "0.0.0.0:8080", ..Options::default() });
    let (code, _, err) = sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("refusing plain HTTP on non-loopback address 0.0.0.0:8080"), "{err}");
    assert!(err.contains("hint: listen on 127.0.0.1 behind a reverse proxy"), "{err}");
}

#[test]
fn a_busy_port_is_a_runtime_failure_with_a_hint() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let fx = Fixture::new();
    let text = std::fs::read_to_string(&fx.config_path).unwrap().replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    std::fs::write(&fx.config_path, text).unwrap();
    let (code, _, err) = sealpost(&["serve", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("sealpost: cannot listen on 127.0.0.1:{port}: address")), "{err}");
    assert!(err.contains("hint: another program may be using this port"), "{err}");
}

#[test]
fn unknown_commands_are_usage_errors() {
    let (code, _, err) = sealpost(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("unrecognized subcommand"));
}

#[test]
fn demo_makes_a_working_folder_and_prints_how_to_read_submissions() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let mut child = Command::new(bins::sealpost_binary())
        .args(["demo", "--dir", dir.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.split(" at ").nth(1).unwrap().trim().to_string();
    let mut text = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        text.push_str(&line);
        text.push('\n');
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    let identity = dir.join("staff-identity.txt");
    assert!(text.contains(&format!("age -d -i {}", identity.display())), "{text}");
    assert_eq!(std::fs::metadata(&identity).unwrap().permissions().mode() & 0o777, 0o600);
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
    let page = server::get(addr, "/", "").unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Ask for free legal help with your asylum claim"));
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(50));
    let rerun = bins::run_sealpost(&["demo", "--dir", dir.to_str().unwrap(), "--listen", "0.0.0.0:0"]);
    assert_eq!(rerun.status.code(), Some(2), "the demo never serves plain HTTP beyond loopback");
}

/// Writes an owner-only-or-not secret file `name` in the fixture's folder.
fn secret(fx: &Fixture, name: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let path = fx.dir.path().join(name);
    std::fs::write(&path, "0123456789abcdef0123456789abcdef\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
}

const NOTIFY: &str = "\n[notify]\ntime_zone = \"America/New_York\"\nat = [\"08:30\", \"16:00\"]\n\
    [notify.smtp]\nurl = \"smtps://mail.example.org\"\nusername = \"sealpost\"\npassword_file = \"smtp-password\"\n\
    from = \"sealpost@example.org\"\nto = [\"a@example.org\", \"b@example.org\"]\n\
    [notify.webhook]\nurl = \"https://hooks.example.org/sealpost\"\nsecret_file = \"webhook-secret\"\n\
    \n[ops]\nlisten = \"127.0.0.1:9101\"\n";

#[test]
fn check_config_shows_retention_the_schedule_the_channels_and_the_ops_listener() {
    let fx = Fixture::new();
    secret(&fx, "smtp-password", 0o600);
    secret(&fx, "webhook-secret", 0o400);
    fx.edit_config(|text| text + NOTIFY);
    let (code, out, err) = sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for line in [
        "  retention: keep_unpulled forever\n",
        "  notify: at 08:30, 16:00 America/New_York; counts off; expiry warnings 3d ahead\n",
        "    smtp: mail.example.org:465 (TLS, AUTH) to 2 address(es)\n",
        "    webhook: https://hooks.example.org/sealpost (HMAC-SHA256 signed)\n",
        "  ops: metrics on http://127.0.0.1:9101/metrics\n",
    ] {
        assert!(out.contains(line), "{line:?} missing:\n{out}");
    }
    assert!(!out.contains("0123456789abcdef"), "a secret is never printed");
}

#[test]
fn check_config_refuses_a_secret_file_others_can_read_with_its_line_and_the_fix() {
    let fx = Fixture::new();
    secret(&fx, "smtp-password", 0o640);
    secret(&fx, "webhook-secret", 0o600);
    fx.edit_config(|text| text + NOTIFY);
    let text = std::fs::read_to_string(&fx.config_path).unwrap();
    let line = text.lines().position(|l| l.starts_with("password_file")).unwrap() + 1;
    let (code, _, err) = sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(code, 2);
    let first = err.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("sealpost: {}:{line}: notify.smtp.password_file: ", fx.config_path.display())),
        "{err}"
    );
    assert!(first.ends_with("mode 0640 lets others read it"), "{err}");
    assert_eq!(err.lines().nth(1), Some("hint: make it readable by its owner only: chmod 600 FILE"));
}

#[test]
fn notify_test_without_notify_is_a_usage_error_with_a_hint() {
    let fx = Fixture::new();
    let (code, _, err) = sealpost(&["notify-test", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("has no [notify] table"), "{err}");
    assert!(err.contains("hint: add [notify]"), "{err}");
}
