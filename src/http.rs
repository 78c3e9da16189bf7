//! Routes, pages, security headers, the listeners and graceful shutdown.
//!
//! Job: turn requests into calls on [`crate::form`], [`crate::seal`] and [`crate::spool`], and
//! their results into pages. Every error page is rendered in exactly one place
//! (`render_errors`), in the reader's language. Accept connections on TCP or a unix socket,
//! with or without TLS ([`Door`]), and tell every request how it arrived ([`Connection`]).
//! Invariant: every response carries the headers of DESIGN invariant 9 and no cookie, plus HSTS
//! exactly when the connection is TLS; a 303 to the "sent" page is sent only after
//! [`crate::spool::Draft::commit`] returned (invariant 3); the request log holds method, route
//! template, status and duration, nothing else (invariant 5).
//! Never: logs a client address, user agent, language or any submitted value.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Path, Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use futures_util::StreamExt;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;
use zeroize::Zeroizing;

use crate::config::{Config, FieldKind, FormSpec, Limits, TrustedProxies};
use crate::form::{self, BodyError, Encoding, FieldError, Problem, Received};
use crate::i18n::{self, Catalog, Locale};
use crate::limit::{self, Limited, Limiter, Peer, TimingTokens, TokenId, TokenProblem};
use sealpost_format::envelope::{AckSecret, ENVELOPE_VERSION, Envelope, EnvelopeField};
use sealpost_format::id::SubmissionId;

use crate::slots::{Activity, Paced, SlotGuard, Slots};
use crate::spool::{Spool, SpoolError};

/// How long in-flight requests may run after a shutdown signal before connections are cut.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// A body refused before it is read (429, 413, 415) is read and discarded up to this many bytes
/// before the answer, so a browser still sending sees the page rather than a reset; then the
/// connection is closed. Small, so a refused upload gives its slot back at once.
const DRAIN_BYTES: u64 = 256 * 1024;
/// ... and for at most this long: a body trickling in cannot hold the slot while it is drained.
const DRAIN_TIME: Duration = Duration::from_secs(2);
/// Retry-After of the 429 for a client over `max_requests_per_client`: its other requests are
/// usually page loads that end within seconds.
const BUSY_RETRY_AFTER_SECS: u64 = 60;
/// How often idle entries are pruned from the rate-limit table.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Interval and timeout of HTTP/2 keep-alive pings: a peer that stops answering is dropped.
const H2_KEEP_ALIVE: Duration = Duration::from_secs(20);
/// Largest request head (request line and headers) accepted.
const MAX_HEADER_BYTES: usize = 32 * 1024;
/// `Strict-Transport-Security` on every response over direct TLS: two years, the preload
/// lists' minimum. Without `includeSubDomains`: other sites under the domain are not ours.
const HSTS: &str = "max-age=63072000";
/// First allocation for a form page shown again with the person's input: the asylum form shown
/// again with every message is under 10 KiB before input; longer input moves the page to twice
/// the size at a time, wiping the old copy.
const PAGE_BUFFER: usize = 32 * 1024;
/// Mode of the unix socket: the service's user and group (the proxy) may connect.
const SOCKET_MODE: u32 = 0o660;

/// The service's shared state: config, catalogs, spool, limiter.
pub struct App {
    forms: Vec<FormSpec>,
    limits: Limits,
    trusted_proxies: TrustedProxies,
    /// The onion origin sent as `Onion-Location` on clearnet pages (`server.onion_location`).
    onion_location: Option<String>,
    /// Whether the onion listener serves `/staff/v1` too (`server.onion_staff`).
    onion_staff: bool,
    staff_locale: String,
    catalog: Catalog,
    spool: Spool,
    limiter: Limiter,
    /// Shared with the blocking task that stores a submission, which may outlive the handler.
    tokens: Arc<TimingTokens>,
    /// The staff API's sessions, challenges and login limit ([`crate::pull`]).
    staff: crate::pull::StaffApi,
    /// Where the "leave this site quickly" link on every page goes.
    quick_exit_url: String,
    /// Requests each client has in flight (`limits.max_requests_per_client`).
    request_slots: Arc<Slots>,
    /// Connections each directly connected peer holds (`limits.max_connections_per_client`).
    connection_slots: Arc<Slots>,
}

/// Spent timing tokens to remember: what the clearnet global budget can accept within
/// `max_fill_time`, plus as much again for the onion listener's own budget when there is one.
fn token_capacity(global: crate::config::Rate, max_fill_time: Duration, onion_listener: bool) -> usize {
    let one = TimingTokens::capacity_for(global, max_fill_time);
    let budgets = if onion_listener { 2 } else { 1 };
    one.saturating_mul(budgets).min(limit::MAX_REDEEMED_TOKENS)
}

impl App {
    /// Builds the state. `token_key` signs timing tokens (see [`load_token_key`]).
    pub fn new(config: Config, catalog: Catalog, spool: Spool, token_key: [u8; 32]) -> App {
        let limits = config.limits;
        let capacity = token_capacity(limits.global, limits.max_fill_time, config.server.onion_listen.is_some());
        let staff = crate::pull::StaffApi::new(&limits, config.staff.listen.is_some());
        App {
            staff,
            limiter: Limiter::new(limits.per_client, limits.global, limits.rate_limit_table),
            forms: config.forms,
            trusted_proxies: config.server.trusted_proxies,
            onion_location: config.server.onion_location,
            onion_staff: config.server.onion_staff,
            staff_locale: config.staff.locale,
            catalog,
            spool,
            tokens: Arc::new(TimingTokens::with_capacity(token_key, capacity)),
            request_slots: Slots::new(limits.max_requests_per_client, b"requests in flight"),
            connection_slots: Slots::new(limits.max_connections_per_client, b"connections"),
            limits,
            quick_exit_url: config.pages.quick_exit_url,
        }
    }

    fn form(&self, id: &str) -> Option<&FormSpec> {
        self.forms.iter().find(|f| f.id == id)
    }

    /// The spool, for tests and the staff API.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// Prunes the rate-limit table (called periodically by [`serve`]).
    pub fn prune(&self) {
        self.limiter.prune();
        self.tokens.prune(SystemTime::now(), self.limits.max_fill_time);
        self.staff.prune();
    }

    /// The forms, whose recipients files are the staff API's access lists.
    pub(crate) fn forms(&self) -> &[FormSpec] {
        &self.forms
    }

