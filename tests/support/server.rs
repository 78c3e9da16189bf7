//! The servers tests talk to over sockets: a real `sealpost serve` process on 127.0.0.1:0 with a
//! tiny blocking HTTP/1.1 client, and the in-process server the staff tests drive (they need its
//! spool, its recipient reload and its log in the test process).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sealpost::http::App;
use sealpost::seal::Recipients;
use sealpost_format::envelope::{AttachmentMeta, Envelope, EnvelopeField};

use super::bins::sealpost_binary;
use super::fixture::{Options, Part, contact_pairs, enc, extract_token, multipart, multipart_type, write_config};

// ───────────────────────────── a real `sealpost serve` process ─────────────────────────────

/// A running server process; killed on drop.
pub struct Server {
    pub child: Child,
    /// The main listener's TCP address (0.0.0.0:0 when it is a unix socket).
    pub addr: SocketAddr,
    /// The main listener as logged: `127.0.0.1:PORT` or `unix:/path`.
    pub listen: String,
    /// Every line the server wrote to stderr (its log).
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(config: &Path) -> Server {
        Server::start_wrapped(&[], config)
    }

    /// Starts `sealpost serve` through `wrapper` (e.g. `["prlimit", "--core=…", "--"]`), which
    /// must exec the command so the child's pid is the server's.
    pub fn start_wrapped(wrapper: &[&str], config: &Path) -> Server {
        Server::start_binary(sealpost_binary(), wrapper, config)
    }

    /// Like [`Server::start_wrapped`], running `binary` (e.g. a copy another user can read).
    pub fn start_binary(binary: &Path, wrapper: &[&str], config: &Path) -> Server {
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(binary);
                c
            }
            None => Command::new(binary),
        };
        let mut child = command
            .args(["serve", "--config"])
            .arg(config)
            .env("SEALPOST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.split("address=").nth(1) {
                    let _ = tx.send(addr.trim().to_string());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let Ok(listen) = rx.recv_timeout(Duration::from_secs(20)) else {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(100));
            panic!("server did not report its address; log:\n{}", log.lock().unwrap().join("\n"));
        };
        let addr = listen.parse().unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
        Server { child, addr, listen, log }
    }

    /// Waits up to `timeout` for `count` log lines containing `needle`; returns the last one.
    pub fn wait_for_log(&self, needle: &str, count: usize, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let matching: Vec<String> =
                self.log.lock().unwrap().iter().filter(|l| l.contains(needle)).cloned().collect();
            if matching.len() >= count {
                return matching.last().cloned().unwrap_or_default();
            }
            assert!(Instant::now() < deadline, "no {count} log line(s) with {needle:?}; log:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The address of the listener logged as `<label> listening address=…`.
    pub fn listener(&self, label: &str) -> SocketAddr {
        let line = self.wait_for_log(&format!("{label} listening address="), 1, Duration::from_secs(10));
        line.split("address=").nth(1).unwrap().trim().parse().unwrap()
    }

    /// Sends `signal` (e.g. "HUP") to the server.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([&format!("-{signal}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ───────────────────────────── a blocking HTTP/1.1 client ─────────────────────────────

/// A parsed response.
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// A port on 127.0.0.1 that was free a moment ago (another process may take it before it is used).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A blocking TCP connection to `addr` from the local address `source` (any of 127.0.0.0/8 on
/// Linux), so the server or a proxy in front sees a distinct client; reads wait `patience`.
pub fn tcp_from(source: std::net::IpAddr, addr: SocketAddr, patience: Duration) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let tcp = runtime
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(SocketAddr::new(source, 0))?;
            socket.connect(addr).await
        })
        .unwrap()
        .into_std()
        .unwrap();
    tcp.set_nonblocking(false).unwrap();
    tcp.set_read_timeout(Some(patience)).unwrap();
    tcp
}

/// Sends `request` on `stream` and reads the whole response (the request should say
/// `Connection: close`).
pub fn exchange(mut stream: impl Read + Write, request: &[u8]) -> std::io::Result<Reply> {
    stream.write_all(request)?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out)?;
    parse(&out)
}

/// Sends raw bytes and reads the whole response (the request should say `Connection: close`).
pub fn raw(addr: SocketAddr, request: &[u8]) -> std::io::Result<Reply> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    exchange(stream, request)
}

pub fn parse(out: &[u8]) -> std::io::Result<Reply> {
    let text = String::from_utf8_lossy(out).into_owned();
    let (head, body) =
        text.split_once("\r\n\r\n").ok_or_else(|| std::io::Error::other(format!("no response head in {text:?}")))?;
    let status =
        head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| std::io::Error::other("bad status line"))?;
    Ok(Reply { status, head: head.to_string(), body: body.to_string() })
}

/// A GET request with `extra` header lines (each ending in CRLF) and `Connection: close`.
pub fn get_request(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n").into_bytes()
}

/// A POST request head announcing `length` bytes, with `extra` header lines (each ending in CRLF).
pub fn post_head(path: &str, content_type: &str, length: usize, extra: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n{extra}Connection: close\r\n\r\n"
    )
    .into_bytes()
}

/// A whole POST request: [`post_head`] and `body`.
pub fn post_request(path: &str, content_type: &str, body: &[u8], extra: &str) -> Vec<u8> {
    let mut request = post_head(path, content_type, body.len(), extra);
    request.extend_from_slice(body);
    request
}

