//! `sealpost status`: the operator's view at a glance (DESIGN §11), read from the data dir
//! without changing anything, so it runs beside the service.
//!
//! Job: per form, what waits and since when, and when the oldest expires; spool use against
//! `max_spool`; reply threads; what expires soon; each notification channel's last result; the
//! served certificate's expiry.
//! Never: shows an id, a file name or anything from inside a submission.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::config::{Config, Keep, When};
use crate::notify::record::{self, Outcome};
use crate::retention::{Sources, upcoming};

/// How far ahead `status` lists expiries when `[notify]` sets no `warn_before`.
const DEFAULT_EXPIRY_HORIZON: Duration = Duration::from_secs(7 * 86_400);

/// Everything `sealpost status` shows.
#[derive(Debug, Serialize)]
pub struct Status {
    /// When it was read, UTC.
    pub at: String,
    /// Per configured form (and any other form folder found in the spool).
    pub forms: Vec<FormStatus>,
    /// Ciphertext in `ready/` against `limits.max_spool`.
    pub spool: SpoolStatus,
    /// Conversations under `data_dir/threads/`, live or deleted by the person (0 when there is none).
    pub threads: usize,
    /// `limits.keep_unpulled` and what expires within the horizon.
    pub retention: RetentionStatus,
    /// The schedule and each channel's last result; `None` without `[notify]`.
    pub notifications: Option<NotifyStatus>,
    /// The served certificate's expiry, when sealpost serves TLS itself.
    pub tls: Option<TlsStatus>,
}

/// One form's queue.
#[derive(Debug, Serialize)]
pub struct FormStatus {
    /// The form id.
    pub form: String,
    /// Submissions waiting to be pulled.
    pub waiting: usize,
    /// Their bytes of ciphertext.
    pub bytes: u64,
    /// Seconds since the oldest was written.
    pub oldest_age_seconds: Option<u64>,
    /// When the oldest expires (UTC), unless kept forever.
    pub next_expiry: Option<String>,
}

/// The spool against its quota.
#[derive(Debug, Serialize)]
pub struct SpoolStatus {
    /// Bytes in `ready/`.
    pub used_bytes: u64,
    /// `limits.max_spool`.
    pub max_bytes: u64,
}

/// Retention settings and what expires soon.
#[derive(Debug, Serialize)]
pub struct RetentionStatus {
    /// `"30d"`-style, or `"forever"`.
    pub keep_unpulled: String,
    /// `replies.keep`: conversations end this long after either side last acted.
    pub replies_keep: String,
    /// How far ahead `expiring` looks, in seconds.
    pub horizon_seconds: u64,
    /// What expires within the horizon, soonest first.
    pub expiring: Vec<Expiring>,
}

/// A group of items expiring soon.
#[derive(Debug, Serialize)]
pub struct Expiring {
    /// `submission` or `thread`.
    pub kind: &'static str,
    /// Their form.
    pub form: String,
    /// How many.
    pub count: usize,
    /// The first of them expires then (UTC).
    pub first: String,
}

/// The notification schedule and last results.
#[derive(Debug, Serialize)]
pub struct NotifyStatus {
    /// The schedule in words.
    pub schedule: String,
    /// The next tick (UTC).
    pub next: String,
    /// Each channel's last delivery, by channel.
    pub last: BTreeMap<String, Outcome>,
    /// Channels configured but never used yet.
    pub never_sent: Vec<String>,
}

/// The served certificate's expiry.
#[derive(Debug, Serialize)]
pub struct TlsStatus {
    /// The certificate file.
    pub cert: String,
    /// Its notAfter (UTC), or `None` if it could not be read.
    pub not_after: Option<String>,
    /// Whole days left (negative once expired).
    pub days_left: Option<i64>,
}