    /// Peers whose forwarded headers are believed.
    pub(crate) fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }

    /// Reads every form's recipients file again (on `SIGHUP`). A file that fails keeps its
    /// form's current recipients and is logged in one line; the others take effect.
    pub fn reload_recipients(&self) {
        for form in &self.forms {
            match form.reload_recipients() {
                Ok(count) => tracing::info!(form = %form.id, recipients = count, "recipients reloaded"),
                Err(e) => tracing::error!("recipients reload failed, keeping the current ones: {e}"),
            }
        }
    }

    /// The staff API's state.
    pub(crate) fn staff(&self) -> &crate::pull::StaffApi {
        &self.staff
    }
}

/// Reads `<data_dir>/token.key`, creating it (0600, 32 random bytes, fsynced) if absent. Keeping
/// it across restarts means a restart does not void forms that people have open.
pub fn load_token_key(data_dir: &std::path::Path) -> std::io::Result<[u8; 32]> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(data_dir)?;
    let path = data_dir.join("token.key");
    match std::fs::read(&path) {
        Ok(bytes) => bytes.try_into().map_err(|_| {
            std::io::Error::other(format!("{} is not 32 bytes; delete it to make a new one", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = crate::random_bytes();
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
            f.write_all(&key)?;
            f.sync_all()?;
            sealpost_format::files::sync_dir(data_dir)?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

/// How a request arrived; the listener puts it into every request it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    /// The other end of the connection.
    pub peer: Peer,
    /// Whether it came in on the onion listener (the tor daemon): only the global rate-limit
    /// budget applies, forwarded headers are never read, and no `Onion-Location` is sent.
    pub onion: bool,
    /// Whether the connection is TLS terminated here: responses carry HSTS.
    pub tls: bool,
}

impl Connection {
    /// A request's connection: the listener's [`Connection`], or for requests built without a
    /// listener (tests driving [`router`]) a plain TCP one from `ConnectInfo<SocketAddr>`.
    fn of(extensions: &http::Extensions) -> Option<Connection> {
        extensions.get::<Connection>().copied().or_else(|| {
            let ConnectInfo(peer) = extensions.get::<ConnectInfo<SocketAddr>>()?;
            Some(Connection { peer: Peer::Ip(peer.ip()), onion: false, tls: false })
        })
    }

    /// The address this request counts as for every rate limit: on the onion listener always
    /// [`limit::ONION_CLIENT`], without reading any header (tor forwards none, so any there
    /// came from the visitor); elsewhere [`limit::client_key`].
    pub(crate) fn client_key(&self, headers: &HeaderMap, trusted: &TrustedProxies) -> std::net::IpAddr {
        if self.onion { limit::ONION_CLIENT } else { limit::client_key(self.peer, headers, trusted) }
    }

    /// Spends this request's rate-limit budget on `limiter`: per client (behind trusted proxies,
    /// the forwarded address) and the clearnet global budget, or only the onion listener's own
    /// global budget there.
    pub(crate) fn charge(
        &self,
        limiter: &Limiter,
        headers: &HeaderMap,
        trusted: &TrustedProxies,
    ) -> Result<(), Limited> {
        if self.onion { limiter.check_onion() } else { limiter.check(self.client_key(headers, trusted)) }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Connection {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Connection::of(&parts.extensions).ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The router with every public route and layer, and the staff API under `/staff/v1` unless it
/// has its own listener. Tests drive it with `oneshot`; requests must carry a
/// `ConnectInfo<SocketAddr>` extension (the listener adds it).
pub fn router(app: Arc<App>) -> Router {
    let routes = public_routes();
    let routes = if app.staff.separate_listener() { routes } else { routes.nest("/staff/v1", crate::pull::routes()) };
    layered(routes, app)
}

/// The router of the onion listener (`server.onion_listen`): the public site, and `/staff/v1`
/// only when `server.onion_staff` is set (otherwise a 404 page there). Connections on it must
/// be served with [`Door::onion`] set, so no forwarded header is read for any limit.
pub fn onion_router(app: Arc<App>) -> Router {
    let routes = public_routes();
    let routes = if app.onion_staff { routes.nest("/staff/v1", crate::pull::routes()) } else { routes };
    layered(routes, app)
}

/// The public site's routes, without layers.
fn public_routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/static/sealpost.css", get(stylesheet))
        .route("/{form}", get(show_form).post(submit))
        .route("/{form}/sent", get(sent))
        .fallback(|| async { PageError::NotFound })
        .method_not_allowed_fallback(|| async { PageError::MethodNotAllowed })
}

/// The router of the separate staff listener (`[staff] listen`): only `/staff/v1`.
pub fn staff_router(app: Arc<App>) -> Router {
    let routes = Router::new().nest("/staff/v1", crate::pull::routes()).fallback(crate::pull::no_route);
    layered(routes, app)
}

/// The router of the `redirect_http` listener: every request gets a 308 to the same path and
/// query under `public_url` (an `https://` origin without a trailing slash).
pub fn redirect_router(public_url: String) -> Router {
    let redirect = move |uri: http::Uri| async move {
        // Only an origin-form path is kept (`*` or anything odd becomes `/`), so the target
        // can never leave public_url's host.
        let path = uri.path_and_query().map(|pq| pq.as_str()).filter(|p| p.starts_with('/')).unwrap_or("/");
        let location = HeaderValue::try_from(format!("{public_url}{path}"))
            .or_else(|_| HeaderValue::try_from(format!("{public_url}/")))
            .unwrap_or(HeaderValue::from_static("/"));
        let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
        let h = response.headers_mut();
        h.insert(header::LOCATION, location);
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        // Invariant 9 holds here too: the redirect is a response like any other.
        for (name, value) in SECURITY_HEADERS {
            h.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        response
    };
    Router::new().fallback(redirect).layer(middleware::from_fn(log))
}

/// Every route's layers: log, security headers, error pages, panic catching, the per-client cap
/// on requests in flight, request time limit and minimum upload rate.
fn layered(routes: Router<Arc<App>>, app: Arc<App>) -> Router {
    let timeout = app.limits.request_timeout;
    let (rate, window) = (app.limits.min_upload_rate, app.limits.upload_rate_window);
    routes
        .layer(
            tower::ServiceBuilder::new()
                .layer(middleware::from_fn(log))
                .layer(middleware::from_fn_with_state(app.clone(), headers))
                .layer(middleware::from_fn_with_state(app.clone(), render_errors))
                .layer(middleware::from_fn(strict_host))
                .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| PageError::Internal.into_response()))
                .layer(middleware::from_fn_with_state(app.clone(), hold_request_slot))
                .layer(middleware::from_fn(move |req: Request, next: Next| async move {
                    let (req, too_slow) = {
                        let (parts, body) = req.into_parts();
                        let (body, too_slow) = Paced::new(body, rate, window);
                        (Request::from_parts(parts, Body::new(body)), too_slow)
                    };
                    let response = match tokio::time::timeout(timeout, next.run(req)).await {
                        Ok(response) => response,
                        Err(_) => PageError::Timeout.into_response(),
                    };
                    // Whatever the handler made of the broken body, the page says what happened.
                    if too_slow.load(std::sync::atomic::Ordering::Acquire) {
                        return PageError::Timeout.into_response();
                    }
                    response
                })),
        )
        .with_state(app)
}

/// Holds one of the client's `max_requests_per_client` slots while its request runs; over the
/// cap, a 429 page and the connection is closed. Clients that cannot be told apart (the onion
/// listener, a unix-socket peer without forwarded addresses, a trusted proxy that named no one)
/// are not capped here: `max_connections` and the rate limits bound them.
async fn hold_request_slot(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let client = Connection::of(req.extensions())
        .filter(|c| !c.onion)
        .map(|c| limit::client_key(c.peer, req.headers(), &app.trusted_proxies))
        .filter(|ip| *ip != limit::UNIX_CLIENT && !app.trusted_proxies.nets.iter().any(|net| net.contains(ip)));
    let Some(client) = client else { return next.run(req).await };
    let Some(_slot) = app.request_slots.try_acquire(client) else {
        return closing(PageError::RateLimited(BUSY_RETRY_AFTER_SECS).into_response());
    };
    next.run(req).await
}

/// `response` with `Connection: close`: the client's connection slot is given back at once.
fn closing(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Serves `router(app)` on a TCP `listener`, plain HTTP, until `shutdown` completes, then lets
/// in-flight requests finish for up to [`SHUTDOWN_GRACE`].
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    serve_on(Listener::Tcp(listener), app.clone(), router(app), Door::default(), shutdown).await
}

/// Serves only the staff API (`staff_router(app)`) on `listener`, like [`serve`].
pub async fn serve_staff(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_on(Listener::Tcp(listener), app.clone(), staff_router(app), Door::default(), shutdown).await
}

/// A bound socket that connections arrive on.
pub enum Listener {
    /// A TCP listener.
    Tcp(TcpListener),
    /// A unix socket, for a proxy or the tor daemon on the same host.
    Unix(UnixSocket),
}

impl Listener {
    /// Where it listens, for the log and `ready` callbacks (`127.0.0.1:8080`, `unix:/run/…`).
    pub fn describe(&self) -> String {
        match self {
            Listener::Tcp(l) => l.local_addr().map_or_else(|_| "tcp".into(), |a| a.to_string()),
            Listener::Unix(u) => format!("unix:{}", u.path.display()),
        }
    }
}

/// How the connections of one listener are served.
#[derive(Clone, Default)]
pub struct Door {
    /// Terminate TLS here with this configuration ([`crate::tls`]); `None` serves plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// This is the onion listener: only the global rate-limit budget applies.
    pub onion: bool,
}

/// A bound unix socket. Dropping it removes the socket file, unless another process has
/// replaced it since.
pub struct UnixSocket {
    /// The listener.
    listener: UnixListener,
    /// The socket file.
    path: PathBuf,
    /// Device and inode of the socket file we made, to remove only our own.
    identity: (u64, u64),
}

impl UnixSocket {
    /// Binds `path` with mode 0660. A stale socket left by a crashed run (nobody accepts on it)
    /// is replaced; a live one, or anything that is not a socket, is an error.
    pub fn bind(path: &FsPath) -> std::io::Result<UnixSocket> {
        use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_socket() => match std::os::unix::net::UnixStream::connect(path) {
                Ok(_) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::AddrInUse,
                        "another process is accepting connections on this socket",
                    ));
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => std::fs::remove_file(path)?,
                Err(e) => return Err(e),
            },
            Ok(_) => {
                return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "exists and is not a socket"));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(SOCKET_MODE))?;
        let meta = std::fs::symlink_metadata(path)?;
        Ok(UnixSocket { listener, path: path.to_owned(), identity: (meta.dev(), meta.ino()) })
    }
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        use std::os::unix::fs::MetadataExt;
        let ours = std::fs::symlink_metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.identity);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What every connection of one listener shares.
struct Shared {
    /// The routes, cloned per request.
    router: Router,
    /// HTTP/1.1 connection settings. Plain listeners speak only HTTP/1.1 (proxies and tor talk
    /// HTTP/1.1 upstream), so no connection waits untimed while its protocol is sniffed: the
    /// header-read timeout runs from the first moment, even for a client that sends nothing.
    http1: hyper::server::conn::http1::Builder,
    /// HTTP/2 connection settings, for TLS connections that chose `h2` by ALPN.
    http2: auto::Builder<TokioExecutor>,
    /// The TLS acceptor, for direct TLS.
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Whether this is the onion listener.
    onion: bool,
    /// Time allowed for the TLS handshake (the same as for the request headers).
    handshake_timeout: Duration,
    /// An HTTP/2 connection with no request in flight this long gets a GOAWAY
    /// (`limits.http2_idle_timeout`): answering pings does not keep a slot.
    http2_idle_timeout: Duration,
}

/// Serves `router` on `listener` as `door` says until `shutdown` completes, then lets in-flight
/// requests finish for up to [`SHUTDOWN_GRACE`]. At most `limits.max_connections` connections
/// are served at once; the others wait in the kernel's backlog. A peer that is not a trusted
/// proxy holds at most `limits.max_connections_per_client` of them; further connections from
/// its network are closed as soon as they are accepted.
pub async fn serve_on(
    listener: Listener,
    app: Arc<App>,
    router: Router,
    door: Door,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let limits = app.limits.clone();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    // Every connection task holds a receiver: a value sent asks them to finish gracefully, and
    // the sender learns when the last one is gone.
    let (stop, stopped) = watch::channel(());
    // hyper's own HTTP/1 builder rather than the protocol-sniffing one: an idle keep-alive
    // connection's task is then about half the size.
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEADER_BYTES.max(8192));
    let mut http2 = auto::Builder::new(TokioExecutor::new()).http2_only();
    http2
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(32)
        .max_header_list_size(MAX_HEADER_BYTES as u32)
        .keep_alive_interval(Some(H2_KEEP_ALIVE))
        .keep_alive_timeout(H2_KEEP_ALIVE);
    let shared = Arc::new(Shared {
        router,
        http1,
        http2,
        tls: door.tls.map(tokio_rustls::TlsAcceptor::from),
        onion: door.onion,
        handshake_timeout: limits.header_read_timeout,
        http2_idle_timeout: limits.http2_idle_timeout,
    });

    let pruner = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PRUNE_EVERY);
            loop {
                tick.tick().await;
                app.prune();
            }
        })
    };

    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = accept(&listener) => accepted,
            () = &mut shutdown => break,
        };
        match accepted {
            Ok(Accepted::Tcp(stream, peer)) => {
                let ip = peer.ip();
                // Not for a trusted proxy, nor for the tor daemon on the onion listener: every
                // visitor behind them arrives from that one address.
                let slot = if shared.onion || app.trusted_proxies.nets.iter().any(|net| net.contains(&ip)) {
                    None
                } else {
                    match app.connection_slots.try_acquire(ip) {
                        Some(slot) => Some(slot),
                        // Over its share: closed before anything is read (dropping the stream).
                        None => continue,
                    }
                };
                // Small responses (staff API JSON, acks) must not wait for delayed ACKs (Nagle).
                let _ = stream.set_nodelay(true);
                let held = Held { _permit: permit, _slot: slot, _stopped: stopped.clone() };
                spawn_connection(stream, Peer::Ip(ip), Some(peer), &shared, held);
            }
            Ok(Accepted::Unix(stream)) => {
                let held = Held { _permit: permit, _slot: None, _stopped: stopped.clone() };
                spawn_connection(stream, Peer::Unix, None, &shared, held);
            }
            Err(e) => {
                // Usually EMFILE: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    drop(listener);
    drop(stopped);
    pruner.abort();
    tracing::info!("shutting down; waiting for requests in flight");
    // No receiver left means no connection left (send fails then, and closed() is ready).
    let _ = stop.send(());
    tokio::select! {
        () = stop.closed() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("shutdown grace period over; closing remaining connections"),
    }
    Ok(())
}

/// What a connection holds until it closes: its place among `max_connections`, its peer's
/// share of `max_connections_per_client`, and the receiver that tells it to finish.
struct Held {
    _permit: tokio::sync::OwnedSemaphorePermit,
    _slot: Option<SlotGuard>,
    _stopped: watch::Receiver<()>,
}

impl Held {
    fn stop_signal(&self) -> watch::Receiver<()> {
        let mut rx = self._stopped.clone();
        rx.mark_unchanged();
        rx
    }
}

/// One accepted connection.
enum Accepted {
    /// Over TCP, from this address.
    Tcp(tokio::net::TcpStream, SocketAddr),
    /// Over the unix socket.
    Unix(tokio::net::UnixStream),
}

async fn accept(listener: &Listener) -> std::io::Result<Accepted> {
    match listener {
        Listener::Tcp(l) => l.accept().await.map(|(stream, peer)| Accepted::Tcp(stream, peer)),
        Listener::Unix(u) => u.listener.accept().await.map(|(stream, _)| Accepted::Unix(stream)),
    }
}

/// Serves one connection on its own task: the TLS handshake first when the door has TLS, then
/// HTTP/1.1 or HTTP/2, until it ends or the listener shuts down (then gracefully). What it
/// holds ([`Held`]) is given back when it closes.
fn spawn_connection<I>(io: I, peer: Peer, address: Option<SocketAddr>, shared: &Arc<Shared>, held: Held)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection = Connection { peer, onion: shared.onion, tls: shared.tls.is_some() };
    let router = shared.router.clone();
    // Only TLS connections can be HTTP/2, so only they count their requests in flight.
    let activity = shared.tls.as_ref().map(|_| Arc::new(Activity::default()));
    let counted = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(connection);
        if let Some(address) = address {
            req.extensions_mut().insert(ConnectInfo(address));
        }
        let busy = counted.as_ref().map(Activity::begin);
        let response = router.clone().oneshot(req.map(Body::new));
        async move {
            let response = response.await;
            drop(busy);
            response
        }
    });
    let shared = shared.clone();
    let stop = held.stop_signal();
    // Two separate tasks, not one with two branches: a task is as large as its largest state, and
    // the TLS one would make every plain connection (the usual case behind a proxy) carry the
    // size of a TLS session in memory while it sits idle.
    match shared.tls.clone() {
        None => {
            tokio::spawn(async move {
                let conn = shared.http1.serve_connection(TokioIo::new(io), service);
                drive(conn, |c| c.graceful_shutdown(), stop, std::future::pending()).await;
                drop(held);
            });
        }
        Some(acceptor) => {
            tokio::spawn(async move {
                // A failed or slow handshake is the client's problem; nothing is logged about it.
                if let Ok(Ok(tls)) = tokio::time::timeout(shared.handshake_timeout, acceptor.accept(io)).await {
                    let io = TokioIo::new(tls);
                    if io.inner().get_ref().1.alpn_protocol() == Some(b"h2".as_slice()) {
                        let conn = shared.http2.serve_connection(io, service).into_owned();
                        let idle = async {
                            match &activity {
                                Some(activity) => activity.idle_for(shared.http2_idle_timeout).await,
                                None => std::future::pending().await,
                            }
                        };
                        drive(conn, |c| c.graceful_shutdown(), stop, idle).await;
                    } else {
                        let conn = shared.http1.serve_connection(io, service);
                        drive(conn, |c| c.graceful_shutdown(), stop, std::future::pending()).await;
                    }
                }
                drop(held);
            });
        }
    }
}

