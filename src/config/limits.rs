//! `[limits]`: every bound an attacker could push against (invariant 7), with the defaults of
//! those that have one and the checks that keep them consistent.

use std::num::NonZeroU32;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::errors::{ConfigError, Source};
use super::units::{Human, Size};

/// Default bound on the number of parts or pairs in one submission body.
const DEFAULT_MAX_FIELDS: usize = 100;
/// Default time a client has to send its request headers.
const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a whole request may take, upload included (a 25 MiB upload on a slow phone).
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// Default number of connections served at once; further clients wait in the kernel backlog.
const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default number of slots in the per-client rate-limit table (≈ 70 bytes each).
const DEFAULT_RATE_LIMIT_TABLE: usize = 100_000;
/// Default number of requests one client (IPv4 address, IPv6 /64) may have in flight at once.
/// A page load needs two (the page and its stylesheet); eight leaves room for a few people
/// behind one shared address (a family, an office, carrier-grade NAT) while one address can hold
/// only a small share of `max_connections`.
const DEFAULT_MAX_REQUESTS_PER_CLIENT: usize = 8;
/// Default number of connections one peer network may hold at once on a listener it reaches
/// directly (not through a trusted proxy). Browsers open at most 6 per host and keep them alive;
/// 32 leaves room for several people behind one address.
const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 32;
/// Default slowest upload accepted, in bytes per second: 512 B/s is 4 kbit/s, a fifth of the
/// slowest GPRS uplinks (20–100 kbit/s on GPRS/EDGE), so a phone on 2G with a weak signal still
/// gets through while a body that trickles in to hold a connection is cut off.
const DEFAULT_MIN_UPLOAD_RATE: u64 = 512;
/// Default window over which the upload rate is averaged; also the grace before the first
/// check, so a radio that needs seconds to wake up or a TCP slow start is never judged. Never
/// more than `request_timeout`: a shorter request timeout shortens the default window too.
const DEFAULT_UPLOAD_RATE_WINDOW: Duration = Duration::from_secs(30);
/// Default time an HTTP/2 connection may stay open with no request in flight (it answering
/// pings is not enough) before it is closed with a GOAWAY.
const DEFAULT_HTTP2_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// `[limits]`: every growable resource's bound.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body in bytes, attachments included; over it the client gets a 413 page.
    pub max_body: u64,
    /// Rate limit per client address (IPv6 by /64).
    pub per_client: Rate,
    /// Rate limit over all clients together.
    pub global: Rate,
    /// Bytes of sealed submissions the spool may hold before new ones get a 503 page.
    pub max_spool: u64,
    /// A form sent sooner than this after it was served is treated as a bot.
    pub min_fill_time: Duration,
    /// A form older than this asks the person to check and send again.
    pub max_fill_time: Duration,
    /// Most parts (multipart) or pairs (urlencoded) one submission may carry.
    pub max_fields: usize,
    /// Time allowed for a client to send its request headers.
    pub header_read_timeout: Duration,
    /// Time allowed for a whole request, body included.
    pub request_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Slots in the per-client rate-limit table; clients beyond it share slots.
    pub rate_limit_table: usize,
    /// Requests one client (keyed like the rate limit) may have in flight at once; beyond it, a
    /// 429 page and the connection is closed.
    pub max_requests_per_client: usize,
    /// Connections one peer network may hold at once when it is not a trusted proxy; beyond it,
    /// new connections are closed as soon as they are accepted.
    pub max_connections_per_client: usize,
    /// Slowest accepted request body, in bytes per second, averaged over `upload_rate_window`.
    pub min_upload_rate: u64,
    /// The window the upload rate is averaged over, and the grace before the first check;
    /// counts only time spent waiting for the body. At most `request_timeout` (refused at load:
    /// a longer window is never judged, and a huge one would overflow the clock).
    pub upload_rate_window: Duration,
    /// Time an HTTP/2 connection may stay open with no request in flight.
    pub http2_idle_timeout: Duration,
    /// `keep_unpulled`: how long a submission no one pulled stays in the spool (required).
    pub keep_unpulled: Keep,
}

/// How long something is kept before it expires: written explicitly, `"forever"` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Never expires.
    Forever,
    /// Expires this long after it was written (or last active).
    For(Duration),
}

impl Keep {
    /// The duration, unless forever.
    pub fn duration(self) -> Option<Duration> {
        match self {
            Keep::Forever => None,
            Keep::For(d) => Some(d),
        }
    }
}

