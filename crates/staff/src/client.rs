//! The HTTPS client to a sealpost server's staff API.
//!
//! Job: [`parse_server_url`] checks `--server`; a `Server` logs in (asks for a challenge per
//! recipient, decrypts it, answers), lists submissions page by page, downloads each file
//! straight to disk while checking its listed size and SHA-256, and acknowledges a submission
//! with its ack secret; every transport failure comes back in our words.
//! Invariant: every wait on the network ends by the pull's deadline, and every response body keeps
//! up [`MIN_TRANSFER_RATE`] (see `pace`); every body read is bounded
//! ([`MAX_JSON_RESPONSE`], the listed size); a login challenge is answered only if it decrypts to
//! exactly [`CHALLENGE_LABEL`] and 32 bytes, so a compromised server cannot use the login to
//! decrypt a submission; request bodies that may hold secrets are built in wiped buffers.
//! Never: follows a redirect; sends a session token over plain http to anything but this machine
//! (nor through a proxy); shows text from the server unneutralised; writes anywhere but the path
//! the caller gives it.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use sealpost_format::envelope::AckSecret;
use sealpost_format::files::{create_private_file, io_reason};
use sealpost_format::wire::{
    AckRequest, CHALLENGE_LABEL, CHALLENGE_SECRET_LEN, ChallengeRequest, ChallengeResponse, ErrorBody, Listed,
    MAX_LISTED, ReplyPosted, SESSION_TTL, SessionRequest, SessionResponse,
};

use crate::error::{StaffError, io_error};
use crate::identities::{AgeProblem, Identities, armored_reader, decrypt_all};
use crate::listing::ListedPlan;
use crate::neutralize::for_terminal;
use crate::pace::{MIN_TRANSFER_RATE, RATE_WINDOW, RateFloor};

/// Largest JSON response read from the server (a listing of 500 submissions is ≈ 1 MiB).
const MAX_JSON_RESPONSE: usize = 16 << 20;
/// Largest armored login challenge accepted.
const MAX_CHALLENGE: usize = 4096;
/// Longest error message from the server that is shown, in characters.
const MAX_SERVER_MESSAGE: usize = 200;
/// Time allowed to open a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed between two reads on a connection.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// A session is renewed when less than this remains of it.
const SESSION_MARGIN: Duration = Duration::from_secs(3 * 60);
/// Buffer between a download and its file.
const DOWNLOAD_BUFFER: usize = 64 * 1024;

/// Checks `--server`: `https://`, or `http://` to this machine only (127.0.0.0/8, ::1,
/// `localhost`, which the client pins to 127.0.0.1). Not to onion services: whether plain
/// http to one stays inside Tor depends on how the client is wrapped (torsocks, proxy variables,
/// the resolver), and a slip sends the session token in clear. Returns the base URL (ending in
/// `/`).
pub fn parse_server_url(text: &str) -> Result<reqwest::Url, StaffError> {
    let shown = for_terminal(text);
    let bad = |reason| StaffError::BadUrl { url: shown.clone(), reason };
    let mut url = reqwest::Url::parse(text.trim()).map_err(|_| bad("not a URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not contain ? or #"));
    }
    let host = url.host_str().ok_or_else(|| bad("has no host"))?.to_string();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&host) => {}
        "http" => {
            return Err(StaffError::PlainHttp { url: shown, host: for_terminal(&host) });
        }
        _ => return Err(bad("must start with https://")),
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// `localhost`, 127.0.0.0/8 or ::1 (an IPv4-mapped address is not accepted: it is not how
/// anyone writes this machine's address, and it is not loopback to every resolver).
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A logged-in session for one recipient.
pub(crate) struct Session {
    recipient: String,
    token: Zeroizing<String>,
    /// When to log in again.
    renew_at: Instant,
}

/// The staff API of one server.
pub(crate) struct Server {
    base: reqwest::Url,
    shown: String,
    client: reqwest::Client,
    /// When the whole pull must be over (`--timeout`); every wait on the network ends by then.
    deadline: tokio::time::Instant,
    /// The `--timeout` behind `deadline`, for the message.
    limit: Duration,
}