/// Runs `conn` to its end; when the listener shuts down (`stop` changes or its sender is gone)
/// or `idle` resolves, asks it to finish gracefully (`graceful`: HTTP/1.1 closes after the
/// response in flight, HTTP/2 sends GOAWAY and finishes its open streams) and waits for that.
async fn drive<C, G>(conn: C, graceful: G, mut stop: watch::Receiver<()>, idle: impl Future<Output = ()>)
where
    C: Future,
    G: FnOnce(std::pin::Pin<&mut C>),
{
    tokio::pin!(conn);
    tokio::pin!(idle);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.changed() => {}
        () = &mut idle => {}
    }
    graceful(conn.as_mut());
    let _ = conn.await;
}

/// Resolves when SIGTERM or SIGINT arrives.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}

// ───────────────────────────── errors → pages (the one place) ─────────────────────────────

/// Every client-visible failure. Handlers return it; `render_errors` turns it into a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// No such page or form.
    NotFound,
    /// The route exists, the method does not.
    MethodNotAllowed,
    /// Body over `max_body` (bytes).
    TooLarge(u64),
    /// Too many fields, malformed encoding.
    BadRequest,
    /// Not a form content type.
    Unsupported,
    /// A rate limit; come back after this many seconds.
    RateLimited(u64),
    /// The spool is over quota or the disk is full.
    SpoolFull,
    /// The request took longer than `request_timeout`.
    Timeout,
    /// A bug or a storage failure; logged once, without content.
    Internal,
}

