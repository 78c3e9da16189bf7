//! What a (malicious) server or submission controls on the staff side: the listing JSON, the
//! envelope JSON, attachment names and field text that reach the disk and the terminal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealpost_format::id::FileName;
use sealpost_format::wire::Listed;
use sealpost_format::envelope::Envelope;
use sealpost_staff::{for_terminal, neutralize_text, safe_file_name};

fuzz_target!(|data: &[u8]| {
    if let Ok(listing) = serde_json::from_slice::<Vec<Listed>>(data) {
        for entry in &listing {
            let _ = serde_json::to_string(entry);
        }
    }
    if let Ok(envelope) = serde_json::from_slice::<Envelope>(data) {
        for (i, a) in envelope.attachments.iter().enumerate() {
            let name = safe_file_name(&a.name, i + 1);
            assert!(!name.is_empty() && !name.contains('/') && !name.contains('\0'), "unsafe name {name:?}");
            assert!(name != "." && name != "..", "unsafe name {name:?}");
        }
        for f in &envelope.fields {
            let _ = neutralize_text(&f.value);
            assert!(!for_terminal(&f.label).contains('\u{1b}'), "an escape reached the terminal");
        }
    }
    let text = String::from_utf8_lossy(data);
    let name = safe_file_name(&text, 1);
    assert!(!name.is_empty() && !name.contains('/') && !name.contains('\\') && !name.contains('\0'), "unsafe {name:?}");
    assert!(!for_terminal(&text).contains('\u{1b}'), "an escape reached the terminal");
    let _ = FileName::parse(&text);
});
