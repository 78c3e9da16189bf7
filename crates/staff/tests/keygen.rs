//! The `sealpost-staff` binary on its own, with no server: what a staff member runs first.
//! (The end-to-end tests that pull from a real server live at the workspace root, in `tests/`.)
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::process::Command;

fn staff() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sealpost-staff"))
}

#[test]
fn keygen_writes_a_private_identity_file_and_prints_its_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("me.txt");
    let out = staff().args(["keygen", "-o"]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let public = String::from_utf8(out.stdout).unwrap();
    assert!(public.trim().starts_with("age1"), "{public}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("AGE-SECRET-KEY-1"), "the file holds the identity");
    assert!(text.contains(public.trim()), "and names its public key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn keygen_never_overwrites_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("me.txt");
    std::fs::write(&path, "keep me\n").unwrap();
    let out = staff().args(["keygen", "-o"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("sealpost-staff: "));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me\n");
}
