//! Idle HTTP/1.1 keep-alive connections, held without hyper's connection state.
//!
//! hyper keeps, for every connection it serves, busy or idle, a read buffer and a write buffer of
//! 8 KiB each, the last response's header map and its dispatcher: about 10 KiB of resident memory
//! per connection that merely stays open (the load benchmark's idle phase). So a plain connection is served by a hyper connection only
//! while a request is under way. Once hyper has answered, flushed, and found nothing more to read,
//! the socket is taken back ([`hyper::server::conn::http1::Connection::into_parts`]) and the
//! connection waits on the bare socket until it is readable; then a new hyper connection serves
//! it. The request head is due by the same deadline hyper would have set (`header_read_timeout`
//! from the moment the connection went idle, or from the accept for the first request).
//! Invariant: a socket is taken back only between requests: the request's body read to its end,
//! the response written and flushed, and hyper asking the socket for the next request and finding
//! nothing. Bytes hyper had already read go to the next hyper connection first. A request whose
//! handler left its body unread has no such moment (hyper drains the body itself, and a read of
//! it may find nothing yet): its response carries `Connection: close` (see `listeners`), so the
//! connection ends after it instead of staying with hyper, and no client can keep an idle
//! connection in hyper's full state that way. Browsers send bodies only with the POSTs whose
//! handlers read them.
//! Never: parses or writes HTTP itself.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// What serves the requests of a watched connection: it passes every request body through
/// [`Exchange::watch`] and gives each response body back in an [`Answer`] with its [`Answered`].
pub(super) trait Service:
    hyper::service::Service<
        hyper::Request<Incoming>,
        Response = hyper::Response<Answer>,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + Send
    + 'static
{
}

impl<T> Service for T where
    T: hyper::service::Service<
            hyper::Request<Incoming>,
            Response = hyper::Response<Answer>,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + Send
        + 'static
{
}

/// A socket whose readiness can be awaited without reading from it.
pub(super) trait Socket: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static {
    /// Ready when a read would not block: bytes, the end of the stream or an error are there.
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

impl Socket for TcpStream {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        TcpStream::poll_read_ready(self, cx)
    }
}

impl Socket for UnixStream {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        UnixStream::poll_read_ready(self, cx)
    }
}

/// Where one connection's current request stands, as its service and its socket see it.
///
/// One word: the bits below, under the request's turn number, so that a body of an earlier
/// request, dropped late, cannot mark a later one. The turn has [`TURN_BITS`] bits: a
/// connection would need 2^56 requests to see a number twice. Only the connection's own task
/// begins a request ([`Exchange::begin`]), one at a time, so its load-then-store cannot lose a
/// mark of the request it starts; a mark it overwrites belongs to an earlier request.
#[derive(Default)]
pub(super) struct Exchange(AtomicU64);

/// Bits of the turn number, above the [`FLAGS`].
const TURN_BITS: u32 = 56;

/// The request body has been read to its end (or there was none).
const REQUEST_READ: u64 = 1;
/// hyper let go of the response body: the whole response is in its write buffer or sent.
const ANSWERED: u64 = 1 << 1;
/// After both, the socket was flushed: hyper flushes only once its write buffer is empty.
const FLUSHED: u64 = 1 << 2;
/// After that, hyper asked the socket for more and there was nothing.
const WAITING: u64 = 1 << 3;
/// The socket was shut down, ended or failed: hyper is closing the connection.
const CLOSING: u64 = 1 << 4;
/// A request has begun since this hyper connection took over.
const BEGUN: u64 = 1 << 5;
/// Bits below the turn number.
const FLAGS: u64 = 0xff;
/// The moment the socket may be taken back.
const IDLE: u64 = REQUEST_READ | ANSWERED | FLUSHED | WAITING;

impl Exchange {
    /// A new request begins: its turn number, for marks its bodies make later.
    fn begin(&self, bodiless: bool) -> u64 {
        let read = if bodiless { REQUEST_READ } else { 0 };
        let before = self.0.load(Ordering::Acquire);
        let turn = (before >> 8).wrapping_add(1) & (u64::MAX >> (64 - TURN_BITS));
        self.0.store(turn << 8 | (before & CLOSING) | BEGUN | read, Ordering::Release);
        turn
    }

