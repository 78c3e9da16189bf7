//! `[[form]]`: each form's id, recipients file and fields, validated; the recipients swappable
//! while the service runs (`SIGHUP`).

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use serde::Deserialize;
use toml::Spanned;

use crate::seal::Recipients;

use super::errors::{ConfigError, Source, line_of};
use super::units::Size;

/// Form ids and field names that would collide with built-in routes or hidden fields.
const RESERVED_NAMES: &[&str] = &["static", "healthz", "staff", "sent", "status", "favicon.ico", "robots.txt"];

/// Longest follow-up message, in characters.
pub const FOLLOW_UP_MAX_CHARS: usize = 20_000;

/// One `[[form]]`.
#[derive(Debug)]
pub struct FormSpec {
    /// URL segment and catalog prefix, e.g. `asylum-help`.
    pub id: String,
    /// Where the recipients came from, for messages and reloads.
    pub recipients_file: PathBuf,
    /// The staff keys every submission to this form is sealed to; replaced on `SIGHUP`.
    pub recipients: RecipientsSlot,
    /// The fields, in page order.
    pub fields: Vec<FieldSpec>,
    /// Where the form's `id` is written, `config.toml:LINE`, for messages about it.
    pub defined_at: String,
}

impl FormSpec {
    /// True if the form has a file field, so it must be sent as multipart.
    pub fn has_files(&self) -> bool {
        self.fields.iter().any(|f| f.kind == FieldKind::File)
    }

    /// The form a person writes again on from the status page (DESIGN §10): a message and, if
    /// this form takes files, documents under the same bounds. It has this form's id (its timing
    /// tokens and spool folder are this form's); its recipients are read from this form at
    /// sealing time, never from the copy here.
    pub fn follow_up(&self) -> FormSpec {
        let mut fields = vec![FieldSpec {
            fieldset: None,
            name: "message".into(),
            kind: FieldKind::Textarea,
            required: true,
            max_chars: FOLLOW_UP_MAX_CHARS,
            options: Vec::new(),
            range: None,
            pattern: None,
            max_files: 0,
            max_size: 0,
            autocomplete: false,
            defined_at: self.defined_at.clone(),
        }];
        if let Some(files) = self.fields.iter().find(|f| f.kind == FieldKind::File) {
            fields.push(FieldSpec { name: "documents".into(), required: false, fieldset: None, ..files.clone() });
        }
        FormSpec {
            id: self.id.clone(),
            recipients_file: self.recipients_file.clone(),
            recipients: RecipientsSlot(RwLock::new(self.recipients.current())),
            fields,
            defined_at: self.defined_at.clone(),
        }
    }

    /// Reads the recipients file again and, if it is valid, makes it the form's recipients.
    /// On any error the current recipients stay in force. Returns how many there are now.
    pub fn reload_recipients(&self) -> Result<usize, ConfigError> {
        let text = std::fs::read_to_string(&self.recipients_file)
            .map_err(|source| ConfigError::Read { path: self.recipients_file.clone(), source })?;
        let recipients = Recipients::parse(&text).map_err(|source| ConfigError::Recipients {
            form: self.id.clone(),
            path: self.recipients_file.clone(),
            source,
        })?;
        let count = recipients.len();
        self.recipients.replace(recipients);
        Ok(count)
    }
}

/// A form's recipients, swappable while the service runs. A submission takes one snapshot
/// ([`RecipientsSlot::current`]) and seals its envelope and every attachment to it, so a reload
/// in the middle of an upload never splits a submission between two key sets.
pub struct RecipientsSlot(RwLock<Arc<Recipients>>);

impl RecipientsSlot {
    /// A slot holding `recipients`.
    pub fn new(recipients: Recipients) -> RecipientsSlot {
        RecipientsSlot(RwLock::new(Arc::new(recipients)))
    }

    /// The recipients in force now.
    pub fn current(&self) -> Arc<Recipients> {
        // A poisoned lock still holds a complete value: replacing is a single assignment.
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn replace(&self, recipients: Recipients) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(recipients);
    }
}

impl fmt::Debug for RecipientsSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.current().fmt(f)
    }
}

