//! Form schemas and the parsing of untrusted request bodies.
//!
//! Job: read a urlencoded or multipart body against a form's schema. Text stays in memory
//! (zeroized on drop); attachments stream straight from the socket into an age sealer on a
//! blocking thread, so a large upload never sits in memory and never touches disk unencrypted.
//! Invariant: every growable thing is bounded — body bytes, the multipart preamble and each
//! part head (`form/heads.rs`), parts, bytes per text field, files per field, bytes per file —
//! and crossing a bound ends in an error, never in unbounded buffering. Anything two parsers
//! could read two ways (two boundaries, a repeated part header or parameter) is refused. Text
//! grows only through `SecretBuf` (`form/wipe.rs`), which wipes each allocation it leaves.
//! Never: uses a client-supplied name as a path, or logs a value.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::Stream;
use zeroize::Zeroizing;

use crate::config::{FieldKind, FieldSpec, FormSpec, Limits};
use crate::limit::{TimingTokens, TokenId, TokenProblem};
use sealpost_format::envelope::AttachmentMeta;

use crate::seal::{AttachmentDigest, AttachmentSealer, Recipients, SealError};
use crate::spool::{Draft, SpoolError};

mod heads;
mod wipe;
pub use heads::{MAX_PART_HEAD, MAX_PREAMBLE};
pub(crate) use wipe::SecretBuf;

/// Hidden field carrying the signed time the form was served.
pub const TOKEN_FIELD: &str = "_token";
/// Hidden honeypot field: people never see it, naive bots fill it in.
pub const HONEYPOT_FIELD: &str = "_homepage";
/// Longest honeypot or token value read; anything longer is a bot.
const MAX_HIDDEN_BYTES: usize = 256;
/// A urlencoded body carries no files, so it is bounded far below `max_body`.
pub const MAX_URLENCODED_BODY: u64 = 1024 * 1024;
/// Attachment names are cut to this many characters (the envelope keeps them for staff only).
const MAX_FILE_NAME_CHARS: usize = 255;
/// Longest media type kept for an attachment.
const MAX_MEDIA_TYPE_BYTES: usize = 127;
/// Most plaintext gathered before one trip to the blocking pool to encrypt and write it: large
/// enough to amortise the hand-offs (100 MiB uploads were about 20 % faster with 1 MiB than with
/// 256 KiB), small enough that memory per upload stays flat. An upload holds at most two batches.
pub const SEAL_BATCH: usize = 1024 * 1024;
/// First allocation for a text value or a urlencoded body: most fit in it; a longer one moves
/// to twice the size at a time, wiping the old copy ([`wipe::SecretBuf`]).
const FIRST_TEXT_BUFFER: usize = 16 * 1024;
/// The first batch of an upload; each next one is twice as large, up to [`SEAL_BATCH`]. Small
/// files are then sealed while they arrive too, instead of all at the end.
const FIRST_BATCH: usize = 64 * 1024;

/// Why a body could not be read at all. Each maps to one fixed error page in [`crate::http`].
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Over `max_body` (or [`MAX_URLENCODED_BODY`]).
    #[error("body too large")]
    TooLarge,
    /// More parts or pairs than `max_fields`.
    #[error("too many fields")]
    TooManyFields,
    /// Neither urlencoded nor multipart with a boundary.
    #[error("unsupported content type")]
    Unsupported,
    /// Malformed encoding, invalid UTF-8, duplicate single-value fields, truncated multipart.
    #[error("malformed body")]
    Malformed,
    /// The spool could not store the attachments.
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

/// What is wrong with one field; rendered beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// Required and empty.
    Required,
    /// A required checkbox was not ticked.
    CheckboxRequired,
    /// Longer than `max` characters.
    TooLong { max: usize },
    /// Not an email address.
    Email,
    /// Not a phone number.
    Tel,
    /// Not one of the select's options.
    Select,
    /// One file is over `max_size`.
    FileTooLarge { name: String, max: u64 },
    /// More files than `max_files`.
    TooManyFiles { max: usize },
}

/// A whole-form problem that asks the person to check and send again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The timing token said too fast, too old or not ours.
    Token(TokenProblem),
    /// The honeypot was filled in.
    Honeypot,
}

/// The values of one form submission, index-aligned with the schema's fields. Zeroized on drop.
pub struct Values {
    values: Vec<Zeroizing<String>>,
}

