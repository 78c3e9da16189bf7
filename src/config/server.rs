//! `[server]`: listeners (TCP, unix socket, onion, redirect), trusted proxies and the one
//! forwarded header they set, TLS files and the public origin. Plain HTTP is refused on a
//! non-loopback address unless TLS or a trusted proxy on another host is declared.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;
use toml::Spanned;

use super::errors::{ConfigError, line_of};

/// Longest unix socket path the kernel accepts (`sun_path` is 108 bytes with its NUL).
const MAX_SOCKET_PATH: usize = 107;
/// The `trusted_proxies` entry that names the local proxy on a unix-socket listener.
const UNIX_PROXY: &str = "unix";

/// `[server]`
#[derive(Debug)]
pub struct Server {
    /// Where the public site is served: HTTP, or HTTPS when [`Server::tls`] is set.
    pub listen: Listen,
    /// Root of everything sealpost writes (the spool and the timing-token key).
    pub data_dir: PathBuf,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed (invariant 6).
    pub trusted_proxies: TrustedProxies,
    /// `[server.tls]`: terminate TLS on `listen` with these PEM files instead of at a proxy.
    pub tls: Option<Tls>,
    /// The site's public origin (`https://host[:port]`, no trailing slash): where
    /// `redirect_http` sends browsers.
    pub public_url: Option<String>,
    /// A plain-HTTP listener that answers every request with a 308 to `public_url`.
    pub redirect_http: Option<SocketAddr>,
    /// A listener for the local tor daemon: every onion visitor arrives from it, so requests
    /// here spend only the global budget, never a per-client one.
    pub onion_listen: Option<Listen>,
    /// The onion service's origin (`http://….onion`), sent as `Onion-Location` on the clearnet
    /// site's pages so Tor Browser offers the onion address.
    pub onion_location: Option<String>,
    /// Whether the onion listener serves the staff API too (`server.onion_staff`, default
    /// false). Off, `/staff/v1` there is a 404: onion visitors cannot be told apart, so a login
    /// budget on that listener is one budget for everyone on Tor, and staff are better served
    /// on loopback (an SSH tunnel) or `staff.listen`.
    pub onion_staff: bool,
}

/// Where a listener is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// A TCP address and port.
    Tcp(SocketAddr),
    /// A unix socket path (`unix:/run/sealpost/http.sock`), for a proxy on the same host.
    Unix(PathBuf),
}

impl Listen {
    /// Whether two listeners would take the same address. Port 0 asks the system for a free
    /// port, so it never clashes.
    pub fn clashes(&self, other: &Listen) -> bool {
        match (self, other) {
            (Listen::Tcp(a), Listen::Tcp(b)) => a == b && a.port() != 0,
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::Tcp(address) => write!(f, "{address}"),
            Listen::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// `server.trusted_proxies` and `server.forwarded_header`: who may tell us the client's
/// address, and in which header (invariant 6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    /// Address ranges of proxies that connect over TCP.
    pub nets: Vec<IpNet>,
    /// Whether the process connecting through the unix socket is a proxy (the entry `"unix"`).
    pub unix: bool,
    /// The one header the proxies set; the others are never read, since the client wrote them.
    pub header: ForwardedHeader,
}

impl TrustedProxies {
    /// Whether no proxy at all is trusted.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && !self.unix
    }

    /// Whether `ip` is in one of the trusted ranges.
    pub fn contains(&self, ip: &std::net::IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(ip))
    }
}

/// `server.forwarded_header`: the header the trusted proxy sets to name the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (the default): a list the proxy appends the client's address to, as
    /// nginx's `$proxy_add_x_forwarded_for` and Caddy do.
    #[default]
    XForwardedFor,
    /// `Forwarded` (RFC 7239): a list of elements whose `for=` the proxy appends.
    Forwarded,
    /// `X-Real-IP`: one address the proxy sets, replacing whatever the client sent.
    XRealIp,
}

impl ForwardedHeader {
    /// The header's name, lower case, as the config writes it.
    pub fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
            ForwardedHeader::XRealIp => "x-real-ip",
        }
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries: Vec<String> = self.nets.iter().map(ToString::to_string).collect();
        if self.unix {
            entries.push(UNIX_PROXY.into());
        }
        if entries.is_empty() { f.write_str("none") } else { f.write_str(&entries.join(", ")) }
    }
}