    /// Sets `bit` if `turn` is still the current request.
    fn mark(&self, turn: u64, bit: u64) {
        let _ = self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| (s >> 8 == turn).then_some(s | bit));
    }

    /// Sets `bit` if all of `given` are set.
    fn mark_if(&self, given: u64, bit: u64) {
        let _ = self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| (s & given == given).then_some(s | bit));
    }

    fn set(&self, bits: u64) {
        self.0.fetch_or(bits, Ordering::AcqRel);
    }

    fn clear(&self, bits: u64) {
        self.0.fetch_and(!bits, Ordering::AcqRel);
    }

    fn has(&self, bits: u64) -> bool {
        self.0.load(Ordering::Acquire) & bits == bits
    }

    /// Whether the request under way has been read to its end (or had no body).
    pub(super) fn request_read(&self) -> bool {
        self.has(REQUEST_READ)
    }

    /// Whether hyper is between requests with nothing left to send (see the module doc).
    fn is_idle(&self) -> bool {
        self.0.load(Ordering::Acquire) & (IDLE | CLOSING) == IDLE
    }

    /// A new hyper connection takes over: nothing is known about it yet.
    fn restart(&self) {
        self.0.fetch_and(!FLAGS, Ordering::AcqRel);
    }

    /// A new request begins with `body`: wrapped, so its end marks the request read; and the
    /// token its response body carries, to mark it answered when hyper drops it.
    pub(super) fn watch(self: &Arc<Self>, body: Incoming) -> (Body, Answered) {
        let turn = self.begin(hyper::body::Body::is_end_stream(&body));
        let answered = Answered { exchange: self.clone(), turn };
        (Body::new(ReadToEnd { body, exchange: self.clone(), turn }), answered)
    }
}

/// Marks the request answered when hyper drops the response body that holds it.
pub(super) struct Answered {
    exchange: Arc<Exchange>,
    turn: u64,
}

impl Drop for Answered {
    fn drop(&mut self) {
        self.exchange.mark(self.turn, ANSWERED);
    }
}

/// A response body; on a watched connection it tells the exchange when hyper lets go of it.
pub(super) struct Answer {
    pub(super) body: Body,
    /// Held for its drop, which marks the request answered.
    pub(super) _answered: Option<Answered>,
}

impl hyper::body::Body for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A request body that marks the request read once it has been read to its end.
struct ReadToEnd {
    body: Incoming,
    exchange: Arc<Exchange>,
    turn: u64,
}

impl hyper::body::Body for ReadToEnd {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let frame = ready!(Pin::new(&mut self.body).poll_frame(cx));
        if frame.is_none() || self.body.is_end_stream() {
            self.exchange.mark(self.turn, REQUEST_READ);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket as hyper sees it: bytes an earlier hyper connection had read but not used come
/// first, and every read, write, flush and shutdown tells the exchange where hyper stands.
struct Watched<S> {
    /// The connection's socket.
    socket: S,
    /// Bytes an earlier hyper connection read but did not use: the start of the next head.
    unread: Bytes,
    /// Told what hyper does with the socket.
    exchange: Arc<Exchange>,
}

impl<S: Socket> AsyncRead for Watched<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.unread.is_empty() {
            let n = this.unread.len().min(buf.remaining());
            buf.put_slice(&this.unread.split_to(n));
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.socket).poll_read(cx, buf) {
            Poll::Pending => {
                this.exchange.mark_if(FLUSHED, WAITING);
                Poll::Pending
            }
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.exchange.clear(WAITING);
                Poll::Ready(Ok(()))
            }
            // The end of the stream, or an error: hyper closes the connection. (A read into a
            // full buffer lands here too, and only keeps the socket with hyper.)
            ended => {
                this.exchange.set(CLOSING);
                ended
            }
        }
    }
}

impl<S: Socket> AsyncWrite for Watched<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.exchange.clear(FLUSHED | WAITING);
        Pin::new(&mut this.socket).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.exchange.clear(FLUSHED | WAITING);
        Pin::new(&mut this.socket).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.socket.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut this.socket).poll_flush(cx))?;
        this.exchange.mark_if(REQUEST_READ | ANSWERED, FLUSHED);
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.exchange.set(CLOSING);
        Pin::new(&mut this.socket).poll_shutdown(cx)
    }
}

