//! The configuration file and the recipients files it names, parsed once into typed values.
//!
//! Job: turn `sealpost.toml` into a [`Config`] that the other modules can trust without
//! re-checking: sizes are bytes, durations are [`Duration`]s, recipients are parsed public keys.
//! Invariant: a config that mentions a secret key anywhere is refused (DESIGN invariant 1), and
//! plain HTTP is refused on a non-loopback address unless TLS is configured or a trusted proxy on
//! another host is declared; a unix socket is served only to a proxy named in `trusted_proxies`.
//! Never: reads the environment, or guesses a security-relevant value.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

use crate::seal::{Recipients, RecipientsError};

/// Form ids and field names that would collide with built-in routes or hidden fields.
const RESERVED_NAMES: &[&str] = &["static", "healthz", "staff", "sent", "favicon.ico", "robots.txt"];

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
/// Longest unix socket path the kernel accepts (`sun_path` is 108 bytes with its NUL).
const MAX_SOCKET_PATH: usize = 107;
/// The `trusted_proxies` entry that names the local proxy on a unix-socket listener.
const UNIX_PROXY: &str = "unix";

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
}

/// `[pages]`
#[derive(Debug, Clone)]
pub struct Pages {
    /// Target of the "leave this site quickly" link: a neutral site that draws no attention.
    pub quick_exit_url: String,
}

/// Default quick-exit target: neutral, widely used, and reachable in most countries.
const DEFAULT_QUICK_EXIT_URL: &str = "https://www.wikipedia.org/";

/// `[server]`
#[derive(Debug)]
pub struct Server {
    /// Where the public site is served: HTTP, or HTTPS when [`Server::tls`] is set.
    pub listen: Listen,
    /// Root of everything sealpost writes (the spool and the timing-token key).
    pub data_dir: PathBuf,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed (invariant 6).
    pub trusted_proxies: TrustedProxies,
    /// `[server.tls]`: terminate TLS on `listen` with these PEM files instead of at a proxy.
    pub tls: Option<Tls>,
    /// The site's public origin (`https://host[:port]`, no trailing slash): where
    /// `redirect_http` sends browsers.
    pub public_url: Option<String>,
    /// A plain-HTTP listener that answers every request with a 308 to `public_url`.
    pub redirect_http: Option<SocketAddr>,
    /// A listener for the local tor daemon: every onion visitor arrives from it, so requests
    /// here spend only the global budget, never a per-client one.
    pub onion_listen: Option<Listen>,
    /// The onion service's origin (`http://….onion`), sent as `Onion-Location` on the clearnet
    /// site's pages so Tor Browser offers the onion address.
    pub onion_location: Option<String>,
    /// Whether the onion listener serves the staff API too (`server.onion_staff`, default
    /// false). Off, `/staff/v1` there is a 404: onion visitors cannot be told apart, so a login
    /// budget on that listener is one budget for everyone on Tor, and staff are better served
    /// on loopback (an SSH tunnel) or `staff.listen`.
    pub onion_staff: bool,
}

/// Where a listener is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// A TCP address and port.
    Tcp(SocketAddr),
    /// A unix socket path (`unix:/run/sealpost/http.sock`), for a proxy on the same host.
    Unix(PathBuf),
}

impl Listen {
    /// Whether two listeners would take the same address. Port 0 asks the system for a free
    /// port, so it never clashes.
    pub fn clashes(&self, other: &Listen) -> bool {
        match (self, other) {
            (Listen::Tcp(a), Listen::Tcp(b)) => a == b && a.port() != 0,
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::Tcp(address) => write!(f, "{address}"),
            Listen::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// `server.trusted_proxies` and `server.forwarded_header`: who may tell us the client's
/// address, and in which header (invariant 6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    /// Address ranges of proxies that connect over TCP.
    pub nets: Vec<IpNet>,
    /// Whether the process connecting through the unix socket is a proxy (the entry `"unix"`).
    pub unix: bool,
    /// The one header the proxies set; the others are never read, since the client wrote them.
    pub header: ForwardedHeader,
}

impl TrustedProxies {
    /// Whether no proxy at all is trusted.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && !self.unix
    }

    /// Whether `ip` is in one of the trusted ranges.
    pub fn contains(&self, ip: &std::net::IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(ip))
    }
}

/// `server.forwarded_header`: the header the trusted proxy sets to name the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (the default): a list the proxy appends the client's address to, as
    /// nginx's `$proxy_add_x_forwarded_for` and Caddy do.
    #[default]
    XForwardedFor,
    /// `Forwarded` (RFC 7239): a list of elements whose `for=` the proxy appends.
    Forwarded,
    /// `X-Real-IP`: one address the proxy sets, replacing whatever the client sent.
    XRealIp,
}

impl ForwardedHeader {
    /// The header's name, lower case, as the config writes it.
    pub fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
            ForwardedHeader::XRealIp => "x-real-ip",
        }
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries: Vec<String> = self.nets.iter().map(ToString::to_string).collect();
        if self.unix {
            entries.push(UNIX_PROXY.into());
        }
        if entries.is_empty() { f.write_str("none") } else { f.write_str(&entries.join(", ")) }
    }
}

/// `[server.tls]`: the certificate chain and key, as PEM files (reloaded on `SIGHUP` and when
/// they change on disk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// The certificate chain, leaf first (e.g. certbot's `fullchain.pem`).
    pub cert: PathBuf,
    /// The private key of the leaf certificate (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

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
}

/// A token-bucket rate: `burst` requests at once, refilled at one per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed back to back.
    pub burst: NonZeroU32,
    /// Time for one request's worth of budget to come back.
    pub period: Duration,
}

/// `[staff]`
#[derive(Debug, Clone)]
pub struct Staff {
    /// The language field labels are written in inside sealed envelopes.
    pub locale: String,
    /// A separate listener for the staff API (`/staff/v1`), e.g. on a VPN or loopback address;
    /// when set, the public listener does not serve the staff API at all.
    pub listen: Option<SocketAddr>,
}

/// One `[[form]]`.
#[derive(Debug)]
pub struct FormSpec {
    /// URL segment and catalog prefix, e.g. `asylum-help`.
    pub id: String,
    /// Where the recipients came from, for messages and reloads.
    pub recipients_file: PathBuf,
    /// The staff keys every submission to this form is sealed to; replaced on `SIGHUP`.
    pub recipients: RecipientsSlot,
    /// The fields, in page order.
    pub fields: Vec<FieldSpec>,
}

impl FormSpec {
    /// True if the form has a file field, so it must be sent as multipart.
    pub fn has_files(&self) -> bool {
        self.fields.iter().any(|f| f.kind == FieldKind::File)
    }

