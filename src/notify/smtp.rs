//! The mail channel: one plain-text message per tick over SMTP with implicit TLS or required
//! STARTTLS (plain SMTP only to a relay on this host), with AUTH when configured.

use std::time::{Duration, SystemTime};

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{Smtp, SmtpSecurity};

use super::message::{Message, SUBJECT};
use super::{Failure, Retry};

/// The name sent in EHLO: the same from every server, so a mail provider learns nothing about
/// the host from it.
const HELLO_NAME: &str = "localhost";

/// A configured mail channel, ready to send.
pub struct MailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
    to: Vec<lettre::message::Mailbox>,
}

impl MailChannel {
    /// Builds the transport: TLS parameters (the system's roots, or only `ca_file`), the port,
    /// AUTH, and a per-attempt `timeout`.
    pub fn new(smtp: &Smtp, timeout: Duration) -> Result<MailChannel, String> {
        let tls = || -> Result<TlsParameters, String> {
            let mut builder = TlsParameters::builder(smtp.host.clone());
            if let Some(ca) = &smtp.ca_file {
                let pem = std::fs::read(ca).map_err(|e| {
                    format!("notify.smtp.ca_file {}: {}", ca.display(), sealpost_format::files::io_reason(&e))
                })?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|_| format!("notify.smtp.ca_file {}: not a PEM certificate", ca.display()))?;
                builder = builder.certificate_store(CertificateStore::None).add_root_certificate(cert);
            }
            builder.build_rustls().map_err(|e| format!("notify.smtp: TLS setup failed: {e}"))
        };
        let security = match smtp.security {
            SmtpSecurity::ImplicitTls => Tls::Wrapper(tls()?),
            SmtpSecurity::StartTls => Tls::Required(tls()?),
            SmtpSecurity::Plain => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
            .port(smtp.port)
            .tls(security)
            .hello_name(ClientId::Domain(HELLO_NAME.into()))
            .timeout(Some(timeout));
        if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose_secret().to_string()));
        }
        Ok(MailChannel { transport: builder.build(), from: smtp.from.clone(), to: smtp.to.clone() })
    }

    /// Sends `message` once.
    pub async fn send(&self, message: &Message) -> Result<(), Failure> {
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .subject(SUBJECT)
            .date(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(message.at.as_second()).unwrap_or(0)))
            .message_id(None)
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let mail =
            builder.body(message.text.clone()).map_err(|_| Failure::permanent("the message could not be built"))?;
        self.transport.send(mail).await.map(|_| ()).map_err(|e| classify(&e))
    }
}

/// A content-free reason: what kind of failure, and whether trying again can help.
fn classify(e: &lettre::transport::smtp::Error) -> Failure {
    let code = e.status().map(|c| c.to_string());
    if e.is_permanent() {
        let reason = match code {
            Some(code) if code.starts_with("53") => "authentication refused".to_string(),
            Some(code) => format!("refused by the server ({code})"),
            None => "refused by the server".to_string(),
        };
        Failure { reason, retry: Retry::No }
    } else if e.is_transient() {
        Failure::transient(format!("deferred by the server ({})", code.unwrap_or_default()))
    } else if e.is_timeout() {
        Failure::transient("timed out".into())
    } else if e.is_tls() {
        Failure::transient("TLS failed (certificate or STARTTLS)".into())
    } else {
        Failure::transient("could not connect or the connection failed".into())
    }
}
