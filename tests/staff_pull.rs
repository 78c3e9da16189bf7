//! End to end: submissions in (over HTTP or sealed straight into the spool), `sealpost-staff
//! pull` out, against a real server on 127.0.0.1:0.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Instant;

use support::server::{InProcess, Setup};
use support::staff::{Staff, pull, pull_command, pull_options, saved_ids, staff_cli};
use support::{bins, stderr, stdout};

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("not JSON: {}", stdout(output)))
}

#[test]
fn a_submission_sent_through_the_form_is_pulled_verified_and_deleted_from_the_server() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[], &[&alice.public]));
    let passport = bytes(300_000, 7);
    let letter = bytes(1_234, 9);
    let status = server.submit(
        "asylum-help",
        &[("name", "Amina"), ("message", "Court date on 3 March.\nPlease call.")],
        &[("documents", "passport.pdf", &passport), ("documents", "letter.pdf", &letter)],
    );
    assert_eq!(status, 303);
    let ids = server.ready_ids();
    assert_eq!(ids.len(), 1);
    let secret = server.envelope_json(&alice, "asylum-help", &ids[0])["ack"].as_str().unwrap().to_string();

    let out = keys.path().join("received");
    let output = pull(&server.url(), &alice.identity, &out, &["--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary = json(&output);
    assert_eq!(summary["saved"], 1);
    assert_eq!(summary["failed"], 0);

    let folder = out.join(&ids[0]);
    assert_eq!(fs::read(folder.join("passport.pdf")).unwrap(), passport);
    assert_eq!(fs::read(folder.join("letter.pdf")).unwrap(), letter);
    let text = fs::read_to_string(folder.join("submission.txt")).unwrap();
    assert!(text.contains("Form        asylum-help\n"), "{text}");
    assert!(text.contains("\n== Name or nickname ==\nAmina\n"), "{text}");
    assert!(text.contains("Court date on 3 March.\nPlease call.\n"), "{text}");
    assert!(text.contains("1. passport.pdf  (300000 bytes, application/pdf)"), "{text}");
    let envelope: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(folder.join("envelope.json")).unwrap()).unwrap();
    assert_eq!(envelope["id"], ids[0].as_str());
    assert_eq!(envelope["attachments"][1]["name"], "letter.pdf");
    assert_eq!(envelope["sealpost"], 2);
    let fields = envelope["fields"].as_array().unwrap();
    assert!(
        !fields.is_empty() && fields.iter().all(|f| f["kind"].is_string()),
        "each value keeps its kind: {fields:?}"
    );
    assert!(envelope.get("ack").is_none(), "the ack secret is sent to the server, never written down");
    for entry in fs::read_dir(&folder).unwrap() {
        let bytes = fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the ack secret was written");
    }
    assert!(fs::read_to_string(folder.join("ciphertext.sha256")).unwrap().contains("  envelope.age\n"));

    // Private on disk: the folder 0700, every file 0600.
    assert_eq!(fs::metadata(&folder).unwrap().permissions().mode() & 0o777, 0o700);
    for entry in fs::read_dir(&folder).unwrap() {
        assert_eq!(entry.unwrap().metadata().unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(saved_ids(&out), ids, "nothing but the submission folder in OUT");
    assert!(server.ready_ids().is_empty(), "acknowledged submissions leave the server");
    assert_eq!(fs::read_dir(server.app.spool().trash_dir()).unwrap().count(), 0);
}

#[test]
fn two_staff_members_with_different_forms_each_see_only_their_own() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let bob = Staff::new(keys.path(), "bob");
    let server = InProcess::start(Setup::new(&[&alice.public], &[&bob.public]));
    let contact: Vec<String> = (0..3).map(|i| server.seal("contact", &[("Message", &format!("c{i}"))], &[])).collect();
    let legal: Vec<String> =
        (0..2).map(|i| server.seal("asylum-help", &[("Message", &format!("l{i}"))], &[])).collect();

    let alice_out = keys.path().join("alice-out");
    let output = pull(&server.url(), &alice.identity, &alice_out, &["--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut expected = contact.clone();
    expected.sort();
    assert_eq!(saved_ids(&alice_out), expected);
    let mut left = legal.clone();
    left.sort();
    assert_eq!(server.ready_ids(), left, "bob's submissions are untouched");

    let bob_out = keys.path().join("bob-out");
    let output = pull(&server.url(), &bob.identity, &bob_out, &["--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(saved_ids(&bob_out), left);
    assert!(server.ready_ids().is_empty());
}

#[test]
fn an_identity_on_no_list_is_refused_and_told_its_public_key() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let mallory = Staff::new(keys.path(), "mallory");
    let server = InProcess::start(Setup::new(&[&alice.public], &[&alice.public]));
    let id = server.seal("contact", &[("Message", "hello")], &[]);
    let out = keys.path().join("out");
    let output = pull(&server.url(), &mallory.identity, &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "sealpost-staff: the server refused this identity: its public key is on no form's recipients list\n\
             hint: your public key: {}\n\
             hint: ask the server's admin to add it to the recipients file of the forms you should read\n",
            mallory.public
        )
    );
    assert_eq!(server.ready_ids(), [id]);
}

#[test]
fn a_pull_interrupted_between_saving_and_acknowledging_is_finished_by_the_next_without_duplicates() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[&alice.public]));
    let mut ids: Vec<String> = (0..4)
        .map(|i| {
            server.seal("asylum-help", &[("Message", &format!("m{i}"))], &[("a.txt", format!("doc {i}").as_bytes())])
        })
        .collect();
    ids.sort();
    let out = keys.path().join("out");

    // The first run saves everything but stops before acknowledging (as if killed right there).
    let options = sealpost_staff::PullOptions { ack: false, ..pull_options(server.url(), &alice.identity, &out) };
    let first = server.block_on(sealpost_staff::pull(&options, &mut sealpost_staff::Quiet)).unwrap();
    assert_eq!(first.saved, 4);
    assert_eq!(saved_ids(&out), ids);
    assert_eq!(server.ready_ids(), ids, "nothing was acknowledged");
    let before = fs::metadata(out.join(&ids[0]).join("a.txt")).unwrap().modified().unwrap();

    // A later submission, and a half-written folder left by a crash mid-write.
    let late = server.seal("contact", &[("Message", "late")], &[]);
    fs::create_dir(out.join(format!(".{late}.partial"))).unwrap();
    fs::write(out.join(format!(".{late}.partial")).join("junk"), b"half").unwrap();

    let output = pull(&server.url(), &alice.identity, &out, &["--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary = json(&output);
    assert_eq!(summary["already_saved"], 4);
    assert_eq!(summary["saved"], 1);
    let mut all = ids.clone();
    all.push(late);
    all.sort();
    assert_eq!(saved_ids(&out), all, "each submission exactly once, no partial folder left");
    assert_eq!(fs::metadata(out.join(&ids[0]).join("a.txt")).unwrap().modified().unwrap(), before, "not rewritten");
    assert!(server.ready_ids().is_empty());
}

#[test]
fn a_local_folder_that_differs_from_the_server_copy_is_not_acknowledged() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    let id = server.seal("contact", &[("Message", "hello")], &[]);
    let out = keys.path().join("out");
    fs::create_dir_all(out.join(&id)).unwrap();
    let output = pull(&server.url(), &alice.identity, &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "submission {id}: {} already exists but holds a different copy; not acknowledged",
            out.join(&id).display()
        )),
        "{err}"
    );
    assert!(err.ends_with("sealpost-staff: 1 submission(s) could not be saved; they stay on the server\nhint: the messages above say why; run the pull again to retry\n"), "{err}");
    assert_eq!(server.ready_ids(), [id]);
}

