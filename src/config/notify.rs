//! `[notify]` and `[ops]`: when staff hear that something waits, through which channels, with
//! which secrets; and the operator's metrics listener.
//!
//! Schedules are fixed times of day in a named IANA time zone, or every N hours on the clock,
//! never an event: a message sent when a submission arrives would tell whoever watches the mail
//! server when someone wrote (DESIGN §11). Secrets (the SMTP password, the webhook's HMAC key)
//! never live in the TOML: they come from a file only its owner can read, or from an environment
//! variable the file names.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use toml::Spanned;

use super::errors::{ConfigError, Source};
use super::server::parse_tcp;
use super::units::Human;

/// Default lead time of retention warnings: a warning three days ahead reaches staff on a
/// weekday schedule even across a weekend.
const DEFAULT_WARN_BEFORE: Duration = Duration::from_secs(3 * 24 * 3600);
/// Most times of day in `notify.at`: more would be a stream, not a schedule.
pub const MAX_TIMES_OF_DAY: usize = 24;
/// Shortest webhook secret accepted, in bytes: 128 bits written as 32 hex digits.
pub const MIN_WEBHOOK_SECRET: usize = 32;
/// Largest secret file read (a password or a key, never a document).
const MAX_SECRET_FILE: u64 = 4096;
/// Most addresses in `notify.smtp.to`.
pub const MAX_MAIL_RECIPIENTS: usize = 20;

/// `[notify]`, validated.
#[derive(Debug)]
pub struct Notify {
    /// When messages go out.
    pub schedule: Schedule,
    /// `notify.counts`: per-form counts in each message (default false: only "something is
    /// waiting" or "nothing new", which tells a reader of the channel less).
    pub counts: bool,
    /// `notify.warn_before`: how long ahead of an expiry the messages start warning.
    pub warn_before: Duration,
    /// `[notify.smtp]`.
    pub smtp: Option<Smtp>,
    /// `[notify.webhook]`.
    pub webhook: Option<Webhook>,
}

/// A notification schedule in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The IANA name as written (`"Europe/Madrid"`), for messages and `status`.
    pub zone_name: String,
    /// The zone's rules, daylight saving time included.
    pub zone: jiff::tz::TimeZone,
    /// The ticks within a day.
    pub when: When,
}

/// Which moments of each day are ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// `notify.at`: these times of day, sorted, without repeats.
    At(Vec<jiff::civil::Time>),
    /// `notify.every`: every N hours on the clock from midnight (N divides 24).
    EveryHours(i8),
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte (usually port 465).
    ImplicitTls,
    /// `smtp://…?tls=starttls`: plain first, then STARTTLS, which is required (usually port 587).
    StartTls,
    /// `smtp://` without TLS: only to a relay on this host (loopback).
    Plain,
}

/// `[notify.smtp]`, validated.
#[derive(Debug)]
pub struct Smtp {
    /// The server's host name (verified against its certificate) or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// TLS from the start, STARTTLS, or none (loopback only).
    pub security: SmtpSecurity,
    /// The AUTH user name, with [`Smtp::password`].
    pub username: Option<String>,
    /// The AUTH password, read from `password_file` or `password_env`.
    pub password: Option<SecretString>,
    /// The sender, as `Name <address>` or a bare address.
    pub from: lettre::message::Mailbox,
    /// Who receives the messages.
    pub to: Vec<lettre::message::Mailbox>,
    /// `ca_file`: trust only this CA (PEM) for the server's certificate instead of the system's.
    pub ca_file: Option<PathBuf>,
}

/// `[notify.webhook]`, validated.
#[derive(Debug)]
pub struct Webhook {
    /// The whole `https://` URL, as written.
    pub url: http::Uri,
    /// The HMAC-SHA256 key for the signature header, from `secret_file` or `secret_env`.
    pub secret: SecretString,
    /// `ca_file`: trust only this CA (PEM) for the receiver's certificate instead of the system's.
    pub ca_file: Option<PathBuf>,
}

