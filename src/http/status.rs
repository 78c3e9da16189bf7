//! The way back (DESIGN §10): `GET /status` asks for the receipt; `POST /status` (the receipt in
//! the body, never the URL) shows the conversation: whether staff have read the message, the
//! replies, when it ends, a form to write again and a button to delete it. `POST /status/file`
//! downloads a reply's document; `POST /status/{handle}/write` and `/delete` act on the
//! conversation the status page opened.
//!
//! Job: turn a receipt into its conversation for one request, and a follow-up into a spool entry
//! sealed exactly like a submission.
//! Invariant: every request here spends the submission rate limits first; keys are derived only
//! on [`crate::reply::Deriver`]'s threads, at most [`crate::reply::MAX_DERIVATIONS`] at once (over
//! it, the busy page); an unknown receipt and a deleted
//! one get the same page after the same work; replies are decrypted in memory and sent from
//! memory wiped when the response is dropped.
//! Never: puts a receipt in a URL, a log or a file, or keeps keys past the request.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};
use zeroize::Zeroizing;

use sealpost_format::envelope::{Envelope, EnvelopeField, ReplyTo};
use sealpost_format::id::ThreadId;

use crate::config::{FieldKind, FormSpec};
use crate::form::{self, BodyError, Encoding, Problem, Received};
use crate::i18n::Locale;
use crate::limit::{Connection, TokenProblem};
use crate::reply::{Found, Receipt, ReceiptProblem, TYPED_DIGITS, ThreadKeys, ThreadState, day, open_reply};

use super::app::App;
use super::errors::{PageError, closing};
use super::pages::{Chrome, LangQuery, MessagePage, field_error_text, html, html_wiped, human_size, locale_for};
use super::submit::{new_envelope, spend_token, store_spending};

/// The status pages' own bodies are small (a receipt, a number or two); a larger one is read up
/// to this bound, so that 1 MB of digits gets the "a receipt has 25 digits" message, not an error
/// page. Beyond it, the "too large" page.
const MAX_STATUS_BODY: u64 = form::MAX_URLENCODED_BODY;

/// `Retry-After` on the busy page, in seconds.
const BUSY_RETRY_SECONDS: u64 = 5;

// ───────────────────────────── pages ─────────────────────────────

#[derive(Template)]
#[template(path = "status.html", config = "src/pages/askama.toml")]
struct AskPage {
    page: Chrome,
    intro: String,
    action: String,
    label: String,
    help: String,
    /// What the person typed, shown again beside the message; wiped with the page.
    typed: Zeroizing<String>,
    error: Option<String>,
    error_summary_title: String,
    button: String,
}

#[derive(Template)]
#[template(path = "conversation.html", config = "src/pages/askama.toml")]
struct ConversationPage {
    page: Chrome,
    read: String,
    replies_title: String,
    no_replies: String,
    replies: Vec<ShownReply>,
    expires: String,
    /// The receipt again, as hidden fields of the download buttons (the body, never the URL).
    receipt: Zeroizing<String>,
    download_action: String,
    follow_up: FollowUp,
    delete_title: String,
    delete_intro: String,
    delete_action: String,
    delete_confirm: String,
    delete_button: String,
}

/// One reply, decrypted for this page only.
struct ShownReply {
    number: u32,
    title: String,
    /// Wiped with the page.
    message: Zeroizing<String>,
    downloads: Vec<(usize, String)>,
}

/// The form to write again, on the conversation page and shown again with its mistakes.
struct FollowUp {
    title: String,
    action: String,
    enctype: &'static str,
    token: String,
    honeypot_label: String,
    message_label: String,
    message: Zeroizing<String>,
    message_error: Option<String>,
    documents: Option<(String, String, bool)>,
    documents_error: Option<String>,
    files_note: Option<String>,
    problem: Option<String>,
    required: String,
    optional: String,
    send: String,
}

