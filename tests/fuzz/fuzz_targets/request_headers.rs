//! Headers a client controls: X-Forwarded-For / Forwarded / X-Real-IP as raw bytes (behind a
//! trusted proxy, for each choice of `server.forwarded_header`), the `?lang=` query and
//! Accept-Language.
#![no_main]

use std::sync::OnceLock;

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use sealpost::config::{ForwardedHeader, TrustedProxies};
use sealpost::i18n::Catalog;
use sealpost::limit::Peer;

fuzz_target!(|data: &[u8]| {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    let catalog = CATALOG.get_or_init(|| Catalog::embedded().expect("the catalogs parse"));
    // Every line of the input is one header line, given to all three headers as raw bytes
    // (a byte >= 0x80 included: proxies pass them on).
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            for name in ["x-forwarded-for", "forwarded", "x-real-ip"] {
                headers.append(name, v.clone());
            }
        }
    }
    let nets = vec!["127.0.0.1/32".parse().expect("net"), "10.0.0.0/8".parse().expect("net")];
    for header in [ForwardedHeader::XForwardedFor, ForwardedHeader::Forwarded, ForwardedHeader::XRealIp] {
        let trusted = TrustedProxies { nets: nets.clone(), unix: true, header };
        let _ = sealpost::limit::client_addr("127.0.0.1".parse().expect("ip"), &headers, &trusted);
        let _ = sealpost::limit::client_key(Peer::Unix, &headers, &trusted);
    }
    let text = String::from_utf8_lossy(data);
    let middle = text.char_indices().map(|(i, _)| i).nth(text.chars().count() / 2).unwrap_or(text.len());
    let (first, second) = text.split_at(middle);
    let _ = catalog.negotiate(Some(first), Some(second));
});
