//! Tests of the whole file: what loads, and the message and line of what does not.
use std::time::Duration;

use super::*;

const KEY: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("sealpost.toml"), Path::new("/etc/sealpost"), &mut |p| {
        if p.ends_with("secret.txt") {
            Ok("# staff\nAGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n".into())
        } else if p.ends_with("missing.txt") {
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        } else {
            Ok(format!("# legal team\n{KEY}\n"))
        }
    })
}

fn config(server: &str, form: &str) -> String {
    format!(
        "[server]\n{server}\n[limits]\nmax_body = \"25 MiB\"\nper_client = {{ burst = 5, per_hour = 20 }}\n\
         global = {{ burst = 100, per_minute = 600 }}\nmax_spool = \"10 GiB\"\nmin_fill_time = \"3s\"\n\
         max_fill_time = \"24h\"\nkeep_unpulled = \"30d\"\n{form}"
    )
}

const SERVER: &str = "listen = \"127.0.0.1:8080\"\ndata_dir = \"data\"\ntrusted_proxies = []";
const FORM: &str = "[[form]]\nid = \"contact\"\nrecipients = \"legal.txt\"\nfields = [\n  { name = \"message\", kind = \"textarea\", required = true },\n]\n";

#[test]
fn accepts_a_minimal_config_and_resolves_paths_from_its_folder() {
    let c = parse(&config(SERVER, FORM)).unwrap();
    assert_eq!(c.server.data_dir, Path::new("/etc/sealpost/data"));
    assert_eq!(c.forms[0].recipients_file, Path::new("/etc/sealpost/legal.txt"));
    assert_eq!(c.forms[0].fields[0].max_chars, 20_000);
    assert_eq!(c.limits.max_body, 25 * 1024 * 1024);
    assert_eq!(c.limits.per_client.period, Duration::from_secs(180));
}

#[test]
fn rejects_secret_key_in_recipients_file_naming_the_line() {
    let err = parse(&config(SERVER, &FORM.replace("legal.txt", "secret.txt"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "form \"contact\": recipients file \"/etc/sealpost/secret.txt\" line 2 holds a secret key"
    );
    assert!(err.hint().unwrap().contains("public keys"));
}

#[test]
fn rejects_secret_key_in_the_config_itself() {
    let text = config(SERVER, FORM) + "# AGE-SECRET-KEY-1XYZ\n";
    let err = parse(&text).unwrap_err();
    assert!(matches!(err, ConfigError::SecretInConfig { line: 19, .. }), "{err}");
}

#[test]
fn rejects_plain_http_on_a_public_address_without_a_proxy() {
    let server = SERVER.replace("127.0.0.1", "0.0.0.0");
    let err = parse(&config(&server, FORM)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sealpost.toml:2: server.listen: refusing plain HTTP on non-loopback address 0.0.0.0:8080"
    );
    let behind_proxy = server.replace("[]", "[\"10.0.0.2/32\"]");
    assert!(parse(&config(&behind_proxy, FORM)).is_ok());
    let loopback_only = server.replace("[]", "[\"127.0.0.1/32\"]");
    assert!(parse(&config(&loopback_only, FORM)).is_err(), "a loopback proxy cannot front a public listener");
}

const ONION: &str = "http://pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";

fn server(extra: &str) -> String {
    format!("{SERVER}\n{extra}")
}

#[test]
fn serves_https_on_a_public_address_when_tls_is_configured() {
    let public = SERVER.replace("127.0.0.1", "0.0.0.0");
    let with_tls = format!("{public}\n[server.tls]\ncert = \"tls/fullchain.pem\"\nkey = \"tls/privkey.pem\"");
    let c = parse(&config(&with_tls, FORM)).unwrap();
    let tls = c.server.tls.unwrap();
    assert_eq!(tls.cert, Path::new("/etc/sealpost/tls/fullchain.pem"));
    assert_eq!(tls.key, Path::new("/etc/sealpost/tls/privkey.pem"));
    let err = parse(&config(&public, FORM)).unwrap_err();
    assert!(err.hint().unwrap().contains("[server.tls]"), "the refusal names the TLS way out");
}

#[test]
fn rejects_a_tls_table_without_a_key() {
    let text = server("[server.tls]\ncert = \"fullchain.pem\"");
    let err = parse(&config(&text, FORM)).unwrap_err();
    assert!(err.to_string().contains("missing field `key`"), "{err}");
}

#[test]
fn reads_a_unix_socket_listener_relative_to_the_config() {
    let text = SERVER.replace("\"127.0.0.1:8080\"", "\"unix:/run/sealpost/http.sock\"").replace("[]", "[\"unix\"]");
    let c = parse(&config(&text, FORM)).unwrap();
    assert_eq!(c.server.listen, Listen::Unix(PathBuf::from("/run/sealpost/http.sock")));
    assert_eq!(c.server.listen.to_string(), "unix:/run/sealpost/http.sock");
    assert!(c.server.trusted_proxies.unix && c.server.trusted_proxies.nets.is_empty());
    let relative = text.replace("unix:/run/sealpost/http.sock", "unix:run/http.sock");
    assert_eq!(
        parse(&config(&relative, FORM)).unwrap().server.listen,
        Listen::Unix("/etc/sealpost/run/http.sock".into())
    );
}

#[test]
fn rejects_a_unix_socket_without_the_unix_proxy_entry() {
    let text = SERVER.replace("\"127.0.0.1:8080\"", "\"unix:/run/sealpost/http.sock\"");
    let err = parse(&config(&text, FORM)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sealpost.toml:2: server.listen: unix socket /run/sealpost/http.sock needs \"unix\" in server.trusted_proxies"
    );
    assert!(err.hint().unwrap().contains("share one rate limit"));
}

#[test]
fn rejects_unix_socket_paths_that_are_empty_or_too_long() {
    let long = format!("unix:/{}", "s".repeat(120));
    for listen in ["unix:", long.as_str()] {
        let text = SERVER.replace("127.0.0.1:8080", listen).replace("[]", "[\"unix\"]");
        let err = parse(&config(&text, FORM)).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { line: Some(2), .. }), "{listen}: {err}");
    }
}

