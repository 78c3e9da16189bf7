//! A configured sealpost in a temp folder (a staff identity, recipients, config and data dir), the
//! one writer of test configs, and helpers to drive the router without sockets, build bodies and
//! decrypt what landed.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use secrecy::ExposeSecret;
use tower::ServiceExt;

pub const BOUNDARY: &str = "----sealpostTestBoundary7MA4YWxk";

/// Every shipped language, as its `?lang=` code.
pub const LANGUAGES: &[&str] = &["en", "es", "fr", "ht", "pt", "ar", "fa", "ps", "ru", "uk", "zh-Hans", "tr"];
/// The shipped languages written right to left.
pub const RIGHT_TO_LEFT: &[&str] = &["ar", "fa", "ps"];

/// A configured sealpost in a temp folder.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub identity: age::x25519::Identity,
    pub config_path: PathBuf,
}

/// Knobs for the `[server]` and `[limits]` tables of a test config.
pub struct Options {
    pub max_body: &'static str,
    pub max_spool: &'static str,
    pub per_client: &'static str,
    pub global: &'static str,
    pub min_fill_time: &'static str,
    pub extra_limits: &'static str,
    pub trusted_proxies: &'static str,
    pub listen: &'static str,
}

impl Options {
    /// What [`Fixture::new`] writes; a `const`, so constants can start from it.
    pub const DEFAULT: Options = Options {
        max_body: "2 MiB",
        max_spool: "1 GiB",
        per_client: "{ burst = 1000, per_second = 100 }",
        global: "{ burst = 1000, per_second = 100 }",
        min_fill_time: "0s",
        extra_limits: "",
        trusted_proxies: "[\"127.0.0.1/32\", \"::1/128\"]",
        listen: "127.0.0.1:0",
    };
}

impl Default for Options {
    fn default() -> Self {
        Options::DEFAULT
    }
}

/// The fixture's forms: every field kind, both read by the fixture's one staff key (`staff.txt`);
/// the asylum form's fields are the example config's.
const FORMS: &str = r#"[[form]]
id = "asylum-help"
recipients = "staff.txt"
fields = [
  { name = "name", kind = "text", max = 200 },
  { name = "contact_method", kind = "select", required = true, options = ["phone", "sms", "whatsapp", "signal", "telegram", "email", "other"] },
  { name = "contact", kind = "text", required = true, max = 500 },
  { name = "language", kind = "text", required = true, max = 200 },
  { name = "location", kind = "text", required = true, max = 500 },
  { name = "arrived", kind = "date", fieldset = "urgency" },
  { name = "claim", kind = "radio", fieldset = "urgency", options = ["no", "waiting", "refused", "unsure"] },
  { name = "next_date", kind = "date", fieldset = "urgency" },
  { name = "next_type", kind = "radio", fieldset = "urgency", options = ["interview", "court", "reporting", "other", "unsure"] },
  { name = "decision_date", kind = "date", fieldset = "urgency" },
  { name = "deadline", kind = "textarea", max = 2000, fieldset = "urgency" },
  { name = "detained", kind = "radio", fieldset = "situation", options = ["me", "family", "no"] },
  { name = "family", kind = "checkboxes", fieldset = "situation", options = ["partner", "children", "parents", "other"] },
  { name = "people", kind = "number", min = 1, max = 50, fieldset = "situation" },
  { name = "message", kind = "textarea", required = true, max = 20000 },
  { name = "documents", kind = "file", max_files = 3, max_size = "1 MiB" },
  { name = "consent", kind = "checkbox", required = true },
]

[[form]]
id = "contact"
recipients = "staff.txt"
fields = [
  { name = "name", kind = "text", max = 200 },
  { name = "email", kind = "email" },
  { name = "reply", kind = "text", max = 500 },
  { name = "message", kind = "textarea", required = true, max = 20000 },
]
"#;

