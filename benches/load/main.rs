//! The load benchmark: `cargo bench --bench load` (add `-- --quick` for a run under 2 minutes).
//!
//! Measures the release-built `sealpost serve` on loopback against this machine's own limits,
//! measured in the same run (DESIGN §7):
//! - the durable-write limit: create, write, fsync, rename and directory fsync of a file the size
//!   of a sealed 2 KiB submission, with no HTTP and no crypto, at 1, 8, 32 and 128 writers;
//! - submissions per second at 1, 8, 32 and 128 browsers (GET the form, POST 2 KiB to a form with
//!   3 recipients), with p50 and p99 latency, and the ratio to the durable-write limit;
//! - p50 and p99 when submissions arrive at a steady half of the peak rate (open loop: latency
//!   counts from the moment a submission was due, so a stalled server cannot hide its queue);
//! - sealing alone against the age crate alone;
//! - attachment uploads of 1 MiB, 100 MiB and 1 GiB against the reference `age` CLI encrypting
//!   the same file and fsyncing its output (the durability the server owes), and against the CLI
//!   without the fsync, with the server's peak RSS during each upload;
//! - idle RSS, and RSS with 10 000 idle keep-alive connections;
//! - status checks (DESIGN §10) per second at the bound on concurrent key derivations, with the
//!   server's peak RSS, and how many of the sweep's submissions got a receipt from the pool.
//!
//! Prints a markdown table, writes it to `target/sealpost-bench.md` (or `--out FILE`), and ends
//! with `durable_ratio=<x> stream_ratio=<y> stream_ratio_nofsync=<y'> peak_rss_mib=<z>
//! idle_conn_mib=<w> status_per_s=<s> status_rss_mib=<r>` on one line. All traffic stays on
//! 127.0.0.1.
//!
//! One file per section: [`client`] (the simulated browsers), [`durable`] (the bare durable-write
//! baseline), [`setup`] (keys, config, sealing in process), [`upload`] (attachments against the
//! `age` CLI), [`idle`] (memory at rest), [`process`] (the server process and `/proc` readers) and
//! [`report`] (tables and the last line).
#![allow(clippy::indexing_slicing)]

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use client::{closed_loop, message_field, paced, wait_healthy};
use durable::{durable_limit, paced_durable};
use process::ServerProcess;
use report::{Report, Step, ms};
use setup::{Bench, age_crate_throughput};

mod client;
#[path = "../common/mod.rs"]
mod common;
mod durable;
mod idle;
mod process;
mod report;
mod setup;
mod status;
mod upload;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Simulated browsers at each step of the sweep (DESIGN §7 sets its target at 32).
const CONCURRENCY: [usize; 4] = [1, 8, 32, 128];
/// The step whose ratio is DESIGN §7's durable-throughput target.
const TARGET_CONCURRENCY: usize = 32;
/// Staff keys every benchmark submission is sealed to.
const RECIPIENTS: usize = 3;
/// Workers for the open-loop runs (server and bare disk); more than the peak's concurrency so
/// they never run out.
const PACED_WORKERS: usize = 64;

/// How long and how much: the full run and `--quick`.
struct Plan {
    quick: bool,
    /// Time per step of the durable-write and submission sweeps, each side's share.
    step: Duration,
    /// Slices each step is cut into, alternating the durable-write limit and the server.
    rounds: u32,
    /// Time for the half-peak open-loop run.
    paced: Duration,
    /// Time for each side of the seal-only comparison.
    seal: Duration,
    /// Attachment sizes in MiB, each with how many uploads (the median is reported).
    uploads: &'static [(u64, usize)],
}

impl Plan {
    fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                quick,
                step: Duration::from_secs(3),
                rounds: 3,
                paced: Duration::from_secs(5),
                seal: Duration::from_secs(1),
                uploads: &[(1, 11), (100, 3)],
            }
        } else {
            Plan {
                quick,
                step: Duration::from_secs(10),
                rounds: 5,
                paced: Duration::from_secs(20),
                seal: Duration::from_secs(3),
                uploads: &[(1, 21), (100, 3), (1024, 1)],
            }
        }
    }
}