#[test]
fn rejects_a_trusted_proxy_that_is_neither_an_address_nor_unix() {
    let text = SERVER.replace("[]", "[\"localhost\"]");
    let err = parse(&config(&text, FORM)).unwrap_err();
    assert!(err.to_string().contains("\"localhost\" is not an address, a CIDR range or \"unix\""), "{err}");
}

#[test]
fn a_redirect_listener_needs_tls_and_a_public_https_url() {
    let tls = "[server.tls]\ncert = \"c.pem\"\nkey = \"k.pem\"";
    let ok = server(&format!("public_url = \"https://Forms.example.org/\"\nredirect_http = \"0.0.0.0:80\"\n{tls}"));
    let c = parse(&config(&ok, FORM)).unwrap();
    assert_eq!(c.server.public_url.as_deref(), Some("https://forms.example.org"));
    assert_eq!(c.server.redirect_http, Some("0.0.0.0:80".parse().unwrap()));

    let without_tls = server("public_url = \"https://forms.example.org\"\nredirect_http = \"0.0.0.0:80\"");
    let err = parse(&config(&without_tls, FORM)).unwrap_err();
    assert!(err.to_string().contains("server.redirect_http needs [server.tls] and server.public_url"), "{err}");
    let without_url = server(&format!("redirect_http = \"0.0.0.0:80\"\n{tls}"));
    assert!(parse(&config(&without_url, FORM)).is_err());
    let same_port = server(&format!("public_url = \"https://a.example\"\nredirect_http = \"127.0.0.1:8080\"\n{tls}"));
    assert!(parse(&config(&same_port, FORM)).unwrap_err().to_string().contains("already server.listen"));
}

#[test]
fn rejects_public_urls_that_are_not_bare_https_origins() {
    for url in [
        "http://forms.example.org",
        "https://forms.example.org/form",
        "https://a@b.example",
        "forms.example.org",
        "https://x.example/?a=1",
        "https://",
    ] {
        let err = parse(&config(&server(&format!("public_url = \"{url}\"")), FORM)).unwrap_err();
        assert!(err.to_string().contains("is not an https origin"), "{url}: {err}");
    }
    let with_port = parse(&config(&server("public_url = \"https://forms.example.org:8443\""), FORM)).unwrap();
    assert_eq!(with_port.server.public_url.as_deref(), Some("https://forms.example.org:8443"));
}

#[test]
fn reads_an_onion_listener_and_onion_location() {
    let text = server(&format!("onion_listen = \"127.0.0.1:8081\"\nonion_location = \"{ONION}/\""));
    let c = parse(&config(&text, FORM)).unwrap();
    assert_eq!(c.server.onion_listen, Some(Listen::Tcp("127.0.0.1:8081".parse().unwrap())));
    assert_eq!(c.server.onion_location.as_deref(), Some(ONION));
    let unix = server("onion_listen = \"unix:/run/sealpost/onion.sock\"");
    assert_eq!(
        parse(&config(&unix, FORM)).unwrap().server.onion_listen,
        Some(Listen::Unix("/run/sealpost/onion.sock".into()))
    );
}

#[test]
fn reads_the_forwarded_header_the_proxy_sets_defaulting_to_x_forwarded_for() {
    let c = parse(&config(&server(""), FORM)).unwrap();
    assert_eq!(c.server.trusted_proxies.header, ForwardedHeader::XForwardedFor);
    for (value, header) in [
        ("x-forwarded-for", ForwardedHeader::XForwardedFor),
        ("forwarded", ForwardedHeader::Forwarded),
        ("x-real-ip", ForwardedHeader::XRealIp),
        ("X-Real-IP", ForwardedHeader::XRealIp),
    ] {
        let c = parse(&config(&server(&format!("forwarded_header = \"{value}\"")), FORM)).unwrap();
        assert_eq!(c.server.trusted_proxies.header, header);
    }
}

