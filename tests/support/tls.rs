//! A private CA with leaf certificates (CA:FALSE, with SANs: webpki refuses a self-signed CA as
//! a server certificate, STACK.md pitfall 7), a fixture serving one, and a blocking TLS client
//! that verifies them.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::fixture::Fixture;
use super::server::{Reply, parse, tcp_from};

/// A test certificate authority.
pub struct Ca {
    key: rcgen::KeyPair,
    params: rcgen::CertificateParams,
    pub pem: String,
    pub der: CertificateDer<'static>,
}

/// A leaf certificate and its key, as PEM, and the leaf's DER for comparisons.
pub struct Leaf {
    pub chain_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let cert = params.self_signed(&key).unwrap();
        Ca { pem: cert.pem(), der: cert.der().clone(), key, params }
    }

    /// A leaf for `names` (DNS names or IP addresses), signed by this CA.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        params.distinguished_name.push(rcgen::DnType::CommonName, names[0]);
        let cert = params.signed_by(&key, &rcgen::Issuer::from_params(&self.params, &self.key)).unwrap();
        Leaf { chain_pem: format!("{}{}", cert.pem(), self.pem), key_pem: key.serialize_pem(), der: cert.der().clone() }
    }

    pub fn write_pem(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.pem).unwrap();
        path
    }
}

impl Leaf {
    /// Writes `cert.pem` and `key.pem` into `dir` (replacing them) and returns their paths.
    pub fn write(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        // Replace by rename, as certbot and acme.sh do, so the server never reads half a file.
        for (path, text) in [(&cert, &self.chain_pem), (&key, &self.key_pem)] {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, text).unwrap();
            std::fs::rename(&tmp, path).unwrap();
        }
        (cert, key)
    }

    /// A server configuration presenting this leaf, as a TLS terminator in front of a test server.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).unwrap();
        Arc::new(
            rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(vec![self.der.clone()], key)
                .unwrap(),
        )
    }
}

impl Fixture {
    /// Serves HTTPS with a leaf for localhost and 127.0.0.1 from `ca` (`cert.pem` and `key.pem`
    /// in the fixture's folder), adding `keys` to `[server]`.
    pub fn use_tls(&self, ca: &Ca, keys: &str) {
        ca.leaf(&["localhost", "127.0.0.1"]).write(self.dir.path());
        self.add_server_settings(keys, "[server.tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"");
    }
}

/// A client configuration that trusts `roots` only, speaks `versions`, and offers `alpn`.
pub fn client_config(
    roots: &[CertificateDer<'static>],
    versions: &[&'static rustls::SupportedProtocolVersion],
    alpn: &[&[u8]],
) -> Arc<rustls::ClientConfig> {
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store.add(root.clone()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// An open, verified TLS connection.
pub type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// Connects to `addr` as `name` and completes the handshake (certificate verified).
pub fn connect(addr: SocketAddr, name: &str, config: Arc<rustls::ClientConfig>) -> Result<Tls, rustls::Error> {
    let server_name = ServerName::try_from(name.to_string()).unwrap();
    let connection = rustls::ClientConnection::new(config, server_name)?;
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    while tls.conn.is_handshaking() {
        match tls.conn.complete_io(&mut tls.sock) {
            Ok(_) => {}
            Err(e) => {
                return Err(e
                    .into_inner()
                    .and_then(|inner| inner.downcast::<rustls::Error>().ok())
                    .map(|b| *b)
                    .unwrap_or(rustls::Error::General("handshake i/o failed".into())));
            }
        }
    }
    Ok(tls)
}

/// The leaf certificate the server presented.
pub fn peer_leaf(tls: &Tls) -> CertificateDer<'static> {
    tls.conn.peer_certificates().unwrap()[0].clone()
}

/// Sends a keep-alive GET and reads exactly one response (by Content-Length).
pub fn get_keep_alive(tls: &mut Tls, path: &str) -> Reply {
    tls.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes()).unwrap();
    tls.flush().unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = tls.read(&mut byte).unwrap();
        assert_eq!(n, 1, "connection closed in the response head");
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
        .expect("content-length");
    let mut body = vec![0u8; length];
    tls.read_exact(&mut body).unwrap();
    buf.extend_from_slice(&body);
    parse(&buf).unwrap()
}

/// Sends a request with `Connection: close` and reads the whole response.
pub fn request(tls: &mut Tls, request: &[u8]) -> Reply {
    tls.write_all(request).unwrap();
    tls.flush().unwrap();
    let mut out = Vec::new();
    // A peer that closes without close_notify ends the read with an error; what came is enough.
    let _ = tls.read_to_end(&mut out);
    parse(&out).unwrap()
}

/// Like [`connect`], but from the local address `source` (any of 127.0.0.0/8 on Linux), so a
/// proxy in front sees a distinct client.
pub fn connect_from(
    source: std::net::IpAddr,
    addr: SocketAddr,
    name: &str,
    config: Arc<rustls::ClientConfig>,
) -> Result<Tls, rustls::Error> {
    let tcp = tcp_from(source, addr, Duration::from_secs(20));
    let server_name = ServerName::try_from(name.to_string()).unwrap();
    let mut tls = rustls::StreamOwned::new(rustls::ClientConnection::new(config, server_name)?, tcp);
    while tls.conn.is_handshaking() {
        if tls.conn.complete_io(&mut tls.sock).is_err() {
            return Err(rustls::Error::General("handshake failed".into()));
        }
    }
    Ok(tls)
}