impl PageError {
    fn status(self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            PageError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::BadRequest => StatusCode::BAD_REQUEST,
            PageError::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PageError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            PageError::SpoolFull => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Timeout => StatusCode::REQUEST_TIMEOUT,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Catalog key prefix: `error-<key>-title`, `error-<key>-body`.
    fn key(self) -> &'static str {
        match self {
            PageError::NotFound => "not-found",
            PageError::MethodNotAllowed => "method",
            PageError::TooLarge(_) => "too-large",
            PageError::BadRequest => "bad-request",
            PageError::Unsupported => "unsupported",
            PageError::RateLimited(_) => "rate",
            PageError::SpoolFull => "full",
            PageError::Timeout => "timeout",
            PageError::Internal => "internal",
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        match self {
            PageError::RateLimited(secs) => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            PageError::SpoolFull => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("300"));
            }
            PageError::Timeout | PageError::TooLarge(_) | PageError::BadRequest => {
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response.extensions_mut().insert(self);
        response
    }
}

impl From<BodyError> for PageError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => PageError::TooLarge(0),
            BodyError::TooManyFields | BodyError::Malformed => PageError::BadRequest,
            BodyError::Unsupported => PageError::Unsupported,
            BodyError::Spool(e) => e.into(),
        }
    }
}

