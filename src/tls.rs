//! Direct TLS: the certificate and key from PEM files, swapped in place while the service runs.
//!
//! Job: build the rustls server configuration for `[server.tls]` (TLS 1.2 and 1.3 only, the
//! aws-lc-rs provider's default suites, ALPN `h2` then `http/1.1`) and keep its certificate
//! current: [`Certificate::reload`] on `SIGHUP`, [`Certificate::changed_on_disk`] polled by
//! `run`, so a renewal (certbot, acme.sh) takes effect without a restart.
//! Invariant: every handshake sees one complete certificate and key that were checked to match;
//! a reload that fails leaves the current pair in force. Connections already open are never
//! touched: only new handshakes meet the new certificate.
//! Never: offers TLS 1.0 or 1.1 (rustls has no code for them); logs key material.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use sealpost_format::files::io_reason;

use crate::config;

/// ALPN protocols, most preferred first.
const ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

/// Why a certificate or key could not be used. Rendered after the config's name for it.
#[derive(Debug)]
pub enum TlsError {
    /// A file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate file holds no PEM certificate, or a malformed one.
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key file holds no PEM private key, or one rustls cannot use.
    NoKey {
        /// The file.
        path: PathBuf,
    },
    /// The key is not the key of the first certificate in the chain.
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// rustls refused the configuration (should not happen with the built-in provider).
    Config(String),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Read { path, source } => write!(f, "tls: cannot read {}: {}", path.display(), io_reason(source)),
            TlsError::NoCertificate { path } => write!(f, "tls: {} holds no PEM certificate", path.display()),
            TlsError::NoKey { path } => write!(f, "tls: {} holds no usable PEM private key", path.display()),
            TlsError::Mismatch { cert, key } => {
                write!(f, "tls: the key in {} does not belong to the certificate in {}", key.display(), cert.display())
            }
            TlsError::Config(message) => write!(f, "tls: {message}"),
        }
    }
}

impl std::error::Error for TlsError {}

impl TlsError {
    /// The fix, where one is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            TlsError::Read { .. } => Some(
                "check server.tls.cert and server.tls.key; relative paths are read from the config file's folder, and the service's user must be able to read both".into(),
            ),
            TlsError::NoCertificate { .. } => {
                Some("give the full chain in PEM (-----BEGIN CERTIFICATE-----), leaf first, like certbot's fullchain.pem".into())
            }
            TlsError::NoKey { .. } => {
                Some("give the private key in PEM (PKCS#8, RSA or EC), like certbot's privkey.pem".into())
            }
            TlsError::Mismatch { .. } => {
                Some("the files may be from different renewals; point both at the same certificate's files".into())
            }
            TlsError::Config(_) => None,
        }
    }
}

/// What identifies a file's current contents cheaply: device, inode, size and modification
/// time. A renewal that replaces a file or a symlink's target changes at least one of them.
type Stamp = Option<(u64, u64, u64, SystemTime)>;

fn stamp(path: &Path) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino(), meta.len(), meta.modified().ok()?))
}

/// The certificate in force, swappable while connections are open. rustls asks it for the
/// certificate at every handshake.
pub struct Certificate {
    /// The files, as configured.
    files: config::Tls,
    /// The certificate and key served to new handshakes.
    current: RwLock<Arc<CertifiedKey>>,
    /// The files' stamps when they were last read, to notice changes.
    seen: Mutex<(Stamp, Stamp)>,
    /// The crypto provider keys are loaded with.
    provider: Arc<CryptoProvider>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate").field("cert", &self.files.cert).field("key", &self.files.key).finish()
    }
}

impl Certificate {
    /// Loads the configured files; fails if they are unreadable, malformed or do not match.
    pub fn open(files: &config::Tls) -> Result<Arc<Certificate>, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let seen = (stamp(&files.cert), stamp(&files.key));
        let key = load(files, &provider)?;
        Ok(Arc::new(Certificate {
            files: files.clone(),
            current: RwLock::new(Arc::new(key)),
            seen: Mutex::new(seen),
            provider,
        }))
    }

    /// Reads the files again; on success new handshakes use them, on failure nothing changes.
    pub fn reload(&self) -> Result<(), TlsError> {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = (stamp(&self.files.cert), stamp(&self.files.key));
        let key = load(&self.files, &self.provider)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(key);
        Ok(())
    }

    /// Whether either file changed since it was last read (and remembers the change, so one
    /// change is reported once, whether or not the reload that follows succeeds).
    pub fn changed_on_disk(&self) -> bool {
        let now = (stamp(&self.files.cert), stamp(&self.files.key));
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if *seen == now {
            return false;
        }
        *seen = now;
        true
    }

    /// The DER of the leaf certificate served now (for `check-config` and tests).
    pub fn leaf(&self) -> Option<CertificateDer<'static>> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).cert.first().cloned()
    }

    /// A rustls server configuration that serves this certificate: TLS 1.2 and 1.3, ALPN.
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(PoisonError::into_inner).clone())
    }
}

