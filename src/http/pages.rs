//! The public pages: the index, each form, the sent page, the health check and the stylesheet,
//! rendered from templates in the person's language, and every error as a translated page.

use std::sync::Arc;
use std::time::SystemTime;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::config::{FieldKind, FieldSpec, FormSpec, SITE_ADDRESS_ID, SITE_EMERGENCY_ID, SITE_NAME_ID};
use crate::form::{self, FieldError, Problem, Received};
use crate::i18n::{self, Catalog, Locale};
use crate::limit::TokenProblem;

use super::app::App;
use super::errors::PageError;

/// First allocation for a form page shown again with the person's input: the asylum form shown
/// again with every message is under 10 KiB before input; longer input moves the page to twice
/// the size at a time, wiping the old copy.
const PAGE_BUFFER: usize = 32 * 1024;

/// Renders any [`PageError`] response as a translated page, keeping its status and headers.
pub(super) async fn render_errors(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let lang = requested_lang(&req);
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let response = next.run(req).await;
    let Some(error) = response.extensions().get::<PageError>().copied() else { return response };
    let (mut parts, _) = response.into_parts();
    let catalog = app.catalog();
    let locale = catalog.negotiate(lang.as_deref(), accept.as_deref());
    let key = error.key();
    let body = match error {
        PageError::TooLarge(_) => {
            locale.text_with(&format!("error-{key}-body"), &[("max", human_size(locale, app.limits.max_body).into())])
        }
        PageError::RateLimited(secs) => {
            locale.text_with(&format!("error-{key}-body"), &[("minutes", secs.div_ceil(60).max(1).into())])
        }
        _ => locale.text(&format!("error-{key}-body")),
    };
    let page = MessagePage {
        page: Chrome::new(&app, locale, locale.text(&format!("error-{key}-title")), "/"),
        paragraphs: vec![body],
        link_href: format!("/?lang={}", locale.code),
        link_text: locale.text("back-home"),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut rendered = html(page);
    *rendered.status_mut() = parts.status;
    for (name, value) in &parts.headers {
        rendered.headers_mut().insert(name.clone(), value.clone());
    }
    rendered
}

// ───────────────────────────── pages ─────────────────────────────

/// What every page shows around its content.
pub(super) struct Chrome {
    pub(super) lang: &'static str,
    pub(super) dir: &'static str,
    pub(super) title: String,
    pub(super) site_title: String,
    pub(super) skip_link: String,
    pub(super) language_label: String,
    pub(super) languages: Vec<LanguageLink>,
    pub(super) privacy_title: String,
    pub(super) privacy_body: String,
    pub(super) quick_exit_url: String,
    pub(super) quick_exit: String,
    /// The link to the page where a person reads an answer.
    pub(super) status_link: String,
    /// `site.logo`'s path under `/static/`.
    pub(super) logo: Option<&'static str>,
    /// The organisation's emergency line, at the top of every page.
    pub(super) emergency: Option<Vec<Run>>,
    /// The organisation's address, one line each, in the footer.
    pub(super) address: Vec<Vec<Run>>,
    /// `site.privacy_url`, with its link text.
    pub(super) privacy_link: Option<(String, String)>,
}

/// A piece of an operator's text: a phone number or other figures (kept left to right, so that
/// `+44 20 7946 0000` is never shown as `0000 7946 20 44+` in a right-to-left line), or words.
pub(super) struct Run {
    pub(super) text: String,
    pub(super) figures: bool,
}

/// Splits `text` into figures (digits with `+`, spaces, dashes, dots, slashes and brackets
/// between them, starting with a digit or `+`) and the words around them.
fn number_runs(text: &str) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut index = 0;
    while let Some(&c) = chars.get(index) {
        let starts_figures = c.is_ascii_digit() || (c == '+' && chars.get(index + 1).is_some_and(char::is_ascii_digit));
        if starts_figures {
            let mut end = index + 1;
            let mut last_digit = if c.is_ascii_digit() { index } else { index + 1 };
            while let Some(&next) = chars.get(end) {
                if next.is_ascii_digit() {
                    last_digit = end;
                } else if !" -./()".contains(next) {
                    break;
                }
                end += 1;
            }
            let figures: String = chars.get(index..=last_digit).unwrap_or_default().iter().collect();
            runs.push(Run { text: figures, figures: true });
            index = last_digit + 1;
        } else {
            match runs.last_mut() {
                Some(run) if !run.figures => run.text.push(c),
                _ => runs.push(Run { text: c.to_string(), figures: false }),
            }
            index += 1;
        }
    }
    runs
}

