//! Translation catalogs (Fluent) and language negotiation.
//!
//! Job: give every page, label, help text and error message in the reader's language, chosen by
//! `?lang=` or else `Accept-Language`, with English filling any gap.
//! Invariant: every message a form needs exists in English (checked at startup by
//! [`Catalog::check_forms`]), so no page ever shows a raw message id.
//! Never: sets a cookie or remembers a choice; logs the negotiated language (invariant 5).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::config::{FormSpec, SiteText};

/// A shipped language: its code, its name in its own script, direction, and catalog.
struct Shipped {
    code: &'static str,
    name: &'static str,
    rtl: bool,
    ftl: &'static str,
}

/// The languages compiled into the binary, in the order the language links show them. To add one:
/// drop `src/i18n/<code>.ftl` next to `en.ftl` and add a line here; `tests` checks it has exactly
/// English's message ids and its own text for each of them.
const SHIPPED: &[Shipped] = &[
    Shipped { code: "en", name: "English", rtl: false, ftl: include_str!("i18n/en.ftl") },
    Shipped { code: "es", name: "Español", rtl: false, ftl: include_str!("i18n/es.ftl") },
    Shipped { code: "fr", name: "Français", rtl: false, ftl: include_str!("i18n/fr.ftl") },
    Shipped { code: "ht", name: "Kreyòl ayisyen", rtl: false, ftl: include_str!("i18n/ht.ftl") },
    Shipped { code: "pt", name: "Português", rtl: false, ftl: include_str!("i18n/pt.ftl") },
    Shipped { code: "ar", name: "العربية", rtl: true, ftl: include_str!("i18n/ar.ftl") },
    Shipped { code: "fa", name: "فارسی", rtl: true, ftl: include_str!("i18n/fa.ftl") },
    Shipped { code: "ps", name: "پښتو", rtl: true, ftl: include_str!("i18n/ps.ftl") },
    Shipped { code: "ru", name: "Русский", rtl: false, ftl: include_str!("i18n/ru.ftl") },
    Shipped { code: "uk", name: "Українська", rtl: false, ftl: include_str!("i18n/uk.ftl") },
    Shipped { code: "zh-Hans", name: "简体中文", rtl: false, ftl: include_str!("i18n/zh-Hans.ftl") },
    Shipped { code: "tr", name: "Türkçe", rtl: false, ftl: include_str!("i18n/tr.ftl") },
];

/// Why the catalogs are unusable.
#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    /// A catalog has Fluent syntax errors.
    #[error("catalog \"{code}\" has a syntax error near: {snippet}")]
    Syntax { code: String, snippet: String },
    /// A form or field has no label in the English catalog.
    #[error("{at}: form \"{form}\": the catalog has no message \"{id}\"")]
    Missing { at: String, form: String, id: String },
    /// `staff.locale` names a language that is not shipped.
    #[error("staff.locale \"{0}\" is not a shipped language")]
    UnknownLocale(String),
    /// An operator catalog (`pages.translations`) has a Fluent syntax error.
    #[error("{}:{line}: {message}", path.display())]
    OperatorSyntax { path: PathBuf, line: usize, message: String },
    /// An operator catalog cannot be used: unreadable, too large, or not a shipped language.
    #[error("{}: {message}", path.display())]
    OperatorFile { path: PathBuf, message: String, hint: String },
}

impl I18nError {
    /// The fix.
    pub fn hint(&self) -> Option<String> {
        match self {
            I18nError::Missing { .. } => Some(
                "forms and fields need English labels, in src/i18n/en.ftl or the en.ftl of pages.translations: form-<form>-title, field-<form>-<field> and option-<form>-<field>-<value>".into(),
            ),
            I18nError::OperatorSyntax { .. } => Some(
                "each message is `id = text` on one line, attributes `.help = text` indented below it; compare with src/i18n/en.ftl".into(),
            ),
            I18nError::OperatorFile { hint, .. } => Some(hint.clone()),
            I18nError::UnknownLocale(_) => Some(format!("choose one of: {}", SHIPPED.iter().map(|s| s.code).collect::<Vec<_>>().join(", "))),
            I18nError::Syntax { .. } => None,
        }
    }
}

/// One language's messages, with English underneath for anything missing.
pub struct Locale {
    /// BCP 47 code, e.g. `en`, `fa`.
    pub code: &'static str,
    /// The language's name in its own script, for the language links.
    pub name: &'static str,
    /// Right-to-left script.
    pub rtl: bool,
    bundle: FluentBundle<FluentResource>,
    /// The message ids this language's own catalog defines (the rest come from English).
    own: HashSet<String>,
}

