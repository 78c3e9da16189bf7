//! Status checks (DESIGN §7, §10): people typing their receipt, as fast as the server lets them.
//! Each check derives a receipt's keys (Argon2id, 19 MiB); at most
//! [`sealpost::reply::MAX_DERIVATIONS`] run at once and the rest get the busy page, so the rate
//! of completed checks at that bound, and the server's peak RSS meanwhile, are what matter.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http::{Request, StatusCode, header};

use crate::Res;
use crate::client::Browser;
use crate::process::{ServerProcess, reset_peak_rss, rss_kib};

/// Clients asking at once: twice the bound, so it is always full.
const CLIENTS: usize = 2 * sealpost::reply::MAX_DERIVATIONS;

/// What the status checks measured.
pub struct StatusLoad {
    /// Checks answered after a derivation (the page for an unknown receipt), per second.
    pub rate: f64,
    /// Checks answered with the busy page, per second.
    pub busy_rate: f64,
    /// The server's peak RSS during the run, KiB.
    pub peak_rss_kib: u64,
}

pub async fn measure(config: &std::path::Path, duration: Duration) -> Res<StatusLoad> {
    let server = ServerProcess::start(config)?;
    crate::client::wait_healthy(server.addr).await?;
    reset_peak_rss(server.pid())?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move { ask(addr, start + duration).await }));
    }
    let (mut done, mut busy) = (0u64, 0u64);
    for task in tasks {
        let (d, b) = task.await??;
        done += d;
        busy += b;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let peak_rss_kib = rss_kib(server.pid(), "VmHWM")?;
    if done == 0 {
        return Err("no status check completed".into());
    }
    Ok(StatusLoad { rate: done as f64 / elapsed, busy_rate: busy as f64 / elapsed, peak_rss_kib })
}

/// One client checking well-formed receipts nobody holds until `deadline`: (completed, busy).
async fn ask(addr: SocketAddr, deadline: Instant) -> Res<(u64, u64)> {
    let mut browser = Browser::connect(addr).await?;
    let (mut done, mut busy) = (0, 0);
    while Instant::now() < deadline {
        let body = format!("receipt={}", sealpost::reply::Receipt::random().to_groups().replace(' ', "+"));
        let request = Request::post("/status")
            .header(header::HOST, "127.0.0.1")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::CONTENT_LENGTH, body.len())
            .body(crate::client::full(body))?;
        match browser.send(request).await?.0 {
            StatusCode::NOT_FOUND => done += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                // A person would wait; a client hammering the busy page measures nothing.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            status => return Err(format!("POST /status answered {status}").into()),
        }
    }
    Ok((done, busy))
}
