//! `sealpost`: the service. Parses arguments, loads config, starts logging, calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sealpost::Failure;
use sealpost::config::{Config, FieldKind, FieldSpec, FormSpec, Listen};
use sealpost::i18n::{Catalog, Locale};

/// Public forms in, age-sealed submissions on disk.
#[derive(Parser)]
#[command(name = "sealpost", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve {
        /// The TOML configuration file.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Validate everything `serve` would load, print what was found, and exit.
    CheckConfig {
        /// The TOML configuration file.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Show what waits per form, spool use, threads, what expires when, the last notification
    /// per channel and the certificate's expiry; changes nothing.
    Status {
        /// The TOML configuration file.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Send one notification now on every channel of [notify], to check the setup.
    NotifyTest {
        /// The TOML configuration file.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// First run: make a demo folder with a staff identity and serve the default forms.
    Demo {
        /// The demo folder (created if missing, reused if present).
        #[arg(long, value_name = "DIR", default_value = "sealpost-demo")]
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
}

fn main() -> ExitCode {
    // The one TLS crypto provider, before anything could pick another (STACK.md pitfall 8).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { config } => serve(config),
        Command::CheckConfig { config } => check_config(config),
        Command::Demo { dir, listen } => demo(dir, listen),
        Command::Status { config, json } => status(config, json),
        Command::NotifyTest { config } => notify_test(config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("sealpost: {}", failure.message);
            for hint in &failure.hints {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(u8::try_from(failure.code).unwrap_or(1))
        }
    }
}

fn start_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SEALPOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the runtime: {e}")))
}

fn serve(config: PathBuf) -> Result<(), Failure> {
    sealpost::harden_process()?;
    let config = Config::load(&config)?;
    start_logging();
    runtime()?.block_on(sealpost::run(config, |_| {}))
}

fn check_config(path: PathBuf) -> Result<(), Failure> {
    let config = Config::load(&path)?;
    let catalog = sealpost::check(&config)?;
    let server = &config.server;
    println!("{}: ok", path.display());
    match (&server.listen, &server.tls) {
        (Listen::Unix(_), _) => println!("  listen: {}", server.listen),
        (Listen::Tcp(address), None) => println!("  listen: http://{address}"),
        (Listen::Tcp(address), Some(tls)) => {
            println!("  listen: https://{address} (certificate {}, key {})", tls.cert.display(), tls.key.display())
        }
    }
    if let Some(url) = &server.public_url {
        println!("  public_url: {url}");
    }
    if let Some(address) = server.redirect_http {
        println!("  redirect_http: http://{address} → {}", server.public_url.as_deref().unwrap_or("-"));
    }
    if let Some(onion) = &server.onion_listen {
        let staff = if server.onion_staff { "staff api served" } else { "no staff api" };
        println!("  onion_listen: {onion} (global rate limit only, forwarded headers ignored, {staff})");
    }
    if let Some(onion) = &server.onion_location {
        println!("  onion_location: {onion}");
    }
    println!("  data_dir: {}", server.data_dir.display());
    println!("  trusted_proxies: {}", server.trusted_proxies);
    println!("  forwarded_header: {}", server.trusted_proxies.header.name());
    let l = &config.limits;
    println!(
        "  limits: max_body {} B, max_spool {} B, per client {} then 1 per {:?}, global {} then 1 per {:?}",
        l.max_body, l.max_spool, l.per_client.burst, l.per_client.period, l.global.burst, l.global.period
    );
    let keep = l.keep_unpulled.duration().map_or_else(|| "forever".into(), sealpost::status::short_duration);
    println!("  retention: keep_unpulled {keep}");
    if let Some(notify) = &config.notify {
        println!(
            "  notify: {}; counts {}; expiry warnings {} ahead",
            sealpost::status::describe_schedule(&notify.schedule),
            if notify.counts { "on" } else { "off" },
            sealpost::status::short_duration(notify.warn_before)
        );
        if let Some(smtp) = &notify.smtp {
            let security = match smtp.security {
                sealpost::config::SmtpSecurity::ImplicitTls => "TLS",
                sealpost::config::SmtpSecurity::StartTls => "STARTTLS required",
                sealpost::config::SmtpSecurity::Plain => "no TLS, loopback relay",
            };
            let auth = if smtp.username.is_some() { "AUTH" } else { "no AUTH" };
            println!("    smtp: {}:{} ({security}, {auth}) to {} address(es)", smtp.host, smtp.port, smtp.to.len());
        }
        if let Some(hook) = &notify.webhook {
            println!("    webhook: {} (HMAC-SHA256 signed)", hook.url);
        }
    }
    if let Some(ops) = &config.ops {
        println!("  ops: metrics on http://{}/metrics", ops.listen);
    }
    let staff = catalog.get(&config.staff.locale).unwrap_or(catalog.english());
    print_site_preview(&config, &catalog);
    for form in &config.forms {
        println!(
            "  form \"{}\": {} fields, {} recipient(s) from {}",
            form.id,
            form.fields.len(),
            form.recipients.current().len(),
            form.recipients_file.display()
        );
        print_form_preview(form, &catalog, staff);
    }
    Ok(())
}

fn status(path: PathBuf, json: bool) -> Result<(), Failure> {
    // It sends nothing: secrets stay unread (they may be systemd credentials only the service sees).
    let config = Config::load_without_secrets(&path)?;
    let status = sealpost::status::read(&config, std::time::SystemTime::now()).map_err(|e| {
        Failure::runtime(format!(
            "data_dir {}: {}",
            config.server.data_dir.display(),
            sealpost_format::files::io_reason(&e)
        ))
        .hint("run it as the service's user (or root), which can read the data folder")
    })?;
    if json {
        let text = serde_json::to_string_pretty(&status).map_err(|e| Failure::runtime(e.to_string()))?;
        println!("{text}");
    } else {
        print!("{}", sealpost::status::render(&status, &path));
    }
    Ok(())
}

fn notify_test(path: PathBuf) -> Result<(), Failure> {
    let config = Config::load(&path)?;
    let Some(notify) = &config.notify else {
        return Err(Failure::usage(format!("{}: has no [notify] table", path.display())).hint(
            "add [notify] with a schedule and [notify.smtp] or [notify.webhook]; see config/sealpost.example.toml",
        ));
    };
    let sources = std::sync::Arc::new(sealpost::retention::Sources::view(
        &config.server.data_dir,
        config.limits.keep_unpulled,
        config.replies.keep,
    ));
    let notifier = std::sync::Arc::new(sealpost::notifier(&config, notify, sources, Default::default())?);
    let outcomes = runtime()?.block_on(notifier.send_unrecorded(jiff::Timestamp::now(), &[]));
    let mut failed = 0;
    for outcome in &outcomes {
        match &outcome.reason {
            None => println!("{}: sent", outcome.channel),
            Some(reason) => {
                failed += 1;
                println!("{}: FAILED: {reason}", outcome.channel);
            }
        }
    }
    if failed > 0 {
        return Err(Failure::runtime(format!("{failed} of {} channel(s) failed", outcomes.len())).hint(
            "check the URL, the credentials and that this host may reach the server; the service retries with backoff",
        ));
    }
    Ok(())
}

fn demo(dir: PathBuf, listen: Option<String>) -> Result<(), Failure> {
    sealpost::harden_process()?;
    let demo = sealpost::demo::prepare(&dir, listen.as_deref())?;
    let config = Config::load(&demo.config)?;
    let data_dir = config.server.data_dir.clone();
    start_logging();
    runtime()?.block_on(sealpost::run(config, |url| {
        println!("{}", sealpost::demo::instructions(&demo, url, &data_dir, &staff_program()));
    }))
}

/// How to run `sealpost-staff` from here: through cargo when this is a build in a source tree
/// (cargo builds it on demand), by name when it is on PATH, else by its full path.
fn staff_program() -> String {
    let Some(exe) = std::env::current_exe().ok() else { return "sealpost-staff".into() };
    let Some(dir) = exe.parent() else { return "sealpost-staff".into() };
    let in_cargo_target = dir.file_name().is_some_and(|n| n == "debug" || n == "release")
        && dir.parent().and_then(|p| p.file_name()).is_some_and(|n| n == "target");
    if in_cargo_target {
        return "cargo run --bin sealpost-staff --".into();
    }
    let sibling = dir.join("sealpost-staff");
    let on_path = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d == dir));
    if sibling.exists() && !on_path { sibling.display().to_string() } else { "sealpost-staff".into() }
}

