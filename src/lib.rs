//! sealpost: public forms in, age ciphertext on disk. This crate is the server; the staff client
//! is `sealpost-staff` (`crates/staff`) and what both agree on is `sealpost-format`
//! (`crates/format`: ids, padding, the envelope, the staff API's wire types, crash-safe files).
//!
//! ```text
//! browser ──TLS──▶ reverse proxy ──▶ sealpost serve
//!   http   routes, headers, body/time limits, error pages (one place maps errors → responses)
//!   limit  client key (trusted-proxy aware) → keyed rate limit, global budgets, timing token
//!   form   parse urlencoded/multipart against the form's schema → Submission (plaintext, memory)
//!   seal   Submission → age stream to the form's recipients → ciphertext only
//!   spool  ciphertext → incoming/<id>/ → fsync → rename to ready/<form>/<id>/ → fsync dir → 303
//!
//! staff laptop ◀──HTTPS── pull (/staff/v1: age-challenge login, list, download, ack → delete)
//!   sealpost-staff pull: download → verify → decrypt locally → write safely → fsync → ack
//! ```
//!
//! Modules, one per stage, each importing only the ones below it:
//! - [`config`]: the TOML file and recipients files, parsed once into typed values;
//! - [`i18n`]: translation catalogs and language negotiation;
//! - [`limit`]: who is asking and how often: client addresses, rate limits, the anti-bot timing
//!   token, how a request arrived, and the per-client connection and request caps, the minimum
//!   upload rate and the HTTP/2 idle timeout ([`limit::slots`]);
//! - [`form`]: form schemas and the parsing of untrusted request bodies;
//! - [`seal`]: age encryption into the sealed format;
//! - [`spool`]: the crash-safe on-disk queue of sealed submissions;
//! - [`pull`]: the server side of the staff API (login, list, download, ack-by-hash), over a
//!   [`pull::StaffService`] of its own;
//! - [`http`]: routes, pages, security headers, the listeners and graceful shutdown;
//! - [`tls`]: direct TLS, with the certificate reloaded in place;
//! - [`metrics`]: counters and gauges, labelled by form, reason or channel only;
//! - [`retention`]: the expiry sweep over [`retention::Source`]s (unpulled submissions now,
//!   reply threads later) and what expires soon;
//! - [`notify`]: scheduled, padded, content-free staff notifications (SMTP, signed webhook);
//! - [`ops`]: the `[ops]` metrics listener; [`status`]: `sealpost status`, read only;
//! - [`demo`]: the newcomer's first run.
//!
//! Invariants (DESIGN.md §2; SECURITY.md refers to them by number):
//! 1. The server never holds a private key ([`seal::Recipients::parse`] refuses them).
//! 2. No plaintext submission byte is written to disk ([`spool`] accepts only [`seal`] output).
//! 3. A submission is acknowledged only once durable ([`spool::Draft::commit`]).
//! 4. A submission is deleted only when staff acknowledged every file's SHA-256 ([`pull`]), or
//!    when no one pulled it within `limits.keep_unpulled` ([`retention`], DESIGN §11).
//! 5. Logs never contain content, client addresses, user agents or locales (the request log in [`http`]).
//! 6. Forwarded headers are believed only from `trusted_proxies` ([`limit::client_addr`]).
//! 7. Everything an attacker can grow has a named bound ([`config::Limits`]).
//! 8. A malicious submission cannot harm staff (attachment names never become server paths;
//!    the staff client sanitises names and neutralises control characters before anything is shown).
//! 9. Public pages load nothing from third parties and carry strict headers (the headers middleware in [`http`]).
//!
//! Plaintext passes through memory only, so [`harden_process`] turns core dumps off and makes
//! the process non-dumpable before `serve` or `demo` reads anything.

pub mod config;
pub mod demo;
pub mod form;
pub mod http;
pub mod i18n;
pub mod limit;
pub mod metrics;
pub mod notify;
pub mod ops;
pub mod pull;
pub mod reply;
pub mod retention;
pub mod seal;
pub mod spool;
pub mod status;
pub mod tls;

use std::sync::Arc;
use std::time::Duration;

/// How often the TLS files' metadata is checked for a renewal.
const CERT_POLL: Duration = Duration::from_secs(5);
/// After a TLS file changes, wait this long before reading both, so a renewal that writes the
/// certificate and then the key is read once, whole.
const CERT_SETTLE: Duration = Duration::from_secs(1);

/// A failure to report to the operator: one line, lower case, then `hint:` lines, and an exit
/// code (1 runtime failure, 2 usage or config error).
#[derive(Debug)]
pub struct Failure {
    /// The one-line message (without the program-name prefix).
    pub message: String,
    /// Fixes, each printed as `hint: …`.
    pub hints: Vec<String>,
    /// The process exit code.
    pub code: i32,
}