/// How a spell of hyper serving the connection ended.
enum Spell {
    /// Between requests, nothing left to send: the socket can be taken back.
    Idle,
    /// The listener is shutting down and no request had begun on an idle connection.
    Stopped,
    /// The connection is over (closed, failed, or finished gracefully after a stop).
    Over,
}

/// Serves one plain HTTP/1.1 connection until it closes, or until `stop` changes (then
/// gracefully, as hyper does): by hyper while a request is under way, on the bare socket while
/// it is idle. `exchange` is the one `service` reports to.
pub(super) async fn serve<S: Socket, Svc: Service>(
    socket: S,
    mut service: Svc,
    exchange: Arc<Exchange>,
    http1: &http1::Builder,
    header_read_timeout: Duration,
    mut stop: watch::Receiver<()>,
) {
    let mut socket = Watched { socket, unread: Bytes::new(), exchange: exchange.clone() };
    // On a shutdown, hyper closes a connection at once if it has read nothing yet, or if it is
    // idle after a response; only a connection's first request, once partly read, is still
    // served (with `Connection: close`).
    let mut first = true;
    let mut deadline = Instant::now() + header_read_timeout;
    loop {
        if socket.unread.is_empty() {
            tokio::select! {
                // An error is hyper's to meet on its first read, as it would have.
                _ = std::future::poll_fn(|cx| socket.socket.poll_read_ready(cx)) => {}
                // What hyper does when no byte of the head came in time, or on a shutdown while
                // idle: it closes the connection.
                () = tokio::time::sleep_until(deadline) => {
                    let _ = socket.shutdown().await;
                    return;
                }
                _ = stop.changed() => {
                    let _ = socket.shutdown().await;
                    return;
                }
            }
        }
        exchange.restart();
        // Boxed: only a connection under way holds it, not the idle task; the builder's copy is
        // gone before the wait, so the task does not carry it either.
        let mut conn = {
            let mut builder = http1.clone();
            builder.header_read_timeout(deadline.saturating_duration_since(Instant::now()));
            Box::new(builder.serve_connection(TokioIo::new(socket), service))
        };
        let spell = spell(&mut conn, &exchange, &mut stop, first).await;
        let parts = match spell {
            Spell::Over => return,
            Spell::Idle | Spell::Stopped => conn.into_parts(),
        };
        socket = parts.io.into_inner();
        if let Spell::Stopped = spell {
            let _ = socket.shutdown().await;
            return;
        }
        // A copy, so hyper's read buffer is freed with it.
        socket.unread = Bytes::copy_from_slice(&parts.read_buf);
        service = parts.service;
        first = false;
        deadline = Instant::now() + header_read_timeout;
    }
}

