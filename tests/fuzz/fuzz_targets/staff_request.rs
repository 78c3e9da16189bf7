//! What a staff API caller controls: ids and file names in the path, JSON bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealpost_format::id::{FileName, parse_sha256};
use sealpost_format::wire::{AckRequest, ChallengeRequest, SessionRequest};
use sealpost_format::id::SubmissionId;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = SubmissionId::parse(&text);
    let _ = FileName::parse(&text);
    let _ = parse_sha256(&text);
    let _ = serde_json::from_slice::<ChallengeRequest>(data);
    let _ = serde_json::from_slice::<SessionRequest>(data);
    if let Ok(ack) = serde_json::from_slice::<AckRequest>(data) {
        let _ = serde_json::to_string(&ack);
    }
});
