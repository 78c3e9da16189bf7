//! Staff notifications: content-free, on a fixed schedule, never because something arrived
//! (DESIGN §11).
//!
//! Job: at each tick of `[notify]`'s schedule, count what waits and what expires soon, compose
//! one padded message ([`message`]) and deliver it to every channel ([`smtp`], [`webhook`]),
//! retrying with backoff; record each channel's last result ([`record`]) for `sealpost status`.
//! Invariant: nothing on the submission path calls this module; a dead mail server delays and
//! refuses nothing. A message holds only counts, form ids and whole days.
//! Never: logs or sends an id, a file name, a field value, an address or an arrival time; logs
//! a failure more than once per delivery.
//!
//! Sections: `schedule` (the next tick, DST-correct), `message` (the text and the padding),
//! `smtp` and `webhook` (the channels), `record` (the last outcome per channel).

pub mod message;
pub mod record;
pub mod schedule;
pub mod smtp;
pub mod webhook;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jiff::Timestamp;

use crate::config::Notify;
use crate::metrics::Metrics;
use crate::retention::Sources;

use message::{Message, Snapshot, compose};
use record::Outcome;

/// Waits between attempts of one delivery: 30 s, 2 min, 10 min, 30 min (five attempts within
/// about 45 minutes, less than the shortest time between two ticks of `every = "1h"`).
pub const RETRY_BACKOFF: [Duration; 4] =
    [Duration::from_secs(30), Duration::from_secs(120), Duration::from_secs(600), Duration::from_secs(1800)];

/// Time one attempt may take: connect, TLS, and the exchange.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest sleep before the clock is read again, so a wall-clock jump (NTP, a suspended VM)
/// moves the next tick at most this late.
const MAX_SLEEP: Duration = Duration::from_secs(300);

/// Whether trying again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A timeout, a refused connection, a 5xx: try again after the backoff.
    Yes,
    /// Refused for good (a wrong password, a 4xx): trying again would fail the same way.
    No,
}

/// Why one attempt failed: a class of failure in a few words, never content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong, for the log and `status`.
    pub reason: String,
    /// Whether to retry.
    pub retry: Retry,
}

impl Failure {
    /// A failure worth retrying.
    pub fn transient(reason: String) -> Failure {
        Failure { reason, retry: Retry::Yes }
    }

    /// A failure not worth retrying.
    pub fn permanent(reason: &str) -> Failure {
        Failure { reason: reason.into(), retry: Retry::No }
    }
}

/// One configured channel.
pub enum Channel {
    /// `[notify.smtp]`.
    Mail(smtp::MailChannel),
    /// `[notify.webhook]`.
    Webhook(webhook::WebhookChannel),
}

impl Channel {
    /// The channel's name in logs, metrics and `status`.
    pub fn name(&self) -> &'static str {
        match self {
            Channel::Mail(_) => "smtp",
            Channel::Webhook(_) => "webhook",
        }
    }

    /// One attempt.
    pub async fn send(&self, message: &Message) -> Result<(), Failure> {
        match self {
            Channel::Mail(mail) => mail.send(message).await,
            Channel::Webhook(hook) => hook.send(message).await,
        }
    }
}

/// Delivers `message` on `channel`: one attempt, then one more after each of `backoff`'s waits
/// while the failure is worth retrying.
pub async fn deliver(channel: &Channel, message: &Message, backoff: &[Duration]) -> Outcome {
    let mut attempts = 0u32;
    let mut waits = backoff.iter();
    let failure = loop {
        attempts += 1;
        match channel.send(message).await {
            Ok(()) => break None,
            Err(failure) if failure.retry == Retry::No => break Some(failure),
            Err(failure) => match waits.next() {
                Some(wait) => tokio::time::sleep(*wait).await,
                None => break Some(failure),
            },
        }
    };
    Outcome {
        channel: channel.name().into(),
        at: Timestamp::from_second(Timestamp::now().as_second()).unwrap_or_else(|_| Timestamp::now()).to_string(),
        ok: failure.is_none(),
        attempts,
        reason: failure.map(|f| f.reason),
    }
}

/// The notifier: schedule, channels, and what it counts.
pub struct Notifier {
    settings: NotifySettings,
    channels: Vec<Channel>,
    forms: Vec<String>,
    sources: Arc<Sources>,
    data_dir: PathBuf,
    metrics: Arc<Metrics>,
}

/// The parts of `[notify]` the notifier keeps.
struct NotifySettings {
    schedule: crate::config::Schedule,
    counts: bool,
    warn_before: Duration,
}

