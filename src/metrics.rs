//! Counters and gauges for the operator (DESIGN §11), in the Prometheus text format.
//!
//! Job: count what the service does so `[ops] listen` can show it: submissions accepted and
//! refused by reason, spool bytes and entries per form, open connections, the rate-limit
//! table's size, notification failures per channel, expired submissions.
//! Invariant: labels are only operator-chosen names (form ids, channel names) and fixed reason
//! words; values are counts (invariant 5: no content, addresses, agents or locales).
//! Never: served on a public listener (see `ops`), or timed per request (a latency histogram
//! would help tell one submitter's upload apart).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// A label set: fixed keys, operator-chosen or fixed values.
type Labels = Vec<(&'static str, String)>;

/// Every metric the service keeps, and the registry that encodes them.
pub struct Metrics {
    registry: Registry,
    /// `sealpost_submissions_accepted_total{form}`.
    accepted: Family<Labels, Counter>,
    /// `sealpost_submissions_refused_total{form, reason}`.
    refused: Family<Labels, Counter>,
    /// `sealpost_submissions_expired_total{form}`.
    expired: Family<Labels, Counter>,
    /// `sealpost_spool_bytes{form}`, set when scraped.
    spool_bytes: Family<Labels, Gauge>,
    /// `sealpost_spool_entries{form}`, set when scraped.
    spool_entries: Family<Labels, Gauge>,
    /// `sealpost_spool_used_bytes` and `sealpost_spool_max_bytes`: the quota's count.
    spool_used: Gauge,
    spool_max: Gauge,
    /// `sealpost_connections`: connections open on every listener.
    connections: Gauge,
    /// `sealpost_rate_limit_table_entries`: clients the per-client limiter tracks.
    limiter_entries: Gauge,
    /// `sealpost_notification_failures_total{channel}`: deliveries that failed after retries.
    notification_failures: Family<Labels, Counter>,
}

/// Why a submission was refused, as a metrics label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 422: a mistake in the form, a bot trap, or a spent or stale timing token.
    Invalid,
    /// 429: a rate limit or the per-client request cap.
    RateLimited,
    /// 413: over `max_body` or a field's bound.
    TooLarge,
    /// 408: the body came too slowly.
    TooSlow,
    /// 400 or 415: an unreadable body.
    Malformed,
    /// 503: the spool is full.
    SpoolFull,
    /// 500: a server failure.
    Internal,
}

