//! The webhook channel: one JSON body per tick, POSTed over HTTPS with an HMAC-SHA256 signature
//! header, so the receiver can tell the message came from this server and was not changed.
//!
//! ```text
//! POST /path HTTP/1.1
//! Content-Type: application/json
//! X-Sealpost-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//!
//! {"sealpost":1,"at":"2026-12-07T08:00:00Z","text":"Activity: …","pad":"   …"}
//! ```

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::config::Webhook;

use super::message::{Message, webhook_body};
use super::{Failure, Retry};

/// The signature header: `sha256=` and the hex HMAC-SHA256 of the body under the shared secret.
pub const SIGNATURE_HEADER: &str = "x-sealpost-signature";

/// Most bytes of a receiver's answer read (then dropped): only its status matters.
const MAX_ANSWER: usize = 16 * 1024;

/// A configured webhook, ready to send.
pub struct WebhookChannel {
    url: http::Uri,
    host: String,
    port: u16,
    secret: SecretString,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
}

impl WebhookChannel {
    /// Builds the TLS client: the system's roots, or only `ca_file`'s certificates.
    pub fn new(webhook: &Webhook, timeout: Duration) -> Result<WebhookChannel, String> {
        let mut roots = rustls::RootCertStore::empty();
        match &webhook.ca_file {
            Some(ca) => {
                let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
                    .and_then(|certs| certs.collect())
                    .map_err(|_| format!("notify.webhook.ca_file {}: not readable PEM certificates", ca.display()))?;
                roots.add_parsable_certificates(certs);
            }
            None => {
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            }
        }
        if roots.is_empty() {
            return Err(
                "notify.webhook: no trusted CA certificate found (install ca-certificates, or set ca_file)".into()
            );
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("notify.webhook: TLS setup failed: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let authority = webhook.url.authority().ok_or("notify.webhook.url names no host")?;
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_string();
        Ok(WebhookChannel {
            url: webhook.url.clone(),
            port: authority.port_u16().unwrap_or(443),
            host,
            secret: webhook.secret.clone(),
            tls: Arc::new(tls),
            timeout,
        })
    }

    /// Sends `message` once.
    pub async fn send(&self, message: &Message) -> Result<(), Failure> {
        let body = webhook_body(message);
        let signature = sign(self.secret.expose_secret().as_bytes(), &body);
        match tokio::time::timeout(self.timeout, self.post(body, signature)).await {
            Ok(result) => result,
            Err(_) => Err(Failure::transient("timed out".into())),
        }
    }

    async fn post(&self, body: Vec<u8>, signature: String) -> Result<(), Failure> {
        let connect = |_| Failure::transient("could not connect".into());
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await.map_err(connect)?;
        let name =
            ServerName::try_from(self.host.clone()).map_err(|_| Failure::permanent("the host is not a valid name"))?;
        let stream = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|_| Failure::transient("TLS failed (certificate or handshake)".into()))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| Failure::transient("the HTTP connection failed".into()))?;
        let driver = tokio::spawn(connection);
        let path = self.url.path_and_query().map_or("/", |p| p.as_str());
        let authority = self.url.authority().map_or(self.host.clone(), |a| a.as_str().to_string());
        let request = http::Request::post(path)
            .header(HOST, authority)
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_LENGTH, body.len())
            .header(USER_AGENT, "sealpost")
            .header(SIGNATURE_HEADER, signature)
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| Failure::permanent("the request could not be built"))?;
        let result = match sender.send_request(request).await {
            Ok(response) => {
                let status = response.status();
                // Read a little of the answer so the connection ends cleanly; its content is ignored.
                let _ = http_body_util::Limited::new(response.into_body(), MAX_ANSWER).collect().await;
                if status.is_success() {
                    Ok(())
                } else {
                    let retry = status.is_server_error()
                        || status == http::StatusCode::TOO_MANY_REQUESTS
                        || status == http::StatusCode::REQUEST_TIMEOUT;
                    Err(Failure {
                        reason: format!("the receiver answered {}", status.as_u16()),
                        retry: if retry { Retry::Yes } else { Retry::No },
                    })
                }
            }
            Err(_) => Err(Failure::transient("the HTTP exchange failed".into())),
        };
        driver.abort();
        result
    }
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // invariant: HMAC accepts keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_with_hmac_sha256_as_rfc_4231_test_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