impl Failure {
    /// A runtime failure (exit 1).
    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), hints: Vec::new(), code: 1 }
    }

    /// A usage or configuration error (exit 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), hints: Vec::new(), code: 2 }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hints.push(hint.into());
        self
    }

    /// A usage or configuration error with its fix, where one is known.
    fn usage_hinted(message: String, hint: Option<String>) -> Failure {
        let failure = Failure::usage(message);
        match hint {
            Some(h) => failure.hint(h),
            None => failure,
        }
    }
}

impl From<config::ConfigError> for Failure {
    fn from(e: config::ConfigError) -> Failure {
        Failure::usage_hinted(e.to_string(), e.hint())
    }
}

impl From<i18n::I18nError> for Failure {
    fn from(e: i18n::I18nError) -> Failure {
        Failure::usage_hinted(e.to_string(), e.hint())
    }
}

impl From<tls::TlsError> for Failure {
    fn from(e: tls::TlsError) -> Failure {
        Failure::usage_hinted(e.to_string(), e.hint())
    }
}

/// Everything `serve` would load, checked: config, recipients, catalogs, the TLS certificate
/// and key. Returns the catalog.
pub fn check(config: &config::Config) -> Result<i18n::Catalog, Failure> {
    let catalog = i18n::Catalog::load(config.pages.translations.as_deref(), &config.site.texts)?;
    catalog.check_forms(&config.forms, &config.staff.locale)?;
    if let Some(files) = &config.server.tls {
        tls::Certificate::open(files)?;
    }
    if let Some(notify) = &config.notify {
        notifier(config, notify, std::sync::Arc::new(retention::Sources::default()), Arc::default())?;
    }
    Ok(catalog)
}

/// The notifier for `config`'s `[notify]`, counting what waits in its data dir and what
/// `sources` will expire. Its channels are built here, so a CA file that cannot be read is a
/// config error before anything is served.
pub fn notifier(
    config: &config::Config,
    notify: &config::Notify,
    sources: Arc<retention::Sources>,
    metrics: Arc<metrics::Metrics>,
) -> Result<notify::Notifier, Failure> {
    let forms = config.forms.iter().map(|f| f.id.clone()).collect();
    notify::Notifier::new(notify, forms, sources, config.server.data_dir.clone(), metrics).map_err(|e| {
        Failure::usage(format!("{}: {e}", config.path.display()))
            .hint("compare with config/sealpost.example.toml, where every [notify] key is documented")
    })
}

/// Keeps plaintext in this process's memory from leaving it through a crash or a debugger:
/// core dumps off (`RLIMIT_CORE` 0, soft and hard) and the process not dumpable, which also
/// refuses `ptrace` and `/proc/<pid>/mem` to other processes of the same user. Call it first in
/// `serve` and `demo`; failing to do either stops the service.
pub fn harden_process() -> Result<(), Failure> {
    use rustix::process::{DumpableBehavior, Resource, Rlimit, getrlimit, set_dumpable_behavior, setrlimit};
    let none = Rlimit { current: Some(0), maximum: Some(0) };
    // Already 0 under the systemd unit (LimitCORE=0); then there is nothing to ask the kernel.
    if getrlimit(Resource::Core) != none {
        setrlimit(Resource::Core, none).map_err(|e| {
            Failure::runtime(format!("cannot disable core dumps: {e}"))
                .hint("a seccomp or container policy may forbid setrlimit; set the core limit to 0 before starting (LimitCORE=0, ulimit -c 0)")
        })?;
    }
    set_dumpable_behavior(DumpableBehavior::NotDumpable).map_err(|e| {
        Failure::runtime(format!("cannot mark the process non-dumpable: {e}"))
            .hint("a seccomp or container policy may forbid prctl(PR_SET_DUMPABLE)")
    })
}

/// Opens the spool and builds the service state for `config`.
pub fn prepare(config: config::Config) -> Result<std::sync::Arc<http::App>, Failure> {
    let catalog = check(&config)?;
    let data_dir = config.server.data_dir.clone();
    let storage = |e: std::io::Error| {
        Failure::runtime(format!("data_dir {}: {}", data_dir.display(), sealpost_format::files::io_reason(&e)))
            .hint("the service needs to create and write this folder; check its owner and permissions")
    };
    let spool = spool::Spool::open(&data_dir, config.limits.max_spool).map_err(storage)?;
    let key = http::load_token_key(&data_dir).map_err(storage)?;
    let salt = reply::load_salt(&data_dir).map_err(storage)?;
    let threads = reply::Threads::open(&data_dir, config.replies.keep).map_err(storage)?;
    Ok(std::sync::Arc::new(http::App::new(config, catalog, spool, key, http::Conversations::new(threads, salt))))
}

