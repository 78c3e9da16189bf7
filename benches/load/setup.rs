//! The benchmark's fixture (staff keys, the server's config) and sealing measured in process,
//! with no server: sealpost's envelope sealing against the age crate alone, and the age crate's
//! streaming ceiling.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sealpost::seal::Recipients;

use crate::{RECIPIENTS, Res, common};

/// The benchmark's data: keys, config and a representative envelope.
pub struct Bench {
    /// The scratch folder: keys, config, the server's data and the upload files.
    pub dir: PathBuf,
    pub config: PathBuf,
    recipients: Recipients,
    /// `-r <key>` for each staff key, for the `age` CLI.
    pub recipient_args: Vec<String>,
}

/// Envelopes sealed per second, by sealpost and by the age crate alone.
pub struct SealResult {
    pub sealpost: f64,
    pub age: f64,
}

impl Bench {
    pub fn prepare(dir: &Path) -> Res<Bench> {
        let keys: Vec<String> =
            (0..RECIPIENTS).map(|_| age::x25519::Identity::generate().to_public().to_string()).collect();
        let list = keys.join("\n") + "\n";
        fs::write(dir.join("staff.txt"), &list)?;
        let config = dir.join("sealpost.toml");
        // Limits high enough that only the machine limits the rate; the spool quota is a number,
        // not an allocation. Every simulated browser connects from 127.0.0.1, so the per-client
        // caps on connections and requests in flight are as high as max_connections.
        fs::write(
            &config,
            r#"[server]
listen = "127.0.0.1:0"
data_dir = "data"
trusted_proxies = []

[limits]
max_body = "1100 MiB"
per_client = { burst = 1000000, per_second = 1000000 }
global = { burst = 1000000, per_second = 1000000 }
max_spool = "1 TiB"
min_fill_time = "0s"
max_fill_time = "1h"
keep_unpulled = "forever"
header_read_timeout = "10m"
request_timeout = "30m"
max_connections = 12000
max_connections_per_client = 12000
max_requests_per_client = 12000

[[form]]
id = "contact"
recipients = "staff.txt"
fields = [
  { name = "name", kind = "text", max = 200 },
  { name = "email", kind = "email" },
  { name = "message", kind = "textarea", required = true, max = 20000 },
]

[[form]]
id = "asylum-help"
recipients = "staff.txt"
fields = [
  { name = "documents", kind = "file", max_files = 1, max_size = "1050 MiB" },
]
"#,
        )?;
        let recipients = Recipients::parse(&list)?;
        let recipient_args = keys.iter().flat_map(|k| ["-r".to_string(), k.clone()]).collect();
        Ok(Bench { dir: dir.to_path_buf(), config, recipients, recipient_args })
    }

    pub fn sealed_envelope_len(&self) -> Res<usize> {
        Ok(sealpost::seal::seal_envelope_into(&self.recipients, &common::envelope(), Vec::new())?.len())
    }

    /// Envelopes sealed per second by sealpost, and by the age crate alone on the same
    /// plaintext (the serialised, padded envelope).
    pub fn seal_comparison(&self, each: Duration) -> Res<SealResult> {
        let envelope = common::envelope();
        let mut plain = serde_json::to_vec(&envelope)?;
        plain.resize(sealpost_format::pad::envelope_padded_len(plain.len()), b' ');
        let keys = self.age_recipients()?;
        let sealpost = per_second(each, || {
            sealpost::seal::seal_envelope_into(&self.recipients, &envelope, Vec::with_capacity(4096)).map(drop)
        })?;
        let age = per_second(each, || -> Res<()> {
            let encryptor = age::Encryptor::with_recipients(keys.iter().map(|k| k as &dyn age::Recipient))?;
            let mut writer = encryptor.wrap_output(Vec::with_capacity(4096))?;
            writer.write_all(&plain)?;
            writer.finish()?;
            Ok(())
        })?;
        Ok(SealResult { sealpost, age })
    }

    /// The staff keys as the age crate's recipients.
    fn age_recipients(&self) -> Res<Vec<age::x25519::Recipient>> {
        Ok(fs::read_to_string(self.dir.join("staff.txt"))?.lines().map(str::parse).collect::<Result<_, _>>()?)
    }
}

/// MiB/s of the age crate alone encrypting 256 MiB in memory to the same recipients on one core:
/// the ceiling for any server built on it, whatever it does around the crypto.
pub fn age_crate_throughput(bench: &Bench) -> Res<f64> {
    let keys = bench.age_recipients()?;
    let piece = vec![0x5au8; 1024 * 1024];
    let mib = 256;
    let start = Instant::now();
    let encryptor = age::Encryptor::with_recipients(keys.iter().map(|k| k as &dyn age::Recipient))?;
    let mut writer = encryptor.wrap_output(std::io::sink())?;
    for _ in 0..mib {
        writer.write_all(&piece)?;
    }
    writer.finish()?;
    Ok(mib as f64 / start.elapsed().as_secs_f64())
}

/// Runs `op` repeatedly for `each`; returns operations per second.
fn per_second<E: Into<Box<dyn Error + Send + Sync>>>(
    each: Duration,
    mut op: impl FnMut() -> Result<(), E>,
) -> Res<f64> {
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < each {
        op().map_err(Into::into)?;
        count += 1;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}