pub fn get(addr: SocketAddr, path: &str, extra: &str) -> std::io::Result<Reply> {
    raw(addr, &get_request(path, extra))
}

pub fn post(addr: SocketAddr, path: &str, content_type: &str, body: &[u8], extra: &str) -> std::io::Result<Reply> {
    raw(addr, &post_request(path, content_type, body, extra))
}

pub fn token(addr: SocketAddr, form: &str) -> String {
    let reply = get(addr, &format!("/{form}"), "").unwrap();
    assert_eq!(reply.status, 200);
    extract_token(&reply.body)
}

pub fn urlencoded(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&").into_bytes()
}

/// Submits one fresh page of the contact form at `addr` with `message`; returns the status.
pub fn submit_contact(addr: SocketAddr, message: &str) -> u16 {
    let body = urlencoded(&contact_pairs(&token(addr, "contact"), message));
    post(addr, "/contact", "application/x-www-form-urlencoded", &body, "").unwrap().status
}

// ───────────────────────────── the in-process server ─────────────────────────────

/// What the in-process server's config says.
pub struct Setup<'a> {
    /// Public keys on the `contact` form's list.
    pub contact: Vec<&'a str>,
    /// Public keys on the `asylum-help` form's list.
    pub legal: Vec<&'a str>,
    /// `limits.per_client`.
    pub per_client: &'static str,
    /// `limits.global`.
    pub global: &'static str,
    /// `server.trusted_proxies`.
    pub trusted_proxies: &'static str,
    /// Extra lines for `[staff]`.
    pub staff: &'static str,
}

/// Two small forms, each with a recipients file of its own, so staff can be split by form.
const STAFF_FORMS: &str = r#"[[form]]
id = "contact"
recipients = "contact.txt"
fields = [
  { name = "name", kind = "text" },
  { name = "message", kind = "textarea", required = true },
]

[[form]]
id = "asylum-help"
recipients = "legal.txt"
fields = [
  { name = "name", kind = "text" },
  { name = "message", kind = "textarea", required = true },
  { name = "documents", kind = "file", max_files = 5, max_size = "2 MiB" },
]
"#;

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

    /// Writes the recipients files and the config into `dir`; returns the config's path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let keys = |list: &[&str]| {
            if list.is_empty() {
                // A key nobody holds, so the form still has a valid recipients file.
                age::x25519::Identity::generate().to_public().to_string() + "\n"
            } else {
                list.join("\n") + "\n"
            }
        };
        std::fs::write(dir.join("contact.txt"), keys(&self.contact)).unwrap();
        std::fs::write(dir.join("legal.txt"), keys(&self.legal)).unwrap();
        let options = Options {
            max_body: "4 MiB",
            max_spool: "4 GiB",
            per_client: self.per_client,
            global: self.global,
            trusted_proxies: self.trusted_proxies,
            ..Options::DEFAULT
        };
        write_config(dir, &options, Some(&format!("locale = \"en\"\n{}", self.staff)), STAFF_FORMS)
    }
}

/// A sealpost served by this process on 127.0.0.1:0, on a runtime of its own.
pub struct InProcess {
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

impl InProcess {
    pub fn start(setup: Setup<'_>) -> InProcess {
        let dir = tempfile::tempdir().unwrap();
        let path = setup.write(dir.path());
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
        InProcess { dir, addr, staff_addr, app, runtime, http, stop: Some(stop), tasks }
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

    /// The envelope file of submission `id` of `form`.
    pub fn envelope_path(&self, form: &str, id: &str) -> PathBuf {
        self.ready().join(form).join(id).join("envelope.age")
    }

    /// When the envelope of submission `id` of `form` was last written.
    pub fn envelope_time(&self, form: &str, id: &str) -> std::time::SystemTime {
        std::fs::metadata(self.envelope_path(form, id)).unwrap().modified().unwrap()
    }

    /// Sets the envelope time of submission `id` of `form`, which orders the listing (file times
    /// are as coarse as the kernel's tick, so tests that need an order set it).
    pub fn set_envelope_time(&self, form: &str, id: &str, time: std::time::SystemTime) {
        let file = std::fs::File::options().write(true).open(self.envelope_path(form, id)).unwrap();
        file.set_modified(time).unwrap();
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
                    kind: (version >= 2).then(|| "text".to_string()),
                    value: value.to_string(),
                    choices: Vec::new(),
                })
                .collect(),
            attachments: metas,
            reply: None,
            follow_up: false,
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
        extract_token(&html)
    }

    /// Submits a multipart form over HTTP (files as `(field, file name, bytes)`, sent as PDFs);
    /// returns the status.
    pub fn submit(&self, form: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> u16 {
        let token = self.form_token(form);
        let mut parts = vec![Part::Text("_token", &token)];
        parts.extend(fields.iter().map(|(name, value)| Part::Text(name, value)));
        parts.extend(files.iter().map(|(name, file_name, bytes)| Part::File {
            name,
            file_name,
            media_type: "application/pdf",
            bytes,
        }));
        let body = multipart(&parts);
        self.block_on(async {
            self.client()
                .post(format!("{}/{form}", self.url()))
                .header("content-type", multipart_type())
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        drop(self.stop.take());
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}
