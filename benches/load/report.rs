//! The report: the markdown tables (sweep, uploads, DESIGN §7's targets, sealing alone), the
//! machine they were measured on, and the one-line summary the run ends with.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::client::Load;
use crate::common::MESSAGE_BYTES;
use crate::idle::IDLE_CONNECTIONS;
use crate::setup::SealResult;
use crate::upload::Upload;
use crate::{Plan, RECIPIENTS, TARGET_CONCURRENCY};

const MIB: f64 = 1024.0 * 1024.0;

/// One step of the sweep: the bare durable-write limit and the server at the same concurrency.
pub struct Step {
    pub clients: usize,
    pub durable: f64,
    /// Latencies of the durable-write sequence alone: the disk's own tail.
    pub disk: Load,
    pub load: Load,
}

#[derive(Default)]
pub struct Report {
    pub sealed_len: usize,
    pub idle_rss_kib: u64,
    pub idle_connections_rss_kib: u64,
    pub sweep: Vec<Step>,
    pub paced: Option<(f64, Load)>,
    pub paced_disk: Option<Load>,
    pub seal: Option<SealResult>,
    pub age_crate_mib_s: f64,
    pub uploads: Vec<Upload>,
    /// Submissions in the sweep and the half-peak run that got a receipt.
    pub receipts: u64,
    pub status: Option<crate::status::StatusLoad>,
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn met(ok: bool) -> &'static str {
    if ok { "✅ met" } else { "❌ not met" }
}

impl Report {
    fn durable_ratio(&self) -> f64 {
        self.sweep.iter().find(|s| s.clients == TARGET_CONCURRENCY).map_or(0.0, |s| s.load.rate() / s.durable)
    }

    /// The worst size's ratio to the `age` CLI with fsync (DESIGN §7's target).
    fn stream_ratio(&self) -> f64 {
        self.uploads.iter().map(Upload::ratio).fold(f64::INFINITY, f64::min)
    }

    /// The worst size's ratio to the `age` CLI without fsync.
    fn stream_ratio_nofsync(&self) -> f64 {
        self.uploads.iter().map(Upload::ratio_nofsync).fold(f64::INFINITY, f64::min)
    }

    fn peak_rss_mib(&self) -> f64 {
        self.uploads.iter().map(|u| u.peak_rss_kib).max().unwrap_or(0) as f64 / 1024.0
    }

    /// The RSS the idle keep-alive connections added, in MiB.
    fn idle_conn_mib(&self) -> f64 {
        self.idle_connections_rss_kib.saturating_sub(self.idle_rss_kib) as f64 / 1024.0
    }

    pub fn summary_line(&self) -> String {
        let (status, status_rss) =
            self.status.as_ref().map_or((0.0, 0.0), |s| (s.rate, s.peak_rss_kib as f64 / 1024.0));
        format!(
            "durable_ratio={:.2} stream_ratio={:.2} stream_ratio_nofsync={:.2} peak_rss_mib={:.1} idle_conn_mib={:.1} \
             status_per_s={status:.1} status_rss_mib={status_rss:.1}",
            self.durable_ratio(),
            self.stream_ratio(),
            self.stream_ratio_nofsync(),
            self.peak_rss_mib(),
            self.idle_conn_mib()
        )
    }

