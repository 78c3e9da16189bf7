//! `sealpost-staff` as a person meets it: exact messages, hints and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use age::secrecy::ExposeSecret;
use support::server::{InProcess, Setup};
use support::staff::{Staff, pull, pull_command, saved_ids, staff_cli};
use support::{stderr, stdout, write_identity};

/// Runs `args` and checks the exit code and the exact stderr.
fn expect(args: &[&str], code: i32, expected_stderr: &str) {
    let output = staff_cli(args);
    assert_eq!(stderr(&output), expected_stderr, "{args:?}");
    assert_eq!(output.status.code(), Some(code), "{args:?}");
    assert!(output.stdout.is_empty(), "{args:?}: {}", stdout(&output));
}

fn pull_args<'a>(server: &'a str, identity: &'a str, out: &'a str) -> Vec<&'a str> {
    vec!["pull", "--server", server, "--identity", identity, "--out", out]
}

#[test]
fn a_timeout_that_is_not_a_duration_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let identity = Staff::new(tmp.path(), "id").identity;
    let mut args = pull_args("https://forms.example.org", identity.to_str().unwrap(), "out");
    args.extend(["--timeout", "soon"]);
    let output = staff_cli(&args);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: invalid value 'soon' for '--timeout <DURATION>'"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_malformed_server_url_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let identity = Staff::new(tmp.path(), "id").identity;
    let id = identity.to_str().unwrap();
    expect(
        &pull_args("not a url", id, "out"),
        2,
        "sealpost-staff: --server not a url: not a URL\nhint: write the server's address like https://forms.example.org\n",
    );
    expect(
        &pull_args("ftp://example.org", id, "out"),
        2,
        "sealpost-staff: --server ftp://example.org: must start with https://\nhint: write the server's address like https://forms.example.org\n",
    );
    expect(
        &pull_args("https://user:secret@example.org", id, "out"),
        2,
        "sealpost-staff: --server https://user:secret@example.org: must not contain a user name or password\nhint: write the server's address like https://forms.example.org\n",
    );
}

#[test]
fn plain_http_to_another_machine_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let identity = Staff::new(tmp.path(), "id").identity;
    expect(
        &pull_args("http://forms.example.org", identity.to_str().unwrap(), "out"),
        2,
        "sealpost-staff: --server http://forms.example.org: refusing plain http to forms.example.org, which is not this machine\n\
         hint: use https://; plain http is allowed only to this machine (127.0.0.1, ::1, localhost), e.g. through an SSH tunnel\n",
    );
    assert!(!Path::new("out").exists(), "nothing is created before the arguments are checked");
}

#[test]
fn plain_http_to_an_onion_service_is_refused_with_the_ways_that_work() {
    let tmp = tempfile::tempdir().unwrap();
    let identity = Staff::new(tmp.path(), "id").identity;
    let onion = "http://2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion";
    expect(
        &pull_args(onion, identity.to_str().unwrap(), "out"),
        2,
        &format!(
            "sealpost-staff: --server {onion}: refusing plain http to {}, which is not this machine\n\
             hint: use the onion service's https:// address, or an SSH tunnel to the server's loopback staff listener (ssh -L 8081:127.0.0.1:8081 server, then --server http://127.0.0.1:8081)\n",
            onion.trim_start_matches("http://")
        ),
    );
    assert!(!Path::new("out").exists());
}

#[test]
fn a_missing_identity_file_is_a_usage_error() {
    expect(
        &pull_args("https://forms.example.org", "/nonexistent/id.txt", "out"),
        2,
        "sealpost-staff: identity file /nonexistent/id.txt: no such file\n\
         hint: pass the identity file your organisation gave you, or make one with `sealpost-staff keygen -o FILE`\n",
    );
}

#[test]
fn an_identity_file_without_keys_or_with_a_public_key_is_refused_without_echoing_it() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty.txt");
    fs::write(&empty, "# nothing here\n\n").unwrap();
    let hint = "hint: an identity file holds lines starting with AGE-SECRET-KEY-1 or AGE-PLUGIN-, and # comments; public keys (age1…) belong in recipients files\n";
    expect(
        &pull_args("https://forms.example.org", empty.to_str().unwrap(), "out"),
        2,
        &format!("sealpost-staff: identity file {} holds no identities\n{hint}", empty.display()),
    );
    let public = tmp.path().join("public.txt");
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    fs::write(&public, format!("# oops\n{recipient}\n")).unwrap();
    let output = staff_cli(&pull_args("https://forms.example.org", public.to_str().unwrap(), "out"));
    assert_eq!(
        stderr(&output),
        format!("sealpost-staff: identity file {}: line 2 is not an age identity\n{hint}", public.display())
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains(&recipient), "the line's content is never shown");
}

#[test]
fn an_unreachable_server_is_a_runtime_error() {
    let tmp = tempfile::tempdir().unwrap();
    let identity = Staff::new(tmp.path(), "id").identity;
    let out = tmp.path().join("out");
    expect(
        &pull_args("http://127.0.0.1:9", identity.to_str().unwrap(), out.to_str().unwrap()),
        1,
        "sealpost-staff: cannot reach http://127.0.0.1:9: connection failed\n\
         hint: check the address and your network connection; is sealpost running there?\n",
    );
}