impl Notifier {
    /// Builds the channels of `notify` (reading any `ca_file`); an error names the key. It
    /// counts what waits under `data_dir` (read only) and what `sources` will expire.
    pub fn new(
        notify: &Notify,
        forms: Vec<String>,
        sources: Arc<Sources>,
        data_dir: PathBuf,
        metrics: Arc<Metrics>,
    ) -> Result<Notifier, String> {
        let mut channels = Vec::new();
        if let Some(smtp) = &notify.smtp {
            channels.push(Channel::Mail(smtp::MailChannel::new(smtp, ATTEMPT_TIMEOUT)?));
        }
        if let Some(hook) = &notify.webhook {
            channels.push(Channel::Webhook(webhook::WebhookChannel::new(hook, ATTEMPT_TIMEOUT)?));
        }
        let settings = NotifySettings {
            schedule: notify.schedule.clone(),
            counts: notify.counts,
            warn_before: notify.warn_before,
        };
        Ok(Notifier { settings, channels, forms, sources, data_dir, metrics })
    }

    /// What waits and what expires within `warn_before`, at `now` (blocking: reads the spool).
    pub fn snapshot(&self, now: SystemTime) -> std::io::Result<Snapshot> {
        let mut waiting: std::collections::BTreeMap<String, usize> =
            self.forms.iter().map(|f| (f.clone(), 0)).collect();
        for entry in crate::spool::waiting_in(&self.data_dir)? {
            *waiting.entry(entry.form).or_default() += 1;
        }
        let upcoming = self.sources.upcoming(now, self.settings.warn_before)?;
        Ok(Snapshot { waiting, upcoming, now: Some(now) })
    }

    /// The message for tick `at`.
    pub async fn compose(self: &Arc<Self>, at: Timestamp) -> std::io::Result<Message> {
        let this = self.clone();
        let snapshot = tokio::task::spawn_blocking(move || this.snapshot(SystemTime::now()))
            .await
            .map_err(std::io::Error::other)??;
        Ok(compose(&snapshot, self.settings.counts, at))
    }

    /// Composes the message for `at` and delivers it on every channel at once, retrying with
    /// `backoff`; records (for `status`) and returns each channel's outcome, and logs each
    /// failure once.
    pub async fn send(self: &Arc<Self>, at: Timestamp, backoff: &[Duration]) -> Vec<Outcome> {
        let outcomes = self.send_unrecorded(at, backoff).await;
        let (data_dir, written) = (self.data_dir.clone(), outcomes.clone());
        let saved = tokio::task::spawn_blocking(move || record::write(&data_dir, &written)).await;
        if !matches!(saved, Ok(Ok(()))) {
            tracing::warn!("notification: recording the outcome failed");
        }
        outcomes
    }

    /// [`Notifier::send`] without recording the outcome (`notify-test`, run by the admin beside
    /// the service, leaves the service's record alone).
    pub async fn send_unrecorded(self: &Arc<Self>, at: Timestamp, backoff: &[Duration]) -> Vec<Outcome> {
        let message = match self.compose(at).await {
            Ok(message) => message,
            Err(e) => {
                tracing::error!(error_kind = ?e.kind(), "notification: reading the spool failed; nothing sent");
                return Vec::new();
            }
        };
        let outcomes =
            futures_util::future::join_all(self.channels.iter().map(|c| deliver(c, &message, backoff))).await;
        for outcome in &outcomes {
            if outcome.ok {
                tracing::info!(channel = %outcome.channel, attempts = outcome.attempts, "notification sent");
            } else {
                self.metrics.notification_failed(&outcome.channel);
                tracing::warn!(
                    channel = %outcome.channel,
                    attempts = outcome.attempts,
                    reason = outcome.reason.as_deref().unwrap_or("unknown"),
                    "notification failed"
                );
            }
        }
        outcomes
    }

    /// The schedule's next tick after `now`.
    pub fn next_tick(&self, now: Timestamp) -> Timestamp {
        schedule::next_after(&self.settings.schedule, now)
    }

    /// Sends at every tick, forever. A tick that passes while the previous message is still
    /// being retried is skipped (the next one says the same, newer).
    pub async fn run(self: Arc<Self>) {
        loop {
            let tick = self.next_tick(Timestamp::now());
            loop {
                let left = tick.duration_since(Timestamp::now());
                if left.is_negative() || left.is_zero() {
                    break;
                }
                let left = Duration::try_from(left).unwrap_or(MAX_SLEEP);
                tokio::time::sleep(left.min(MAX_SLEEP)).await;
            }
            self.send(tick, &RETRY_BACKOFF).await;
        }
    }
}