impl Values {
    fn new(form: &FormSpec) -> Self {
        Values { values: form.fields.iter().map(|_| Zeroizing::new(String::new())).collect() }
    }

    /// The value of field number `index` (empty if absent).
    pub fn get(&self, index: usize) -> &str {
        self.values.get(index).map_or("", |v| v.as_str())
    }
}

impl std::fmt::Debug for Values {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sizes: Vec<usize> = self.values.iter().map(|v| v.len()).collect();
        f.debug_struct("Values").field("byte_sizes", &sizes).finish()
    }
}

/// A body read against a schema: values, sealed attachments and anything the person must fix.
#[derive(Debug)]
pub struct Received {
    /// Text values (files aside).
    pub values: Values,
    /// Sealed attachments, in upload order, with the field they belong to.
    pub attachments: Vec<(usize, AttachmentMeta)>,
    /// Per-field problems, in form order.
    pub errors: Vec<(usize, FieldError)>,
    /// A whole-form problem.
    pub problem: Option<Problem>,
    /// The timing token that passed its check, for the caller to spend once the submission is
    /// accepted ([`TimingTokens::redeem`]).
    pub token: Option<TokenId>,
}

impl Received {
    /// True if the submission may be sealed and stored.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.problem.is_none()
    }
}

/// Everything [`read`] needs besides the body.
pub struct Context<'a> {
    /// The form's schema.
    pub form: &'a FormSpec,
    /// The form's recipients, for attachments.
    pub recipients: std::sync::Arc<Recipients>,
    /// Bounds.
    pub limits: &'a Limits,
    /// Timing-token verifier.
    pub tokens: &'a TimingTokens,
    /// The current time (an input so tests need not sleep).
    pub now: SystemTime,
}

/// Which body parser a `Content-Type` asks for.
pub enum Encoding {
    /// `application/x-www-form-urlencoded`
    UrlEncoded,
    /// `multipart/form-data` with this boundary.
    Multipart(String),
}

impl Encoding {
    /// Reads the `Content-Type` header.
    pub fn from_content_type(value: Option<&str>) -> Result<Encoding, BodyError> {
        let value = value.ok_or(BodyError::Unsupported)?;
        let essence = value.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            Ok(Encoding::UrlEncoded)
        } else if essence.eq_ignore_ascii_case("multipart/form-data") {
            // Two boundaries: parsers disagree on which one counts (multer takes the first). A
            // backslash: they disagree on where a quoted string ends. Browsers send neither.
            let boundaries = parameters(value).filter(|name| name.eq_ignore_ascii_case("boundary")).count();
            if boundaries > 1 || value.contains('\\') {
                return Err(BodyError::Malformed);
            }
            multer::parse_boundary(value).map(Encoding::Multipart).map_err(|_| BodyError::Unsupported)
        } else {
            Err(BodyError::Unsupported)
        }
    }
}

/// A part's `name` and `filename`, as far as it has them.
type NameAndFileName<'a> = (Option<Cow<'a, str>>, Option<Cow<'a, str>>);

/// A part's `name` and `filename`, read strictly from its `Content-Disposition`: parameters
/// split at `;` outside quoted strings, names in any letter case, quoted values with `\"` as a
/// quote (as multer reads them). A repeated `name` or `filename`, or a `name*`/`filename*`
/// (RFC 7578 forbids them; other parsers prefer them), is malformed.
fn strict_disposition(value: Option<&[u8]>) -> Result<NameAndFileName<'_>, BodyError> {
    let Some(value) = value else { return Ok((None, None)) };
    let value = std::str::from_utf8(value).map_err(|_| BodyError::Malformed)?;
    let (mut name, mut file_name) = (None, None);
    for piece in pieces(value).skip(1) {
        let (key, raw) = piece.split_once('=').unwrap_or((piece, ""));
        let key = key.trim();
        let raw = raw.trim();
        let slot = if key.eq_ignore_ascii_case("name") {
            &mut name
        } else if key.eq_ignore_ascii_case("filename") {
            &mut file_name
        } else if key.eq_ignore_ascii_case("name*") || key.eq_ignore_ascii_case("filename*") {
            return Err(BodyError::Malformed);
        } else {
            continue;
        };
        if slot.replace(raw).is_some() {
            return Err(BodyError::Malformed);
        }
    }
    Ok((name.map(unquote).transpose()?, file_name.map(unquote).transpose()?))
}

