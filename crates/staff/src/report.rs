//! What a run reports: progress while it runs, a [`Summary`] when it ends.
//!
//! Job: [`Progress`] is where a pull says how far it got ([`Bar`] on a terminal, [`Quiet`]
//! otherwise); a [`Summary`] counts what was saved, already saved, failed or gone, with one
//! [`Outcome`] per submission, as lines for a terminal or as JSON for `--json`.
//! Invariant: every text in a summary's lines and JSON that came from outside (folder names,
//! forms, error messages and hints) has passed `for_terminal`, so neither can drive a terminal.
//! Never: prints (the binary decides where lines and JSON go); holds plaintext or secrets.

use serde::Serialize;

use crate::error::StaffError;
use crate::neutralize::for_terminal;
use crate::unseal::Saved;

/// Where progress goes: a bar on a terminal, nothing otherwise.
pub trait Progress {
    /// `total` submissions are known so far.
    fn total(&mut self, total: u64);
    /// One more is done (saved, or failed).
    fn advance(&mut self);
    /// All done.
    fn finish(&mut self);
}

/// No progress output.
pub struct Quiet;

impl Progress for Quiet {
    fn total(&mut self, _: u64) {}
    fn advance(&mut self) {}
    fn finish(&mut self) {}
}

/// An indicatif bar on stdout.
pub struct Bar(indicatif::ProgressBar);

impl Bar {
    /// A bar drawn on stdout (use only when stdout is a terminal).
    pub fn new() -> Bar {
        let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stdout());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{pos}/{len} submissions [{wide_bar}] {elapsed}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(bar)
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Progress for Bar {
    fn total(&mut self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&mut self) {
        self.0.inc(1);
    }
    fn finish(&mut self) {
        self.0.finish_and_clear();
    }
}

/// The outcome of a pull or open.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Submissions written now (and acknowledged, for a pull).
    pub saved: usize,
    /// Submissions found already saved by an earlier, interrupted run, and acknowledged now.
    pub already_saved: usize,
    /// Submissions that failed; they stay on the server.
    pub failed: usize,
    /// Submissions another staff member pulled while this pull ran.
    pub gone: usize,
    /// The pull stopped after [`MAX_LISTING_ROUNDS`](crate::MAX_LISTING_ROUNDS) listings; more
    /// may be waiting.
    pub unfinished: bool,
    /// Why the pull stopped before the end of the queue (out of time, too slow, out of space);
    /// what it saved before is listed all the same.
    #[serde(rename = "stopped", serialize_with = "error_message", skip_serializing_if = "Option::is_none")]
    pub stopped: Option<StaffError>,
    /// Details, in order.
    pub submissions: Vec<Outcome>,
}

/// A [`StaffError`] in a JSON summary: its message, neutralised.
fn error_message<S: serde::Serializer>(error: &Option<StaffError>, serializer: S) -> Result<S::Ok, S::Error> {
    match error {
        Some(e) => serializer.serialize_some(&for_terminal(&e.to_string())),
        None => serializer.serialize_none(),
    }
}

/// One submission's outcome.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// The id (or, for a folder that is not one, its name, neutralised).
    pub id: String,
    /// `saved`, `already saved` or `failed`.
    pub status: &'static str,
    /// Where it is, when saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// The form, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// Its conversation's thread id, if the person got a receipt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    /// True for a follow-up the person wrote from the status page.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub follow_up: bool,
    /// For a follow-up: the submission that began the conversation, if it is in this `OUT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continues: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl Summary {
    /// Counts a submission that failed, with its message and hints neutralised.
    pub(crate) fn failed(&mut self, id: &str, error: &StaffError) {
        self.failed += 1;
        self.submissions.push(Outcome {
            id: for_terminal(id),
            status: "failed",
            folder: None,
            form: None,
            thread: None,
            follow_up: false,
            continues: None,
            error: Some(for_terminal(&error.to_string())),
            hints: error.hints().iter().map(|h| for_terminal(h)).collect(),
        });
    }

    /// Counts a submission written now.
    pub(crate) fn saved(&mut self, saved: Saved) {
        self.saved += 1;
        self.push_saved(saved, "saved");
    }

    /// Counts a submission found complete from an earlier, interrupted run.
    pub(crate) fn already_saved(&mut self, saved: Saved) {
        self.already_saved += 1;
        self.push_saved(saved, "already saved");
    }

    fn push_saved(&mut self, saved: Saved, status: &'static str) {
        self.submissions.push(Outcome {
            id: saved.id,
            status,
            folder: Some(for_terminal(&saved.folder)),
            form: Some(saved.form),
            thread: saved.thread,
            follow_up: saved.follow_up,
            continues: saved.continues,
            error: None,
            hints: Vec::new(),
        });
    }

    /// Lines for a terminal, one per submission saved.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .submissions
            .iter()
            .filter(|o| o.status != "failed")
            .map(|o| {
                let follow = match (&o.follow_up, &o.continues) {
                    (true, Some(first)) => format!(", a follow-up to {first}"),
                    (true, None) => ", a follow-up".to_string(),
                    _ => String::new(),
                };
                format!(
                    "{} {} ({}{follow}) → {}",
                    o.status,
                    o.id,
                    o.form.as_deref().unwrap_or("?"),
                    o.folder.as_deref().unwrap_or("?")
                )
            })
            .collect();
        if self.saved + self.already_saved + self.failed + self.gone == 0 {
            lines.push("nothing new".into());
        }
        lines
    }

    /// `(message, hints)` for each failure, for stderr.
    pub fn failures(&self) -> Vec<(String, Vec<String>)> {
        self.submissions.iter().filter_map(|o| o.error.as_ref().map(|e| (e.clone(), o.hints.clone()))).collect()
    }
}