impl Locale {
    /// `"rtl"` or `"ltr"`, for `<html dir>`.
    pub fn dir(&self) -> &'static str {
        if self.rtl { "rtl" } else { "ltr" }
    }

    /// The message `id`; its id itself if missing (which startup checks prevent for forms).
    pub fn text(&self, id: &str) -> String {
        self.format(id, None, None).unwrap_or_else(|| id.to_string())
    }

    /// The message `id` with variables.
    pub fn text_with(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, v.clone());
        }
        self.format(id, None, Some(&fa)).unwrap_or_else(|| id.to_string())
    }

    /// The attribute `attr` of message `id` (e.g. a field's `.help`), if it has one.
    pub fn attr(&self, id: &str, attr: &str) -> Option<String> {
        self.format(id, Some(attr), None)
    }

    /// Whether message `id` exists.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    /// Whether this language's own catalog has message `id`, not English underneath.
    pub fn translates(&self, id: &str) -> bool {
        self.own.contains(id)
    }

    fn format(&self, id: &str, attr: Option<&str>, args: Option<&FluentArgs<'_>>) -> Option<String> {
        let message = self.bundle.get_message(id)?;
        let pattern = match attr {
            Some(a) => message.get_attribute(a)?.value(),
            None => message.value()?,
        };
        let mut errors = Vec::new();
        let text: Cow<'_, str> = self.bundle.format_pattern(pattern, args, &mut errors);
        Some(text.into_owned())
    }
}

/// Largest operator catalog read (a form's labels in one language are a few KiB).
pub const MAX_OPERATOR_CATALOG: u64 = 1 << 20;

/// Where a message is defined: a file and a line, for messages about translations that lack it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `src/i18n/en.ftl`, or the operator's catalog as its path was given.
    pub file: String,
    /// 1-based.
    pub line: usize,
}

/// All shipped languages, with the operator's catalogs on top.
pub struct Catalog {
    locales: Vec<Locale>,
    /// Where each English message is defined, for the messages that name a missing translation.
    english_origin: HashMap<String, Origin>,
    /// `pages.translations`, where each language's operator catalog is (or would be).
    translations: Option<PathBuf>,
}

/// One catalog to layer: its text, and the file it comes from (for messages).
struct Layer {
    text: Cow<'static, str>,
    file: String,
}

impl Catalog {
    /// Parses the catalogs compiled into the binary.
    pub fn embedded() -> Result<Catalog, I18nError> {
        Catalog::load(None, &[])
    }

