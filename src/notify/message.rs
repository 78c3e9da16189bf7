//! What a notification says: whether anything waits, per-form counts if the operator opted in,
//! and retention warnings; padded so that "activity" and "no activity" are the same size.
//!
//! Never: an id, a file name, a field value, an address or a time derived from a submission.
//! Only form ids (chosen by the operator), counts and whole days.

use std::collections::BTreeMap;
use std::time::SystemTime;

use jiff::Timestamp;

use crate::retention::{Upcoming, days_until};

/// Every message's text and every webhook body is padded with spaces to a multiple of this
/// many bytes, so the default "activity" and "no activity" messages are the same size on the
/// wire and in the mailbox (SecureDrop's rule), and counts change the size only in steps.
pub const MESSAGE_BLOCK: usize = 512;

/// The mail subject: the same for every message, whatever it says.
pub const SUBJECT: &str = "sealpost: scheduled notice";

/// What the server holds at one tick, as counts.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Submissions waiting, per configured form (zero included).
    pub waiting: BTreeMap<String, usize>,
    /// What expires within `notify.warn_before`.
    pub upcoming: Vec<Upcoming>,
    /// The moment the counts were taken.
    pub now: Option<SystemTime>,
}

/// One notification, ready for any channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The tick it belongs to, to the second.
    pub at: Timestamp,
    /// Plain text, padded to a multiple of [`MESSAGE_BLOCK`] bytes.
    pub text: String,
}

/// The message for `snapshot` at tick `at`; with `counts`, one line per form.
pub fn compose(snapshot: &Snapshot, counts: bool, at: Timestamp) -> Message {
    let waiting: usize = snapshot.waiting.values().sum();
    let mut text = String::from(if waiting > 0 {
        "Activity: submissions are waiting to be pulled.\n"
    } else {
        "No activity: nothing is waiting to be pulled.\n"
    });
    if counts {
        for (form, n) in &snapshot.waiting {
            text.push_str(&format!("{form}: {n} waiting\n"));
        }
    }
    let now = snapshot.now.unwrap_or_else(SystemTime::now);
    for warning in &snapshot.upcoming {
        let days = days_until(now, warning.first);
        text.push_str(&format!(
            "{} of form {} will be deleted in {} {}.\n",
            warning.kind.count(warning.count),
            warning.form,
            if days == 1 { "1 day".to_string() } else { format!("{days} days") },
            warning.kind.unless(),
        ));
    }
    text.push_str("Read them on a staff machine with: sealpost-staff pull\n");
    Message { at: Timestamp::from_second(at.as_second()).unwrap_or(at), text: pad(text) }
}

/// `text` followed by spaces up to the next multiple of [`MESSAGE_BLOCK`] bytes.
fn pad(mut text: String) -> String {
    let target = text.len().div_ceil(MESSAGE_BLOCK).max(1) * MESSAGE_BLOCK;
    text.extend(std::iter::repeat_n(' ', target - text.len()));
    text
}

/// The webhook's JSON body: `{"sealpost":1,"at":"…Z","text":"…","pad":"   "}`, the `pad`
/// member bringing the whole body to a multiple of [`MESSAGE_BLOCK`] bytes.
pub fn webhook_body(message: &Message) -> Vec<u8> {
    let head = serde_json::json!({"sealpost": 1, "at": message.at.to_string(), "text": message.text});
    let bare = head.to_string();
    // `,"pad":""` adds 9 bytes before any space is added.
    let target = (bare.len() + 9).div_ceil(MESSAGE_BLOCK) * MESSAGE_BLOCK;
    let spaces = " ".repeat(target - bare.len() - 9);
    let mut body = bare.into_bytes();
    body.pop(); // the closing brace
    body.extend_from_slice(format!(",\"pad\":\"{spaces}\"}}").as_bytes());
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retention::Kind;

    fn snapshot(waiting: &[(&str, usize)]) -> Snapshot {
        Snapshot {
            waiting: waiting.iter().map(|(f, n)| (f.to_string(), *n)).collect(),
            upcoming: Vec::new(),
            now: Some(SystemTime::UNIX_EPOCH),
        }
    }

    fn at() -> Timestamp {
        "2026-12-07T08:00:00.25Z".parse().unwrap()
    }

    #[test]
    fn activity_and_no_activity_are_the_same_size_on_every_channel() {
        let some = compose(&snapshot(&[("asylum-help", 3), ("contact", 0)]), false, at());
        let none = compose(&snapshot(&[("asylum-help", 0), ("contact", 0)]), false, at());
        assert_ne!(some.text, none.text);
        assert_eq!(some.text.len(), MESSAGE_BLOCK);
        assert_eq!(some.text.len(), none.text.len());
        assert_eq!(some.text.lines().count(), none.text.lines().count(), "same line structure");
        assert_eq!(webhook_body(&some).len(), webhook_body(&none).len());
        assert_eq!(webhook_body(&some).len() % MESSAGE_BLOCK, 0);
        assert!(!some.text.contains('3'), "no count unless asked for");
        assert_eq!(some.at.to_string(), "2026-12-07T08:00:00Z", "the tick, to the second");
    }

    #[test]
    fn counts_and_warnings_are_there_when_asked_for_and_sizes_move_in_blocks() {
        let mut s = snapshot(&[("asylum-help", 2), ("contact", 1)]);
        s.upcoming.push(Upcoming {
            kind: Kind::Submission,
            form: "asylum-help".into(),
            count: 2,
            first: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(2 * 86_400 + 60),
        });
        let m = compose(&s, true, at());
        assert!(m.text.contains("asylum-help: 2 waiting\ncontact: 1 waiting\n"), "{}", m.text);
        assert!(m.text.contains("2 submissions of form asylum-help will be deleted in 3 days unless pulled."));
        assert_eq!(m.text.len() % MESSAGE_BLOCK, 0);
        let body = webhook_body(&m);
        assert_eq!(body.len() % MESSAGE_BLOCK, 0);
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed["text"], m.text.as_str());
        assert_eq!(parsed["sealpost"], 1);
    }

    #[test]
    fn a_long_message_is_padded_to_the_next_block() {
        let forms: Vec<(String, usize)> = (0..40).map(|i| (format!("form-number-{i}"), i)).collect();
        let s = Snapshot { waiting: forms.into_iter().collect(), ..snapshot(&[]) };
        let m = compose(&s, true, at());
        assert!(m.text.len() > MESSAGE_BLOCK);
        assert_eq!(m.text.len() % MESSAGE_BLOCK, 0);
    }
}