#[test]
fn rejects_a_forwarded_header_sealpost_does_not_read() {
    for value in ["true-client-ip", "x-forwarded-for, forwarded", ""] {
        let err = parse(&config(&server(&format!("forwarded_header = \"{value}\"")), FORM)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&format!("server.forwarded_header: \"{value}\" is not a forwarded header")), "{text}");
        assert!(err.hint().unwrap().contains("write the one header your proxy sets"), "{text}");
    }
}

#[test]
fn the_onion_listener_serves_the_staff_api_only_when_asked_and_only_if_it_exists() {
    let c = parse(&config(&server("onion_listen = \"127.0.0.1:8081\""), FORM)).unwrap();
    assert!(!c.server.onion_staff, "off unless the operator opts in");
    let on = parse(&config(&server("onion_listen = \"127.0.0.1:8081\"\nonion_staff = true"), FORM)).unwrap();
    assert!(on.server.onion_staff);
    let err = parse(&config(&server("onion_staff = true"), FORM)).unwrap_err();
    assert!(err.to_string().contains("server.onion_staff needs server.onion_listen"), "{err}");
    assert!(parse(&config(&server("onion_staff = false"), FORM)).is_ok());
}

#[test]
fn rejects_an_onion_listener_that_is_public_or_already_taken() {
    let err = parse(&config(&server("onion_listen = \"0.0.0.0:8081\""), FORM)).unwrap_err();
    assert!(err.to_string().contains("server.onion_listen: refusing non-loopback address 0.0.0.0:8081"), "{err}");
    let err = parse(&config(&server("onion_listen = \"127.0.0.1:8080\""), FORM)).unwrap_err();
    assert!(err.to_string().contains("already in use"), "{err}");
    let staff = format!("[staff]\nlocale = \"en\"\nlisten = \"127.0.0.1:8081\"\n{FORM}");
    let err = parse(&config(&server("onion_listen = \"127.0.0.1:8081\""), &staff)).unwrap_err();
    assert!(err.to_string().contains("staff.listen: 127.0.0.1:8081 is already server.onion_listen"), "{err}");
}

#[test]
fn rejects_an_onion_location_that_is_not_a_v3_onion_origin() {
    let short = "http://abc.onion".to_string();
    let clearnet = "https://forms.example.org".to_string();
    let with_path = format!("{ONION}/contact");
    let upper = ONION.replace("pg6m", "PG6M").replace("http://", "ftp://");
    for url in [short, clearnet, with_path, upper] {
        let err = parse(&config(&server(&format!("onion_location = \"{url}\"")), FORM)).unwrap_err();
        assert!(err.to_string().contains("is not an onion service address"), "{url}: {err}");
    }
}

#[test]
fn reload_keeps_the_old_recipients_when_the_new_file_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("legal.txt");
    std::fs::write(&file, format!("{KEY}\n")).unwrap();
    let text = config(SERVER, &FORM.replace("legal.txt", file.to_str().unwrap()));
    let c = Config::parse(&text, Path::new("sealpost.toml"), dir.path(), &mut |p| std::fs::read_to_string(p)).unwrap();
    let form = &c.forms[0];
    std::fs::write(&file, "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n").unwrap();
    let err = form.reload_recipients().unwrap_err();
    assert!(err.to_string().contains("line 1 holds a secret key"), "{err}");
    assert!(form.recipients.current().contains(KEY), "the old recipients stay in force");
    std::fs::remove_file(&file).unwrap();
    assert!(matches!(form.reload_recipients().unwrap_err(), ConfigError::Read { .. }));
    assert!(form.recipients.current().contains(KEY));
    let other = age::x25519::Identity::generate().to_public().to_string();
    std::fs::write(&file, format!("# rotated\n{other}\n{KEY}\n")).unwrap();
    assert_eq!(form.reload_recipients().unwrap(), 2);
    assert!(form.recipients.current().contains(&other));
}

#[test]
fn reports_unknown_keys_with_their_line() {
    let err = parse(&config(SERVER, &FORM.replace("required", "requierd"))).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("sealpost.toml:17: unknown field `requierd`"), "{text}");
}

#[test]
fn reads_an_optional_separate_staff_listener() {
    assert_eq!(parse(&config(SERVER, FORM)).unwrap().staff.listen, None);
    let staff = format!("[staff]\nlocale = \"en\"\nlisten = \"127.0.0.1:8081\"\n{FORM}");
    let c = parse(&config(SERVER, &staff)).unwrap();
    assert_eq!(c.staff.listen, Some("127.0.0.1:8081".parse().unwrap()));
}