fn main() -> std::process::ExitCode {
    // `cargo bench` passes --bench; `cargo test --all-targets` does not, and a benchmark is not
    // a test, so it only says how to run it then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("the load benchmark runs under `cargo bench --bench load` (add `-- --quick` for a short run)");
        return std::process::ExitCode::SUCCESS;
    }
    let mut quick = false;
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap_or(Path::new("."));
    let mut out = target.join("sealpost-bench.md");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--out" => match args.next() {
                Some(path) => out = PathBuf::from(path),
                None => return fail("--out needs a file name"),
            },
            // --bench, filters and other harness flags mean nothing here.
            _ => {}
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(run(Plan::new(quick), &out)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> std::process::ExitCode {
    eprintln!("benchmark failed: {message}");
    std::process::ExitCode::FAILURE
}

async fn run(plan: Plan, out: &Path) -> Res<()> {
    process::raise_fd_limit(idle::IDLE_CONNECTIONS)?;
    let age_cli =
        process::which("age").ok_or("the reference `age` CLI is not on PATH (Debian: apt-get install age)")?;
    let scratch = tempfile::Builder::new().prefix("sealpost-bench-").tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let bench = Bench::prepare(scratch.path())?;
    let mut report = Report::default();

    // Each phase gets a fresh server, so memory left over by one cannot be charged to the next.
    let idle = idle::measure(&bench.config).await?;
    report.idle_rss_kib = idle.rss_kib;
    report.idle_connections_rss_kib = idle.with_connections_rss_kib;

    // The durable-write limit and the server in alternating slices, so the disk's drift (it is
    // shared and noisy) hits both alike.
    let server = ServerProcess::start(&bench.config)?;
    wait_healthy(server.addr).await?;
    let sealed_len = bench.sealed_envelope_len()?;
    report.sealed_len = sealed_len;
    let message = message_field();
    let slice = plan.step / plan.rounds;
    for clients in CONCURRENCY {
        let mut durable = 0.0;
        let mut durable_micros = Vec::new();
        let mut loads = Vec::new();
        for round in 0..plan.rounds {
            let dir = scratch.path().join(format!("durable-{clients}-{round}"));
            let (rate, micros) = tokio::task::spawn_blocking({
                let dir = dir.clone();
                move || durable_limit(&dir, clients, sealed_len, slice)
            })
            .await??;
            durable += rate;
            durable_micros.extend(micros);
            fs::remove_dir_all(&dir)?;
            loads.push(closed_loop(server.addr, clients, slice, &message).await?);
        }
        let durable = durable / plan.rounds as f64;
        let disk = client::Load::from(vec![(durable_micros, 0, None)], plan.step);
        let load = client::Load::merge(loads);
        eprintln!(
            "{clients:>3} clients: durable limit {durable:.0}/s, server {:.0}/s, p50 {:.1} ms, p99 {:.1} ms, errors {}",
            load.rate(),
            ms(load.percentile(50.0)),
            ms(load.percentile(99.0)),
            load.errors
        );
        report.sweep.push(Step { clients, durable, disk, load });
    }

    let peak = report.sweep.iter().map(|s| s.load.rate()).fold(0.0, f64::max);
    let rate = peak / 2.0;
    eprintln!("open loop at {rate:.0}/s (half the peak)");
    report.paced = Some((rate, paced(server.addr, rate, plan.paced, &message).await?));
    drop(server);
    // The bare durable-write sequence at the same steady rate: the disk's own tail.
    let dir = scratch.path().join("durable-paced");
    let duration = plan.paced;
    report.paced_disk = Some({
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || paced_durable(&dir, rate, duration, sealed_len)).await??
    });
    fs::remove_dir_all(&dir)?;

    report.receipts = client::RECEIPTS.load(std::sync::atomic::Ordering::Relaxed);
    report.status = Some(status::measure(&bench.config, plan.paced).await?);
    report.seal = Some(bench.seal_comparison(plan.seal)?);
    report.age_crate_mib_s = age_crate_throughput(&bench)?;

    report.uploads = upload::measure(&bench, &age_cli, plan.uploads).await?;

    let table = report.markdown(&plan, &report::machine_description(scratch.path()));
    println!("\n{table}");
    if let Some(parent) = out.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(out, &table)?;
    println!("(written to {})", out.display());
    println!("{}", report.summary_line());
    Ok(())
}