impl From<SpoolError> for PageError {
    fn from(e: SpoolError) -> Self {
        match e {
            SpoolError::Full => {
                tracing::warn!("spool full: refusing submissions");
                PageError::SpoolFull
            }
            SpoolError::CommittedButNotSynced(e) => {
                // Stored and visible to staff; only its durability across a power cut is unsure.
                tracing::error!(error = %e, "a submission was stored but its folder fsync failed twice");
                PageError::Internal
            }
            other => {
                tracing::error!(error = %other, "storing a submission failed");
                PageError::Internal
            }
        }
    }
}

/// Renders any [`PageError`] response as a translated page, keeping its status and headers.
async fn render_errors(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let lang = requested_lang(&req);
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let response = next.run(req).await;
    let Some(error) = response.extensions().get::<PageError>().copied() else { return response };
    let (mut parts, _) = response.into_parts();
    let locale = app.catalog.negotiate(lang.as_deref(), accept.as_deref());
    let key = error.key();
    let body = match error {
        PageError::TooLarge(_) => {
            locale.text_with(&format!("error-{key}-body"), &[("max", human_size(locale, app.limits.max_body).into())])
        }
        PageError::RateLimited(secs) => {
            locale.text_with(&format!("error-{key}-body"), &[("minutes", secs.div_ceil(60).max(1).into())])
        }
        _ => locale.text(&format!("error-{key}-body")),
    };
    let page = MessagePage {
        page: Chrome::new(&app, locale, locale.text(&format!("error-{key}-title")), "/"),
        paragraphs: vec![body],
        link_href: format!("/?lang={}", locale.code),
        link_text: locale.text("back-home"),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut rendered = html(page);
    *rendered.status_mut() = parts.status;
    for (name, value) in &parts.headers {
        rendered.headers_mut().insert(name.clone(), value.clone());
    }
    rendered
}

// ───────────────────────────── headers and log ─────────────────────────────

/// RFC 9112 §3.2: an HTTP/1.1 request without a `Host` header, or any request with two, gets a
/// 400 (a proxy and we could otherwise disagree on which site it is for). Applies to requests
/// that came through a listener (they carry its [`Connection`]); HTTP/2 names the authority in
/// `:authority` and may omit `Host`. The body is not read.
async fn strict_host(req: Request, next: Next) -> Response {
    let hosts = req.headers().get_all(header::HOST).iter().count();
    let from_listener = req.extensions().get::<Connection>().is_some();
    let needs_one = req.version() == http::Version::HTTP_11;
    if from_listener && (hosts > 1 || (needs_one && hosts == 0)) {
        return PageError::BadRequest.into_response();
    }
    next.run(req).await
}

/// The headers of DESIGN invariant 9 on every response, and never a cookie. Over direct TLS,
/// HSTS too; on the clearnet site's HTML pages, `Onion-Location` when an onion address is set.
async fn headers(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let connection = Connection::of(req.extensions());
    let onion_location = match (&app.onion_location, connection) {
        (Some(origin), Some(c)) if !c.onion => {
            let path = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
            HeaderValue::try_from(format!("{origin}{path}")).ok()
        }
        _ => None,
    };
    let mut response = next.run(req).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = response.headers_mut();
    h.remove(header::SET_COOKIE);
    for (name, value) in SECURITY_HEADERS {
        h.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    if connection.is_some_and(|c| c.tls) {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if let Some(location) = onion_location.filter(|_| is_html) {
        h.insert(HeaderName::from_static("onion-location"), location);
    }
    response
}

const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
];

/// One line per request: method, route template, status, duration. Nothing else (invariant 5).
async fn log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map_or("-", |p| p.as_str()).to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        target: "sealpost::http",
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        ms = start.elapsed().as_millis() as u64,
    );
    response
}

// ───────────────────────────── pages ─────────────────────────────