/// Who the site belongs to, as every page shows it: the name, logo, emergency line, address and
/// privacy notice, with a warning for each language that shows the operator's English instead.
fn print_site_preview(config: &Config, catalog: &Catalog) {
    let en = catalog.english();
    let text = |id: &str| en.has(id).then(|| en.text(id).replace('\n', " / "));
    println!("  site: \"{}\"", en.text(sealpost::config::SITE_NAME_ID));
    if let Some(logo) = &config.site.logo {
        println!("    logo: {} ({}, {} bytes)", logo.path, logo.media_type, logo.bytes.len());
    }
    if let Some(line) = text(sealpost::config::SITE_EMERGENCY_ID) {
        println!("    emergency line: \"{line}\"");
    }
    if let Some(address) = text(sealpost::config::SITE_ADDRESS_ID) {
        println!("    address: \"{address}\"");
    }
    if let Some(url) = &config.site.privacy_url {
        println!("    privacy notice: {url}");
    }
    print_fallbacks(catalog, &catalog.untranslated_site());
}

/// One warning per language that lacks messages, naming each and where its English is; a
/// language with no catalog of its own gets one short line. Warnings, not errors: a page missing
/// a translation still serves people, in English.
fn print_fallbacks(catalog: &Catalog, untranslated: &[(&str, Vec<String>)]) {
    let absent: Vec<&str> = untranslated
        .iter()
        .filter(|(code, _)| catalog.operator_catalog(code).is_some_and(|file| !file.exists()))
        .map(|(code, _)| *code)
        .collect();
    let absent_ids = absent.first().and_then(|first| untranslated.iter().find(|(code, _)| code == first));
    if let (Some(first), Some((_, ids))) = (absent.first(), absent_ids) {
        let folder = catalog.operator_catalog(first).and_then(|f| f.parent().map(|p| p.display().to_string()));
        println!(
            "    warning: {} has no catalog for {}: their {} text(s) show in English",
            folder.unwrap_or_default(),
            absent.join(", "),
            ids.len()
        );
    }
    for (code, ids) in untranslated.iter().filter(|(code, _)| !absent.contains(code)) {
        let file = catalog.operator_catalog(code).unwrap_or_else(|| format!("src/i18n/{code}.ftl").into());
        let each: Vec<String> = ids
            .iter()
            .map(|id| match catalog.origin(id) {
                Some(o) => format!("no {id} (English at {}:{})", o.file, o.line),
                None => format!("no {id}"),
            })
            .collect();
        println!("    warning: {}: {}; English stands in", file.display(), each.join(", "));
    }
}