/// Writes `sealpost.toml` into `dir`: `[server]` and `[limits]` from `o`, a `[staff]` table with
/// `staff` in it when given, then `forms`; returns its path.
pub fn write_config(dir: &Path, o: &Options, staff: Option<&str>, forms: &str) -> PathBuf {
    let staff = staff.map(|keys| format!("[staff]\n{keys}\n\n")).unwrap_or_default();
    let config = format!(
        r#"[server]
listen = "{listen}"
data_dir = "data"
trusted_proxies = {trusted}

[limits]
max_body = "{max_body}"
per_client = {per_client}
global = {global}
max_spool = "{max_spool}"
min_fill_time = "{min_fill}"
max_fill_time = "1h"
keep_unpulled = "forever"
{extra}

{staff}{forms}"#,
        listen = o.listen,
        trusted = o.trusted_proxies,
        max_body = o.max_body,
        per_client = o.per_client,
        global = o.global,
        max_spool = o.max_spool,
        min_fill = o.min_fill_time,
        extra = o.extra_limits,
    );
    let path = dir.join("sealpost.toml");
    std::fs::write(&path, config).unwrap();
    path
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with(Options::default())
    }

    pub fn with(o: Options) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let identity = age::x25519::Identity::generate();
        let public = identity.to_public().to_string();
        std::fs::write(dir.path().join("staff.txt"), format!("# test staff\n{public}\n")).unwrap();
        let config_path = write_config(dir.path(), &o, None, FORMS);
        Fixture { dir, identity, config_path }
    }

    /// README's "Make it yours" example, `examples/make-it-yours/`, copied into a fresh folder
    /// with the fixture's staff key as the intake form's recipient, a free port, no minimum fill
    /// time and room for many submissions; everything else as the README shows it.
    pub fn make_it_yours() -> Fixture {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/make-it-yours");
        let dir = tempfile::tempdir().unwrap();
        for sub in ["", "translations", "recipients"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
            for entry in std::fs::read_dir(example.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    std::fs::copy(&path, dir.path().join(sub).join(path.file_name().unwrap())).unwrap();
                }
            }
        }
        let identity = age::x25519::Identity::generate();
        std::fs::write(dir.path().join("recipients/intake.txt"), format!("{}\n", identity.to_public())).unwrap();
        let config_path = dir.path().join("sealpost.toml");
        let mut text = std::fs::read_to_string(&config_path).unwrap();
        for (from, to) in [
            ("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\""),
            ("min_fill_time = \"3s\"", "min_fill_time = \"0s\""),
            ("per_client = { burst = 5, per_hour = 20 }", "per_client = { burst = 1000, per_second = 100 }"),
        ] {
            assert!(text.contains(from), "the example no longer says {from}");
            text = text.replace(from, to);
        }
        std::fs::write(&config_path, text).unwrap();
        Fixture { dir, identity, config_path }
    }

    /// Rewrites the config file with `edit`.
    pub fn edit_config(&self, edit: impl FnOnce(String) -> String) {
        let text = std::fs::read_to_string(&self.config_path).unwrap();
        std::fs::write(&self.config_path, edit(text)).unwrap();
    }

    /// Adds `keys` to `[server]` and `tables` (like `[server.tls]`) after it.
    pub fn add_server_settings(&self, keys: &str, tables: &str) {
        self.edit_config(|text| {
            text.replacen("[server]\n", &format!("[server]\n{keys}\n"), 1).replacen(
                "\n[limits]\n",
                &format!("\n{tables}\n\n[limits]\n"),
                1,
            )
        });
    }

    pub fn config(&self) -> sealpost::config::Config {
        sealpost::config::Config::load(&self.config_path).unwrap()
    }

    pub fn app(&self) -> Arc<sealpost::http::App> {
        sealpost::prepare(self.config()).unwrap()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn ready(&self, form: &str) -> PathBuf {
        self.data_dir().join("spool/ready").join(form)
    }

    /// The submission folders in ready/<form>/.
    pub fn entries(&self, form: &str) -> Vec<PathBuf> {
        match std::fs::read_dir(self.ready(form)) {
            Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Writes one entry into `ready/<form>/` exactly as the server does (through the spool:
    /// `incoming/`, fsync, rename), with an envelope sealed to the fixture's key carrying
    /// `message`, and dates its folder `age` ago; returns its id.
    pub fn write_entry(&self, form: &str, message: &str, age: std::time::Duration) -> String {
        let config = self.config();
        let spool = sealpost::spool::Spool::open(&config.server.data_dir, u64::MAX).unwrap();
        let recipients = sealpost::seal::Recipients::parse(&self.identity.to_public().to_string()).unwrap();
        let mut draft = spool.begin(form).unwrap();
        let envelope = sealpost_format::envelope::Envelope {
            sealpost: sealpost_format::envelope::ENVELOPE_VERSION,
            ack: Some(sealpost_format::envelope::AckSecret::random()),
            id: draft.id().as_str().into(),
            form: form.into(),
            received: "2026-11-28T10:15:03Z".into(),
            locale: "en".into(),
            fields: vec![sealpost_format::envelope::EnvelopeField {
                name: "message".into(),
                label: "Message".into(),
                kind: Some("textarea".into()),
                value: message.into(),
                choices: Vec::new(),
            }],
            attachments: Vec::new(),
            reply: None,
            follow_up: false,
        };
        draft.seal_envelope(&recipients, &envelope).unwrap();
        let id = draft.commit().unwrap();
        let folder = std::fs::File::open(self.ready(form).join(id.as_str())).unwrap();
        folder.set_modified(std::time::SystemTime::now() - age).unwrap();
        id.as_str().to_string()
    }

    /// Every file under the data dir, except token.key and the reply salt.
    pub fn all_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() { walk(&p, out) } else { out.push(p) }
            }
        }
        let mut out = Vec::new();
        walk(&self.data_dir(), &mut out);
        out.retain(|p| !p.ends_with("token.key") && !p.ends_with(sealpost::reply::SALT_FILE));
        out
    }

    /// Whether `file` (with `bytes`) is one of the public files of a conversation (DESIGN §10):
    /// an entry's `thread` (a thread id), or under `threads/<T>/` its `recipient.txt` (an age
    /// public key), `form` (a form id) or a time stamp (`created`, `person`, `staff`: seconds).
    /// Nothing in them comes from what the person wrote.
    pub fn is_public_conversation_file(&self, file: &Path, bytes: &[u8]) -> bool {
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let in_threads = file.starts_with(self.data_dir().join("threads"));
        match name {
            "thread" => sealpost_format::id::ThreadId::parse(text).is_some(),
            "recipient.txt" if in_threads => text.starts_with("age1") && text.len() == 62,
            "form" if in_threads => ["asylum-help", "contact", "intake"].contains(&text),
            "created" | "person" | "staff" | "deleted" if in_threads => {
                !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
            }
            _ => false,
        }
    }

    /// Asserts nothing but token.key and the reply salt exists under the data dir.
    pub fn assert_nothing_written(&self) {
        let files = self.all_files();
        assert!(files.is_empty(), "expected no files, found {files:?}");
    }

    pub fn decrypt(&self, path: &Path) -> Vec<u8> {
        decrypt_with(&self.identity, &std::fs::read(path).unwrap())
    }

    /// Decrypts an entry's envelope, parsed as JSON (trailing padding is whitespace).
    pub fn envelope(&self, entry: &Path) -> serde_json::Value {
        let plain = self.decrypt(&entry.join("envelope.age"));
        assert_eq!(plain.len() % 1024, 0, "envelope plaintext must be padded to 1024-byte blocks");
        serde_json::from_slice(&plain).unwrap()
    }

    /// Writes the fixture's identity as `identity.txt` (age-keygen format) and returns its path.
    pub fn write_identity_file(&self) -> PathBuf {
        let path = self.dir.path().join("identity.txt");
        write_identity(&path, None, &[&self.identity]);
        path
    }
}