impl Server {
    /// The server at `url`, with no deadline until [`Server::deadline_in`] sets one.
    pub(crate) fn new(url: &str, ca_cert: Option<&Path>) -> Result<Server, StaffError> {
        let base = parse_server_url(url)?;
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("sealpost-staff/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .https_only(base.scheme() == "https");
        if base.scheme() == "http" {
            // Plain http goes only to this machine. An HTTP_PROXY or ALL_PROXY variable must not
            // route it, and the bearer token in it, through a proxy in clear. Over https the
            // system's proxy settings stay: a proxy sees a CONNECT and then TLS, which
            // authenticates the server and encrypts the token.
            builder = builder.no_proxy();
        }
        if let Some(path) = ca_cert {
            let shown = path.display().to_string();
            let pem = fs::read(path).map_err(|e| StaffError::CaCert { path: shown.clone(), reason: io_reason(&e) })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|_| StaffError::CaCert { path: shown.clone(), reason: "not a PEM certificate file".into() })?;
            if certs.is_empty() {
                return Err(StaffError::CaCert { path: shown, reason: "holds no certificate".into() });
            }
            builder = builder.tls_certs_only(certs);
        }
        if base.host_str().is_some_and(|h| h.eq_ignore_ascii_case("localhost")) {
            // `localhost` must mean this machine, whatever the resolver says.
            let port = base.port_or_known_default().unwrap_or(443);
            builder = builder.resolve("localhost", SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
        }
        let client =
            builder.build().map_err(|_| StaffError::BadUrl { url: for_terminal(url), reason: "cannot be used" })?;
        let (deadline, limit) = Server::far_deadline();
        Ok(Server { shown: base.as_str().trim_end_matches('/').to_string(), base, client, deadline, limit })
    }

    /// A deadline as good as none: about 34 years from now.
    fn far_deadline() -> (tokio::time::Instant, Duration) {
        let limit = Duration::from_secs(1 << 30);
        let now = tokio::time::Instant::now();
        (now.checked_add(limit).unwrap_or(now), limit)
    }

    /// Every wait on this server from now on ends `timeout` from now (one that does not fit on
    /// the clock counts as none).
    pub(crate) fn deadline_in(&mut self, timeout: Duration) {
        let now = tokio::time::Instant::now();
        (self.deadline, self.limit) = match now.checked_add(timeout) {
            Some(deadline) => (deadline, timeout),
            None => Server::far_deadline(),
        };
    }

    fn timed_out(&self) -> StaffError {
        StaffError::TimedOut { limit: humantime::format_duration(self.limit).to_string() }
    }

    /// The next piece of `response`'s body, or `None` at its end; fails at the pull's deadline
    /// or when the body falls below `floor`'s rate.
    async fn chunk(
        &self,
        response: &mut reqwest::Response,
        floor: &mut RateFloor,
    ) -> Result<Option<bytes::Bytes>, StaffError> {
        // `timeout_at` polls the body before its timer: a body whose pieces are always ready
        // would never notice the deadline, and a fast server could overrun it by a whole body.
        if tokio::time::Instant::now() >= self.deadline {
            return Err(self.timed_out());
        }
        loop {
            let wake = floor.window_end().min(self.deadline.into_std());
            // `chunk` is cancel-safe: a wake-up before a piece arrives loses nothing.
            match tokio::time::timeout_at(wake.into(), response.chunk()).await {
                Ok(piece) => {
                    let piece = piece.map_err(|e| self.transport(e))?;
                    let len = piece.as_ref().map_or(0, |p| p.len() as u64);
                    if piece.is_some() {
                        floor.received(Instant::now(), len).map_err(|()| self.too_slow())?;
                    }
                    return Ok(piece);
                }
                Err(_) if tokio::time::Instant::now() >= self.deadline => return Err(self.timed_out()),
                Err(_) => floor.received(Instant::now(), 0).map_err(|()| self.too_slow())?,
            }
        }
    }

    /// [`answer_challenge`] on a blocking thread, given up at the pull's deadline: a plugin key
    /// (a hardware token) may wait for a touch or a PIN, and on this current-thread runtime a
    /// wait on the runtime's own thread would stop every timer. A thread still waiting when the
    /// deadline passes is left behind; the command does not wait for it when it exits.
    async fn answer(&self, identities: &Arc<Identities>, armored: String) -> Result<Zeroizing<Vec<u8>>, StaffError> {
        let ids = Arc::clone(identities);
        let task = tokio::task::spawn_blocking(move || answer_challenge(&ids, &armored));
        match tokio::time::timeout_at(self.deadline, task).await {
            Ok(answered) => answered.map_err(|_| StaffError::Io {
                path: "the login challenge".into(),
                reason: "the decryption task failed".into(),
            })?,
            Err(_) => Err(self.timed_out()),
        }
    }

    fn too_slow(&self) -> StaffError {
        StaffError::TooSlow {
            server: self.shown.clone(),
            rate: format!("{}/s", bytesize::ByteSize(MIN_TRANSFER_RATE).display().iec()),
            window: humantime::format_duration(RATE_WINDOW).to_string(),
        }
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, StaffError> {
        self.base.join(path).map_err(|_| StaffError::BadUrl { url: self.shown.clone(), reason: "cannot be used" })
    }

    /// A transport failure in our words.
    fn transport(&self, e: reqwest::Error) -> StaffError {
        if is_certificate_error(&e) {
            return StaffError::Tls { server: self.shown.clone() };
        }
        let reason = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "connection failed".to_string()
        } else {
            "the connection broke off".to_string()
        };
        StaffError::Connect { server: self.shown.clone(), reason }
    }

    /// Sends `request` and waits for the response's head, until the pull's deadline at most.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, StaffError> {
        // As in `chunk`: a response that is ready at once would not notice a passed deadline.
        if tokio::time::Instant::now() >= self.deadline {
            return Err(self.timed_out());
        }
        match tokio::time::timeout_at(self.deadline, request.send()).await {
            Ok(response) => response.map_err(|e| self.transport(e)),
            Err(_) => Err(self.timed_out()),
        }
    }