#[test]
fn a_pull_killed_at_any_moment_loses_nothing_and_duplicates_nothing() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[&alice.public]));
    let mut ids: Vec<String> = (0..80)
        .map(|i| server.seal("asylum-help", &[("Message", &format!("m{i}"))], &[("doc.bin", &bytes(20_000, i as u8))]))
        .collect();
    ids.sort();
    let out = keys.path().join("out");
    let mut child = pull_command(&server.url(), &alice.identity, &out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while out.read_dir().map_or(0, |d| d.count()) < 10 && started.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left_on_server = server.ready_ids().len();
    assert!(left_on_server > 0, "the kill came too late to test anything");

    let output = pull(&server.url(), &alice.identity, &out, &["--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(saved_ids(&out), ids);
    assert!(server.ready_ids().is_empty());
    for id in &ids {
        let doc = fs::read(out.join(id).join("doc.bin")).unwrap();
        assert_eq!(doc.len(), 20_000);
    }
}

#[test]
fn attachment_names_that_a_mac_or_windows_folds_into_ours_or_each_other_get_their_own_names() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[], &[&alice.public]));
    // Long s and dotless i fold to s and i on NTFS, exFAT and APFS; APFS also takes NFD é for NFC é.
    let names: Vec<(&str, &str)> = vec![
        ("\u{17f}ubmission.txt", "\u{17f}ubmission (2).txt"),
        ("ENVELOPE.JSON", "ENVELOPE (2).JSON"),
        ("ciphertext.\u{17f}ha256", "ciphertext (2).\u{17f}ha256"),
        ("subm\u{131}ssion.txt", "subm\u{131}ssion (3).txt"),
        ("caf\u{e9}.pdf", "caf\u{e9}.pdf"),
        ("cafe\u{301}.pdf", "cafe\u{301} (2).pdf"),
    ];
    let attachments: Vec<(&str, &[u8])> = names.iter().map(|(n, _)| (*n, n.as_bytes())).collect();
    let id = server.seal("asylum-help", &[("Message", "x")], &attachments);
    let out = keys.path().join("out");
    let output = pull(&server.url(), &alice.identity, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let folder = out.join(&id);
    let mut saved: Vec<String> =
        fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    saved.sort();
    for (raw, expected) in &names {
        assert!(saved.contains(&expected.to_string()), "{raw:?} → {expected:?} not in {saved:?}");
        assert_eq!(fs::read(folder.join(expected)).unwrap(), raw.as_bytes(), "{expected:?} holds its own file");
    }
    assert_eq!(saved.len(), 3 + names.len(), "{saved:?}");
    assert!(fs::read_to_string(folder.join("submission.txt")).unwrap().contains("Message"));
}

