//! The routers of each listener (public, onion, staff-only, redirect) and the layers every route
//! runs under: log, headers, error pages, panic catching, the per-client request cap, the request
//! deadline and the minimum upload rate.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::StatusCode;
use http::header::{self, HeaderName, HeaderValue};

use crate::limit::slots::Paced;
use crate::limit::{self, Connection};

use super::app::App;
use super::errors::{BUSY_RETRY_AFTER_SECS, PageError, closing};
use super::headers::{SECURITY_HEADERS, headers, log, strict_host};
use super::pages::{healthz, index, logo, render_errors, sent, show_form, stylesheet};
use super::status;
use super::submit::submit;

/// The router with every public route and layer, and the staff API under `/staff/v1` unless it
/// has its own listener. Tests drive it with `oneshot`; requests must carry a
/// `ConnectInfo<SocketAddr>` extension (the listener adds it).
pub fn router(app: Arc<App>) -> Router {
    let routes = public_routes();
    let routes = if app.staff().staff().separate_listener() {
        routes
    } else {
        routes.nest("/staff/v1", crate::pull::routes(app.staff().clone()))
    };
    layered(routes, app)
}

/// The router of the onion listener (`server.onion_listen`): the public site, and `/staff/v1`
/// only when `server.onion_staff` is set (otherwise a 404 page there). Connections on it must
/// be served with [`super::Door::onion`] set, so no forwarded header is read for any limit.
pub fn onion_router(app: Arc<App>) -> Router {
    let routes = public_routes();
    let routes =
        if app.onion_staff { routes.nest("/staff/v1", crate::pull::routes(app.staff().clone())) } else { routes };
    layered(routes, app)
}

/// The public site's routes, without layers.
fn public_routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/static/sealpost.css", get(stylesheet))
        .route("/static/{logo}", get(logo))
        .route("/status", get(status::ask).post(status::check))
        .route("/status/sent", get(status::written))
        .route("/status/file", post(status::download))
        .route("/status/{handle}/write", post(status::write))
        .route("/status/{handle}/delete", post(status::delete))
        .route("/{form}", get(show_form).post(submit))
        .route("/{form}/sent", get(sent))
        .fallback(|| async { PageError::NotFound })
        .method_not_allowed_fallback(|| async { PageError::MethodNotAllowed })
}

/// The router of the separate staff listener (`[staff] listen`): only `/staff/v1`.
pub fn staff_router(app: Arc<App>) -> Router {
    let routes =
        Router::new().nest("/staff/v1", crate::pull::routes(app.staff().clone())).fallback(crate::pull::no_route);
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