    /// The shipped catalogs, with the operator's `<lang>.ftl` files from `translations` (the
    /// folder `pages.translations` names) on top: they add messages, such as a custom form's
    /// labels, and override shipped ones. English stands under every language, so a language
    /// that lacks a message shows its English text; the English it shows for a message the
    /// operator's `en.ftl` defines is the operator's, even where a shipped translation exists
    /// (the shipped one may say something else). Every layer of one language is parsed, and
    /// every problem is an error naming its file and line.
    ///
    /// `site` holds the English texts of `[site]` (the organisation's name, …): they stand where an
    /// operator's `en.ftl` message would, so the operator's other catalogs translate them; an
    /// `en.ftl` that defines one of them too is refused, since either could be meant.
    pub fn load(translations: Option<&Path>, site: &[SiteText]) -> Result<Catalog, I18nError> {
        let mut operator = match translations {
            Some(dir) => read_operator_catalogs(dir)?,
            None => BTreeMap::new(),
        };
        let shipped_english = SHIPPED.first().map(|s| s.ftl).unwrap_or_default();
        let operator_english: Vec<Layer> = {
            let mut layers = Vec::new();
            if !site.is_empty() {
                let text = site.iter().map(|t| site_message(t.id, &t.text)).collect::<String>();
                layers.push(Layer { text: Cow::Owned(text), file: "[site]".into() });
            }
            if let Some(en) = operator.remove("en") {
                let defined = message_lines(&en.text);
                if let Some(text) = site.iter().find(|t| defined.contains_key(t.id)) {
                    return Err(I18nError::OperatorFile {
                        path: PathBuf::from(&en.file),
                        message: format!(
                            "line {}: \"{}\" is also given by [site] at {}",
                            defined.get(text.id).copied().unwrap_or_default(),
                            text.id,
                            text.defined_at
                        ),
                        hint: "keep one of the two: the English text in [site], or the message in en.ftl".into(),
                    });
                }
                layers.push(en);
            }
            layers
        };
        let shipped_english = Layer { text: Cow::Borrowed(shipped_english), file: "src/i18n/en.ftl".into() };
        let mut english_origin = HashMap::new();
        for layer in std::iter::once(&shipped_english).chain(&operator_english) {
            for (id, line) in message_lines(&layer.text) {
                english_origin.insert(id, Origin { file: layer.file.clone(), line });
            }
        }
        for text in site {
            let (file, line) = text.defined_at.rsplit_once(':').unwrap_or((&text.defined_at, "0"));
            english_origin
                .insert(text.id.to_string(), Origin { file: file.into(), line: line.parse().unwrap_or_default() });
        }
        let operator_english_ids: HashSet<String> =
            operator_english.iter().flat_map(|layer| message_lines(&layer.text).into_keys()).collect();
        let mut locales = Vec::new();
        for shipped in SHIPPED {
            let lang: LanguageIdentifier =
                shipped.code.parse().map_err(|_| I18nError::UnknownLocale(shipped.code.into()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // Keep text clean for plain-text envelopes; pages set `dir` on their own elements.
            bundle.set_use_isolating(false);
            let own_layer = operator.remove(shipped.code);
            let shipped_layer =
                Layer { text: Cow::Borrowed(shipped.ftl), file: format!("src/i18n/{}.ftl", shipped.code) };
            let mut layers: Vec<&Layer> = vec![&shipped_english];
            if shipped.code != "en" {
                layers.push(&shipped_layer);
            }
            layers.extend(&operator_english);
            if shipped.code != "en" {
                layers.extend(own_layer.as_ref());
            }
            let mut own = HashSet::new();
            for layer in layers {
                let resource = parse_layer(layer, shipped.code)?;
                let ids = message_ids(&resource);
                if shipped.code == "en" {
                    own.extend(ids);
                } else if std::ptr::eq(layer, &shipped_layer) {
                    own.extend(ids.into_iter().filter(|id| !operator_english_ids.contains(id)));
                } else if own_layer.as_ref().is_some_and(|l| std::ptr::eq(layer, l)) {
                    own.extend(ids);
                }
                bundle.add_resource_overriding(resource);
            }
            locales.push(Locale { code: shipped.code, name: shipped.name, rtl: shipped.rtl, bundle, own });
        }
        Ok(Catalog { locales, english_origin, translations: translations.map(Path::to_path_buf) })
    }

    /// Where English message `id` is defined.
    pub fn origin(&self, id: &str) -> Option<&Origin> {
        self.english_origin.get(id)
    }

    /// The operator's catalog for `code`, where a translation it lacks belongs; `None` without
    /// `pages.translations`.
    pub fn operator_catalog(&self, code: &str) -> Option<PathBuf> {
        self.translations.as_ref().map(|dir| dir.join(format!("{code}.ftl")))
    }

    /// Every language, in the order the language links show them.
    pub fn locales(&self) -> &[Locale] {
        &self.locales
    }

    /// English: the fallback for everything.
    pub fn english(&self) -> &Locale {
        // invariant: SHIPPED is non-empty and starts with English
        #[allow(clippy::indexing_slicing)]
        &self.locales[0]
    }

    /// The language with this exact code.
    pub fn get(&self, code: &str) -> Option<&Locale> {
        self.locales.iter().find(|l| l.code.eq_ignore_ascii_case(code))
    }

    /// Picks the reader's language: `?lang=` if shipped, else the best `Accept-Language`
    /// match by q-value (primary subtag match), else English.
    pub fn negotiate(&self, query: Option<&str>, accept_language: Option<&str>) -> &Locale {
        if let Some(l) = query.and_then(|q| self.lookup(q)) {
            return l;
        }
        let mut best: Option<(f32, &Locale)> = None;
        for (index, item) in accept_language.unwrap_or_default().split(',').take(32).enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let q = parts.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            // earlier entries win ties
            let score = q - index as f32 * 1e-4;
            if q > 0.0
                && let Some(l) = self.lookup(tag)
                && best.is_none_or(|(s, _)| score > s)
            {
                best = Some((score, l));
            }
        }
        best.map_or_else(|| self.english(), |(_, l)| l)
    }

    fn lookup(&self, tag: &str) -> Option<&Locale> {
        let tag = tag.trim();
        if tag.is_empty() || tag.len() > 35 {
            return None;
        }
        // The exact code, else a shipped code of the same language: `pt-BR` → `pt`, and `zh`, `zh-CN`
        // or `zh_SG` → `zh-Hans` (the only Chinese shipped, so `zh-TW` readers get it, not English).
        self.get(tag).or_else(|| {
            let primary = primary_subtag(tag);
            self.locales.iter().find(|l| primary_subtag(l.code).eq_ignore_ascii_case(primary))
        })
    }

    /// Checks that every form, fieldset, field and option has its label in English, and that
    /// the staff locale is shipped.
    pub fn check_forms(&self, forms: &[FormSpec], staff_locale: &str) -> Result<(), I18nError> {
        if self.get(staff_locale).is_none() {
            return Err(I18nError::UnknownLocale(staff_locale.into()));
        }
        let en = self.english();
        for form in forms {
            for (at, id) in form_messages(form) {
                if !en.has(&id) {
                    return Err(I18nError::Missing { at: at.to_string(), form: form.id.clone(), id });
                }
            }
        }
        Ok(())
    }
}

impl Catalog {
    /// Every message id a form shows: its title, each fieldset's legend, each field's label and
    /// each option's label.
    pub fn form_message_ids(form: &FormSpec) -> Vec<String> {
        form_messages(form).into_iter().map(|(_, id)| id).collect()
    }

    /// For each language other than English, the ids of `form`'s labels it does not translate
    /// itself (English text stands in for them); languages that translate all are left out.
    pub fn untranslated(&self, form: &FormSpec) -> Vec<(&'static str, Vec<String>)> {
        self.untranslated_ids(&Catalog::form_message_ids(form))
    }

    /// Like [`Catalog::untranslated`], for the texts the operator gave in `[site]` or added to
    /// the site's messages in `en.ftl` (a shipped text such as "Secure contact" is translated).
    pub fn untranslated_site(&self) -> Vec<(&'static str, Vec<String>)> {
        let ids: Vec<String> =
            [crate::config::SITE_NAME_ID, crate::config::SITE_EMERGENCY_ID, crate::config::SITE_ADDRESS_ID]
                .into_iter()
                .filter(|id| self.origin(id).is_some_and(|o| !o.file.starts_with("src/")))
                .map(str::to_string)
                .collect();
        self.untranslated_ids(&ids)
    }

