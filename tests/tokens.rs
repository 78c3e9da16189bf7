//! The timing token is single-use: an accepted submission spends it, a second use is refused
//! with a "send again" page, and a page re-rendered for a mistake carries a fresh token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use http::StatusCode;
use support::*;

#[tokio::test]
async fn a_token_accepted_once_is_refused_the_second_time_with_a_send_again_page() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "contact").await;
    let (status, _, _) = send(&app, urlencoded_request("/contact?lang=en", &contact_pairs(&token, "first"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = send(&app, urlencoded_request("/contact?lang=en", &contact_pairs(&token, "again"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the same token is not accepted twice");
    assert!(page.contains("already sent"), "the page says why: {page}");
    assert!(page.contains("again"), "and keeps what was written so it can be sent again");
    assert_eq!(fx.entries("contact").len(), 1, "only the first submission landed");
    // The page carries a fresh token, which works.
    let fresh = extract_token(&page);
    assert_ne!(fresh, token);
    let (status, _, _) = send(&app, urlencoded_request("/contact?lang=en", &contact_pairs(&fresh, "again"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(fx.entries("contact").len(), 2);
}

#[tokio::test]
async fn a_page_re_rendered_for_a_mistake_carries_a_fresh_usable_token_and_the_first_is_not_spent() {
    let fx = Fixture::new();
    let app = fx.app();
    let first = token(&app, "contact").await;
    let mut pairs = contact_pairs(&first, "a typo in the address");
    pairs.retain(|(k, _)| *k != "email");
    pairs.push(("email", "sam at example.org"));
    let (status, _, page) = send(&app, urlencoded_request("/contact?lang=en", &pairs)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let second = extract_token(&page);
    assert_ne!(second, first, "the re-rendered page has a token of its own");
    let (status, _, _) = send(&app, urlencoded_request("/contact?lang=en", &contact_pairs(&second, "fixed"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the person correcting a mistake never notices");
    // A refused submission spent nothing: the first page's token still works once.
    let (status, _, _) = send(&app, urlencoded_request("/contact?lang=en", &contact_pairs(&first, "other tab"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = send(&app, urlencoded_request("/contact?lang=en", &contact_pairs(&first, "third"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fx.entries("contact").len(), 2);
}

#[tokio::test]
async fn two_people_who_open_a_form_in_the_same_second_get_different_tokens() {
    let fx = Fixture::new();
    let app = fx.app();
    let (a, b) = (token(&app, "contact").await, token(&app, "contact").await);
    assert_ne!(a, b);
    for t in [&a, &b] {
        let (status, _, _) = send(&app, urlencoded_request("/contact", &contact_pairs(t, "mine"))).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "one person's submission does not spend the other's token");
    }
}
