//! sealpost: public forms in, age ciphertext on disk.
//!
//! ```text
//! browser ──TLS──▶ reverse proxy ──▶ sealpost serve
//!   http   routes, headers, body/time limits, error pages (one place maps errors → responses)
//!   limit  client key (trusted-proxy aware) → keyed rate limit, global budget, timing token
//!   form   parse urlencoded/multipart against the form's schema → Submission (plaintext, memory)
//!   seal   Submission → age stream to the form's recipients → ciphertext only
//!   spool  ciphertext → incoming/<id>/ → fsync → rename to ready/<form>/<id>/ → fsync dir → 303
//!
//! staff laptop ◀──HTTPS── pull (/staff/v1: age-challenge login, list, download, ack → delete)
//!   staff  sealpost-staff pull: download → verify → decrypt locally → write safely → fsync → ack
//! ```
//!
//! Modules, one per stage:
//! - [`config`]: the TOML file and recipients files, parsed once into typed values;
//! - [`i18n`]: translation catalogs and language negotiation;
//! - [`limit`]: client addresses, rate limits and the anti-bot timing token;
//! - [`form`]: form schemas and the parsing of untrusted request bodies;
//! - [`seal`]: age encryption, padding and the sealed envelope format;
//! - [`spool`]: the crash-safe on-disk queue of sealed submissions;
//! - [`http`]: routes, pages, security headers, the listener and graceful shutdown;
//! - [`pull`]: the server side of the staff API (login, list, download, ack-by-hash);
//! - [`staff`]: the staff client behind `sealpost-staff` (pull, open, keygen);
//! - [`demo`]: the newcomer's first run.
//!
//! Invariants (DESIGN.md §2; SECURITY.md refers to them by number):
//! 1. The server never holds a private key ([`config::recipients`] refuses them).
//! 2. No plaintext submission byte is written to disk ([`spool`] accepts only [`seal`] output).
//! 3. A submission is acknowledged only once durable ([`spool::Draft::commit`]).
//! 4. A submission is deleted only when staff acknowledged every file's SHA-256 ([`pull`]).
//! 5. Logs never contain content, client addresses, user agents or locales ([`http::log`]).
//! 6. Forwarded headers are believed only from `trusted_proxies` ([`limit::client_addr`]).
//! 7. Everything an attacker can grow has a named bound ([`config::Limits`]).
//! 8. A malicious submission cannot harm staff (attachment names never become server paths;
//!    [`staff`] sanitises names and neutralises control characters before anything is shown).
//! 9. Public pages load nothing from third parties and carry strict headers ([`http::headers`]).

pub mod config;
pub mod demo;
pub mod form;
pub mod http;
pub mod i18n;
pub mod limit;
pub mod pull;
pub mod seal;
pub mod spool;
pub mod staff;

/// Fills `buf` from the operating system's random source.
///
/// Failure to read OS randomness means the machine cannot do cryptography safely at all; there
/// is no sensible way to continue, so this aborts the process rather than returning weak bytes.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    #[allow(clippy::expect_used)] // invariant: the OS random source is available on Linux
    getrandom::fill(&mut buf).expect("operating system random source failed");
    buf
}

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
}

impl From<config::ConfigError> for Failure {
    fn from(e: config::ConfigError) -> Failure {
        let hint = e.hint();
        let f = Failure::usage(e.to_string());
        match hint {
            Some(h) => f.hint(h),
            None => f,
        }
    }
}

impl From<i18n::I18nError> for Failure {
    fn from(e: i18n::I18nError) -> Failure {
        let hint = e.hint();
        let f = Failure::usage(e.to_string());
        match hint {
            Some(h) => f.hint(h),
            None => f,
        }
    }
}

/// Everything `serve` would load, checked: config, recipients, catalogs. Returns the catalog.
pub fn check(config: &config::Config) -> Result<i18n::Catalog, Failure> {
    let catalog = i18n::Catalog::embedded()?;
    catalog.check_forms(&config.forms, &config.staff.locale)?;
    Ok(catalog)
}

/// Opens the spool and builds the service state for `config`.
pub fn prepare(config: config::Config) -> Result<std::sync::Arc<http::App>, Failure> {
    let catalog = check(&config)?;
    let data_dir = config.server.data_dir.clone();
    let storage = |e: std::io::Error| {
        Failure::runtime(format!("data_dir {}: {}", data_dir.display(), config::io_reason(&e)))
            .hint("the service needs to create and write this folder; check its owner and permissions")
    };
    let spool = spool::Spool::open(&data_dir, config.limits.max_spool, config.limits.max_body).map_err(storage)?;
    let key = http::load_token_key(&data_dir).map_err(storage)?;
    Ok(std::sync::Arc::new(http::App::new(config, catalog, spool, key)))
}

/// Binds the configured address, calls `ready` with the bound address, and serves until SIGTERM
/// or SIGINT, then shuts down gracefully.
pub async fn run(config: config::Config, ready: impl FnOnce(std::net::SocketAddr)) -> Result<(), Failure> {
    let listen = config.server.listen;
    let staff_listen = config.staff.listen;
    let app = prepare(config)?;
    let listener = bind(listen, "server.listen").await?;
    let local = listener.local_addr().map_err(|e| Failure::runtime(e.to_string()))?;
    tracing::info!(address = %local, "listening");
    let Some(staff_listen) = staff_listen else {
        ready(local);
        return http::serve(listener, app, http::shutdown_signal()).await.map_err(|e| Failure::runtime(e.to_string()));
    };
    let staff_listener = bind(staff_listen, "staff.listen").await?;
    tracing::info!(address = %staff_listen, "staff api listening");
    ready(local);
    // One signal stops both listeners.
    let (stop, stopped) = tokio::sync::watch::channel(());
    tokio::spawn(async move {
        http::shutdown_signal().await;
        let _ = stop.send(());
    });
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<()>| async move {
        let _ = rx.changed().await;
    };
    let (public, staff) = tokio::join!(
        http::serve(listener, app.clone(), until_stopped(stopped.clone())),
        http::serve_staff(staff_listener, app, until_stopped(stopped)),
    );
    public.and(staff).map_err(|e| Failure::runtime(e.to_string()))
}

async fn bind(address: std::net::SocketAddr, key: &str) -> Result<tokio::net::TcpListener, Failure> {
    tokio::net::TcpListener::bind(address).await.map_err(|e| {
        Failure::runtime(format!("cannot listen on {address}: {}", config::io_reason(&e)))
            .hint(format!("another program may be using this port; choose another address in {key}"))
    })
}