#[test]
fn malicious_attachment_names_and_escapes_in_fields_cannot_escape_or_drive_the_terminal() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[], &[&alice.public]));
    let long = format!("{}.pdf", "ä".repeat(10_000));
    let names: Vec<(&str, &str)> = vec![
        ("../../x", "x"),
        ("/etc/passwd", "passwd"),
        ("a\0b.txt", "ab.txt"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("evil\u{202E}fdp.exe", "evilfdp.exe"),
        ("trailing. . .", "trailing"),
        ("..", "attachment-8"),
        ("", "attachment-9"),
        ("\u{1b}[2J\u{1b}]0;pwned\u{7}.txt", "[2J]0;pwned.txt"),
        ("submission.txt", "submission (2).txt"),
        ("envelope.json", "envelope (2).json"),
        ("x", "x (2)"),
        (long.as_str(), ""),
    ];
    let attachments: Vec<(&str, &[u8])> = names.iter().map(|(n, _)| (*n, b"data".as_slice())).collect();
    let id = server.seal(
        "asylum-help",
        &[
            (
                "Message",
                "red \u{1b}[31malert\u{1b}[0m title \u{1b}]0;owned\u{7} csi \u{9b}2J rlo \u{202E}txt.exe\nline two",
            ),
            ("\u{1b}[1mName\u{1b}[0m", "Am\rina"),
        ],
        &attachments,
    );
    // And through the real form: the browser's name with a right-to-left override.
    assert_eq!(
        server.submit("asylum-help", &[("message", "x")], &[("documents", "invoice\u{202E}fdp.exe", b"pdf")]),
        303
    );

    let out = keys.path().join("out");
    let output = pull(&server.url(), &alice.identity, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    for stream in [&output.stdout, &output.stderr] {
        assert!(!stream.contains(&0x1b), "no escape sequence reaches the terminal");
    }
    let folder = out.join(&id);
    let mut saved: Vec<String> =
        fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    saved.sort();
    for (raw, expected) in &names {
        if expected.is_empty() {
            let cut = saved.iter().find(|n| n.starts_with('ä')).expect("the long name");
            assert!(cut.len() <= sealpost_staff::MAX_NAME_BYTES && cut.ends_with(".pdf"), "{cut}");
        } else {
            assert!(saved.contains(&expected.to_string()), "{raw:?} → {expected:?} not in {saved:?}");
        }
    }
    assert_eq!(saved.len(), 3 + names.len(), "{saved:?}");
    // Nothing was written outside the submission folder.
    assert_eq!(saved_ids(&out).len(), 2);
    assert!(!keys.path().join("x").exists() && !out.join("x").exists());

    let text = fs::read_to_string(folder.join("submission.txt")).unwrap();
    assert!(
        !text.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || ('\u{202A}'..='\u{202E}').contains(&c)),
        "{text:?}"
    );
    assert!(text.contains("red \u{FFFD}[31malert\u{FFFD}[0m"), "{text}");
    assert!(text.contains("\nline two"), "newlines survive");
    assert!(text.contains("Am\nina"), "a bare CR becomes a newline instead of overwriting the line");
    let json = fs::read_to_string(folder.join("envelope.json")).unwrap();
    assert!(!json.chars().any(|c| c == '\u{1b}' || c == '\u{9b}' || c == '\u{202E}'));
    let envelope: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        envelope["fields"][0]["value"].as_str().unwrap().contains("\u{1b}[31m"),
        "envelope.json keeps the exact data"
    );

    let other = saved_ids(&out).into_iter().find(|i| *i != id).unwrap();
    assert!(out.join(other).join("invoicefdp.exe").exists());
}