impl std::fmt::Display for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::Forever => f.write_str("forever"),
            Keep::For(d) => f.write_str(&humantime::format_duration(*d).to_string()),
        }
    }
}

/// Shortest `keep_unpulled` accepted: less than a day would delete a request sent on a Friday
/// evening before anyone could pull it.
pub const MIN_KEEP_UNPULLED: Duration = Duration::from_secs(24 * 3600);

/// A token-bucket rate: `burst` requests at once, refilled at one per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed back to back.
    pub burst: NonZeroU32,
    /// Time for one request's worth of budget to come back.
    pub period: Duration,
}

/// `[limits]` exactly as the TOML has it; read into [`LimitsWithSpans`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    pub max_body: Size,
    pub per_client: Spanned<RawRate>,
    pub global: Spanned<RawRate>,
    pub max_spool: Size,
    pub min_fill_time: Human,
    pub max_fill_time: Human,
    pub max_fields: Option<usize>,
    pub header_read_timeout: Option<Human>,
    pub request_timeout: Option<Human>,
    pub max_connections: Option<usize>,
    pub rate_limit_table: Option<usize>,
    pub max_requests_per_client: Option<usize>,
    pub max_connections_per_client: Option<usize>,
    pub min_upload_rate: Option<Size>,
    pub upload_rate_window: Option<Human>,
    pub http2_idle_timeout: Option<Human>,
    pub keep_unpulled: Spanned<String>,
}

/// `[limits]` as written, with the rate tables unwrapped and their spans kept for messages.
pub(super) struct LimitsWithSpans {
    pub max_body: Size,
    pub per_client: RawRate,
    pub per_client_span: std::ops::Range<usize>,
    pub global: RawRate,
    pub global_span: std::ops::Range<usize>,
    pub max_spool: Size,
    pub min_fill_time: Human,
    pub max_fill_time: Human,
    pub max_fields: Option<usize>,
    pub header_read_timeout: Option<Human>,
    pub request_timeout: Option<Human>,
    pub max_connections: Option<usize>,
    pub rate_limit_table: Option<usize>,
    pub max_requests_per_client: Option<usize>,
    pub max_connections_per_client: Option<usize>,
    pub min_upload_rate: Option<Size>,
    pub upload_rate_window: Option<Human>,
    pub http2_idle_timeout: Option<Human>,
    pub keep_unpulled: Spanned<String>,
}

impl<'de> Deserialize<'de> for LimitsWithSpans {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let l = RawLimits::deserialize(d)?;
        Ok(LimitsWithSpans {
            max_body: l.max_body,
            per_client_span: l.per_client.span(),
            per_client: l.per_client.into_inner(),
            global_span: l.global.span(),
            global: l.global.into_inner(),
            max_spool: l.max_spool,
            min_fill_time: l.min_fill_time,
            max_fill_time: l.max_fill_time,
            max_fields: l.max_fields,
            header_read_timeout: l.header_read_timeout,
            request_timeout: l.request_timeout,
            max_connections: l.max_connections,
            rate_limit_table: l.rate_limit_table,
            max_requests_per_client: l.max_requests_per_client,
            max_connections_per_client: l.max_connections_per_client,
            min_upload_rate: l.min_upload_rate,
            upload_rate_window: l.upload_rate_window,
            http2_idle_timeout: l.http2_idle_timeout,
            keep_unpulled: l.keep_unpulled,
        })
    }
}

/// A rate table as written: a burst and exactly one of per second, minute or hour.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRate {
    pub burst: u32,
    pub per_second: Option<u32>,
    pub per_minute: Option<u32>,
    pub per_hour: Option<u32>,
}

impl RawRate {
    pub fn rate(&self) -> Result<Rate, String> {
        let burst = NonZeroU32::new(self.burst).ok_or("burst must be at least 1")?;
        let (count, window) = match (self.per_second, self.per_minute, self.per_hour) {
            (Some(n), None, None) => (n, 1),
            (None, Some(n), None) => (n, 60),
            (None, None, Some(n)) => (n, 3600),
            _ => return Err("give exactly one of per_second, per_minute, per_hour".into()),
        };
        if count == 0 {
            return Err("the rate must be at least 1".into());
        }
        let period = Duration::from_secs(window) / count;
        if period.is_zero() {
            return Err("the rate is too high".into());
        }
        Ok(Rate { burst, period })
    }
}