/// `[server.tls]`: the certificate chain and key, as PEM files (reloaded on `SIGHUP` and when
/// they change on disk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// The certificate chain, leaf first (e.g. certbot's `fullchain.pem`).
    pub cert: PathBuf,
    /// The private key of the leaf certificate (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// `[server]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub listen: Spanned<String>,
    pub data_dir: PathBuf,
    pub trusted_proxies: Vec<Spanned<String>>,
    pub tls: Option<RawTls>,
    pub public_url: Option<Spanned<String>>,
    pub redirect_http: Option<Spanned<String>>,
    pub onion_listen: Option<Spanned<String>>,
    pub onion_location: Option<Spanned<String>>,
    pub onion_staff: Option<Spanned<bool>>,
    pub forwarded_header: Option<Spanned<String>>,
}

/// `[server.tls]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// `[server]`, validated: listeners, proxies, TLS, redirect and onion settings.
pub(super) fn parse_server(raw: RawServer, text: &str, path: &Path, base: &Path) -> Result<Server, ConfigError> {
    let invalid = |span: std::ops::Range<usize>, message: String, hint: &str| ConfigError::Invalid {
        path: path.to_owned(),
        line: Some(line_of(text, span.start)),
        message,
        hint: Some(hint.to_string()),
    };
    let listen_span = raw.listen.span();
    let listen = parse_listen(raw.listen.get_ref(), "server.listen", base)
        .map_err(|(message, hint)| invalid(listen_span.clone(), message, hint))?;
    let mut trusted_proxies = TrustedProxies::default();
    for entry in &raw.trusted_proxies {
        if entry.get_ref() == UNIX_PROXY {
            trusted_proxies.unix = true;
            continue;
        }
        let net = parse_net(entry.get_ref()).ok_or_else(|| {
            invalid(
                entry.span(),
                format!("server.trusted_proxies: \"{}\" is not an address, a CIDR range or \"unix\"", entry.get_ref()),
                "write addresses like \"127.0.0.1/32\" or \"::1/128\"; \"unix\" names the proxy on a unix-socket listener",
            )
        })?;
        trusted_proxies.nets.push(net);
    }
    if let Some(header) = &raw.forwarded_header {
        let choices = [ForwardedHeader::XForwardedFor, ForwardedHeader::Forwarded, ForwardedHeader::XRealIp];
        trusted_proxies.header = choices.into_iter().find(|h| h.name().eq_ignore_ascii_case(header.get_ref().trim())).ok_or_else(|| {
            invalid(
                header.span(),
                format!("server.forwarded_header: \"{}\" is not a forwarded header sealpost reads", header.get_ref()),
                "write the one header your proxy sets: \"x-forwarded-for\" (nginx's $proxy_add_x_forwarded_for, Caddy), \"forwarded\" or \"x-real-ip\"",
            )
        })?;
    }
    let tls = raw.tls.map(|t| Tls { cert: base.join(t.cert), key: base.join(t.key) });
    match &listen {
        Listen::Tcp(address) => {
            // A proxy in front of a non-loopback listener runs on another host, so a loopback
            // entry in trusted_proxies does not count as one.
            let remote_proxy = trusted_proxies.nets.iter().any(|net| !net.addr().is_loopback());
            if !address.ip().is_loopback() && !remote_proxy && tls.is_none() {
                return Err(invalid(
                    listen_span,
                    format!("server.listen: refusing plain HTTP on non-loopback address {address}"),
                    "listen on 127.0.0.1 behind a reverse proxy that terminates TLS, or add [server.tls] with cert and key to serve HTTPS here; if the proxy runs on another host, list its address in server.trusted_proxies",
                ));
            }
        }
        Listen::Unix(socket) => {
            if !trusted_proxies.unix {
                return Err(invalid(
                    listen_span,
                    format!("server.listen: unix socket {} needs \"unix\" in server.trusted_proxies", socket.display()),
                    "only a local proxy connects to the socket; add \"unix\" to server.trusted_proxies so the client address it forwards (X-Forwarded-For) is believed; without it every visitor would share one rate limit",
                ));
            }
        }
    }

    let public_url = match &raw.public_url {
        None => None,
        Some(url) => Some(parse_origin(url.get_ref(), &["https"]).ok_or_else(|| {
            invalid(
                url.span(),
                format!("server.public_url: \"{}\" is not an https origin", url.get_ref()),
                "write the address people type, like \"https://forms.example.org\" (no path)",
            )
        })?),
    };
    let redirect_http = match &raw.redirect_http {
        None => None,
        Some(spanned) => {
            let span = spanned.span();
            let address = parse_tcp(spanned.get_ref(), "server.redirect_http")
                .map_err(|(message, hint)| invalid(span.clone(), message, hint))?;
            if tls.is_none() || public_url.is_none() {
                return Err(invalid(
                    span,
                    "server.redirect_http needs [server.tls] and server.public_url".into(),
                    "the redirect sends browsers to public_url, which this server must serve over TLS; when a proxy terminates TLS, let the proxy redirect instead",
                ));
            }
            if listen.clashes(&Listen::Tcp(address)) {
                return Err(invalid(
                    span,
                    format!("server.redirect_http: {address} is already server.listen"),
                    "choose another port, usually 80",
                ));
            }
            Some(address)
        }
    };
    let onion_listen = match &raw.onion_listen {
        None => None,
        Some(spanned) => {
            let span = spanned.span();
            let onion = parse_listen(spanned.get_ref(), "server.onion_listen", base)
                .map_err(|(message, hint)| invalid(span.clone(), message, hint))?;
            if onion.clashes(&listen) || redirect_http.is_some_and(|r| onion.clashes(&Listen::Tcp(r))) {
                return Err(invalid(
                    span,
                    format!("server.onion_listen: {onion} is already in use by another listener"),
                    "give the tor daemon its own port, like \"127.0.0.1:8081\"",
                ));
            }
            if let Listen::Tcp(address) = onion
                && !address.ip().is_loopback()
            {
                return Err(invalid(
                    span,
                    format!("server.onion_listen: refusing non-loopback address {address}"),
                    "the tor daemon runs on this host: listen on 127.0.0.1 (or a unix socket) and point HiddenServicePort there",
                ));
            }
            Some(onion)
        }
    };
    let onion_location = match &raw.onion_location {
        None => None,
        Some(url) => {
            Some(parse_origin(url.get_ref(), &["http", "https"]).filter(|o| is_onion_origin(o)).ok_or_else(|| {
                invalid(
                    url.span(),
                    format!("server.onion_location: \"{}\" is not an onion service address", url.get_ref()),
                    "write it like \"http://<56 letters and digits>.onion\", as in the tor hostname file (no path)",
                )
            })?)
        }
    };
    let onion_staff = raw.onion_staff.as_ref().is_some_and(|v| *v.get_ref());
    if let Some(flag) = raw.onion_staff.as_ref().filter(|_| onion_staff && onion_listen.is_none()) {
        return Err(invalid(
            flag.span(),
            "server.onion_staff needs server.onion_listen".into(),
            "set onion_listen to the address the torrc's HiddenServicePort points at, or leave onion_staff out",
        ));
    }
    Ok(Server {
        listen,
        data_dir: base.join(&raw.data_dir),
        trusted_proxies,
        tls,
        public_url,
        redirect_http,
        onion_listen,
        onion_location,
        onion_staff,
    })
}

