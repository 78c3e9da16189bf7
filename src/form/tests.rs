//! Tests of the sections together.
use std::borrow::Cow;
use std::time::SystemTime;

use bytes::Bytes;
use zeroize::Zeroizing;

use crate::config::{FieldKind, FieldSpec};
use crate::limit::TimingTokens;

use super::multipart::{FIRST_BATCH, MAX_FILE_NAME_CHARS, SEAL_BATCH, display_name, strict_disposition};
use super::outcome::{BodyError, Context, Encoding, FieldError, Received};
use super::state::{normalise_newlines, validate};
use super::urlencoded::{decode_component, truncate_utf8};
use super::*;

fn spec(kind: FieldKind, required: bool) -> FieldSpec {
    FieldSpec {
        fieldset: None,
        name: "f".into(),
        kind,
        required,
        max_chars: 10,
        options: vec!["a".into(), "b".into()],
        range: Some((1, 20)),
        pattern: None,
        max_files: 2,
        max_size: 100,
        autocomplete: false,
        defined_at: "test.toml:1".into(),
    }
}

#[test]
fn validates_each_kind() {
    use FieldKind::*;
    assert_eq!(validate(&spec(Text, true), "  ", 0), Some(FieldError::Required));
    assert_eq!(validate(&spec(Text, false), "", 0), None);
    assert_eq!(validate(&spec(Text, false), "ééééééééééé", 0), Some(FieldError::TooLong { max: 10 }));
    assert_eq!(validate(&spec(Text, false), "éééééééééé", 0), None);
    assert_eq!(validate(&spec(Email, false), "a@b.org", 0), None);
    assert_eq!(validate(&spec(Email, false), "a@b", 0), Some(FieldError::Email));
    assert_eq!(validate(&spec(Tel, false), "+1 (555) 0", 0), None);
    assert_eq!(validate(&spec(Tel, false), "call me", 0), Some(FieldError::Tel));
    assert_eq!(validate(&spec(Select, true), "c", 0), Some(FieldError::Select));
    assert_eq!(validate(&spec(Select, true), "b", 0), None);
    let mut long_option = spec(Select, true);
    long_option.max_chars = 0;
    long_option.options = vec!["whatsapp".into()];
    assert_eq!(validate(&long_option, "whatsapp", 0), None, "max applies to text kinds only");
    assert_eq!(validate(&spec(Checkbox, true), "", 0), Some(FieldError::CheckboxRequired));
    assert_eq!(validate(&spec(File, true), "", 0), Some(FieldError::Required));
    assert_eq!(validate(&spec(File, true), "", 1), None);
    assert_eq!(validate(&spec(Radio, true), "", 0), Some(FieldError::Select));
    assert_eq!(validate(&spec(Radio, false), "", 0), None);
    assert_eq!(validate(&spec(Radio, false), "a", 0), None);
    assert_eq!(validate(&spec(Radio, false), "c", 0), Some(FieldError::Select));
    assert_eq!(validate(&spec(Checkboxes, true), "", 0), Some(FieldError::ChoicesRequired));
    assert_eq!(validate(&spec(Checkboxes, false), "a\nb", 0), None);
    assert_eq!(validate(&spec(Checkboxes, false), "a\nc", 0), Some(FieldError::Select));
    assert_eq!(validate(&spec(Date, false), "2026-02-28", 0), None);
    assert_eq!(validate(&spec(Date, false), "28/02/2026", 0), Some(FieldError::Date));
    assert_eq!(validate(&spec(Date, true), " ", 0), Some(FieldError::Required));
    assert_eq!(validate(&spec(Number, false), "٢٠", 0), None);
    assert_eq!(validate(&spec(Number, false), "21", 0), Some(FieldError::NumberRange { min: 1, max: 20 }));
    assert_eq!(validate(&spec(Number, false), "0", 0), Some(FieldError::NumberRange { min: 1, max: 20 }));
    assert_eq!(validate(&spec(Number, false), "two", 0), Some(FieldError::Number));
    let mut case = spec(Text, true);
    case.pattern = Some(crate::config::Pattern::new("[A-Z]{2}[0-9]{3}").unwrap());
    assert_eq!(validate(&case, " AB123 ", 0), None, "surrounding spaces are not part of the answer");
    assert_eq!(validate(&case, "AB1234", 0), Some(FieldError::Pattern), "the whole answer must match");
    assert_eq!(validate(&case, "xAB123", 0), Some(FieldError::Pattern));
}