/// Binds every configured listener, calls `ready` with the public site's URL (`http://…/`,
/// `https://…/` or `unix:…`), and serves until SIGTERM or SIGINT, then shuts down gracefully.
/// SIGHUP reloads the recipients files and the TLS certificate; a certificate that changes on
/// disk is reloaded too.
pub async fn run(mut config: config::Config, ready: impl FnOnce(&str)) -> Result<(), Failure> {
    use tokio::signal::unix::{SignalKind, signal};
    // SIGHUP's and SIGTERM's default actions end the process at once: take them over before
    // anything else, so a signal that arrives during startup is handled like any other.
    let handle =
        |kind: SignalKind, name: &str| signal(kind).map_err(|e| Failure::runtime(format!("cannot handle {name}: {e}")));
    let hangups = handle(SignalKind::hangup(), "SIGHUP")?;
    let mut terminate = handle(SignalKind::terminate(), "SIGTERM")?;
    let server = &config.server;
    let (listen, onion_listen, redirect) = (server.listen.clone(), server.onion_listen.clone(), server.redirect_http);
    let public_url = server.public_url.clone();
    let staff_listen = config.staff.listen;
    let certificate = match &server.tls {
        Some(files) => Some(tls::Certificate::open(files)?),
        None => None,
    };
    let door = http::Door { tls: certificate.as_ref().map(|c| c.server_config()).transpose()?, onion: false };
    let ops = config.ops.clone();
    let config_path = config.path.clone();
    let keep_unpulled = config.limits.keep_unpulled;
    let data_dir = config.server.data_dir.clone();
    // `prepare` checks the config, [notify]'s channels included, before anything is served.
    let notify = config.notify.take();
    let forms: Vec<String> = config.forms.iter().map(|f| f.id.clone()).collect();
    let app = prepare(config)?;
    let mut sources = retention::Sources::new(app.spool().clone(), &data_dir, keep_unpulled);
    // Conversations expire `replies.keep` after either side last acted, through the same sweep.
    sources.push(Box::new(retention::ThreadSource::new(app.threads().clone())));
    let sources = Arc::new(sources);
    let sweeper = tokio::spawn(sweep_forever(sources.clone(), app.metrics().clone()));
    let notifier = match notify {
        Some(notify) => {
            let notifier = notify::Notifier::new(&notify, forms, sources, data_dir, app.metrics().clone())
                .map_err(|e| Failure::usage(format!("{}: {e}", config_path.display())))?;
            Some(tokio::spawn(Arc::new(notifier).run()))
        }
        None => None,
    };

    let main = bind(&listen, "server.listen").await?;
    let described = main.describe();
    tracing::info!(address = %described, "listening");
    if certificate.is_some() {
        tracing::info!("serving https (tls 1.2 and 1.3, h2 and http/1.1)");
    }
    let (stop, stopped) = tokio::sync::watch::channel(());
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<()>| async move {
        let _ = rx.changed().await;
    };
    let mut services =
        vec![http::serve_on(main, app.clone(), http::router(app.clone()), door, until_stopped(stopped.clone()))];
    // The other listeners: each with its config key (for errors), what the log calls it, its
    // routes and how its connections are served.
    let mut others = Vec::new();
    if let Some(onion_listen) = onion_listen {
        let door = http::Door { tls: None, onion: true };
        others.push((onion_listen, "server.onion_listen", "onion listening", http::onion_router(app.clone()), door));
    }
    if let (Some(address), Some(public_url)) = (redirect, public_url) {
        let router = http::redirect_router(public_url);
        others.push((
            config::Listen::Tcp(address),
            "server.redirect_http",
            "redirect listening",
            router,
            http::Door::default(),
        ));
    }
    if let Some(staff_listen) = staff_listen {
        let router = http::staff_router(app.clone());
        others.push((
            config::Listen::Tcp(staff_listen),
            "staff.listen",
            "staff api listening",
            router,
            http::Door::default(),
        ));
    }
    for (address, key, what, router, door) in others {
        let listener = bind(&address, key).await?;
        tracing::info!(address = %listener.describe(), "{what}");
        services.push(http::serve_on(listener, app.clone(), router, door, until_stopped(stopped.clone())));
    }
    let mut ops_server = None;
    if let Some(ops) = ops {
        let listener = tokio::net::TcpListener::bind(ops.listen).await.map_err(|e| {
            Failure::runtime(format!("cannot listen on {}: {}", ops.listen, sealpost_format::files::io_reason(&e)))
                .hint("another program may be using this port; choose another address in ops.listen")
        })?;
        tracing::info!(address = %listener.local_addr().map_or_else(|_| ops.listen.to_string(), |a| a.to_string()), "ops metrics listening");
        ops_server = Some(tokio::spawn(ops::serve(listener, app.clone(), until_stopped(stopped.clone()))));
    }
    drop(stopped);
    let url = match &listen {
        config::Listen::Tcp(_) => format!("{}://{described}/", if certificate.is_some() { "https" } else { "http" }),
        config::Listen::Unix(_) => described,
    };
    ready(&url);

    let reloader = tokio::spawn(reload_on_signal(hangups, app, certificate));
    // One signal stops every listener.
    tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = tokio::signal::ctrl_c() => {},
        }
        let _ = stop.send(());
    });
    let results = futures_util::future::join_all(services).await;
    reloader.abort();
    sweeper.abort();
    if let Some(notifier) = notifier {
        notifier.abort();
    }
    if let Some(ops_server) = ops_server {
        let _ = ops_server.await;
    }
    results.into_iter().collect::<std::io::Result<Vec<()>>>().map(|_| ()).map_err(|e| Failure::runtime(e.to_string()))
}