/// Drives `conn` until it is idle ([`Exchange::is_idle`] after hyper found nothing to do) or
/// over. When `stop` changes first, it finishes gracefully: the response under way is sent,
/// then the connection closes; a connection taken over while idle, with no request begun since,
/// is [`Spell::Stopped`] instead, as hyper closes an idle connection at once.
async fn spell<S: Socket, Svc: Service>(
    conn: &mut http1::Connection<TokioIo<Watched<S>>, Svc>,
    exchange: &Exchange,
    stop: &mut watch::Receiver<()>,
    first: bool,
) -> Spell {
    let served = std::future::poll_fn(|cx| match Pin::new(&mut *conn).poll(cx) {
        Poll::Ready(_) => Poll::Ready(Spell::Over),
        Poll::Pending if exchange.is_idle() => Poll::Ready(Spell::Idle),
        Poll::Pending => Poll::Pending,
    });
    tokio::select! {
        spell = served => return spell,
        _ = stop.changed() => {}
    }
    if !first && !exchange.has(BEGUN) {
        return Spell::Stopped;
    }
    Pin::new(&mut *conn).graceful_shutdown();
    let _ = conn.await;
    Spell::Over
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use std::convert::Infallible;
    use std::net::SocketAddr;
    use std::sync::atomic::AtomicUsize;

    use http_body_util::BodyExt;
    use hyper_util::rt::TokioTimer;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    /// Answers "ok"; reads the request body to its end unless the path is `/ignore`.
    #[derive(Clone)]
    struct Answering(Arc<Exchange>);

    impl hyper::service::Service<hyper::Request<Incoming>> for Answering {
        type Response = hyper::Response<Answer>;
        type Error = Infallible;
        type Future = Pin<Box<dyn Future<Output = Result<hyper::Response<Answer>, Infallible>> + Send>>;

        fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
            let read = req.uri().path() != "/ignore";
            let (body, answered) = self.0.watch(req.into_body());
            Box::pin(async move {
                if read {
                    let _ = body.collect().await;
                }
                Ok(hyper::Response::new(Answer { body: Body::from("ok"), _answered: Some(answered) }))
            })
        }
    }

    /// A TCP socket that counts the waits on it that ended with something to read.
    struct Counted {
        stream: TcpStream,
        woken: Arc<AtomicUsize>,
    }

    impl AsyncRead for Counted {
        fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.stream).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Counted {
        fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.stream).poll_write(cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.stream).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.stream).poll_shutdown(cx)
        }
    }

    impl Socket for Counted {
        fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            let ready = self.stream.poll_read_ready(cx);
            if ready.is_ready() {
                self.woken.fetch_add(1, Ordering::Relaxed);
            }
            ready
        }
    }

    /// A listener serving every connection with [`serve`]; `woken` counts the waits on bare
    /// sockets that ended with bytes to read; a value sent on `stop` shuts it down.
    struct Server {
        addr: SocketAddr,
        woken: Arc<AtomicUsize>,
        stop: watch::Sender<()>,
    }

    async fn server(header_read_timeout: Duration) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let woken = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = watch::channel(());
        let mut http1 = http1::Builder::new();
        http1.timer(TokioTimer::new());
        let http1 = Arc::new(http1);
        let counter = woken.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let exchange = Arc::new(Exchange::default());
                let socket = Counted { stream, woken: counter.clone() };
                let (http1, mut stop) = (http1.clone(), stopped.clone());
                stop.mark_unchanged();
                tokio::spawn(async move {
                    serve(socket, Answering(exchange.clone()), exchange, &http1, header_read_timeout, stop).await;
                });
            }
        });
        Server { addr, woken, stop }
    }

    /// Reads one response (its body framed by Content-Length); its status, or `None` at the end
    /// of the stream.
    async fn response(stream: &mut TcpStream) -> Option<u16> {
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                return None;
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let length = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
            .unwrap_or(0);
        stream.read_exact(&mut vec![0u8; length]).await.unwrap();
        Some(head[9..12].parse().unwrap())
    }

    /// How long until the server closes `stream` (reads nothing else meanwhile).
    async fn closed_after(stream: &mut TcpStream) -> Duration {
        let start = Instant::now();
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut [0u8; 64])).await;
        assert!(matches!(read, Ok(Ok(0))), "the server closes the connection without a word: {read:?}");
        start.elapsed()
    }

    #[tokio::test]
    async fn an_idle_connection_waits_on_its_bare_socket_and_a_new_hyper_connection_serves_the_next_request() {
        let server = server(Duration::from_secs(10)).await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        for gap in [0, 50, 200] {
            tokio::time::sleep(Duration::from_millis(gap)).await;
            stream.write_all(GET).await.unwrap();
            assert_eq!(response(&mut stream).await, Some(200));
        }
        // Nothing else to read: each wait ended with one request.
        assert_eq!(server.woken.load(Ordering::Relaxed), 3, "one wait on the bare socket before each request");
    }

    #[tokio::test]
    async fn pipelined_requests_and_a_head_split_at_the_idle_moment_are_all_answered() {
        let server = server(Duration::from_secs(10)).await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(&[GET, GET, &GET[..9]].concat()).await.unwrap();
        assert_eq!(response(&mut stream).await, Some(200));
        assert_eq!(response(&mut stream).await, Some(200));
        tokio::time::sleep(Duration::from_millis(100)).await;
        stream.write_all(&GET[9..]).await.unwrap();
        assert_eq!(response(&mut stream).await, Some(200), "the head's first bytes were kept for the next hyper");
    }

    #[tokio::test]
    async fn an_idle_connection_is_closed_when_no_head_comes_by_the_deadline() {
        let server = server(Duration::from_millis(300)).await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(GET).await.unwrap();
        assert_eq!(response(&mut stream).await, Some(200));
        let closed = closed_after(&mut stream).await;
        assert!(closed < Duration::from_secs(3), "closed after {closed:?}");
    }

    #[tokio::test]
    async fn a_head_begun_after_going_idle_gets_only_what_is_left_of_the_deadline() {
        let server = server(Duration::from_millis(1000)).await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(GET).await.unwrap();
        assert_eq!(response(&mut stream).await, Some(200));
        tokio::time::sleep(Duration::from_millis(700)).await;
        stream.write_all(&GET[..9]).await.unwrap();
        let closed = closed_after(&mut stream).await;
        assert!(closed < Duration::from_millis(800), "the deadline restarted: closed after {closed:?}");
    }

    #[tokio::test]
    async fn a_connection_whose_request_body_was_left_unread_stays_with_hyper_and_serves_the_next_request() {
        let server = server(Duration::from_secs(10)).await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(b"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello").await.unwrap();
        assert_eq!(response(&mut stream).await, Some(200));
        tokio::time::sleep(Duration::from_millis(100)).await;
        stream.write_all(GET).await.unwrap();
        assert_eq!(response(&mut stream).await, Some(200));
        assert_eq!(server.woken.load(Ordering::Relaxed), 1, "never handed back while hyper owned the body's end");
    }

    #[tokio::test]
    async fn a_shutdown_closes_an_idle_connection_at_once_even_with_half_a_head_read() {
        let server = server(Duration::from_secs(10)).await;
        let mut idle = TcpStream::connect(server.addr).await.unwrap();
        let mut half = TcpStream::connect(server.addr).await.unwrap();
        idle.write_all(GET).await.unwrap();
        half.write_all(&[GET, &GET[..9]].concat()).await.unwrap();
        assert_eq!(response(&mut idle).await, Some(200));
        assert_eq!(response(&mut half).await, Some(200));
        tokio::time::sleep(Duration::from_millis(100)).await;
        server.stop.send(()).unwrap();
        assert!(closed_after(&mut idle).await < Duration::from_secs(3));
        assert!(closed_after(&mut half).await < Duration::from_secs(3), "no answer to the unfinished head");
    }

    #[test]
    fn a_stale_body_of_an_earlier_request_does_not_mark_the_next_one() {
        let exchange = Exchange::default();
        let earlier = exchange.begin(false);
        exchange.begin(false);
        exchange.mark(earlier, REQUEST_READ);
        exchange.mark(earlier, ANSWERED);
        assert!(!exchange.has(REQUEST_READ) && !exchange.has(ANSWERED));
    }

    #[test]
    fn the_socket_is_taken_back_only_after_a_flush_and_an_empty_read_that_follow_the_answer() {
        let exchange = Exchange::default();
        let turn = exchange.begin(true);
        // A flush and an empty read while the response is being made count for nothing.
        exchange.mark_if(REQUEST_READ | ANSWERED, FLUSHED);
        exchange.mark_if(FLUSHED, WAITING);
        exchange.mark(turn, ANSWERED);
        assert!(!exchange.is_idle(), "answered, but not flushed since");
        exchange.mark_if(REQUEST_READ | ANSWERED, FLUSHED);
        assert!(!exchange.is_idle(), "flushed, but hyper has not asked for more");
        exchange.clear(FLUSHED | WAITING); // a write: more bytes were queued
        exchange.mark_if(FLUSHED, WAITING);
        assert!(!exchange.is_idle(), "the write since the flush may still be buffered");
        exchange.mark_if(REQUEST_READ | ANSWERED, FLUSHED);
        exchange.mark_if(FLUSHED, WAITING);
        assert!(exchange.is_idle());
        exchange.set(CLOSING);
        assert!(!exchange.is_idle(), "hyper is closing the connection");
    }
}