#[test]
fn rejects_a_staff_listener_that_is_malformed_public_or_the_main_one() {
    let with = |listen: &str| format!("[staff]\nlocale = \"en\"\nlisten = \"{listen}\"\n{FORM}");
    let err = parse(&config(SERVER, &with("8081"))).unwrap_err();
    assert_eq!(err.to_string(), "sealpost.toml:15: staff.listen: \"8081\" is not an address with a port");
    let err = parse(&config(SERVER, &with("0.0.0.0:8081"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sealpost.toml:15: staff.listen: refusing plain HTTP on non-loopback address 0.0.0.0:8081"
    );
    assert!(err.hint().unwrap().contains("SSH tunnel"));
    let err = parse(&config(SERVER, &with("127.0.0.1:8080"))).unwrap_err();
    assert!(err.to_string().contains("is already server.listen"), "{err}");
}

#[test]
fn rejects_unreadable_recipients_file_naming_the_form() {
    let err = parse(&config(SERVER, &FORM.replace("legal.txt", "missing.txt"))).unwrap_err();
    assert!(err.to_string().contains("form \"contact\": cannot read recipients file"), "{err}");
}

#[test]
fn quick_exit_defaults_to_a_neutral_site_and_refuses_addresses_that_could_run_script() {
    assert_eq!(parse(&config(SERVER, FORM)).unwrap().pages.quick_exit_url, DEFAULT_QUICK_EXIT_URL);
    let with = |url: &str| config(SERVER, FORM) + &format!("[pages]\nquick_exit_url = '{url}'\n");
    for bad in ["javascript:alert(1)", "/relative", "https://x.org/\" onclick=\"x", "https://a b", ""] {
        let err = parse(&with(bad)).unwrap_err();
        assert!(err.to_string().contains("pages.quick_exit_url"), "{bad}: {err}");
    }
    assert_eq!(parse(&with("https://weather.example/")).unwrap().pages.quick_exit_url, "https://weather.example/");
}

#[test]
fn the_operators_translations_folder_is_read_from_the_config_files_folder_and_is_optional() {
    assert_eq!(parse(&config(SERVER, FORM)).unwrap().pages.translations, None);
    let with = config(SERVER, FORM) + "[pages]\ntranslations = \"translations\"\n";
    let pages = parse(&with).unwrap().pages;
    assert_eq!(pages.translations, Some(Path::new("/etc/sealpost/translations").to_path_buf()));
    assert_eq!(pages.quick_exit_url, DEFAULT_QUICK_EXIT_URL, "[pages] without quick_exit_url keeps the default");
}

#[test]
fn rejects_bad_sizes_durations_and_rates() {
    let bad_size = config(SERVER, FORM).replace("\"25 MiB\"", "\"lots\"");
    assert!(parse(&bad_size).unwrap_err().to_string().contains("\"lots\" is not a size"));
    let bad_time = config(SERVER, FORM).replace("\"3s\"", "\"soon\"");
    assert!(parse(&bad_time).unwrap_err().to_string().contains("\"soon\" is not a duration"));
    let two_rates = config(SERVER, FORM).replace("per_hour = 20", "per_hour = 20, per_minute = 1");
    assert!(parse(&two_rates).unwrap_err().to_string().contains("exactly one of"));
    let zero = config(SERVER, FORM).replace("burst = 5", "burst = 0");
    assert!(parse(&zero).unwrap_err().to_string().contains("burst must be at least 1"));
}

#[test]
fn the_connection_and_upload_bounds_have_defaults_and_refuse_nonsense() {
    let c = parse(&config(SERVER, FORM)).unwrap();
    assert_eq!(c.limits.max_requests_per_client, 8);
    assert_eq!(c.limits.max_connections_per_client, 32);
    assert_eq!(c.limits.min_upload_rate, 512);
    assert_eq!(c.limits.upload_rate_window, Duration::from_secs(30));
    assert_eq!(c.limits.http2_idle_timeout, Duration::from_secs(60));
    let set = |keys: &str| config(SERVER, FORM).replace("[limits]\n", &format!("[limits]\n{keys}\n"));
    let c = parse(&set("min_upload_rate = \"2 KiB\"\nupload_rate_window = \"10s\"")).unwrap();
    assert_eq!((c.limits.min_upload_rate, c.limits.upload_rate_window), (2048, Duration::from_secs(10)));
    for (keys, message) in [
        ("max_requests_per_client = 0", "limits.max_requests_per_client must be at least 1"),
        ("max_connections_per_client = 0", "limits.max_connections_per_client must be at least 1"),
        ("upload_rate_window = \"0s\"", "limits.upload_rate_window must be longer than zero"),
        ("http2_idle_timeout = \"0s\"", "limits.http2_idle_timeout must be longer than zero"),
        (
            "request_timeout = \"1m\"\nupload_rate_window = \"61s\"",
            "limits.upload_rate_window must not be longer than limits.request_timeout",
        ),
        (
            "max_connections = 10\nmax_connections_per_client = 11",
            "limits.max_connections_per_client must not exceed limits.max_connections",
        ),
    ] {
        let err = parse(&set(keys)).unwrap_err().to_string();
        assert!(err.contains(message), "{keys}: {err}");
    }
    let short = parse(&set("request_timeout = \"5s\"")).unwrap();
    assert_eq!(short.limits.upload_rate_window, Duration::from_secs(5), "the default follows a shorter request");
    let err = parse(&set("upload_rate_window = \"100000000000000000s\"")).unwrap_err();
    assert!(err.to_string().contains("limits.upload_rate_window must not be longer than limits.request_timeout"));
    assert!(err.hint().is_some_and(|h| h.contains("30s")), "a huge window is refused with a hint: {err}");
    let small = parse(&set("max_connections = 2")).unwrap();
    assert_eq!(small.limits.max_connections_per_client, 2, "the default follows a smaller max_connections");
}

#[test]
fn rejects_reserved_duplicate_and_malformed_names() {
    for (from, to) in [("\"contact\"", "\"static\""), ("\"contact\"", "\"Contact\""), ("\"message\"", "\"../x\"")] {
        let err = parse(&config(SERVER, &FORM.replace(from, to))).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { .. }), "{from} → {to}: {err}");
    }
    let twice = config(SERVER, &format!("{FORM}{FORM}"));
    assert!(parse(&twice).unwrap_err().to_string().contains("defined twice"));
}