/// A parameter value as multer reads it: a quoted string without its quotes and with `\"` as a
/// quote, or a bare token. A stray quote is malformed.
fn unquote(raw: &str) -> Result<Cow<'_, str>, BodyError> {
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if inner.contains("\\\"") => Ok(Cow::Owned(inner.replace("\\\"", "\""))),
        Some(inner) => Ok(Cow::Borrowed(inner)),
        None if raw.contains('"') => Err(BodyError::Malformed),
        None => Ok(Cow::Borrowed(raw)),
    }
}

/// A header value's `;`-separated pieces, not splitting inside quoted strings.
fn pieces(value: &str) -> impl Iterator<Item = &str> {
    let mut pieces = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                pieces.push(value.get(start..at).unwrap_or_default());
                start = at + 1;
            }
            _ => {}
        }
    }
    pieces.push(value.get(start..).unwrap_or_default());
    pieces.into_iter()
}

/// The names of a header value's parameters (after the first item), skipping quoted strings,
/// so that `a="x; boundary=y"` names only `a`.
fn parameters(value: &str) -> impl Iterator<Item = &str> {
    pieces(value).skip(1).map(|p| p.split('=').next().unwrap_or_default().trim())
}

/// Reads a whole body. Attachments are sealed into `draft` as they arrive.
pub async fn read<S, E>(
    ctx: &Context<'_>,
    encoding: Encoding,
    body: S,
    draft: &mut Draft,
) -> Result<Received, BodyError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let mut state = State::new(ctx);
    match encoding {
        Encoding::UrlEncoded => {
            let limit = MAX_URLENCODED_BODY.min(ctx.limits.max_body);
            let bytes = collect(body, limit).await?;
            return read_urlencoded_body(ctx, &bytes);
        }
        Encoding::Multipart(boundary) => read_multipart(&mut state, body, boundary, draft).await?,
    }
    Ok(state.finish())
}

/// Reads a whole urlencoded body (already in memory, at most [`MAX_URLENCODED_BODY`]).
pub fn read_urlencoded_body(ctx: &Context<'_>, body: &[u8]) -> Result<Received, BodyError> {
    let mut state = State::new(ctx);
    read_urlencoded(&mut state, body)?;
    Ok(state.finish())
}

/// Parse state shared by both encodings.
struct State<'a> {
    ctx: &'a Context<'a>,
    values: Values,
    /// Which single-value fields have been seen (duplicates are malformed).
    seen: Vec<bool>,
    /// Per-field errors found while reading (sizes, counts).
    errors: Vec<(usize, FieldError)>,
    attachments: Vec<(usize, AttachmentMeta)>,
    /// Files received per field.
    files: Vec<usize>,
    parts: usize,
    token_checked: bool,
    /// The token, once it passed its check.
    token: Option<TokenId>,
    problem: Option<Problem>,
    /// Attachment files created in the draft so far (their numbers are never reused).
    files_created: usize,
}

impl<'a> State<'a> {
    fn new(ctx: &'a Context<'a>) -> Self {
        let n = ctx.form.fields.len();
        State {
            ctx,
            values: Values::new(ctx.form),
            seen: vec![false; n],
            errors: Vec::new(),
            attachments: Vec::new(),
            files: vec![0; n],
            parts: 0,
            token_checked: false,
            token: None,
            problem: None,
            files_created: 0,
        }
    }

    fn count_part(&mut self) -> Result<(), BodyError> {
        self.parts += 1;
        if self.parts > self.ctx.limits.max_fields { Err(BodyError::TooManyFields) } else { Ok(()) }
    }

    fn field(&self, name: &str) -> Option<(usize, &'a FieldSpec)> {
        self.ctx.form.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }

