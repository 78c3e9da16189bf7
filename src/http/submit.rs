//! `POST /{form}`: rate limits and the timing token first, then the body is read, sealed and
//! spooled; the 303 is sent only once the submission is durable (invariant 3), and a refused
//! body is drained briefly so the person sees the page that says why.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use futures_util::StreamExt;
use http::header;
use http::{HeaderMap, StatusCode};

use sealpost_format::envelope::{AckSecret, ENVELOPE_VERSION, Envelope, EnvelopeField, ReplyTo};
use sealpost_format::id::SubmissionId;

use crate::config::{FieldKind, FormSpec};
use crate::form::{self, Encoding, Problem, Received};
use crate::i18n;
use crate::limit::{Connection, TimingTokens, TokenId, TokenProblem};
use crate::metrics::Refusal;
use crate::spool::SpoolError;

use super::app::{App, RECEIPT_WAIT};
use super::errors::{PageError, closing};
use super::pages::{LangQuery, form_page, html_wiped, locale_for};

/// A body refused before it is read (429, 413, 415) is read and discarded up to this many bytes
/// before the answer, so a browser still sending sees the page rather than a reset; then the
/// connection is closed. Small, so a refused upload gives its slot back at once.
const DRAIN_BYTES: u64 = 256 * 1024;

/// ... and for at most this long: a body trickling in cannot hold the slot while it is drained.
const DRAIN_TIME: Duration = Duration::from_secs(2);

// ───────────────────────────── submitting ─────────────────────────────

/// `POST /{form}`, counted in the metrics: accepted, or refused by reason (by the answer's
/// status, so every refusal is counted in one place whatever refused it).
pub(super) async fn submit(
    State(app): State<Arc<App>>,
    Path(form_id): Path<String>,
    query: Query<LangQuery>,
    connection: Connection,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let answer = submit_counted(app.clone(), &form_id, query, connection, headers, body).await;
    // Only configured forms are labels: an unknown name (404) is no form's refusal.
    if app.form(&form_id).is_some() {
        let status = match &answer {
            Ok(response) => response.status(),
            Err(e) => e.status(),
        };
        match Refusal::from_status(status.as_u16()) {
            Some(why) => app.metrics.refused(&form_id, why),
            None if status == StatusCode::SEE_OTHER => app.metrics.accepted(&form_id),
            None => {}
        }
    }
    answer
}

async fn submit_counted(
    app: Arc<App>,
    form_id: &str,
    Query(q): Query<LangQuery>,
    connection: Connection,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let form = app.form(form_id).ok_or(PageError::NotFound)?;
    let catalog = app.catalog();
    let locale = locale_for(&catalog, &q, &headers);
    let max_body = app.limits.max_body;
    // A refusal before the body is read still reads (and drops) a little of it, briefly
    // ([`drain_briefly`]), so a browser still sending is more likely to show the page than a
    // reset; then the connection is closed, so the refused upload holds no slot.
    if let Err(limited) = connection.charge(&app.limiter, &headers, &app.trusted_proxies) {
        drain_briefly(body).await;
        return Ok(closing(PageError::RateLimited(limited.retry_after.as_secs()).into_response()));
    }
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max_body) {
        drain_briefly(body).await;
        return Err(PageError::TooLarge(max_body));
    }
    let encoding = match Encoding::from_content_type(headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())) {
        Ok(encoding) => encoding,
        Err(e) => {
            drain_briefly(body).await;
            return Ok(closing(PageError::from(e).into_response()));
        }
    };
    let spool = app.spool.clone();
    let form_key = form.id.clone();
    let mut draft =
        tokio::task::spawn_blocking(move || spool.begin(&form_key)).await.map_err(|_| PageError::Internal)??;
    // One snapshot of the recipients for the whole submission, even if SIGHUP swaps them now.
    let recipients = form.recipients.current();
    let now = SystemTime::now();
    let ctx = form::Context { form, recipients: recipients.clone(), limits: &app.limits, tokens: &app.tokens, now };
    let mut received = form::read(&ctx, encoding, body.into_data_stream(), &mut draft).await?;

    let token = match spend_token(&app, &mut received, now) {
        Some(id) => id,
        None => {
            drop(draft);
            let mut response = html_wiped(form_page(&app, form, locale, Some(&received)));
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };

    // A fresh receipt from the pool (made ahead of time: no key derivation on this path).
    let pool = app.replies.pool.clone();
    let fresh = tokio::task::spawn_blocking(move || pool.take(RECEIPT_WAIT)).await.ok().flatten();
    let conversation = fresh.as_ref().map(|f| (f.keys.thread.clone(), f.keys.recipient.clone()));
    let mut envelope = build_envelope(&app, form, draft.id().as_str(), locale.code, received);
    envelope.reply = conversation
        .as_ref()
        .map(|(thread, recipient)| ReplyTo { thread: thread.to_string(), recipient: recipient.clone() });
    let threads = app.replies.threads.clone();
    let form_key = form.id.clone();
    let stored = store_spending(app.tokens.clone(), token, move || {
        // Sealed first: a full spool refuses here, before a conversation exists. The
        // conversation then exists before the submission that names it is visible; if the
        // commit fails, it is removed again.
        draft.seal_envelope(&recipients, &envelope)?;
        if let Some((thread, recipient)) = &conversation {
            draft.record_thread(thread)?;
            threads.create(thread, &form_key, recipient, SystemTime::now())?;
        }
        let committed = draft.commit();
        if let (Err(e), Some((thread, _))) = (&committed, &conversation)
            && !e.was_stored()
        {
            let _ = threads.discard(thread);
        }
        committed
    })
    .await;
    // The task has already given the token back if nothing was stored.
    match stored {
        Ok(result) => result.map(drop).map_err(PageError::from)?,
        Err(_) => return Err(PageError::Internal),
    }
    // The receipt waits in memory for the one page that shows it; the address carries a handle.
    let handle = fresh.and_then(|f| app.replies.receipts.insert(f.receipt, Instant::now()));
    let receipt = handle.map(|h| format!("&r={h}")).unwrap_or_default();
    Ok(Redirect::to(&format!("/{}/sent?lang={}{receipt}", form.id, locale.code)).into_response())
}

