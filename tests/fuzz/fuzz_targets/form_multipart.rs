//! A multipart body, after a valid timing token, against the asylum-help schema, through the
//! same streaming reader the server uses (attachments are sealed into a scratch spool).
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use sealpost::form::{Context, Encoding, read};
use sealpost::limit::TimingTokens;
use sealpost::spool::Spool;

fn spool() -> &'static (tempfile::TempDir, Spool) {
    static SPOOL: OnceLock<(tempfile::TempDir, Spool)> = OnceLock::new();
    SPOOL.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a scratch dir");
        let spool = Spool::open(dir.path(), 1 << 40).expect("a scratch spool");
        (dir, spool)
    })
}

fuzz_target!(|data: &[u8]| {
    let config = common::config();
    let form = config.form("asylum-help").expect("the example has the asylum form");
    let tokens = TimingTokens::new([7; 32]);
    let now = SystemTime::now();
    let token = tokens.issue("asylum-help", now - Duration::from_secs(10));
    let mut body = format!("--XyZ\r\nContent-Disposition: form-data; name=\"_token\"\r\n\r\n{token}\r\n").into_bytes();
    body.extend_from_slice(data);
    let ctx = Context { form, recipients: form.recipients.current(), limits: &config.limits, tokens: &tokens, now };
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    let Ok(mut draft) = spool().1.begin("asylum-help") else { return };
    let stream = futures_util::stream::iter(
        body.chunks(997).map(|c| Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(c))).collect::<Vec<_>>(),
    );
    let _ = runtime.block_on(read(&ctx, Encoding::Multipart("XyZ".into()), stream, &mut draft));
    // Dropping the draft removes whatever it wrote.
});