    /// Handles a complete non-file value.
    fn text(&mut self, name: &str, value: Zeroizing<String>, truncated: bool) -> Result<(), BodyError> {
        match name {
            TOKEN_FIELD => {
                if self.token_checked {
                    return Err(BodyError::Malformed);
                }
                self.token_checked = true;
                let l = self.ctx.limits;
                match self.ctx.tokens.check(&self.ctx.form.id, &value, self.ctx.now, l.min_fill_time, l.max_fill_time) {
                    Ok(id) => self.token = Some(id),
                    Err(p) => {
                        self.problem.get_or_insert(Problem::Token(p));
                    }
                }
            }
            HONEYPOT_FIELD => {
                if !value.trim().is_empty() {
                    self.problem = Some(Problem::Honeypot);
                }
            }
            _ => {
                let Some((index, spec)) = self.field(name) else { return Ok(()) };
                if spec.kind == FieldKind::File {
                    // A browser sends a file field as a file part; a text part here is a lie.
                    return Err(BodyError::Malformed);
                }
                let seen = self.seen.get_mut(index).ok_or(BodyError::Malformed)?;
                if std::mem::replace(seen, true) {
                    return Err(BodyError::Malformed);
                }
                // A cut select or checkbox value is simply not one of its options.
                let text_like = !matches!(spec.kind, FieldKind::Select | FieldKind::Checkbox);
                if truncated && text_like {
                    self.errors.push((index, FieldError::TooLong { max: spec.max_chars }));
                }
                if let Some(slot) = self.values.values.get_mut(index) {
                    *slot = normalise_newlines(value);
                }
            }
        }
        Ok(())
    }

    /// Bytes kept for a text part: enough for `max` characters of 4-byte UTF-8 (plus CRLFs).
    /// Selects keep their longest option, checkboxes a short value; a longer value cannot be
    /// valid, so cutting it loses nothing.
    fn text_budget(&self, name: &str) -> usize {
        match name {
            TOKEN_FIELD | HONEYPOT_FIELD => MAX_HIDDEN_BYTES,
            _ => self.field(name).map_or(0, |(_, f)| match f.kind {
                FieldKind::Select => f.options.iter().map(String::len).max().unwrap_or(0) + 1,
                FieldKind::Checkbox => MAX_HIDDEN_BYTES,
                _ => f.max_chars.max(3) * 4 + 2,
            }),
        }
    }

    /// Validates values and returns the outcome.
    fn finish(mut self) -> Received {
        if !self.token_checked && self.problem.is_none() {
            self.problem = Some(Problem::Token(TokenProblem::Invalid));
        }
        let mut errors = Vec::new();
        for (index, spec) in self.ctx.form.fields.iter().enumerate() {
            if let Some((_, e)) = self.errors.iter().find(|(i, _)| *i == index) {
                errors.push((index, e.clone()));
                continue;
            }
            let files = self.files.get(index).copied().unwrap_or_default();
            if let Some(e) = validate(spec, self.values.get(index), files) {
                errors.push((index, e));
            }
        }
        Received {
            values: self.values,
            attachments: self.attachments,
            errors,
            problem: self.problem,
            token: self.token,
        }
    }
}

/// Checks one field's final value.
fn validate(spec: &FieldSpec, value: &str, files: usize) -> Option<FieldError> {
    let empty = value.trim().is_empty();
    match spec.kind {
        FieldKind::File => (spec.required && files == 0).then_some(FieldError::Required),
        FieldKind::Checkbox => (spec.required && empty).then_some(FieldError::CheckboxRequired),
        _ if empty => spec.required.then_some(FieldError::Required),
        FieldKind::Select => (!spec.options.iter().any(|o| o == value)).then_some(FieldError::Select),
        _ if value.chars().count() > spec.max_chars => Some(FieldError::TooLong { max: spec.max_chars }),
        FieldKind::Email => (!is_email(value.trim())).then_some(FieldError::Email),
        FieldKind::Tel => (!is_tel(value.trim())).then_some(FieldError::Tel),
        FieldKind::Text | FieldKind::Textarea => None,
    }
}

/// A deliberately forgiving address check: one `@`, something before it, a dotted domain after.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Digits with the usual separators, and at least three digits.
fn is_tel(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || " +()-./".contains(c))
        && s.chars().filter(char::is_ascii_digit).count() >= 3
}

/// CRLF and lone CR become LF, into a buffer of the value's own size (the result is never
/// longer), so no growing copy of the text is left behind.
fn normalise_newlines(value: Zeroizing<String>) -> Zeroizing<String> {
    if !value.contains('\r') {
        return value;
    }
    let mut out = SecretBuf::with_capacity(value.len());
    let mut bytes = value.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b == b'\r' {
            bytes.next_if_eq(&b'\n');
            out.extend(b"\n");
        } else {
            out.extend(&[b]);
        }
    }
    // Only ASCII bytes were replaced or dropped, so the text is still UTF-8.
    out.into_string().unwrap_or_default()
}

