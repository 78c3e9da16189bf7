//! Headers a client controls: X-Forwarded-For / Forwarded (behind a trusted proxy), the
//! `?lang=` query and Accept-Language.
#![no_main]

use std::sync::OnceLock;

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use sealpost::i18n::Catalog;

fuzz_target!(|data: &[u8]| {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    let catalog = CATALOG.get_or_init(|| Catalog::embedded().expect("the catalogs parse"));
    let text = String::from_utf8_lossy(data);
    let middle = text.char_indices().map(|(i, _)| i).nth(text.chars().count() / 2).unwrap_or(text.len());
    let (first, second) = text.split_at(middle);
    let mut headers = HeaderMap::new();
    for (name, value) in [("x-forwarded-for", first), ("forwarded", second)] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.append(name, v);
        }
    }
    let trusted = ["127.0.0.1/32".parse().expect("net"), "10.0.0.0/8".parse().expect("net")];
    let _ = sealpost::limit::client_addr("127.0.0.1".parse().expect("ip"), &headers, &trusted);
    let _ = catalog.negotiate(Some(first), Some(second));
});
