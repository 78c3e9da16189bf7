//! The machine's durable-write baseline, no HTTP and no crypto: the create + write + fsync +
//! rename + directory fsync sequence the spool's commit rests on, at a fixed number of writers
//! (the limit) and at a steady rate (the disk's own latency tail).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Load;
use crate::{PACED_WORKERS, Res};

/// The sequence the spool's commit rests on, bare: create `name` in `incoming`, write `payload`,
/// fsync it, rename it into `ready` and fsync `ready`.
fn durable_write(incoming: &Path, ready: &Path, name: &str, payload: &[u8]) -> std::io::Result<()> {
    let from = incoming.join(name);
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&from)?;
    file.write_all(payload)?;
    file.sync_all()?;
    fs::rename(&from, ready.join(name))?;
    File::open(ready)?.sync_all()
}

/// The machine's durable-write limit at `writers`: each writer creates a file of `size` bytes,
/// writes it, fsyncs it, renames it into another directory and fsyncs that directory.
pub fn durable_limit(dir: &Path, writers: usize, size: usize, duration: Duration) -> Res<(f64, Vec<u64>)> {
    let incoming = dir.join("incoming");
    let ready = dir.join("ready");
    fs::create_dir_all(&incoming)?;
    fs::create_dir_all(&ready)?;
    let payload: Arc<Vec<u8>> = Arc::new((0..size).map(|i| (i * 131 % 251) as u8).collect());
    let start = Instant::now();
    let deadline = start + duration;
    let threads: Vec<_> = (0..writers)
        .map(|writer| {
            let (incoming, ready, payload) = (incoming.clone(), ready.clone(), payload.clone());
            std::thread::spawn(move || -> std::io::Result<Vec<u64>> {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    durable_write(&incoming, &ready, &format!("{writer}-{}", latencies.len()), &payload)?;
                    latencies.push(t.elapsed().as_micros() as u64);
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    for thread in threads {
        all.extend(thread.join().map_err(|_| "a writer thread panicked")??);
    }
    Ok((all.len() as f64 / start.elapsed().as_secs_f64(), all))
}

/// The durable-write sequence started at a steady `rate` for `duration` by a pool of writers;
/// latency counts from when each write was due.
pub fn paced_durable(dir: &Path, rate: f64, duration: Duration, size: usize) -> Res<Load> {
    let incoming = dir.join("incoming");
    let ready = dir.join("ready");
    fs::create_dir_all(&incoming)?;
    fs::create_dir_all(&ready)?;
    let payload: Arc<Vec<u8>> = Arc::new((0..size).map(|i| (i * 131 % 251) as u8).collect());
    let (tx, rx) = std::sync::mpsc::channel::<(u64, Instant)>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let writers: Vec<_> = (0..PACED_WORKERS)
        .map(|_| {
            let (incoming, ready, payload, rx) = (incoming.clone(), ready.clone(), payload.clone(), rx.clone());
            std::thread::spawn(move || -> std::io::Result<Vec<u64>> {
                let mut latencies = Vec::new();
                loop {
                    let next = rx.lock().map_err(|_| std::io::Error::other("poisoned"))?.recv();
                    let Ok((n, due)) = next else { break };
                    durable_write(&incoming, &ready, &n.to_string(), &payload)?;
                    latencies.push(due.elapsed().as_micros() as u64);
                }
                Ok(latencies)
            })
        })
        .collect();
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let count = (rate * duration.as_secs_f64()).max(1.0) as u64;
    for n in 0..count {
        let due = start + interval.mul_f64(n as f64);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        tx.send((n, due))?;
    }
    drop(tx);
    let mut results = Vec::new();
    for writer in writers {
        results.push((writer.join().map_err(|_| "a writer thread panicked")??, 0, None));
    }
    Ok(Load::from(results, start.elapsed()))
}