#[test]
fn rejects_inconsistent_field_settings() {
    for field in [
        "{ name = \"a\", kind = \"select\" }",
        "{ name = \"a\", kind = \"file\" }",
        "{ name = \"a\", kind = \"text\", max_size = \"1 MiB\" }",
        "{ name = \"a\", kind = \"checkbox\", max = 3 }",
        "{ name = \"a\", kind = \"text\", max = 0 }",
    ] {
        let form = FORM.replace("{ name = \"message\", kind = \"textarea\", required = true }", field);
        assert!(parse(&config(SERVER, &form)).is_err(), "{field}");
    }
}

/// `FORM` with its one field replaced by `fields`.
fn form_with(fields: &str) -> String {
    config(SERVER, &FORM.replace("{ name = \"message\", kind = \"textarea\", required = true },", fields))
}

#[test]
fn each_field_kind_refuses_keys_that_make_no_sense_for_it_naming_the_line_with_a_hint() {
    for (field, message) in [
        ("{ name = \"a\", kind = \"radio\", options = [\"yes\"] }", "a radio field needs at least two `options`"),
        ("{ name = \"a\", kind = \"checkboxes\" }", "a checkboxes field needs at least two `options`"),
        ("{ name = \"a\", kind = \"radio\", options = [\"x\", \"x\"] }", "option \"x\" is listed twice"),
        (
            "{ name = \"a\", kind = \"date\", options = [\"x\", \"y\"] }",
            "`options` applies only to select, radio and checkboxes, not date",
        ),
        (
            "{ name = \"a\", kind = \"date\", max = 3 }",
            "`max` applies only to text, textarea, email and tel (characters) and number",
        ),
        ("{ name = \"a\", kind = \"number\" }", "a number needs both `min` and `max`"),
        ("{ name = \"a\", kind = \"number\", min = 5, max = 1 }", "`min` (5) is larger than `max` (1)"),
        ("{ name = \"a\", kind = \"number\", min = 0, max = 10000000000000 }", "`min` and `max` must be within"),
        ("{ name = \"a\", kind = \"text\", min = 1 }", "`min` applies only to number fields, not text"),
        (
            "{ name = \"a\", kind = \"textarea\", pattern = \"x\" }",
            "`pattern` applies only to text, tel and email, not textarea",
        ),
        ("{ name = \"a\", kind = \"text\", pattern = \"[a-\" }", "`pattern` is not a valid regular expression"),
        ("{ name = \"a\", kind = \"text\", pattern = \"(a{1000}){1000}\" }", "`pattern` is too complex"),
        ("{ name = \"a\", kind = \"text\", pattern = \"x)|(y\" }", "`pattern` is not a valid regular expression"),
        ("{ name = \"a\", kind = \"text\", max = 100001 }", "`max` must be from 1 to 100000 characters"),
        (
            "{ name = \"a\", kind = \"checkbox\", autocomplete = true }",
            "`autocomplete` applies only to text, email and tel",
        ),
        ("{ name = \"a\", kind = \"text\", fieldset = \"Bad Name\" }", "fieldset \"Bad Name\" is not a valid name"),
    ] {
        let err = parse(&form_with(&format!("\n  {field},"))).unwrap_err();
        assert!(err.to_string().contains(message), "{field}: {err}");
        assert!(err.to_string().starts_with("sealpost.toml:18: form \"contact\": field \"a\": "), "{field}: {err}");
        assert!(err.hint().is_some(), "{field}: no hint");
    }
}