/// What every page shows around its content.
struct Chrome {
    lang: &'static str,
    dir: &'static str,
    title: String,
    site_title: String,
    skip_link: String,
    language_label: String,
    languages: Vec<LanguageLink>,
    privacy_title: String,
    privacy_body: String,
    quick_exit_url: String,
    quick_exit: String,
}

struct LanguageLink {
    code: &'static str,
    name: &'static str,
    dir: &'static str,
    href: String,
    current: bool,
}

impl Chrome {
    /// `path` is this page's path, for the language links.
    fn new(app: &App, locale: &Locale, title: String, path: &str) -> Chrome {
        Chrome {
            lang: locale.code,
            dir: locale.dir(),
            title,
            site_title: locale.text("site-title"),
            skip_link: locale.text("skip-link"),
            language_label: locale.text("language-label"),
            languages: app
                .catalog
                .locales()
                .iter()
                .map(|l| LanguageLink {
                    code: l.code,
                    name: l.name,
                    dir: l.dir(),
                    href: format!("{path}?lang={}", l.code),
                    current: l.code == locale.code,
                })
                .collect(),
            privacy_title: locale.text("privacy-title"),
            privacy_body: locale.text("privacy-body"),
            quick_exit_url: app.quick_exit_url.clone(),
            quick_exit: locale.text("quick-exit"),
        }
    }
}

#[derive(Template)]
#[template(path = "index.html", config = "src/pages/askama.toml")]
struct IndexPage {
    page: Chrome,
    intro: String,
    forms: Vec<FormLink>,
}

struct FormLink {
    href: String,
    title: String,
    intro: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html", config = "src/pages/askama.toml")]
struct MessagePage {
    page: Chrome,
    paragraphs: Vec<String>,
    link_href: String,
    link_text: String,
}

#[derive(Template)]
#[template(path = "form.html", config = "src/pages/askama.toml")]
struct FormPage {
    page: Chrome,
    intro: Option<String>,
    error_summary_title: String,
    problem: Option<String>,
    errors: Vec<ErrorLink>,
    files_note: Option<String>,
    action: String,
    enctype: &'static str,
    token: String,
    honeypot_label: String,
    fields: Vec<FieldView>,
    send: String,
}

struct ErrorLink {
    field: String,
    label: String,
    message: String,
}

struct FieldView {
    name: String,
    kind: &'static str,
    label: String,
    help: Option<String>,
    error: Option<String>,
    marker: String,
    required: bool,
    /// What the person typed, shown again; wiped when the page is dropped.
    value: Zeroizing<String>,
    checked: bool,
    options: Vec<OptionView>,
    multiple: bool,
    autocomplete: &'static str,
    describedby: String,
}

struct OptionView {
    value: String,
    label: String,
    selected: bool,
}

/// Renders a page that holds what the person typed (the form shown again): into a buffer that
/// wipes each allocation it outgrows, sent from memory that is wiped when the body is dropped.
fn html_wiped(template: impl Template) -> Response {
    let mut page = form::SecretBuf::with_capacity(PAGE_BUFFER);
    match template.render_into(&mut page) {
        Ok(()) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
            Body::from(bytes::Bytes::from_owner(page)),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

fn html(template: impl Template) -> Response {
    match template.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

fn requested_lang(req: &Request) -> Option<String> {
    let query = req.uri().query()?;
    query.split('&').find_map(|pair| pair.strip_prefix("lang=")).map(|v| v.chars().take(35).collect())
}

fn locale_for<'a>(app: &'a App, query: &LangQuery, headers: &HeaderMap) -> &'a Locale {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    app.catalog.negotiate(query.lang.as_deref(), accept)
}

async fn index(State(app): State<Arc<App>>, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let locale = locale_for(&app, &q, &headers);
    let forms = app
        .forms
        .iter()
        .map(|f| {
            let id = i18n::form_title_id(&f.id);
            FormLink {
                href: format!("/{}?lang={}", f.id, locale.code),
                title: locale.text(&id),
                intro: locale.attr(&id, "intro"),
            }
        })
        .collect();
    html(IndexPage {
        page: Chrome::new(&app, locale, locale.text("index-title"), "/"),
        intro: locale.text("index-intro"),
        forms,
    })
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let spool = app.spool.clone();
    let healthy = tokio::task::spawn_blocking(move || spool.healthy()).await.unwrap_or(false);
    if healthy {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "spool unavailable or over quota\n").into_response()
    }
}

async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("pages/sealpost.css")).into_response()
}

