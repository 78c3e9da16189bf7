//! The strict headers every response carries (invariant 9), one `Host` per HTTP/1.1 request,
//! and the request log, which names no address, agent, locale or content (invariant 5).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderName, HeaderValue};

use crate::limit::Connection;

use super::app::App;
use super::errors::PageError;

/// `Strict-Transport-Security` on every response over direct TLS: two years, the preload
/// lists' minimum. Without `includeSubDomains`: other sites under the domain are not ours.
const HSTS: &str = "max-age=63072000";

// ───────────────────────────── headers and log ─────────────────────────────

/// RFC 9112 §3.2: an HTTP/1.1 request without a `Host` header, or any request with two, gets a
/// 400 (a proxy and we could otherwise disagree on which site it is for). Applies to requests
/// that came through a listener (they carry its [`Connection`]); HTTP/2 names the authority in
/// `:authority` and may omit `Host`. The body is not read.
pub(super) async fn strict_host(req: Request, next: Next) -> Response {
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
pub(super) async fn headers(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
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
    let is_svg = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v == "image/svg+xml");
    let h = response.headers_mut();
    h.remove(header::SET_COOKIE);
    for (name, value) in SECURITY_HEADERS {
        h.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    if is_svg {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(SVG_POLICY));
    }
    if connection.is_some_and(|c| c.tls) {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if let Some(location) = onion_location.filter(|_| is_html) {
        h.insert(HeaderName::from_static("onion-location"), location);
    }
    response
}

/// The policy of an SVG logo, opened on its own or shown through `<img>` (where some browsers
/// apply it too): nothing at all, no script, style sheet, load or frame, and a sandbox, whatever
/// the file holds. A logo draws with presentation attributes (`fill="…"`), which need no style
/// permission; `config::site` refuses one that needs styles, since some browsers would draw it black.
pub(super) const SVG_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

pub(super) const SECURITY_HEADERS: &[(&str, &str)] = &[
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
pub(super) async fn log(req: Request, next: Next) -> Response {
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