    fn untranslated_ids(&self, ids: &[String]) -> Vec<(&'static str, Vec<String>)> {
        self.locales
            .iter()
            .skip(1)
            .map(|locale| (locale.code, ids.iter().filter(|id| !locale.translates(id)).cloned().collect::<Vec<_>>()))
            .filter(|(_, missing)| !missing.is_empty())
            .collect()
    }
}

/// Every message a form needs, with the config line that asks for it.
fn form_messages(form: &FormSpec) -> Vec<(&str, String)> {
    let mut ids = vec![(form.defined_at.as_str(), form_title_id(&form.id))];
    for field in &form.fields {
        if let Some(group) = &field.fieldset {
            let id = fieldset_id(&form.id, group);
            if !ids.iter().any(|(_, known)| *known == id) {
                ids.push((field.defined_at.as_str(), id));
            }
        }
        ids.push((field.defined_at.as_str(), field_id(&form.id, &field.name)));
        if field.has_options() {
            ids.extend(
                field
                    .options
                    .iter()
                    .map(|option| (field.defined_at.as_str(), option_id(&form.id, &field.name, option))),
            );
        }
    }
    ids
}

/// One `[site]` text as a Fluent message whose text is exactly `text`: braces and the characters
/// that start special lines are written as string literals, and every line is indented.
fn site_message(id: &str, text: &str) -> String {
    let mut out = format!("{id} =\n");
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str("    ");
        for (index, c) in line.chars().enumerate() {
            match c {
                '{' | '}' => out.push_str(&format!("{{\"{c}\"}}")),
                '[' | '*' | '.' if index == 0 => out.push_str(&format!("{{\"{c}\"}}")),
                c => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// Parses one layer; a syntax error names its file and line (shipped catalogs are checked by the
/// tests, so only an operator's can fail here).
fn parse_layer(layer: &Layer, code: &str) -> Result<FluentResource, I18nError> {
    FluentResource::try_new(layer.text.to_string()).map_err(|(_, errors)| {
        let first = errors.first();
        // The start of the entry that could not be read, else where the parser stopped.
        let offset = first.map(|e| e.slice.as_ref().map_or(e.pos.start, |slice| slice.start)).unwrap_or_default();
        let line = layer.text.get(..offset).unwrap_or(&layer.text).matches('\n').count() + 1;
        let message = first.map(|e| e.kind.to_string()).unwrap_or_else(|| "syntax error".into());
        if layer.file.starts_with("src/") {
            I18nError::Syntax { code: code.into(), snippet: format!("{}:{line}: {message}", layer.file) }
        } else {
            I18nError::OperatorSyntax { path: PathBuf::from(&layer.file), line, message }
        }
    })
}

/// The operator's catalogs in `dir`, by language code: every `<code>.ftl` there, each a shipped
/// language, at most [`MAX_OPERATOR_CATALOG`] bytes, UTF-8. Other files are left alone.
fn read_operator_catalogs(dir: &Path) -> Result<BTreeMap<&'static str, Layer>, I18nError> {
    let problem = |path: &Path, message: String, hint: &str| I18nError::OperatorFile {
        path: path.to_path_buf(),
        message,
        hint: hint.to_string(),
    };
    let entries = std::fs::read_dir(dir).map_err(|e| {
        problem(
            dir,
            format!("pages.translations: cannot read the folder: {}", sealpost_format::files::io_reason(&e)),
            "create the folder, or leave pages.translations out; relative paths are read from the config file's folder",
        )
    })?;
    let mut catalogs = BTreeMap::new();
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.extension().and_then(|e| e.to_str()) != Some("ftl") {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let Some(shipped) = SHIPPED.iter().find(|s| s.code == stem) else {
            return Err(problem(
                &path,
                format!("\"{stem}\" is not one of sealpost's languages"),
                &format!(
                    "name each file after a shipped language: {}",
                    SHIPPED.iter().map(|s| format!("{}.ftl", s.code)).collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or_default();
        if size > MAX_OPERATOR_CATALOG {
            return Err(problem(
                &path,
                format!("is {size} bytes, over the {MAX_OPERATOR_CATALOG}-byte bound for a catalog"),
                "a catalog holds labels and short texts; keep long documents on the organisation's own site and link them",
            ));
        }
        let text = std::fs::read(&path)
            .map_err(|e| {
                problem(
                    &path,
                    format!("cannot read: {}", sealpost_format::files::io_reason(&e)),
                    "check its owner and permissions",
                )
            })
            .and_then(|bytes| {
                String::from_utf8(bytes)
                    .map_err(|_| problem(&path, "is not UTF-8 text".into(), "save it as UTF-8 (every editor can)"))
            })?;
        catalogs.insert(shipped.code, Layer { text: Cow::Owned(text), file: path.display().to_string() });
    }
    Ok(catalogs)
}

/// Each message id a catalog's text defines, with its 1-based line (a message starts a line
/// with its id, then `=`).
fn message_lines(text: &str) -> HashMap<String, usize> {
    let mut lines = HashMap::new();
    for (number, line) in text.lines().enumerate() {
        let id: String = line.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        let first = id.chars().next();
        let rest = line.get(id.len()..).unwrap_or_default();
        if first.is_some_and(|c| c.is_ascii_alphabetic()) && rest.trim_start().starts_with('=') {
            lines.insert(id, number + 1);
        }
    }
    lines
}

/// The ids of the messages (not terms) a catalog defines.
fn message_ids(resource: &FluentResource) -> HashSet<String> {
    resource
        .entries()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_string()),
            _ => None,
        })
        .collect()
}

/// The language part of a tag: `zh` of `zh-Hans` or `zh_CN`.
fn primary_subtag(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or_default()
}

/// Message id of a form's title (attribute `.intro` holds its introduction).
pub fn form_title_id(form: &str) -> String {
    format!("form-{form}-title")
}

/// Message id of a field's label (attribute `.help` holds its help text).
pub fn field_id(form: &str, field: &str) -> String {
    format!("field-{form}-{field}")
}

/// Message id of a fieldset's legend (attribute `.help` holds a line under it).
pub fn fieldset_id(form: &str, fieldset: &str) -> String {
    format!("fieldset-{form}-{fieldset}")
}

/// Message id of an option's label (select, radio, checkboxes).
pub fn option_id(form: &str, field: &str, option: &str) -> String {
    format!("option-{form}-{field}-{option}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast::{Entry, Expression, InlineExpression, PatternElement};
    use std::collections::BTreeSet;

    fn ids_and_vars(ftl: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let resource = fluent_syntax::parser::parse(ftl).unwrap_or_else(|(_, e)| panic!("syntax: {e:?}"));
        let mut ids = BTreeSet::new();
        let mut vars = BTreeSet::new();
        for entry in resource.body {
            if let Entry::Message(m) = entry {
                let mut patterns: Vec<_> = m.value.iter().collect();
                ids.insert(m.id.name.to_string());
                for a in &m.attributes {
                    ids.insert(format!("{}.{}", m.id.name, a.id.name));
                    patterns.push(&a.value);
                }
                for p in patterns {
                    for element in &p.elements {
                        if let PatternElement::Placeable { expression } = element {
                            let inline = match expression {
                                Expression::Inline(i) => i,
                                Expression::Select { selector, .. } => selector,
                            };
                            if let InlineExpression::VariableReference { id } = inline {
                                vars.insert(format!("{}:{}", m.id.name, id.name));
                            }
                        }
                    }
                }
            }
        }
        (ids, vars)
    }

    #[test]
    fn every_catalog_has_exactly_the_english_ids_and_variables() {
        let english = SHIPPED.first().unwrap();
        let (en_ids, en_vars) = ids_and_vars(english.ftl);
        for shipped in SHIPPED {
            let (ids, vars) = ids_and_vars(shipped.ftl);
            assert_eq!(ids, en_ids, "{} has different message ids", shipped.code);
            assert!(
                vars.is_subset(&en_vars),
                "{} uses variables English does not: {:?}",
                shipped.code,
                vars.difference(&en_vars)
            );
        }
    }

    #[test]
    fn embedded_catalogs_parse() {
        let catalog = Catalog::embedded().unwrap();
        assert_eq!(catalog.english().code, "en");
        assert!(catalog.english().has("site-title"));
    }

    #[test]
    fn negotiates_query_then_accept_language_then_english() {
        let catalog = Catalog::embedded().unwrap();
        assert_eq!(catalog.negotiate(Some("en"), Some("xx")).code, "en");
        assert_eq!(catalog.negotiate(Some("zz"), Some("en-GB;q=0.5")).code, "en");
        assert_eq!(catalog.negotiate(None, None).code, "en");
        assert_eq!(catalog.negotiate(None, Some("garbage;;;,q=")).code, "en");
        let long = "x".repeat(10_000);
        assert_eq!(catalog.negotiate(Some(&long), Some(&long)).code, "en");
    }

    #[test]
    fn formats_variables_without_isolation_marks() {
        let catalog = Catalog::embedded().unwrap();
        let text = catalog.english().text_with("error-too-long", &[("max", FluentValue::from(500))]);
        assert!(text.contains("500"), "{text}");
        assert!(!text.contains('\u{2068}'));
    }

    /// Every message and attribute of the English catalog, as (id, attribute).
    fn english_patterns() -> Vec<(String, Option<String>)> {
        let resource = fluent_syntax::parser::parse(SHIPPED[0].ftl).unwrap_or_else(|(_, e)| panic!("syntax: {e:?}"));
        let mut out = Vec::new();
        for entry in resource.body {
            if let Entry::Message(m) = entry {
                if m.value.is_some() {
                    out.push((m.id.name.to_string(), None));
                }
                for a in &m.attributes {
                    out.push((m.id.name.to_string(), Some(a.id.name.to_string())));
                }
            }
        }
        out
    }

    /// Formats one pattern with every variable any message uses set (numbers to `n`), keeping errors.
    fn render(locale: &Locale, id: &str, attr: Option<&str>, n: i64) -> (String, Vec<String>) {
        let mut args = FluentArgs::new();
        for number in ["min", "max", "count", "minutes", "days", "group"] {
            args.set(number, n);
        }
        args.set("size", "10 MB");
        args.set("name", "scan.pdf");
        args.set("date", "2026-12-31");
        let message = locale.bundle.get_message(id).unwrap_or_else(|| panic!("{}: no message {id}", locale.code));
        let pattern = match attr {
            Some(a) => message.get_attribute(a).unwrap_or_else(|| panic!("{}: no {id}.{a}", locale.code)).value(),
            None => message.value().unwrap_or_else(|| panic!("{}: {id} has no value", locale.code)),
        };
        let mut errors = Vec::new();
        let text = locale.bundle.format_pattern(pattern, Some(&args), &mut errors).into_owned();
        (text, errors.iter().map(|e| format!("{e:?}")).collect())
    }

    /// Numbers that reach every plural category of every shipped language.
    const SAMPLE_NUMBERS: [i64; 12] = [0, 1, 2, 3, 4, 5, 11, 12, 21, 22, 100, 101];

    #[test]
    fn every_locale_renders_its_own_text_for_every_english_message() {
        // Brand names read the same in every language; French "Documents" is the French word too.
        let same_everywhere = [
            "option-asylum-help-contact_method-whatsapp",
            "option-asylum-help-contact_method-signal",
            "option-asylum-help-contact_method-telegram",
            // Unit symbols: "MB" is what many languages write too; others use Mo, МБ, مگابایت…
            "size-mb",
            "size-kb",
        ];
        let same_in = [("fr", "field-asylum-help-documents")];
        let catalog = Catalog::embedded().unwrap();
        let english = catalog.english();
        let patterns = english_patterns();
        assert!(patterns.len() > 80, "only {} English patterns found", patterns.len());
        for locale in catalog.locales() {
            for (id, attr) in &patterns {
                let name = attr.as_ref().map_or_else(|| id.clone(), |a| format!("{id}.{a}"));
                for n in SAMPLE_NUMBERS {
                    let (text, errors) = render(locale, id, attr.as_deref(), n);
                    assert!(errors.is_empty(), "{} {name} (n = {n}): {errors:?}", locale.code);
                    assert!(!text.trim().is_empty(), "{} {name} is empty", locale.code);
                    assert!(!text.contains('{') && !text.contains('}'), "{} {name}: {text}", locale.code);
                    if locale.code == "en"
                        || same_everywhere.contains(&id.as_str())
                        || same_in.contains(&(locale.code, id))
                    {
                        continue;
                    }
                    let (in_english, _) = render(english, id, attr.as_deref(), n);
                    assert_ne!(text, in_english, "{} {name} shows English text", locale.code);
                }
            }
        }
    }

    #[test]
    fn allow_listed_identical_messages_are_still_in_every_catalog() {
        for shipped in SHIPPED {
            for id in ["whatsapp", "signal", "telegram"] {
                let line = format!("option-asylum-help-contact_method-{id} = ");
                assert!(shipped.ftl.contains(&line), "{} lacks its own {line}", shipped.code);
            }
        }
    }

    #[test]
    fn shipped_languages_in_link_order_and_right_to_left_exactly_for_arabic_persian_pashto() {
        let catalog = Catalog::embedded().unwrap();
        let codes: Vec<_> = catalog.locales().iter().map(|l| l.code).collect();
        assert_eq!(codes, ["en", "es", "fr", "ht", "pt", "ar", "fa", "ps", "ru", "uk", "zh-Hans", "tr"]);
        let rtl: Vec<_> = catalog.locales().iter().filter(|l| l.rtl).map(|l| l.code).collect();
        assert_eq!(rtl, ["ar", "fa", "ps"]);
        for locale in catalog.locales() {
            assert_eq!(locale.dir(), if rtl.contains(&locale.code) { "rtl" } else { "ltr" });
            assert!(locale.code.parse::<LanguageIdentifier>().is_ok(), "{}", locale.code);
            assert!(!locale.name.is_empty());
        }
        let mut names: Vec<_> = catalog.locales().iter().map(|l| l.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SHIPPED.len(), "language names must differ");
    }

    #[test]
    fn catalogs_contain_no_bidi_control_characters() {
        // Direction comes from `<html dir>`; marks in the text would fight it. ZWNJ (U+200C) is
        // ordinary Persian spelling and allowed.
        let controls = ['\u{200e}', '\u{200f}', '\u{061c}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}'];
        let isolates = ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'];
        for shipped in SHIPPED {
            for c in controls.iter().chain(&isolates) {
                assert!(!shipped.ftl.contains(*c), "{} contains U+{:04X}", shipped.code, u32::from(*c));
            }
        }
    }

    #[test]
    fn problem_messages_quote_the_send_button_exactly() {
        let catalog = Catalog::embedded().unwrap();
        for locale in catalog.locales() {
            let send = locale.text("send");
            for id in ["problem-too-fast", "problem-expired", "problem-invalid", "problem-used"] {
                let text = locale.text(id);
                assert!(text.contains(&send), "{} {id} does not quote {send:?}: {text}", locale.code);
            }
            // The sent page names the link a person must find again, exactly as every page shows it.
            let link = locale.text("status-link");
            let next = locale.text("receipt-next");
            assert!(next.contains(&link), "{} receipt-next does not quote {link:?}: {next}", locale.code);
        }
    }

    #[test]
    fn plural_forms_follow_each_language() {
        let catalog = Catalog::embedded().unwrap();
        let minutes = |code: &str, n: i64| {
            let locale = catalog.get(code).unwrap();
            locale.text_with("error-rate-body", &[("minutes", FluentValue::from(n))])
        };
        let cases: &[(&str, i64, &str)] = &[
            ("en", 5, "5 minutes"),
            ("es", 1, "1 minuto,"),
            ("es", 2, "2 minutos"),
            ("fr", 1, "1 minute,"),
            ("pt", 1, "1 minuto,"),
            ("ru", 1, "1 минуту"),
            ("ru", 3, "3 минуты"),
            ("ru", 5, "5 минут,"),
            ("ru", 21, "21 минуту"),
            ("uk", 1, "1 хвилину"),
            ("uk", 2, "2 хвилини"),
            ("uk", 11, "11 хвилин,"),
            ("ar", 1, "دقيقة واحدة"),
            ("ar", 2, "دقيقتين"),
            ("ar", 3, "3 دقائق"),
            ("ar", 11, "11 دقيقة"),
            ("ps", 1, "یوه دقیقه"),
            ("ps", 7, "7 دقیقې"),
            ("fa", 7, "7 دقیقه"),
            ("tr", 7, "7 dakika"),
            ("zh-Hans", 7, "7 分钟"),
            ("ht", 7, "7 minit"),
        ];
        for (code, n, expected) in cases {
            let text = minutes(code, *n);
            assert!(text.contains(expected), "{code} with {n} minutes: {text}");
        }
        let files =
            catalog.get("ru").unwrap().text_with("files-limit", &[("count", 2.into()), ("size", "5 MB".into())]);
        assert!(files.contains("до 2 файлов"), "{files}");
        let files =
            catalog.get("ar").unwrap().text_with("files-limit", &[("count", 5.into()), ("size", "5 MB".into())]);
        assert!(files.contains("5 ملفات"), "{files}");
    }

    #[test]
    fn chinese_and_regional_tags_reach_the_shipped_language() {
        let catalog = Catalog::embedded().unwrap();
        for accept in ["zh-CN", "zh", "zh_CN", "zh-SG", "zh-Hans-CN", "zh-CN,zh;q=0.9,en;q=0.8", "en;q=0.5, zh-CN"] {
            assert_eq!(catalog.negotiate(None, Some(accept)).code, "zh-Hans", "{accept}");
        }
        for query in ["zh", "zh-hans", "zh-Hans", "ZH-CN"] {
            assert_eq!(catalog.negotiate(Some(query), Some("en")).code, "zh-Hans", "?lang={query}");
        }
        assert_eq!(catalog.negotiate(None, Some("pt-BR")).code, "pt");
        assert_eq!(catalog.negotiate(None, Some("fa-AF")).code, "fa");
        assert_eq!(catalog.negotiate(None, Some("ps-AF,fa;q=0.8")).code, "ps");
        assert_eq!(catalog.negotiate(None, Some("ar-SY")).code, "ar");
        assert_eq!(catalog.negotiate(None, Some("uk-UA,ru;q=0.9")).code, "uk");
        assert_eq!(catalog.negotiate(None, Some("ht-HT,fr;q=0.8")).code, "ht");
        assert_eq!(catalog.negotiate(None, Some("en-GB;q=0.5, fr-CA;q=0.9")).code, "fr");
        assert_eq!(catalog.negotiate(None, Some("de-DE,tr;q=0.7")).code, "tr");
        // a bare separator or unknown language still falls back to English
        assert_eq!(catalog.negotiate(Some("-"), Some("-Hans, xx-CN")).code, "en");
    }

    fn locale(code: &'static str, ftl: &str) -> Locale {
        let resource = FluentResource::try_new(ftl.to_string()).unwrap();
        let own = message_ids(&resource);
        let mut bundle = FluentBundle::new_concurrent(vec![code.parse().unwrap()]);
        bundle.add_resource_overriding(resource);
        Locale { code, name: code, rtl: false, bundle, own }
    }

    fn form(fields: &str) -> FormSpec {
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:8080\"\ndata_dir = \"d\"\ntrusted_proxies = []\n[limits]\nmax_body = \"1 MiB\"\nper_client = {{ burst = 1, per_hour = 1 }}\nglobal = {{ burst = 1, per_hour = 1 }}\nmax_spool = \"1 GiB\"\nmin_fill_time = \"1s\"\nmax_fill_time = \"1h\"\nkeep_unpulled = \"forever\"\n[[form]]\nid = \"f\"\nrecipients = \"r.txt\"\nfields = [{fields}]\n"
        );
        let key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n".to_string();
        let mut config =
            crate::config::Config::parse(&text, std::path::Path::new("t.toml"), std::path::Path::new("/"), &mut |_| {
                Ok(key.clone())
            })
            .unwrap();
        config.forms.remove(0)
    }

    #[test]
    fn a_label_a_language_lacks_is_named_and_english_stands_in_for_it() {
        let en = "form-f-title = Help\nfield-f-a = First\nfield-f-b = Second\noption-f-b-x = Ex\n";
        let catalog = Catalog {
            locales: vec![locale("en", en), locale("es", "form-f-title = Ayuda\nfield-f-a = Primero\n")],
            english_origin: HashMap::new(),
            translations: None,
        };
        let form = form("{ name = \"a\", kind = \"text\" }, { name = \"b\", kind = \"select\", options = [\"x\"] }");
        let untranslated = catalog.untranslated(&form);
        assert_eq!(untranslated, vec![("es", vec!["field-f-b".to_string(), "option-f-b-x".to_string()])]);
        assert!(catalog.locales()[1].translates("field-f-a") && !catalog.locales()[1].translates("field-f-b"));
    }

    #[test]
    fn every_shipped_language_translates_every_label_of_the_example_forms() {
        let catalog = Catalog::embedded().unwrap();
        let key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n".to_string();
        let config = crate::config::Config::parse(
            include_str!("../config/sealpost.example.toml"),
            std::path::Path::new("example.toml"),
            std::path::Path::new("/"),
            &mut |_| Ok(key.clone()),
        )
        .unwrap();
        for form in &config.forms {
            assert!(catalog.untranslated(form).is_empty(), "{}: {:?}", form.id, catalog.untranslated(form));
        }
    }

    #[test]
    fn the_operators_english_overrides_shipped_text_in_every_language_until_that_language_translates_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("en.ftl"), "site-title = Harbour Legal Clinic\nextra = Only here\n").unwrap();
        std::fs::write(dir.path().join("fr.ftl"), "site-title = Clinique juridique Harbour\n").unwrap();
        std::fs::write(dir.path().join("README.txt"), "not a catalog").unwrap();
        let catalog = Catalog::load(Some(dir.path()), &[]).unwrap();
        let (en, es, fr) = (catalog.get("en").unwrap(), catalog.get("es").unwrap(), catalog.get("fr").unwrap());
        assert_eq!(en.text("site-title"), "Harbour Legal Clinic");
        assert_eq!(es.text("site-title"), "Harbour Legal Clinic", "the shipped Spanish says something else now");
        assert!(!es.translates("site-title") && es.translates("skip-link"));
        assert_eq!(fr.text("site-title"), "Clinique juridique Harbour");
        assert!(fr.translates("site-title") && !fr.translates("extra"));
        let origin = catalog.origin("extra").unwrap();
        assert_eq!((origin.file.ends_with("en.ftl"), origin.line), (true, 2));
        assert_eq!(catalog.origin("skip-link").map(|o| o.file.as_str()), Some("src/i18n/en.ftl"));
    }

    #[test]
    fn an_operator_catalog_that_is_too_large_or_not_utf8_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("es.ftl"), [0xff, 0xfe, b'x']).unwrap();
        let err = Catalog::load(Some(dir.path()), &[]).err().unwrap();
        assert!(err.to_string().ends_with("es.ftl: is not UTF-8 text"), "{err}");
        std::fs::write(dir.path().join("es.ftl"), vec![b'#'; MAX_OPERATOR_CATALOG as usize + 1]).unwrap();
        let err = Catalog::load(Some(dir.path()), &[]).err().unwrap();
        assert!(err.to_string().contains("over the 1048576-byte bound"), "{err}");
        assert!(err.hint().is_some());
        let missing = Catalog::load(Some(&dir.path().join("nowhere")), &[]).err().unwrap();
        assert!(missing.to_string().contains("pages.translations: cannot read the folder"), "{missing}");
    }

