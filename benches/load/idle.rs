//! Memory at rest: the server's RSS just after start (one request served), and with 10 000
//! keep-alive connections open and idle, each having made one request.

use std::error::Error;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use http::StatusCode;

use crate::Res;
use crate::client::{Browser, wait_healthy};
use crate::process::{ServerProcess, rss_kib};

/// Idle keep-alive connections held open for the memory measurement (DESIGN §7's figure).
pub const IDLE_CONNECTIONS: usize = 10_000;
/// Connections opened at once while building up the idle set.
const CONNECT_BATCH: usize = 250;

/// The server's RSS at rest, without and with the idle connections.
pub struct IdleMemory {
    pub rss_kib: u64,
    pub with_connections_rss_kib: u64,
}

/// Starts a fresh server, reads its idle RSS, then its RSS with [`IDLE_CONNECTIONS`] idle
/// connections; stops it.
pub async fn measure(config: &Path) -> Res<IdleMemory> {
    let server = ServerProcess::start(config)?;
    wait_healthy(server.addr).await?;
    let rss_kib = rss_kib(server.pid(), "VmRSS")?;
    eprintln!("idle RSS {rss_kib} KiB; opening {IDLE_CONNECTIONS} idle keep-alive connections");
    let with_connections_rss_kib = idle_connections(server.addr, server.pid()).await?;
    Ok(IdleMemory { rss_kib, with_connections_rss_kib })
}

/// Opens [`IDLE_CONNECTIONS`] connections, each having made one request, and returns the
/// server's RSS while they all sit idle.
async fn idle_connections(addr: SocketAddr, pid: u32) -> Res<u64> {
    let mut idle = Vec::with_capacity(IDLE_CONNECTIONS);
    while idle.len() < IDLE_CONNECTIONS {
        let batch = CONNECT_BATCH.min(IDLE_CONNECTIONS - idle.len());
        let opened = futures_util::future::join_all((0..batch).map(|_| async move {
            let mut browser = Browser::connect(addr).await?;
            match browser.get("/static/sealpost.css").await? {
                (StatusCode::OK, _) => Ok::<_, Box<dyn Error + Send + Sync>>(browser),
                (status, _) => Err(format!("GET /static/sealpost.css answered {status}").into()),
            }
        }))
        .await;
        for browser in opened {
            idle.push(browser?);
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = rss_kib(pid, "VmRSS")?;
    drop(idle);
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(rss)
}