/// Reads the chain and key and checks that they belong together.
fn load(files: &config::Tls, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let read = |path: &Path| std::fs::read(path).map_err(|source| TlsError::Read { path: path.to_owned(), source });
    let cert_pem = read(&files.cert)?;
    let key_pem = zeroize::Zeroizing::new(read(&files.key)?);
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, pem::Error>>()
        .map_err(|_| TlsError::NoCertificate { path: files.cert.clone() })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: files.cert.clone() });
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::NoKey { path: files.key.clone() })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError::Mismatch { cert: files.cert.clone(), key: files.key.clone() },
        _ => TlsError::NoKey { path: files.key.clone() },
    })
}

/// The notAfter of the first certificate in the PEM file `cert` (the leaf), for `sealpost
/// status`; `None` if it cannot be read or parsed.
pub fn not_after(cert: &std::path::Path) -> Option<std::time::SystemTime> {
    use rustls::pki_types::pem::PemObject;
    use x509_cert::der::Decode;
    let leaf = CertificateDer::pem_file_iter(cert).ok()?.next()?.ok()?;
    let parsed = x509_cert::Certificate::from_der(leaf.as_ref()).ok()?;
    let since_epoch = parsed.tbs_certificate.validity.not_after.to_unix_duration();
    std::time::SystemTime::UNIX_EPOCH.checked_add(since_epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pair {
        dir: tempfile::TempDir,
        files: config::Tls,
    }

    fn leaf(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap().self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn pair(name: &str) -> Pair {
        let dir = tempfile::tempdir().unwrap();
        let files = config::Tls { cert: dir.path().join("cert.pem"), key: dir.path().join("key.pem") };
        let (cert, key) = leaf(name);
        std::fs::write(&files.cert, cert).unwrap();
        std::fs::write(&files.key, key).unwrap();
        Pair { dir, files }
    }

    #[test]
    fn loads_a_matching_certificate_and_key() {
        let p = pair("forms.example.org");
        let cert = Certificate::open(&p.files).unwrap();
        assert!(cert.leaf().is_some());
        let config = cert.server_config().unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert!(!cert.changed_on_disk(), "nothing changed since it was read");
        drop(p.dir);
    }

    #[test]
    fn refuses_a_key_from_another_certificate() {
        let p = pair("a.example.org");
        let (_, other_key) = leaf("b.example.org");
        std::fs::write(&p.files.key, other_key).unwrap();
        let err = Certificate::open(&p.files).unwrap_err();
        assert!(matches!(err, TlsError::Mismatch { .. }), "{err}");
        assert!(err.hint().unwrap().contains("same certificate"));
    }

    #[test]
    fn refuses_files_that_hold_no_pem() {
        let p = pair("a.example.org");
        std::fs::write(&p.files.cert, "not a certificate\n").unwrap();
        assert!(matches!(Certificate::open(&p.files).unwrap_err(), TlsError::NoCertificate { .. }));
        let p = pair("a.example.org");
        std::fs::write(&p.files.key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap();
        assert!(matches!(Certificate::open(&p.files).unwrap_err(), TlsError::NoKey { .. }));
        let p = pair("a.example.org");
        std::fs::remove_file(&p.files.key).unwrap();
        let err = Certificate::open(&p.files).unwrap_err();
        assert_eq!(err.to_string(), format!("tls: cannot read {}: no such file or directory", p.files.key.display()));
    }

    #[test]
    fn a_failed_reload_keeps_the_current_certificate() {
        let p = pair("a.example.org");
        let cert = Certificate::open(&p.files).unwrap();
        let before = cert.leaf().unwrap();
        std::fs::write(&p.files.cert, "garbage").unwrap();
        assert!(cert.changed_on_disk());
        assert!(cert.reload().is_err());
        assert_eq!(cert.leaf().unwrap(), before);
        assert!(!cert.changed_on_disk(), "a change is reported once, even when its reload failed");
    }

    #[test]
    fn a_reload_swaps_in_a_renewed_certificate() {
        let p = pair("a.example.org");
        let cert = Certificate::open(&p.files).unwrap();
        let before = cert.leaf().unwrap();
        let (new_cert, new_key) = leaf("a.example.org");
        std::fs::write(&p.files.cert, new_cert).unwrap();
        std::fs::write(&p.files.key, new_key).unwrap();
        cert.reload().unwrap();
        assert_ne!(cert.leaf().unwrap(), before);
    }
}
