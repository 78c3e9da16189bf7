//! Outside peers for the notification and metrics tests: a Python interpreter that has a given
//! module (aiosmtpd, prometheus_client), a real SMTP server run through it, and an HTTPS webhook
//! receiver with a scripted list of answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use super::bins::peer_missing;
use super::tls::Leaf;

/// The folder of the peers' Python scripts.
pub fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/peers")
}

/// A Python interpreter that can import `module`: `python3` on PATH, else Debian's
/// `/usr/bin/python3` (where `.ci/run` installs `python3-<package>`). Missing: fails under
/// SEALPOST_REQUIRE_PEERS=1, else a loud skip and `None`.
pub fn python_with(module: &str, package: &str) -> Option<PathBuf> {
    for python in ["python3", "/usr/bin/python3"] {
        let imports = Command::new(python)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if imports {
            return Some(PathBuf::from(python));
        }
    }
    peer_missing(
        &format!("no python3 can import {module} and SEALPOST_REQUIRE_PEERS=1; .ci/run installs {package}"),
        &format!("no python3 can import {module}; install {package} (Debian) to run this test"),
    );
    None
}

/// How the SMTP peer protects its connections.
#[derive(Clone, Copy)]
pub enum SmtpMode {
    StartTls,
    Implicit,
    Plain,
}

/// A running aiosmtpd on 127.0.0.1, writing what it receives into a folder.
pub struct SmtpPeer {
    child: Child,
    pub port: u16,
    pub out: tempfile::TempDir,
}

impl SmtpPeer {
    /// Starts aiosmtpd in `mode` with `leaf` as its certificate, accepting AUTH as `user` /
    /// `password`; `None` when the peer is missing (and not required).
    pub fn start(mode: SmtpMode, leaf: &Leaf, user: &str, password: &str) -> Option<SmtpPeer> {
        let python = python_with("aiosmtpd", "python3-aiosmtpd")?;
        let files = tempfile::tempdir().unwrap();
        let (cert, key) = leaf.write(files.path());
        let out = tempfile::tempdir().unwrap();
        let port = super::server::free_port();
        let mode = match mode {
            SmtpMode::StartTls => "starttls",
            SmtpMode::Implicit => "implicit",
            SmtpMode::Plain => "plain",
        };
        let mut child = Command::new(python)
            .arg(scripts().join("smtp_server.py"))
            .args([mode, &port.to_string()])
            .args([&cert, &key])
            .args([user, password])
            .arg(out.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert_eq!(first.trim(), "READY", "aiosmtpd did not start");
        // The certificate files must outlive the server's start only.
        drop(files);
        Some(SmtpPeer { child, port, out })
    }

    /// Every message received so far, in order: (raw DATA, envelope JSON).
    pub fn messages(&self) -> Vec<(String, serde_json::Value)> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.out.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|eml| {
                let meta = std::fs::read_to_string(eml.with_extension("json")).unwrap();
                (std::fs::read_to_string(&eml).unwrap(), serde_json::from_str(&meta).unwrap())
            })
            .collect()
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request a webhook receiver got.
#[derive(Debug, Clone)]
pub struct Hook {
    pub head: String,
    pub body: Vec<u8>,
}

impl Hook {
    /// A header's value (names compared without case).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// An HTTPS receiver on 127.0.0.1 that answers each request with the next status of a script
/// (the last one repeats) and keeps every request.
pub struct WebhookReceiver {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Hook>>>,
}

impl WebhookReceiver {
    pub fn start(leaf: &Leaf, statuses: &[u16]) -> WebhookReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let config = leaf.server_config();
        let received = Arc::new(Mutex::new(Vec::new()));
        let (seen, statuses) = (received.clone(), statuses.to_vec());
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { return };
                let Ok(connection) = rustls::ServerConnection::new(config.clone()) else { return };
                let mut tls = rustls::StreamOwned::new(connection, stream);
                let Some(hook) = read_request(&mut tls) else { continue };
                seen.lock().unwrap().push(hook);
                let status = statuses.get(n).or(statuses.last()).copied().unwrap_or(200);
                let _ = write!(tls, "HTTP/1.1 {status} Scripted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        WebhookReceiver { addr, received }
    }

    pub fn hooks(&self) -> Vec<Hook> {
        self.received.lock().unwrap().clone()
    }
}

fn read_request(stream: &mut impl Read) -> Option<Hook> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let hook = Hook { head, body: Vec::new() };
    let length: usize = hook.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Hook { body, ..hook })
}
