//! What both benchmarks seal: one submission of the load benchmark's contact form.

use sealpost_format::envelope::{Envelope, EnvelopeField};

/// Length of the message each benchmark submission carries.
pub const MESSAGE_BYTES: usize = 2048;

/// 2 KiB of text, as a person would type it.
pub fn message_text() -> String {
    let words = "I need help with my asylum interview next week and my documents are with my lawyer ";
    words.repeat(MESSAGE_BYTES / words.len() + 1).chars().take(MESSAGE_BYTES).collect()
}

/// An envelope like the server builds for one benchmark submission.
pub fn envelope() -> Envelope {
    let field = |name: &str, label: &str, value: String| EnvelopeField {
        name: name.into(),
        label: label.into(),
        kind: Some("text".into()),
        value,
        choices: Vec::new(),
    };
    Envelope {
        sealpost: sealpost_format::envelope::ENVELOPE_VERSION,
        ack: Some(sealpost_format::envelope::AckSecret::random()),
        id: "a".repeat(26),
        form: "contact".into(),
        received: "2026-11-28T12:00:00Z".into(),
        locale: "en".into(),
        fields: vec![
            field("name", "Your name", "Bench".into()),
            field("email", "Email address", "bench@example.org".into()),
            field("message", "Your message", message_text()),
        ],
        attachments: Vec::new(),
        reply: None,
        follow_up: false,
    }
}
