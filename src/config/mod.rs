//! The configuration file and the recipients files it names, parsed once into typed values.
//!
//! Job: turn `sealpost.toml` into a [`Config`] that the other modules can trust without
//! re-checking: sizes are bytes, durations are [`Duration`]s, recipients are parsed public keys.
//! Invariant: a config that mentions a secret key anywhere is refused (DESIGN invariant 1), and
//! plain HTTP is refused on a non-loopback address unless TLS is configured or a trusted proxy on
//! another host is declared; a unix socket is served only to a proxy named in `trusted_proxies`.
//! Never: reads the environment (beyond a variable the file itself names as a secret's source),
//! or guesses a security-relevant value.
//!
//! Sections: [`server`](self::Server) (`server.rs`), [`limits`](self::Limits) (`limits.rs`),
//! [`forms`](self::FormSpec) (`forms.rs`), [`notify` and `ops`](self::Notify) (`notify.rs`:
//! schedules, channels, secrets from owner-only files); `errors.rs` holds the one error enum and `units.rs`
//! the sizes and durations as people write them. This file reads the whole and checks what
//! spans sections (`[staff]` against the listeners, `[pages]`).

mod errors;
mod forms;
mod limits;
mod notify;
mod server;
mod site;
#[cfg(test)]
mod tests;
mod units;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
#[cfg(doc)]
use std::time::Duration;

use errors::{Source, line_of};
use forms::{RawForm, parse_forms};
use limits::{LimitsWithSpans, parse_limits};
use notify::{RawNotify, RawOps, parse_notify, parse_ops};
use serde::Deserialize;
use server::{RawServer, parse_server, parse_tcp};
use site::{RawSite, parse_site};
use toml::Spanned;

pub use errors::ConfigError;
pub use forms::{FieldKind, FieldSpec, FormSpec, MAX_PATTERN_CHARS, MAX_TEXT_CHARS, Pattern, RecipientsSlot};
pub use limits::{Keep, Limits, MIN_KEEP_UNPULLED, Rate};
pub use notify::{
    Env, MAX_MAIL_RECIPIENTS, MAX_TIMES_OF_DAY, MIN_WEBHOOK_SECRET, Notify, Ops, Schedule, Secrets, Smtp, SmtpSecurity,
    Webhook, When,
};
pub use server::{ForwardedHeader, Listen, Server, Tls, TrustedProxies};
pub use site::{Logo, MAX_LOGO, MAX_SITE_TEXT, SITE_ADDRESS_ID, SITE_EMERGENCY_ID, SITE_NAME_ID, Site, SiteText};

/// Everything `sealpost serve` needs, validated.
#[derive(Debug)]
pub struct Config {
    /// The file this came from, for messages.
    pub path: PathBuf,
    /// Where to listen and store.
    pub server: Server,
    /// Every bound an attacker could push against (DESIGN invariant 7).
    pub limits: Limits,
    /// Settings that concern the staff who read submissions.
    pub staff: Staff,
    /// The public forms, in the order they are listed on the front page.
    pub forms: Vec<FormSpec>,
    /// What every public page shows around the forms.
    pub pages: Pages,
    /// Who the site belongs to.
    pub site: Site,
    /// Conversations between a person and staff (DESIGN §10).
    pub replies: Replies,
    /// `[notify]`: scheduled, content-free messages to staff; `None` sends nothing.
    pub notify: Option<Notify>,
    /// `[ops]`: the operator's metrics listener; `None` serves none.
    pub ops: Option<Ops>,
}

/// `[replies]`
#[derive(Debug, Clone)]
pub struct Replies {
    /// How long a conversation lives after either side last acted (default 90 days).
    pub keep: std::time::Duration,
}

/// Default of `replies.keep`: conversations are deleted this long after either side last acted.
pub const DEFAULT_REPLIES_KEEP: std::time::Duration = std::time::Duration::from_secs(90 * 24 * 3600);