/// Reads the state of the service configured by `config` at `now`.
pub fn read(config: &Config, now: SystemTime) -> std::io::Result<Status> {
    let data_dir = &config.server.data_dir;
    let waiting = crate::spool::waiting_in(data_dir)?;
    let keep = config.limits.keep_unpulled;
    let mut forms: BTreeMap<&str, FormStatus> = config
        .forms
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                FormStatus { form: f.id.clone(), waiting: 0, bytes: 0, oldest_age_seconds: None, next_expiry: None },
            )
        })
        .collect();
    // `waiting` is oldest first: the first seen of each form is its oldest.
    for entry in &waiting {
        let form = forms.entry(entry.form.as_str()).or_insert_with(|| FormStatus {
            form: entry.form.clone(),
            waiting: 0,
            bytes: 0,
            oldest_age_seconds: None,
            next_expiry: None,
        });
        if form.waiting == 0 {
            form.oldest_age_seconds = Some(now.duration_since(entry.written).map_or(0, |d| d.as_secs()));
            form.next_expiry = keep.duration().and_then(|d| entry.written.checked_add(d)).map(utc);
        }
        form.waiting += 1;
        form.bytes += entry.bytes;
    }
    let horizon = config.notify.as_ref().map_or(DEFAULT_EXPIRY_HORIZON, |n| n.warn_before);
    let items = Sources::view(data_dir, keep, config.replies.keep).items()?;
    let expiring = upcoming(&items, now, horizon)
        .into_iter()
        .map(|u| Expiring { kind: u.kind.name(), form: u.form, count: u.count, first: utc(u.first) })
        .collect();
    let threads = match crate::reply::Threads::view(data_dir, config.replies.keep).count() {
        Ok(count) => count,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e),
    };
    let notifications = config.notify.as_ref().map(|notify| {
        let last = record::read(data_dir);
        let configured = [notify.smtp.as_ref().map(|_| "smtp"), notify.webhook.as_ref().map(|_| "webhook")];
        let never_sent =
            configured.into_iter().flatten().filter(|c| !last.contains_key(*c)).map(str::to_string).collect();
        let now_ts = jiff::Timestamp::try_from(now).unwrap_or_else(|_| jiff::Timestamp::now());
        NotifyStatus {
            schedule: describe_schedule(&notify.schedule),
            next: crate::notify::schedule::next_after(&notify.schedule, now_ts).to_string(),
            last,
            never_sent,
        }
    });
    let tls = config.server.tls.as_ref().map(|files| {
        let not_after = crate::tls::not_after(&files.cert);
        TlsStatus {
            cert: files.cert.display().to_string(),
            not_after: not_after.map(utc),
            days_left: not_after.map(|t| match t.duration_since(now) {
                Ok(left) => i64::try_from(left.as_secs() / 86_400).unwrap_or(i64::MAX),
                Err(past) => -i64::try_from(past.duration().as_secs().div_ceil(86_400)).unwrap_or(i64::MAX),
            }),
        }
    });
    Ok(Status {
        at: utc(now),
        forms: forms.into_values().collect(),
        spool: SpoolStatus { used_bytes: waiting.iter().map(|w| w.bytes).sum(), max_bytes: config.limits.max_spool },
        threads,
        retention: RetentionStatus {
            keep_unpulled: keep_name(keep),
            replies_keep: short_duration(config.replies.keep),
            horizon_seconds: horizon.as_secs(),
            expiring,
        },
        notifications,
        tls,
    })
}

