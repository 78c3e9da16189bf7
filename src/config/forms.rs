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
const RESERVED_NAMES: &[&str] = &["static", "healthz", "staff", "sent", "favicon.ico", "robots.txt"];

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
    /// The HTML name and catalog key.
    pub name: String,
    /// What input it is.
    pub kind: FieldKind,
    /// Whether the form is refused without it.
    pub required: bool,
    /// Longest accepted value, in characters (text-like kinds).
    pub max_chars: usize,
    /// Allowed values (select only), each with a catalog label.
    pub options: Vec<String>,
    /// Most files this field takes (file only).
    pub max_files: usize,
    /// Largest single file in bytes (file only).
    pub max_size: u64,
    /// Whether browsers may offer autofill; off for anything sensitive.
    pub autocomplete: bool,
    /// Where the field's `name` is written, `config.toml:LINE`, for messages about it.
    pub defined_at: String,
}

/// The input kinds a form can use.
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
    /// One value from a fixed list.
    Select,
    /// A yes/no tick box.
    Checkbox,
    /// Documents.
    File,
}

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
    pub max: Option<usize>,
    #[serde(default)]
    pub options: Vec<String>,
    pub max_files: Option<usize>,
    pub max_size: Option<Size>,
    #[serde(default)]
    pub autocomplete: bool,
}

impl RawField {
    pub fn build(self, defined_at: String) -> Result<FieldSpec, String> {
        let default_max = match self.kind {
            FieldKind::Text => 1_000,
            FieldKind::Textarea => 20_000,
            FieldKind::Email => 320,
            FieldKind::Tel => 64,
            FieldKind::Select | FieldKind::Checkbox | FieldKind::File => 0,
        };
        let text_like = default_max > 0;
        if self.max.is_some() && !text_like {
            return Err("`max` applies only to text, textarea, email and tel".into());
        }
        let max_chars = self.max.unwrap_or(default_max);
        if text_like && max_chars == 0 {
            return Err("`max` must be at least 1".into());
        }
        if self.kind == FieldKind::Select {
            if self.options.is_empty() {
                return Err("a select needs `options`".into());
            }
            for option in &self.options {
                check_name(option).map_err(|m| format!("option \"{option}\" {m}"))?;
            }
        } else if !self.options.is_empty() {
            return Err("`options` applies only to select".into());
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
                return Err("`max_files` and `max_size` apply only to file fields".into());
            }
            (0, 0)
        };
        Ok(FieldSpec {
            name: self.name.into_inner(),
            kind: self.kind,
            required: self.required,
            max_chars,
            options: self.options,
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
            fields.push(field.build(defined_at).map_err(|m| ConfigError::Invalid {
                path: path.to_owned(),
                line: Some(line_of(text, span.start)),
                message: format!("form \"{id}\": field \"{name}\": {m}"),
                hint: None,
            })?);
        }
        if fields.is_empty() {
            return Err(invalid(id_span, format!("form \"{id}\" has no fields"), None));
        }
        let defined_at = format!("{}:{}", path.display(), line_of(text, id_span.start));
        forms.push(FormSpec { id, recipients_file, recipients: RecipientsSlot::new(recipients), fields, defined_at });
    }

    Ok(forms)
}
