//! The last delivery result per channel, kept in `data_dir/notify-state.json` for
//! `sealpost status`: when, whether it went through, after how many attempts, and a
//! content-free reason. Written whole (temporary file, fsync, rename, folder fsync).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use sealpost_format::files::{create_private_file, sync_dir};

/// The file's name under `data_dir`.
pub const STATE_FILE: &str = "notify-state.json";
/// Largest state file read back: a few lines per channel.
const MAX_STATE_FILE: u64 = 64 * 1024;

/// One channel's last delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// `smtp` or `webhook`.
    pub channel: String,
    /// When the delivery ended, UTC, RFC 3339 to the second.
    pub at: String,
    /// Whether the message was accepted.
    pub ok: bool,
    /// Attempts made.
    pub attempts: u32,
    /// Why it failed (a class of failure, never content), when it did.
    pub reason: Option<String>,
}

/// Every channel's last delivery, by channel.
pub type Record = BTreeMap<String, Outcome>;

/// Reads the record; none yet (or unreadable) is an empty one.
pub fn read(data_dir: &Path) -> Record {
    let path = data_dir.join(STATE_FILE);
    let too_big = std::fs::metadata(&path).map_or(true, |m| m.len() > MAX_STATE_FILE);
    if too_big {
        return Record::new();
    }
    std::fs::read(&path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default()
}

/// Replaces each of `outcomes`' channels in the record, durably.
pub fn write(data_dir: &Path, outcomes: &[Outcome]) -> std::io::Result<()> {
    let mut record = read(data_dir);
    for outcome in outcomes {
        record.insert(outcome.channel.clone(), outcome.clone());
    }
    let json = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
    let temporary = data_dir.join(format!(".{STATE_FILE}.{}", sealpost_format::id::SubmissionId::random().as_str()));
    let written = (|| {
        let mut file = create_private_file(&temporary)?;
        file.write_all(&json)?;
        file.sync_all()?;
        std::fs::rename(&temporary, data_dir.join(STATE_FILE))?;
        sync_dir(data_dir)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_outcome_of_each_channel() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).is_empty());
        let outcome = |channel: &str, ok| Outcome {
            channel: channel.into(),
            at: "2026-12-07T08:00:00Z".into(),
            ok,
            attempts: 1,
            reason: None,
        };
        write(dir.path(), &[outcome("smtp", false), outcome("webhook", true)]).unwrap();
        write(dir.path(), &[outcome("smtp", true)]).unwrap();
        let record = read(dir.path());
        assert!(record["smtp"].ok && record["webhook"].ok);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }
}
