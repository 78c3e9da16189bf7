//! How a request arrived: the peer, whether on the onion listener, whether TLS ends here; and
//! from that, the address every rate limit counts it as.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::{HeaderMap, StatusCode};

use crate::config::TrustedProxies;

use super::addr::{ONION_CLIENT, Peer, client_key};
use super::rate::{Limited, Limiter};

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
    /// listener (tests driving `http::router`) a plain TCP one from `ConnectInfo<SocketAddr>`.
    pub(crate) fn of(extensions: &http::Extensions) -> Option<Connection> {
        extensions.get::<Connection>().copied().or_else(|| {
            let ConnectInfo(peer) = extensions.get::<ConnectInfo<SocketAddr>>()?;
            Some(Connection { peer: Peer::Ip(peer.ip()), onion: false, tls: false })
        })
    }

    /// The address this request counts as for every rate limit: on the onion listener always
    /// [`ONION_CLIENT`], without reading any header (tor forwards none, so any there came from
    /// the visitor); elsewhere [`client_key`].
    pub(crate) fn client_key(&self, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
        if self.onion { ONION_CLIENT } else { client_key(self.peer, headers, trusted) }
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