#[test]
fn the_new_kinds_load_with_their_bounds_options_pattern_and_fieldset() {
    let c = parse(&form_with(
        "\n  { name = \"when\", kind = \"date\", fieldset = \"dates\" },\n  \
         { name = \"people\", kind = \"number\", min = 1, max = 20, fieldset = \"dates\" },\n  \
         { name = \"who\", kind = \"checkboxes\", options = [\"me\", \"family\"] },\n  \
         { name = \"case\", kind = \"text\", pattern = \"A?[0-9]{8,9}\" },",
    ))
    .unwrap();
    let fields = &c.forms[0].fields;
    assert_eq!(fields[0].fieldset.as_deref(), Some("dates"));
    assert_eq!(fields[1].range, Some((1, 20)));
    assert_eq!(fields[2].options, ["me", "family"]);
    let pattern = fields[3].pattern.as_ref().unwrap();
    assert!(pattern.matches("A12345678") && pattern.matches("123456789"));
    assert!(!pattern.matches("A1234567") && !pattern.matches("x123456789") && !pattern.matches("1234567890"));
}

#[test]
fn a_field_named_like_another_fields_option_is_refused() {
    let err = parse(&form_with(
        "\n  { name = \"next\", kind = \"radio\", options = [\"type\", \"date\"] },\n  { name = \"next-type\", kind = \"text\" },",
    ))
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "sealpost.toml:19: form \"contact\": field \"next-type\" has the name of field \"next\"'s option \"type\""
        ),
        "{err}"
    );
}

#[test]
fn a_fieldset_is_one_run_of_fields() {
    let err = parse(&form_with(
        "\n  { name = \"a\", kind = \"text\", fieldset = \"one\" },\n  { name = \"b\", kind = \"text\" },\n  \
         { name = \"c\", kind = \"text\", fieldset = \"one\" },",
    ))
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "sealpost.toml:20: form \"contact\": field \"c\": fieldset \"one\" is already closed by the fields above"
        ),
        "{err}"
    );
}

#[test]
fn site_texts_and_privacy_notice_are_checked_and_remember_their_line() {
    let with = |site: &str| config(SERVER, FORM) + "[site]\n" + site;
    let c = parse(&with("name = \" Harbour Legal Clinic \"\naddress = \"\"\"\n4 Quay Street\nPort Town\"\"\"\nprivacy_url = \"https://h.example/privacy\"\n")).unwrap();
    assert_eq!(c.site.texts[0].id, SITE_NAME_ID);
    assert_eq!(c.site.texts[0].text, "Harbour Legal Clinic");
    assert_eq!(c.site.texts[0].defined_at, "sealpost.toml:20");
    assert_eq!(c.site.texts[1].text, "4 Quay Street\nPort Town");
    assert_eq!(c.site.privacy_url.as_deref(), Some("https://h.example/privacy"));
    for (site, message) in [
        ("name = \"\"", "sealpost.toml:20: site.name is empty"),
        ("name = \"a\\nb\"", "site.name spans several lines"),
        ("emergency = \"call\\u0007 now\"", "site.emergency holds a control character"),
        (&format!("address = \"{}\"", "x".repeat(301)), "site.address is longer than 300 characters"),
        (
            "privacy_url = \"javascript:alert(1)\"",
            "site.privacy_url: \"javascript:alert(1)\" is not an absolute http(s) address",
        ),
        ("colour = \"red\"", "unknown field `colour`"),
    ] {
        let err = parse(&with(site)).unwrap_err();
        assert!(err.to_string().contains(message), "{site}: {err}");
    }
}

#[test]
fn a_logo_must_be_a_small_png_or_a_harmless_svg() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    let load = |name: &str| {
        let text = config(SERVER, FORM) + &format!("[site]\nlogo = \"{name}\"\n");
        Config::parse(&text, Path::new("sealpost.toml"), dir.path(), &mut |_| Ok(format!("{KEY}\n")))
    };
    write(
        "logo.svg",
        br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>"#,
    );
    let logo = load("logo.svg").unwrap().site.logo.unwrap();
    assert_eq!((logo.path, logo.media_type), ("/static/logo.svg", "image/svg+xml"));
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend([0u8; 17]);
    write("logo.png", &png);
    assert_eq!(load("logo.png").unwrap().site.logo.unwrap().media_type, "image/png");

    let mut big = png.clone();
    big.resize(MAX_LOGO + 1, 0);
    write("big.png", &big);
    write("photo.jpg", b"\xff\xd8\xff\xe0\0\x10JFIF");
    write("evil.svg", br#"<svg onload="fetch('/')"></svg>"#);
    write("cut.png", b"\x89PNG\r\n\x1a\n");
    for (name, message, hint) in [
        ("big.png", "is larger than the 6144-byte bound for a logo", "export it smaller"),
        ("photo.jpg", "is neither a PNG nor an SVG image", "export the logo as PNG or SVG"),
        ("evil.svg", "contains an event attribute", "plain or optimised SVG"),
        ("cut.png", "is a damaged PNG file", "export the logo again"),
        ("missing.svg", "cannot read it: no such file or directory", "relative paths"),
    ] {
        let err = load(name).unwrap_err();
        assert!(err.to_string().starts_with("sealpost.toml:20: site.logo \""), "{name}: {err}");
        assert!(err.to_string().contains(message), "{name}: {err}");
        assert!(err.hint().is_some_and(|h| h.contains(hint)), "{name}: {:?}", err.hint());
    }
}