pub(super) struct LanguageLink {
    pub(super) code: &'static str,
    pub(super) name: &'static str,
    pub(super) dir: &'static str,
    pub(super) href: String,
    pub(super) current: bool,
}

impl Chrome {
    /// `path` is this page's path, for the language links.
    pub(super) fn new(app: &App, locale: &Locale, title: String, path: &str) -> Chrome {
        Chrome {
            lang: locale.code,
            dir: locale.dir(),
            title,
            site_title: locale.text(SITE_NAME_ID),
            skip_link: locale.text("skip-link"),
            language_label: locale.text("language-label"),
            languages: app
                .catalog()
                .locales()
                .iter()
                .map(|l| LanguageLink {
                    code: l.code,
                    name: l.name,
                    dir: l.dir(),
                    href: format!("{path}?lang={}", l.code),
                    current: l.code == locale.code,
                })
                .collect(),
            privacy_title: locale.text("privacy-title"),
            privacy_body: locale.text("privacy-body"),
            quick_exit_url: app.quick_exit_url.clone(),
            quick_exit: locale.text("quick-exit"),
            status_link: locale.text("status-link"),
            logo: app.site.logo.as_ref().map(|l| l.path),
            emergency: locale.has(SITE_EMERGENCY_ID).then(|| number_runs(&locale.text(SITE_EMERGENCY_ID))),
            address: if locale.has(SITE_ADDRESS_ID) {
                locale.text(SITE_ADDRESS_ID).lines().map(number_runs).collect()
            } else {
                Vec::new()
            },
            privacy_link: app.site.privacy_url.clone().map(|url| (url, locale.text("privacy-notice-link"))),
        }
    }
}

#[derive(Template)]
#[template(path = "index.html", config = "src/pages/askama.toml")]
struct IndexPage {
    page: Chrome,
    intro: String,
    forms: Vec<FormLink>,
}

struct FormLink {
    href: String,
    title: String,
    intro: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html", config = "src/pages/askama.toml")]
pub(super) struct MessagePage {
    pub(super) page: Chrome,
    pub(super) paragraphs: Vec<String>,
    pub(super) link_href: String,
    pub(super) link_text: String,
}

#[derive(Template)]
#[template(path = "form.html", config = "src/pages/askama.toml")]
pub(super) struct FormPage {
    page: Chrome,
    intro: Option<String>,
    error_summary_title: String,
    problem: Option<String>,
    errors: Vec<ErrorLink>,
    files_note: Option<String>,
    action: String,
    enctype: &'static str,
    token: String,
    honeypot_label: String,
    fields: Vec<FieldView>,
    send: String,
}

struct ErrorLink {
    field: String,
    label: String,
    message: String,
}

struct FieldView {
    name: String,
    /// Which markup: `textarea`, `select`, `radio`, `checkboxes`, `checkbox`, `file` or `input`.
    kind: &'static str,
    /// For `input`: its `type`.
    input_type: &'static str,
    /// For `input`: `numeric` for numbers, whose input is text (so what the person typed is
    /// kept and checked by the server, never silently dropped by the browser).
    inputmode: Option<&'static str>,
    placeholder: Option<String>,
    label: String,
    help: Option<String>,
    error: Option<String>,
    marker: String,
    required: bool,
    /// What the person typed, shown again; wiped when the page is dropped.
    value: Zeroizing<String>,
    checked: bool,
    options: Vec<OptionView>,
    multiple: bool,
    autocomplete: &'static str,
    /// Left to right whatever the page's direction: addresses, numbers and dates.
    ltr: bool,
    describedby: String,
    /// The legend (and its help) of the fieldset this field opens.
    group_start: Option<(String, Option<String>)>,
    /// Whether this field closes its fieldset.
    group_end: bool,
}

struct OptionView {
    /// The input's id: the field's own for the first option (where the error summary links).
    id: String,
    value: String,
    label: String,
    selected: bool,
}

/// Renders a page that holds what the person typed (the form shown again): into a buffer that
/// wipes each allocation it outgrows, sent from memory that is wiped when the body is dropped.
pub(super) fn html_wiped(template: impl Template) -> Response {
    let mut page = form::SecretBuf::with_capacity(PAGE_BUFFER);
    match template.render_into(&mut page) {
        Ok(()) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
            Body::from(bytes::Bytes::from_owner(page)),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

pub(super) fn html(template: impl Template) -> Response {
    match template.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Deserialize)]
pub(super) struct LangQuery {
    pub(super) lang: Option<String>,
}

fn requested_lang(req: &Request) -> Option<String> {
    let query = req.uri().query()?;
    query.split('&').find_map(|pair| pair.strip_prefix("lang=")).map(|v| v.chars().take(35).collect())
}

/// The language of a page: `?lang=`, else `Accept-Language`, else English.
pub(super) fn locale_for<'a>(catalog: &'a Catalog, query: &LangQuery, headers: &HeaderMap) -> &'a Locale {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    catalog.negotiate(query.lang.as_deref(), accept)
}

