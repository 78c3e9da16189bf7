//! Who is asking, and how often: client addresses, rate limits and the anti-bot timing token.
//!
//! Job: decide before a body is read whether a request may proceed.
//! Invariant: forwarded headers are believed only from `trusted_proxies`, and only the one the
//! operator names (`server.forwarded_header`), read as bytes so what the proxy appended is
//! always found (invariant 6); client addresses live only as a keyed hash with a per-process
//! random key, IPv6 grouped by /64 (invariant 5); every per-client table, and the set of spent
//! timing tokens, has a fixed number of entries (invariant 7); a timing token is accepted at
//! most once. A unix-socket peer has no address: its forwarded headers count only if
//! `trusted_proxies` holds `"unix"`, and otherwise all its requests share one fixed key.
//! Never: stores or logs an address; lets a client choose its own rate-limit key.

mod addr;
mod connection;
mod rate;
pub mod slots;
#[cfg(test)]
mod tests;
mod tokens;

pub use addr::{ONION_CLIENT, Peer, UNIX_CLIENT, client_addr, client_key};
pub use connection::Connection;
pub use rate::{ClientLimiter, Limited, Limiter};
pub use tokens::{MAX_REDEEMED_TOKENS, TimingTokens, TokenId, TokenProblem};
