//! Test support for the root package's integration tests: every `tests/*.rs` says `mod support;`.
//!
//! - `fixture`: a configured sealpost in a temp folder (the one writer of test configs), and the
//!   router driven without sockets: requests, multipart and urlencoded bodies, timing tokens,
//!   decrypting what landed.
//! - `server`: a real `sealpost serve` process on 127.0.0.1:0 with a tiny blocking HTTP/1.1
//!   client, and the in-process server the staff tests drive.
//! - `tls`: a private CA, leaf certificates, a fixture serving HTTPS, a verifying TLS client.
//! - `staff`: staff identities, the staff API from the client's side, the `sealpost-staff` binary.
//! - `bins`: where `sealpost`, `sealpost-staff` and the outside peers are.
//! - `peers`: Python peers (aiosmtpd, the Prometheus text parser) and an HTTPS webhook receiver.
//!
//! Each test file uses only part of it; what one does not use is not dead code.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod bins;
pub mod fixture;
pub mod peers;
pub mod server;
pub mod staff;
pub mod tls;

// The names most tests use, at the top; a test file that needs none of them is no reason to warn.
#[allow(unused_imports)]
pub use bins::{require_peer, stderr, stdout};
#[allow(unused_imports)]
pub use fixture::*;