    /// Reads the recipients file again and, if it is valid, makes it the form's recipients.
    /// On any error the current recipients stay in force. Returns how many there are now.
    pub fn reload_recipients(&self) -> Result<usize, ConfigError> {
        let text = std::fs::read_to_string(&self.recipients_file)
            .map_err(|source| ConfigError::Read { path: self.recipients_file.clone(), source })?;
        let recipients = Recipients::parse(&text).map_err(|source| ConfigError::Recipients {
            form: self.id.clone(),
            path: self.recipients_file.clone(),
            source,
        })?;
        let count = recipients.len();
        self.recipients.replace(recipients);
        Ok(count)
    }
}

/// A form's recipients, swappable while the service runs. A submission takes one snapshot
/// ([`RecipientsSlot::current`]) and seals its envelope and every attachment to it, so a reload
/// in the middle of an upload never splits a submission between two key sets.
pub struct RecipientsSlot(RwLock<Arc<Recipients>>);

impl RecipientsSlot {
    /// A slot holding `recipients`.
    pub fn new(recipients: Recipients) -> RecipientsSlot {
        RecipientsSlot(RwLock::new(Arc::new(recipients)))
    }

    /// The recipients in force now.
    pub fn current(&self) -> Arc<Recipients> {
        // A poisoned lock still holds a complete value: replacing is a single assignment.
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn replace(&self, recipients: Recipients) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(recipients);
    }
}

impl fmt::Debug for RecipientsSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.current().fmt(f)
    }
}

/// One field of a form.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The HTML name and catalog key.
    pub name: String,
    /// What input it is.
    pub kind: FieldKind,
    /// Whether the form is refused without it.
    pub required: bool,
    /// Longest accepted value, in characters (text-like kinds).
    pub max_chars: usize,
    /// Allowed values (select only), each with a catalog label.
    pub options: Vec<String>,
    /// Most files this field takes (file only).
    pub max_files: usize,
    /// Largest single file in bytes (file only).
    pub max_size: u64,
    /// Whether browsers may offer autofill; off for anything sensitive.
    pub autocomplete: bool,
}

/// The input kinds a form can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    Textarea,
    /// An email address.
    Email,
    /// A telephone number.
    Tel,
    /// One value from a fixed list.
    Select,
    /// A yes/no tick box.
    Checkbox,
    /// Documents.
    File,
}

/// Why a configuration could not be used. Every variant renders as one line naming the file (and
/// line, where known); [`ConfigError::hint`] gives the fix where one is known.
#[derive(Debug)]
pub enum ConfigError {
    /// A file could not be read.
    Read { path: PathBuf, source: std::io::Error },
    /// The TOML is malformed or a value has the wrong type or shape.
    Syntax { path: PathBuf, line: Option<usize>, message: String },
    /// The TOML parsed, but a value is unusable.
    Invalid { path: PathBuf, line: Option<usize>, message: String, hint: Option<String> },
    /// The config file itself contains a secret key (invariant 1).
    SecretInConfig { path: PathBuf, line: usize },
    /// A recipients file is unusable.
    Recipients { form: String, path: PathBuf, source: RecipientsError },
}

