//! `Config::parse` on arbitrary text: errors, never panics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    let _ = sealpost::config::Config::parse(text, Path::new("fuzz.toml"), Path::new("/fuzz"), &mut |p| {
        // Recipients files: either a key, or the fuzzed text itself.
        if p.to_string_lossy().len() % 2 == 0 { Ok(format!("{key}\n")) } else { Ok(text.to_string()) }
    });
    let _ = sealpost::seal::Recipients::parse(text);
});
