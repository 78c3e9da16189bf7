//! One body being read: the values and problems so far, the timing token and honeypot checks,
//! and each field's value checked against its kind and bounds.

use bytes::Bytes;
use futures_util::Stream;
use zeroize::Zeroizing;

use sealpost_format::envelope::AttachmentMeta;

use crate::config::{FieldKind, FieldSpec};
use crate::limit::{TokenId, TokenProblem};

use super::outcome::{BodyError, Context, FieldError, Problem, Received, Values};
use super::values::{parse_date, parse_number};
use super::wipe::SecretBuf;

/// First allocation for a text value or a urlencoded body: most fit in it; a longer one moves
/// to twice the size at a time, wiping the old copy ([`wipe::SecretBuf`]).
pub(super) const FIRST_TEXT_BUFFER: usize = 16 * 1024;

/// Hidden field carrying the signed time the form was served.
pub const TOKEN_FIELD: &str = "_token";

/// Hidden honeypot field: people never see it, naive bots fill it in.
pub const HONEYPOT_FIELD: &str = "_homepage";

/// Longest honeypot or token value read; anything longer is a bot.
const MAX_HIDDEN_BYTES: usize = 256;

/// Parse state shared by both encodings.
pub(super) struct State<'a> {
    pub(super) ctx: &'a Context<'a>,
    values: Values,
    /// Which single-value fields have been seen (duplicates are malformed).
    seen: Vec<bool>,
    /// Per-field errors found while reading (sizes, counts).
    pub(super) errors: Vec<(usize, FieldError)>,
    pub(super) attachments: Vec<(usize, AttachmentMeta)>,
    /// Files received per field.
    pub(super) files: Vec<usize>,
    parts: usize,
    pub(super) token_checked: bool,
    /// The token, once it passed its check.
    token: Option<TokenId>,
    pub(super) problem: Option<Problem>,
    /// Attachment files created in the draft so far (their numbers are never reused).
    pub(super) files_created: usize,
}

