//! The listeners: TCP, unix sockets and TLS; the accept loop with its connection caps and header
//! deadline; each connection's task; and graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use crate::limit::slots::{Activity, SlotGuard};
use crate::limit::{Connection, Peer};

use super::app::App;
use super::errors::closing;
use super::keepalive::{self, Answer, Exchange, Socket};

/// How long in-flight requests may run after a shutdown signal before connections are cut.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How often idle entries are pruned from the rate-limit table.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Interval and timeout of HTTP/2 keep-alive pings: a peer that stops answering is dropped.
const H2_KEEP_ALIVE: Duration = Duration::from_secs(20);

/// Largest request head (request line and headers) accepted; over it, a 431 and the connection
/// is closed. Also the read buffer's bound and the largest chunked trailer section.
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Mode of the unix socket: the service's user and group (the proxy) may connect.
const SOCKET_MODE: u32 = 0o660;

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
    /// header-read timeout runs from the first moment, even for a client that sends nothing
    /// (on plain connections [`keepalive::serve`] keeps that deadline while idle, and gives
    /// each hyper connection what is left of it).
    http1: hyper::server::conn::http1::Builder,
    /// HTTP/2 connection settings, for TLS connections that chose `h2` by ALPN.
    http2: auto::Builder<TokioExecutor>,
    /// The TLS acceptor, for direct TLS.
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Whether this is the onion listener.
    onion: bool,
    /// Time allowed for a request head, from the accept or from the moment the connection went
    /// idle; and for the TLS handshake.
    header_read_timeout: Duration,
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
        // Exact: the buffer's bound alone let a head past it through while it fit the buffer.
        .max_header_size(MAX_HEADER_BYTES)
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
        header_read_timeout: limits.header_read_timeout,
        http2_idle_timeout: limits.http2_idle_timeout,
    });

    let pruner = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PRUNE_EVERY);
            loop {
                tick.tick().await;
                app.prune();
                let sweeper = app.clone();
                let _ = tokio::task::spawn_blocking(move || sweeper.sweep_conversations()).await;
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
fn spawn_connection<I: Socket>(io: I, peer: Peer, address: Option<SocketAddr>, shared: &Arc<Shared>, held: Held) {
    let connection = Connection { peer, onion: shared.onion, tls: shared.tls.is_some() };
    let router = shared.router.clone();
    let shared = shared.clone();
    let stop = held.stop_signal();
    // Two separate tasks, not one with two branches: a task is as large as its largest state, and
    // the TLS one would make every plain connection (the usual case behind a proxy) carry the
    // size of a TLS session in memory while it sits idle.
    match shared.tls.clone() {
        None => {
            // Plain connections speak only HTTP/1.1: idle, they wait on the bare socket.
            let exchange = Arc::new(Exchange::default());
            let service = Requests { router, connection, address, activity: None, exchange: Some(exchange.clone()) };
            tokio::spawn(async move {
                keepalive::serve(io, service, exchange, &shared.http1, shared.header_read_timeout, stop).await;
                drop(held);
            });
        }
        Some(acceptor) => {
            // Only TLS connections can be HTTP/2, so only they count their requests in flight.
            let activity = Arc::new(Activity::default());
            let service = Requests { router, connection, address, activity: Some(activity.clone()), exchange: None };
            tokio::spawn(async move {
                // A failed or slow handshake is the client's problem; nothing is logged about it.
                if let Ok(Ok(tls)) = tokio::time::timeout(shared.header_read_timeout, acceptor.accept(io)).await {
                    let io = TokioIo::new(tls);
                    if io.inner().get_ref().1.alpn_protocol() == Some(b"h2".as_slice()) {
                        let conn = pin!(shared.http2.serve_connection(io, service).into_owned());
                        let idle = activity.idle_for(shared.http2_idle_timeout);
                        drive(conn, |c| c.graceful_shutdown(), stop, idle).await;
                    } else {
                        let conn = pin!(shared.http1.serve_connection(io, service));
                        drive(conn, |c| c.graceful_shutdown(), stop, std::future::pending()).await;
                    }
                }
                drop(held);
            });
        }
    }
}

/// What every request on one connection goes through before the routes: it is told how it
/// arrived, and counted for the HTTP/2 idle timeout (TLS) or watched for the idle hand-back
/// (plain, [`keepalive`]).
#[derive(Clone)]
struct Requests {
    /// The routes.
    router: Router,
    /// How the requests arrive, put into each.
    connection: Connection,
    /// The peer's TCP address, put into each as `ConnectInfo`.
    address: Option<SocketAddr>,
    /// Requests in flight, for the HTTP/2 idle timeout (TLS connections).
    activity: Option<Arc<Activity>>,
    /// Where the request under way stands, for the idle hand-back (plain connections).
    exchange: Option<Arc<Exchange>>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Requests {
    type Response = hyper::Response<Answer>;
    type Error = Infallible;
    /// Boxed: hyper keeps a slot the size of this future for every connection it serves.
    type Future = Pin<Box<dyn Future<Output = Result<hyper::Response<Answer>, Infallible>> + Send>>;

    fn call(&self, mut req: hyper::Request<Incoming>) -> Self::Future {
        req.extensions_mut().insert(self.connection);
        if let Some(address) = self.address {
            req.extensions_mut().insert(ConnectInfo(address));
        }
        let busy = self.activity.as_ref().map(Activity::begin);
        let (req, answered) = match &self.exchange {
            Some(exchange) => {
                let (parts, body) = req.into_parts();
                let (body, answered) = exchange.watch(body);
                (hyper::Request::from_parts(parts, body), Some(answered))
            }
            None => (req.map(Body::new), None),
        };
        let exchange = self.exchange.clone();
        let response = self.router.clone().oneshot(req);
        Box::pin(async move {
            let response = response.await;
            drop(busy);
            response.map(|response| {
                // A body its handler left unread: close after this answer, as the refusals do
                // (see the keepalive module doc).
                let unread = exchange.is_some_and(|exchange| !exchange.request_read());
                let response = if unread { closing(response) } else { response };
                response.map(|body| Answer { body, _answered: answered })
            })
        })
    }
}

/// Runs `conn` to its end; when the listener shuts down (`stop` changes or its sender is gone)
/// or `idle` resolves, asks it to finish gracefully (`graceful`: HTTP/1.1 closes after the
/// response in flight, HTTP/2 sends GOAWAY and finishes its open streams) and waits for that.
/// `conn` is pinned by the caller: taken by value, it would sit in this future's state twice
/// (as the argument and as the pinned local), and an idle connection's task would carry both.
async fn drive<C, G>(mut conn: Pin<&mut C>, graceful: G, mut stop: watch::Receiver<()>, idle: impl Future<Output = ()>)
where
    C: Future,
    G: FnOnce(Pin<&mut C>),
{
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