#[test]
fn checkboxes_collect_every_ticked_option_and_refuse_a_box_sent_twice() {
    let fields = r#"
  { name = "family", kind = "checkboxes", options = ["partner", "children", "parents"] },
  { name = "when", kind = "date" },
"#;
    let config = config("1 MiB", fields, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p");
    let received = read_pairs(&config, "family=children&family=partner&when=2026%2F3%2F5");
    assert_eq!(received.values.get(0), "children\npartner");
    assert_eq!(received.values.get(1), "2026/3/5", "the person's text is kept as typed");
    assert!(received.errors.is_empty(), "{:?}", received.errors);
    let twice = try_read_pairs(&config, "family=children&family=children");
    assert!(matches!(twice, Err(BodyError::Malformed)), "{twice:?}");
    let too_many = try_read_pairs(&config, "family=children&family=partner&family=parents&family=x");
    assert!(matches!(too_many, Err(BodyError::Malformed)), "{too_many:?}");
    let unknown = read_pairs(&config, "family=children&family=cousins");
    assert_eq!(unknown.errors, vec![(0, FieldError::Select)]);
    // Cut to its budget at a character boundary, a value is never taken as what was sent.
    let cut = read_pairs(&config, "family=children%C3%A9");
    assert_eq!(cut.errors, vec![(0, FieldError::Select)]);
    let padded = format!("when=2026-03-31{}%C3%A9", "+".repeat(245));
    assert_eq!(read_pairs(&config, &padded).errors, vec![(1, FieldError::Date)]);
    let bad_date = read_pairs(&config, "when=31%2F3%2F2026");
    assert_eq!(bad_date.errors, vec![(1, FieldError::Date)]);
    assert_eq!(bad_date.values.get(1), "31/3/2026");
}

/// A config with one form `f` of `fields`, sealed to `key`.
fn config(max_body: &str, fields: &str, key: &str) -> crate::config::Config {
    let text = format!(
        r#"[server]
listen = "127.0.0.1:8080"
data_dir = "data"
trusted_proxies = []
[limits]
max_body = "{max_body}"
per_client = {{ burst = 5, per_hour = 20 }}
global = {{ burst = 5, per_hour = 20 }}
max_spool = "1 GiB"
min_fill_time = "0s"
max_fill_time = "1h"
keep_unpulled = "forever"
[[form]]
id = "f"
recipients = "r.txt"
fields = [{fields}]
"#
    );
    crate::config::Config::parse(&text, std::path::Path::new("t.toml"), std::path::Path::new("/"), &mut |_| {
        Ok(format!("{key}\n"))
    })
    .unwrap()
}

fn schema() -> crate::config::Config {
    let fields = r#"
  { name = "stage", kind = "select", required = true, options = ["first-instance-interview-scheduled", "appeal"] },
  { name = "ok", kind = "checkbox" },
"#;
    config("1 MiB", fields, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
}

fn read_pairs(config: &crate::config::Config, body: &str) -> Received {
    try_read_pairs(config, body).unwrap()
}

fn try_read_pairs(config: &crate::config::Config, body: &str) -> Result<Received, BodyError> {
    let form = config.form("f").unwrap();
    let tokens = TimingTokens::new([1; 32]);
    let now = SystemTime::now();
    let body = format!("_token={}&{body}", tokens.issue("f", now));
    let ctx = Context { form, recipients: form.recipients.current(), limits: &config.limits, tokens: &tokens, now };
    read_urlencoded_body(&ctx, body.as_bytes())
}

#[test]
fn a_long_select_option_is_accepted_whole_and_a_longer_value_is_just_not_an_option() {
    let config = schema();
    let ok = read_pairs(&config, "stage=first-instance-interview-scheduled&ok=yes");
    assert!(ok.is_valid(), "{:?}", ok.errors);
    assert_eq!(ok.values.get(0), "first-instance-interview-scheduled");
    let long = format!("stage=first-instance-interview-scheduled{}", "x".repeat(100));
    let bad = read_pairs(&config, &long);
    assert_eq!(bad.errors, vec![(0, FieldError::Select)]);
}

#[test]
fn decodes_urlencoded_components_and_refuses_invalid_utf8() {
    assert_eq!(decode_component(b"a+b%20c%C3%A9").unwrap().as_str(), "a b cé");
    assert_eq!(decode_component(b"100%").unwrap().as_str(), "100%");
    assert!(matches!(decode_component(b"%FF%FE"), Err(BodyError::Malformed)));
}

#[test]
fn display_names_drop_directories_and_are_bounded() {
    assert_eq!(display_name("C:\\Users\\x\\passport.pdf"), "passport.pdf");
    assert_eq!(display_name("../../etc/passwd"), "passwd");
    assert_eq!(display_name("   "), "attachment");
    assert_eq!(display_name(&"a".repeat(10_000)).chars().count(), MAX_FILE_NAME_CHARS);
}

#[test]
fn reads_content_types() {
    assert!(matches!(
        Encoding::from_content_type(Some("application/x-www-form-urlencoded; charset=UTF-8")),
        Ok(Encoding::UrlEncoded)
    ));
    assert!(
        matches!(Encoding::from_content_type(Some("multipart/form-data; boundary=xyz")), Ok(Encoding::Multipart(b)) if b == "xyz")
    );
    for bad in [None, Some("multipart/form-data"), Some("application/json"), Some("text/plain")] {
        assert!(matches!(Encoding::from_content_type(bad), Err(BodyError::Unsupported)), "{bad:?}");
    }
}

#[test]
fn a_content_type_naming_two_boundaries_is_malformed_and_a_quoted_one_is_not_a_second() {
    for two in ["multipart/form-data; boundary=a; boundary=b", "multipart/form-data;boundary=a;Boundary=\"a\""] {
        assert!(matches!(Encoding::from_content_type(Some(two)), Err(BodyError::Malformed)), "{two}");
    }
    let escaped = "multipart/form-data; x=\"; boundary=b\\\"; boundary=c\"; boundary=a";
    assert!(matches!(Encoding::from_content_type(Some(escaped)), Err(BodyError::Malformed)), "{escaped}");
    let quoted = "multipart/form-data; x=\"; boundary=b\"; boundary=a";
    assert!(matches!(Encoding::from_content_type(Some(quoted)), Ok(Encoding::Multipart(b)) if b == "a"));
}

#[test]
fn a_disposition_is_read_strictly_and_repeats_or_starred_names_are_malformed() {
    let read =
        |v: &str| strict_disposition(Some(v.as_bytes())).map(|(n, f)| (n.map(Cow::into_owned), f.map(Cow::into_owned)));
    let some = |s: &str| Some(s.to_string());
    assert_eq!(read("form-data; name=\"a\"; filename=\"x;y.pdf\"").unwrap(), (some("a"), some("x;y.pdf")));
    assert_eq!(
        read("form-data; filename=\"x; name=evil\"; name=\"real\"").unwrap(),
        (some("real"), some("x; name=evil"))
    );
    assert_eq!(
        read("form-data; NAME=a; filename=\"say \\\"hi\\\".pdf\"").unwrap(),
        (some("a"), some("say \"hi\".pdf"))
    );
    for bad in [
        "form-data; name=\"a\"; name=\"b\"",
        "form-data; name=a; filename=x; FILENAME=y",
        "form-data; name=a; filename*=UTF-8''x",
        "form-data; name=a\"b",
    ] {
        assert!(matches!(read(bad), Err(BodyError::Malformed)), "{bad}");
    }
}

#[test]
fn control_characters_in_file_names_become_replacement_characters() {
    assert_eq!(display_name("a\u{1}b\u{7f}c\u{85}d\0.pdf"), "a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}.pdf");
    assert_eq!(display_name("\u{1b}[31mred.pdf"), "\u{fffd}[31mred.pdf");
}

/// Attachments whose sizes fall on, just before and just after the growing batches'
/// boundaries (64, 192, 448, 960 and 1984 KiB, where the buffers start being reused),
/// arriving in odd-sized chunks and in one piece, decrypt to exactly what was sent, and the
/// digest the envelope gets is the digest of what was sent.
#[tokio::test]
async fn attachments_across_batch_boundaries_decrypt_to_what_was_sent() {
    use std::io::Read as _;
    let identity = age::x25519::Identity::generate();
    let fields = r#"{ name = "doc", kind = "file", max_files = 1, max_size = "4 MiB" }"#;
    let config = config("8 MiB", fields, &identity.to_public().to_string());
    let form = config.form("f").unwrap();
    let tokens = TimingTokens::new([1; 32]);
    let now = SystemTime::now();
    let dir = tempfile::tempdir().unwrap();
    let spool = crate::spool::Spool::open(dir.path(), 1 << 30).unwrap();
    let mut sizes = vec![1];
    let mut boundary = 0;
    let mut batch = FIRST_BATCH;
    for _ in 0..5 {
        boundary += batch;
        batch = (batch * 2).min(SEAL_BATCH);
        sizes.extend([boundary - 1, boundary, boundary + 1]);
    }
    sizes.push(2 * SEAL_BATCH + 3 * FIRST_BATCH + 5);
    for size in sizes {
        for piece in [7_919, usize::MAX] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8 ^ (i >> 16) as u8).collect();
            let mut body = format!(
                "--b\r\nContent-Disposition: form-data; name=\"_token\"\r\n\r\n{}\r\n--b\r\n\
                 Content-Disposition: form-data; name=\"doc\"; filename=\"d.bin\"\r\n\r\n",
                tokens.issue("f", now)
            )
            .into_bytes();
            body.extend_from_slice(&data);
            body.extend_from_slice(b"\r\n--b--\r\n");
            let chunks: Vec<Result<Bytes, std::io::Error>> =
                body.chunks(piece.min(body.len())).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
            let ctx =
                Context { form, recipients: form.recipients.current(), limits: &config.limits, tokens: &tokens, now };
            let mut draft = spool.begin("f").unwrap();
            let received = read(&ctx, Encoding::Multipart("b".into()), futures_util::stream::iter(chunks), &mut draft)
                .await
                .unwrap();
            assert!(received.is_valid(), "{size}: {:?} {:?}", received.errors, received.problem);
            let meta = &received.attachments.first().unwrap().1;
            let digest = data_encoding::HEXLOWER.encode(&<sha2::Sha256 as sha2::Digest>::digest(&data));
            assert_eq!((meta.size, meta.sha256.as_str()), (size as u64, digest.as_str()), "size {size}");
            let id = draft.id().clone();
            draft.commit().unwrap();
            let sealed = std::fs::File::open(spool.ready_dir().join("f").join(id.as_str()).join("1.age")).unwrap();
            let mut plain = Vec::new();
            age::Decryptor::new(sealed)
                .unwrap()
                .decrypt(std::iter::once(&identity as &dyn age::Identity))
                .unwrap()
                .read_to_end(&mut plain)
                .unwrap();
            assert_eq!(plain.len() as u64, sealpost_format::pad::padme(size as u64), "size {size}");
            assert!(plain.get(..size) == Some(&data[..]), "size {size}, pieces of {piece}: content differs");
        }
    }
}

#[test]
fn every_carriage_return_becomes_one_line_feed() {
    let text = normalise_newlines(Zeroizing::new("a\r\nb\rc\r\r\nd\r".into()));
    assert_eq!(text.as_str(), "a\nb\nc\n\nd\n");
}

#[test]
fn truncates_only_on_character_boundaries() {
    assert_eq!(truncate_utf8("aé", 2), "a");
    assert_eq!(truncate_utf8("aé", 3), "aé");
}