/// The status as the text `sealpost status` prints.
pub fn render(status: &Status, config_path: &Path) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let size = |b: u64| bytesize::ByteSize(b).display().iec().to_string();
    let _ = writeln!(out, "sealpost status of {} at {}", config_path.display(), status.at);
    let width = status.forms.iter().map(|f| f.form.len()).max().unwrap_or(0);
    let _ = writeln!(out, "forms:");
    for f in &status.forms {
        let mut line = format!("  {:width$}  {} waiting", f.form, f.waiting);
        if let Some(age) = f.oldest_age_seconds {
            let _ = write!(line, ", oldest {} old, {}", age_words(age), size(f.bytes));
        }
        if let Some(expiry) = &f.next_expiry {
            let _ = write!(line, "; the oldest expires {expiry}");
        }
        let _ = writeln!(out, "{line}");
    }
    let s = &status.spool;
    let percent = if s.max_bytes == 0 { 0.0 } else { s.used_bytes as f64 * 100.0 / s.max_bytes as f64 };
    let _ = writeln!(out, "spool: {} of {} ({percent:.1}%)", size(s.used_bytes), size(s.max_bytes));
    let _ = writeln!(out, "threads: {}", status.threads);
    let r = &status.retention;
    let _ = write!(out, "retention: keep_unpulled {}, replies.keep {}", r.keep_unpulled, r.replies_keep);
    let days = r.horizon_seconds / 86_400;
    if r.expiring.is_empty() {
        let _ = write!(out, "; nothing expires within {days} days");
    } else {
        let _ = write!(out, "; within {days} days:");
    }
    let _ = writeln!(out);
    for e in &r.expiring {
        let kind = if e.kind == "thread" { crate::retention::Kind::Thread } else { crate::retention::Kind::Submission };
        let _ = writeln!(out, "  {} of form {} from {}", kind.count(e.count), e.form, e.first);
    }
    match &status.notifications {
        None => {
            let _ = writeln!(out, "notifications: none configured ([notify])");
        }
        Some(n) => {
            let _ = writeln!(out, "notifications: {}; next {}", n.schedule, n.next);
            for (channel, o) in &n.last {
                let attempts =
                    if o.attempts == 1 { "1 attempt".to_string() } else { format!("{} attempts", o.attempts) };
                let result = if o.ok {
                    format!("ok at {} ({attempts})", o.at)
                } else {
                    format!("FAILED at {} after {attempts}: {}", o.at, o.reason.as_deref().unwrap_or("unknown"))
                };
                let _ = writeln!(out, "  {channel}: {result}");
            }
            for channel in &n.never_sent {
                let _ = writeln!(out, "  {channel}: nothing sent yet (sealpost notify-test sends one now)");
            }
        }
    }
    if let Some(tls) = &status.tls {
        match (&tls.not_after, tls.days_left) {
            (Some(at), Some(days)) if days < 0 => {
                let _ = writeln!(out, "tls: certificate EXPIRED {at} ({})", tls.cert);
            }
            (Some(at), Some(days)) => {
                let _ = writeln!(out, "tls: certificate expires {at} (in {days} days; {})", tls.cert);
            }
            _ => {
                let _ = writeln!(out, "tls: the certificate {} could not be read", tls.cert);
            }
        }
    }
    out
}

/// `"2d 4h"`, `"3h 12m"`, `"45m"`, `"20s"`: the two largest units.
fn age_words(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

fn keep_name(keep: Keep) -> String {
    match keep {
        Keep::Forever => "forever".into(),
        Keep::For(d) => short_duration(d),
    }
}

/// A duration as the config writes it: `"30d"`, `"12h"`, else humantime's words.
pub fn short_duration(d: Duration) -> String {
    match d.as_secs() {
        s if s > 0 && s % 86_400 == 0 && d.subsec_nanos() == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3600 == 0 && d.subsec_nanos() == 0 => format!("{}h", s / 3600),
        _ => humantime::format_duration(d).to_string(),
    }
}

/// The schedule in words: `at 09:00, 14:00 Europe/Madrid`, `every 6h on the clock in UTC`.
pub fn describe_schedule(schedule: &crate::config::Schedule) -> String {
    match &schedule.when {
        When::At(times) => {
            let times: Vec<String> = times.iter().map(|t| format!("{:02}:{:02}", t.hour(), t.minute())).collect();
            format!("at {} {}", times.join(", "), schedule.zone_name)
        }
        When::EveryHours(n) => format!("every {n}h on the clock in {}", schedule.zone_name),
    }
}

/// UTC, RFC 3339, to the second.
fn utc(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t)
        .ok()
        .and_then(|t| jiff::Timestamp::from_second(t.as_second()).ok())
        .map_or_else(|| "?".into(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_the_two_largest_units() {
        assert_eq!(age_words(20), "20s");
        assert_eq!(age_words(45 * 60 + 3), "45m");
        assert_eq!(age_words(3 * 3600 + 12 * 60), "3h 12m");
        assert_eq!(age_words(2 * 86_400 + 4 * 3600 + 59), "2d 4h");
        assert_eq!(keep_name(Keep::For(Duration::from_secs(30 * 86_400))), "30d");
    }
}
