//! What reading a body gives: the values by field, the sealed attachments, per-field problems
//! and whole-form problems ([`Received`]), or why the body could not be read at all
//! ([`BodyError`]); and what the reader needs besides the body ([`Context`]).

use std::time::SystemTime;

use zeroize::Zeroizing;

use sealpost_format::envelope::AttachmentMeta;

use crate::config::{FormSpec, Limits};
use crate::limit::{TimingTokens, TokenId, TokenProblem};
use crate::seal::Recipients;
use crate::spool::SpoolError;

use super::heads::parameters;

/// Why a body could not be read at all. Each maps to one fixed error page in `http`.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Over `max_body` (or [`super::MAX_URLENCODED_BODY`]).
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
    /// Not one of the options (select, radio, checkboxes).
    Select,
    /// A required checkboxes field with none ticked.
    ChoicesRequired,
    /// Not a real date written year-month-day.
    Date,
    /// Not a whole number.
    Number,
    /// A whole number outside the field's bounds.
    NumberRange { min: i64, max: i64 },
    /// Does not match the field's `pattern`.
    Pattern,
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
    pub(super) values: Vec<Zeroizing<String>>,
}

impl Values {
    pub(super) fn new(form: &FormSpec) -> Self {
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

/// Everything [`super::read`] needs besides the body.
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
