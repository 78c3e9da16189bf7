//! Translation catalogs (Fluent) and language negotiation.
//!
//! Job: give every page, label, help text and error message in the reader's language, chosen by
//! `?lang=` or else `Accept-Language`, with English filling any gap.
//! Invariant: every message a form needs exists in English (checked at startup by
//! [`Catalog::check_forms`]), so no page ever shows a raw message id.
//! Never: sets a cookie or remembers a choice; logs the negotiated language (invariant 5).

use std::borrow::Cow;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::config::{FieldKind, FormSpec};

/// A shipped language: its code, its name in its own script, direction, and catalog.
struct Shipped {
    code: &'static str,
    name: &'static str,
    rtl: bool,
    ftl: &'static str,
}

/// The languages compiled into the binary. To add one: drop `src/i18n/<code>.ftl` next to `en.ftl`
/// and add a line here; `tests` checks it has exactly English's message ids.
const SHIPPED: &[Shipped] = &[Shipped { code: "en", name: "English", rtl: false, ftl: include_str!("i18n/en.ftl") }];

/// Why the catalogs are unusable.
#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    /// A catalog has Fluent syntax errors.
    #[error("catalog \"{code}\" has a syntax error near: {snippet}")]
    Syntax { code: String, snippet: String },
    /// A form or field has no label in the English catalog.
    #[error("form \"{form}\": the catalog has no message \"{id}\"")]
    Missing { form: String, id: String },
    /// `staff.locale` names a language that is not shipped.
    #[error("staff.locale \"{0}\" is not a shipped language")]
    UnknownLocale(String),
}

impl I18nError {
    /// The fix.
    pub fn hint(&self) -> Option<String> {
        match self {
            I18nError::Missing { .. } => Some(
                "forms and fields need labels in src/i18n/en.ftl: form-<form>-title, field-<form>-<field> and option-<form>-<field>-<value>".into(),
            ),
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

/// All shipped languages.
pub struct Catalog {
    locales: Vec<Locale>,
}

impl Catalog {
    /// Parses the catalogs compiled into the binary.
    pub fn embedded() -> Result<Catalog, I18nError> {
        let english = SHIPPED.first().map(|s| s.ftl).unwrap_or_default();
        let mut locales = Vec::new();
        for shipped in SHIPPED {
            let lang: LanguageIdentifier =
                shipped.code.parse().map_err(|_| I18nError::UnknownLocale(shipped.code.into()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // Keep text clean for plain-text envelopes; pages set `dir` on their own elements.
            bundle.set_use_isolating(false);
            for ftl in [english, shipped.ftl] {
                let resource = FluentResource::try_new(ftl.to_string()).map_err(|(_, errors)| I18nError::Syntax {
                    code: shipped.code.into(),
                    snippet: errors.first().map(|e| format!("{:?}", e.kind)).unwrap_or_default(),
                })?;
                bundle.add_resource_overriding(resource);
            }
            locales.push(Locale { code: shipped.code, name: shipped.name, rtl: shipped.rtl, bundle });
        }
        Ok(Catalog { locales })
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
        self.get(tag).or_else(|| {
            let primary = tag.split(['-', '_']).next().unwrap_or_default();
            self.get(primary)
        })
    }

    /// Checks that every form, field and option has its label in English, and that the staff
    /// locale is shipped.
    pub fn check_forms(&self, forms: &[FormSpec], staff_locale: &str) -> Result<(), I18nError> {
        if self.get(staff_locale).is_none() {
            return Err(I18nError::UnknownLocale(staff_locale.into()));
        }
        let en = self.english();
        for form in forms {
            let missing = |id: String| I18nError::Missing { form: form.id.clone(), id };
            for id in [form_title_id(&form.id)] {
                if !en.has(&id) {
                    return Err(missing(id));
                }
            }
            for field in &form.fields {
                let id = field_id(&form.id, &field.name);
                if !en.has(&id) {
                    return Err(missing(id));
                }
                if field.kind == FieldKind::Select {
                    for option in &field.options {
                        let id = option_id(&form.id, &field.name, option);
                        if !en.has(&id) {
                            return Err(missing(id));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Message id of a form's title (attribute `.intro` holds its introduction).
pub fn form_title_id(form: &str) -> String {
    format!("form-{form}-title")
}

/// Message id of a field's label (attribute `.help` holds its help text).
pub fn field_id(form: &str, field: &str) -> String {
    format!("field-{form}-{field}")
}

/// Message id of a select option's label.
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
}