// ───────────────────────────── [notify], [ops], keep_unpulled ─────────────────────────────

/// A `[notify]` table after the minimal config, with a webhook secret file written (mode
/// `mode`) in a temp folder; returns the parse result.
fn notify_config(notify: &str, mode: u32, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("webhook-secret");
    std::fs::write(&secret, "0123456789abcdef0123456789abcdef\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(mode)).unwrap();
    std::fs::write(dir.path().join("smtp-password"), "hunter2-but-longer\n").unwrap();
    std::fs::set_permissions(dir.path().join("smtp-password"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let text = format!("{}{notify}\n", config(SERVER, FORM));
    Config::parse_with_env(&text, Path::new("sealpost.toml"), dir.path(), &mut |_| Ok(format!("{KEY}\n")), env)
}

const WEBHOOK: &str =
    "[notify.webhook]\nurl = \"https://hooks.example.org/sealpost\"\nsecret_file = \"webhook-secret\"";
const NO_ENV: &dyn Fn(&str) -> Option<String> = &|_| None;

/// The line of the config (as [`notify_config`] writes it) that holds `needle`.
fn line_holding(notify: &str, needle: &str) -> usize {
    let text = format!("{}{notify}\n", config(SERVER, FORM));
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

fn refused(notify: &str, mode: u32, needle: &str) -> ConfigError {
    let err = notify_config(notify, mode, NO_ENV).unwrap_err();
    let line = line_holding(notify, needle);
    assert!(err.to_string().starts_with(&format!("sealpost.toml:{line}: ")), "expected line {line}: {err}");
    assert!(err.hint().is_some(), "{err} has no hint");
    err
}

#[test]
fn accepts_a_schedule_in_a_time_zone_with_a_signed_webhook_and_smtp_with_a_password_file() {
    let notify = format!(
        "[notify]\ntime_zone = \"Europe/Madrid\"\nat = [\"14:00\", \"09:00\", \"09:00\"]\ncounts = true\n\
         [notify.smtp]\nurl = \"smtp://mail.example.org:587?tls=starttls\"\nusername = \"sealpost\"\n\
         password_file = \"smtp-password\"\nfrom = \"sealpost <sealpost@example.org>\"\nto = [\"intake@example.org\"]\n{WEBHOOK}"
    );
    let c = notify_config(&notify, 0o600, NO_ENV).unwrap();
    let n = c.notify.unwrap();
    assert_eq!(n.schedule.when, When::At(vec![jiff::civil::time(9, 0, 0, 0), jiff::civil::time(14, 0, 0, 0)]));
    assert!(n.counts);
    let smtp = n.smtp.unwrap();
    assert_eq!((smtp.host.as_str(), smtp.port, smtp.security), ("mail.example.org", 587, SmtpSecurity::StartTls));
    assert_eq!(secrecy::ExposeSecret::expose_secret(smtp.password.as_ref().unwrap()), "hunter2-but-longer");
    assert_eq!(c.limits.keep_unpulled, Keep::For(Duration::from_secs(30 * 86_400)));
    assert!(!format!("{:?}", smtp.password).contains("hunter2"), "secrets never print");
}

#[test]
fn refuses_a_schedule_that_does_not_parse_naming_its_line() {
    let notify = format!("[notify]\ntime_zone = \"UTC\"\nat = [\"9am\"]\n{WEBHOOK}");
    let err = refused(&notify, 0o600, "at = ");
    assert!(err.to_string().contains("notify.at: \"9am\" is not a time of day"), "{err}");
    let every = format!("[notify]\ntime_zone = \"UTC\"\nevery = \"5h\"\n{WEBHOOK}");
    let err = refused(&every, 0o600, "every = ");
    assert!(err.to_string().contains("not a whole number of hours that divides a day"), "{err}");
    let both = format!("[notify]\ntime_zone = \"UTC\"\nevery = \"6h\"\nat = [\"09:00\"]\n{WEBHOOK}");
    assert!(notify_config(&both, 0o600, NO_ENV).unwrap_err().to_string().contains("exactly one of at"));
}

#[test]
fn refuses_an_unknown_time_zone_naming_its_line() {
    let notify = format!("[notify]\ntime_zone = \"Europe/Atlantis\"\nat = [\"09:00\"]\n{WEBHOOK}");
    let err = refused(&notify, 0o600, "time_zone");
    assert!(err.to_string().contains("\"Europe/Atlantis\" is not a known time zone"), "{err}");
    assert!(err.hint().unwrap().contains("IANA"));
}

#[test]
fn refuses_smtp_without_tls_to_another_host_but_allows_a_local_relay() {
    let smtp = |url: &str| {
        format!(
            "[notify]\ntime_zone = \"UTC\"\nevery = \"6h\"\n[notify.smtp]\nurl = \"{url}\"\n\
             from = \"s@example.org\"\nto = [\"t@example.org\"]"
        )
    };
    let err = refused(&smtp("smtp://mail.example.org"), 0o600, "url = ");
    assert!(err.to_string().contains("refusing SMTP without TLS to mail.example.org"), "{err}");
    assert!(err.hint().unwrap().contains("smtps://"));
    let local = notify_config(&smtp("smtp://127.0.0.1:2525"), 0o600, NO_ENV).unwrap();
    assert_eq!(local.notify.unwrap().smtp.unwrap().security, SmtpSecurity::Plain);
    let implicit = notify_config(&smtp("smtps://mail.example.org"), 0o600, NO_ENV).unwrap();
    assert_eq!(implicit.notify.unwrap().smtp.unwrap().port, 465);
    let err = refused(&smtp("smtps://user:pw@mail.example.org"), 0o600, "url = ");
    assert!(err.to_string().contains("holds credentials"), "{err}");
    refused(&smtp("https://mail.example.org"), 0o600, "url = ");
}

#[test]
fn refuses_a_webhook_that_is_not_https() {
    let notify = "[notify]\ntime_zone = \"UTC\"\nevery = \"1h\"\n[notify.webhook]\n\
                  url = \"http://hooks.example.org/x\"\nsecret_file = \"webhook-secret\"";
    let err = refused(notify, 0o600, "url = ");
    assert!(err.to_string().contains("is not an https:// URL"), "{err}");
}

#[test]
fn refuses_a_secret_file_others_can_read_naming_its_line() {
    let notify = format!("[notify]\ntime_zone = \"UTC\"\nevery = \"1h\"\n{WEBHOOK}");
    let err = refused(&notify, 0o644, "secret_file");
    assert!(err.to_string().contains("mode 0644 lets others read it"), "{err}");
    assert!(err.hint().unwrap().contains("chmod 600"));
    assert!(notify_config(&notify, 0o400, NO_ENV).is_ok(), "owner read-only is fine");
}

#[test]
fn reads_a_secret_from_the_environment_variable_the_config_names_and_only_that() {
    let notify = "[notify]\ntime_zone = \"UTC\"\nevery = \"1h\"\n[notify.webhook]\n\
                  url = \"https://hooks.example.org/x\"\nsecret_env = \"SEALPOST_WEBHOOK_SECRET\"";
    let asked = std::cell::RefCell::new(Vec::new());
    let env = |name: &str| {
        asked.borrow_mut().push(name.to_string());
        (name == "SEALPOST_WEBHOOK_SECRET").then(|| "f".repeat(40))
    };
    assert!(notify_config(notify, 0o600, &env).is_ok());
    assert_eq!(*asked.borrow(), ["SEALPOST_WEBHOOK_SECRET"]);
    let err = refused(notify, 0o600, "secret_env");
    assert!(err.to_string().contains("SEALPOST_WEBHOOK_SECRET is not set"), "{err}");
    let short = |_: &str| Some("short".to_string());
    assert!(notify_config(notify, 0o600, &short).unwrap_err().to_string().contains("shorter than 32"));
}

#[test]
fn keep_unpulled_is_required_and_forever_is_a_choice() {
    let without = config(SERVER, FORM).replace("keep_unpulled = \"30d\"\n", "");
    let err = parse(&without).unwrap_err();
    assert!(err.to_string().contains("keep_unpulled"), "{err}");
    let forever = config(SERVER, FORM).replace("\"30d\"", "\"forever\"");
    assert_eq!(parse(&forever).unwrap().limits.keep_unpulled, Keep::Forever);
    let err = parse(&config(SERVER, FORM).replace("\"30d\"", "\"2h\"")).unwrap_err();
    assert!(err.to_string().contains("not a duration of at least a day"), "{err}");
    assert_eq!(err.to_string().split(':').nth(1), Some("12"), "{err}");
}

#[test]
fn metrics_stay_on_loopback_unless_the_operator_insists() {
    let ops = |text: &str| parse(&(config(SERVER, FORM) + text));
    let err = ops("[ops]\nlisten = \"0.0.0.0:9101\"\n").unwrap_err();
    assert!(err.to_string().contains("refusing metrics on non-loopback address 0.0.0.0:9101"), "{err}");
    assert!(err.hint().unwrap().contains("allow_non_loopback"));
    assert!(ops("[ops]\nlisten = \"0.0.0.0:9101\"\nallow_non_loopback = true\n").is_ok());
    let err = ops("[ops]\nlisten = \"127.0.0.1:8080\"\n").unwrap_err();
    assert!(err.to_string().contains("is already server.listen"), "{err}");
    assert_eq!(ops("[ops]\nlisten = \"127.0.0.1:9101\"\n").unwrap().ops.unwrap().listen.port(), 9101);
}