/// Reads a whole (small) body into memory, refusing more than `limit` bytes.
/// The buffer grows only by moving to a larger allocation and wiping the old one.
async fn collect<S, E>(mut body: S, limit: u64) -> Result<SecretBuf, BodyError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    use futures_util::StreamExt;
    let mut out = SecretBuf::with_capacity(FIRST_TEXT_BUFFER);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| BodyError::Malformed)?;
        if out.len() as u64 + chunk.len() as u64 > limit {
            return Err(BodyError::TooLarge);
        }
        out.extend(&chunk);
    }
    Ok(out)
}

/// Parses `a=1&b=2` with `+` as space; invalid percent-escapes are kept literally (as browsers
/// never produce them), invalid UTF-8 is refused.
fn read_urlencoded(state: &mut State<'_>, body: &[u8]) -> Result<(), BodyError> {
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        state.count_part()?;
        let (key, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (pair.get(..at).unwrap_or_default(), pair.get(at + 1..).unwrap_or_default()),
            None => (pair, &b""[..]),
        };
        let key = decode_component(key)?;
        let value = decode_component(value)?;
        let budget = state.text_budget(&key);
        let truncated = value.len() > budget;
        let value = if truncated { Zeroizing::new(truncate_utf8(&value, budget).to_string()) } else { value };
        state.text(&key, value, truncated)?;
    }
    Ok(())
}

/// Decodes into buffers of the raw component's size (decoding never lengthens it), and hands
/// the text on without another copy.
fn decode_component(raw: &[u8]) -> Result<Zeroizing<String>, BodyError> {
    let mut plus = SecretBuf::with_capacity(raw.len());
    for b in raw {
        plus.extend(&[if *b == b'+' { b' ' } else { *b }]);
    }
    let mut bytes = SecretBuf::with_capacity(raw.len());
    for b in percent_encoding::percent_decode(&plus) {
        bytes.extend(&[b]);
    }
    bytes.into_string().ok_or(BodyError::Malformed)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate_utf8(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

async fn read_multipart<S, E>(
    state: &mut State<'_>,
    body: S,
    boundary: String,
    draft: &mut Draft,
) -> Result<(), BodyError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(state.ctx.limits.max_body));
    // The guard bounds the preamble and each part head, and refuses ambiguous heads.
    let body = heads::Guard::new(body, &boundary);
    let mut multipart = multer::Multipart::with_constraints(body, boundary, constraints);
    while let Some(mut part) = multipart.next_field().await.map_err(multipart_error)? {
        state.count_part()?;
        let disposition = part.headers().get(http::header::CONTENT_DISPOSITION).map(|v| v.as_bytes());
        let (strict_name, strict_file_name) = strict_disposition(disposition)?;
        if (strict_name.as_deref(), strict_file_name.as_deref()) != (part.name(), part.file_name()) {
            // multer finds `name` by searching the bytes, even inside another quoted value.
            return Err(BodyError::Malformed);
        }
        let name = part.name().unwrap_or_default().to_string();
        let is_file_field = state.field(&name).is_some_and(|(_, f)| f.kind == FieldKind::File);
        if let (true, Some(file_name)) = (is_file_field, part.file_name().map(str::to_string)) {
            let media_type = part.content_type().map(|m| m.essence_str().to_string());
            read_file(state, &name, file_name, media_type, &mut part, draft).await?;
            continue;
        }
        // A text part: keep at most its budget, drain the rest.
        let budget = state.text_budget(&name);
        let mut buf = SecretBuf::with_capacity(budget.min(FIRST_TEXT_BUFFER));
        let mut truncated = false;
        while let Some(chunk) = part.chunk().await.map_err(multipart_error)? {
            let room = budget.saturating_sub(buf.len());
            if chunk.len() > room {
                truncated = true;
            }
            buf.extend(chunk.get(..chunk.len().min(room)).unwrap_or_default());
        }
        match std::str::from_utf8(&buf) {
            Ok(_) => {}
            // A cut in the middle of a character is ours, not the client's.
            Err(e) if truncated && e.error_len().is_none() => buf.truncate(e.valid_up_to()),
            Err(_) => return Err(BodyError::Malformed),
        }
        let text = buf.into_string().ok_or(BodyError::Malformed)?;
        state.text(&name, text, truncated)?;
    }
    Ok(())
}

