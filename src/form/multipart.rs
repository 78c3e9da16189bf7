//! `multipart/form-data` bodies: parts read strictly (one boundary, one disposition, no name
//! hidden in another value), text into wiped buffers, and each file streamed in batches through
//! an age sealer on a blocking thread while the next batch arrives.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use zeroize::Zeroizing;

use sealpost_format::envelope::AttachmentMeta;

use crate::config::FieldKind;
use crate::limit::TokenProblem;
use crate::seal::{AttachmentDigest, AttachmentSealer, SealError};
use crate::spool::{Draft, SpoolError};

use super::heads::pieces;
use super::outcome::{BodyError, FieldError, Problem};
use super::state::FIRST_TEXT_BUFFER;
use super::state::State;
use super::wipe::SecretBuf;

/// Attachment names are cut to this many characters (the envelope keeps them for staff only).
pub(super) const MAX_FILE_NAME_CHARS: usize = 255;

/// Longest media type kept for an attachment.
const MAX_MEDIA_TYPE_BYTES: usize = 127;

/// Most plaintext gathered before one trip to the blocking pool to encrypt and write it: large
/// enough to amortise the hand-offs (100 MiB uploads were about 20 % faster with 1 MiB than with
/// 256 KiB), small enough that memory per upload stays flat. An upload holds at most two batches.
pub const SEAL_BATCH: usize = 1024 * 1024;

/// The first batch of an upload; each next one is twice as large, up to [`SEAL_BATCH`]. Small
/// files are then sealed while they arrive too, instead of all at the end.
pub(super) const FIRST_BATCH: usize = 64 * 1024;

/// A part's `name` and `filename`, as far as it has them.
type NameAndFileName<'a> = (Option<Cow<'a, str>>, Option<Cow<'a, str>>);

/// A part's `name` and `filename`, read strictly from its `Content-Disposition`: parameters
/// split at `;` outside quoted strings, names in any letter case, quoted values with `\"` as a
/// quote (as multer reads them). A repeated `name` or `filename`, or a `name*`/`filename*`
/// (RFC 7578 forbids them; other parsers prefer them), is malformed.
pub(super) fn strict_disposition(value: Option<&[u8]>) -> Result<NameAndFileName<'_>, BodyError> {
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

pub(super) async fn read_multipart<S, E>(
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
    let body = super::heads::Guard::new(body, &boundary);
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
pub(super) fn display_name(raw: &str) -> String {
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