impl Refusal {
    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            Refusal::Invalid => "invalid",
            Refusal::RateLimited => "rate_limited",
            Refusal::TooLarge => "too_large",
            Refusal::TooSlow => "too_slow",
            Refusal::Malformed => "malformed",
            Refusal::SpoolFull => "spool_full",
            Refusal::Internal => "internal",
        }
    }

    /// The refusal a submission's answer status stands for; `None` for an acceptance (303) or
    /// a status a submission never gets.
    pub fn from_status(status: u16) -> Option<Refusal> {
        Some(match status {
            422 => Refusal::Invalid,
            429 => Refusal::RateLimited,
            413 => Refusal::TooLarge,
            408 => Refusal::TooSlow,
            400 | 415 => Refusal::Malformed,
            503 => Refusal::SpoolFull,
            500 => Refusal::Internal,
            _ => return None,
        })
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric at zero, registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("sealpost");
        let m = Metrics {
            accepted: Family::default(),
            refused: Family::default(),
            expired: Family::default(),
            spool_bytes: Family::default(),
            spool_entries: Family::default(),
            spool_used: Gauge::default(),
            spool_max: Gauge::default(),
            connections: Gauge::default(),
            limiter_entries: Gauge::default(),
            notification_failures: Family::default(),
            registry: Registry::default(),
        };
        registry.register("submissions_accepted", "Submissions stored durably", m.accepted.clone());
        registry.register("submissions_refused", "Submissions refused, by reason", m.refused.clone());
        registry.register("submissions_expired", "Unpulled submissions deleted by retention", m.expired.clone());
        registry.register("spool_bytes", "Bytes of ciphertext waiting, per form", m.spool_bytes.clone());
        registry.register("spool_entries", "Submissions waiting, per form", m.spool_entries.clone());
        registry.register("spool_used_bytes", "Bytes counted against limits.max_spool", m.spool_used.clone());
        registry.register("spool_max_bytes", "limits.max_spool", m.spool_max.clone());
        registry.register("connections", "Connections open on every listener", m.connections.clone());
        registry.register(
            "rate_limit_table_entries",
            "Clients the per-client rate limiter tracks",
            m.limiter_entries.clone(),
        );
        registry.register(
            "notification_failures",
            "Notifications that failed after every retry, per channel",
            m.notification_failures.clone(),
        );
        Metrics { registry, ..m }
    }

    /// One submission to `form` stored.
    pub fn accepted(&self, form: &str) {
        self.accepted.get_or_create(&vec![("form", form.to_string())]).inc();
    }

    /// One submission to `form` refused.
    pub fn refused(&self, form: &str, why: Refusal) {
        self.refused.get_or_create(&vec![("form", form.to_string()), ("reason", why.name().to_string())]).inc();
    }

    /// `n` unpulled submissions of `form` expired.
    pub fn expired(&self, form: &str, n: usize) {
        self.expired.get_or_create(&vec![("form", form.to_string())]).inc_by(n as u64);
    }

    /// A delivery on `channel` failed after its retries.
    pub fn notification_failed(&self, channel: &str) {
        self.notification_failures.get_or_create(&vec![("channel", channel.to_string())]).inc();
    }

    /// A connection opened; the guard counts it closed when dropped.
    pub fn connection(&self) -> ConnectionGuard {
        self.connections.inc();
        ConnectionGuard(self.connections.clone())
    }

    /// Sets the gauges read from the spool and the limiter, just before a scrape.
    pub fn set_state(&self, per_form: &[(String, u64, u64)], used: u64, max: u64, limiter_entries: usize) {
        self.spool_bytes.clear();
        self.spool_entries.clear();
        for (form, entries, bytes) in per_form {
            let labels = vec![("form", form.clone())];
            self.spool_entries.get_or_create(&labels).set(i64::try_from(*entries).unwrap_or(i64::MAX));
            self.spool_bytes.get_or_create(&labels).set(i64::try_from(*bytes).unwrap_or(i64::MAX));
        }
        self.spool_used.set(i64::try_from(used).unwrap_or(i64::MAX));
        self.spool_max.set(i64::try_from(max).unwrap_or(i64::MAX));
        self.limiter_entries.set(i64::try_from(limiter_entries).unwrap_or(i64::MAX));
    }

    /// Everything, in the Prometheus text format (version 0.0.4).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

/// Counts one open connection until dropped.
pub struct ConnectionGuard(Gauge);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_counters_and_gauges_with_only_form_channel_and_reason_labels() {
        let m = Metrics::new();
        m.accepted("contact");
        m.refused("contact", Refusal::RateLimited);
        m.notification_failed("smtp");
        let guard = m.connection();
        m.set_state(&[("contact".into(), 2, 4096)], 4096, 1 << 30, 7);
        let text = m.encode();
        for line in [
            "sealpost_submissions_accepted_total{form=\"contact\"} 1",
            "sealpost_submissions_refused_total{form=\"contact\",reason=\"rate_limited\"} 1",
            "sealpost_notification_failures_total{channel=\"smtp\"} 1",
            "sealpost_spool_entries{form=\"contact\"} 2",
            "sealpost_spool_bytes{form=\"contact\"} 4096",
            "sealpost_connections 1",
            "sealpost_rate_limit_table_entries 7",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        drop(guard);
        assert!(m.encode().contains("sealpost_connections 0"));
        assert_eq!(Refusal::from_status(303), None);
        assert_eq!(Refusal::from_status(503), Some(Refusal::SpoolFull));
    }
}