/// Writes `keys` as an identity file at `path` (age-keygen format: an optional `# comment` line,
/// then one secret key a line).
pub fn write_identity(path: &Path, comment: Option<&str>, keys: &[&age::x25519::Identity]) {
    let mut text: String = comment.map(|c| format!("# {c}\n")).unwrap_or_default();
    for key in keys {
        text.push_str(key.to_string().expose_secret());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// Decrypts binary age `ciphertext` with `identity`.
pub fn decrypt_with(identity: &age::x25519::Identity, ciphertext: &[u8]) -> Vec<u8> {
    let decryptor = age::Decryptor::new_buffered(ciphertext).unwrap();
    let mut reader = decryptor.decrypt(std::iter::once(identity as &dyn age::Identity)).unwrap();
    let mut out = Vec::new();
    reader.read_to_end(&mut out).unwrap();
    out
}

/// The SHA-256 of `bytes` in lower-case hex, as the envelope, the listing and `ack.sha256` write it.
pub fn hex_sha256(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

pub const PEER: &str = "127.0.0.1:40000";

/// Sends a request through the router as if from `peer`.
pub async fn send_from(
    app: &Arc<sealpost::http::App>,
    peer: &str,
    req: Request<Body>,
) -> (StatusCode, http::HeaderMap, String) {
    let mut req = req;
    req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer.parse().unwrap()));
    let response: Response<Body> = sealpost::http::router(app.clone()).oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

pub async fn send(app: &Arc<sealpost::http::App>, req: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
    send_from(app, PEER, req).await
}

pub async fn get(app: &Arc<sealpost::http::App>, path: &str) -> (StatusCode, http::HeaderMap, String) {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}

/// Fetches the form page and returns its timing token.
pub async fn token(app: &Arc<sealpost::http::App>, form: &str) -> String {
    let (status, _, page) = get(app, &format!("/{form}")).await;
    assert_eq!(status, StatusCode::OK);
    extract_token(&page)
}

/// The timing token in a form page.
pub fn extract_token(page: &str) -> String {
    let start = page.find("name=\"_token\" value=\"").expect("form has a token") + "name=\"_token\" value=\"".len();
    page[start..].split('"').next().unwrap().to_string()
}

/// One multipart part.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File { name: &'a str, file_name: &'a str, media_type: &'a str, bytes: &'a [u8] },
}

/// A file part for the asylum form's `documents` field.
pub fn document<'a>(file_name: &'a str, media_type: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part::File { name: "documents", file_name, media_type, bytes }
}

