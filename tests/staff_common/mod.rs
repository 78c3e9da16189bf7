//! A real sealpost server on 127.0.0.1:0 with a config in a temporary folder, staff identities,
//! and helpers to submit (over HTTP or straight into the spool), call the staff API, and run the
//! `sealpost-staff` binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use age::secrecy::ExposeSecret;
use sealpost::http::App;
use sealpost::seal::Recipients;
use sealpost_format::envelope::{AttachmentMeta, Envelope, EnvelopeField};
use sealpost_format::wire::{ChallengeResponse, SessionResponse};

/// A staff member: an identity file on disk and its public key.
pub struct Staff {
    pub identity: PathBuf,
    pub public: String,
    pub key: age::x25519::Identity,
}

impl Staff {
    pub fn new(dir: &Path, name: &str) -> Staff {
        let key = age::x25519::Identity::generate();
        let public = key.to_public().to_string();
        let identity = dir.join(format!("{name}.txt"));
        std::fs::write(&identity, format!("# {name}\n{}\n", key.to_string().expose_secret())).unwrap();
        Staff { identity, public, key }
    }
}

/// What the test server's config says.
pub struct Setup<'a> {
    /// Public keys on the `contact` form's list.
    pub contact: Vec<&'a str>,
    /// Public keys on the `asylum-help` form's list.
    pub legal: Vec<&'a str>,
    /// `limits.per_client`.
    pub per_client: &'a str,
    /// `limits.global`.
    pub global: &'a str,
    /// `server.trusted_proxies`.
    pub trusted_proxies: &'a str,
    /// Extra lines for `[staff]`.
    pub staff: &'a str,
}

impl<'a> Setup<'a> {
    pub fn new(contact: &[&'a str], legal: &[&'a str]) -> Setup<'a> {
        Setup {
            contact: contact.to_vec(),
            legal: legal.to_vec(),
            per_client: "{ burst = 100000, per_second = 1000 }",
            global: "{ burst = 100000, per_second = 1000 }",
            trusted_proxies: "[]",
            staff: "",
        }
    }
}

pub struct Server {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    pub staff_addr: Option<SocketAddr>,
    pub app: Arc<App>,
    pub runtime: tokio::runtime::Runtime,
    /// One HTTP client for every call (building one loads the system's roots, which is slow).
    http: reqwest::Client,
    stop: Option<tokio::sync::watch::Sender<()>>,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub fn start(setup: Setup<'_>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let keys = |list: &[&str]| {
            if list.is_empty() {
                // A key nobody holds, so the form still has a valid recipients file.
                age::x25519::Identity::generate().to_public().to_string() + "\n"
            } else {
                list.join("\n") + "\n"
            }
        };
        std::fs::write(dir.path().join("contact.txt"), keys(&setup.contact)).unwrap();
        std::fs::write(dir.path().join("legal.txt"), keys(&setup.legal)).unwrap();
        let config = format!(
            r#"[server]
listen = "127.0.0.1:0"
data_dir = "data"
trusted_proxies = {trusted_proxies}

[limits]
max_body = "4 MiB"
per_client = {per_client}
global = {global}
max_spool = "4 GiB"
min_fill_time = "0s"
max_fill_time = "1h"

[staff]
locale = "en"
{staff}

[[form]]
id = "contact"
recipients = "contact.txt"
fields = [
  {{ name = "name", kind = "text" }},
  {{ name = "message", kind = "textarea", required = true }},
]

[[form]]
id = "asylum-help"
recipients = "legal.txt"
fields = [
  {{ name = "name", kind = "text" }},
  {{ name = "message", kind = "textarea", required = true }},
  {{ name = "documents", kind = "file", max_files = 5, max_size = "2 MiB" }},
]
"#,
            per_client = setup.per_client,
            global = setup.global,
            trusted_proxies = setup.trusted_proxies,
            staff = setup.staff,
        );
        let path = dir.path().join("sealpost.toml");
        std::fs::write(&path, config).unwrap();
        let config = sealpost::config::Config::load(&path).unwrap();
        let staff_listen = config.staff.listen;
        let app = sealpost::prepare(config).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (stop, stopped) = tokio::sync::watch::channel(());
        let until = |mut rx: tokio::sync::watch::Receiver<()>| async move {
            let _ = rx.changed().await;
        };
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut tasks = vec![runtime.spawn(sealpost::http::serve(listener, app.clone(), until(stopped.clone())))];
        let staff_addr = staff_listen.map(|_| {
            let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
            let addr = listener.local_addr().unwrap();
            tasks.push(runtime.spawn(sealpost::http::serve_staff(listener, app.clone(), until(stopped))));
            addr
        });
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Server { dir, addr, staff_addr, app, runtime, http, stop: Some(stop), tasks }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ready(&self) -> PathBuf {
        self.app.spool().ready_dir().to_owned()
    }