#[test]
fn a_server_that_is_not_sealpost_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let identity = Staff::new(tmp.path(), "id").identity;
    // Something that answers HTTP with a page, not the staff API.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(1) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let body = "<html>hello \u{1b}[31m</html>";
            let _ =
                write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    let out = tmp.path().join("out");
    expect(
        &pull_args(&format!("http://{addr}"), identity.to_str().unwrap(), out.to_str().unwrap()),
        1,
        "sealpost-staff: the server sent a malformed login challenge\nhint: check that --server is the address of a sealpost server\n",
    );
}

#[test]
fn keygen_prints_an_identity_like_age_keygen() {
    let output = staff_cli(&["keygen"]);
    assert!(output.status.success());
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("# created: "), "{text}");
    let public = lines[1].strip_prefix("# public key: ").unwrap();
    assert!(lines[2].starts_with("AGE-SECRET-KEY-1"));
    let key: age::x25519::Identity = lines[2].parse().unwrap();
    assert_eq!(key.to_public().to_string(), public);
    assert_eq!(stderr(&output), format!("Public key: {public}\n"));
}

#[test]
fn keygen_to_a_file_is_private_prints_the_recipient_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("me.txt");
    let output = staff_cli(&["keygen", "-o", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let public = stdout(&output).trim().to_string();
    assert!(public.starts_with("age1"));
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(&format!("# public key: {public}\n")));
    expect(
        &["keygen", "-o", path.to_str().unwrap()],
        2,
        &format!(
            "sealpost-staff: {} already exists; refusing to overwrite it\nhint: choose another file name; an overwritten identity cannot be recovered\n",
            path.display()
        ),
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn open_decrypts_a_copied_spool_folder_exactly_like_pull_and_refuses_to_repeat() {
    let tmp = tempfile::tempdir().unwrap();
    let alice = Staff::new(tmp.path(), "alice");
    let server = InProcess::start(Setup::new(&[], &[&alice.public]));
    let id = server.seal("asylum-help", &[("Message", "copied by rsync")], &[("scan.jpg", b"\xff\xd8jpeg")]);
    // A backup copy of the whole ready/ folder, as an admin would rsync it.
    let copy = tmp.path().join("backup");
    let source = server.ready().join("asylum-help").join(&id);
    fs::create_dir_all(copy.join("asylum-help").join(&id)).unwrap();
    for entry in fs::read_dir(&source).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), copy.join("asylum-help").join(&id).join(entry.file_name())).unwrap();
    }
    let out = tmp.path().join("opened");
    let args = [
        "open",
        copy.to_str().unwrap(),
        "--identity",
        alice.identity.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let output = staff_cli(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(fs::read(out.join(&id).join("scan.jpg")).unwrap(), b"\xff\xd8jpeg");
    assert!(fs::read_to_string(out.join(&id).join("submission.txt")).unwrap().contains("copied by rsync"));
    assert_eq!(server.ready_ids(), std::slice::from_ref(&id), "open never touches the server");

    let folder = out.join(&id);
    expect(
        &args,
        1,
        &format!(
            "sealpost-staff: submission {id}: {} already exists\nhint: it was opened before; remove {} to open it again\n\
             sealpost-staff: 1 submission folder(s) could not be opened\nhint: the messages above say why\n",
            folder.display(),
            folder.display()
        ),
    );
}

#[test]
fn open_names_a_folder_without_submissions_and_a_damaged_file() {
    let tmp = tempfile::tempdir().unwrap();
    let alice = Staff::new(tmp.path(), "alice");
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    expect(
        &["open", empty.to_str().unwrap(), "--identity", alice.identity.to_str().unwrap()],
        2,
        &format!(
            "sealpost-staff: {} holds no submission folder (envelope.age)\nhint: pass a submission folder (holding envelope.age, 1.age, …) or a folder of them, as copied from the server's spool/ready/<form>/\n",
            empty.display()
        ),
    );

    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    let id = server.seal("contact", &[("Message", "hello")], &[]);
    let copy = tmp.path().join(&id);
    fs::create_dir(&copy).unwrap();
    let mut bytes = fs::read(server.ready().join("contact").join(&id).join("envelope.age")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1; // one flipped bit in the payload
    fs::write(copy.join("envelope.age"), bytes).unwrap();
    let out = tmp.path().join("out");
    let output = staff_cli(&[
        "open",
        copy.to_str().unwrap(),
        "--identity",
        alice.identity.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "sealpost-staff: submission {id}: envelope.age is damaged or was tampered with (payload authentication failed)\n\
             hint: the submission stays on the server; tell the server's admin\n\
             sealpost-staff: 1 submission folder(s) could not be opened\nhint: the messages above say why\n"
        )
    );
    assert!(saved_ids(&out).is_empty(), "nothing half-written is left");
}

/// A pinentry that answers GETPIN with `answer` (or cancels, if `None`).
fn fake_pinentry(dir: &Path, answer: Option<&str>) -> std::path::PathBuf {
    let path = dir.join(format!("pinentry-{}", answer.unwrap_or("cancel")));
    let getpin = match answer {
        Some(a) => format!("echo \"D {a}\"; echo OK"),
        None => "echo \"ERR 83886179 Operation cancelled\"".to_string(),
    };
    let script = format!(
        "#!/bin/sh\necho \"OK Pleased to meet you\"\nwhile read -r cmd rest; do\n  case \"$cmd\" in\n    GETPIN) {getpin};;\n    BYE) echo OK; exit 0;;\n    *) echo OK;;\n  esac\ndone\n"
    );
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o700)).unwrap();
    path
}