/// Spends the timing token of `received`, a body read against its form at `now`: the token is
/// spent here and nowhere else, by a submission (or follow-up) that passed every check and is
/// about to be stored. A body refused for a mistake leaves it unspent (its page comes back with a
/// fresh token anyway); of two racing with one token, exactly one passes. `None` when the body
/// must come back, with the token's problem recorded in it if it had no other.
pub(super) fn spend_token(app: &App, received: &mut Received, now: SystemTime) -> Option<TokenId> {
    let spent = match received.token.filter(|_| received.is_valid()) {
        Some(id) => app.tokens.redeem(id, now, app.limits.max_fill_time).map(|()| id),
        None => Err(TokenProblem::Invalid),
    };
    match spent {
        Ok(id) => Some(id),
        Err(problem) => {
            if received.is_valid() {
                received.problem = Some(Problem::Token(problem));
            }
            None
        }
    }
}

/// Runs `store` (seal and commit) on a blocking thread that owns the spent timing `token`.
/// The task runs to its end even when the handler is gone (the client left, `request_timeout`
/// fired), so the token is given back there, not by the handler: when `store` fails before the
/// entry reached `ready/` (or panics), and never once it is there ([`SpoolError::was_stored`]),
/// so the same page can be neither refused as "already sent" when it was never stored nor
/// accepted twice.
pub(super) fn store_spending(
    tokens: Arc<TimingTokens>,
    token: TokenId,
    store: impl FnOnce() -> Result<SubmissionId, SpoolError> + Send + 'static,
) -> tokio::task::JoinHandle<Result<SubmissionId, SpoolError>> {
    tokio::task::spawn_blocking(move || {
        let spent = SpentToken { tokens: &tokens, id: Some(token) };
        let result = store();
        if token_stays_spent(&result) {
            spent.keep();
        }
        result
    })
}

/// Whether a store's outcome keeps its timing token spent: it does once the entry is stored.
fn token_stays_spent(result: &Result<SubmissionId, SpoolError>) -> bool {
    result.as_ref().map_or_else(SpoolError::was_stored, |_| true)
}

/// A spent timing token, given back when dropped (also while unwinding) unless kept.
struct SpentToken<'a> {
    tokens: &'a TimingTokens,
    id: Option<TokenId>,
}

impl SpentToken<'_> {
    /// The submission is stored: the token stays spent.
    fn keep(mut self) {
        self.id = None;
    }
}

impl Drop for SpentToken<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.tokens.release(id);
        }
    }
}

/// The envelope: every non-empty field labelled in the staff language, and the attachments.
fn build_envelope(app: &App, form: &FormSpec, id: &str, locale: &str, received: Received) -> Envelope {
    let catalog = app.catalog();
    let staff = catalog.get(&app.staff_locale).unwrap_or_else(|| catalog.english());
    let mut fields = Vec::new();
    for (index, spec) in form.fields.iter().enumerate() {
        let value = received.values.get(index);
        if spec.kind == FieldKind::File || value.trim().is_empty() {
            continue;
        }
        // Validation passed, so dates and numbers parse and choices are options.
        let choices: Vec<String> =
            if spec.has_options() { value.lines().map(str::to_string).collect() } else { Vec::new() };
        let value = match spec.kind {
            FieldKind::Select | FieldKind::Radio | FieldKind::Checkboxes => choices
                .iter()
                .map(|choice| staff.text(&i18n::option_id(&form.id, &spec.name, choice)))
                .collect::<Vec<_>>()
                .join("\n"),
            FieldKind::Checkbox => staff.text("value-yes"),
            FieldKind::Date => form::parse_date(value).unwrap_or_else(|| value.to_string()),
            FieldKind::Number => form::parse_number(value).map_or_else(|| value.to_string(), |n| n.to_string()),
            _ => value.to_string(),
        };
        fields.push(EnvelopeField {
            name: spec.name.clone(),
            label: staff.text(&i18n::field_id(&form.id, &spec.name)),
            kind: Some(spec.kind.as_str().to_string()),
            value,
            choices,
        });
    }
    new_envelope(form, id, locale, fields, received)
}

/// An envelope sealed now: this version, a fresh ack secret, the submission's id, form and
/// language, `fields` and `received`'s attachments; no conversation yet (the caller adds it).
pub(super) fn new_envelope(
    form: &FormSpec,
    id: &str,
    locale: &str,
    fields: Vec<EnvelopeField>,
    received: Received,
) -> Envelope {
    Envelope {
        sealpost: ENVELOPE_VERSION,
        // The proof of decryption an ack must carry; the spool keeps only its hash.
        ack: Some(AckSecret::random()),
        id: id.to_string(),
        form: form.id.clone(),
        received: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        locale: locale.to_string(),
        fields,
        attachments: received.attachments.into_iter().map(|(_, meta)| meta).collect(),
        reply: None,
        follow_up: false,
    }
}

/// Reads and discards up to [`DRAIN_BYTES`] of a refused body for up to [`DRAIN_TIME`], so a
/// client still sending is more likely to read our answer; the caller then closes the connection.
async fn drain_briefly(body: Body) {
    let mut stream = body.into_data_stream();
    let drained = async {
        let mut seen = 0u64;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len() as u64;
            if seen >= DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drained).await;
}