pub(super) async fn index(State(app): State<Arc<App>>, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let catalog = app.catalog();
    let locale = locale_for(&catalog, &q, &headers);
    let forms = app
        .forms
        .iter()
        .map(|f| {
            let id = i18n::form_title_id(&f.id);
            FormLink {
                href: format!("/{}?lang={}", f.id, locale.code),
                title: locale.text(&id),
                intro: locale.attr(&id, "intro"),
            }
        })
        .collect();
    html(IndexPage {
        page: Chrome::new(&app, locale, locale.text("index-title"), "/"),
        intro: locale.text("index-intro"),
        forms,
    })
}

pub(super) async fn healthz(State(app): State<Arc<App>>) -> Response {
    let spool = app.spool.clone();
    let healthy = tokio::task::spawn_blocking(move || spool.healthy()).await.unwrap_or(false);
    if healthy {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "spool unavailable or over quota\n").into_response()
    }
}

pub(super) async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../pages/sealpost.css")).into_response()
}

/// The organisation's logo (`site.logo`), read at start.
pub(super) async fn logo(State(app): State<Arc<App>>, Path(name): Path<String>) -> Result<Response, PageError> {
    let logo = app.site.logo.as_ref().filter(|l| l.path.strip_prefix("/static/") == Some(name.as_str()));
    let logo = logo.ok_or(PageError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, logo.media_type)], logo.bytes.clone()).into_response())
}