/// A listener: `unix:PATH` (relative to the config's folder) or an address with a port.
fn parse_listen(s: &str, key: &str, base: &Path) -> Result<Listen, (String, &'static str)> {
    let Some(socket) = s.strip_prefix("unix:") else {
        return parse_tcp(s, key).map(Listen::Tcp);
    };
    if socket.is_empty() {
        return Err((format!("{key}: \"{s}\" names no socket path"), "write it like \"unix:/run/sealpost/http.sock\""));
    }
    let path = base.join(socket);
    if path.as_os_str().len() > MAX_SOCKET_PATH {
        return Err((
            format!("{key}: socket path {} is longer than {MAX_SOCKET_PATH} bytes", path.display()),
            "choose a shorter path, like \"unix:/run/sealpost/http.sock\"",
        ));
    }
    Ok(Listen::Unix(path))
}

/// An address with a port.
pub(super) fn parse_tcp(s: &str, key: &str) -> Result<SocketAddr, (String, &'static str)> {
    s.parse().map_err(|_| {
        (format!("{key}: \"{s}\" is not an address with a port"), "write it like \"127.0.0.1:8080\" or \"[::1]:8080\"")
    })
}

/// `scheme://host[:port]` with one of `schemes`, optionally with a trailing `/`; returned
/// without the slash. Anything else (a path, a query, user info) is refused.
fn parse_origin(s: &str, schemes: &[&str]) -> Option<String> {
    let uri: http::Uri = s.parse().ok()?;
    let scheme = uri.scheme_str()?;
    let authority = uri.authority()?;
    let bare = uri.path_and_query().is_none_or(|pq| pq.as_str() == "/");
    if !schemes.contains(&scheme) || authority.as_str().contains('@') || authority.host().is_empty() {
        return None;
    }
    if !bare || s.contains('#') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.as_str().to_ascii_lowercase()))
}

/// Whether `origin` (from [`parse_origin`]) names a v3 onion service: 56 base32 characters.
fn is_onion_origin(origin: &str) -> bool {
    let host = origin.split("://").nth(1).unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    host.strip_suffix(".onion").is_some_and(|name| {
        name.len() == 56 && name.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
    })
}

fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>().ok().or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}