/// One field of a form.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The group it is shown in (`fieldset = "…"`): consecutive fields with the same name share one
    /// `<fieldset>` whose legend is the catalog's `fieldset-<form>-<name>`.
    pub fieldset: Option<String>,
    /// The HTML name and catalog key.
    pub name: String,
    /// What input it is.
    pub kind: FieldKind,
    /// Whether the form is refused without it.
    pub required: bool,
    /// Longest accepted value, in characters (text-like kinds).
    pub max_chars: usize,
    /// Allowed values (select, radio and checkboxes), each with a catalog label.
    pub options: Vec<String>,
    /// Smallest and largest value (number only).
    pub range: Option<(i64, i64)>,
    /// What the whole value must match, checked by the server (text, tel and email only).
    pub pattern: Option<Pattern>,
    /// Most files this field takes (file only).
    pub max_files: usize,
    /// Largest single file in bytes (file only).
    pub max_size: u64,
    /// Whether browsers may offer autofill; off for anything sensitive.
    pub autocomplete: bool,
    /// Where the field's `name` is written, `config.toml:LINE`, for messages about it.
    pub defined_at: String,
}

impl FieldSpec {
    /// True for the kinds whose value is one or more of `options`.
    pub fn has_options(&self) -> bool {
        self.kind.has_options()
    }
}

/// The input kinds a form can use. Every kind works without JavaScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    Textarea,
    /// An email address.
    Email,
    /// A telephone number.
    Tel,
    /// A calendar date: a native date picker, typed text where there is none; stored as
    /// `YYYY-MM-DD`.
    Date,
    /// A whole number between `min` and `max`.
    Number,
    /// One value from a fixed list, as a drop-down.
    Select,
    /// One value from a fixed list, every choice shown.
    Radio,
    /// Any number of values from a fixed list.
    Checkboxes,
    /// A yes/no tick box.
    Checkbox,
    /// Documents.
    File,
}

impl FieldKind {
    /// The name as written in the config, and in envelopes (`"kind"`).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Textarea => "textarea",
            FieldKind::Email => "email",
            FieldKind::Tel => "tel",
            FieldKind::Date => "date",
            FieldKind::Number => "number",
            FieldKind::Select => "select",
            FieldKind::Radio => "radio",
            FieldKind::Checkboxes => "checkboxes",
            FieldKind::Checkbox => "checkbox",
            FieldKind::File => "file",
        }
    }

    /// True for the kinds a person types freely into, whose `max` counts characters.
    pub fn has_max_chars(self) -> bool {
        self.default_max_chars().is_some()
    }

    /// True for the kinds whose value is one or more of `options`.
    pub fn has_options(self) -> bool {
        matches!(self, FieldKind::Select | FieldKind::Radio | FieldKind::Checkboxes)
    }

    /// Default and only meaning of `max` in characters: the kinds a person types freely into.
    fn default_max_chars(self) -> Option<usize> {
        match self {
            FieldKind::Text => Some(1_000),
            FieldKind::Textarea => Some(20_000),
            FieldKind::Email => Some(320),
            FieldKind::Tel => Some(64),
            _ => None,
        }
    }
}

/// Largest `max` of a text field, in characters: far beyond any answer a form needs, and a bound
/// on what one field may hold in memory (four bytes a character).
pub const MAX_TEXT_CHARS: usize = 100_000;

/// Longest `pattern` accepted in the config.
pub const MAX_PATTERN_CHARS: usize = 500;

/// Memory the compiled form of one `pattern` may take; the `regex` crate matches in time linear
/// in the value's length whatever the pattern, so this bounds its size only.
const PATTERN_SIZE_LIMIT: usize = 256 * 1024;

/// A field's `pattern`: the source as written and the compiled expression, anchored so that the
/// whole value must match.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// As written in the config, for `check-config`.
    pub source: String,
    regex: regex::Regex,
}

impl Pattern {
    /// Compiles `source`, anchored at both ends.
    pub fn new(source: &str) -> Result<Pattern, String> {
        if source.chars().count() > MAX_PATTERN_CHARS {
            return Err(format!("`pattern` is longer than {MAX_PATTERN_CHARS} characters"));
        }
        // Compiled on its own first: a pattern that closes the group around it (`a)|(b`) is
        // refused instead of escaping the anchors.
        let alone = regex::RegexBuilder::new(source).size_limit(PATTERN_SIZE_LIMIT).build();
        let regex = alone
            .and_then(|_| regex::RegexBuilder::new(&format!("^(?:{source})$")).size_limit(PATTERN_SIZE_LIMIT).build())
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => "`pattern` is too complex".to_string(),
                // The syntax error's own text points at the place with a caret over its lines.
                other => format!(
                    "`pattern` is not a valid regular expression: {}",
                    other.to_string().lines().last().unwrap_or_default().trim()
                ),
            })?;
        Ok(Pattern { source: source.to_string(), regex })
    }

    /// Whether the whole of `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }
}

const FIELD_HINT: &str = "see the field keys and kinds in config/sealpost.example.toml, above [[form]]";

const NAME_HINT: &str = "use lower-case letters, digits, '-' and '_', starting with a letter, at most 40 characters";