#[derive(Template)]
#[template(path = "followup.html", config = "src/pages/askama.toml")]
struct FollowUpPage {
    page: Chrome,
    error_summary_title: String,
    follow_up: FollowUp,
}

// ───────────────────────────── handlers ─────────────────────────────

/// `GET /status`: the page that asks for the receipt.
pub(super) async fn ask(State(app): State<Arc<App>>, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let catalog = app.catalog();
    let locale = locale_for(&catalog, &q, &headers);
    html(ask_page(&app, locale, Zeroizing::new(String::new()), None))
}

fn ask_page(app: &App, locale: &Locale, typed: Zeroizing<String>, problem: Option<ReceiptProblem>) -> AskPage {
    let error = problem.map(|p| match p {
        ReceiptProblem::Length(count) => locale.text_with("status-error-length", &[("count", count.into())]),
        ReceiptProblem::Characters => locale.text("status-error-characters"),
        ReceiptProblem::Group(group) => locale.text_with("status-error-group", &[("group", group.into())]),
    });
    AskPage {
        page: Chrome::new(app, locale, locale.text("status-title"), "/status"),
        intro: locale.text("status-intro"),
        action: format!("/status?lang={}", locale.code),
        label: locale.text("status-receipt-label"),
        help: locale.text("status-receipt-help"),
        typed,
        error,
        error_summary_title: locale.text("error-summary-title"),
        button: locale.text("status-check"),
    }
}

/// `POST /status`: the receipt in the body; the conversation, or why not.
pub(super) async fn check(
    State(app): State<Arc<App>>,
    Query(q): Query<LangQuery>,
    connection: Connection,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let catalog = app.catalog();
    let locale = locale_for(&catalog, &q, &headers);
    let (receipt, typed) = match receipt_from(&app, &connection, &headers, body).await? {
        Ok(found) => found,
        Err((typed, problem)) => {
            let mut response = html_wiped(ask_page(&app, locale, typed, Some(problem)));
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    let Some(keys) = app.replies.deriver.try_derive(receipt).await else {
        return Ok(busy(&app, locale));
    };
    let threads = app.replies.threads.clone();
    let opened = tokio::task::spawn_blocking(move || open_conversation(&threads, keys))
        .await
        .map_err(|_| PageError::Internal)?;
    let Some((thread, state, replies)) = opened else { return Ok(not_found(&app, locale)) };
    // A conversation whose form was taken out of the config answers like an unknown one.
    let Some(form) = app.form(&state.form) else { return Ok(not_found(&app, locale)) };
    let same = thread.clone();
    let Some(handle) =
        app.replies.open.insert_replacing((thread, state.form.clone()), Instant::now(), |(t, _)| *t == same)
    else {
        return Ok(busy(&app, locale));
    };
    let shown = replies
        .into_iter()
        .rev()
        .map(|reply| ShownReply {
            number: reply.number,
            title: locale.text_with("conversation-reply-date", &[("date", day(reply.posted).into())]),
            message: reply.message,
            downloads: reply
                .documents
                .iter()
                .enumerate()
                .map(|(index, name)| {
                    (index, locale.text_with("conversation-download", &[("name", name.as_str().into())]))
                })
                .collect(),
        })
        .collect();
    let page = ConversationPage {
        page: Chrome::new(&app, locale, locale.text("conversation-title"), "/status"),
        read: locale.text(if state.staff.is_some() { "conversation-read" } else { "conversation-unread" }),
        replies_title: locale.text("conversation-replies"),
        no_replies: locale.text("conversation-no-replies"),
        replies: shown,
        expires: locale.text_with("conversation-expires", &[("date", day(state.expires).into())]),
        receipt: typed,
        download_action: format!("/status/file?lang={}", locale.code),
        follow_up: follow_up_form(&app, form, locale, &handle, None),
        delete_title: locale.text("conversation-delete"),
        delete_intro: locale.text("conversation-delete-intro"),
        delete_action: format!("/status/{handle}/delete?lang={}", locale.code),
        delete_confirm: locale.text("conversation-delete-confirm"),
        delete_button: locale.text("conversation-delete-button"),
    };
    Ok(html_wiped(page))
}

/// `POST /status/file`: one document of one reply, decrypted in memory and sent as a download.
pub(super) async fn download(
    State(app): State<Arc<App>>,
    Query(q): Query<LangQuery>,
    connection: Connection,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let catalog = app.catalog();
    let locale = locale_for(&catalog, &q, &headers);
    let body = read_body(&app, &connection, &headers, body).await?;
    let pairs = form::small_pairs(&body)?;
    let field = |name: &str| pairs.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v.as_str());
    let number = field("reply").and_then(|n| n.parse::<u32>().ok()).ok_or(PageError::BadRequest)?;
    let index = field("file").and_then(|n| n.parse::<usize>().ok()).ok_or(PageError::BadRequest)?;
    let typed = Zeroizing::new(field("receipt").unwrap_or_default().to_string());
    let receipt = match Receipt::parse(&typed) {
        Ok(receipt) => receipt,
        Err(problem) => {
            let mut response = html_wiped(ask_page(&app, locale, typed, Some(problem)));
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    let Some(keys) = app.replies.deriver.try_derive(receipt).await else {
        return Ok(busy(&app, locale));
    };
    let threads = app.replies.threads.clone();
    let document = tokio::task::spawn_blocking(move || {
        let Ok(Found::Live(_)) = threads.find(&keys.thread, SystemTime::now()) else { return None };
        let reply = open_reply(&threads, &keys.thread, number, &keys.identity)?;
        let attachment = reply.attachments.get(index)?;
        let bytes = Zeroizing::new(data_encoding::BASE64.decode(attachment.data.as_bytes()).ok()?);
        Some((attachment.name.clone(), bytes))
    })
    .await
    .map_err(|_| PageError::Internal)?;
    let Some((name, bytes)) = document else { return Ok(not_found(&app, locale)) };
    let mut buffer = form::SecretBuf::with_capacity(bytes.len());
    buffer.extend(&bytes);
    // Always a download, never shown in the page's origin, whatever type staff gave it.
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
            (header::CONTENT_DISPOSITION, content_disposition(&name)),
        ],
        Body::from(bytes::Bytes::from_owner(buffer)),
    )
        .into_response())
}