/// Shortest `replies.keep`: a person must have time to come back.
const MIN_REPLIES_KEEP: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// `[pages]`
#[derive(Debug, Clone)]
pub struct Pages {
    /// Target of the "leave this site quickly" link: a neutral site that draws no attention.
    pub quick_exit_url: String,
    /// `pages.translations`: a folder of the operator's `<lang>.ftl` catalogs, which add
    /// messages (custom forms' labels) and override shipped ones; read and reloaded by `i18n`.
    pub translations: Option<PathBuf>,
}

/// An absolute http(s) address with nothing that could leave an HTML attribute.
fn is_plain_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2048
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>`".contains(c))
}

/// Default quick-exit target: neutral, widely used, and reachable in most countries.
const DEFAULT_QUICK_EXIT_URL: &str = "https://www.wikipedia.org/";

/// `[staff]`
#[derive(Debug, Clone)]
pub struct Staff {
    /// The language field labels are written in inside sealed envelopes.
    pub locale: String,
    /// A separate listener for the staff API (`/staff/v1`), e.g. on a VPN or loopback address;
    /// when set, the public listener does not serve the staff API at all.
    pub listen: Option<SocketAddr>,
}

/// The file's shape, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: RawServer,
    limits: LimitsWithSpans,
    staff: Option<RawStaff>,
    pages: Option<RawPages>,
    site: Option<RawSite>,
    replies: Option<RawReplies>,
    notify: Option<RawNotify>,
    ops: Option<RawOps>,
    #[serde(default)]
    form: Vec<RawForm>,
}

/// `[staff]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaff {
    pub locale: String,
    pub listen: Option<Spanned<String>>,
}

/// `[replies]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReplies {
    keep: Option<Spanned<units::Human>>,
}

/// `[pages]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPages {
    pub quick_exit_url: Option<Spanned<String>>,
    pub translations: Option<PathBuf>,
}