async fn show_form(
    State(app): State<Arc<App>>,
    Path(form_id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let form = app.form(&form_id).ok_or(PageError::NotFound)?;
    let locale = locale_for(&app, &q, &headers);
    Ok(html(form_page(&app, form, locale, None)))
}

async fn sent(
    State(app): State<Arc<App>>,
    Path(form_id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let form = app.form(&form_id).ok_or(PageError::NotFound)?;
    let locale = locale_for(&app, &q, &headers);
    Ok(html(MessagePage {
        page: Chrome::new(&app, locale, locale.text("sent-title"), &format!("/{}/sent", form.id)),
        paragraphs: vec![locale.text("sent-body"), locale.text("sent-next")],
        link_href: format!("/?lang={}", locale.code),
        link_text: locale.text("sent-again"),
    }))
}

/// The form page; with `received`, re-rendered with the person's input and messages.
fn form_page(app: &App, form: &FormSpec, locale: &Locale, received: Option<&Received>) -> FormPage {
    let title_id = i18n::form_title_id(&form.id);
    let mut fields = Vec::new();
    let mut errors = Vec::new();
    for (index, spec) in form.fields.iter().enumerate() {
        let id = i18n::field_id(&form.id, &spec.name);
        let label = locale.text(&id);
        let value = received.map_or("", |r| r.values.get(index));
        let error =
            received.and_then(|r| r.errors.iter().find(|(i, _)| *i == index)).map(|(_, e)| field_error_text(locale, e));
        if let Some(message) = &error {
            errors.push(ErrorLink { field: spec.name.clone(), label: label.clone(), message: message.clone() });
        }
        let mut help = locale.attr(&id, "help");
        if spec.kind == FieldKind::File {
            let limits = locale.text_with(
                "files-limit",
                &[("count", spec.max_files.into()), ("size", human_size(locale, spec.max_size).into())],
            );
            help = Some(match help {
                Some(h) => format!("{h} {limits}"),
                None => limits,
            });
        }
        let describedby =
            [help.as_ref().map(|_| format!("h-{}", spec.name)), error.as_ref().map(|_| format!("e-{}", spec.name))]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
        fields.push(FieldView {
            name: spec.name.clone(),
            kind: kind_name(spec.kind),
            label,
            help,
            error,
            marker: locale.text(if spec.required { "required" } else { "optional" }),
            required: spec.required,
            value: Zeroizing::new(if spec.kind == FieldKind::File { String::new() } else { value.to_string() }),
            checked: spec.kind == FieldKind::Checkbox && !value.is_empty(),
            options: spec
                .options
                .iter()
                .map(|o| OptionView {
                    value: o.clone(),
                    label: locale.text(&i18n::option_id(&form.id, &spec.name, o)),
                    selected: value == o,
                })
                .collect(),
            multiple: spec.max_files > 1,
            autocomplete: if spec.autocomplete { "on" } else { "off" },
            describedby,
        });
    }
    let problem = received.and_then(|r| r.problem).map(|p| {
        locale.text(match p {
            Problem::Token(TokenProblem::TooFast) => "problem-too-fast",
            Problem::Token(TokenProblem::Expired) => "problem-expired",
            Problem::Token(TokenProblem::Used) => "problem-used",
            Problem::Token(TokenProblem::Invalid) | Problem::Honeypot => "problem-invalid",
        })
    });
    let files_note = (received.is_some() && form.has_files()).then(|| locale.text("files-not-kept"));
    FormPage {
        page: Chrome::new(app, locale, locale.text(&title_id), &format!("/{}", form.id)),
        intro: locale.attr(&title_id, "intro"),
        error_summary_title: locale.text("error-summary-title"),
        problem,
        errors,
        files_note,
        action: format!("/{}?lang={}", form.id, locale.code),
        enctype: if form.has_files() { "multipart/form-data" } else { "application/x-www-form-urlencoded" },
        token: app.tokens.issue(&form.id, SystemTime::now()),
        honeypot_label: locale.text("honeypot-label"),
        fields,
        send: locale.text("send"),
    }
}

fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text => "text",
        FieldKind::Textarea => "textarea",
        FieldKind::Email => "email",
        FieldKind::Tel => "tel",
        FieldKind::Select => "select",
        FieldKind::Checkbox => "checkbox",
        FieldKind::File => "file",
    }
}

fn field_error_text(locale: &Locale, error: &FieldError) -> String {
    match error {
        FieldError::Required => locale.text("error-required"),
        FieldError::CheckboxRequired => locale.text("error-checkbox-required"),
        FieldError::TooLong { max } => locale.text_with("error-too-long", &[("max", (*max).into())]),
        FieldError::Email => locale.text("error-email"),
        FieldError::Tel => locale.text("error-tel"),
        FieldError::Select => locale.text("error-select"),
        FieldError::FileTooLarge { name, max } => locale.text_with(
            "error-file-too-large",
            &[("name", name.as_str().into()), ("max", human_size(locale, *max).into())],
        ),
        FieldError::TooManyFiles { max } => locale.text_with("error-too-many-files", &[("max", (*max).into())]),
    }
}

/// Sizes for messages, in the reader's units (`20 MB`, `20 Mo`, …).
fn human_size(locale: &Locale, bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        locale.text_with("size-mb", &[("size", (bytes / MIB).into())])
    } else if bytes >= MIB {
        locale.text_with("size-mb", &[("size", format!("{:.1}", bytes as f64 / MIB as f64).into())])
    } else {
        locale.text_with("size-kb", &[("size", bytes.div_ceil(1024).into())])
    }
}

// ───────────────────────────── submitting ─────────────────────────────

async fn submit(
    State(app): State<Arc<App>>,
    Path(form_id): Path<String>,
    Query(q): Query<LangQuery>,
    connection: Connection,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let form = app.form(&form_id).ok_or(PageError::NotFound)?;
    let locale = locale_for(&app, &q, &headers);
    let max_body = app.limits.max_body;
    // A refusal before the body is read still reads (and drops) a little of it, briefly
    // ([`drain_briefly`]), so a browser still sending is more likely to show the page than a
    // reset; then the connection is closed, so the refused upload holds no slot.
    if let Err(limited) = connection.charge(&app.limiter, &headers, &app.trusted_proxies) {
        drain_briefly(body).await;
        return Ok(closing(PageError::RateLimited(limited.retry_after.as_secs()).into_response()));
    }
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max_body) {
        drain_briefly(body).await;
        return Err(PageError::TooLarge(max_body));
    }
    let encoding = match Encoding::from_content_type(headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())) {
        Ok(encoding) => encoding,
        Err(e) => {
            drain_briefly(body).await;
            return Ok(closing(PageError::from(e).into_response()));
        }
    };
    let spool = app.spool.clone();
    let form_key = form.id.clone();
    let mut draft =
        tokio::task::spawn_blocking(move || spool.begin(&form_key)).await.map_err(|_| PageError::Internal)??;
    // One snapshot of the recipients for the whole submission, even if SIGHUP swaps them now.
    let recipients = form.recipients.current();
    let now = SystemTime::now();
    let ctx = form::Context { form, recipients: recipients.clone(), limits: &app.limits, tokens: &app.tokens, now };
    let mut received = form::read(&ctx, encoding, body.into_data_stream(), &mut draft).await?;

    // The timing token is spent here and nowhere else: by a submission that passed every check
    // and is about to be stored. A submission refused for a mistake leaves it unspent (its page
    // comes back with a fresh token anyway); of two racing with one token, exactly one passes.
    let spent = match received.token.filter(|_| received.is_valid()) {
        Some(id) => app.tokens.redeem(id, now, app.limits.max_fill_time).map(|()| id),
        None => Err(TokenProblem::Invalid),
    };
    let token = match spent {
        Ok(id) => id,
        Err(problem) => {
            drop(draft);
            if received.is_valid() {
                received.problem = Some(Problem::Token(problem));
            }
            let mut response = html_wiped(form_page(&app, form, locale, Some(&received)));
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };

    let envelope = build_envelope(&app, form, draft.id().as_str(), locale.code, received);
    let stored = store_spending(app.tokens.clone(), token, move || {
        draft.seal_envelope(&recipients, &envelope)?;
        draft.commit()
    })
    .await;
    // The task has already given the token back if nothing was stored.
    match stored {
        Ok(result) => result.map(drop).map_err(PageError::from)?,
        Err(_) => return Err(PageError::Internal),
    }
    Ok(Redirect::to(&format!("/{}/sent?lang={}", form.id, locale.code)).into_response())
}