    /// Reads a whole (small) response body.
    async fn body(&self, mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, StaffError> {
        let mut body = Vec::new();
        let mut floor = RateFloor::new(Instant::now(), None);
        while let Some(chunk) = self.chunk(&mut response, &mut floor).await? {
            if body.len() + chunk.len() > max {
                return Err(StaffError::Protocol { what: "an oversized response" });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The error a non-success response stands for.
    async fn refused(&self, what: &'static str, response: reqwest::Response) -> StaffError {
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            return StaffError::RateLimited { retry_after };
        }
        let message = match self.body(response, 4096).await {
            Ok(body) => serde_json::from_slice::<ErrorBody>(&body).map(|b| b.error).unwrap_or_default(),
            Err(_) => String::new(),
        };
        let message: String = for_terminal(&message).chars().take(MAX_SERVER_MESSAGE).collect();
        let message =
            if message.is_empty() { status.canonical_reason().unwrap_or_default().to_lowercase() } else { message };
        StaffError::Refused { what, status: status.as_u16(), message }
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        bad: &'static str,
        response: reqwest::Response,
    ) -> Result<T, StaffError> {
        if !response.status().is_success() {
            return Err(self.refused(what, response).await);
        }
        let body = self.body(response, MAX_JSON_RESPONSE).await?;
        serde_json::from_slice(&body).map_err(|_| StaffError::Protocol { what: bad })
    }

    /// Logs in as `recipient`; `None` if the server does not know it.
    pub(crate) async fn login(
        &self,
        identities: &Arc<Identities>,
        recipient: &str,
    ) -> Result<Option<Session>, StaffError> {
        let request = self
            .client
            .post(self.url("staff/v1/challenge")?)
            .json_body(&ChallengeRequest { recipient: recipient.to_string() });
        let response = self.send(request).await?;
        // 403: not on any list; 400: a recipient type this server cannot encrypt to.
        if matches!(response.status().as_u16(), 400 | 403) {
            return Ok(None);
        }
        let challenge: ChallengeResponse = self.json("the login", "a malformed login challenge", response).await?;
        let secret = self.answer(identities, challenge.challenge).await?;
        let mut answer = SessionRequest {
            challenge_id: challenge.challenge_id,
            response: data_encoding::BASE64.encode(secret.as_ref()),
        };
        let request = self.client.post(self.url("staff/v1/session")?).json_body(&answer);
        answer.response.zeroize();
        let response = self.send(request).await?;
        let session: SessionResponse = self.json("the login", "a malformed session", response).await?;
        Ok(Some(Session {
            recipient: recipient.to_string(),
            token: Zeroizing::new(session.token),
            renew_at: renew_at(Instant::now(), session.expires_in),
        }))
    }

    /// Logs in again if the session is about to expire.
    pub(crate) async fn fresh(&self, identities: &Arc<Identities>, session: &mut Session) -> Result<(), StaffError> {
        if Instant::now() >= session.renew_at {
            match self.login(identities, &session.recipient).await? {
                Some(new) => *session = new,
                None => {
                    return Err(StaffError::NotListed { recipients: vec![session.recipient.clone()] });
                }
            }
        }
        Ok(())
    }

    /// One page of the listing: the submissions after `after` (from the first without it); `None`
    /// if the server no longer lists `after` (acknowledged meanwhile). A server older than
    /// `?after=` ignores it and answers with the first page, which [`pull()`](crate::pull())
    /// notices.
    pub(crate) async fn list(&self, session: &Session, after: Option<&str>) -> Result<Option<Vec<Listed>>, StaffError> {
        let mut url = self.url("staff/v1/submissions")?;
        if let Some(after) = after {
            url.query_pairs_mut().append_pair("after", after);
        }
        let response = self.send(self.client.get(url).bearer_auth(session.token.as_str())).await?;
        if after.is_some() && response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let mut page: Vec<Listed> = self.json("the listing", "a malformed listing", response).await?;
        // The server lists at most this many; a longer listing is cut, and paging fetches the rest.
        page.truncate(MAX_LISTED);
        Ok(Some(page))
    }

    /// Downloads `file` of submission `id` into `path`, checking the listed size and SHA-256.
    pub(crate) async fn download(
        &self,
        session: &Session,
        id: &str,
        file: &ListedPlan,
        path: &Path,
    ) -> Result<(), StaffError> {
        let url = self.url(&format!("staff/v1/submissions/{id}/{}", file.name))?;
        let mut response = self.send(self.client.get(url).bearer_auth(session.token.as_str())).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            // Listed a moment ago, gone now: a colleague pulled and acknowledged it.
            return Err(StaffError::Gone { id: id.to_string() });
        }
        if !response.status().is_success() {
            return Err(self.refused("the download", response).await);
        }
        let mismatch = || StaffError::DownloadMismatch { id: id.to_string(), file: file.name.to_string() };
        if response.content_length().is_some_and(|len| len != file.size) {
            return Err(mismatch());
        }
        let out = create_private_file(path).map_err(io_error(path))?;
        let mut writer = BufWriter::with_capacity(DOWNLOAD_BUFFER, out);
        let mut hasher = Sha256::new();
        let mut received = 0u64;
        let mut floor = RateFloor::new(Instant::now(), Some(file.size));
        while let Some(chunk) = self.chunk(&mut response, &mut floor).await? {
            received += chunk.len() as u64;
            if received > file.size {
                return Err(mismatch());
            }
            hasher.update(&chunk);
            writer.write_all(&chunk).map_err(io_error(path))?;
        }
        writer.flush().map_err(io_error(path))?;
        if received != file.size || data_encoding::HEXLOWER.encode(&hasher.finalize()) != file.sha256 {
            return Err(mismatch());
        }
        Ok(())
    }

    /// Acknowledges receipt with the envelope's ack secret (none for a version 1 envelope); the
    /// server deletes its copy. "Already gone" counts as done.
    pub(crate) async fn ack(
        &self,
        session: &Session,
        id: &str,
        files: &[ListedPlan],
        ack: Option<AckSecret>,
    ) -> Result<(), StaffError> {
        let body = AckRequest { sha256: files.iter().map(|f| (f.name.to_string(), f.sha256.clone())).collect(), ack };
        let url = self.url(&format!("staff/v1/submissions/{id}/ack"))?;
        let response = self.send(self.client.post(url).bearer_auth(session.token.as_str()).json_body(&body)).await?;
        match response.status().as_u16() {
            200..=299 | 404 => Ok(()),
            _ => Err(self.refused("the acknowledgement", response).await),
        }
    }
}

impl Server {
    /// Posts `sealed` (one binary age file) as a reply to conversation `thread`: the reply's
    /// number, or `None` if this session cannot see the conversation (another key may).
    pub(crate) async fn post_reply(
        &self,
        session: &Session,
        thread: &str,
        sealed: Vec<u8>,
    ) -> Result<Option<ReplyPosted>, StaffError> {
        let url = self.url(&format!("staff/v1/threads/{thread}/replies"))?;
        let request = self
            .client
            .post(url)
            .bearer_auth(session.token.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(sealed);
        let response = self.send(request).await?;
        match response.status().as_u16() {
            404 => Ok(None),
            410 => Err(StaffError::ConversationGone { thread: thread.to_string() }),
            _ => self.json("the reply", "a malformed answer to a reply", response).await.map(Some),
        }
    }
}

/// When to renew a session the server said lasts `expires_in` seconds: a little before it ends,
/// believing the server for at most [`SESSION_TTL`] (a hostile one could say `u64::MAX`).
fn renew_at(now: Instant, expires_in: u64) -> Instant {
    let lifetime = Duration::from_secs(expires_in.min(SESSION_TTL.as_secs())).saturating_sub(SESSION_MARGIN);
    now.checked_add(lifetime).unwrap_or(now)
}

/// JSON request bodies without reqwest's `json` feature.
trait JsonBody {
    fn json_body<T: Serialize>(self, value: &T) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    /// The body is [`json_bytes`], handed to reqwest without a copy: the buffer reqwest holds
    /// is the one wiped when it drops the body. The HTTP and TLS layers below may still copy
    /// pieces of it into buffers of their own that nobody wipes (a TLS record is encrypted in
    /// place, but plaintext queued before the handshake is not); that is beyond our reach.
    fn json_body<T: Serialize>(self, value: &T) -> Self {
        self.header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes::Bytes::from_owner(json_bytes(value)))
    }
}

/// `value` as JSON in a buffer wiped on drop, allocated once at its final size (measured by a
/// first pass that writes nowhere), so no smaller buffer that held part of it is freed unwiped
/// as it grows. What it holds may be secret (an ack secret, a challenge answer).
fn json_bytes<T: Serialize>(value: &T) -> Zeroizing<Vec<u8>> {
    /// Counts what would be written.
    struct Measure(usize);
    impl Write for Measure {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut measure = Measure(0);
    if serde_json::to_writer(&mut measure, value).is_err() {
        return Zeroizing::new(Vec::new());
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(measure.0));
    if serde_json::to_writer(&mut *bytes, value).is_err() {
        bytes.clear();
    }
    bytes
}

/// Whether a transport error is a rejected server certificate.
fn is_certificate_error(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return matches!(tls, rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented);
        }
        if let Some(tls) =
            err.downcast_ref::<io::Error>().and_then(|io| io.get_ref()).and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return matches!(tls, rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented);
        }
        if err.to_string().contains("certificate") {
            return true;
        }
        source = err.source();
    }
    false
}

