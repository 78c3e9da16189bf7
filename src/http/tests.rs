//! Tests of the sections together.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sealpost_format::id::SubmissionId;

use crate::limit::{self, TimingTokens, TokenId, TokenProblem};
use crate::spool::SpoolError;

use super::app::token_capacity;
use super::submit::store_spending;

/// A spent token for form `contact`, with the set it was spent in.
fn spent_token() -> (Arc<TimingTokens>, TokenId, SystemTime) {
    let tokens = Arc::new(TimingTokens::new([7; 32]));
    let now = SystemTime::now();
    let text = tokens.issue("contact", now);
    let id = tokens.check("contact", &text, now, Duration::ZERO, Duration::from_secs(3600)).unwrap();
    tokens.redeem(id, now, Duration::from_secs(3600)).unwrap();
    (tokens, id, now)
}

/// Runs `store` through [`store_spending`] and drops its handle at once, as a handler does
/// when the client leaves or `request_timeout` fires; returns once the store has finished.
fn store_with_handler_gone(
    tokens: &Arc<TimingTokens>,
    id: TokenId,
    store: impl FnOnce() -> Result<SubmissionId, SpoolError> + Send + 'static,
) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (go, wait) = std::sync::mpsc::channel::<()>();
    runtime.block_on(async {
        let handle = store_spending(tokens.clone(), id, move || {
            wait.recv().unwrap();
            store()
        });
        drop(handle);
        go.send(()).unwrap();
    });
    // Dropping a runtime waits for its blocking tasks to finish.
    drop(runtime);
}

#[test]
fn the_spent_token_set_holds_what_both_global_budgets_can_accept_when_there_is_an_onion_listener() {
    let hour = Duration::from_secs(3600);
    let global = crate::config::Rate { burst: std::num::NonZeroU32::new(100).unwrap(), period: Duration::from_secs(6) };
    assert_eq!(token_capacity(global, hour, false), 701);
    assert_eq!(token_capacity(global, hour, true), 1402, "room for both budgets' tokens");
    let generous = crate::config::Rate { period: Duration::from_millis(1), ..global };
    assert_eq!(token_capacity(generous, hour, true), limit::MAX_REDEEMED_TOKENS, "still capped");
}

#[test]
fn a_store_that_fails_after_the_handler_is_gone_still_gives_the_token_back() {
    let (tokens, id, now) = spent_token();
    store_with_handler_gone(&tokens, id, || Err(SpoolError::Full));
    assert_eq!(tokens.redeem(id, now, Duration::from_secs(3600)), Ok(()), "the page can be sent again");
}

#[test]
fn a_store_that_reached_ready_keeps_the_token_spent_even_if_its_fsync_failed() {
    for stored in
        [Ok(SubmissionId::random()), Err(SpoolError::CommittedButNotSynced(std::io::Error::other("fsync failed")))]
    {
        let (tokens, id, now) = spent_token();
        store_with_handler_gone(&tokens, id, move || stored);
        assert_eq!(tokens.redeem(id, now, Duration::from_secs(3600)), Err(TokenProblem::Used));
    }
}
