//! `sealpost-staff`: the staff client. Parses arguments and calls [`sealpost_staff`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use sealpost_staff::{self as staff, StaffError, Summary, for_terminal};

/// Pull, verify and decrypt sealpost submissions on a staff machine.
#[derive(Parser)]
#[command(name = "sealpost-staff", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Download, verify and decrypt every new submission, save it under OUT/<id>/, then
    /// acknowledge it so the server deletes its copy.
    Pull {
        /// The server, like https://forms.example.org (plain http only to this machine:
        /// 127.0.0.1, ::1, localhost).
        #[arg(long, value_name = "URL")]
        server: String,
        /// Your age identity file (it may hold several keys, plugin keys, or be passphrase-protected).
        #[arg(long, value_name = "FILE")]
        identity: PathBuf,
        /// The folder to save submissions in (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Trust only this CA certificate (PEM) for the server, for self-signed setups.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// Stop the whole pull after this long, like 30m or 3h; what was saved by then is kept
        /// and the next pull goes on from there. A transfer slower than 8 KiB/s for 30 s stops
        /// it sooner. Waits on the server and on a hardware key's touch end by then; decrypting
        /// a submission already downloaded is finished first, so that can run a little past it.
        #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = humantime::parse_duration)]
        timeout: Duration,
        /// Print one JSON summary on stdout instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Decrypt submission folders copied from the server by other means (rsync, backup).
    Open {
        /// A submission folder (envelope.age, 1.age, …), or a folder of them.
        path: PathBuf,
        /// Your age identity file.
        #[arg(long, value_name = "FILE")]
        identity: PathBuf,
        /// The folder to save submissions in.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
        /// Print one JSON summary on stdout instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Send a reply to the person behind a saved submission: sealed here to the conversation's
    /// key, so the server stores only ciphertext; the person reads it with their receipt.
    Reply {
        /// The submission's folder, as `pull` saved it: OUT/<id>.
        folder: PathBuf,
        /// The server, like https://forms.example.org.
        #[arg(long, value_name = "URL")]
        server: String,
        /// Your age identity file.
        #[arg(long, value_name = "FILE")]
        identity: PathBuf,
        /// The message, from this file, or - for standard input.
        #[arg(long, value_name = "FILE", default_value = "-")]
        message: PathBuf,
        /// A document to send with it (repeat for several, at most 5).
        #[arg(long, value_name = "FILE")]
        attach: Vec<PathBuf>,
        /// Trust only this CA certificate (PEM) for the server, for self-signed setups.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// Give up after this long, like 5m.
        #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
        timeout: Duration,
        /// Print one JSON object on stdout instead of a line.
        #[arg(long)]
        json: bool,
    },
    /// Make a new identity file (0600) and print its public key, for a recipients file.
    Keygen {
        /// Write the identity here (never overwriting) instead of to stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    // One TLS crypto provider, chosen before anything could pick another.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Pull { server, identity, out, ca_cert, timeout, json } => {
            pull(staff::PullOptions { server, identity, out, ca_cert, ack: true, timeout }, json)
        }
        Command::Open { path, identity, out, json } => staff::open(&path, &identity, &out)
            .and_then(|summary| report(&summary, json, |n| StaffError::OpenFailures { count: n })),
        Command::Reply { folder, server, identity, message, attach, ca_cert, timeout, json } => {
            reply(staff::ReplyOptions { server, identity, folder, message, attach, ca_cert, timeout }, json)
        }
        Command::Keygen { output } => keygen(output),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            print_error(&e.to_string(), &e.hints());
            ExitCode::from(e.code())
        }
    }
}

fn print_error(message: &str, hints: &[String]) {
    eprintln!("sealpost-staff: {}", for_terminal(message));
    for hint in hints {
        eprintln!("hint: {}", for_terminal(hint));
    }
}

fn pull(options: staff::PullOptions, json: bool) -> Result<(), StaffError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StaffError::Io { path: "runtime".into(), reason: e.to_string() })?;
    let show_bar = !json && std::io::stdout().is_terminal();
    let result = if show_bar {
        runtime.block_on(staff::pull(&options, &mut staff::Bar::new()))
    } else {
        runtime.block_on(staff::pull(&options, &mut staff::Quiet))
    };
    // A login answer given up at the deadline may still wait for a hardware key's touch on a
    // blocking thread; dropping the runtime would wait for it, so the pull would not end.
    runtime.shutdown_background();
    let mut summary = result?;
    let reported = report(&summary, json, |n| StaffError::Failures { count: n });
    // Why the pull ended early, if it did: out of time, rate or space, or of listings.
    let stopped = summary
        .stopped
        .take()
        .or_else(|| summary.unfinished.then_some(StaffError::Unfinished { rounds: staff::MAX_LISTING_ROUNDS }));
    match (reported, stopped) {
        (reported, None) => reported,
        (Ok(()), Some(stopped)) => Err(stopped),
        (Err(failures), Some(stopped)) => {
            print_error(&stopped.to_string(), &stopped.hints());
            Err(failures)
        }
    }
}

/// Prints the summary (lines on a terminal, JSON with `--json`, nothing otherwise) and each
/// failure on stderr; fails if any submission failed.
fn report(summary: &Summary, json: bool, failures: impl Fn(usize) -> StaffError) -> Result<(), StaffError> {
    if json {
        println!("{}", serde_json::to_string(summary).unwrap_or_default());
    } else if std::io::stdout().is_terminal() {
        for line in summary.lines() {
            println!("{}", for_terminal(&line));
        }
    }
    for (message, hints) in summary.failures() {
        print_error(&message, &hints);
    }
    if summary.failed > 0 { Err(failures(summary.failed)) } else { Ok(()) }
}

fn reply(options: staff::ReplyOptions, json: bool) -> Result<(), StaffError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StaffError::Io { path: "runtime".into(), reason: e.to_string() })?;
    let result = runtime.block_on(staff::reply(&options));
    runtime.shutdown_background();
    let replied = result?;
    if json {
        println!("{}", serde_json::to_string(&replied).unwrap_or_default());
    } else {
        println!(
            "reply {} sent to the conversation of {}; a copy is in {}; the conversation ends on {} unless someone acts",
            replied.number,
            replied.id,
            for_terminal(&replied.copy),
            for_terminal(&replied.expires)
        );
    }
    Ok(())
}

fn keygen(output: Option<PathBuf>) -> Result<(), StaffError> {
    match output {
        Some(path) => {
            let public = staff::keygen_to_file(&path)?;
            println!("{public}");
            if std::io::stderr().is_terminal() {
                eprintln!("hint: add this public key to the recipients file of each form you should read");
            }
        }
        None => {
            let identity = staff::generate_identity();
            print!("{}", identity.text.as_str());
            eprintln!("Public key: {}", identity.public);
        }
    }
    Ok(())
}