impl ConfigError {
    /// The fix, where one is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Read { .. } => {
                Some("check the path; relative paths are read from the config file's folder".into())
            }
            ConfigError::Syntax { .. } => {
                Some("compare with config/sealpost.example.toml, where every key is documented".into())
            }
            ConfigError::Invalid { hint, .. } => hint.clone(),
            ConfigError::SecretInConfig { .. } => Some(
                "the server must never hold a secret key; keep identities on staff machines and put only public keys (age1…) in recipients files".into(),
            ),
            ConfigError::Recipients { source, .. } => source.hint(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn at(path: &Path, line: &Option<usize>) -> String {
            match line {
                Some(line) => format!("{}:{line}", path.display()),
                None => path.display().to_string(),
            }
        }
        match self {
            ConfigError::Read { path, source } => {
                write!(f, "{}: cannot read: {}", path.display(), sealpost_format::files::io_reason(source))
            }
            ConfigError::Syntax { path, line, message } => write!(f, "{}: {message}", at(path, line)),
            ConfigError::Invalid { path, line, message, .. } => {
                write!(f, "{}: {message}", at(path, line))
            }
            ConfigError::SecretInConfig { path, line } => {
                write!(f, "{}:{line}: holds a secret key (AGE-SECRET-KEY-…)", path.display())
            }
            ConfigError::Recipients { form, path, source } => {
                write!(f, "form \"{form}\": recipients file \"{}\" {source}", path.display())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and validates `path` and every recipients file it names.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Config::parse(&text, path, &base, &mut |p| std::fs::read_to_string(p))
    }

    /// Parses config `text`; `read` loads the recipients files (relative to `base`).
    pub fn parse(
        text: &str,
        path: &Path,
        base: &Path,
        read: &mut dyn FnMut(&Path) -> std::io::Result<String>,
    ) -> Result<Config, ConfigError> {
        if let Some(offset) = text.find("AGE-SECRET-KEY-") {
            return Err(ConfigError::SecretInConfig { path: path.to_owned(), line: line_of(text, offset) });
        }
        let raw: raw::Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let invalid = |span: std::ops::Range<usize>, message: String, hint: Option<&str>| ConfigError::Invalid {
            path: path.to_owned(),
            line: Some(line_of(text, span.start)),
            message,
            hint: hint.map(str::to_string),
        };

        let server = parse_server(raw.server, text, path, base)?;

        let l = raw.limits;
        let per_client = l
            .per_client
            .rate()
            .map_err(|m| invalid(l.per_client_span.clone(), format!("limits.per_client: {m}"), None))?;
        let global =
            l.global.rate().map_err(|m| invalid(l.global_span.clone(), format!("limits.global: {m}"), None))?;
        let request_timeout = l.request_timeout.map_or(DEFAULT_REQUEST_TIMEOUT, |d| d.0);
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
            max_connections_per_client: l.max_connections_per_client.unwrap_or(
                DEFAULT_MAX_CONNECTIONS_PER_CLIENT.min(l.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS)),
            ),
            min_upload_rate: l.min_upload_rate.map_or(DEFAULT_MIN_UPLOAD_RATE, |s| s.0),
            // The default never exceeds a shorter request_timeout; a written value must not.
            upload_rate_window: l.upload_rate_window.map_or(DEFAULT_UPLOAD_RATE_WINDOW.min(request_timeout), |d| d.0),
            http2_idle_timeout: l.http2_idle_timeout.map_or(DEFAULT_HTTP2_IDLE_TIMEOUT, |d| d.0),
        };
        if limits.min_fill_time >= limits.max_fill_time {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                line: None,
                message: "limits.min_fill_time must be shorter than limits.max_fill_time".into(),
                hint: Some("typical values are \"3s\" and \"24h\"".into()),
            });
        }
        for (name, value) in [
            ("max_fields", limits.max_fields),
            ("max_connections", limits.max_connections),
            ("rate_limit_table", limits.rate_limit_table),
            ("max_requests_per_client", limits.max_requests_per_client),
            ("max_connections_per_client", limits.max_connections_per_client),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid {
                    path: path.to_owned(),
                    line: None,
                    message: format!("limits.{name} must be at least 1"),
                    hint: None,
                });
            }
        }

        for (name, value) in
            [("upload_rate_window", limits.upload_rate_window), ("http2_idle_timeout", limits.http2_idle_timeout)]
        {
            if value.is_zero() {
                return Err(ConfigError::Invalid {
                    path: path.to_owned(),
                    line: None,
                    message: format!("limits.{name} must be longer than zero"),
                    hint: Some("typical values are \"30s\" and \"60s\"".into()),
                });
            }
        }
        // A window longer than the whole request could never be judged, and one long enough
        // would overflow the clock.
        if limits.upload_rate_window > limits.request_timeout {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                line: None,
                message: "limits.upload_rate_window must not be longer than limits.request_timeout".into(),
                hint: Some("the rate is averaged over a window inside one request; typical is \"30s\"".into()),
            });
        }
        if limits.max_connections_per_client > limits.max_connections {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                line: None,
                message: "limits.max_connections_per_client must not exceed limits.max_connections".into(),
                hint: Some("one address should hold only a small share of the connections".into()),
            });
        }
        let staff = match raw.staff {
            None => Staff { locale: "en".to_string(), listen: None },
            Some(raw::Staff { locale, listen: None }) => Staff { locale, listen: None },
            Some(raw::Staff { locale, listen: Some(spanned) }) => {
                let span = spanned.span();
                let at = |message: String, hint: &str| invalid(span.clone(), message, Some(hint));
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

        let quick_exit_url = match &raw.pages {
            Some(pages) => {
                let url = pages.quick_exit_url.get_ref();
                let safe = (url.starts_with("https://") || url.starts_with("http://"))
                    && url.len() <= 2048
                    && !url.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>`".contains(c));
                if !safe {
                    return Err(invalid(
                        pages.quick_exit_url.span(),
                        format!("pages.quick_exit_url: \"{url}\" is not an absolute http(s) address"),
                        Some("write it like \"https://www.wikipedia.org/\": a neutral site that draws no attention"),
                    ));
                }
                url.clone()
            }
            None => DEFAULT_QUICK_EXIT_URL.to_string(),
        };
        let pages = Pages { quick_exit_url };

        if raw.form.is_empty() {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                line: None,
                message: "no [[form]] is defined".into(),
                hint: Some("copy the forms from config/sealpost.example.toml".into()),
            });
        }
        let mut forms = Vec::new();
        let mut ids = HashSet::new();
        for form in raw.form {
            let id_span = form.id.span();
            let id = form.id.into_inner();
            check_name(&id).map_err(|m| invalid(id_span.clone(), format!("form id \"{id}\": {m}"), Some(NAME_HINT)))?;
            if !ids.insert(id.clone()) {
                return Err(invalid(id_span, format!("form id \"{id}\" is defined twice"), None));
            }
            let recipients_file = base.join(form.recipients.get_ref());
            let recipients_text = read(&recipients_file).map_err(|source| ConfigError::Invalid {
                path: path.to_owned(),
                line: Some(line_of(text, form.recipients.span().start)),
                message: format!(
                    "form \"{id}\": cannot read recipients file \"{}\": {}",
                    recipients_file.display(),
                    sealpost_format::files::io_reason(&source)
                ),
                hint: Some("relative paths are read from the config file's folder".into()),
            })?;
            let recipients = Recipients::parse(&recipients_text).map_err(|source| ConfigError::Recipients {
                form: id.clone(),
                path: recipients_file.clone(),
                source,
            })?;
            let mut fields = Vec::new();
            let mut names = HashSet::new();
            for field in form.fields {
                let span = field.name.span();
                let name = field.name.get_ref().clone();
                let at =
                    |m: String| invalid(span.clone(), format!("form \"{id}\": field \"{name}\": {m}"), Some(NAME_HINT));
                check_name(&name).map_err(|m| at(m.to_string()))?;
                if !names.insert(name.clone()) {
                    return Err(at("is defined twice".into()));
                }
                fields.push(field.build(&name).map_err(|m| ConfigError::Invalid {
                    path: path.to_owned(),
                    line: Some(line_of(text, span.start)),
                    message: format!("form \"{id}\": field \"{name}\": {m}"),
                    hint: None,
                })?);
            }
            if fields.is_empty() {
                return Err(invalid(id_span, format!("form \"{id}\" has no fields"), None));
            }
            forms.push(FormSpec { id, recipients_file, recipients: RecipientsSlot::new(recipients), fields });
        }

        Ok(Config { path: path.to_owned(), server, limits, staff, forms, pages })
    }

    /// The form with this id.
    pub fn form(&self, id: &str) -> Option<&FormSpec> {
        self.forms.iter().find(|f| f.id == id)
    }
}

const NAME_HINT: &str = "use lower-case letters, digits, '-' and '_', starting with a letter, at most 40 characters";

/// Form ids and field names become URL segments, HTML names and catalog keys.
fn check_name(name: &str) -> Result<(), &'static str> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !first_ok || !rest_ok || name.len() > 40 {
        return Err("is not a valid name");
    }
    if RESERVED_NAMES.contains(&name) {
        return Err("is reserved by sealpost");
    }
    Ok(())
}

/// `[server]`, validated: listeners, proxies, TLS, redirect and onion settings.
fn parse_server(raw: raw::Server, text: &str, path: &Path, base: &Path) -> Result<Server, ConfigError> {
    let invalid = |span: std::ops::Range<usize>, message: String, hint: &str| ConfigError::Invalid {
        path: path.to_owned(),
        line: Some(line_of(text, span.start)),
        message,
        hint: Some(hint.to_string()),
    };
    let listen_span = raw.listen.span();
    let listen = parse_listen(raw.listen.get_ref(), "server.listen", base)
        .map_err(|(message, hint)| invalid(listen_span.clone(), message, hint))?;
    let mut trusted_proxies = TrustedProxies::default();
    for entry in &raw.trusted_proxies {
        if entry.get_ref() == UNIX_PROXY {
            trusted_proxies.unix = true;
            continue;
        }
        let net = parse_net(entry.get_ref()).ok_or_else(|| {
            invalid(
                entry.span(),
                format!("server.trusted_proxies: \"{}\" is not an address, a CIDR range or \"unix\"", entry.get_ref()),
                "write addresses like \"127.0.0.1/32\" or \"::1/128\"; \"unix\" names the proxy on a unix-socket listener",
            )
        })?;
        trusted_proxies.nets.push(net);
    }
    if let Some(header) = &raw.forwarded_header {
        let choices = [ForwardedHeader::XForwardedFor, ForwardedHeader::Forwarded, ForwardedHeader::XRealIp];
        trusted_proxies.header = choices.into_iter().find(|h| h.name().eq_ignore_ascii_case(header.get_ref().trim())).ok_or_else(|| {
            invalid(
                header.span(),
                format!("server.forwarded_header: \"{}\" is not a forwarded header sealpost reads", header.get_ref()),
                "write the one header your proxy sets: \"x-forwarded-for\" (nginx's $proxy_add_x_forwarded_for, Caddy), \"forwarded\" or \"x-real-ip\"",
            )
        })?;
    }
    let tls = raw.tls.map(|t| Tls { cert: base.join(t.cert), key: base.join(t.key) });
    match &listen {
        Listen::Tcp(address) => {
            // A proxy in front of a non-loopback listener runs on another host, so a loopback
            // entry in trusted_proxies does not count as one.
            let remote_proxy = trusted_proxies.nets.iter().any(|net| !net.addr().is_loopback());
            if !address.ip().is_loopback() && !remote_proxy && tls.is_none() {
                return Err(invalid(
                    listen_span,
                    format!("server.listen: refusing plain HTTP on non-loopback address {address}"),
                    "listen on 127.0.0.1 behind a reverse proxy that terminates TLS, or add [server.tls] with cert and key to serve HTTPS here; if the proxy runs on another host, list its address in server.trusted_proxies",
                ));
            }
        }
        Listen::Unix(socket) => {
            if !trusted_proxies.unix {
                return Err(invalid(
                    listen_span,
                    format!("server.listen: unix socket {} needs \"unix\" in server.trusted_proxies", socket.display()),
                    "only a local proxy connects to the socket; add \"unix\" to server.trusted_proxies so the client address it forwards (X-Forwarded-For) is believed; without it every visitor would share one rate limit",
                ));
            }
        }
    }

    let public_url = match &raw.public_url {
        None => None,
        Some(url) => Some(parse_origin(url.get_ref(), &["https"]).ok_or_else(|| {
            invalid(
                url.span(),
                format!("server.public_url: \"{}\" is not an https origin", url.get_ref()),
                "write the address people type, like \"https://forms.example.org\" (no path)",
            )
        })?),
    };
    let redirect_http = match &raw.redirect_http {
        None => None,
        Some(spanned) => {
            let span = spanned.span();
            let address = parse_tcp(spanned.get_ref(), "server.redirect_http")
                .map_err(|(message, hint)| invalid(span.clone(), message, hint))?;
            if tls.is_none() || public_url.is_none() {
                return Err(invalid(
                    span,
                    "server.redirect_http needs [server.tls] and server.public_url".into(),
                    "the redirect sends browsers to public_url, which this server must serve over TLS; when a proxy terminates TLS, let the proxy redirect instead",
                ));
            }
            if listen.clashes(&Listen::Tcp(address)) {
                return Err(invalid(
                    span,
                    format!("server.redirect_http: {address} is already server.listen"),
                    "choose another port, usually 80",
                ));
            }
            Some(address)
        }
    };
    let onion_listen = match &raw.onion_listen {
        None => None,
        Some(spanned) => {
            let span = spanned.span();
            let onion = parse_listen(spanned.get_ref(), "server.onion_listen", base)
                .map_err(|(message, hint)| invalid(span.clone(), message, hint))?;
            if onion.clashes(&listen) || redirect_http.is_some_and(|r| onion.clashes(&Listen::Tcp(r))) {
                return Err(invalid(
                    span,
                    format!("server.onion_listen: {onion} is already in use by another listener"),
                    "give the tor daemon its own port, like \"127.0.0.1:8081\"",
                ));
            }
            if let Listen::Tcp(address) = onion
                && !address.ip().is_loopback()
            {
                return Err(invalid(
                    span,
                    format!("server.onion_listen: refusing non-loopback address {address}"),
                    "the tor daemon runs on this host: listen on 127.0.0.1 (or a unix socket) and point HiddenServicePort there",
                ));
            }
            Some(onion)
        }
    };
    let onion_location = match &raw.onion_location {
        None => None,
        Some(url) => {
            Some(parse_origin(url.get_ref(), &["http", "https"]).filter(|o| is_onion_origin(o)).ok_or_else(|| {
                invalid(
                    url.span(),
                    format!("server.onion_location: \"{}\" is not an onion service address", url.get_ref()),
                    "write it like \"http://<56 letters and digits>.onion\", as in the tor hostname file (no path)",
                )
            })?)
        }
    };
    let onion_staff = raw.onion_staff.as_ref().is_some_and(|v| *v.get_ref());
    if let Some(flag) = raw.onion_staff.as_ref().filter(|_| onion_staff && onion_listen.is_none()) {
        return Err(invalid(
            flag.span(),
            "server.onion_staff needs server.onion_listen".into(),
            "set onion_listen to the address the torrc's HiddenServicePort points at, or leave onion_staff out",
        ));
    }
    Ok(Server {
        listen,
        data_dir: base.join(&raw.data_dir),
        trusted_proxies,
        tls,
        public_url,
        redirect_http,
        onion_listen,
        onion_location,
        onion_staff,
    })
}

/// A listener: `unix:PATH` (relative to the config's folder) or an address with a port.
fn parse_listen(s: &str, key: &str, base: &Path) -> Result<Listen, (String, &'static str)> {
    let Some(socket) = s.strip_prefix("unix:") else {
        return parse_tcp(s, key).map(Listen::Tcp);
    };
    if socket.is_empty() {
        return Err((format!("{key}: \"{s}\" names no socket path"), "write it like \"unix:/run/sealpost/http.sock\""));
    }
    let path = base.join(socket);
    if path.as_os_str().len() > MAX_SOCKET_PATH {
        return Err((
            format!("{key}: socket path {} is longer than {MAX_SOCKET_PATH} bytes", path.display()),
            "choose a shorter path, like \"unix:/run/sealpost/http.sock\"",
        ));
    }
    Ok(Listen::Unix(path))
}

/// An address with a port.
fn parse_tcp(s: &str, key: &str) -> Result<SocketAddr, (String, &'static str)> {
    s.parse().map_err(|_| {
        (format!("{key}: \"{s}\" is not an address with a port"), "write it like \"127.0.0.1:8080\" or \"[::1]:8080\"")
    })
}

/// `scheme://host[:port]` with one of `schemes`, optionally with a trailing `/`; returned
/// without the slash. Anything else (a path, a query, user info) is refused.
fn parse_origin(s: &str, schemes: &[&str]) -> Option<String> {
    let uri: http::Uri = s.parse().ok()?;
    let scheme = uri.scheme_str()?;
    let authority = uri.authority()?;
    let bare = uri.path_and_query().is_none_or(|pq| pq.as_str() == "/");
    if !schemes.contains(&scheme) || authority.as_str().contains('@') || authority.host().is_empty() {
        return None;
    }
    if !bare || s.contains('#') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.as_str().to_ascii_lowercase()))
}

/// Whether `origin` (from [`parse_origin`]) names a v3 onion service: 56 base32 characters.
fn is_onion_origin(origin: &str) -> bool {
    let host = origin.split("://").nth(1).unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    host.strip_suffix(".onion").is_some_and(|name| {
        name.len() == 56 && name.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
    })
}

fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>().ok().or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

/// 1-based line number of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// A size as humans write it: `"25 MiB"`.
#[derive(Debug, Clone, Copy)]
struct Size(u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<bytesize::ByteSize>()
            .map(|b| Size(b.as_u64()))
            .map_err(|_| serde::de::Error::custom(format!("\"{s}\" is not a size; write it like \"25 MiB\"")))
    }
}

/// A duration as humans write it: `"3s"`, `"24h"`.
#[derive(Debug, Clone, Copy)]
struct Human(Duration);

impl<'de> Deserialize<'de> for Human {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map(Human).map_err(|_| {
            serde::de::Error::custom(format!("\"{s}\" is not a duration; write it like \"30s\" or \"24h\""))
        })
    }
}