/// `POST /status/{handle}/write`: a follow-up, read and sealed exactly like a submission.
pub(super) async fn write(
    State(app): State<Arc<App>>,
    Path(handle): Path<String>,
    Query(q): Query<LangQuery>,
    connection: Connection,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let catalog = app.catalog();
    let locale = locale_for(&catalog, &q, &headers);
    if let Err(limited) = connection.charge(&app.limiter, &headers, &app.trusted_proxies) {
        return Ok(closing(PageError::RateLimited(limited.retry_after.as_secs()).into_response()));
    }
    let now = Instant::now();
    // The page was open too long, or this conversation was written to or deleted from it: the
    // person types the receipt again.
    let Some(((thread, form_id), expires)) = app.replies.open.take_until(&handle, now) else {
        return Ok(Redirect::to(&format!("/status?lang={}", locale.code)).into_response());
    };
    let form = app.form(&form_id).ok_or(PageError::NotFound)?;
    let follow_up = form.follow_up();
    let encoding = Encoding::from_content_type(headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()))?;
    let spool = app.spool.clone();
    let form_key = form.id.clone();
    let mut draft =
        tokio::task::spawn_blocking(move || spool.begin(&form_key)).await.map_err(|_| PageError::Internal)??;
    let recipients = form.recipients.current();
    let at = SystemTime::now();
    let ctx = form::Context {
        form: &follow_up,
        recipients: recipients.clone(),
        limits: &app.limits,
        tokens: &app.tokens,
        now: at,
    };
    let mut received = form::read(&ctx, encoding, body.into_data_stream(), &mut draft).await?;
    let token = match spend_token(&app, &mut received, at) {
        Some(id) => id,
        None => {
            drop(draft);
            app.replies.open.put_back(&handle, (thread, form_id), expires);
            let page = FollowUpPage {
                page: Chrome::new(&app, locale, locale.text("conversation-write"), "/status"),
                error_summary_title: locale.text("error-summary-title"),
                follow_up: follow_up_form(&app, form, locale, &handle, Some(&received)),
            };
            let mut response = html_wiped(page);
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    let threads = app.replies.threads.clone();
    let staff_locale = catalog.get(&app.staff_locale).unwrap_or_else(|| catalog.english());
    let envelope = follow_up_envelope(staff_locale, form, draft.id().as_str(), locale.code, received);
    let stored = store_spending(app.tokens.clone(), token, move || {
        let Ok(Found::Live(state)) = threads.find(&thread, SystemTime::now()) else {
            // Deleted or expired while the person wrote: the follow-up still reaches staff.
            let mut envelope = envelope;
            envelope.reply = Some(ReplyTo { thread: thread.to_string(), recipient: String::new() });
            draft.seal_envelope(&recipients, &envelope)?;
            return draft.commit();
        };
        let mut envelope = envelope;
        envelope.reply = Some(ReplyTo { thread: thread.to_string(), recipient: state.recipient.clone() });
        draft.record_thread(&thread)?;
        draft.seal_envelope(&recipients, &envelope)?;
        let id = draft.commit()?;
        if let Err(e) = threads.person_acted(&thread, SystemTime::now()) {
            tracing::warn!(error_kind = ?e.kind(), "recording a follow-up on its conversation failed");
        }
        Ok(id)
    })
    .await;
    match stored {
        Ok(result) => result.map(drop).map_err(PageError::from)?,
        Err(_) => return Err(PageError::Internal),
    }
    Ok(Redirect::to(&format!("/status/sent?lang={}", locale.code)).into_response())
}

/// `POST /status/{handle}/delete`: the person deletes the conversation (after ticking the box).
pub(super) async fn delete(
    State(app): State<Arc<App>>,
    Path(handle): Path<String>,
    Query(q): Query<LangQuery>,
    connection: Connection,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let catalog = app.catalog();
    let locale = locale_for(&catalog, &q, &headers);
    let body = read_body(&app, &connection, &headers, body).await?;
    let pairs = form::small_pairs(&body)?;
    let now = Instant::now();
    let Some(((thread, form_id), expires)) = app.replies.open.take_until(&handle, now) else {
        return Ok(Redirect::to(&format!("/status?lang={}", locale.code)).into_response());
    };
    if !pairs.iter().any(|(k, v)| k.as_str() == "confirm" && v.as_str() == "yes") {
        app.replies.open.put_back(&handle, (thread, form_id), expires);
        let mut response = html(MessagePage {
            page: Chrome::new(&app, locale, locale.text("conversation-delete"), "/status"),
            paragraphs: vec![locale.text("error-checkbox-required"), locale.text("conversation-delete-intro")],
            link_href: format!("/status?lang={}", locale.code),
            link_text: locale.text("status-title"),
        });
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let threads = app.replies.threads.clone();
    tokio::task::spawn_blocking(move || threads.delete(&thread, SystemTime::now()))
        .await
        .map_err(|_| PageError::Internal)?
        .map_err(|e| {
            tracing::error!(error_kind = ?e.kind(), "deleting a conversation failed");
            PageError::Internal
        })?;
    Ok(html(MessagePage {
        page: Chrome::new(&app, locale, locale.text("conversation-deleted-title"), "/status"),
        paragraphs: vec![locale.text("conversation-deleted-body")],
        link_href: format!("/?lang={}", locale.code),
        link_text: locale.text("back-home"),
    }))
}

/// `GET /status/sent`: after a follow-up.
pub(super) async fn written(State(app): State<Arc<App>>, Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let catalog = app.catalog();
    let locale = locale_for(&catalog, &q, &headers);
    html(MessagePage {
        page: Chrome::new(&app, locale, locale.text("followup-sent-title"), "/status/sent"),
        paragraphs: vec![locale.text("followup-sent-body")],
        link_href: format!("/status?lang={}", locale.code),
        link_text: locale.text("status-title"),
    })
}

// ───────────────────────────── helpers ─────────────────────────────

/// Spends the submission rate limits, then reads a small body into wiped memory.
async fn read_body(
    app: &App,
    connection: &Connection,
    headers: &HeaderMap,
    body: Body,
) -> Result<form::SecretBuf, PageError> {
    if let Err(limited) = connection.charge(&app.limiter, headers, &app.trusted_proxies) {
        return Err(PageError::RateLimited(limited.retry_after.as_secs()));
    }
    match form::read_small(body.into_data_stream(), MAX_STATUS_BODY).await {
        Ok(body) => Ok(body),
        Err(BodyError::TooLarge) => Err(PageError::TooLarge(MAX_STATUS_BODY)),
        Err(e) => Err(PageError::from(e)),
    }
}

/// The receipt in a status request's body, or what the person typed and what is wrong with it.
async fn receipt_from(
    app: &App,
    connection: &Connection,
    headers: &HeaderMap,
    body: Body,
) -> Result<Result<(Receipt, Zeroizing<String>), (Zeroizing<String>, ReceiptProblem)>, PageError> {
    let body = read_body(app, connection, headers, body).await?;
    let pairs = form::small_pairs(&body)?;
    let typed = pairs.iter().find(|(k, _)| k.as_str() == "receipt").map(|(_, v)| v.clone()).unwrap_or_default();
    Ok(match Receipt::parse(&typed) {
        // Shown again in the person's grouping, for the page's download buttons.
        Ok(receipt) => {
            let groups = receipt.to_groups();
            Ok((receipt, groups))
        }
        // A very long input is not shown again: the message says how many digits it held.
        Err(problem) if typed.chars().count() > TYPED_DIGITS * 4 => Err((Zeroizing::new(String::new()), problem)),
        Err(problem) => Err((typed, problem)),
    })
}

/// What the conversation page keeps of a reply: its message and its documents' names. The
/// documents themselves are dropped (and wiped) as each reply is opened, so a page holds one
/// reply's bytes at a time, not every document of the conversation.
struct Opened {
    number: u32,
    posted: SystemTime,
    message: Zeroizing<String>,
    documents: Vec<String>,
}

/// A conversation's state and its replies, opened with `keys`; `None` for an unknown, deleted or
/// expired one (the same answer for all three). Reading it counts as the person acting.
fn open_conversation(
    threads: &crate::reply::Threads,
    keys: ThreadKeys,
) -> Option<(ThreadId, ThreadState, Vec<Opened>)> {
    let now = SystemTime::now();
    let Ok(Found::Live(state)) = threads.find(&keys.thread, now) else { return None };
    let replies = state
        .replies
        .iter()
        .filter_map(|(number, posted)| {
            let reply = open_reply(threads, &keys.thread, *number, &keys.identity)?;
            Some(Opened {
                number: *number,
                posted: *posted,
                message: Zeroizing::new(reply.message.clone()),
                documents: reply.attachments.iter().map(|a| a.name.clone()).collect(),
            })
        })
        .collect();
    if let Err(e) = threads.person_acted(&keys.thread, now) {
        tracing::warn!(error_kind = ?e.kind(), "recording that a person read a conversation failed");
    }
    // The expiry the page shows counts this visit.
    let state = match threads.find(&keys.thread, now) {
        Ok(Found::Live(state)) => state,
        _ => state,
    };
    Some((keys.thread, state, replies))
}

/// The form to write again; with `received`, shown again with its mistakes and text.
fn follow_up_form(app: &App, form: &FormSpec, locale: &Locale, handle: &str, received: Option<&Received>) -> FollowUp {
    let spec = form.follow_up();
    let error = |index: usize| {
        received.and_then(|r| r.errors.iter().find(|(i, _)| *i == index)).map(|(_, e)| field_error_text(locale, e))
    };
    let documents = spec.fields.iter().find(|f| f.kind == FieldKind::File).map(|f| {
        let limits = locale.text_with(
            "files-limit",
            &[("count", f.max_files.into()), ("size", human_size(locale, f.max_size).into())],
        );
        (locale.text("conversation-documents"), limits, f.max_files > 1)
    });
    let problem = received.and_then(|r| r.problem).map(|p| {
        locale.text(match p {
            Problem::Token(TokenProblem::TooFast) => "problem-too-fast",
            Problem::Token(TokenProblem::Expired) => "problem-expired",
            Problem::Token(TokenProblem::Used) => "problem-used",
            Problem::Token(TokenProblem::Invalid) | Problem::Honeypot => "problem-invalid",
        })
    });
    FollowUp {
        title: locale.text("conversation-write"),
        action: format!("/status/{handle}/write?lang={}", locale.code),
        enctype: if documents.is_some() { "multipart/form-data" } else { "application/x-www-form-urlencoded" },
        token: app.tokens.issue(&form.id, SystemTime::now()),
        honeypot_label: locale.text("honeypot-label"),
        message_label: locale.text("conversation-message"),
        message: Zeroizing::new(received.map_or("", |r| r.values.get(0)).to_string()),
        message_error: error(0),
        documents,
        documents_error: error(1),
        files_note: (received.is_some() && spec.has_files()).then(|| locale.text("files-not-kept")),
        problem,
        required: locale.text("required"),
        optional: locale.text("optional"),
        send: locale.text("send"),
    }
}

/// A follow-up's envelope: the message labelled in the staff language, the documents, and that
/// it continues a conversation (the caller adds which).
fn follow_up_envelope(staff: &Locale, form: &FormSpec, id: &str, locale: &str, received: Received) -> Envelope {
    let field = EnvelopeField {
        name: "message".into(),
        label: staff.text("conversation-message"),
        kind: Some(FieldKind::Textarea.as_str().into()),
        value: received.values.get(0).to_string(),
        choices: Vec::new(),
    };
    let mut envelope = new_envelope(form, id, locale, vec![field], received);
    envelope.follow_up = true;
    envelope
}

/// The busy page: too many derivations running now.
fn busy(app: &App, locale: &Locale) -> Response {
    let mut response = html(MessagePage {
        page: Chrome::new(app, locale, locale.text("status-busy-title"), "/status"),
        paragraphs: vec![locale.text("status-busy-body")],
        link_href: format!("/status?lang={}", locale.code),
        link_text: locale.text("status-title"),
    });
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_SECONDS));
    response
}

/// The one page for a receipt with no conversation: unknown, deleted or expired alike.
fn not_found(app: &App, locale: &Locale) -> Response {
    let days = app.replies_keep.as_secs() / (24 * 3600);
    let mut response = html(MessagePage {
        page: Chrome::new(app, locale, locale.text("status-not-found-title"), "/status"),
        paragraphs: vec![locale.text_with("status-not-found-body", &[("days", days.into())])],
        link_href: format!("/status?lang={}", locale.code),
        link_text: locale.text("status-title"),
    });
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// `attachment; filename="…"; filename*=UTF-8''…`: an ASCII stand-in (anything outside printable
/// ASCII, quotes, backslashes and separators become `_`) and the name itself, percent-encoded.
fn content_disposition(name: &str) -> HeaderValue {
    let plain: String = name
        .chars()
        .take(200)
        .map(|c| if c.is_ascii_graphic() && !"\"\\/;%".contains(c) || c == ' ' { c } else { '_' })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    HeaderValue::try_from(format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or(HeaderValue::from_static("attachment"))
}