/// An identity file encrypted with `passphrase` (armored, as `age -p -a` writes it).
fn encrypted_identity(dir: &Path, key: &age::x25519::Identity, passphrase: &str) -> std::path::PathBuf {
    let mut recipient = age::scrypt::Recipient::new(passphrase.to_string().into());
    recipient.set_work_factor(10);
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient)).unwrap();
    let armor = age::armor::ArmoredWriter::wrap_output(Vec::new(), age::armor::Format::AsciiArmor).unwrap();
    let mut writer = encryptor.wrap_output(armor).unwrap();
    writeln!(writer, "# protected\n{}", key.to_string().expose_secret()).unwrap();
    let bytes = writer.finish().unwrap().finish().unwrap();
    let path = dir.join("protected.age");
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_passphrase_protected_identity_asks_for_its_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let key = age::x25519::Identity::generate();
    let server = InProcess::start(Setup::new(&[&key.to_public().to_string()], &[]));
    let id = server.seal("contact", &[("Message", "behind a passphrase")], &[]);
    let identity = encrypted_identity(tmp.path(), &key, "correct horse");
    let out = tmp.path().join("out");
    let run = |pinentry: &Path| {
        pull_command(&server.url(), &identity, &out).env("PINENTRY_PROGRAM", pinentry).output().unwrap()
    };

    let output = run(&fake_pinentry(tmp.path(), Some("wrong")));
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "sealpost-staff: identity file {}: wrong passphrase\nhint: type the passphrase again, carefully\n",
            identity.display()
        )
    );
    let output = run(&fake_pinentry(tmp.path(), None));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("sealpost-staff: identity file")
            && stderr(&output).contains("no passphrase was entered")
    );

    let output = run(&fake_pinentry(tmp.path(), Some("correct horse")));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(fs::read_to_string(out.join(&id).join("submission.txt")).unwrap().contains("behind a passphrase"));
}

#[test]
fn an_identity_file_with_several_keys_logs_in_with_each() {
    let tmp = tempfile::tempdir().unwrap();
    let old = age::x25519::Identity::generate();
    let new = age::x25519::Identity::generate();
    let server = InProcess::start(Setup::new(&[&old.to_public().to_string()], &[&new.to_public().to_string()]));
    let a = server.seal("contact", &[("Message", "to the old key")], &[]);
    let b = server.seal("asylum-help", &[("Message", "to the new key")], &[]);
    let identity = tmp.path().join("both.txt");
    write_identity(&identity, None, &[&old, &new]);
    let out = tmp.path().join("out");
    let output = pull(&server.url(), &identity, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut expected = vec![a, b];
    expected.sort();
    assert_eq!(saved_ids(&out), expected);
}

#[test]
fn open_still_decrypts_a_version_1_envelope() {
    let tmp = tempfile::tempdir().unwrap();
    let alice = Staff::new(tmp.path(), "alice");
    let server = InProcess::start(Setup::new(&[], &[&alice.public]));
    let id = server.seal_v1("asylum-help", &[("Message", "from before the upgrade")], &[("a.txt", b"doc")]);
    let out = tmp.path().join("opened");
    let source = server.ready().join("asylum-help").join(&id);
    let output = staff_cli(&[
        "open",
        source.to_str().unwrap(),
        "--identity",
        alice.identity.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(fs::read_to_string(out.join(&id).join("submission.txt")).unwrap().contains("from before the upgrade"));
    assert_eq!(fs::read(out.join(&id).join("a.txt")).unwrap(), b"doc");
}

#[test]
fn a_key_over_its_logins_per_minute_is_told_to_wait() {
    let tmp = tempfile::tempdir().unwrap();
    let alice = Staff::new(tmp.path(), "alice");
    let server = InProcess::start(Setup::new(&[&alice.public], &[]));
    for _ in 0..sealpost::pull::MAX_LOGINS_PER_RECIPIENT {
        server.login(&alice);
    }
    let out = tmp.path().join("out");
    let url = server.url();
    let (identity, out) = (alice.identity.to_str().unwrap(), out.to_str().unwrap());
    let output = staff_cli(&pull_args(&url, identity, out));
    let errors = stderr(&output);
    assert!(errors.contains(": 503 too many logins in progress; try again shortly\n"), "{errors}");
    assert!(errors.ends_with("hint: wait a minute, then try again\n"), "{errors}");
    assert_eq!(output.status.code(), Some(1));
}
