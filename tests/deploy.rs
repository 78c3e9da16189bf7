//! The deployment kit with real parts: nginx (Debian's) running `deploy/nginx/sealpost.conf`
//! in front of the real binary, the systemd unit under `systemd-analyze`, the Caddyfile under
//! `caddy validate`, the torrc under `tor --verify-config`; and the listeners the kit uses: a
//! unix socket, the onion listener, and a process without core dumps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sealpost_format::wire::ChallengeResponse;
use support::server::{self, Server};
use support::tls::{self, Ca};
use support::*;

const ONION: &str = "http://pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn wait_for_port(addr: SocketAddr, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start listening on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Replaces `from` with `to` in `text`, failing if `from` is not there: the shipped file must
/// keep the lines the tests adapt, so what CI runs is what admins install.
fn swap(text: String, from: &str, to: &str) -> String {
    assert!(text.contains(from), "deploy file lost the line {from:?}");
    text.replace(from, to)
}

// ───────────────────────────── nginx ─────────────────────────────

/// nginx in the foreground with a prefix in a temp folder; stopped (with its workers) on drop.
struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    https: SocketAddr,
    http: SocketAddr,
}

impl Nginx {
    /// Runs the shipped site config, adapted only in addresses and paths, in front of `upstream`.
    fn start(nginx: &Path, upstream: &str, ca: &Ca) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        // Workers run as www-data; they need to reach the temp folders.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let (cert, key) = ca.leaf(&["localhost"]).write(dir.path());
        let (https, http) = (server::free_port(), server::free_port());
        let d = dir.path().display().to_string();
        let site = repo_file("deploy/nginx/sealpost.conf");
        let site = swap(site, "server 127.0.0.1:8080;", &format!("server {upstream};"));
        let site = swap(site, "listen 80;", &format!("listen 127.0.0.1:{http};"));
        let site = swap(site, "listen [::]:80;\n", "");
        let site = swap(site, "listen 443 ssl http2;", &format!("listen 127.0.0.1:{https} ssl http2;"));
        let site = swap(site, "listen [::]:443 ssl http2;\n", "");
        let site = swap(site, "/etc/letsencrypt/live/forms.example.org/fullchain.pem", cert.to_str().unwrap());
        let site = swap(site, "/etc/letsencrypt/live/forms.example.org/privkey.pem", key.to_str().unwrap());
        let site = swap(site, "/var/log/nginx/sealpost-error.log", &format!("{d}/site-error.log"));
        let conf = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n{site}\n}}\n"
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let test = Command::new(nginx).arg("-t").arg("-p").arg(dir.path()).arg("-c").arg(&conf_path).output().unwrap();
        assert!(test.status.success(), "nginx -t: {}", String::from_utf8_lossy(&test.stderr));
        let child = Command::new(nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let https = SocketAddr::from(([127, 0, 0, 1], https));
        let http = SocketAddr::from(([127, 0, 0, 1], http));
        let nginx = Nginx { child, dir, https, http };
        wait_for_port(https, "nginx");
        nginx
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT: the master stops its workers and exits (SIGKILL would orphan the workers).
        let _ = Command::new("kill").args(["-QUIT", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange through nginx over TLS, from the local address `source`.
fn through_nginx(nginx: &Nginx, ca: &Ca, source: &str, request: &[u8]) -> server::Reply {
    let config = tls::client_config(std::slice::from_ref(&ca.der), &[&rustls::version::TLS13], &[b"http/1.1"]);
    let source: IpAddr = source.parse().unwrap();
    let mut conn = tls::connect_from(source, nginx.https, "localhost", config).unwrap();
    tls::request(&mut conn, request)
}

/// The shipped nginx config in front of a server that takes one submission per client per hour.
fn behind_nginx() -> Option<(Fixture, Server, Ca, Nginx)> {
    let nginx_bin = require_peer("nginx")?;
    let fx = Fixture::with(ONE_PER_HOUR);
    let srv = Server::start(&fx.config_path);
    let ca = Ca::new("sealpost test CA");
    let nginx = Nginx::start(&nginx_bin, &srv.addr.to_string(), &ca);
    Some((fx, srv, ca, nginx))
}

#[test]
fn through_the_shipped_nginx_config_a_submission_lands_and_each_client_has_its_own_limit() {
    let Some((fx, _srv, ca, nginx)) = behind_nginx() else { return };

    let page = through_nginx(&nginx, &ca, "127.0.0.2", &server::get_request("/asylum-help", ""));
    assert_eq!(page.status, 200, "{}", nginx.error_log());
    assert_eq!(page.header("strict-transport-security").as_deref(), Some("max-age=63072000"));
    assert_eq!(page.header("server").as_deref(), Some("nginx"), "server_tokens off hides the version");
    assert!(page.header("content-security-policy").is_some(), "sealpost's own headers pass through");
    let fresh_token =
        || extract_token(&through_nginx(&nginx, &ca, "127.0.0.2", &server::get_request("/asylum-help", "")).body);
    let token = extract_token(&page.body);

    let document: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    // Each submission comes from a page of its own: a timing token is accepted once.
    let submission = |message: &'static str| {
        let token = fresh_token();
        let mut parts = asylum_parts(&token, message);
        parts.push(Part::File {
            name: "documents",
            file_name: "scan.pdf",
            media_type: "application/pdf",
            bytes: &document,
        });
        server::post_request("/asylum-help", &multipart_type(), &multipart(&parts), "")
    };
    // Client 127.0.0.2: its one submission lands (streamed through nginx, attachment and all).
    let reply = through_nginx(&nginx, &ca, "127.0.0.2", &submission("via nginx"));
    assert_eq!(reply.status, 303, "{}", reply.body);
    let entries = fx.entries("asylum-help");
    assert_eq!(entries.len(), 1);
    let sealed = fx.decrypt(&entries[0].join("1.age"));
    assert_eq!(&sealed[..document.len()], &document[..]);

    // Its second is over its own limit, even when it claims to be someone else: nginx appends
    // the real peer, and sealpost takes the rightmost address that is not a trusted proxy.
    let reply = through_nginx(&nginx, &ca, "127.0.0.2", &submission("again"));
    assert_eq!(reply.status, 429);
    assert!(reply.header("retry-after").is_some());
    let spoofed = {
        let mut parts = asylum_parts(&token, "spoofed");
        parts.truncate(10);
        server::post_request(
            "/asylum-help",
            &multipart_type(),
            &multipart(&parts),
            "X-Forwarded-For: 198.51.100.77\r\n",
        )
    };
    assert_eq!(through_nginx(&nginx, &ca, "127.0.0.2", &spoofed).status, 429, "a forged X-Forwarded-For is no way out");

    // Another client (127.0.0.3) behind the same nginx has its own budget.
    let reply = through_nginx(&nginx, &ca, "127.0.0.3", &submission("another person"));
    assert_eq!(reply.status, 303);
    assert_eq!(fx.entries("asylum-help").len(), 2);

    // Plain HTTP on the proxy only redirects.
    let reply = server::get(nginx.http, "/asylum-help?lang=es", "").unwrap();
    assert_eq!(reply.status, 308);
    assert_eq!(reply.header("location").as_deref(), Some("https://localhost/asylum-help?lang=es"));

    // No access log was written, and nginx's error log holds no client address.
    assert!(!nginx.dir.path().join("access.log").exists());
    let errors = nginx.error_log();
    assert!(!errors.contains("127.0.0.2") && !errors.contains("127.0.0.3"), "{errors}");
}

/// `request` with the raw header bytes `extra` inserted after the request line.
fn with_raw_headers(request: Vec<u8>, extra: &[u8]) -> Vec<u8> {
    let line_end = request.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let mut out = request[..line_end].to_vec();
    out.extend_from_slice(extra);
    out.extend_from_slice(&request[line_end..]);
    out
}

#[test]
fn behind_the_shipped_nginx_a_client_that_sends_a_non_ascii_forwarded_for_and_any_forwarded_is_still_limited() {
    let Some((_fx, _srv, ca, nginx)) = behind_nginx() else { return };
    let get = &server::get_request("/contact", "");

    // nginx appends the real peer (127.0.0.2) to the client's X-Forwarded-For; a byte >= 0x80
    // in the client's part must not make sealpost drop the header and believe `Forwarded`.
    let mut statuses = Vec::new();
    for i in 1..=4 {
        let page = through_nginx(&nginx, &ca, "127.0.0.2", get);
        assert_eq!(page.status, 200, "{}", nginx.error_log());
        let body = server::urlencoded(&contact_pairs(&extract_token(&page.body), "spoofing"));
        let request = server::post_request("/contact", "application/x-www-form-urlencoded", &body, "");
        let spoof = format!("Forwarded: for=198.51.100.{i}\r\nX-Real-IP: 198.51.100.{i}\r\n");
        let mut headers = b"X-Forwarded-For: \xff\r\n".to_vec();
        headers.extend_from_slice(spoof.as_bytes());
        statuses.push(through_nginx(&nginx, &ca, "127.0.0.2", &with_raw_headers(request, &headers)).status);
    }
    assert_eq!(statuses, [303, 429, 429, 429], "one budget for 127.0.0.2, whatever its headers say");

    // The staff login budget too: an unknown recipient is refused (403), then limited.
    let unknown = age::x25519::Identity::generate().to_public().to_string();
    let mut statuses = Vec::new();
    for i in 1..=3 {
        let body = staff::challenge_body(&unknown);
        let request = server::post_request("/staff/v1/challenge", "application/json", body.as_bytes(), "");
        let mut raw = b"X-Forwarded-For: caf\xc3\xa9\r\n".to_vec();
        raw.extend_from_slice(format!("Forwarded: for=198.51.100.{i}\r\n").as_bytes());
        statuses.push(through_nginx(&nginx, &ca, "127.0.0.2", &with_raw_headers(request, &raw)).status);
    }
    assert_eq!(statuses, [403, 429, 429], "the login budget of 127.0.0.2 is one budget too");
}

#[test]
fn the_shipped_nginx_config_keeps_client_max_body_size_just_above_max_body() {
    let site = repo_file("deploy/nginx/sealpost.conf");
    let example = repo_file("config/sealpost.example.toml");
    let caddy = repo_file("deploy/caddy/Caddyfile");
    assert!(example.contains("\nmax_body = \"25 MiB\"\n"), "the example's max_body changed: update the proxies");
    assert!(site.contains("client_max_body_size 27m;"));
    assert!(caddy.contains("max_size 27MB"));
    for needle in
        ["access_log off;", "server_tokens off;", "proxy_request_buffering off;", "$proxy_add_x_forwarded_for"]
    {
        assert!(site.contains(needle), "nginx config lost {needle}");
    }
    assert!(!caddy.lines().any(|l| l.trim_start().starts_with("log")), "the Caddyfile must not turn on access logs");
}

// ───────────────────────────── systemd, Caddy, tor ─────────────────────────────

/// Runs `systemd-analyze verify` and `security --offline=yes` on `unit` (ExecStart pointed at
/// the binary under test, which verify requires to exist); returns the exposure score.
fn analyze_unit(analyze: &Path, unit: String) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let unit = swap(unit, "/usr/local/bin/sealpost serve", &format!("{} serve", bins::sealpost_binary().display()));
    let path = dir.path().join("sealpost.service");
    std::fs::write(&path, unit).unwrap();

    let out = Command::new(analyze).arg("verify").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {stderr}");
    assert!(!stderr.contains("sealpost.service"), "verify warns about the unit: {stderr}");

    let out = Command::new(analyze).args(["security", "--offline=yes"]).arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains("Overall exposure level")).unwrap_or_else(|| panic!("{text}"));
    eprintln!("systemd-analyze security: {}", line.trim_start_matches(['→', ' ']));
    let score: f64 = line.split(": ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(score <= 2.0, "exposure {score} > 2.0:\n{text}");
    score
}

#[test]
fn the_systemd_unit_passes_verify_and_scores_2_or_lower_in_the_security_analysis() {
    let Some(analyze) = require_peer("systemd-analyze") else { return };
    let unit = repo_file("deploy/systemd/sealpost.service");
    let score = analyze_unit(&analyze, unit.clone());
    let readme = repo_file("deploy/README.md");
    assert!(
        readme.contains(&format!("exposure level {score:.1}")),
        "record the measured score ({score:.1}) in deploy/README.md"
    );

    // With the direct-TLS drop-in merged in (later assignments win, as in a real drop-in).
    let dropin = repo_file("deploy/systemd/direct-tls.conf");
    let settings: Vec<&str> = dropin.lines().filter(|l| !l.starts_with('#') && *l != "[Service]").collect();
    let merged = swap(unit, "[Install]", &format!("{}\n\n[Install]", settings.join("\n")));
    let score = analyze_unit(&analyze, merged);
    assert!(
        readme.contains(&format!("with the direct-TLS drop-in, {score:.1}")),
        "record {score:.1} in deploy/README.md"
    );
    // With the notifications drop-in (credentials for the SMTP password and webhook secret).
    let dropin = repo_file("deploy/systemd/notify.conf");
    let settings: Vec<&str> = dropin.lines().filter(|l| !l.starts_with('#') && *l != "[Service]").collect();
    assert!(settings.iter().all(|l| l.starts_with("LoadCredential=")), "{settings:?}");
    analyze_unit(
        &analyze,
        swap(
            repo_file("deploy/systemd/sealpost.service"),
            "[Install]",
            &format!("{}\n\n[Install]", settings.join("\n")),
        ),
    );
    for setting in
        ["LimitCORE=0", "UMask=0077", "CapabilityBoundingSet=\n", "DynamicUser=yes", "MemoryDenyWriteExecute=yes"]
    {
        assert!(repo_file("deploy/systemd/sealpost.service").contains(setting), "{setting}");
    }
}

#[test]
fn the_caddyfile_is_valid_for_caddy() {
    let Some(caddy) = require_peer("caddy") else { return };
    let out = Command::new(caddy)
        .args(["validate", "--adapter", "caddyfile", "--config"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/caddy/Caddyfile"))
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("Valid configuration"), "{text}");
}

#[test]
fn the_torrc_snippet_is_valid_for_tor_and_points_at_the_onion_listener() {
    let Some(tor) = require_peer("tor") else { return };
    let dir = tempfile::tempdir().unwrap();
    let torrc = repo_file("deploy/tor/torrc");
    assert!(torrc.contains("HiddenServicePort 80 127.0.0.1:8081"));
    assert!(torrc.contains("onion_listen = \"127.0.0.1:8081\""), "the snippet names the matching sealpost key");
    let d = dir.path().display();
    let torrc = swap(torrc, "HiddenServiceDir /var/lib/tor/sealpost/", &format!("HiddenServiceDir {d}/hs/"));
    let path = dir.path().join("torrc");
    std::fs::write(&path, format!("{torrc}\nDataDirectory {d}/data\n")).unwrap();
    let out = Command::new(tor).args(["--verify-config", "-f"]).arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("Configuration was valid"), "{text}");
}

// ───────────────────────────── unix socket ─────────────────────────────

fn unix_fixture(socket: &Path) -> Fixture {
    let fx = Fixture::with(Options {
        per_client: "{ burst = 1, per_hour = 1 }",
        trusted_proxies: "[\"unix\"]",
        ..Options::default()
    });
    fx.edit_config(|t| t.replace("listen = \"127.0.0.1:0\"", &format!("listen = \"unix:{}\"", socket.display())));
    fx
}

fn over_unix(socket: &Path, request: &[u8]) -> server::Reply {
    let stream = std::os::unix::net::UnixStream::connect(socket).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    server::exchange(stream, request).unwrap()
}

#[test]
fn a_unix_socket_listener_serves_a_local_proxy_believes_its_forwarded_addresses_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("http.sock");
    // A stale socket from a crashed run: nobody accepts on it, so it is replaced.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());
    let fx = unix_fixture(&socket);
    let srv = Server::start(&fx.config_path);
    assert_eq!(srv.listen, format!("unix:{}", socket.display()));

    let meta = std::fs::symlink_metadata(&socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);

    let health = over_unix(&socket, &server::get_request("/healthz", ""));
    assert_eq!(health.status, 200);
    let page = over_unix(&socket, &server::get_request("/contact", ""));
    assert!(page.body.contains("_token"));
    // Each submission comes from a page of its own: a timing token is accepted once.
    let from = |client: &str| {
        let page = over_unix(&socket, &server::get_request("/contact", ""));
        let body = server::urlencoded(&contact_pairs(&extract_token(&page.body), "over the socket"));
        server::post_request(
            "/contact",
            "application/x-www-form-urlencoded",
            &body,
            &format!("X-Forwarded-For: {client}\r\n"),
        )
    };
    assert_eq!(over_unix(&socket, &from("198.51.100.1")).status, 303);
    assert_eq!(over_unix(&socket, &from("198.51.100.1")).status, 429, "the forwarded client's own limit");
    assert_eq!(over_unix(&socket, &from("198.51.100.2")).status, 303, "another forwarded client");
    assert_eq!(fx.entries("contact").len(), 2);

    // A second server cannot take over a live socket.
    let second = bins::run_sealpost(&["serve", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(second.status.code(), Some(1));
    let err = stderr(&second);
    assert!(err.contains("another process is accepting connections on this socket"), "{err}");

    let status = srv.terminate();
    assert!(status.success());
    assert!(!socket.exists(), "the socket file is removed at shutdown");
}

#[test]
fn a_unix_socket_path_held_by_a_regular_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("http.sock");
    std::fs::write(&socket, "not a socket").unwrap();
    let fx = unix_fixture(&socket);
    let out = bins::run_sealpost(&["serve", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("cannot listen on unix:{}: exists and is not a socket", socket.display())), "{err}");
    assert_eq!(std::fs::read_to_string(&socket).unwrap(), "not a socket");
}

#[test]
fn a_unix_socket_in_a_missing_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("missing/http.sock");
    let fx = unix_fixture(&socket);
    let out = bins::run_sealpost(&["serve", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("no such file or directory") && err.contains("hint: the folder must exist"), "{err}");
}

// ───────────────────────────── onion ─────────────────────────────

#[test]
fn the_onion_listener_spends_only_its_own_global_budget_and_the_clearnet_site_advertises_it() {
    let fx = Fixture::with(Options {
        per_client: "{ burst = 1, per_hour = 1 }",
        global: "{ burst = 4, per_hour = 1 }",
        ..Options::default()
    });
    fx.add_server_settings(&format!("onion_listen = \"127.0.0.1:0\"\nonion_location = \"{ONION}\""), "");
    let srv = Server::start(&fx.config_path);
    let onion = srv.listener("onion");

    let page = server::get(srv.addr, "/contact?lang=en", "").unwrap();
    assert_eq!(page.header("onion-location").as_deref(), Some(format!("{ONION}/contact?lang=en").as_str()));
    let health = server::get(srv.addr, "/healthz", "").unwrap();
    assert_eq!(health.header("onion-location"), None, "only HTML pages advertise the onion address");
    let onion_page = server::get(onion, "/contact?lang=en", "").unwrap();
    assert_eq!(onion_page.status, 200);
    assert_eq!(onion_page.header("onion-location"), None, "the onion site does not advertise itself");

    assert!(onion_page.body.contains("_token"));
    // Each submission comes from a page of its own: a timing token is accepted once.
    let post = |addr| server::submit_contact(addr, "from tor");
    // Every onion visitor arrives from the tor daemon (here 127.0.0.1): a per-client limit
    // would let only one of them through. On the onion listener only the global budget counts.
    assert_eq!(post(srv.addr), 303, "clearnet client 127.0.0.1 spends its one per-client unit");
    assert_eq!(post(srv.addr), 429, "and is then limited");
    for _ in 0..4 {
        assert_eq!(post(onion), 303, "onion visitors are not limited as one client");
    }
    assert_eq!(post(onion), 429, "the onion listener's own global budget (4) is spent");
    assert_eq!(fx.entries("contact").len(), 5);
}

/// Submits one fresh page of the contact form at `addr`; returns the status.
fn submit_once(addr: SocketAddr) -> u16 {
    server::submit_contact(addr, "budget")
}

#[test]
fn a_flood_on_the_onion_listener_spends_only_the_onion_budget_and_a_clearnet_one_only_the_clearnet_budget() {
    let options = || Options {
        per_client: "{ burst = 100, per_hour = 1 }",
        global: "{ burst = 2, per_hour = 1 }",
        ..Options::default()
    };
    // An anonymous tor client drains what it can: clearnet submitters still get through.
    let fx = Fixture::with(options());
    let (srv, onion) = onion_server(&fx, "");
    assert_eq!((submit_once(onion), submit_once(onion)), (303, 303));
    assert_eq!(submit_once(onion), 429, "the onion budget (2) is spent");
    assert_eq!(submit_once(srv.addr), 303, "a clearnet submission does not pay for the onion flood");
    drop(srv);
    // And the other way round.
    let fx = Fixture::with(options());
    let (srv, onion) = onion_server(&fx, "");
    assert_eq!((submit_once(srv.addr), submit_once(srv.addr)), (303, 303));
    assert_eq!(submit_once(srv.addr), 429, "the clearnet budget (2) is spent");
    assert_eq!(submit_once(onion), 303, "an onion submission does not pay for the clearnet flood");
}

/// A server with an onion listener, one login (and submission) per client per hour, and
/// `extra` server keys; returns it with the onion listener's address.
fn onion_server(fx: &Fixture, extra: &str) -> (Server, SocketAddr) {
    fx.add_server_settings(&format!("onion_listen = \"127.0.0.1:0\"\n{extra}"), "");
    let srv = Server::start(&fx.config_path);
    let onion = srv.listener("onion");
    (srv, onion)
}

fn challenge(addr: SocketAddr, recipient: &str, extra: &str) -> u16 {
    let body = staff::challenge_body(recipient);
    server::post(addr, "/staff/v1/challenge", "application/json", body.as_bytes(), extra).unwrap().status
}

/// One submission (and one refused login) per client per hour.
const ONE_PER_HOUR: Options = Options { per_client: "{ burst = 1, per_hour = 1 }", ..Options::DEFAULT };

#[test]
fn the_onion_listener_serves_no_staff_api_unless_the_operator_opts_in() {
    let fx = Fixture::with(ONE_PER_HOUR);
    let (_srv, onion) = onion_server(&fx, "");
    let staff = fx.identity.to_public().to_string();
    assert_eq!(challenge(onion, &staff, ""), 404);
    let listing = server::get(onion, "/staff/v1/submissions", "Authorization: Bearer x\r\n").unwrap();
    assert_eq!(listing.status, 404);
    assert!(listing.body.contains("<html"), "the public site's own not-found page");
    assert_eq!(server::get(onion, "/contact", "").unwrap().status, 200, "the public site is served");
}

#[test]
fn on_the_onion_listener_a_spoofed_x_forwarded_for_buys_no_fresh_login_budget() {
    let fx = Fixture::with(ONE_PER_HOUR);
    let (_srv, onion) = onion_server(&fx, "onion_staff = true");
    let unknown = age::x25519::Identity::generate().to_public().to_string();
    let statuses: Vec<u16> =
        (1..=3).map(|i| challenge(onion, &unknown, &format!("X-Forwarded-For: 198.51.100.{i}\r\n"))).collect();
    assert_eq!(statuses, [403, 429, 429], "every onion visitor is one client, whatever it forwards");
}

#[test]
fn exhausting_the_login_budget_on_the_onion_listener_leaves_loopback_staff_logins_working() {
    let fx = Fixture::with(ONE_PER_HOUR);
    let (srv, onion) = onion_server(&fx, "onion_staff = true");
    let staff = fx.identity.to_public().to_string();
    let unknown = age::x25519::Identity::generate().to_public().to_string();
    assert_eq!(challenge(onion, &staff, ""), 200);
    assert_eq!(challenge(onion, &staff, ""), 200, "an issued challenge spends no budget");
    assert_eq!(challenge(onion, &unknown, ""), 403);
    assert_eq!(challenge(onion, &unknown, ""), 429, "and the onion budget for refusals");
    // Staff on an SSH tunnel arrive from 127.0.0.1 too, but on the main listener.
    assert_eq!(challenge(srv.addr, &staff, ""), 200, "loopback staff keep their own budget");
    assert_eq!(challenge(srv.addr, &unknown, ""), 403);
}

/// Asks for a challenge for `identity` over `addr` and answers it, correctly or with zeros;
/// returns the status of the answer.
fn log_in(addr: SocketAddr, identity: &age::x25519::Identity, correctly: bool) -> u16 {
    let body = staff::challenge_body(&identity.to_public().to_string());
    let reply = server::post(addr, "/staff/v1/challenge", "application/json", body.as_bytes(), "").unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let challenge: ChallengeResponse = serde_json::from_str(&reply.body).unwrap();
    let secret = if correctly { staff::decrypt_challenge(identity, &challenge.challenge) } else { vec![0; 32] };
    let answer = staff::session_body(&challenge.challenge_id, &secret);
    server::post(addr, "/staff/v1/session", "application/json", answer.as_bytes(), "").unwrap().status
}

#[test]
fn on_the_onion_listener_a_flood_of_challenges_and_wrong_answers_naming_a_staff_key_does_not_lock_its_owner_out() {
    let fx = Fixture::with(ONE_PER_HOUR);
    let (_srv, onion) = onion_server(&fx, "onion_staff = true");
    // Every onion visitor is one client, and the attacker knows the staff member's public key.
    let staff = fx.identity.to_public().to_string();
    for _ in 0..20 {
        assert_eq!(challenge(onion, &staff, ""), 200, "an issued challenge spends no budget");
    }
    let wrong: Vec<u16> = (0..4).map(|_| log_in(onion, &fx.identity, false)).collect();
    assert_eq!(wrong, [403, 429, 429, 429], "wrong answers spend the budget of (onion, that key)");
    assert_eq!(log_in(onion, &fx.identity, true), 200, "its owner still logs in");
}

// ───────────────────────────── no core dumps ─────────────────────────────

/// The owner of `/proc/<pid>/status`: the process's user while it is dumpable, root once it
/// is not (the kernel's task_dump_owner).
fn proc_owner(pid: u32) -> u32 {
    std::fs::metadata(format!("/proc/{pid}/status")).unwrap().uid()
}

fn proc_field(pid: u32, file: &str, prefix: &str) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap();
    text.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("{file}: {text}")).to_string()
}

