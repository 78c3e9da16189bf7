//! The operator's listener (`[ops] listen`): `GET /metrics` in the Prometheus text format, and
//! nothing else.
//!
//! Job: serve [`crate::metrics`] to a local scraper.
//! Invariant: never the public listener: the config refuses an address any other listener
//! uses, and a non-loopback address unless `allow_non_loopback = true`; a few connections at a
//! time, each with a header deadline, and one request per connection.
//! Never: serves a page, a form or the staff API; logs who scraped.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::http::App;

/// Scrapes served at once; one more connection waits in the kernel backlog.
pub const MAX_OPS_CONNECTIONS: usize = 4;
/// Time a scraper has to send its request head.
const OPS_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves `GET /metrics` on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl std::future::Future<Output = ()>) {
    let permits = Arc::new(Semaphore::new(MAX_OPS_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => return },
            () = &mut shutdown => return,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let app = app.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(answer(&app, request.method(), request.uri().path()).await) }
            });
            let mut http1 = hyper::server::conn::http1::Builder::new();
            http1.timer(TokioTimer::new()).header_read_timeout(OPS_HEADER_TIMEOUT).keep_alive(false);
            let _ = http1.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn answer(app: &Arc<App>, method: &Method, path: &str) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, content_type: &'static str, body: String| {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
        response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
        response
    };
    if path != "/metrics" {
        return reply(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: the ops listener serves /metrics\n".into(),
        );
    }
    if method != Method::GET && method != Method::HEAD {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "GET /metrics\n".into());
    }
    let app = app.clone();
    match tokio::task::spawn_blocking(move || app.scrape()).await {
        Ok(text) => reply(StatusCode::OK, crate::metrics::CONTENT_TYPE, text),
        Err(_) => reply(StatusCode::INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", "scrape failed\n".into()),
    }
}