/// The Content-Type of a [`multipart`] body.
pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File { name, file_name, media_type, bytes } => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {media_type}\r\n\r\n")
                        .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A [`multipart`] body without its closing boundary, as an upload still under way looks.
pub fn multipart_unfinished(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = multipart(parts);
    body.truncate(body.len() - BOUNDARY.len() - 6); // `--BOUNDARY--\r\n`
    body
}

pub fn multipart_request(path: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header("content-type", multipart_type())
        .header("content-length", body.len())
        .body(Body::from(body))
        .unwrap()
}

/// A multipart POST whose `body` streams in, with no Content-Length (as chunked uploads come).
pub fn multipart_stream_request(path: &str, body: Body) -> Request<Body> {
    Request::post(path).header("content-type", multipart_type()).body(body).unwrap()
}

pub fn urlencoded_request(path: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    let body: String = pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", body.len())
        .body(Body::from(body))
        .unwrap()
}

pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A complete, valid asylum-help submission (text parts) with `token`.
pub fn asylum_parts<'a>(token: &'a str, message: &'a str) -> Vec<Part<'a>> {
    vec![
        Part::Text("_token", token),
        Part::Text("_homepage", ""),
        Part::Text("name", "Ana"),
        Part::Text("contact_method", "signal"),
        Part::Text("contact", "+44 7700 900123"),
        Part::Text("language", "Spanish"),
        Part::Text("location", "Calais, France"),
        Part::Text("deadline", "Court hearing on 3 December"),
        Part::Text("message", message),
        Part::Text("consent", "yes"),
    ]
}

/// A valid contact-form submission as urlencoded pairs.
pub fn contact_pairs<'a>(token: &'a str, message: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("_token", token), ("_homepage", ""), ("name", "Sam"), ("email", "sam@example.org"), ("message", message)]
}
