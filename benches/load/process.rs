//! The server under test as a child process, and what the benchmark reads about it from `/proc`:
//! resident memory (now and peak), CPU time; plus the open-file limit the idle phase needs.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::Res;

/// A release-built `sealpost serve` (cargo builds the bench profile's binaries before benches).
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    /// The server's data folder (the spool lives under it).
    pub data: PathBuf,
}

impl ServerProcess {
    pub fn start(config: &Path) -> Res<ServerProcess> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sealpost"))
            .args(["serve", "--config"])
            .arg(config)
            .env("SEALPOST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the log for the address, then keeps draining it so the server never blocks.
        std::thread::spawn(move || {
            let mut early = Vec::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.split("address=").nth(1) {
                    let _ = tx.send(Ok(addr.trim().to_string()));
                } else if early.len() < 50 {
                    early.push(line);
                }
            }
            let _ = tx.send(Err(early.join("\n")));
        });
        let data = config.parent().ok_or("config has no folder")?.join("data");
        let listen = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Ok(listen)) => listen,
            Ok(Err(log)) => return Err(format!("the server exited:\n{log}").into()),
            Err(_) => return Err("the server did not report its address within 20 s".into()),
        };
        let addr = listen.parse()?;
        Ok(ServerProcess { child, addr, data })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
pub fn rss_kib(pid: u32, field: &str) -> Res<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with(field)).ok_or("no such field in /proc status")?;
    Ok(line.split_whitespace().nth(1).ok_or("malformed /proc status")?.parse()?)
}

/// User plus system CPU seconds the process has used (counted in 10 ms ticks: USER_HZ is 100).
pub fn cpu_secs(pid: u32) -> Res<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after_name = stat.rsplit(')').next().ok_or("malformed /proc stat")?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11).ok_or("short /proc stat")?.parse::<u64>()?
        + fields.get(12).ok_or("short /proc stat")?.parse::<u64>()?;
    Ok(ticks as f64 / 100.0)
}

/// Resets the process's peak RSS (VmHWM) to its current RSS.
pub fn reset_peak_rss(pid: u32) -> Res<()> {
    fs::write(format!("/proc/{pid}/clear_refs"), "5")?;
    Ok(())
}

/// Raises this process's open-file limit to hold `connections` and some to spare.
pub fn raise_fd_limit(connections: usize) -> Res<()> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    let want = (connections + 1000) as u64;
    if limit.current.is_some_and(|c| c >= want) {
        return Ok(());
    }
    if limit.maximum.is_some_and(|m| m < want) {
        return Err(
            format!("the open-file limit is {:?}; the benchmark needs {want} (ulimit -n)", limit.maximum).into()
        );
    }
    limit.current = Some(want);
    setrlimit(Resource::Nofile, limit)?;
    Ok(())
}

/// The first `program` on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(program)).find(|p| p.is_file())
}