impl Config {
    /// Reads and validates `path` and every recipients file it names.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::load_reading(path, Secrets::Read)
    }

    /// [`Config::load`] for a command that sends nothing (`status`): the secrets the file names
    /// are left unread, so it runs where only the service can see them.
    pub fn load_without_secrets(path: &Path) -> Result<Config, ConfigError> {
        Config::load_reading(path, Secrets::Skip)
    }

    fn load_reading(path: &Path, secrets: Secrets) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let env = |name: &str| std::env::var(name).ok();
        Config::parse_reading(&text, path, &base, &mut |p| std::fs::read_to_string(p), &env, secrets)
    }

    /// Parses config `text`; `read` loads the recipients files (relative to `base`). No
    /// environment variable is read: a secret named by `password_env` or `secret_env` is missing.
    pub fn parse(
        text: &str,
        path: &Path,
        base: &Path,
        read: &mut dyn FnMut(&Path) -> std::io::Result<String>,
    ) -> Result<Config, ConfigError> {
        Config::parse_with_env(text, path, base, read, &|_| None)
    }

    /// [`Config::parse`], with `env` giving the environment variables that the config names as
    /// the source of a secret (and no others).
    pub fn parse_with_env(
        text: &str,
        path: &Path,
        base: &Path,
        read: &mut dyn FnMut(&Path) -> std::io::Result<String>,
        env: Env<'_>,
    ) -> Result<Config, ConfigError> {
        Config::parse_reading(text, path, base, read, env, Secrets::Read)
    }

    fn parse_reading(
        text: &str,
        path: &Path,
        base: &Path,
        read: &mut dyn FnMut(&Path) -> std::io::Result<String>,
        env: Env<'_>,
        secrets: Secrets,
    ) -> Result<Config, ConfigError> {
        if let Some(offset) = text.find("AGE-SECRET-KEY-") {
            return Err(ConfigError::SecretInConfig { path: path.to_owned(), line: line_of(text, offset) });
        }
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let source = Source { text, path };

        let server = parse_server(raw.server, text, path, base)?;
        let limits = parse_limits(raw.limits, source)?;
        let staff = match raw.staff {
            None => Staff { locale: "en".to_string(), listen: None },
            Some(RawStaff { locale, listen: None }) => Staff { locale, listen: None },
            Some(RawStaff { locale, listen: Some(spanned) }) => {
                let span = spanned.span();
                let at = |message: String, hint: &str| source.invalid(span.clone(), message, Some(hint));
                let staff_listen =
                    parse_tcp(spanned.get_ref(), "staff.listen").map_err(|(message, hint)| at(message, hint))?;
                let taken = [
                    (Some(server.listen.clone()), "server.listen"),
                    (server.onion_listen.clone(), "server.onion_listen"),
                    (server.redirect_http.map(Listen::Tcp), "server.redirect_http"),
                ];
                let staff = Listen::Tcp(staff_listen);
                if let Some((_, key)) = taken.iter().find(|(l, _)| l.as_ref().is_some_and(|l| l.clashes(&staff))) {
                    return Err(at(
                        format!("staff.listen: {staff_listen} is already {key}"),
                        "leave staff.listen out to serve the staff API on the main listener, or choose another port",
                    ));
                }
                if !staff_listen.ip().is_loopback() && server.trusted_proxies.nets.is_empty() {
                    return Err(at(
                        format!("staff.listen: refusing plain HTTP on non-loopback address {staff_listen}"),
                        "listen on 127.0.0.1 behind a reverse proxy that terminates TLS (or reach it through an SSH tunnel), and list the proxy in server.trusted_proxies",
                    ));
                }
                Staff { locale, listen: Some(staff_listen) }
            }
        };

        let quick_exit_url = match raw.pages.as_ref().and_then(|pages| pages.quick_exit_url.as_ref()) {
            Some(quick_exit_url) => {
                let url = quick_exit_url.get_ref();
                if !is_plain_url(url) {
                    return Err(source.invalid(
                        quick_exit_url.span(),
                        format!("pages.quick_exit_url: \"{url}\" is not an absolute http(s) address"),
                        Some("write it like \"https://www.wikipedia.org/\": a neutral site that draws no attention"),
                    ));
                }
                url.clone()
            }
            None => DEFAULT_QUICK_EXIT_URL.to_string(),
        };
        // Relative to the config file's folder, like the recipients files; read by `i18n`.
        let translations = raw.pages.and_then(|pages| pages.translations).map(|dir| base.join(dir));
        let pages = Pages { quick_exit_url, translations };
        let site = match raw.site {
            Some(site) => parse_site(site, source, base)?,
            None => Site::default(),
        };
        let keep = match raw.replies.and_then(|r| r.keep) {
            Some(keep) if keep.get_ref().0 < MIN_REPLIES_KEEP => {
                return Err(source.invalid(
                    keep.span(),
                    "replies.keep must be at least a day".into(),
                    Some("a person needs time to come back for an answer; the default is \"90d\""),
                ));
            }
            Some(keep) => keep.into_inner().0,
            None => DEFAULT_REPLIES_KEEP,
        };
        let replies = Replies { keep };
        let notify = raw.notify.map(|n| parse_notify(n, source, base, env, secrets)).transpose()?;
        let taken = [
            (
                match &server.listen {
                    Listen::Tcp(a) => Some(*a),
                    Listen::Unix(_) => None,
                },
                "server.listen",
            ),
            (
                match &server.onion_listen {
                    Some(Listen::Tcp(a)) => Some(*a),
                    _ => None,
                },
                "server.onion_listen",
            ),
            (server.redirect_http, "server.redirect_http"),
            (staff.listen, "staff.listen"),
        ];
        let ops = raw.ops.map(|o| parse_ops(o, source, &taken)).transpose()?;
        let forms = parse_forms(raw.form, source, base, read)?;
        Ok(Config { path: path.to_owned(), server, limits, staff, forms, pages, site, replies, notify, ops })
    }

    /// The form with this id.
    pub fn form(&self, id: &str) -> Option<&FormSpec> {
        self.forms.iter().find(|f| f.id == id)
    }
}