/// The file's shape, before validation.
mod raw {
    use super::*;
    use toml::Spanned;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Config {
        pub server: Server,
        pub limits: LimitsWithSpans,
        pub staff: Option<Staff>,
        pub pages: Option<Pages>,
        #[serde(default)]
        pub form: Vec<Form>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Server {
        pub listen: Spanned<String>,
        pub data_dir: PathBuf,
        pub trusted_proxies: Vec<Spanned<String>>,
        pub tls: Option<Tls>,
        pub public_url: Option<Spanned<String>>,
        pub redirect_http: Option<Spanned<String>>,
        pub onion_listen: Option<Spanned<String>>,
        pub onion_location: Option<Spanned<String>>,
        pub onion_staff: Option<Spanned<bool>>,
        pub forwarded_header: Option<Spanned<String>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Tls {
        pub cert: PathBuf,
        pub key: PathBuf,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Limits {
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
    }

    /// [`Limits`] with the rate tables unwrapped and their spans kept for messages.
    pub struct LimitsWithSpans {
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
    }

    impl<'de> Deserialize<'de> for LimitsWithSpans {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let l = Limits::deserialize(d)?;
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
            })
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RawRate {
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

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Staff {
        pub locale: String,
        pub listen: Option<Spanned<String>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Pages {
        pub quick_exit_url: Spanned<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Form {
        pub id: Spanned<String>,
        pub recipients: Spanned<PathBuf>,
        pub fields: Vec<Field>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Field {
        pub name: Spanned<String>,
        pub kind: FieldKind,
        #[serde(default)]
        pub required: bool,
        pub max: Option<usize>,
        #[serde(default)]
        pub options: Vec<String>,
        pub max_files: Option<usize>,
        pub max_size: Option<Size>,
        #[serde(default)]
        pub autocomplete: bool,
    }

    impl Field {
        pub fn build(self, name: &str) -> Result<FieldSpec, String> {
            let default_max = match self.kind {
                FieldKind::Text => 1_000,
                FieldKind::Textarea => 20_000,
                FieldKind::Email => 320,
                FieldKind::Tel => 64,
                FieldKind::Select | FieldKind::Checkbox | FieldKind::File => 0,
            };
            let text_like = default_max > 0;
            if self.max.is_some() && !text_like {
                return Err("`max` applies only to text, textarea, email and tel".into());
            }
            let max_chars = self.max.unwrap_or(default_max);
            if text_like && max_chars == 0 {
                return Err("`max` must be at least 1".into());
            }
            if self.kind == FieldKind::Select {
                if self.options.is_empty() {
                    return Err("a select needs `options`".into());
                }
                for option in &self.options {
                    check_name(option).map_err(|m| format!("option \"{option}\" {m}"))?;
                }
            } else if !self.options.is_empty() {
                return Err("`options` applies only to select".into());
            }
            let (max_files, max_size) = if self.kind == FieldKind::File {
                let size = self.max_size.ok_or("a file field needs `max_size`, like \"20 MiB\"")?;
                let files = self.max_files.unwrap_or(1);
                if files == 0 || size.0 == 0 {
                    return Err("`max_files` and `max_size` must be at least 1".into());
                }
                (files, size.0)
            } else {
                if self.max_files.is_some() || self.max_size.is_some() {
                    return Err("`max_files` and `max_size` apply only to file fields".into());
                }
                (0, 0)
            };
            let _ = name;
            Ok(FieldSpec {
                name: self.name.into_inner(),
                kind: self.kind,
                required: self.required,
                max_chars,
                options: self.options,
                max_files,
                max_size,
                autocomplete: self.autocomplete,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("sealpost.toml"), Path::new("/etc/sealpost"), &mut |p| {
            if p.ends_with("secret.txt") {
                Ok("# staff\nAGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n".into())
            } else if p.ends_with("missing.txt") {
                Err(std::io::Error::from(std::io::ErrorKind::NotFound))
            } else {
                Ok(format!("# legal team\n{KEY}\n"))
            }
        })
    }

    fn config(server: &str, form: &str) -> String {
        format!(
            "[server]\n{server}\n[limits]\nmax_body = \"25 MiB\"\nper_client = {{ burst = 5, per_hour = 20 }}\n\
             global = {{ burst = 100, per_minute = 600 }}\nmax_spool = \"10 GiB\"\nmin_fill_time = \"3s\"\n\
             max_fill_time = \"24h\"\n{form}"
        )
    }

    const SERVER: &str = "listen = \"127.0.0.1:8080\"\ndata_dir = \"data\"\ntrusted_proxies = []";
    const FORM: &str = "[[form]]\nid = \"contact\"\nrecipients = \"legal.txt\"\nfields = [\n  { name = \"message\", kind = \"textarea\", required = true },\n]\n";

    #[test]
    fn accepts_a_minimal_config_and_resolves_paths_from_its_folder() {
        let c = parse(&config(SERVER, FORM)).unwrap();
        assert_eq!(c.server.data_dir, Path::new("/etc/sealpost/data"));
        assert_eq!(c.forms[0].recipients_file, Path::new("/etc/sealpost/legal.txt"));
        assert_eq!(c.forms[0].fields[0].max_chars, 20_000);
        assert_eq!(c.limits.max_body, 25 * 1024 * 1024);
        assert_eq!(c.limits.per_client.period, Duration::from_secs(180));
    }

    #[test]
    fn rejects_secret_key_in_recipients_file_naming_the_line() {
        let err = parse(&config(SERVER, &FORM.replace("legal.txt", "secret.txt"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "form \"contact\": recipients file \"/etc/sealpost/secret.txt\" line 2 holds a secret key"
        );
        assert!(err.hint().unwrap().contains("public keys"));
    }

    #[test]
    fn rejects_secret_key_in_the_config_itself() {
        let text = config(SERVER, FORM) + "# AGE-SECRET-KEY-1XYZ\n";
        let err = parse(&text).unwrap_err();
        assert!(matches!(err, ConfigError::SecretInConfig { line: 18, .. }), "{err}");
    }

    #[test]
    fn rejects_plain_http_on_a_public_address_without_a_proxy() {
        let server = SERVER.replace("127.0.0.1", "0.0.0.0");
        let err = parse(&config(&server, FORM)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sealpost.toml:2: server.listen: refusing plain HTTP on non-loopback address 0.0.0.0:8080"
        );
        let behind_proxy = server.replace("[]", "[\"10.0.0.2/32\"]");
        assert!(parse(&config(&behind_proxy, FORM)).is_ok());
        let loopback_only = server.replace("[]", "[\"127.0.0.1/32\"]");
        assert!(parse(&config(&loopback_only, FORM)).is_err(), "a loopback proxy cannot front a public listener");
    }

    const ONION: &str = "http://pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";

    fn server(extra: &str) -> String {
        format!("{SERVER}\n{extra}")
    }

    #[test]
    fn serves_https_on_a_public_address_when_tls_is_configured() {
        let public = SERVER.replace("127.0.0.1", "0.0.0.0");
        let with_tls = format!("{public}\n[server.tls]\ncert = \"tls/fullchain.pem\"\nkey = \"tls/privkey.pem\"");
        let c = parse(&config(&with_tls, FORM)).unwrap();
        let tls = c.server.tls.unwrap();
        assert_eq!(tls.cert, Path::new("/etc/sealpost/tls/fullchain.pem"));
        assert_eq!(tls.key, Path::new("/etc/sealpost/tls/privkey.pem"));
        let err = parse(&config(&public, FORM)).unwrap_err();
        assert!(err.hint().unwrap().contains("[server.tls]"), "the refusal names the TLS way out");
    }

    #[test]
    fn rejects_a_tls_table_without_a_key() {
        let text = server("[server.tls]\ncert = \"fullchain.pem\"");
        let err = parse(&config(&text, FORM)).unwrap_err();
        assert!(err.to_string().contains("missing field `key`"), "{err}");
    }

    #[test]
    fn reads_a_unix_socket_listener_relative_to_the_config() {
        let text = SERVER.replace("\"127.0.0.1:8080\"", "\"unix:/run/sealpost/http.sock\"").replace("[]", "[\"unix\"]");
        let c = parse(&config(&text, FORM)).unwrap();
        assert_eq!(c.server.listen, Listen::Unix(PathBuf::from("/run/sealpost/http.sock")));
        assert_eq!(c.server.listen.to_string(), "unix:/run/sealpost/http.sock");
        assert!(c.server.trusted_proxies.unix && c.server.trusted_proxies.nets.is_empty());
        let relative = text.replace("unix:/run/sealpost/http.sock", "unix:run/http.sock");
        assert_eq!(
            parse(&config(&relative, FORM)).unwrap().server.listen,
            Listen::Unix("/etc/sealpost/run/http.sock".into())
        );
    }

    #[test]
    fn rejects_a_unix_socket_without_the_unix_proxy_entry() {
        let text = SERVER.replace("\"127.0.0.1:8080\"", "\"unix:/run/sealpost/http.sock\"");
        let err = parse(&config(&text, FORM)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sealpost.toml:2: server.listen: unix socket /run/sealpost/http.sock needs \"unix\" in server.trusted_proxies"
        );
        assert!(err.hint().unwrap().contains("share one rate limit"));
    }

    #[test]
    fn rejects_unix_socket_paths_that_are_empty_or_too_long() {
        let long = format!("unix:/{}", "s".repeat(120));
        for listen in ["unix:", long.as_str()] {
            let text = SERVER.replace("127.0.0.1:8080", listen).replace("[]", "[\"unix\"]");
            let err = parse(&config(&text, FORM)).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { line: Some(2), .. }), "{listen}: {err}");
        }
    }

    #[test]
    fn rejects_a_trusted_proxy_that_is_neither_an_address_nor_unix() {
        let text = SERVER.replace("[]", "[\"localhost\"]");
        let err = parse(&config(&text, FORM)).unwrap_err();
        assert!(err.to_string().contains("\"localhost\" is not an address, a CIDR range or \"unix\""), "{err}");
    }

    #[test]
    fn a_redirect_listener_needs_tls_and_a_public_https_url() {
        let tls = "[server.tls]\ncert = \"c.pem\"\nkey = \"k.pem\"";
        let ok = server(&format!("public_url = \"https://Forms.example.org/\"\nredirect_http = \"0.0.0.0:80\"\n{tls}"));
        let c = parse(&config(&ok, FORM)).unwrap();
        assert_eq!(c.server.public_url.as_deref(), Some("https://forms.example.org"));
        assert_eq!(c.server.redirect_http, Some("0.0.0.0:80".parse().unwrap()));

        let without_tls = server("public_url = \"https://forms.example.org\"\nredirect_http = \"0.0.0.0:80\"");
        let err = parse(&config(&without_tls, FORM)).unwrap_err();
        assert!(err.to_string().contains("server.redirect_http needs [server.tls] and server.public_url"), "{err}");
        let without_url = server(&format!("redirect_http = \"0.0.0.0:80\"\n{tls}"));
        assert!(parse(&config(&without_url, FORM)).is_err());
        let same_port =
            server(&format!("public_url = \"https://a.example\"\nredirect_http = \"127.0.0.1:8080\"\n{tls}"));
        assert!(parse(&config(&same_port, FORM)).unwrap_err().to_string().contains("already server.listen"));
    }

    #[test]
    fn rejects_public_urls_that_are_not_bare_https_origins() {
        for url in [
            "http://forms.example.org",
            "https://forms.example.org/form",
            "https://a@b.example",
            "forms.example.org",
            "https://x.example/?a=1",
            "https://",
        ] {
            let err = parse(&config(&server(&format!("public_url = \"{url}\"")), FORM)).unwrap_err();
            assert!(err.to_string().contains("is not an https origin"), "{url}: {err}");
        }
        let with_port = parse(&config(&server("public_url = \"https://forms.example.org:8443\""), FORM)).unwrap();
        assert_eq!(with_port.server.public_url.as_deref(), Some("https://forms.example.org:8443"));
    }

    #[test]
    fn reads_an_onion_listener_and_onion_location() {
        let text = server(&format!("onion_listen = \"127.0.0.1:8081\"\nonion_location = \"{ONION}/\""));
        let c = parse(&config(&text, FORM)).unwrap();
        assert_eq!(c.server.onion_listen, Some(Listen::Tcp("127.0.0.1:8081".parse().unwrap())));
        assert_eq!(c.server.onion_location.as_deref(), Some(ONION));
        let unix = server("onion_listen = \"unix:/run/sealpost/onion.sock\"");
        assert_eq!(
            parse(&config(&unix, FORM)).unwrap().server.onion_listen,
            Some(Listen::Unix("/run/sealpost/onion.sock".into()))
        );
    }

    #[test]
    fn reads_the_forwarded_header_the_proxy_sets_defaulting_to_x_forwarded_for() {
        let c = parse(&config(&server(""), FORM)).unwrap();
        assert_eq!(c.server.trusted_proxies.header, ForwardedHeader::XForwardedFor);
        for (value, header) in [
            ("x-forwarded-for", ForwardedHeader::XForwardedFor),
            ("forwarded", ForwardedHeader::Forwarded),
            ("x-real-ip", ForwardedHeader::XRealIp),
            ("X-Real-IP", ForwardedHeader::XRealIp),
        ] {
            let c = parse(&config(&server(&format!("forwarded_header = \"{value}\"")), FORM)).unwrap();
            assert_eq!(c.server.trusted_proxies.header, header);
        }
    }

    #[test]
    fn rejects_a_forwarded_header_sealpost_does_not_read() {
        for value in ["true-client-ip", "x-forwarded-for, forwarded", ""] {
            let err = parse(&config(&server(&format!("forwarded_header = \"{value}\"")), FORM)).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(&format!("server.forwarded_header: \"{value}\" is not a forwarded header")),
                "{text}"
            );
            assert!(err.hint().unwrap().contains("write the one header your proxy sets"), "{text}");
        }
    }

    #[test]
    fn the_onion_listener_serves_the_staff_api_only_when_asked_and_only_if_it_exists() {
        let c = parse(&config(&server("onion_listen = \"127.0.0.1:8081\""), FORM)).unwrap();
        assert!(!c.server.onion_staff, "off unless the operator opts in");
        let on = parse(&config(&server("onion_listen = \"127.0.0.1:8081\"\nonion_staff = true"), FORM)).unwrap();
        assert!(on.server.onion_staff);
        let err = parse(&config(&server("onion_staff = true"), FORM)).unwrap_err();
        assert!(err.to_string().contains("server.onion_staff needs server.onion_listen"), "{err}");
        assert!(parse(&config(&server("onion_staff = false"), FORM)).is_ok());
    }

    #[test]
    fn rejects_an_onion_listener_that_is_public_or_already_taken() {
        let err = parse(&config(&server("onion_listen = \"0.0.0.0:8081\""), FORM)).unwrap_err();
        assert!(err.to_string().contains("server.onion_listen: refusing non-loopback address 0.0.0.0:8081"), "{err}");
        let err = parse(&config(&server("onion_listen = \"127.0.0.1:8080\""), FORM)).unwrap_err();
        assert!(err.to_string().contains("already in use"), "{err}");
        let staff = format!("[staff]\nlocale = \"en\"\nlisten = \"127.0.0.1:8081\"\n{FORM}");
        let err = parse(&config(&server("onion_listen = \"127.0.0.1:8081\""), &staff)).unwrap_err();
        assert!(err.to_string().contains("staff.listen: 127.0.0.1:8081 is already server.onion_listen"), "{err}");
    }

    #[test]
    fn rejects_an_onion_location_that_is_not_a_v3_onion_origin() {
        let short = "http://abc.onion".to_string();
        let clearnet = "https://forms.example.org".to_string();
        let with_path = format!("{ONION}/contact");
        let upper = ONION.replace("pg6m", "PG6M").replace("http://", "ftp://");
        for url in [short, clearnet, with_path, upper] {
            let err = parse(&config(&server(&format!("onion_location = \"{url}\"")), FORM)).unwrap_err();
            assert!(err.to_string().contains("is not an onion service address"), "{url}: {err}");
        }
    }

    #[test]
    fn reload_keeps_the_old_recipients_when_the_new_file_is_bad() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("legal.txt");
        std::fs::write(&file, format!("{KEY}\n")).unwrap();
        let text = config(SERVER, &FORM.replace("legal.txt", file.to_str().unwrap()));
        let c =
            Config::parse(&text, Path::new("sealpost.toml"), dir.path(), &mut |p| std::fs::read_to_string(p)).unwrap();
        let form = &c.forms[0];
        std::fs::write(&file, "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n").unwrap();
        let err = form.reload_recipients().unwrap_err();
        assert!(err.to_string().contains("line 1 holds a secret key"), "{err}");
        assert!(form.recipients.current().contains(KEY), "the old recipients stay in force");
        std::fs::remove_file(&file).unwrap();
        assert!(matches!(form.reload_recipients().unwrap_err(), ConfigError::Read { .. }));
        assert!(form.recipients.current().contains(KEY));
        let other = age::x25519::Identity::generate().to_public().to_string();
        std::fs::write(&file, format!("# rotated\n{other}\n{KEY}\n")).unwrap();
        assert_eq!(form.reload_recipients().unwrap(), 2);
        assert!(form.recipients.current().contains(&other));
    }

    #[test]
    fn reports_unknown_keys_with_their_line() {
        let err = parse(&config(SERVER, &FORM.replace("required", "requierd"))).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("sealpost.toml:16: unknown field `requierd`"), "{text}");
    }

    #[test]
    fn reads_an_optional_separate_staff_listener() {
        assert_eq!(parse(&config(SERVER, FORM)).unwrap().staff.listen, None);
        let staff = format!("[staff]\nlocale = \"en\"\nlisten = \"127.0.0.1:8081\"\n{FORM}");
        let c = parse(&config(SERVER, &staff)).unwrap();
        assert_eq!(c.staff.listen, Some("127.0.0.1:8081".parse().unwrap()));
    }

    #[test]
    fn rejects_a_staff_listener_that_is_malformed_public_or_the_main_one() {
        let with = |listen: &str| format!("[staff]\nlocale = \"en\"\nlisten = \"{listen}\"\n{FORM}");
        let err = parse(&config(SERVER, &with("8081"))).unwrap_err();
        assert_eq!(err.to_string(), "sealpost.toml:14: staff.listen: \"8081\" is not an address with a port");
        let err = parse(&config(SERVER, &with("0.0.0.0:8081"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sealpost.toml:14: staff.listen: refusing plain HTTP on non-loopback address 0.0.0.0:8081"
        );
        assert!(err.hint().unwrap().contains("SSH tunnel"));
        let err = parse(&config(SERVER, &with("127.0.0.1:8080"))).unwrap_err();
        assert!(err.to_string().contains("is already server.listen"), "{err}");
    }

    #[test]
    fn rejects_unreadable_recipients_file_naming_the_form() {
        let err = parse(&config(SERVER, &FORM.replace("legal.txt", "missing.txt"))).unwrap_err();
        assert!(err.to_string().contains("form \"contact\": cannot read recipients file"), "{err}");
    }

    #[test]
    fn quick_exit_defaults_to_a_neutral_site_and_refuses_unsafe_addresses() {
        assert_eq!(parse(&config(SERVER, FORM)).unwrap().pages.quick_exit_url, DEFAULT_QUICK_EXIT_URL);
        let with = |url: &str| config(SERVER, FORM) + &format!("[pages]\nquick_exit_url = '{url}'\n");
        for bad in ["javascript:alert(1)", "/relative", "https://x.org/\" onclick=\"x", "https://a b", ""] {
            let err = parse(&with(bad)).unwrap_err();
            assert!(err.to_string().contains("pages.quick_exit_url"), "{bad}: {err}");
        }
        assert_eq!(parse(&with("https://weather.example/")).unwrap().pages.quick_exit_url, "https://weather.example/");
    }

    #[test]
    fn rejects_bad_sizes_durations_and_rates() {
        let bad_size = config(SERVER, FORM).replace("\"25 MiB\"", "\"lots\"");
        assert!(parse(&bad_size).unwrap_err().to_string().contains("\"lots\" is not a size"));
        let bad_time = config(SERVER, FORM).replace("\"3s\"", "\"soon\"");
        assert!(parse(&bad_time).unwrap_err().to_string().contains("\"soon\" is not a duration"));
        let two_rates = config(SERVER, FORM).replace("per_hour = 20", "per_hour = 20, per_minute = 1");
        assert!(parse(&two_rates).unwrap_err().to_string().contains("exactly one of"));
        let zero = config(SERVER, FORM).replace("burst = 5", "burst = 0");
        assert!(parse(&zero).unwrap_err().to_string().contains("burst must be at least 1"));
    }

    #[test]
    fn the_connection_and_upload_bounds_have_defaults_and_refuse_nonsense() {
        let c = parse(&config(SERVER, FORM)).unwrap();
        assert_eq!(c.limits.max_requests_per_client, 8);
        assert_eq!(c.limits.max_connections_per_client, 32);
        assert_eq!(c.limits.min_upload_rate, 512);
        assert_eq!(c.limits.upload_rate_window, Duration::from_secs(30));
        assert_eq!(c.limits.http2_idle_timeout, Duration::from_secs(60));
        let set = |keys: &str| config(SERVER, FORM).replace("[limits]\n", &format!("[limits]\n{keys}\n"));
        let c = parse(&set("min_upload_rate = \"2 KiB\"\nupload_rate_window = \"10s\"")).unwrap();
        assert_eq!((c.limits.min_upload_rate, c.limits.upload_rate_window), (2048, Duration::from_secs(10)));
        for (keys, message) in [
            ("max_requests_per_client = 0", "limits.max_requests_per_client must be at least 1"),
            ("max_connections_per_client = 0", "limits.max_connections_per_client must be at least 1"),
            ("upload_rate_window = \"0s\"", "limits.upload_rate_window must be longer than zero"),
            ("http2_idle_timeout = \"0s\"", "limits.http2_idle_timeout must be longer than zero"),
            (
                "request_timeout = \"1m\"\nupload_rate_window = \"61s\"",
                "limits.upload_rate_window must not be longer than limits.request_timeout",
            ),
            (
                "max_connections = 10\nmax_connections_per_client = 11",
                "limits.max_connections_per_client must not exceed limits.max_connections",
            ),
        ] {
            let err = parse(&set(keys)).unwrap_err().to_string();
            assert!(err.contains(message), "{keys}: {err}");
        }
        let short = parse(&set("request_timeout = \"5s\"")).unwrap();
        assert_eq!(short.limits.upload_rate_window, Duration::from_secs(5), "the default follows a shorter request");
        let err = parse(&set("upload_rate_window = \"100000000000000000s\"")).unwrap_err();
        assert!(err.to_string().contains("limits.upload_rate_window must not be longer than limits.request_timeout"));
        assert!(err.hint().is_some_and(|h| h.contains("30s")), "a huge window is refused with a hint: {err}");
        let small = parse(&set("max_connections = 2")).unwrap();
        assert_eq!(small.limits.max_connections_per_client, 2, "the default follows a smaller max_connections");
    }

    #[test]
    fn rejects_reserved_duplicate_and_malformed_names() {
        for (from, to) in [("\"contact\"", "\"static\""), ("\"contact\"", "\"Contact\""), ("\"message\"", "\"../x\"")] {
            let err = parse(&config(SERVER, &FORM.replace(from, to))).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { .. }), "{from} → {to}: {err}");
        }
        let twice = config(SERVER, &format!("{FORM}{FORM}"));
        assert!(parse(&twice).unwrap_err().to_string().contains("defined twice"));
    }

    #[test]
    fn rejects_inconsistent_field_settings() {
        for field in [
            "{ name = \"a\", kind = \"select\" }",
            "{ name = \"a\", kind = \"file\" }",
            "{ name = \"a\", kind = \"text\", max_size = \"1 MiB\" }",
            "{ name = \"a\", kind = \"checkbox\", max = 3 }",
            "{ name = \"a\", kind = \"text\", max = 0 }",
        ] {
            let form = FORM.replace("{ name = \"message\", kind = \"textarea\", required = true }", field);
            assert!(parse(&config(SERVER, &form)).is_err(), "{field}");
        }
    }
}
