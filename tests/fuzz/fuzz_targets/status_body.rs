//! A status page's body (DESIGN §10): the urlencoded pairs, then the receipt in them, as the
//! server reads both from anyone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealpost::form::small_pairs;
use sealpost::reply::Receipt;

fuzz_target!(|data: &[u8]| {
    if let Ok(pairs) = small_pairs(data) {
        for (_, value) in &pairs {
            let _ = Receipt::parse(value);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Receipt::parse(text);
    }
});
