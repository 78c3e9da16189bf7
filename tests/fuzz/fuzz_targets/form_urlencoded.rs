//! A urlencoded body against the asylum-help schema, with and without a valid timing token.
#![no_main]

#[path = "common.rs"]
mod common;

use std::time::SystemTime;

use libfuzzer_sys::fuzz_target;
use sealpost::form::{Context, read_urlencoded_body};
use sealpost::limit::TimingTokens;

fuzz_target!(|data: &[u8]| {
    let config = common::config();
    let form = config.form("asylum-help").expect("the example has the asylum form");
    let tokens = TimingTokens::new([7; 32]);
    let now = SystemTime::now();
    let ctx = Context { form, recipients: form.recipients.current(), limits: &config.limits, tokens: &tokens, now };
    let _ = read_urlencoded_body(&ctx, data);
    let mut with_token = format!("_token={}&", tokens.issue("asylum-help", now - std::time::Duration::from_secs(10))).into_bytes();
    with_token.extend_from_slice(data);
    let _ = read_urlencoded_body(&ctx, &with_token);
});
