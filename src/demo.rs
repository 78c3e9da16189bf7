//! The newcomer's first run: a folder with a fresh staff identity, recipients files, a config
//! and a data dir, then the service on loopback.
//!
//! Job: make `sealpost demo` work on a fresh clone with no other step.
//! Invariant: the identity is written once, 0600, `create_new`; an existing folder is reused and
//! never overwritten. The service itself still reads only public keys (invariant 1): the
//! identity is generated here and never read back.
//! Never: listens on anything but the address given (loopback unless a proxy is configured).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use crate::Failure;

/// The example config, which the demo uses as its own.
pub const EXAMPLE_CONFIG: &str = include_str!("../config/sealpost.example.toml");
/// Recipients files the example config names.
const RECIPIENT_FILES: &[&str] = &["recipients/legal-team.txt", "recipients/contact-team.txt"];

/// Where the demo's files are.
pub struct Demo {
    /// The demo folder.
    pub dir: PathBuf,
    /// `DIR/staff-identity.txt`.
    pub identity: PathBuf,
    /// `DIR/sealpost.toml`.
    pub config: PathBuf,
    /// Whether this run created the folder's contents.
    pub created: bool,
}

/// Creates the demo folder (or reuses it) and returns its paths.
pub fn prepare(dir: &Path, listen: Option<&str>) -> Result<Demo, Failure> {
    let identity = dir.join("staff-identity.txt");
    let config = dir.join("sealpost.toml");
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Failure::runtime(format!("demo: cannot {what} {}: {}", path.display(), sealpost_format::files::io_reason(&e)))
    };
    if identity.exists() {
        if !config.exists() || RECIPIENT_FILES.iter().any(|f| !dir.join(f).exists()) {
            return Err(Failure::usage(format!("demo: {} is incomplete", dir.display()))
                .hint(format!("remove it (`rm -r {}`) or choose another with --dir", dir.display())));
        }
        if let Some(listen) = listen {
            let text = fs::read_to_string(&config).map_err(|e| io("read", &config, e))?;
            let updated = set_listen(&text, listen);
            if updated != text {
                fs::write(&config, updated).map_err(|e| io("write", &config, e))?;
            }
        }
        return Ok(Demo { dir: dir.to_owned(), identity, config, created: false });
    }

    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir.join("recipients"))
        .map_err(|e| io("create", dir, e))?;
    let key = age::x25519::Identity::generate();
    let public = key.to_public().to_string();
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&identity)
        .map_err(|e| io("create", &identity, e))?;
    let secret = key.to_string();
    let text =
        zeroize::Zeroizing::new(format!("# created: {created}\n# public key: {public}\n{}\n", secret.expose_secret()));
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| io("write", &identity, e))?;

    for name in RECIPIENT_FILES {
        let path = dir.join(name);
        fs::write(&path, format!("# demo staff key (its identity is ../staff-identity.txt)\n{public}\n"))
            .map_err(|e| io("write", &path, e))?;
    }
    let text = set_listen(EXAMPLE_CONFIG, listen.unwrap_or("127.0.0.1:8080"));
    fs::write(&config, text).map_err(|e| io("write", &config, e))?;
    Ok(Demo { dir: dir.to_owned(), identity, config, created: true })
}

fn set_listen(text: &str, listen: &str) -> String {
    text.lines()
        .map(|line| if line.starts_with("listen = ") { format!("listen = \"{listen}\"") } else { line.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// What the demo prints once it is listening.
pub fn instructions(demo: &Demo, url: &str, data_dir: &Path, staff: &str) -> String {
    let id = demo.identity.display();
    let ready = data_dir.join("spool").join("ready");
    let ready = ready.display();
    format!(
        "sealpost demo: serving the default forms at {url}\n\
         \n  demo folder:     {dir}{fresh}\
         \n  staff identity:  {id}  (secret: it opens every submission)\
         \n  submissions:     {ready}/<form>/<id>/\n\
         \nFetch, verify and decrypt what was sent (the server then deletes its copy):\
         \n  {pull}\n\
         \nOr read it in place with the reference age tool (https://age-encryption.org):\
         \n  age -d -i {id} {ready}/contact/<id>/envelope.age\
         \n  age -d -i {id} {ready}/asylum-help/<id>/1.age | head -c <size> > document\
         \n  (the envelope lists each attachment's name and true size; the rest is zero padding)\n\
         \nPress Ctrl-C to stop.\n",
        dir = demo.dir.display(),
        fresh = if demo.created { "  (created now)" } else { "  (reused)" },
        pull = pull_command(demo, url, staff),
    )
}

/// The exact `sealpost-staff pull` command for this demo; `staff` is how to invoke the staff
/// program from here (see the `sealpost` binary: `sealpost-staff`, a path, or `cargo run …`).
pub fn pull_command(demo: &Demo, url: &str, staff: &str) -> String {
    format!(
        "{staff} pull --server {} --identity {} --out {}",
        url.trim_end_matches('/'),
        demo.identity.display(),
        demo.dir.join("received").display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_listen_line_is_where_demo_expects_it() {
        assert!(EXAMPLE_CONFIG.contains("\nlisten = \"127.0.0.1:8080\"\n"));
        assert!(set_listen(EXAMPLE_CONFIG, "127.0.0.1:9999").contains("listen = \"127.0.0.1:9999\""));
    }

    #[test]
    fn creates_a_private_identity_once_and_reuses_the_folder() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        let first = prepare(&dir, None).unwrap();
        assert!(first.created);
        let mode = fs::metadata(&first.identity).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let identity = fs::read_to_string(&first.identity).unwrap();
        let second = prepare(&dir, Some("127.0.0.1:9999")).unwrap();
        assert!(!second.created);
        assert_eq!(fs::read_to_string(&second.identity).unwrap(), identity, "identity must never be replaced");
        assert!(fs::read_to_string(&second.config).unwrap().contains("127.0.0.1:9999"));
        let loaded = crate::config::Config::load(&second.config).unwrap();
        assert_eq!(loaded.forms.len(), 2);
    }

    #[test]
    fn instructions_name_the_exact_pull_command() {
        let demo = Demo {
            dir: PathBuf::from("sealpost-demo"),
            identity: PathBuf::from("sealpost-demo/staff-identity.txt"),
            config: PathBuf::from("sealpost-demo/sealpost.toml"),
            created: true,
        };
        let text = instructions(&demo, "http://127.0.0.1:8080/", Path::new("sealpost-demo/data"), "sealpost-staff");
        assert!(text.contains(
            "\n  sealpost-staff pull --server http://127.0.0.1:8080 --identity sealpost-demo/staff-identity.txt --out sealpost-demo/received\n"
        ), "{text}");
    }

    #[test]
    fn refuses_an_incomplete_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        prepare(&dir, None).unwrap();
        fs::remove_file(dir.join("sealpost.toml")).unwrap();
        let err = prepare(&dir, None).err().unwrap();
        assert_eq!(err.code, 2);
    }
}