pub(super) async fn show_form(
    State(app): State<Arc<App>>,
    Path(form_id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let form = app.form(&form_id).ok_or(PageError::NotFound)?;
    let catalog = app.catalog();
    let locale = locale_for(&catalog, &q, &headers);
    Ok(html(form_page(&app, form, locale, None)))
}

/// `?lang=` and, after a submission, `?r=`: the one-time handle to its receipt.
#[derive(Deserialize)]
pub(super) struct SentQuery {
    lang: Option<String>,
    r: Option<String>,
}

pub(super) async fn sent(
    State(app): State<Arc<App>>,
    Path(form_id): Path<String>,
    Query(q): Query<SentQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let form = app.form(&form_id).ok_or(PageError::NotFound)?;
    let catalog = app.catalog();
    let locale = locale_for(&catalog, &LangQuery { lang: q.lang }, &headers);
    // The receipt is shown once: the handle is taken now, and a refresh finds it gone.
    let receipt = q.r.as_deref().and_then(|handle| app.replies.receipts.take(handle, std::time::Instant::now()));
    let groups = receipt.as_ref().map(|r| r.to_groups().split(' ').map(|g| Zeroizing::new(g.to_string())).collect());
    let note = match (&receipt, &q.r) {
        (Some(_), _) => None,
        (None, Some(_)) => Some(locale.text("receipt-shown-once")),
        (None, None) => Some(locale.text("receipt-missing")),
    };
    Ok(html_wiped(SentPage {
        page: Chrome::new(&app, locale, locale.text("sent-title"), &format!("/{}/sent", form.id)),
        body: locale.text("sent-body"),
        receipt_title: locale.text("receipt-title"),
        receipt: groups,
        receipt_intro: locale.text("receipt-intro"),
        receipt_warning: locale.text("receipt-warning"),
        receipt_next: locale.text("receipt-next"),
        note,
        next: locale.text("sent-next"),
        link_href: format!("/?lang={}", locale.code),
        link_text: locale.text("sent-again"),
    }))
}

#[derive(Template)]
#[template(path = "sent.html", config = "src/pages/askama.toml")]
struct SentPage {
    page: Chrome,
    body: String,
    receipt_title: String,
    /// The receipt's five groups, shown this once; wiped with the page.
    receipt: Option<Vec<Zeroizing<String>>>,
    receipt_intro: String,
    receipt_warning: String,
    receipt_next: String,
    /// Why there is no receipt on this page.
    note: Option<String>,
    next: String,
    link_href: String,
    link_text: String,
}

/// The form page; with `received`, re-rendered with the person's input and messages.
pub(super) fn form_page(app: &App, form: &FormSpec, locale: &Locale, received: Option<&Received>) -> FormPage {
    let title_id = i18n::form_title_id(&form.id);
    let mut fields = Vec::new();
    let mut errors = Vec::new();
    for (index, spec) in form.fields.iter().enumerate() {
        let id = i18n::field_id(&form.id, &spec.name);
        let label = locale.text(&id);
        let value = received.map_or("", |r| r.values.get(index));
        let error = received.and_then(|r| r.errors.iter().find(|(i, _)| *i == index)).map(|(_, e)| match e {
            // The field's own words for its format, when the catalog gives them.
            FieldError::Pattern => locale.attr(&id, "error").unwrap_or_else(|| field_error_text(locale, e)),
            _ => field_error_text(locale, e),
        });
        if let Some(message) = &error {
            errors.push(ErrorLink { field: spec.name.clone(), label: label.clone(), message: message.clone() });
        }
        let mut help = locale.attr(&id, "help");
        if spec.kind == FieldKind::File {
            let limits = locale.text_with(
                "files-limit",
                &[("count", spec.max_files.into()), ("size", human_size(locale, spec.max_size).into())],
            );
            help = Some(match help {
                Some(h) => format!("{h} {limits}"),
                None => limits,
            });
        }
        let describedby =
            [help.as_ref().map(|_| format!("h-{}", spec.name)), error.as_ref().map(|_| format!("e-{}", spec.name))]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
        let (markup, input_type) = markup(spec.kind, value);
        let chosen: Vec<&str> = if spec.kind == FieldKind::Checkboxes { value.lines().collect() } else { vec![value] };
        let placeholder = locale.attr(&id, "placeholder").or_else(|| {
            // A browser with a date picker ignores it; one without shows it in the text box.
            (spec.kind == FieldKind::Date).then(|| locale.text("date-placeholder"))
        });
        let shown = match spec.kind {
            FieldKind::File => String::new(),
            // A date the picker can show goes back in its own format.
            FieldKind::Date => form::parse_date(value).unwrap_or_else(|| value.to_string()),
            _ => value.to_string(),
        };
        let group = spec.fieldset.as_ref();
        let opens =
            group.is_some() && form.fields.get(index.wrapping_sub(1)).map(|f| f.fieldset.as_ref()) != Some(group);
        let closes = group.is_some() && form.fields.get(index + 1).map(|f| f.fieldset.as_ref()) != Some(group);
        fields.push(FieldView {
            name: spec.name.clone(),
            kind: markup,
            input_type,
            inputmode: (spec.kind == FieldKind::Number).then_some("numeric"),
            placeholder,
            label,
            help,
            error,
            marker: locale.text(if spec.required { "required" } else { "optional" }),
            required: spec.required,
            value: Zeroizing::new(shown),
            checked: spec.kind == FieldKind::Checkbox && !value.is_empty(),
            options: spec
                .options
                .iter()
                .enumerate()
                .map(|(n, o)| OptionView {
                    id: if n == 0 { format!("f-{}", spec.name) } else { format!("f-{}-{o}", spec.name) },
                    value: o.clone(),
                    label: locale.text(&i18n::option_id(&form.id, &spec.name, o)),
                    selected: chosen.contains(&o.as_str()),
                })
                .collect(),
            multiple: spec.max_files > 1,
            autocomplete: if spec.autocomplete { "on" } else { "off" },
            ltr: matches!(spec.kind, FieldKind::Email | FieldKind::Tel | FieldKind::Date | FieldKind::Number),
            describedby,
            group_start: opens.then(|| group_legend(locale, form, spec)),
            group_end: closes,
        });
    }
    let problem = received.and_then(|r| r.problem).map(|p| {
        locale.text(match p {
            Problem::Token(TokenProblem::TooFast) => "problem-too-fast",
            Problem::Token(TokenProblem::Expired) => "problem-expired",
            Problem::Token(TokenProblem::Used) => "problem-used",
            Problem::Token(TokenProblem::Invalid) | Problem::Honeypot => "problem-invalid",
        })
    });
    let files_note = (received.is_some() && form.has_files()).then(|| locale.text("files-not-kept"));
    FormPage {
        page: Chrome::new(app, locale, locale.text(&title_id), &format!("/{}", form.id)),
        intro: locale.attr(&title_id, "intro"),
        error_summary_title: locale.text("error-summary-title"),
        problem,
        errors,
        files_note,
        action: format!("/{}?lang={}", form.id, locale.code),
        enctype: if form.has_files() { "multipart/form-data" } else { "application/x-www-form-urlencoded" },
        token: app.tokens.issue(&form.id, SystemTime::now()),
        honeypot_label: locale.text("honeypot-label"),
        fields,
        send: locale.text("send"),
    }
}

/// The markup a kind is shown with, and for an `input` its type. A date that does not parse is
/// shown as text, so the person sees what they typed (a date picker would show it empty).
fn markup(kind: FieldKind, value: &str) -> (&'static str, &'static str) {
    match kind {
        FieldKind::Textarea => ("textarea", ""),
        FieldKind::Select => ("select", ""),
        FieldKind::Radio => ("radio", ""),
        FieldKind::Checkboxes => ("checkboxes", ""),
        FieldKind::Checkbox => ("checkbox", ""),
        FieldKind::File => ("file", ""),
        FieldKind::Email => ("input", "email"),
        FieldKind::Tel => ("input", "tel"),
        FieldKind::Date if value.trim().is_empty() || form::parse_date(value).is_some() => ("input", "date"),
        FieldKind::Text | FieldKind::Number | FieldKind::Date => ("input", "text"),
    }
}

/// The legend of the fieldset `spec` opens, and the line under it.
fn group_legend(locale: &Locale, form: &FormSpec, spec: &FieldSpec) -> (String, Option<String>) {
    let id = i18n::fieldset_id(&form.id, spec.fieldset.as_deref().unwrap_or_default());
    (locale.text(&id), locale.attr(&id, "help"))
}

pub(super) fn field_error_text(locale: &Locale, error: &FieldError) -> String {
    match error {
        FieldError::Required => locale.text("error-required"),
        FieldError::CheckboxRequired => locale.text("error-checkbox-required"),
        FieldError::TooLong { max } => locale.text_with("error-too-long", &[("max", (*max).into())]),
        FieldError::Email => locale.text("error-email"),
        FieldError::Tel => locale.text("error-tel"),
        FieldError::Select => locale.text("error-select"),
        FieldError::ChoicesRequired => locale.text("error-choices-required"),
        FieldError::Date => locale.text("error-date"),
        FieldError::Number => locale.text("error-number"),
        FieldError::NumberRange { min, max } => {
            locale.text_with("error-number-range", &[("min", (*min).into()), ("max", (*max).into())])
        }
        FieldError::Pattern => locale.text("error-pattern"),
        FieldError::FileTooLarge { name, max } => locale.text_with(
            "error-file-too-large",
            &[("name", name.as_str().into()), ("max", human_size(locale, *max).into())],
        ),
        FieldError::TooManyFiles { max } => locale.text_with("error-too-many-files", &[("max", (*max).into())]),
    }
}

/// Sizes for messages, in the reader's units (`20 MB`, `20 Mo`, …).
pub(super) fn human_size(locale: &Locale, bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        locale.text_with("size-mb", &[("size", (bytes / MIB).into())])
    } else if bytes >= MIB {
        locale.text_with("size-mb", &[("size", format!("{:.1}", bytes as f64 / MIB as f64).into())])
    } else {
        locale.text_with("size-kb", &[("size", bytes.div_ceil(1024).into())])
    }
}

#[cfg(test)]
mod tests {
    use super::number_runs;

    fn shown(text: &str) -> String {
        number_runs(text).iter().map(|r| if r.figures { format!("[{}]", r.text) } else { r.text.clone() }).collect()
    }

    #[test]
    fn figures_in_an_operators_text_are_kept_apart_from_the_words_around_them() {
        assert_eq!(shown("If you are in danger now, call 112."), "If you are in danger now, call [112].");
        assert_eq!(shown("اتصل على +44 20 7946 0000 الآن"), "اتصل على [+44 20 7946 0000] الآن");
        assert_eq!(shown("(030) 123-456 / 7, 24h"), "([030) 123-456 / 7], [24]h");
        assert_eq!(shown("4 Quay Street"), "[4] Quay Street");
        assert_eq!(shown("no figures + here"), "no figures + here");
        assert_eq!(shown(""), "");
    }
}