#[test]
fn a_thousand_submissions_are_pulled_and_reported_in_json() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[&alice.public]));
    let sealing = Instant::now();
    for i in 0..1000 {
        let form = if i % 2 == 0 { "contact" } else { "asylum-help" };
        if i % 10 == 0 {
            server.seal(
                form,
                &[("Message", &format!("message {i}"))],
                &[("doc.txt", format!("document {i}").as_bytes())],
            );
        } else {
            server.seal(form, &[("Message", &format!("message {i}"))], &[]);
        }
    }
    let sealed_in = sealing.elapsed();
    let out = keys.path().join("out");
    let started = Instant::now();
    let output = pull(&server.url(), &alice.identity, &out, &["--json"]);
    let pulled_in = started.elapsed();
    assert!(output.status.success(), "{}", stderr(&output));
    let summary = json(&output);
    assert_eq!(summary["saved"], 1000);
    assert_eq!(summary["failed"], 0);
    assert_eq!(saved_ids(&out).len(), 1000);
    assert!(server.ready_ids().is_empty());
    eprintln!("timing: sealed 1000 submissions into the spool in {sealed_in:?}; pulled them in {pulled_in:?}");
    assert!(Path::new(&out).join(&saved_ids(&out)[0]).join("submission.txt").exists());
}

#[test]
fn two_staff_members_pulling_the_same_form_at_once_both_succeed_and_lose_nothing() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let bob = Staff::new(keys.path(), "bob");
    let server = InProcess::start(Setup::new(&[&alice.public, &bob.public], &[]));
    let mut ids: Vec<String> =
        (0..150).map(|i| server.seal("contact", &[("Message", &format!("m{i}"))], &[])).collect();
    ids.sort();
    let spawn = |staff: &Staff, out: &Path| pull_command(&server.url(), &staff.identity, out).arg("--json").output();
    let (alice_out, bob_out) = (keys.path().join("alice"), keys.path().join("bob"));
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| spawn(&alice, &alice_out).unwrap());
        let b = s.spawn(|| spawn(&bob, &bob_out).unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(b.status.success(), "{}", stderr(&b));
    let mut union: Vec<String> = saved_ids(&alice_out);
    union.extend(saved_ids(&bob_out));
    union.sort();
    union.dedup();
    assert_eq!(union, ids, "every submission reached at least one of them");
    assert!(server.ready_ids().is_empty());
    assert_eq!(json(&a)["failed"], 0);
    assert_eq!(json(&b)["failed"], 0);
}

/// Sets the envelope time of submission `id` of `form` to `secs` after the epoch.
fn set_time(server: &InProcess, form: &str, id: &str, secs: u64) {
    server.set_envelope_time(form, id, std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs));
}