impl<'a> State<'a> {
    pub(super) fn new(ctx: &'a Context<'a>) -> Self {
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

    pub(super) fn count_part(&mut self) -> Result<(), BodyError> {
        self.parts += 1;
        if self.parts > self.ctx.limits.max_fields { Err(BodyError::TooManyFields) } else { Ok(()) }
    }

    pub(super) fn field(&self, name: &str) -> Option<(usize, &'a FieldSpec)> {
        self.ctx.form.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }

    /// Handles a complete non-file value.
    pub(super) fn text(&mut self, name: &str, value: Zeroizing<String>, truncated: bool) -> Result<(), BodyError> {
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
                if spec.kind == FieldKind::Checkboxes {
                    return self.choice(index, spec, value, truncated);
                }
                let seen = self.seen.get_mut(index).ok_or(BodyError::Malformed)?;
                if std::mem::replace(seen, true) {
                    return Err(BodyError::Malformed);
                }
                // A value cut to its budget is never taken as what was sent: cutting at a character
                // boundary could leave a valid option, date or number behind.
                if let Some(error) = truncated.then(|| truncated_error(spec)).flatten() {
                    self.errors.push((index, error));
                }
                if let Some(slot) = self.values.values.get_mut(index) {
                    *slot = normalise_newlines(value);
                }
            }
        }
        Ok(())
    }

    /// One ticked box of a checkboxes field: its values are kept one per line, in the order
    /// sent. A box sent twice is malformed (browsers never do it), and so is any count beyond
    /// the options.
    fn choice(
        &mut self,
        index: usize,
        spec: &FieldSpec,
        value: Zeroizing<String>,
        truncated: bool,
    ) -> Result<(), BodyError> {
        let slot = self.values.values.get_mut(index).ok_or(BodyError::Malformed)?;
        if slot.lines().any(|v| v == value.as_str()) || slot.lines().count() >= spec.options.len() {
            return Err(BodyError::Malformed);
        }
        // Options are names without newlines, so one line is one value; anything else is not
        // an option and fails validation.
        if truncated || value.contains(['\n', '\r']) {
            self.errors.push((index, FieldError::Select));
            return Ok(());
        }
        let mut joined = SecretBuf::with_capacity(slot.len() + value.len() + 1);
        joined.extend(slot.as_bytes());
        if !slot.is_empty() {
            joined.extend(b"\n");
        }
        joined.extend(value.as_bytes());
        *slot = joined.into_string().ok_or(BodyError::Malformed)?;
        Ok(())
    }

    /// Bytes kept for a text part: enough for `max` characters of 4-byte UTF-8 (plus CRLFs).
    /// Selects keep their longest option, checkboxes a short value; a longer value cannot be
    /// valid, so cutting it loses nothing.
    pub(super) fn text_budget(&self, name: &str) -> usize {
        match name {
            TOKEN_FIELD | HONEYPOT_FIELD => MAX_HIDDEN_BYTES,
            _ => self.field(name).map_or(0, |(_, f)| match f.kind {
                FieldKind::Select | FieldKind::Radio | FieldKind::Checkboxes => {
                    f.options.iter().map(String::len).max().unwrap_or(0) + 1
                }
                FieldKind::Checkbox | FieldKind::Date | FieldKind::Number => MAX_HIDDEN_BYTES,
                _ => f.max_chars.max(3) * 4 + 2,
            }),
        }
    }

    /// Validates values and returns the outcome.
    pub(super) fn finish(mut self) -> Received {
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

/// What a value cut to its kind's budget is: too long for the kinds a person types freely, and
/// otherwise not one of the values the kind accepts. A tick box is ticked whatever its value.
fn truncated_error(spec: &FieldSpec) -> Option<FieldError> {
    match spec.kind {
        FieldKind::Checkbox => None,
        FieldKind::Date => Some(FieldError::Date),
        FieldKind::Number => Some(FieldError::Number),
        kind if kind.has_options() => Some(FieldError::Select),
        _ => Some(FieldError::TooLong { max: spec.max_chars }),
    }
}

/// Checks one field's final value.
pub(super) fn validate(spec: &FieldSpec, value: &str, files: usize) -> Option<FieldError> {
    let empty = value.trim().is_empty();
    let is_option = |v: &str| spec.options.iter().any(|o| o == v);
    match spec.kind {
        FieldKind::File => (spec.required && files == 0).then_some(FieldError::Required),
        FieldKind::Checkbox => (spec.required && empty).then_some(FieldError::CheckboxRequired),
        FieldKind::Checkboxes if empty => spec.required.then_some(FieldError::ChoicesRequired),
        FieldKind::Radio if empty => spec.required.then_some(FieldError::Select),
        _ if empty => spec.required.then_some(FieldError::Required),
        FieldKind::Select | FieldKind::Radio => (!is_option(value)).then_some(FieldError::Select),
        FieldKind::Checkboxes => (!value.lines().all(is_option)).then_some(FieldError::Select),
        FieldKind::Date => parse_date(value).is_none().then_some(FieldError::Date),
        FieldKind::Number => match (parse_number(value), spec.range) {
            (None, _) => Some(FieldError::Number),
            (Some(n), Some((min, max))) if n < min || n > max => Some(FieldError::NumberRange { min, max }),
            (Some(_), _) => None,
        },
        _ if value.chars().count() > spec.max_chars => Some(FieldError::TooLong { max: spec.max_chars }),
        _ if spec.pattern.as_ref().is_some_and(|p| !p.matches(value.trim())) => Some(FieldError::Pattern),
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
pub(super) fn normalise_newlines(value: Zeroizing<String>) -> Zeroizing<String> {
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
pub(super) async fn collect<S, E>(mut body: S, limit: u64) -> Result<SecretBuf, BodyError>
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