/// `[ops]`, validated.
#[derive(Debug, Clone)]
pub struct Ops {
    /// Where `/metrics` is served; never the public listener.
    pub listen: SocketAddr,
}

/// `[notify]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotify {
    time_zone: Spanned<String>,
    at: Option<Spanned<Vec<String>>>,
    every: Option<Spanned<String>>,
    counts: Option<bool>,
    warn_before: Option<Human>,
    smtp: Option<RawSmtp>,
    webhook: Option<RawWebhook>,
}

/// `[notify.smtp]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    url: Spanned<String>,
    username: Option<String>,
    password_file: Option<Spanned<PathBuf>>,
    password_env: Option<Spanned<String>>,
    from: Spanned<String>,
    to: Spanned<Vec<String>>,
    ca_file: Option<PathBuf>,
}

/// `[notify.webhook]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: Spanned<String>,
    secret_file: Option<Spanned<PathBuf>>,
    secret_env: Option<Spanned<String>>,
    ca_file: Option<PathBuf>,
}

/// `[ops]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOps {
    listen: Spanned<String>,
    allow_non_loopback: Option<bool>,
}

/// Where secrets may come from besides files: the environment, read only for a variable the
/// config names. Tests pass their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Whether the secrets a config names are read (`serve`, `check-config`, `notify-test`) or
/// left unread (`status`, which sends nothing and often runs where only the service can see
/// them, e.g. systemd credentials).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Read and check them.
    Read,
    /// Leave them unread; each stands as an empty secret.
    Skip,
}

/// `[notify]`, validated: the schedule, the channels and their secrets.
pub(super) fn parse_notify(
    raw: RawNotify,
    source: Source<'_>,
    base: &Path,
    env: Env<'_>,
    secrets: Secrets,
) -> Result<Notify, ConfigError> {
    let schedule = parse_schedule(&raw, source)?;
    let smtp = raw.smtp.map(|smtp| parse_smtp(smtp, source, base, env, secrets)).transpose()?;
    let webhook = raw.webhook.map(|webhook| parse_webhook(webhook, source, base, env, secrets)).transpose()?;
    if smtp.is_none() && webhook.is_none() {
        return Err(source.inconsistent(
            "[notify] names no channel".into(),
            Some("add [notify.smtp] or [notify.webhook], or leave [notify] out"),
        ));
    }
    Ok(Notify {
        schedule,
        counts: raw.counts.unwrap_or(false),
        warn_before: raw.warn_before.map_or(DEFAULT_WARN_BEFORE, |d| d.0),
        smtp,
        webhook,
    })
}

fn parse_schedule(raw: &RawNotify, source: Source<'_>) -> Result<Schedule, ConfigError> {
    let zone_name = raw.time_zone.get_ref().trim().to_string();
    let zone = jiff::tz::db().get(&zone_name).map_err(|_| {
        source.invalid(
            raw.time_zone.span(),
            format!("notify.time_zone: \"{zone_name}\" is not a known time zone"),
            Some("write an IANA name like \"Europe/Madrid\", \"America/New_York\" or \"UTC\""),
        )
    })?;
    let when = match (&raw.at, &raw.every) {
        (Some(at), None) => {
            let mut times = Vec::new();
            for text in at.get_ref() {
                let time = parse_time_of_day(text).ok_or_else(|| {
                    source.invalid(
                        at.span(),
                        format!("notify.at: \"{text}\" is not a time of day"),
                        Some("write 24-hour times like \"09:00\" or \"17:30\""),
                    )
                })?;
                times.push(time);
            }
            times.sort();
            times.dedup();
            if times.is_empty() || times.len() > MAX_TIMES_OF_DAY {
                return Err(source.invalid(
                    at.span(),
                    format!("notify.at: give between 1 and {MAX_TIMES_OF_DAY} times of day"),
                    Some("for example at = [\"09:00\", \"14:00\"]"),
                ));
            }
            When::At(times)
        }
        (None, Some(every)) => {
            let hours = humantime::parse_duration(every.get_ref())
                .ok()
                .filter(|d| d.as_secs() % 3600 == 0 && d.subsec_nanos() == 0)
                .map(|d| d.as_secs() / 3600)
                .filter(|h| (1..=24).contains(h) && 24 % h == 0)
                .and_then(|h| i8::try_from(h).ok());
            When::EveryHours(hours.ok_or_else(|| {
                source.invalid(
                    every.span(),
                    format!("notify.every: \"{}\" is not a whole number of hours that divides a day", every.get_ref()),
                    Some("write one of \"1h\", \"2h\", \"3h\", \"4h\", \"6h\", \"8h\", \"12h\" or \"24h\"; ticks fall on the clock from midnight"),
                )
            })?)
        }
        _ => {
            let span = raw.at.as_ref().map(Spanned::span).or(raw.every.as_ref().map(Spanned::span));
            let message = "notify: give exactly one of at (times of day) or every (hours)".to_string();
            let hint = Some("for example at = [\"09:00\", \"14:00\"], or every = \"6h\"");
            return Err(match span {
                Some(span) => source.invalid(span, message, hint),
                None => source.inconsistent(message, hint),
            });
        }
    };
    Ok(Schedule { zone_name, zone, when })
}