/// `"forever"`, or a duration of at least [`MIN_KEEP_UNPULLED`] (and at most about 100 years, so
/// adding it to a file's time never overflows).
fn parse_keep(text: &str) -> Option<Keep> {
    if text.trim() == "forever" {
        return Some(Keep::Forever);
    }
    let d = humantime::parse_duration(text).ok()?;
    (MIN_KEEP_UNPULLED..=Duration::from_secs(100 * 365 * 24 * 3600)).contains(&d).then_some(Keep::For(d))
}

/// `[limits]`, validated.
pub(super) fn parse_limits(l: LimitsWithSpans, source: Source<'_>) -> Result<Limits, ConfigError> {
    let per_client = l
        .per_client
        .rate()
        .map_err(|m| source.invalid(l.per_client_span.clone(), format!("limits.per_client: {m}"), None))?;
    let global =
        l.global.rate().map_err(|m| source.invalid(l.global_span.clone(), format!("limits.global: {m}"), None))?;
    let request_timeout = l.request_timeout.map_or(DEFAULT_REQUEST_TIMEOUT, |d| d.0);
    let keep_unpulled = parse_keep(l.keep_unpulled.get_ref()).ok_or_else(|| {
        source.invalid(
            l.keep_unpulled.span(),
            format!(
                "limits.keep_unpulled: \"{}\" is not a duration of at least a day, nor \"forever\"",
                l.keep_unpulled.get_ref()
            ),
            Some("write it like \"30d\"; \"forever\" keeps what no one pulls until someone does"),
        )
    })?;
    let limits = Limits {
        max_body: l.max_body.0,
        per_client,
        global,
        max_spool: l.max_spool.0,
        min_fill_time: l.min_fill_time.0,
        max_fill_time: l.max_fill_time.0,
        max_fields: l.max_fields.unwrap_or(DEFAULT_MAX_FIELDS),
        header_read_timeout: l.header_read_timeout.map_or(DEFAULT_HEADER_READ_TIMEOUT, |d| d.0),
        request_timeout,
        max_connections: l.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS),
        rate_limit_table: l.rate_limit_table.unwrap_or(DEFAULT_RATE_LIMIT_TABLE),
        max_requests_per_client: l.max_requests_per_client.unwrap_or(DEFAULT_MAX_REQUESTS_PER_CLIENT),
        // The default never exceeds a smaller max_connections; a written value must not.
        max_connections_per_client: l
            .max_connections_per_client
            .unwrap_or(DEFAULT_MAX_CONNECTIONS_PER_CLIENT.min(l.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS))),
        min_upload_rate: l.min_upload_rate.map_or(DEFAULT_MIN_UPLOAD_RATE, |s| s.0),
        // The default never exceeds a shorter request_timeout; a written value must not.
        upload_rate_window: l.upload_rate_window.map_or(DEFAULT_UPLOAD_RATE_WINDOW.min(request_timeout), |d| d.0),
        http2_idle_timeout: l.http2_idle_timeout.map_or(DEFAULT_HTTP2_IDLE_TIMEOUT, |d| d.0),
        keep_unpulled,
    };
    if limits.min_fill_time >= limits.max_fill_time {
        return Err(source.inconsistent(
            "limits.min_fill_time must be shorter than limits.max_fill_time".into(),
            Some("typical values are \"3s\" and \"24h\""),
        ));
    }
    for (name, value) in [
        ("max_fields", limits.max_fields),
        ("max_connections", limits.max_connections),
        ("rate_limit_table", limits.rate_limit_table),
        ("max_requests_per_client", limits.max_requests_per_client),
        ("max_connections_per_client", limits.max_connections_per_client),
    ] {
        if value == 0 {
            return Err(source.inconsistent(format!("limits.{name} must be at least 1"), None));
        }
    }

    for (name, value) in
        [("upload_rate_window", limits.upload_rate_window), ("http2_idle_timeout", limits.http2_idle_timeout)]
    {
        if value.is_zero() {
            return Err(source.inconsistent(
                format!("limits.{name} must be longer than zero"),
                Some("typical values are \"30s\" and \"60s\""),
            ));
        }
    }
    // A window longer than the whole request could never be judged, and one long enough
    // would overflow the clock.
    if limits.upload_rate_window > limits.request_timeout {
        return Err(source.inconsistent(
            "limits.upload_rate_window must not be longer than limits.request_timeout".into(),
            Some("the rate is averaged over a window inside one request; typical is \"30s\""),
        ));
    }
    if limits.max_connections_per_client > limits.max_connections {
        return Err(source.inconsistent(
            "limits.max_connections_per_client must not exceed limits.max_connections".into(),
            Some("one address should hold only a small share of the connections"),
        ));
    }
    Ok(limits)
}
