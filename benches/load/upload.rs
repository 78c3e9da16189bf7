//! Attachment streaming: multipart uploads of one file to a fresh server, sealed and fsynced
//! before the 303, against the reference `age` CLI encrypting the same file to the same
//! recipients, timed twice per run: to the CLI's exit, and on until its output is fsynced
//! (`age -e -R … -o out in && sync out`, the durability the server owes, DESIGN §7). Also the
//! server's CPU per MiB and its peak RSS during the uploads.

use std::fs::{self, File};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use bytes::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _};
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;

use crate::Res;
use crate::client::{Browser, wait_healthy};
use crate::process::{ServerProcess, cpu_secs, reset_peak_rss, rss_kib};
use crate::setup::Bench;

/// The form the attachment uploads go to (the catalogs label its `documents` field).
const UPLOAD_FORM: &str = "asylum-help";
/// Bytes the upload client reads from disk and sends at a time.
const UPLOAD_PIECE: usize = 1024 * 1024;

/// One attachment size's medians.
pub struct Upload {
    pub mib: u64,
    pub server_mib_s: f64,
    /// The `age` CLI up to its exit: its output may still sit in the page cache.
    pub cli_mib_s: f64,
    /// The `age` CLI up to its exit and an fsync of its output: the server's durability.
    pub cli_fsync_mib_s: f64,
    /// Server CPU (user + system, all threads) per MiB uploaded, from /proc (10 ms ticks).
    pub server_cpu_ms_per_mib: f64,
    pub peak_rss_kib: u64,
}

impl Upload {
    /// The server against the CLI with fsync: DESIGN §7's attachment ratio.
    pub fn ratio(&self) -> f64 {
        self.server_mib_s / self.cli_fsync_mib_s
    }

    /// The server against the CLI without fsync, reported beside it.
    pub fn ratio_nofsync(&self) -> f64 {
        self.server_mib_s / self.cli_mib_s
    }
}

/// Starts a fresh server and compares it with the `age` CLI at each `(MiB, runs)` of `sizes`.
pub async fn measure(bench: &Bench, age_cli: &Path, sizes: &[(u64, usize)]) -> Res<Vec<Upload>> {
    let server = ServerProcess::start(&bench.config)?;
    wait_healthy(server.addr).await?;
    let mut uploads = Vec::new();
    for &(mib, runs) in sizes {
        let upload = upload_comparison(bench, &server, age_cli, mib, runs).await?;
        eprintln!(
            "{mib} MiB: server {:.0} MiB/s, age CLI + fsync {:.0} MiB/s, age CLI {:.0} MiB/s, peak RSS {:.1} MiB",
            upload.server_mib_s,
            upload.cli_fsync_mib_s,
            upload.cli_mib_s,
            upload.peak_rss_kib as f64 / 1024.0
        );
        uploads.push(upload);
    }
    Ok(uploads)
}

/// Uploads a `mib` MiB file `runs` times and encrypts it as often with the `age` CLI; medians.
async fn upload_comparison(
    bench: &Bench,
    server: &ServerProcess,
    age_cli: &Path,
    mib: u64,
    runs: usize,
) -> Res<Upload> {
    let input = bench.dir.join(format!("upload-{mib}.bin"));
    write_incompressible(&input, mib)?;
    let output = bench.dir.join("cli-output.age");
    let mut server_secs = Vec::new();
    let mut cli_secs = Vec::new();
    let mut cli_fsync_secs = Vec::new();
    let mut server_cpu = Vec::new();
    let mut peak_rss_kib = 0;
    for _ in 0..runs {
        // One CLI run timed twice: at its exit, and once its output is on disk (`sync out`).
        let start = Instant::now();
        let status = Command::new(age_cli).args(&bench.recipient_args).arg("-o").arg(&output).arg(&input).status()?;
        cli_secs.push(start.elapsed().as_secs_f64());
        if !status.success() {
            return Err(format!("age CLI failed: {status}").into());
        }
        File::open(&output)?.sync_all()?;
        cli_fsync_secs.push(start.elapsed().as_secs_f64());
        fs::remove_file(&output)?;

        reset_peak_rss(server.pid())?;
        let cpu = cpu_secs(server.pid())?;
        server_secs.push(upload_once(server.addr, &input, mib).await?);
        server_cpu.push(cpu_secs(server.pid())? - cpu);
        peak_rss_kib = peak_rss_kib.max(rss_kib(server.pid(), "VmHWM")?);
        // Keep the disk from filling: the sealed upload has been measured.
        for entry in fs::read_dir(server.data.join("spool/ready").join(UPLOAD_FORM))? {
            fs::remove_dir_all(entry?.path())?;
        }
    }
    fs::remove_file(&input)?;
    let size = mib as f64;
    Ok(Upload {
        mib,
        server_mib_s: size / median(&mut server_secs),
        cli_mib_s: size / median(&mut cli_secs),
        cli_fsync_mib_s: size / median(&mut cli_fsync_secs),
        server_cpu_ms_per_mib: 1000.0 * server_cpu.iter().sum::<f64>() / (size * runs as f64),
        peak_rss_kib,
    })
}

/// One multipart upload of `input`, streamed from disk; returns the seconds until the 303.
async fn upload_once(addr: SocketAddr, input: &Path, mib: u64) -> Res<f64> {
    let mut browser = Browser::connect(addr).await?;
    let token = browser.token(UPLOAD_FORM).await?;
    let boundary = "----sealpostbench7d3f";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"_homepage\"\r\n\r\n\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"bench-{mib}.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let length = head.len() as u64 + mib * 1024 * 1024 + tail.len() as u64;
    // A thread reads the file in large pieces, so the client costs the shared cores little.
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let mut file = File::open(input)?;
    std::thread::spawn(move || {
        loop {
            let mut piece = vec![0u8; UPLOAD_PIECE];
            match std::io::Read::read(&mut file, &mut piece) {
                Ok(0) => break,
                Ok(n) => {
                    piece.truncate(n);
                    if tx.blocking_send(Ok(Bytes::from(piece))).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(head))])
        .chain(chunks)
        .chain(futures_util::stream::iter([Ok(Bytes::from(tail))]))
        .map_ok(Frame::data);
    let request = Request::post(format!("/{UPLOAD_FORM}"))
        .header(header::HOST, "127.0.0.1")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(header::CONTENT_LENGTH, length)
        .body(BodyExt::boxed(StreamBody::new(stream)))?;
    let start = Instant::now();
    let (status, body) = browser.send(request).await?;
    let secs = start.elapsed().as_secs_f64();
    if status != StatusCode::SEE_OTHER {
        let page = String::from_utf8_lossy(&body);
        return Err(format!("upload of {mib} MiB answered {status}: {}", &page[..page.len().min(300)]).into());
    }
    Ok(secs)
}

/// Writes `mib` MiB that age cannot shortcut (it does not compress, but the file is not sparse).
fn write_incompressible(path: &Path, mib: u64) -> Res<()> {
    let mut block = vec![0u8; 1024 * 1024];
    let mut file = std::io::BufWriter::new(File::create(path)?);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..mib {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&(state ^ i).to_le_bytes()[..chunk.len()]);
        }
        file.write_all(&block)?;
    }
    file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
