//! A real `sealpost serve` process on 127.0.0.1:0 and a tiny blocking HTTP/1.1 client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    pub fn start(config: &std::path::Path) -> Server {
        Server::start_wrapped(&[], config)
    }

    /// Starts `sealpost serve` through `wrapper` (e.g. `["prlimit", "--core=…", "--"]`), which
    /// must exec the command so the child's pid is the server's.
    pub fn start_wrapped(wrapper: &[&str], config: &std::path::Path) -> Server {
        Server::start_binary(std::path::Path::new(env!("CARGO_BIN_EXE_sealpost")), wrapper, config)
    }

    /// Like [`Server::start_wrapped`], running `binary` (e.g. a copy another user can read).
    pub fn start_binary(binary: &std::path::Path, wrapper: &[&str], config: &std::path::Path) -> Server {
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

/// Sends raw bytes and reads the whole response (the request should say `Connection: close`).
pub fn raw(addr: SocketAddr, request: &[u8]) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request)?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out)?;
    parse(&out)
}

pub fn parse(out: &[u8]) -> std::io::Result<Reply> {
    let text = String::from_utf8_lossy(out).into_owned();
    let (head, body) =
        text.split_once("\r\n\r\n").ok_or_else(|| std::io::Error::other(format!("no response head in {text:?}")))?;
    let status =
        head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| std::io::Error::other("bad status line"))?;
    Ok(Reply { status, head: head.to_string(), body: body.to_string() })
}

pub fn get(addr: SocketAddr, path: &str, extra: &str) -> std::io::Result<Reply> {
    raw(addr, format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n").as_bytes())
}

pub fn post(addr: SocketAddr, path: &str, content_type: &str, body: &[u8], extra: &str) -> std::io::Result<Reply> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    raw(addr, &req)
}

pub fn token(addr: SocketAddr, form: &str) -> String {
    let reply = get(addr, &format!("/{form}"), "").unwrap();
    assert_eq!(reply.status, 200);
    super::extract_token(&reply.body)
}

pub fn urlencoded(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs.iter().map(|(k, v)| format!("{}={}", super::enc(k), super::enc(v))).collect::<Vec<_>>().join("&").into_bytes()
}