/// Form ids and field names become URL segments, HTML names and catalog keys.
fn check_name(name: &str) -> Result<(), &'static str> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !first_ok || !rest_ok || name.len() > 40 {
        return Err("is not a valid name");
    }
    if RESERVED_NAMES.contains(&name) {
        return Err("is reserved by sealpost");
    }
    Ok(())
}

/// One `[[form]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawForm {
    pub id: Spanned<String>,
    pub recipients: Spanned<PathBuf>,
    pub fields: Vec<RawField>,
}

/// One field of a form as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    pub name: Spanned<String>,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
    #[serde(default)]
    pub options: Vec<String>,
    pub pattern: Option<String>,
    pub fieldset: Option<String>,
    pub max_files: Option<usize>,
    pub max_size: Option<Size>,
    #[serde(default)]
    pub autocomplete: bool,
}

/// Largest `max` of a number field: far beyond any count a form asks, and exactly representable
/// in every JSON reader.
const NUMBER_BOUND: i64 = 1_000_000_000_000;

impl RawField {
    /// Checks that every key given makes sense for the kind, and builds the field.
    pub fn build(self, defined_at: String) -> Result<FieldSpec, String> {
        let kind = self.kind.as_str();
        let max_chars = match (self.kind.default_max_chars(), self.max) {
            (Some(default), None) => default,
            (Some(_), Some(max)) => usize::try_from(max)
                .ok()
                .filter(|m| (1..=MAX_TEXT_CHARS).contains(m))
                .ok_or(format!("`max` must be from 1 to {MAX_TEXT_CHARS} characters"))?,
            (None, _) => 0,
        };
        let range = if self.kind == FieldKind::Number {
            let (Some(min), Some(max)) = (self.min, self.max) else {
                return Err("a number needs both `min` and `max`, like `min = 1, max = 20`".into());
            };
            if min > max {
                return Err(format!("`min` ({min}) is larger than `max` ({max})"));
            }
            if min < -NUMBER_BOUND || max > NUMBER_BOUND {
                return Err(format!("`min` and `max` must be within ±{NUMBER_BOUND}"));
            }
            Some((min, max))
        } else {
            if self.min.is_some() {
                return Err(format!("`min` applies only to number fields, not {kind}"));
            }
            if self.max.is_some() && self.kind.default_max_chars().is_none() {
                return Err(format!(
                    "`max` applies only to text, textarea, email and tel (characters) and number (the largest value), not {kind}"
                ));
            }
            None
        };
        if self.kind.has_options() {
            let least = if self.kind == FieldKind::Select { 1 } else { 2 };
            if self.options.len() < least {
                return Err(match self.kind {
                    FieldKind::Select => "a select needs `options`".to_string(),
                    _ => format!(
                        "a {kind} field needs at least two `options`; for one yes/no question use kind = \"checkbox\""
                    ),
                });
            }
            let mut seen = HashSet::new();
            for option in &self.options {
                check_name(option).map_err(|m| format!("option \"{option}\" {m}"))?;
                if !seen.insert(option) {
                    return Err(format!("option \"{option}\" is listed twice"));
                }
            }
        } else if !self.options.is_empty() {
            return Err(format!("`options` applies only to select, radio and checkboxes, not {kind}"));
        }
        let pattern = match self.pattern {
            Some(_) if !matches!(self.kind, FieldKind::Text | FieldKind::Tel | FieldKind::Email) => {
                return Err(format!("`pattern` applies only to text, tel and email, not {kind}"));
            }
            Some(source) => Some(Pattern::new(&source)?),
            None => None,
        };
        if let Some(fieldset) = &self.fieldset {
            check_name(fieldset).map_err(|m| format!("fieldset \"{fieldset}\" {m}"))?;
        }
        let (max_files, max_size) = if self.kind == FieldKind::File {
            let size = self.max_size.ok_or("a file field needs `max_size`, like \"20 MiB\"")?;
            let files = self.max_files.unwrap_or(1);
            if files == 0 || size.0 == 0 {
                return Err("`max_files` and `max_size` must be at least 1".into());
            }
            (files, size.0)
        } else {
            if self.max_files.is_some() || self.max_size.is_some() {
                return Err(format!("`max_files` and `max_size` apply only to file fields, not {kind}"));
            }
            (0, 0)
        };
        if self.autocomplete && !matches!(self.kind, FieldKind::Text | FieldKind::Email | FieldKind::Tel) {
            return Err(format!("`autocomplete` applies only to text, email and tel, not {kind}"));
        }
        Ok(FieldSpec {
            fieldset: self.fieldset,
            name: self.name.into_inner(),
            kind: self.kind,
            required: self.required,
            max_chars,
            options: self.options,
            range,
            pattern,
            max_files,
            max_size,
            autocomplete: self.autocomplete,
            defined_at,
        })
    }
}