/// `"HH:MM"`, 24-hour, exactly two digits each.
fn parse_time_of_day(text: &str) -> Option<jiff::civil::Time> {
    let (h, m) = text.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    jiff::civil::Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

fn parse_smtp(
    raw: RawSmtp,
    source: Source<'_>,
    base: &Path,
    env: Env<'_>,
    secrets: Secrets,
) -> Result<Smtp, ConfigError> {
    let at = |span: std::ops::Range<usize>, message: String, hint: &str| source.invalid(span, message, Some(hint));
    let url = raw.url.get_ref();
    let uri: http::Uri = url
        .parse()
        .map_err(|_| at(raw.url.span(), format!("notify.smtp.url: \"{url}\" is not a URL"), SMTP_URL_HINT))?;
    let authority = uri
        .authority()
        .ok_or_else(|| at(raw.url.span(), format!("notify.smtp.url: \"{url}\" names no server"), SMTP_URL_HINT))?;
    if authority.as_str().contains('@') {
        return Err(at(
            raw.url.span(),
            "notify.smtp.url: holds credentials".into(),
            "never write a password in the config: give username, and password_file or password_env",
        ));
    }
    let query = uri.query();
    let security = match (uri.scheme_str(), query) {
        (Some("smtps"), None) => SmtpSecurity::ImplicitTls,
        (Some("smtp"), Some("tls=starttls")) => SmtpSecurity::StartTls,
        (Some("smtp"), None) => SmtpSecurity::Plain,
        _ => {
            return Err(at(raw.url.span(), format!("notify.smtp.url: \"{url}\" is not an SMTP URL"), SMTP_URL_HINT));
        }
    };
    if uri.path() != "/" && !uri.path().is_empty() {
        return Err(at(raw.url.span(), format!("notify.smtp.url: \"{url}\" has a path"), SMTP_URL_HINT));
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let port = authority.port_u16().unwrap_or(match security {
        SmtpSecurity::ImplicitTls => 465,
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Plain => 25,
    });
    if security == SmtpSecurity::Plain && !is_loopback_host(&host) {
        return Err(at(
            raw.url.span(),
            format!("notify.smtp.url: refusing SMTP without TLS to {host}, which is not this host"),
            "use \"smtps://HOST\" (TLS from the start, port 465) or \"smtp://HOST:587?tls=starttls\"; plain smtp:// is only for a relay on 127.0.0.1",
        ));
    }
    let password = secret(
        "notify.smtp",
        ("password_file", raw.password_file.as_ref()),
        ("password_env", raw.password_env.as_ref()),
        source,
        base,
        env,
        secrets,
    )?;
    if password.is_some() != raw.username.is_some() {
        return Err(source.inconsistent(
            "notify.smtp: username and a password (password_file or password_env) go together".into(),
            Some("give both for a server that asks for AUTH, or neither for a local relay"),
        ));
    }
    let from = raw.from.get_ref().parse::<lettre::message::Mailbox>().map_err(|_| {
        at(
            raw.from.span(),
            format!("notify.smtp.from: \"{}\" is not a mail address", raw.from.get_ref()),
            "write it like \"sealpost <sealpost@example.org>\"",
        )
    })?;
    let mut to = Vec::new();
    for address in raw.to.get_ref() {
        to.push(address.parse::<lettre::message::Mailbox>().map_err(|_| {
            at(
                raw.to.span(),
                format!("notify.smtp.to: \"{address}\" is not a mail address"),
                "write addresses like \"intake@example.org\"",
            )
        })?);
    }
    if to.is_empty() || to.len() > MAX_MAIL_RECIPIENTS {
        return Err(at(
            raw.to.span(),
            format!("notify.smtp.to: give between 1 and {MAX_MAIL_RECIPIENTS} addresses"),
            "a team list address reaches everyone with one line",
        ));
    }
    Ok(Smtp {
        host,
        port,
        security,
        username: raw.username,
        password,
        from,
        to,
        ca_file: raw.ca_file.map(|f| base.join(f)),
    })
}

const SMTP_URL_HINT: &str =
    "write \"smtps://mail.example.org\" (TLS, port 465) or \"smtp://mail.example.org:587?tls=starttls\"";

fn parse_webhook(
    raw: RawWebhook,
    source: Source<'_>,
    base: &Path,
    env: Env<'_>,
    secrets: Secrets,
) -> Result<Webhook, ConfigError> {
    let url = raw.url.get_ref();
    let uri = url
        .parse::<http::Uri>()
        .ok()
        .filter(|u| u.scheme_str() == Some("https") && u.authority().is_some_and(|a| !a.host().is_empty()));
    let Some(uri) = uri else {
        return Err(source.invalid(
            raw.url.span(),
            format!("notify.webhook.url: \"{url}\" is not an https:// URL"),
            Some("the webhook carries a signed message over the internet: write \"https://ntfy.example.org/topic\""),
        ));
    };
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(source.invalid(
            raw.url.span(),
            "notify.webhook.url: holds credentials".into(),
            Some("put the receiver's secret in secret_file; the URL stays free of passwords"),
        ));
    }
    let secret = secret(
        "notify.webhook",
        ("secret_file", raw.secret_file.as_ref()),
        ("secret_env", raw.secret_env.as_ref()),
        source,
        base,
        env,
        secrets,
    )?
    .ok_or_else(|| {
        source.inconsistent(
            "notify.webhook: give secret_file or secret_env (the HMAC-SHA256 key)".into(),
            Some("make one with: openssl rand -hex 32 > /etc/sealpost/webhook-secret; chmod 600 /etc/sealpost/webhook-secret"),
        )
    })?;
    if secrets == Secrets::Read && secrecy::ExposeSecret::expose_secret(&secret).len() < MIN_WEBHOOK_SECRET {
        return Err(source.inconsistent(
            format!("notify.webhook: the secret is shorter than {MIN_WEBHOOK_SECRET} characters"),
            Some("make one with: openssl rand -hex 32"),
        ));
    }
    Ok(Webhook { url: uri, secret, ca_file: raw.ca_file.map(|f| base.join(f)) })
}

/// A secret from exactly one of a file (owner-only mode) or a named environment variable, or
/// none when neither is given.
fn secret(
    table: &str,
    (file_key, file): (&str, Option<&Spanned<PathBuf>>),
    (env_key, var): (&str, Option<&Spanned<String>>),
    source: Source<'_>,
    base: &Path,
    env: Env<'_>,
    secrets: Secrets,
) -> Result<Option<SecretString>, ConfigError> {
    match (file, var) {
        (None, None) => Ok(None),
        (Some(_), None) | (None, Some(_)) if secrets == Secrets::Skip => Ok(Some(SecretString::from(String::new()))),
        (Some(_), Some(var)) => Err(source.invalid(
            var.span(),
            format!("{table}: give {file_key} or {env_key}, not both"),
            Some("a file is easier to keep out of process listings and logs"),
        )),
        (Some(file), None) => {
            let path = base.join(file.get_ref());
            read_secret_file(&path).map(Some).map_err(|(message, hint)| {
                source.invalid(file.span(), format!("{table}.{file_key}: {}: {message}", path.display()), Some(hint))
            })
        }
        (None, Some(var)) => {
            let name = var.get_ref();
            let value = env(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
            value.map(|v| Some(SecretString::from(v))).ok_or_else(|| {
                source.invalid(
                    var.span(),
                    format!("{table}.{env_key}: the environment variable {name} is not set"),
                    Some("set it in the service's environment (a systemd EnvironmentFile= with mode 0600), or use a file"),
                )
            })
        }
    }
}

/// Reads a secret file: a regular file no one but its owner can read or write, non-empty,
/// small; its one line, without the line end.
fn read_secret_file(path: &Path) -> Result<SecretString, (String, &'static str)> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    const WHERE: &str = "relative paths are read from the config file's folder; under systemd, LoadCredential= puts it in /run/credentials/sealpost.service/";
    let mut file = std::fs::File::open(path).map_err(|e| (sealpost_format::files::io_reason(&e), WHERE))?;
    let meta = file.metadata().map_err(|e| (sealpost_format::files::io_reason(&e), WHERE))?;
    if !meta.is_file() {
        return Err(("is not a file".into(), WHERE));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err((
            format!("mode {mode:04o} lets others read it"),
            "make it readable by its owner only: chmod 600 FILE",
        ));
    }
    if meta.len() > MAX_SECRET_FILE {
        return Err((format!("is larger than {MAX_SECRET_FILE} bytes"), "the file holds one line: the secret"));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|_| ("is not UTF-8 text".to_string(), "the file holds one line: the secret"))?;
    let line = text.trim_end_matches(['\n', '\r']).to_string();
    zeroize::Zeroize::zeroize(&mut text);
    if line.is_empty() || line.contains('\n') {
        return Err(("must hold exactly one non-empty line".into(), "the file holds one line: the secret"));
    }
    Ok(SecretString::from(line))
}

/// `localhost` or a loopback address.
fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `[ops]`, validated: loopback unless `allow_non_loopback = true`, and never a public listener.
pub(super) fn parse_ops(
    raw: RawOps,
    source: Source<'_>,
    taken: &[(Option<SocketAddr>, &str)],
) -> Result<Ops, ConfigError> {
    let span = raw.listen.span();
    let listen =
        parse_tcp(raw.listen.get_ref(), "ops.listen").map_err(|(m, h)| source.invalid(span.clone(), m, Some(h)))?;
    if !listen.ip().is_loopback() && raw.allow_non_loopback != Some(true) {
        return Err(source.invalid(
            span,
            format!("ops.listen: refusing metrics on non-loopback address {listen}"),
            Some("metrics say when people write: keep them on 127.0.0.1 and scrape through an SSH tunnel, or set allow_non_loopback = true behind a firewall"),
        ));
    }
    if let Some((_, key)) = taken.iter().find(|(a, _)| a.is_some_and(|a| a == listen && a.port() != 0)) {
        return Err(source.invalid(
            span,
            format!("ops.listen: {listen} is already {key}"),
            Some("metrics are never served on a listener the public reaches; choose another port"),
        ));
    }
    Ok(Ops { listen })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_times_of_day_strictly() {
        assert_eq!(parse_time_of_day("09:05"), jiff::civil::Time::new(9, 5, 0, 0).ok());
        for bad in ["9:05", "09:5", "24:00", "09:60", "0905", "09:05:00", "٠٩:٠٥", "", "ab:cd"] {
            assert_eq!(parse_time_of_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn loopback_hosts_are_only_this_host() {
        assert!(is_loopback_host("127.0.0.1") && is_loopback_host("::1") && is_loopback_host("localhost"));
        assert!(!is_loopback_host("mail.example.org") && !is_loopback_host("10.0.0.1"));
    }
}