#[test]
fn submissions_this_identity_cannot_decrypt_do_not_hide_newer_ones() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let old_key = Staff::new(keys.path(), "old-key");
    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    // A full page of old submissions sealed to a key alice does not hold (as after a key
    // rotation), then one she can read.
    let contact = server.dir.path().join("contact.txt");
    let listed = fs::read_to_string(&contact).unwrap();
    fs::write(&contact, format!("{}\n", old_key.public)).unwrap();
    let old: Vec<String> = (0..sealpost_format::wire::MAX_LISTED + 3)
        .map(|i| {
            let id = server.seal("contact", &[("Message", "old")], &[]);
            set_time(&server, "contact", &id, 1_000_000 + i as u64);
            id
        })
        .collect();
    fs::write(&contact, listed).unwrap();
    let new = server.seal("contact", &[("Message", "new")], &[]);
    set_time(&server, "contact", &new, 2_000_000);

    let out = keys.path().join("out");
    let output = pull(&server.url(), &alice.identity, &out, &["--json"]);
    assert_eq!(output.status.code(), Some(1), "the old ones fail: {}", stderr(&output));
    let summary = json(&output);
    assert_eq!(summary["saved"], 1);
    assert_eq!(summary["failed"], old.len());
    assert_eq!(saved_ids(&out), [new]);
    assert_eq!(server.ready_ids().len(), old.len(), "only the readable one left the server");
}

#[test]
fn a_second_run_into_the_same_folder_exits_at_once_with_a_hint() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    let id = server.seal("contact", &[("Message", "hello")], &[]);
    let out = keys.path().join("out");
    fs::create_dir(&out).unwrap();
    // Another run holds the folder.
    let held = fs::File::create(out.join(sealpost_staff::LOCK_FILE)).unwrap();
    held.lock().unwrap();
    let output = pull(&server.url(), &alice.identity, &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "sealpost-staff: --out {}: another sealpost-staff is saving into this folder right now\n\
             hint: wait for the other run to finish (a cron job?), or save into another --out folder\n",
            out.display()
        )
    );
    assert_eq!(server.ready_ids(), std::slice::from_ref(&id), "nothing was pulled");
    let copy = keys.path().join("copy");
    fs::create_dir(&copy).unwrap();
    fs::rename(server.ready().join("contact").join(&id), copy.join(&id)).unwrap();
    let output = staff_cli(&[
        "open",
        copy.join(&id).to_str().unwrap(),
        "--identity",
        alice.identity.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "open takes the same lock");
    drop(held);
    let output = staff_cli(&[
        "open",
        copy.join(&id).to_str().unwrap(),
        "--identity",
        alice.identity.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(saved_ids(&out), [id]);
}

#[test]
fn an_already_saved_folder_missing_a_file_is_not_acknowledged() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    let id = server.seal("contact", &[("Message", "hello")], &[]);
    let out = keys.path().join("out");
    let options = sealpost_staff::PullOptions { ack: false, ..pull_options(server.url(), &alice.identity, &out) };
    assert_eq!(server.block_on(sealpost_staff::pull(&options, &mut sealpost_staff::Quiet)).unwrap().saved, 1);
    // Something removed a file between that run and this one; ciphertext.sha256 still matches.
    fs::remove_file(out.join(&id).join("submission.txt")).unwrap();
    let output = pull(&server.url(), &alice.identity, &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!(
            "submission {id}: {} does not hold every file it should; not acknowledged",
            out.join(&id).display()
        )),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.ready_ids(), [id], "the server keeps its copy");
}

#[test]
fn a_file_that_cannot_be_written_fails_only_its_own_submission() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[], &[&alice.public]));
    let big = server.seal("asylum-help", &[("Message", "big")], &[("scan.pdf", &bytes(400_000, 3))]);
    set_time(&server, "asylum-help", &big, 1_000_000);
    let small = server.seal("asylum-help", &[("Message", "small")], &[("note.txt", b"short")]);
    set_time(&server, "asylum-help", &small, 2_000_000);
    let out = keys.path().join("out");
    // A file-size limit stands in for a full disk: writing past 128 KiB fails (EFBIG).
    let script = format!(
        "trap '' XFSZ; ulimit -f 256; exec \"$0\" pull --server {} --identity {} --out {}",
        server.url(),
        alice.identity.display(),
        out.display()
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &script, bins::staff_binary().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("File too large") || err.contains("file too large"), "{err}");
    assert!(err.ends_with("sealpost-staff: 1 submission(s) could not be saved; they stay on the server\nhint: the messages above say why; run the pull again to retry\n"), "{err}");
    assert_eq!(saved_ids(&out), [small], "the one behind it was saved");
    assert_eq!(server.ready_ids(), [big], "the one that failed stays on the server");
}