    pub fn markdown(&self, plan: &Plan, machine: &str) -> String {
        let mut t = String::new();
        let mode = if plan.quick { " -- --quick" } else { "" };
        let _ = writeln!(t, "`cargo bench --bench load{mode}` on {machine}.\n");
        let _ = writeln!(
            t,
            "Durable submissions: {} s per step; one submission = GET the form + POST {MESSAGE_BYTES} B to \
             {RECIPIENTS} recipients ({} B sealed). The limit is create + write + fsync + rename + dir fsync \
             of a file that size, same concurrency, same filesystem, same run.\n",
            plan.step.as_secs(),
            self.sealed_len
        );
        let _ = writeln!(
            t,
            "| clients | durable-write limit /s | its p50 / p99 ms | submissions /s | ratio | p50 ms | p99 ms | errors |"
        );
        let _ = writeln!(t, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        for s in &self.sweep {
            let _ = writeln!(
                t,
                "| {} | {:.0} | {:.2} / {:.2} | {:.0} | {:.0} % | {:.2} | {:.2} | {} |",
                s.clients,
                s.durable,
                ms(s.disk.percentile(50.0)),
                ms(s.disk.percentile(99.0)),
                s.load.rate(),
                100.0 * s.load.rate() / s.durable,
                ms(s.load.percentile(50.0)),
                ms(s.load.percentile(99.0)),
                s.load.errors
            );
        }
        // The same-concurrency ratio is DESIGN's; the best bare rate at any concurrency is the
        // stricter yardstick, so it is shown too.
        let best = self.sweep.iter().map(|s| s.durable).fold(0.0, f64::max);
        let peak = self.sweep.iter().map(|s| s.load.rate()).fold(0.0, f64::max);
        let _ = writeln!(
            t,
            "\nThe best durable-write limit at any concurrency: {best:.0}/s; the server's peak: {peak:.0}/s ({:.0} %).",
            100.0 * peak / best
        );
        let _ = writeln!(
            t,
            "\n| upload | server MiB/s | `age` CLI + fsync MiB/s | ratio | `age` CLI MiB/s (no fsync) | ratio (no fsync) \
             | server CPU ms/MiB | server peak RSS MiB |"
        );
        let _ = writeln!(t, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        for u in &self.uploads {
            let _ = writeln!(
                t,
                "| {} MiB | {:.0} | {:.0} | {:.0} % | {:.0} | {:.0} % | {:.2} | {:.1} |",
                u.mib,
                u.server_mib_s,
                u.cli_fsync_mib_s,
                100.0 * u.ratio(),
                u.cli_mib_s,
                100.0 * u.ratio_nofsync(),
                u.server_cpu_ms_per_mib,
                u.peak_rss_kib as f64 / 1024.0
            );
        }
        let _ = writeln!(
            t,
            "\nThe age crate alone, one core, in memory: {:.0} MiB/s (the ceiling for anything built on it). \
             Uploads are multipart over loopback from this process, sealed and fsynced before the 303; \
             the `age` CLI encrypts the same file to the same {RECIPIENTS} recipients, file to file, each run \
             timed to its exit (no fsync) and on until its output is fsynced (`age … -o out in && sync out`, \
             the durability the server owes).\n",
            self.age_crate_mib_s
        );
        let _ = writeln!(t, "| DESIGN §7 target | measured | |");
        let _ = writeln!(t, "|---|---|---|");
        let ratio = self.durable_ratio();
        let _ = writeln!(
            t,
            "| durable submissions at {TARGET_CONCURRENCY} clients ≥ 80 % of the durable-write limit | {:.0} % | {} |",
            100.0 * ratio,
            met(ratio >= 0.8)
        );
        let stream = self.stream_ratio();
        let _ = writeln!(
            t,
            "| attachment streaming ≥ 80 % of the `age` CLI with fsync (worst size) | {:.0} % ({:.0} % of the CLI \
             without fsync) | {} |",
            100.0 * stream,
            100.0 * self.stream_ratio_nofsync(),
            met(stream >= 0.8)
        );
        let peak = self.peak_rss_mib();
        let _ = writeln!(t, "| server peak RSS during uploads ≤ 64 MiB | {peak:.1} MiB | {} |", met(peak <= 64.0));
        if let Some((rate, load)) = &self.paced {
            let (p50, p99) = (ms(load.percentile(50.0)), ms(load.percentile(99.0)));
            let _ = writeln!(
                t,
                "| p99 ≤ 10 × p50 at half the peak rate ({rate:.0}/s, {} errors) | p50 {p50:.2} ms, p99 {p99:.2} ms ({:.1}×) | {} |",
                load.errors,
                p99 / p50,
                met(p99 <= 10.0 * p50 && load.errors == 0)
            );
        }
        if let Some(disk) = &self.paced_disk {
            let (p50, p99) = (ms(disk.percentile(50.0)), ms(disk.percentile(99.0)));
            let _ = writeln!(
                t,
                "| (the bare durable-write sequence at the same rate: the disk's own tail) | p50 {p50:.2} ms, p99 {p99:.2} ms ({:.1}×) | |",
                p99 / p50
            );
        }
        let idle = self.idle_rss_kib as f64 / 1024.0;
        let _ = writeln!(t, "| idle RSS ≤ 20 MiB | {idle:.1} MiB | {} |", met(idle <= 20.0));
        let extra = self.idle_conn_mib();
        let _ = writeln!(
            t,
            "| {IDLE_CONNECTIONS} idle keep-alive connections ≤ 100 MiB more | +{extra:.1} MiB | {} |",
            met(extra <= 100.0)
        );
        if let Some(status) = &self.status {
            let rss = status.peak_rss_kib as f64 / 1024.0;
            let _ = writeln!(
                t,
                "| status checks at the derivation bound ({} at once), peak RSS ≤ 64 MiB | {:.1}/s ({:.1}/s busy), \
                 peak RSS {rss:.1} MiB | {} |",
                sealpost::reply::MAX_DERIVATIONS,
                status.rate,
                status.busy_rate,
                met(rss <= 64.0)
            );
        }
        let submitted: usize = self.sweep.iter().map(|s| s.load.count()).sum::<usize>()
            + self.paced.as_ref().map_or(0, |(_, l)| l.count());
        let _ = writeln!(
            t,
            "\nReceipts: {} of the {submitted} submissions above got one from the pool ({} kept ready, refilled \
             on the deriving threads; a submission that finds the pool empty waits up to 1 s, at most 4 at once; the others go without).",
            self.receipts,
            sealpost::reply::POOL_SIZE
        );
        if let Some(seal) = &self.seal {
            let _ = writeln!(
                t,
                "\nSealing alone (one core, {MESSAGE_BYTES} B message, {RECIPIENTS} recipients): sealpost {:.0}/s, \
                 the age crate on the same padded plaintext {:.0}/s ({:.0} %).",
                seal.sealpost,
                seal.age,
                100.0 * seal.sealpost / seal.age
            );
        }
        t
    }
}

/// CPU, cores, memory, kernel and the filesystem the spool was on.
pub fn machine_description(dir: &Path) -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_string(), |s| s.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / MIB);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cores} × {cpu}, {mem_gib:.0} GiB, Linux {}, spool on {}", kernel.trim(), filesystem_of(dir))
}

/// The filesystem type of the longest mount point containing `dir`.
fn filesystem_of(dir: &Path) -> String {
    let mounts = fs::read_to_string("/proc/mounts").unwrap_or_default();
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    mounts
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let (device, point, kind) = (parts.next()?, parts.next()?, parts.next()?);
            dir.starts_with(point).then(|| (point.len(), format!("{kind} ({device})")))
        })
        .max_by_key(|(len, _)| *len)
        .map_or("an unknown filesystem".into(), |(_, kind)| kind)
}