/// Runs the retention sweep at start and every [`retention::SWEEP_EVERY`]; logs and counts what
/// it deleted per form, never which.
async fn sweep_forever(sources: Arc<retention::Sources>, metrics: Arc<metrics::Metrics>) {
    let mut tick = tokio::time::interval(retention::SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let sources = sources.clone();
        let Ok(sweep) =
            tokio::task::spawn_blocking(move || sources.sweep(std::time::SystemTime::now(), std::time::Instant::now()))
                .await
        else {
            continue;
        };
        for ((kind, form), count) in &sweep.deleted {
            if *kind == retention::Kind::Submission {
                metrics.expired(form, *count);
            }
            tracing::info!(form = %form, count, "retention: deleted expired {}", kind.plural());
        }
        if sweep.failed > 0 {
            tracing::warn!(
                failures = sweep.failed,
                "retention: some items could not be listed or deleted; retrying later"
            );
        }
    }
}

/// Reloads recipients and the certificate on SIGHUP, and the certificate when its files change.
async fn reload_on_signal(
    mut hangups: tokio::signal::unix::Signal,
    app: Arc<http::App>,
    certificate: Option<Arc<tls::Certificate>>,
) {
    let mut poll = tokio::time::interval(CERT_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            received = hangups.recv() => {
                if received.is_none() {
                    return;
                }
                tracing::info!("SIGHUP: reloading recipients, catalogs and certificate");
                let (app, certificate) = (app.clone(), certificate.clone());
                let _ = tokio::task::spawn_blocking(move || {
                    app.reload_recipients();
                    app.reload_catalogs();
                    if let Some(certificate) = certificate {
                        reload_certificate(&certificate);
                    }
                })
                .await;
            }
            _ = poll.tick(), if certificate.is_some() => {
                let Some(certificate) = certificate.clone() else { continue };
                let check = certificate.clone();
                if !tokio::task::spawn_blocking(move || check.changed_on_disk()).await.unwrap_or(false) {
                    continue;
                }
                tokio::time::sleep(CERT_SETTLE).await;
                let _ = tokio::task::spawn_blocking(move || {
                    certificate.changed_on_disk();
                    reload_certificate(&certificate);
                })
                .await;
            }
        }
    }
}

fn reload_certificate(certificate: &tls::Certificate) {
    match certificate.reload() {
        Ok(()) => tracing::info!("tls certificate reloaded"),
        Err(e) => tracing::error!("tls certificate reload failed, keeping the current one: {e}"),
    }
}

async fn bind(address: &config::Listen, key: &str) -> Result<http::Listener, Failure> {
    match address {
        config::Listen::Tcp(address) => tokio::net::TcpListener::bind(address).await.map(http::Listener::Tcp).map_err(|e| {
            Failure::runtime(format!("cannot listen on {address}: {}", sealpost_format::files::io_reason(&e)))
                .hint(format!("another program may be using this port; choose another address in {key}"))
        }),
        config::Listen::Unix(path) => http::UnixSocket::bind(path).map(http::Listener::Unix).map_err(|e| {
            Failure::runtime(format!("cannot listen on unix:{}: {}", path.display(), sealpost_format::files::io_reason(&e))).hint(
                format!("the folder must exist and be writable by the service (RuntimeDirectory=sealpost makes /run/sealpost); or choose another path in {key}"),
            )
        }),
    }
}