#[test]
fn an_attachment_name_too_long_for_this_file_system_is_saved_as_attachment_n() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[], &[&alice.public]));
    let long = format!("{}.pdf", "x".repeat(190));
    let id = server.seal("asylum-help", &[("Message", "hi")], &[("short.txt", b"one"), (&long, b"two")]);
    // An OUT so deep that a 194-byte name no longer fits in a path (PATH_MAX, 4096 bytes) while
    // the short names do: the file system refuses the name with ENAMETOOLONG.
    // `OUT/.<id>.partial/` takes 37 more bytes, `.ciphertext/envelope.age` in it 24.
    const DEPTH: usize = 3950;
    let mut out = keys.path().to_path_buf();
    while out.as_os_str().len() + 201 <= DEPTH {
        out.push("d".repeat(200));
    }
    out.push("d".repeat(DEPTH - out.as_os_str().len() - 1));
    assert_eq!(out.as_os_str().len(), DEPTH);
    fs::create_dir_all(&out).unwrap();
    let output = pull(&server.url(), &alice.identity, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(fs::read(out.join(&id).join("short.txt")).unwrap(), b"one");
    assert_eq!(fs::read(out.join(&id).join("attachment-2.pdf")).unwrap(), b"two");
    let text = fs::read_to_string(out.join(&id).join("submission.txt")).unwrap();
    assert!(
        text.contains(&format!("2. attachment-2.pdf  (3 bytes, application/octet-stream)\n   name as sent: {long}")),
        "{text}"
    );
    assert!(server.ready_ids().is_empty());
}

#[test]
fn plain_http_to_this_machine_never_goes_through_a_proxy() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    server.seal("contact", &[("Message", "hello")], &[]);
    // A "proxy" that records whatever reaches it.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    proxy.set_nonblocking(true).unwrap();
    let out = keys.path().join("out");
    let output = pull_command(&server.url(), &alice.identity, &out)
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert!(proxy.accept().is_err(), "the proxy saw a connection, and with it the session token");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(server.ready_ids().is_empty());
}

#[test]
fn a_version_1_submission_left_by_an_older_server_is_pulled_and_acknowledged_on_its_hashes() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[], &[&alice.public]));
    let old = server.seal_v1("asylum-help", &[("Message", "sent before the upgrade")], &[("a.txt", b"old doc")]);
    let new = server.seal("asylum-help", &[("Message", "sent after it")], &[]);
    assert!(!server.ready().join("asylum-help").join(&old).join(sealpost::spool::ACK_FILE).exists());
    let out = keys.path().join("out");
    let output = pull(&server.url(), &alice.identity, &out, &["--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json(&output)["saved"], 2);
    assert_eq!(fs::read(out.join(&old).join("a.txt")).unwrap(), b"old doc");
    let envelope: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join(&old).join("envelope.json")).unwrap()).unwrap();
    assert_eq!(envelope["sealpost"], 1);
    assert!(fs::read_to_string(out.join(&new).join("submission.txt")).unwrap().contains("sent after it"));
    assert!(server.ready_ids().is_empty(), "both versions are acknowledged and deleted");
}

#[test]
fn an_envelope_of_an_unknown_version_or_a_version_2_one_without_its_secret_is_kept_on_the_server() {
    let keys = tempfile::tempdir().unwrap();
    let alice = Staff::new(keys.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    let future = server.seal_as(3, true, "contact", &[("Message", "from a newer server")], &[]);
    let stripped = server.seal_as(2, false, "contact", &[("Message", "no secret")], &[]);
    let out = keys.path().join("out");
    let output = pull(&server.url(), &alice.identity, &out, &["--json"]);
    let errors = stderr(&output);
    assert!(errors.contains(&format!("submission {future}: envelope format 3 is newer than this program")), "{errors}");
    assert!(errors.contains(&format!("submission {stripped}: the envelope lacks its ack secret")), "{errors}");
    assert_eq!(json(&output)["failed"], 2);
    let mut both = vec![future, stripped];
    both.sort();
    assert_eq!(server.ready_ids(), both, "neither is acknowledged");
    assert!(saved_ids(&out).is_empty());
}
