//! Form schemas and the parsing of untrusted request bodies.
//!
//! Job: read a urlencoded or multipart body against a form's schema. Text stays in memory
//! (zeroized on drop); attachments stream straight from the socket into an age sealer on a
//! blocking thread, so a large upload never sits in memory and never touches disk unencrypted.
//! Invariant: every growable thing is bounded — body bytes, the multipart preamble and each
//! part head (`form/heads.rs`), parts, bytes per text field, files per field, bytes per file —
//! and crossing a bound ends in an error, never in unbounded buffering. Anything two parsers
//! could read two ways (two boundaries, a repeated part header or parameter) is refused. Text
//! grows only through `SecretBuf` (`form/wipe.rs`), which wipes each allocation it leaves.
//! Never: uses a client-supplied name as a path, or logs a value.

mod heads;
mod multipart;
mod outcome;
mod state;
#[cfg(test)]
mod tests;
mod urlencoded;
mod values;
mod wipe;

use bytes::Bytes;
use futures_util::Stream;
use multipart::read_multipart;
use state::{State, collect};
use urlencoded::read_urlencoded;

use crate::spool::Draft;

pub use heads::{MAX_PART_HEAD, MAX_PREAMBLE};
pub use multipart::SEAL_BATCH;
pub use outcome::{BodyError, Context, Encoding, FieldError, Problem, Received, Values};
pub use state::{HONEYPOT_FIELD, TOKEN_FIELD};
pub use urlencoded::{MAX_URLENCODED_BODY, small_pairs};
pub use values::{ascii_digit, parse_date, parse_number};
pub(crate) use wipe::SecretBuf;

/// Reads a whole body. Attachments are sealed into `draft` as they arrive.
pub async fn read<S, E>(
    ctx: &Context<'_>,
    encoding: Encoding,
    body: S,
    draft: &mut Draft,
) -> Result<Received, BodyError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let mut state = State::new(ctx);
    match encoding {
        Encoding::UrlEncoded => {
            let limit = MAX_URLENCODED_BODY.min(ctx.limits.max_body);
            let bytes = collect(body, limit).await?;
            return read_urlencoded_body(ctx, &bytes);
        }
        Encoding::Multipart(boundary) => read_multipart(&mut state, body, boundary, draft).await?,
    }
    Ok(state.finish())
}

/// Reads a whole small body into wiped memory, refusing more than `limit` bytes
/// ([`BodyError::TooLarge`]).
pub(crate) async fn read_small<S, E>(body: S, limit: u64) -> Result<SecretBuf, BodyError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    collect(body, limit).await
}

/// Reads a whole urlencoded body (already in memory, at most [`MAX_URLENCODED_BODY`]).
pub fn read_urlencoded_body(ctx: &Context<'_>, body: &[u8]) -> Result<Received, BodyError> {
    let mut state = State::new(ctx);
    read_urlencoded(&mut state, body)?;
    Ok(state.finish())
}