fn multipart_error(e: multer::Error) -> BodyError {
    match e {
        multer::Error::StreamSizeExceeded { .. } => BodyError::TooLarge,
        _ => BodyError::Malformed,
    }
}

/// Streams one file part into a new attachment of `draft`, or drains it if it must be refused.
async fn read_file(
    state: &mut State<'_>,
    name: &str,
    file_name: String,
    media_type: Option<String>,
    part: &mut multer::Field<'_>,
    draft: &mut Draft,
) -> Result<(), BodyError> {
    let Some((index, spec)) = state.field(name) else { return Ok(()) };
    // Hidden fields come first in the page; a file before them means no person sent this.
    if !state.token_checked && state.problem.is_none() {
        state.problem = Some(Problem::Token(TokenProblem::Invalid));
    }
    let count = state.files.get(index).copied().unwrap_or_default();
    let refuse = state.problem.is_some() || state.errors.iter().any(|(i, _)| *i == index) || file_name.is_empty();
    if refuse || count >= spec.max_files {
        if !file_name.is_empty() && count >= spec.max_files && !state.errors.iter().any(|(i, _)| *i == index) {
            state.errors.push((index, FieldError::TooManyFiles { max: spec.max_files }));
        }
        return drain(part).await;
    }
    if let Some(c) = state.files.get_mut(index) {
        *c += 1;
    }
    // Numbered by files created, not files kept: a refused file leaves its number taken.
    state.files_created += 1;
    let number = state.files_created;
    // The sealer stays with this request; blocking threads are borrowed only while a batch is
    // encrypted and hashed, so slow uploads cannot occupy the blocking pool. One batch is sealed
    // while the next arrives: at most two batches of plaintext per upload are in memory.
    let sealer = Box::new(draft.attachment(number, &state.ctx.recipients)?);
    let mut stage = Stage::Idle(sealer, Zeroizing::new(Vec::new()));
    let mut batch = Zeroizing::new(Vec::with_capacity(FIRST_BATCH));
    let mut batch_len = FIRST_BATCH;
    let mut size: u64 = 0;
    let mut too_large = false;
    while let Some(chunk) = part.chunk().await.map_err(multipart_error)? {
        size += chunk.len() as u64;
        if size > spec.max_size {
            too_large = true;
            break;
        }
        // Batches are filled to exactly their capacity, never grown: a grown Vec would leave an
        // unwiped copy of its plaintext behind in freed memory.
        // Invariant: batch.len() <= batch_len <= batch.capacity() between chunks.
        let mut rest: &[u8] = &chunk;
        while !rest.is_empty() {
            let (now, later) = rest.split_at(rest.len().min(batch_len - batch.len()));
            batch.extend_from_slice(now);
            rest = later;
            if batch.len() == batch_len {
                batch_len = (batch_len * 2).min(SEAL_BATCH);
                // The two buffers take turns; a too small one is dropped, which wipes it.
                let (sealer, mut spare) = stage.ready().await?;
                if spare.capacity() < batch_len {
                    spare = Zeroizing::new(Vec::with_capacity(batch_len));
                }
                spare.clear();
                let full = std::mem::replace(&mut batch, spare);
                stage = Stage::Sealing(seal_batch(sealer, full));
            }
        }
    }
    if too_large {
        // The sealer and its file go with the draft; a batch being sealed finishes on its own.
        // The plaintext held here is wiped now, not after the rest of the body has trickled in.
        drop(batch);
        drop(stage);
        state.errors.push((index, FieldError::FileTooLarge { name: display_name(&file_name), max: spec.max_size }));
        return drain(part).await;
    }
    // The last batch too is encrypted and hashed at once; then padding and the end of the stream
    // (the draft fsyncs the file at commit).
    if !batch.is_empty() {
        let (sealer, _spare) = stage.ready().await?;
        stage = Stage::Sealing(seal_batch(sealer, batch));
    }
    let (sealer, _spare) = stage.ready().await?;
    let digest = tokio::task::spawn_blocking(move || -> Result<AttachmentDigest, SealError> { sealer.finish() })
        .await
        .map_err(|_| SpoolError::Io(std::io::Error::other("sealing task failed")))?
        .map_err(SpoolError::from)?;
    draft.account(digest.stored)?;
    state.attachments.push((
        index,
        AttachmentMeta {
            file: format!("{number}.age"),
            name: display_name(&file_name),
            media_type: media_type
                .filter(|m| m.len() <= MAX_MEDIA_TYPE_BYTES)
                .unwrap_or_else(|| "application/octet-stream".into()),
            size: digest.size,
            sha256: digest.sha256,
        },
    ));
    Ok(())
}

