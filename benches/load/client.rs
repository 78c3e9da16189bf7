//! The simulated browsers: keep-alive HTTP/1.1 connections that GET the form and POST a 2 KiB
//! submission, run back to back (closed loop: throughput and latency at a fixed concurrency) or
//! at a steady rate (open loop: latency from when each submission was due).

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::sync::Mutex;

use crate::common::message_text;
use crate::{PACED_WORKERS, Res};

/// A request or response body the browsers send: whole, or streamed from disk for uploads.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// One browser's keep-alive HTTP/1.1 connection.
pub struct Browser {
    sender: http1::SendRequest<Body>,
}

impl Browser {
    pub async fn connect(addr: SocketAddr) -> Res<Browser> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Browser { sender })
    }

    pub async fn send(&mut self, request: Request<Body>) -> Res<(StatusCode, Bytes)> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    pub async fn get(&mut self, path: &str) -> Res<(StatusCode, Bytes)> {
        let request = Request::get(path).header(header::HOST, "127.0.0.1").body(empty())?;
        self.send(request).await
    }

    /// GETs the form page and returns its timing token.
    pub async fn token(&mut self, form: &str) -> Res<String> {
        let (status, page) = self.get(&format!("/{form}")).await?;
        if status != StatusCode::OK {
            return Err(format!("GET /{form} answered {status}").into());
        }
        let page = std::str::from_utf8(&page)?;
        let marker = "name=\"_token\" value=\"";
        let start = page.find(marker).ok_or("the form page has no token")? + marker.len();
        Ok(page[start..].split('"').next().unwrap_or_default().to_string())
    }

    /// What a browser does for one submission: GET the form, POST it back; 303 is success.
    async fn submit(&mut self, fields: &str) -> Res<()> {
        let token = self.token("contact").await?;
        let body = format!("_token={}{fields}", urlencode(&token));
        let request = Request::post("/contact")
            .header(header::HOST, "127.0.0.1")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::CONTENT_LENGTH, body.len())
            .body(full(body))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        // A handle to a receipt in the address: the submission got one from the pool.
        let with_receipt =
            response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).is_some_and(|l| l.contains("&r="));
        response.into_body().collect().await?;
        match status {
            StatusCode::SEE_OTHER => {
                RECEIPTS.fetch_add(u64::from(with_receipt), std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
            status => Err(format!("POST /contact answered {status}").into()),
        }
    }
}

/// Submissions accepted with a receipt, over the whole run.
pub static RECEIPTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn empty() -> Body {
    full(Bytes::new())
}

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The urlencoded form fields after the token.
pub fn message_field() -> String {
    format!("&_homepage=&name=Bench&email=bench%40example.org&message={}", message_text().replace(' ', "+"))
}

pub async fn wait_healthy(addr: SocketAddr) -> Res<()> {
    let mut browser = Browser::connect(addr).await?;
    match browser.get("/healthz").await? {
        (StatusCode::OK, _) => Ok(()),
        (status, _) => Err(format!("/healthz answered {status}").into()),
    }
}

/// Latencies of one run, and how long it took.
pub struct Load {
    /// Successful submissions' latencies in microseconds, sorted.
    micros: Vec<u64>,
    pub errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
}

impl Load {
    pub fn from(results: Vec<(Vec<u64>, u64, Option<String>)>, elapsed: Duration) -> Load {
        let mut micros = Vec::new();
        let mut errors = 0;
        let mut first_error = None;
        for (lat, err, first) in results {
            micros.extend(lat);
            errors += err;
            first_error = first_error.or(first);
        }
        micros.sort_unstable();
        Load { micros, errors, first_error, elapsed }
    }

    /// Runs of the same kind, one after another, as one.
    pub fn merge(runs: Vec<Load>) -> Load {
        let elapsed = runs.iter().map(|r| r.elapsed).sum();
        let results = runs.into_iter().map(|r| (r.micros, r.errors, r.first_error)).collect();
        Load::from(results, elapsed)
    }

    /// Submissions that succeeded.
    pub fn count(&self) -> usize {
        self.micros.len()
    }

    pub fn rate(&self) -> f64 {
        self.micros.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.micros.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.micros.len() as f64).ceil() as usize;
        Duration::from_micros(self.micros[rank.clamp(1, self.micros.len()) - 1])
    }
}

/// One load task's results.
#[derive(Default)]
struct Tally {
    /// Successful submissions' latencies in microseconds.
    latencies: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    /// One submission, timed from `since`. A failure is counted and the browser reconnects;
    /// false when it cannot.
    async fn submit(&mut self, browser: &mut Browser, addr: SocketAddr, fields: &str, since: Instant) -> bool {
        match browser.submit(fields).await {
            Ok(()) => self.latencies.push(since.elapsed().as_micros() as u64),
            Err(e) => {
                self.failed(e.as_ref());
                match Browser::connect(addr).await {
                    Ok(b) => *browser = b,
                    Err(_) => return false,
                }
            }
        }
        true
    }

    fn failed(&mut self, error: &(dyn Error + Send + Sync)) {
        self.errors += 1;
        self.first_error.get_or_insert(error.to_string());
    }

    fn into_parts(self) -> (Vec<u64>, u64, Option<String>) {
        (self.latencies, self.errors, self.first_error)
    }
}

/// `clients` browsers submitting back to back for `duration`.
pub async fn closed_loop(addr: SocketAddr, clients: usize, duration: Duration, fields: &str) -> Res<Load> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let fields = fields.to_string();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut browser = match Browser::connect(addr).await {
                Ok(b) => b,
                Err(e) => {
                    tally.failed(e.as_ref());
                    return tally.into_parts();
                }
            };
            while Instant::now() < deadline {
                if !tally.submit(&mut browser, addr, &fields, Instant::now()).await {
                    break;
                }
            }
            tally.into_parts()
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await?);
    }
    let load = Load::from(results, start.elapsed());
    if load.micros.is_empty() {
        return Err(format!("no submission succeeded: {}", load.first_error.unwrap_or_default()).into());
    }
    Ok(load)
}

/// Submissions arriving at a steady `rate` for `duration`; latency counts from when each was due.
pub async fn paced(addr: SocketAddr, rate: f64, duration: Duration, fields: &str) -> Res<Load> {
    let count = (rate * duration.as_secs_f64()).max(1.0) as u64;
    let (tx, rx) = tokio::sync::mpsc::channel::<Instant>(count as usize);
    let rx = Arc::new(Mutex::new(rx));
    let mut workers = Vec::new();
    for _ in 0..PACED_WORKERS {
        let (rx, fields) = (rx.clone(), fields.to_string());
        let mut browser = Browser::connect(addr).await?;
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            loop {
                let Some(due) = rx.lock().await.recv().await else { break };
                if !tally.submit(&mut browser, addr, &fields, due).await {
                    break;
                }
            }
            tally.into_parts()
        }));
    }
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate);
    for i in 0..count {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        tx.send(due).await?;
    }
    drop(tx);
    let mut results = Vec::new();
    for worker in workers {
        results.push(worker.await?);
    }
    Ok(Load::from(results, start.elapsed()))
}