/// Every `[[form]]`, validated, with its recipients file read through `read` (relative to `base`).
pub(super) fn parse_forms(
    raw: Vec<RawForm>,
    source: Source<'_>,
    base: &Path,
    read: &mut dyn FnMut(&Path) -> std::io::Result<String>,
) -> Result<Vec<FormSpec>, ConfigError> {
    let (text, path) = (source.text, source.path);
    let invalid = |span, message, hint| source.invalid(span, message, hint);
    if raw.is_empty() {
        return Err(ConfigError::Invalid {
            path: path.to_owned(),
            line: None,
            message: "no [[form]] is defined".into(),
            hint: Some("copy the forms from config/sealpost.example.toml".into()),
        });
    }
    let mut forms = Vec::new();
    let mut ids = HashSet::new();
    for form in raw {
        let id_span = form.id.span();
        let id = form.id.into_inner();
        check_name(&id).map_err(|m| invalid(id_span.clone(), format!("form id \"{id}\": {m}"), Some(NAME_HINT)))?;
        if !ids.insert(id.clone()) {
            return Err(invalid(id_span, format!("form id \"{id}\" is defined twice"), None));
        }
        let recipients_file = base.join(form.recipients.get_ref());
        let recipients_text = read(&recipients_file).map_err(|source| ConfigError::Invalid {
            path: path.to_owned(),
            line: Some(line_of(text, form.recipients.span().start)),
            message: format!(
                "form \"{id}\": cannot read recipients file \"{}\": {}",
                recipients_file.display(),
                sealpost_format::files::io_reason(&source)
            ),
            hint: Some("relative paths are read from the config file's folder".into()),
        })?;
        let recipients = Recipients::parse(&recipients_text).map_err(|source| ConfigError::Recipients {
            form: id.clone(),
            path: recipients_file.clone(),
            source,
        })?;
        let mut fields = Vec::new();
        let mut names = HashSet::new();
        for field in form.fields {
            let span = field.name.span();
            let name = field.name.get_ref().clone();
            let at =
                |m: String| invalid(span.clone(), format!("form \"{id}\": field \"{name}\": {m}"), Some(NAME_HINT));
            check_name(&name).map_err(|m| at(m.to_string()))?;
            if !names.insert(name.clone()) {
                return Err(at("is defined twice".into()));
            }
            let defined_at = format!("{}:{}", path.display(), line_of(text, span.start));
            let field: FieldSpec = field.build(defined_at).map_err(|m| ConfigError::Invalid {
                path: path.to_owned(),
                line: Some(line_of(text, span.start)),
                message: format!("form \"{id}\": field \"{name}\": {m}"),
                hint: Some(FIELD_HINT.into()),
            })?;
            // A group is one run of fields: its legend is shown once, above the first of them.
            let previous = fields.last().and_then(|f: &FieldSpec| f.fieldset.as_ref());
            if let Some(group) = &field.fieldset
                && previous != Some(group)
                && fields.iter().any(|f| f.fieldset.as_ref() == Some(group))
            {
                return Err(invalid(
                    span.clone(),
                    format!(
                        "form \"{id}\": field \"{name}\": fieldset \"{group}\" is already closed by the fields above"
                    ),
                    Some("list the fields of one fieldset next to each other"),
                ));
            }
            fields.push(field);
        }
        if fields.is_empty() {
            return Err(invalid(id_span, format!("form \"{id}\" has no fields"), None));
        }
        // Each option's input has the HTML id `f-<field>-<option>` (the first takes `f-<field>`),
        // which must not be another field's.
        for field in &fields {
            for option in &field.options {
                let clash = format!("{}-{option}", field.name);
                if let Some(other) = fields.iter().find(|f| f.name == clash) {
                    return Err(ConfigError::Invalid {
                        path: path.to_owned(),
                        line: other.defined_at.rsplit_once(':').and_then(|(_, l)| l.parse().ok()),
                        message: format!(
                            "form \"{id}\": field \"{clash}\" has the name of field \"{}\"'s option \"{option}\" on the page",
                            field.name
                        ),
                        hint: Some("rename the field or the option".into()),
                    });
                }
            }
        }
        let defined_at = format!("{}:{}", path.display(), line_of(text, id_span.start));
        forms.push(FormSpec { id, recipients_file, recipients: RecipientsSlot::new(recipients), fields, defined_at });
    }

    Ok(forms)
}