    /// Ids of the submissions in `ready/`, over all forms.
    pub fn ready_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for form in std::fs::read_dir(self.ready()).unwrap() {
            for entry in std::fs::read_dir(form.unwrap().path()).unwrap() {
                ids.push(entry.unwrap().file_name().to_string_lossy().into_owned());
            }
        }
        ids.sort();
        ids
    }

    /// Seals a submission straight into the spool, as the server would after a POST.
    pub fn seal(&self, form: &str, fields: &[(&str, &str)], attachments: &[(&str, &[u8])]) -> String {
        self.seal_as(sealpost_format::envelope::ENVELOPE_VERSION, true, form, fields, attachments)
    }

    /// Seals a submission as a server from before envelope version 2 did: no ack secret in the
    /// envelope, no ack record beside it.
    pub fn seal_v1(&self, form: &str, fields: &[(&str, &str)], attachments: &[(&str, &[u8])]) -> String {
        self.seal_as(1, false, form, fields, attachments)
    }

    /// Seals a submission with envelope format `version`, with or without an ack secret.
    pub fn seal_as(
        &self,
        version: u32,
        ack: bool,
        form: &str,
        fields: &[(&str, &str)],
        attachments: &[(&str, &[u8])],
    ) -> String {
        let file = if form == "contact" { "contact.txt" } else { "legal.txt" };
        let recipients = Recipients::parse(&std::fs::read_to_string(self.dir.path().join(file)).unwrap()).unwrap();
        let mut draft = self.app.spool().begin(form).unwrap();
        let mut metas = Vec::new();
        for (index, (name, bytes)) in attachments.iter().enumerate() {
            let mut sealer = draft.attachment(index + 1, &recipients).unwrap();
            sealer.write(bytes).unwrap();
            let digest = sealer.finish().unwrap();
            draft.account(digest.stored).unwrap();
            metas.push(AttachmentMeta {
                file: format!("{}.age", index + 1),
                name: name.to_string(),
                media_type: "application/octet-stream".into(),
                size: digest.size,
                sha256: digest.sha256,
            });
        }
        let envelope = Envelope {
            sealpost: version,
            ack: ack.then(sealpost_format::envelope::AckSecret::random),
            id: draft.id().to_string(),
            form: form.to_string(),
            received: "2026-11-28T10:15:03Z".into(),
            locale: "en".into(),
            fields: fields
                .iter()
                .map(|(label, value)| EnvelopeField {
                    name: label.to_lowercase(),
                    label: label.to_string(),
                    value: value.to_string(),
                })
                .collect(),
            attachments: metas,
        };
        draft.seal_envelope(&recipients, &envelope).unwrap();
        draft.commit().unwrap().to_string()
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    pub fn client(&self) -> reqwest::Client {
        self.http.clone()
    }

    /// GET the form page and return its timing token.
    pub fn form_token(&self, form: &str) -> String {
        let html = self.block_on(async {
            self.client().get(format!("{}/{form}", self.url())).send().await.unwrap().text().await.unwrap()
        });
        let at = html.find("name=\"_token\" value=\"").unwrap() + "name=\"_token\" value=\"".len();
        html[at..].split('"').next().unwrap().to_string()
    }

    /// Submits a multipart form over HTTP; returns the status.
    pub fn submit(&self, form: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> u16 {
        let token = self.form_token(form);
        let boundary = "sealpost-test-boundary-7d3f";
        let mut body = Vec::new();
        let mut text = |name: &str, value: &str| {
            write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").unwrap();
        };
        text("_token", &token);
        for (name, value) in fields {
            text(name, value);
        }
        for (field, file_name, bytes) in files {
            write!(
                body,
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .unwrap();
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        write!(body, "--{boundary}--\r\n").unwrap();
        self.block_on(async {
            self.client()
                .post(format!("{}/{form}", self.url()))
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    }

    /// A raw staff API call: `(status, body)`.
    pub fn api(&self, method: &str, path: &str, token: Option<&str>, body: Option<String>) -> (u16, Vec<u8>) {
        self.api_at(&self.url(), method, path, token, body)
    }

    pub fn api_at(
        &self,
        base: &str,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (u16, Vec<u8>) {
        self.block_on(async {
            let url = format!("{base}{path}");
            let mut request = match method {
                "GET" => self.client().get(url),
                "POST" => self.client().post(url),
                "DELETE" => self.client().delete(url),
                _ => panic!("{method}"),
            };
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.header("content-type", "application/json").body(body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.bytes().await.unwrap().to_vec())
        })
    }

    /// Asks for a challenge for `staff` and decrypts it: `(challenge_id, secret)`.
    pub fn challenge(&self, staff: &Staff) -> (String, Vec<u8>) {
        let (status, body) =
            self.api("POST", "/staff/v1/challenge", None, Some(format!("{{\"recipient\":\"{}\"}}", staff.public)));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let challenge: ChallengeResponse = serde_json::from_slice(&body).unwrap();
        let reader = age::armor::ArmoredReader::new(challenge.challenge.as_bytes());
        let decryptor = age::Decryptor::new(reader).unwrap();
        let mut plain = Vec::new();
        decryptor.decrypt(std::iter::once(&staff.key as &dyn age::Identity)).unwrap().read_to_end(&mut plain).unwrap();
        let secret = plain[sealpost_format::wire::CHALLENGE_LABEL.len()..].to_vec();
        (challenge.challenge_id, secret)
    }

    /// A staff API call from client address `from` (needs `trusted_proxies` to name 127.0.0.1):
    /// `(status, body)`.
    pub fn api_from(&self, from: &str, method: &str, path: &str, body: Option<String>) -> (u16, Vec<u8>) {
        self.block_on(async {
            let url = format!("{}{path}", self.url());
            let mut request = match method {
                "GET" => self.client().get(url),
                "POST" => self.client().post(url),
                _ => panic!("{method}"),
            };
            request = request.header("x-forwarded-for", from);
            if let Some(body) = body {
                request = request.header("content-type", "application/json").body(body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.bytes().await.unwrap().to_vec())
        })
    }

    /// The decrypted envelope of submission `id` of `form`, as JSON.
    pub fn envelope_json(&self, staff: &Staff, form: &str, id: &str) -> serde_json::Value {
        let bytes = std::fs::read(self.ready().join(form).join(id).join("envelope.age")).unwrap();
        let decryptor = age::Decryptor::new(&bytes[..]).unwrap();
        let mut plain = Vec::new();
        decryptor.decrypt(std::iter::once(&staff.key as &dyn age::Identity)).unwrap().read_to_end(&mut plain).unwrap();
        serde_json::from_slice(&plain).unwrap()
    }

    /// Logs `staff` in through the API and returns the token.
    pub fn login(&self, staff: &Staff) -> String {
        let (id, secret) = self.challenge(staff);
        let body = format!("{{\"challenge_id\":\"{id}\",\"response\":\"{}\"}}", data_encoding::BASE64.encode(&secret));
        let (status, body) = self.api("POST", "/staff/v1/session", None, Some(body));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice::<SessionResponse>(&body).unwrap().token
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stop.take());
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

/// The `sealpost-staff` binary: built by the same `cargo test` (it is a workspace member with tests
/// of its own) into the folder that holds `sealpost`.
pub fn staff_binary() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_sealpost"))
        .with_file_name(format!("sealpost-staff{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "{} is missing: run the tests from the workspace root (cargo test), or cargo build -p sealpost-staff first",
        binary.display()
    );
    binary
}

/// Runs `sealpost-staff` with `args`.
pub fn staff_cli(args: &[&str]) -> Output {
    Command::new(staff_binary()).args(args).env_remove("PINENTRY_PROGRAM").output().unwrap()
}

/// `sealpost-staff pull` against `server` into `out`.
pub fn pull(server: &str, identity: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args =
        vec!["pull", "--server", server, "--identity", identity.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    staff_cli(&args)
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The submission folders under `out` (names), sorted; fails on leftovers of interrupted writes.
/// The lock file every run leaves is not counted.
pub fn saved_ids(out: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != sealpost_staff::LOCK_FILE)
        .collect();
    ids.sort();
    ids
}