#[test]
fn the_server_disables_core_dumps_and_makes_itself_non_dumpable() {
    let Some(_) = require_peer("prlimit") else { return };
    let Some(_) = require_peer("setpriv") else { return };
    let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    let fx = Fixture::new();
    // Run as an unprivileged user (when we are root), from a copy of the binary it can read, so
    // that the owner of /proc/<pid>/status tells dumpable (that user) from non-dumpable (root) apart; and
    // start with core dumps allowed, so only the server itself can have turned them off.
    let binary: PathBuf = fx.dir.path().join("sealpost");
    std::fs::copy(bins::sealpost_binary(), &binary).unwrap();
    let nobody = "65534";
    let mut wrapper = vec!["prlimit", "--core=unlimited", "--"];
    if root {
        let chown = Command::new("chown").args(["-R", &format!("{nobody}:{nobody}")]).arg(fx.dir.path()).status();
        assert!(chown.unwrap().success());
        wrapper.extend(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
    }

    // Control: the same wrapper around a program that changes nothing leaves it dumpable.
    let mut control = Command::new(wrapper[0]).args(&wrapper[1..]).args(["sleep", "30"]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let control_owner = proc_owner(control.id());
    let control_core = proc_field(control.id(), "limits", "Max core file size");
    let _ = control.kill();
    let _ = control.wait();
    if root {
        assert_eq!(control_owner, 65534, "a dumpable process owns its /proc files");
    }
    assert!(!control_core.contains(" 0 "), "the wrapper allows core dumps: {control_core}");

    let srv = Server::start_binary(&binary, &wrapper, &fx.config_path);
    let pid = srv.child.id();
    assert_eq!(server::get(srv.addr, "/healthz", "").unwrap().status, 200);
    let core = proc_field(pid, "limits", "Max core file size");
    assert_eq!(core.split_whitespace().collect::<Vec<_>>(), ["Max", "core", "file", "size", "0", "0", "bytes"]);
    if root {
        assert!(proc_field(pid, "status", "Uid:").contains("65534"), "the server runs as the unprivileged user");
    }
    assert_eq!(proc_owner(pid), 0, "a non-dumpable process's /proc files belong to root");
}