/// Decrypts a login challenge and returns the secret, refusing anything but exactly
/// [`CHALLENGE_LABEL`] followed by 32 bytes.
fn answer_challenge(identities: &Identities, armored: &str) -> Result<Zeroizing<Vec<u8>>, StaffError> {
    let not_a_challenge =
        StaffError::Protocol { what: "a login challenge that is not a sealpost challenge; it was not answered" };
    if armored.len() > MAX_CHALLENGE {
        return Err(not_a_challenge);
    }
    let max = (CHALLENGE_LABEL.len() + CHALLENGE_SECRET_LEN) as u64;
    let plain = match decrypt_all(identities, armored_reader(armored.as_bytes()), max) {
        Ok(plain) => plain,
        Err(AgeProblem::NotForUs) => return Err(StaffError::ChallengeNotForUs),
        Err(AgeProblem::Plugin(message)) => return Err(StaffError::Plugin { message }),
        Err(_) => return Err(not_a_challenge),
    };
    match plain.strip_prefix(CHALLENGE_LABEL) {
        Some(secret) if secret.len() == CHALLENGE_SECRET_LEN => Ok(Zeroizing::new(secret.to_vec())),
        _ => Err(not_a_challenge),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use age::secrecy::ExposeSecret;

    #[test]
    fn server_urls_must_be_https_unless_they_point_at_this_machine() {
        assert_eq!(parse_server_url("https://forms.example.org").unwrap().as_str(), "https://forms.example.org/");
        assert_eq!(parse_server_url("https://example.org/sealpost").unwrap().as_str(), "https://example.org/sealpost/");
        for ok in ["http://127.0.0.1:8080", "http://[::1]:8080/", "http://localhost:8080", "http://127.1.2.3"] {
            assert!(parse_server_url(ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("http://example.org", 2),
            ("http://10.0.0.1:8080", 2),
            ("ftp://example.org", 2),
            ("example.org", 2),
            ("https://user:pw@example.org", 2),
            ("https://example.org/?x=1", 2),
        ] {
            assert_eq!(parse_server_url(bad).unwrap_err().code(), code, "{bad}");
        }
        for refused in [
            "http://2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
            "http://evil.org/.onion",
            "http://localhost.evil.org",
            "http://[::ffff:127.0.0.1]:8080",
            "http://[::2]",
            "http://0.0.0.0:8080",
            "http://128.0.0.1",
        ] {
            let err = parse_server_url(refused).unwrap_err();
            assert!(matches!(err, StaffError::PlainHttp { .. }), "{refused}: {err}");
            assert_eq!(err.code(), 2);
        }
        assert!(parse_server_url("https://2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion").is_ok());
    }

    #[test]
    fn refusing_plain_http_names_the_ways_that_work() {
        let onion =
            parse_server_url("http://2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.ONION").unwrap_err();
        let hints = onion.hints();
        assert_eq!(hints.len(), 1);
        assert!(hints[0].contains("https://") && hints[0].contains("ssh -L"), "{hints:?}");
        let elsewhere = parse_server_url("http://forms.example.org").unwrap_err().hints();
        assert!(!elsewhere[0].contains("onion"), "{elsewhere:?}");
    }

    fn armored_to(recipient: &age::x25519::Recipient, plain: &[u8]) -> String {
        use age::armor::{ArmoredWriter, Format};
        let enc = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient)).unwrap();
        let mut w = enc.wrap_output(ArmoredWriter::wrap_output(Vec::new(), Format::AsciiArmor).unwrap()).unwrap();
        w.write_all(plain).unwrap();
        String::from_utf8(w.finish().unwrap().finish().unwrap()).unwrap()
    }

    #[test]
    fn only_real_challenges_are_answered() {
        let key = age::x25519::Identity::generate();
        let ids = Identities::parse("id", key.to_string().expose_secret()).unwrap();
        let good = [CHALLENGE_LABEL, &[9u8; 32]].concat();
        assert_eq!(answer_challenge(&ids, &armored_to(&key.to_public(), &good)).unwrap().as_slice(), &[9u8; 32]);
        // A submission's 32-byte attachment, replayed as a challenge, is not decrypted for the server.
        for plain in [&[9u8; 32][..], &good[..good.len() - 1], &[good.as_slice(), b"x"].concat()] {
            let err = answer_challenge(&ids, &armored_to(&key.to_public(), plain)).unwrap_err();
            assert!(matches!(err, StaffError::Protocol { .. }), "{err}");
        }
        let other = age::x25519::Identity::generate();
        let err = answer_challenge(&ids, &armored_to(&other.to_public(), &good)).unwrap_err();
        assert!(matches!(err, StaffError::ChallengeNotForUs));
        assert!(matches!(answer_challenge(&ids, "garbage").unwrap_err(), StaffError::Protocol { .. }));
    }

    #[tokio::test]
    async fn a_body_that_is_always_ready_still_stops_at_a_deadline_already_passed() {
        let mut server = Server::new("https://sealpost.example", None).unwrap();
        server.deadline_in(Duration::ZERO);
        let mut response = reqwest::Response::from(http::Response::new(reqwest::Body::from(vec![7u8; 4096])));
        let mut floor = RateFloor::new(Instant::now(), None);
        let result = server.chunk(&mut response, &mut floor).await;
        assert!(matches!(result, Err(StaffError::TimedOut { .. })), "{:?}", result.map(|c| c.map(|b| b.len())));
    }

    /// A key that waits for a release, as a hardware token waits for a touch; gives up after a
    /// while so that a test of a client that waits does not hang for ever.
    struct WaitingKey(std::sync::Mutex<std::sync::mpsc::Receiver<()>>);

    impl age::Identity for WaitingKey {
        fn unwrap_stanza(
            &self,
            _: &age_core::format::Stanza,
        ) -> Option<Result<age_core::format::FileKey, age::DecryptError>> {
            let _ = self.0.lock().unwrap().recv_timeout(Duration::from_secs(10));
            None
        }
    }

    #[tokio::test]
    async fn a_challenge_waiting_for_a_hardware_token_is_given_up_at_the_deadline() {
        let (release, waiting) = std::sync::mpsc::channel();
        let ids = Arc::new(Identities::from_keys(vec![Box::new(WaitingKey(std::sync::Mutex::new(waiting)))]));
        let key = age::x25519::Identity::generate();
        let challenge = armored_to(&key.to_public(), &[CHALLENGE_LABEL, &[9u8; 32]].concat());
        let mut server = Server::new("https://sealpost.example", None).unwrap();
        server.deadline_in(Duration::ZERO);
        let result = server.answer(&ids, challenge).await.map(|_| ());
        release.send(()).unwrap();
        assert!(matches!(result, Err(StaffError::TimedOut { .. })), "{result:?}");
    }

    #[test]
    fn the_ack_body_is_built_in_a_wiped_buffer_that_never_grew() {
        let secret = "ab".repeat(32);
        let body = AckRequest {
            sha256: [("envelope.age".to_string(), "cd".repeat(32)), ("1.age".to_string(), "ef".repeat(32))].into(),
            ack: AckSecret::from_hex(&secret),
        };
        let bytes: Zeroizing<Vec<u8>> = json_bytes(&body);
        // Allocated once at its final size: no smaller buffer holding the secret was freed unwiped.
        assert_eq!(bytes.capacity(), bytes.len());
        let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(parsed["ack"], secret.as_str());
        assert_eq!(parsed["sha256"]["1.age"], "ef".repeat(32).as_str());
    }

    #[test]
    fn a_server_announcing_an_endless_session_is_believed_for_fifteen_minutes_at_most() {
        let now = Instant::now();
        assert_eq!(renew_at(now, u64::MAX), now + SESSION_TTL - SESSION_MARGIN);
        assert_eq!(renew_at(now, SESSION_TTL.as_secs() + 1), now + SESSION_TTL - SESSION_MARGIN);
        assert_eq!(renew_at(now, 600), now + Duration::from_secs(600) - SESSION_MARGIN);
        assert_eq!(renew_at(now, 0), now);
    }
}
