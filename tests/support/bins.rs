//! Where the programs are: `sealpost` and `sealpost-staff` from this build, and the outside peers
//! on PATH; running `sealpost` once and reading what it printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `sealpost` binary under test.
pub fn sealpost_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_sealpost"))
}

/// The `sealpost-staff` binary: built by the same `cargo test` (it is a workspace member with tests
/// of its own) into the folder that holds `sealpost`. It belongs to another package, so cargo
/// names it in no `CARGO_BIN_EXE_*` variable here.
pub fn staff_binary() -> PathBuf {
    let binary = sealpost_binary().with_file_name(format!("sealpost-staff{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "{} is missing: run the tests from the workspace root (cargo test), or cargo build -p sealpost-staff first",
        binary.display()
    );
    binary
}

/// Runs `sealpost` with `args` to completion.
pub fn run_sealpost(args: &[&str]) -> Output {
    Command::new(sealpost_binary()).args(args).output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails under SEALPOST_REQUIRE_PEERS=1 when `program` is missing; otherwise reports a loud skip.
pub fn require_peer(program: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|p| p.is_file());
    if found.is_none() {
        peer_missing(
            &format!("peer program `{program}` is missing and SEALPOST_REQUIRE_PEERS=1; .ci/run installs it"),
            &format!("peer program `{program}` is not installed; run .ci/run (or set it up) to run this test"),
        );
    }
    found
}

/// Something a test needs from outside is missing: under SEALPOST_REQUIRE_PEERS=1 (CI) the test
/// fails with `required`; otherwise it says `skipped` loudly and the caller returns.
pub fn peer_missing(required: &str, skipped: &str) {
    if std::env::var("SEALPOST_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("{required}");
    }
    eprintln!("\n!!! SKIPPED: {skipped} !!!\n");
}