/// The browser-supplied file name, cut to a sane length, with every control character (C0, DEL,
/// C1) replaced by U+FFFD: browsers send them, and the person's submission must still go
/// through. Never used as a path on the server; the staff client sanitises it again before
/// writing (invariant 8).
fn display_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let name: String =
        base.chars().take(MAX_FILE_NAME_CHARS).map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
    if name.trim().is_empty() { "attachment".into() } else { name }
}

/// A batch being sealed on the blocking pool; resolves to the sealer, ready for the next batch,
/// and the batch's buffer, for reuse.
type Sealing = Pin<Box<dyn Future<Output = Result<(AttachmentSealer, Batch), BodyError>> + Send>>;

/// Plaintext of an attachment gathered for one trip to the blocking pool; wiped when dropped.
type Batch = Zeroizing<Vec<u8>>;

/// An upload's sealer: waiting for a batch (with the spare buffer), or sealing one.
enum Stage {
    Idle(Box<AttachmentSealer>, Batch),
    Sealing(Sealing),
}

impl Stage {
    /// The sealer and a free buffer, once any batch in progress is sealed.
    async fn ready(self) -> Result<(AttachmentSealer, Batch), BodyError> {
        match self {
            Stage::Idle(sealer, spare) => Ok((*sealer, spare)),
            Stage::Sealing(sealing) => sealing.await,
        }
    }
}

/// Starts encrypting and hashing `batch` at once, on two blocking threads, and hands the sealer
/// back when both are done. The work starts now, not when the result is awaited.
fn seal_batch(sealer: AttachmentSealer, batch: Batch) -> Sealing {
    let (mut cipher, mut digest) = sealer.split();
    let batch = Arc::new(batch);
    let plaintext = batch.clone();
    let encrypting = tokio::task::spawn_blocking(move || cipher.write_batch(&plaintext).map(|()| cipher));
    let hashing = tokio::task::spawn_blocking(move || {
        digest.update(&batch);
        (digest, batch)
    });
    Box::pin(async move {
        let failed = || SpoolError::Io(std::io::Error::other("sealing task failed"));
        let (cipher, hashed) = futures_util::future::join(encrypting, hashing).await;
        let cipher = cipher.map_err(|_| failed())?.map_err(SpoolError::from)?;
        let (digest, batch) = hashed.map_err(|_| failed())?;
        // Both tasks are over, so the other reference is gone; if not, start a fresh buffer.
        let batch = Arc::try_unwrap(batch).unwrap_or_else(|_| Zeroizing::new(Vec::new()));
        Ok((AttachmentSealer::join(cipher, digest), batch))
    })
}

async fn drain(part: &mut multer::Field<'_>) -> Result<(), BodyError> {
    while part.chunk().await.map_err(multipart_error)?.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: FieldKind, required: bool) -> FieldSpec {
        FieldSpec {
            name: "f".into(),
            kind,
            required,
            max_chars: 10,
            options: vec!["a".into(), "b".into()],
            max_files: 2,
            max_size: 100,
            autocomplete: false,
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
        let form = config.form("f").unwrap();
        let tokens = TimingTokens::new([1; 32]);
        let now = SystemTime::now();
        let body = format!("_token={}&{body}", tokens.issue("f", now));
        let ctx = Context { form, recipients: form.recipients.current(), limits: &config.limits, tokens: &tokens, now };
        read_urlencoded_body(&ctx, body.as_bytes()).unwrap()
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
        let read = |v: &str| {
            strict_disposition(Some(v.as_bytes())).map(|(n, f)| (n.map(Cow::into_owned), f.map(Cow::into_owned)))
        };
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
        let spool = crate::spool::Spool::open(dir.path(), 1 << 30, 8 << 20).unwrap();
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
                let ctx = Context {
                    form,
                    recipients: form.recipients.current(),
                    limits: &config.limits,
                    tokens: &tokens,
                    now,
                };
                let mut draft = spool.begin("f").unwrap();
                let received =
                    read(&ctx, Encoding::Multipart("b".into()), futures_util::stream::iter(chunks), &mut draft)
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
}