/// Runs `store` (seal and commit) on a blocking thread that owns the spent timing `token`.
/// The task runs to its end even when the handler is gone (the client left, `request_timeout`
/// fired), so the token is given back there, not by the handler: when `store` fails before the
/// entry reached `ready/` (or panics), and never once it is there ([`SpoolError::was_stored`]),
/// so the same page can be neither refused as "already sent" when it was never stored nor
/// accepted twice.
fn store_spending(
    tokens: Arc<TimingTokens>,
    token: TokenId,
    store: impl FnOnce() -> Result<SubmissionId, SpoolError> + Send + 'static,
) -> tokio::task::JoinHandle<Result<SubmissionId, SpoolError>> {
    tokio::task::spawn_blocking(move || {
        let spent = SpentToken { tokens: &tokens, id: Some(token) };
        let result = store();
        if token_stays_spent(&result) {
            spent.keep();
        }
        result
    })
}

/// Whether a store's outcome keeps its timing token spent: it does once the entry is stored.
fn token_stays_spent(result: &Result<SubmissionId, SpoolError>) -> bool {
    result.as_ref().map_or_else(SpoolError::was_stored, |_| true)
}

/// A spent timing token, given back when dropped (also while unwinding) unless kept.
struct SpentToken<'a> {
    tokens: &'a TimingTokens,
    id: Option<TokenId>,
}

impl SpentToken<'_> {
    /// The submission is stored: the token stays spent.
    fn keep(mut self) {
        self.id = None;
    }
}

impl Drop for SpentToken<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.tokens.release(id);
        }
    }
}

/// The envelope: every non-empty field labelled in the staff language, and the attachments.
fn build_envelope(app: &App, form: &FormSpec, id: &str, locale: &str, received: Received) -> Envelope {
    let staff = app.catalog.get(&app.staff_locale).unwrap_or_else(|| app.catalog.english());
    let mut fields = Vec::new();
    for (index, spec) in form.fields.iter().enumerate() {
        let value = received.values.get(index);
        if spec.kind == FieldKind::File || value.trim().is_empty() {
            continue;
        }
        let value = match spec.kind {
            FieldKind::Select => staff.text(&i18n::option_id(&form.id, &spec.name, value)),
            FieldKind::Checkbox => staff.text("value-yes"),
            _ => value.to_string(),
        };
        fields.push(EnvelopeField {
            name: spec.name.clone(),
            label: staff.text(&i18n::field_id(&form.id, &spec.name)),
            value,
        });
    }
    Envelope {
        sealpost: ENVELOPE_VERSION,
        // The proof of decryption an ack must carry; the spool keeps only its hash.
        ack: Some(AckSecret::random()),
        id: id.to_string(),
        form: form.id.clone(),
        received: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        locale: locale.to_string(),
        fields,
        attachments: received.attachments.into_iter().map(|(_, meta)| meta).collect(),
    }
}

/// Reads and discards up to [`DRAIN_BYTES`] of a refused body for up to [`DRAIN_TIME`], so a
/// client still sending is more likely to read our answer; the caller then closes the connection.
async fn drain_briefly(body: Body) {
    let mut stream = body.into_data_stream();
    let drained = async {
        let mut seen = 0u64;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len() as u64;
            if seen >= DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drained).await;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A spent token for form `contact`, with the set it was spent in.
    fn spent_token() -> (Arc<TimingTokens>, TokenId, SystemTime) {
        let tokens = Arc::new(TimingTokens::new([7; 32]));
        let now = SystemTime::now();
        let text = tokens.issue("contact", now);
        let id = tokens.check("contact", &text, now, Duration::ZERO, Duration::from_secs(3600)).unwrap();
        tokens.redeem(id, now, Duration::from_secs(3600)).unwrap();
        (tokens, id, now)
    }

    /// Runs `store` through [`store_spending`] and drops its handle at once, as a handler does
    /// when the client leaves or `request_timeout` fires; returns once the store has finished.
    fn store_with_handler_gone(
        tokens: &Arc<TimingTokens>,
        id: TokenId,
        store: impl FnOnce() -> Result<SubmissionId, SpoolError> + Send + 'static,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        runtime.block_on(async {
            let handle = store_spending(tokens.clone(), id, move || {
                wait.recv().unwrap();
                store()
            });
            drop(handle);
            go.send(()).unwrap();
        });
        // Dropping a runtime waits for its blocking tasks to finish.
        drop(runtime);
    }

    #[test]
    fn the_spent_token_set_holds_what_both_global_budgets_can_accept_when_there_is_an_onion_listener() {
        let hour = Duration::from_secs(3600);
        let global =
            crate::config::Rate { burst: std::num::NonZeroU32::new(100).unwrap(), period: Duration::from_secs(6) };
        assert_eq!(token_capacity(global, hour, false), 701);
        assert_eq!(token_capacity(global, hour, true), 1402, "room for both budgets' tokens");
        let generous = crate::config::Rate { period: Duration::from_millis(1), ..global };
        assert_eq!(token_capacity(generous, hour, true), limit::MAX_REDEEMED_TOKENS, "still capped");
    }

    #[test]
    fn a_store_that_fails_after_the_handler_is_gone_still_gives_the_token_back() {
        let (tokens, id, now) = spent_token();
        store_with_handler_gone(&tokens, id, || Err(SpoolError::Full));
        assert_eq!(tokens.redeem(id, now, Duration::from_secs(3600)), Ok(()), "the page can be sent again");
    }

    #[test]
    fn a_store_that_reached_ready_keeps_the_token_spent_even_if_its_fsync_failed() {
        for stored in
            [Ok(SubmissionId::random()), Err(SpoolError::CommittedButNotSynced(std::io::Error::other("fsync failed")))]
        {
            let (tokens, id, now) = spent_token();
            store_with_handler_gone(&tokens, id, move || stored);
            assert_eq!(tokens.redeem(id, now, Duration::from_secs(3600)), Err(TokenProblem::Used));
        }
    }
}