/// What people will see of `form`: the languages it is shown in, and each field with its kind,
/// bounds and label (in the staff language), grouped as its fieldsets group them.
fn print_form_preview(form: &FormSpec, catalog: &Catalog, staff: &Locale) {
    let codes: Vec<&str> = catalog.locales().iter().map(|l| l.code).collect();
    let untranslated = catalog.untranslated(form);
    if untranslated.is_empty() {
        println!("    languages: all {} ({})", codes.len(), codes.join(" "));
    } else {
        let complete = codes.len() - untranslated.len();
        println!(
            "    languages: {complete} of {} translate every label; the others show English for some",
            codes.len()
        );
        print_fallbacks(catalog, &untranslated);
    }
    let width = form.fields.iter().map(|f| f.name.len()).max().unwrap_or(0);
    let mut group = None;
    for field in &form.fields {
        if field.fieldset != group {
            group = field.fieldset.clone();
            if let Some(name) = &group {
                let legend = staff.text(&sealpost::i18n::fieldset_id(&form.id, name));
                println!("    [{name}] \"{legend}\"");
            }
        }
        let indent = if group.is_some() { "  " } else { "" };
        let label = staff.text(&sealpost::i18n::field_id(&form.id, &field.name));
        println!("    {indent}{:width$}  {}: \"{label}\"", field.name, describe_field(field));
    }
}

/// A field's kind and bounds in a few words: `text, required, up to 500 characters`.
fn describe_field(field: &FieldSpec) -> String {
    let mut parts = vec![field.kind.as_str().to_string()];
    if field.required {
        parts.push("required".into());
    }
    match field.kind {
        FieldKind::Text | FieldKind::Textarea | FieldKind::Email | FieldKind::Tel => {
            parts.push(format!("up to {} characters", field.max_chars));
        }
        FieldKind::Select | FieldKind::Radio => parts.push(format!("one of {}", field.options.join(", "))),
        FieldKind::Checkboxes => parts.push(format!("any of {}", field.options.join(", "))),
        FieldKind::Number => {
            if let Some((min, max)) = field.range {
                parts.push(format!("a whole number from {min} to {max}"));
            }
        }
        FieldKind::Date => parts.push("year-month-day".into()),
        FieldKind::File => parts.push(format!(
            "up to {} file(s) of {} each",
            field.max_files,
            bytesize::ByteSize(field.max_size).display().iec()
        )),
        FieldKind::Checkbox => {}
    }
    if let Some(pattern) = &field.pattern {
        parts.push(format!("matching {}", pattern.source));
    }
    parts.join(", ")
}
