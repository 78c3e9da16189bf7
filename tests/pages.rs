//! Every page in every shipped language: language, direction, links, weight, quick exit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use http::StatusCode;
use support::*;

/// DESIGN: each page, with its stylesheet and the largest logo `[site]` accepts, weighs under 30 KB.
const MAX_PAGE_BYTES: usize = 30 * 1024;

/// GET pages plus a 422 re-render, for `lang`.
async fn pages(app: &std::sync::Arc<sealpost::http::App>, lang: &str) -> Vec<(String, StatusCode, String)> {
    let mut out = Vec::new();
    for path in [
        "/",
        "/contact",
        "/asylum-help",
        "/contact/sent",
        "/asylum-help/sent",
        "/status",
        "/status/sent",
        "/no-such-page",
    ] {
        let url = format!("{path}?lang={lang}");
        let (status, _, body) = get(app, &url).await;
        out.push((url, status, body));
    }
    // Shown again with every message a field can have at once: the heaviest form page.
    let token = token(app, "asylum-help").await;
    let long = "x".repeat(201);
    let parts = [
        Part::Text("_token", &token),
        Part::Text("name", &long),
        Part::Text("arrived", "31/12/2025"),
        Part::Text("claim", "maybe"),
        Part::Text("next_date", "next week"),
        Part::Text("decision_date", "2026-02-30"),
        Part::Text("family", "cousins"),
        Part::Text("people", "0"),
    ];
    let (status, _, body) = send(app, multipart_request(&format!("/asylum-help?lang={lang}"), multipart(&parts))).await;
    out.push((format!("POST /asylum-help?lang={lang}"), status, body));
    out
}

/// The page with its tags removed: what a reader sees (and attribute values, which hold no text).
fn visible_text(page: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in page.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn every_page_in_every_language_sets_lang_and_direction_and_stays_under_30_kb() {
    let fx = Fixture::new();
    let app = fx.app();
    let (_, _, css) = get(&app, "/static/sealpost.css").await;
    for lang in LANGUAGES {
        let dir = if RIGHT_TO_LEFT.contains(lang) { "rtl" } else { "ltr" };
        for (what, status, page) in pages(&app, lang).await {
            assert!(page.contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")), "{what}");
            let weight = page.len() + css.len() + sealpost::config::MAX_LOGO;
            assert!(weight < MAX_PAGE_BYTES, "{what} weighs {weight} bytes with its stylesheet and a logo");
            let text = visible_text(&page);
            for prefix in ["form-", "field-", "option-", "error-", "problem-", "size-"] {
                assert!(!text.contains(prefix), "{what} shows a raw message id ({prefix}…): {text}");
            }
            if what.starts_with("POST") {
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
                assert!(page.contains("class=\"error-summary\""), "{what}");
            }
        }
    }
}

#[tokio::test]
async fn every_page_links_to_every_language_named_in_its_own_script() {
    let fx = Fixture::new();
    let app = fx.app();
    let (_, _, page) = get(&app, "/asylum-help?lang=fa").await;
    for (code, name) in [
        ("en", "English"),
        ("ar", "العربية"),
        ("fa", "فارسی"),
        ("ps", "پښتو"),
        ("zh-Hans", "简体中文"),
        ("uk", "Українська"),
    ] {
        let dir = if RIGHT_TO_LEFT.contains(&code) { "rtl" } else { "ltr" };
        let link = format!("<a href=\"/asylum-help?lang={code}\" lang=\"{code}\" dir=\"{dir}\" hreflang=\"{code}\"");
        let at = page.find(&link).unwrap_or_else(|| panic!("no link for {code}"));
        assert!(page[at..].split("</a>").next().unwrap().ends_with(name), "{code} is named {name}");
    }
    assert!(page.contains("aria-current=\"true\">فارسی</a>"), "the current language is marked");
}

#[tokio::test]
async fn every_page_has_a_quick_exit_link_that_sends_no_referrer() {
    let fx = Fixture::new();
    let app = fx.app();
    for lang in LANGUAGES {
        for (what, _, page) in pages(&app, lang).await {
            let at = page.find("class=\"quick-exit\"").unwrap_or_else(|| panic!("{what} has no quick exit"));
            let tag = &page[page[..at].rfind("<a ").unwrap()..at + page[at..].find('>').unwrap()];
            assert!(
                tag.contains("href=\"https://www.wikipedia.org/\"") && tag.contains("rel=\"noreferrer\""),
                "{what}: {tag}"
            );
            assert!(at < page.find("<main").unwrap(), "{what}: the quick exit comes before the content");
        }
    }
}

#[tokio::test]
async fn accept_language_picks_the_language_and_query_overrides_it() {
    let fx = Fixture::new();
    let app = fx.app();
    let req = |lang: Option<&str>, accept: &str| {
        let path = lang.map_or("/contact".to_string(), |l| format!("/contact?lang={l}"));
        http::Request::get(path).header("accept-language", accept).body(axum::body::Body::empty()).unwrap()
    };
    let (_, _, page) = send(&app, req(None, "ps-AF,ps;q=0.9,en;q=0.5")).await;
    assert!(page.contains("<html lang=\"ps\" dir=\"rtl\">"));
    let (_, _, page) = send(&app, req(None, "zh-CN,zh;q=0.9")).await;
    assert!(page.contains("<html lang=\"zh-Hans\""));
    let (_, _, page) = send(&app, req(Some("uk"), "ar")).await;
    assert!(page.contains("<html lang=\"uk\""));
    let (_, _, page) = send(&app, req(None, "de-DE,nl;q=0.8")).await;
    assert!(page.contains("<html lang=\"en\""), "unshipped languages fall back to English");
}

#[tokio::test]
async fn a_submission_in_arabic_is_labelled_for_staff_in_their_language_and_records_the_locale() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "contact").await;
    let (status, headers, _) =
        send(&app, urlencoded_request("/contact?lang=ar", &contact_pairs(&token, "مرحبا"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers["location"].to_str().unwrap().starts_with("/contact/sent?lang=ar&r="), "{headers:?}");
    let env = fx.envelope(&fx.entries("contact")[0]);
    assert_eq!(env["locale"], "ar");
    assert_eq!(env["fields"][2]["label"], "Your message", "labels in the staff locale");
    assert_eq!(env["fields"][2]["value"], "مرحبا");
}

#[tokio::test]
async fn sizes_in_messages_use_the_readers_units() {
    let fx = Fixture::new();
    let app = fx.app();
    let (_, _, page) = get(&app, "/asylum-help?lang=fr").await;
    assert!(page.contains("1 Mo"), "French writes Mo");
    let (_, _, page) = get(&app, "/asylum-help?lang=ru").await;
    assert!(page.contains("1 МБ"), "Russian writes МБ");
}
