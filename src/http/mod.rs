//! Routes, pages, security headers, the listeners and graceful shutdown.
//!
//! Job: turn requests into calls on [`crate::form`], [`crate::seal`] and [`crate::spool`], and
//! their results into pages. Every error page is rendered in exactly one place
//! (`render_errors`), in the reader's language. Accept connections on TCP or a unix socket,
//! with or without TLS ([`Door`]), and tell every request how it arrived ([`crate::limit::Connection`]);
//! an idle plain HTTP/1.1 connection waits on its bare socket, without hyper's buffers.
//! Invariant: every response carries the headers of DESIGN invariant 9 and no cookie, plus HSTS
//! exactly when the connection is TLS; a 303 to the "sent" page is sent only after
//! [`crate::spool::Draft::commit`] returned (invariant 3); the request log holds method, route
//! template, status and duration, nothing else (invariant 5).
//! Never: logs a client address, user agent, language or any submitted value.

mod app;
mod errors;
mod headers;
mod keepalive;
mod listeners;
mod pages;
mod router;
mod status;
mod submit;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use app::{App, Conversations, load_token_key};
pub use listeners::{Door, Listener, SHUTDOWN_GRACE, UnixSocket, serve_on, shutdown_signal};
pub use router::{onion_router, redirect_router, router, staff_router};

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