    fn site_text(id: &'static str, text: &str) -> SiteText {
        SiteText { id, text: text.into(), defined_at: "sealpost.toml:7".into() }
    }

    #[test]
    fn site_texts_are_shown_exactly_as_written_and_other_languages_translate_them() {
        let tricky = "{ $x } [a] *b .c \"d\" \\e -> { \"f\" }\n  .attr = no\n[g]\n*h\n.i\n\nother-id = injected";
        let site = [
            site_text(crate::config::SITE_NAME_ID, "Harbour Legal Clinic"),
            site_text(crate::config::SITE_ADDRESS_ID, tricky),
        ];
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fr.ftl"), "site-title = Clinique juridique Harbour\n").unwrap();
        let catalog = Catalog::load(Some(dir.path()), &site).unwrap();
        let (en, es, fr) = (catalog.get("en").unwrap(), catalog.get("es").unwrap(), catalog.get("fr").unwrap());
        assert_eq!(en.text("site-title"), "Harbour Legal Clinic");
        assert_eq!(es.text("site-title"), "Harbour Legal Clinic", "over the shipped Spanish name");
        assert_eq!(fr.text("site-title"), "Clinique juridique Harbour");
        let expected: Vec<&str> = tricky.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        assert_eq!(en.text("site-address"), expected.join("\n"), "every character as written");
        assert!(!en.has("other-id") && en.attr("site-address", "attr").is_none(), "nothing else is defined");
        assert_eq!(catalog.origin("site-title").map(|o| (o.file.as_str(), o.line)), Some(("sealpost.toml", 7)));
        assert_eq!(
            catalog.untranslated_site().iter().find(|(code, _)| *code == "fr").map(|(_, ids)| ids.clone()),
            Some(vec!["site-address".to_string()])
        );

        std::fs::write(dir.path().join("en.ftl"), "\nsite-title = Another name\n").unwrap();
        let err = Catalog::load(Some(dir.path()), &site).err().unwrap();
        assert!(
            err.to_string().ends_with("en.ftl: line 2: \"site-title\" is also given by [site] at sealpost.toml:7"),
            "{err}"
        );
        assert!(err.hint().is_some());
        assert!(Catalog::embedded().unwrap().untranslated_site().is_empty(), "the shipped name is translated");
    }
}
