//! The core relay through the router (no sockets): round trips, every bound, bots, headers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use axum::body::Body;
use futures_util::StreamExt;
use http::{Request, StatusCode};
use support::*;

#[tokio::test]
async fn multipart_round_trip_with_two_attachments_decrypts_to_the_same_bytes() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let pdf: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let photo = b"\xff\xd8\xff\xe0 not really a jpeg".to_vec();
    let mut parts = asylum_parts(&token, "They took my papers.\r\nPlease help — ayúdenme.");
    parts.insert(9, document("decision letter.pdf", "application/pdf", &pdf));
    parts.insert(10, document("photo.jpg", "image/jpeg", &photo));
    let (status, headers, _) = send(&app, multipart_request("/asylum-help?lang=en", multipart(&parts))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers["location"].to_str().unwrap().starts_with("/asylum-help/sent?lang=en&r="), "{headers:?}");

    let entries = fx.entries("asylum-help");
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    let mut names: Vec<String> =
        std::fs::read_dir(entry).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["1.age", "2.age", "ack.sha256", "envelope.age", "thread"]);

    let env = fx.envelope(entry);
    assert_eq!(env["sealpost"], 2);
    // The ack secret is sealed inside; beside the files only its SHA-256 is kept.
    let secret = data_encoding::HEXLOWER.decode(env["ack"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(secret.len(), 32);
    assert_eq!(std::fs::read_to_string(entry.join("ack.sha256")).unwrap(), hex_sha256(&secret));
    assert_eq!(env["form"], "asylum-help");
    assert_eq!(env["locale"], "en");
    assert_eq!(env["id"], entry.file_name().unwrap().to_str().unwrap());
    let id = env["id"].as_str().unwrap();
    assert_eq!(id.len(), 26);
    assert!(id.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)));
    let received = env["received"].as_str().unwrap();
    assert!(received.len() == 20 && received.ends_with('Z'), "RFC 3339 UTC to the second: {received}");
    let field = |name: &str| env["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).cloned();
    assert_eq!(field("message").unwrap()["value"], "They took my papers.\nPlease help — ayúdenme.");
    assert_eq!(field("message").unwrap()["label"], "What happened, and what help do you need?");
    assert_eq!(field("contact_method").unwrap()["value"], "Signal");
    assert_eq!(field("consent").unwrap()["value"], "Yes");
    assert_eq!(field("deadline").unwrap()["value"], "Court hearing on 3 December");

    let attachments = env["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2);
    for (meta, original, file) in [(&attachments[0], &pdf, "1.age"), (&attachments[1], &photo, "2.age")] {
        assert_eq!(meta["file"], file);
        assert_eq!(meta["size"], original.len() as u64);
        assert_eq!(meta["sha256"], hex_sha256(original));
        let plain = fx.decrypt(&entry.join(file));
        assert_eq!(plain.len() as u64, sealpost_format::pad::padme(original.len() as u64), "Padmé padding");
        assert_eq!(&plain[..original.len()], &original[..]);
        assert!(plain[original.len()..].iter().all(|b| *b == 0));
    }
    assert_eq!(attachments[0]["name"], "decision letter.pdf");
    assert_eq!(attachments[0]["type"], "application/pdf");
    assert_eq!(attachments[1]["name"], "photo.jpg");
    assert!(std::fs::read_dir(fx.data_dir().join("spool/incoming")).unwrap().next().is_none());
}

#[tokio::test]
async fn urlencoded_round_trip_keeps_every_field_and_skips_empty_ones() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "contact").await;
    let mut pairs = contact_pairs(&token, "Ça va? 你好 مرحبا");
    pairs.push(("reply", ""));
    let (status, _, _) = send(&app, urlencoded_request("/contact?lang=en", &pairs)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let env = fx.envelope(&fx.entries("contact")[0]);
    let names: Vec<&str> = env["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["name", "email", "message"]);
    assert_eq!(env["fields"][2]["value"], "Ça va? 你好 مرحبا");
    assert_eq!(env["attachments"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn validation_errors_rerender_the_form_with_input_kept_and_write_nothing() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "contact").await;
    let pairs = vec![("_token", token.as_str()), ("name", "Sam <b>&"), ("email", "not-an-address"), ("message", "")];
    let (status, _, page) = send(&app, urlencoded_request("/contact", &pairs)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Please check the form"), "error summary");
    assert!(page.contains("href=\"#f-email\""), "summary links to the field");
    assert!(page.contains("Please enter an email address like name@example.org"));
    assert!(page.contains("Please fill in this field."));
    assert!(page.contains("value=\"Sam &#60;b&#62;&#38;\""), "input kept, escaped");
    assert!(page.contains("value=\"not-an-address\""));
    assert!(page.contains("aria-invalid=\"true\""));
    let fresh = extract_token(&page);
    assert!(!fresh.is_empty(), "the re-rendered form carries a fresh token");
    fx.assert_nothing_written();
}

#[tokio::test]
async fn an_oversize_body_gets_the_413_page_and_writes_nothing() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let big = vec![b'x'; 3 * 1024 * 1024];
    let mut parts = asylum_parts(&token, "hello");
    parts.push(document("big.bin", "application/octet-stream", &big));
    let (status, headers, page) = send(&app, multipart_request("/asylum-help", multipart(&parts))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("Your message is too large"), "{page}");
    assert!(page.contains("2 MB"));
    assert_eq!(headers["cache-control"], "no-store");
    fx.assert_nothing_written();
}

#[tokio::test]
async fn an_oversize_chunked_body_without_length_gets_the_413_page() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let big = vec![b'x'; 3 * 1024 * 1024];
    let mut parts = asylum_parts(&token, "hello");
    parts.push(document("big.bin", "application/octet-stream", &big));
    let body = multipart(&parts);
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
        body.chunks(64 * 1024).map(|c| Ok(bytes::Bytes::copy_from_slice(c))).collect();
    let req = multipart_stream_request("/asylum-help", Body::from_stream(futures_util::stream::iter(chunks)));
    let (status, _, page) = send(&app, req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("Your message is too large"));
    fx.assert_nothing_written();
}

#[tokio::test]
async fn an_oversize_urlencoded_body_gets_the_413_page() {
    let fx = Fixture::with(Options { max_body: "8 MiB", ..Options::default() });
    let app = fx.app();
    let token = token(&app, "contact").await;
    let huge = "x".repeat(1024 * 1024 + 10);
    let (status, _, _) = send(&app, urlencoded_request("/contact", &contact_pairs(&token, &huge))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    fx.assert_nothing_written();
}

#[tokio::test]
async fn a_field_over_its_maximum_is_refused_with_a_message_beside_it() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let long = "é".repeat(20_001);
    let parts = asylum_parts(&token, &long);
    let (status, _, page) = send(&app, multipart_request("/asylum-help", multipart(&parts))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Please shorten this to 20000 characters or fewer."), "message beside the field");
    fx.assert_nothing_written();
}

#[tokio::test]
async fn more_parts_than_max_fields_is_a_bad_request_and_writes_nothing() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "contact").await;
    let mut pairs = contact_pairs(&token, "hi");
    let names: Vec<String> = (0..10_000).map(|i| format!("x{i}")).collect();
    for n in &names {
        pairs.push((n.as_str(), "1"));
    }
    let (status, _, page) = send(&app, urlencoded_request("/contact", &pairs)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("The form could not be read"));
    fx.assert_nothing_written();
}

#[tokio::test]
async fn an_attachment_over_its_size_is_refused_and_nothing_is_kept() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let big = vec![7u8; 1024 * 1024 + 1];
    let mut parts = asylum_parts(&token, "hello");
    parts.push(document("scan.pdf", "application/pdf", b"small"));
    parts.push(document("video.mp4", "video/mp4", &big));
    let (status, _, page) = send(&app, multipart_request("/asylum-help", multipart(&parts))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("“video.mp4” is too large. Each file can be up to 1 MB."), "{page}");
    assert!(page.contains("attached documents are not kept"));
    fx.assert_nothing_written();
}

#[tokio::test]
async fn more_attachments_than_max_files_are_refused() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let mut parts = asylum_parts(&token, "hello");
    for _ in 0..4 {
        parts.push(document("a.txt", "text/plain", b"a"));
    }
    let (status, _, page) = send(&app, multipart_request("/asylum-help", multipart(&parts))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("You can attach up to 3 files."));
    fx.assert_nothing_written();
}

#[tokio::test]
async fn an_empty_file_input_is_not_an_attachment() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let mut parts = asylum_parts(&token, "no documents");
    parts.push(document("", "application/octet-stream", b""));
    let (status, _, _) = send(&app, multipart_request("/asylum-help", multipart(&parts))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let env = fx.envelope(&fx.entries("asylum-help")[0]);
    assert_eq!(env["attachments"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_per_client_limit_answers_429_with_retry_after_and_a_page() {
    let fx = Fixture::with(Options { per_client: "{ burst = 2, per_hour = 1 }", ..Options::default() });
    let app = fx.app();
    for _ in 0..2 {
        let token = token(&app, "contact").await;
        let (status, _, _) = send(&app, urlencoded_request("/contact", &contact_pairs(&token, "hi"))).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let token = token(&app, "contact").await;
    let (status, headers, page) = send(&app, urlencoded_request("/contact", &contact_pairs(&token, "third"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((3000..=3601).contains(&retry), "retry-after {retry}");
    assert!(page.contains("Please wait before sending again"));
    assert!(page.contains("Your message has not been sent yet."));
    assert_eq!(fx.entries("contact").len(), 2, "the refused submission wrote nothing");
}

#[tokio::test]
async fn the_global_budget_limits_all_clients_together() {
    let fx = Fixture::with(Options { global: "{ burst = 2, per_hour = 1 }", ..Options::default() });
    let app = fx.app();
    for peer in ["192.0.2.1:1", "192.0.2.2:1"] {
        let token = token(&app, "contact").await;
        let (status, _, _) = send_from(&app, peer, urlencoded_request("/contact", &contact_pairs(&token, "hi"))).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let token = token(&app, "contact").await;
    let (status, _, _) =
        send_from(&app, "192.0.2.3:1", urlencoded_request("/contact", &contact_pairs(&token, "hi"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_rate_limit_follows_the_address_a_trusted_proxy_forwards() {
    let fx = Fixture::with(Options { per_client: "{ burst = 1, per_hour = 1 }", ..Options::default() });
    let app = fx.app();
    let (first, second) = (token(&app, "contact").await, token(&app, "contact").await);
    let via_proxy = |client: &str| {
        // One page per forwarded client (a timing token is accepted once).
        let token = if client.ends_with(".1") { &first } else { &second };
        let mut req = urlencoded_request("/contact", &contact_pairs(token, "hi"));
        req.headers_mut().insert("x-forwarded-for", client.parse().unwrap());
        req
    };
    // The proxy (127.0.0.1, trusted) forwards two different clients: each has its own budget.
    assert_eq!(send_from(&app, "127.0.0.1:5000", via_proxy("198.51.100.1")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send_from(&app, "127.0.0.1:5000", via_proxy("198.51.100.2")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send_from(&app, "127.0.0.1:5000", via_proxy("198.51.100.1")).await.0, StatusCode::TOO_MANY_REQUESTS);
    // A client that prepends a fake address is still counted by the address the proxy appended.
    assert_eq!(
        send_from(&app, "127.0.0.1:5000", via_proxy("203.0.113.50, 198.51.100.2")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn spoofed_forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let fx = Fixture::with(Options { per_client: "{ burst = 1, per_hour = 1 }", ..Options::default() });
    let app = fx.app();
    let token = token(&app, "contact").await;
    for (i, status) in
        [(1, StatusCode::SEE_OTHER), (2, StatusCode::TOO_MANY_REQUESTS), (3, StatusCode::TOO_MANY_REQUESTS)]
    {
        let mut req = urlencoded_request("/contact", &contact_pairs(&token, "hi"));
        req.headers_mut().insert("x-forwarded-for", format!("198.51.100.{i}").parse().unwrap());
        req.headers_mut().insert("forwarded", format!("for=198.51.100.{i}").parse().unwrap());
        assert_eq!(send_from(&app, "203.0.113.9:4000", req).await.0, status, "attempt {i}");
    }
}

#[tokio::test]
async fn a_full_spool_answers_503_with_a_page_and_keeps_what_it_has() {
    // The spool counts bytes written; a new submission needs room for a small one (64 KiB):
    // after about 103 KiB of the first, 150 KiB has no such room left.
    let fx = Fixture::with(Options { max_spool: "150 KiB", ..Options::default() });
    let app = fx.app();
    assert_eq!(get(&app, "/healthz").await.0, StatusCode::OK);
    let first = token(&app, "asylum-help").await;
    let doc_bytes = vec![1u8; 100 * 1024];
    let mut parts = asylum_parts(&first, "first");
    parts.push(document("a.pdf", "application/pdf", &doc_bytes));
    let (status, _, _) = send(&app, multipart_request("/asylum-help", multipart(&parts))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // What is stored plus room for one more no longer fits.
    let token = token(&app, "contact").await;
    let (status, headers, page) = send(&app, urlencoded_request("/contact", &contact_pairs(&token, "second"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.contains_key("retry-after"));
    assert!(page.contains("We cannot accept messages right now"));
    assert!(page.contains("Your message has not been sent."));
    assert_eq!(fx.entries("asylum-help").len(), 1, "what was accepted is kept");
    assert_eq!(fx.entries("contact").len(), 0);
    assert_eq!(get(&app, "/healthz").await.0, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn healthz_is_200_while_the_spool_is_writable() {
    let fx = Fixture::new();
    let app = fx.app();
    let (status, _, body) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok\n");
}

#[tokio::test]
async fn a_request_slower_than_request_timeout_gets_the_408_page_and_writes_nothing() {
    let fx = Fixture::with(Options { extra_limits: "request_timeout = \"1s\"", ..Options::default() });
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let head = multipart_unfinished(&asylum_parts(&token, "hello"));
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from(head))])
        .chain(futures_util::stream::pending());
    let req = multipart_stream_request("/asylum-help", Body::from_stream(stream));
    let (status, _, page) = send(&app, req).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    assert!(page.contains("Sending took too long"));
    fx.assert_nothing_written();
}

#[tokio::test]
async fn a_filled_honeypot_is_refused_and_writes_nothing() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "contact").await;
    let mut pairs = contact_pairs(&token, "buy now");
    pairs[1] = ("_homepage", "http://spam.example");
    let (status, _, page) = send(&app, urlencoded_request("/contact", &pairs)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Your message could not be sent."));
    assert!(page.contains("buy now"), "a person who somehow filled it keeps their text");
    fx.assert_nothing_written();
}

#[tokio::test]
async fn a_form_sent_faster_than_min_fill_time_is_shown_again() {
    let fx = Fixture::with(Options { min_fill_time: "30m", ..Options::default() });
    let app = fx.app();
    let token = token(&app, "contact").await;
    let (status, _, page) = send(&app, urlencoded_request("/contact", &contact_pairs(&token, "quick"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Please check your answers, then press “Send securely” again."));
    fx.assert_nothing_written();
}

#[tokio::test]
async fn a_missing_or_forged_token_is_refused_before_files_are_stored() {
    let fx = Fixture::new();
    let app = fx.app();
    for token in ["", "1700000000.AAAAAAAAAAAAAAAAAAAAAAAA", "garbage"] {
        let mut parts = asylum_parts(token, "hello");
        parts.push(document("a.pdf", "application/pdf", b"%PDF"));
        let (status, _, page) = send(&app, multipart_request("/asylum-help", multipart(&parts))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "token {token:?}");
        assert!(page.contains("Your message could not be sent."));
    }
    // A file part arriving before the token (browsers send hidden fields first) is a bot.
    let token = token(&app, "asylum-help").await;
    let mut parts = vec![document("a.pdf", "application/pdf", b"%PDF")];
    parts.extend(asylum_parts(&token, "hello"));
    let (status, _, _) = send(&app, multipart_request("/asylum-help", multipart(&parts))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    fx.assert_nothing_written();
}

#[tokio::test]
async fn a_token_for_one_form_does_not_work_on_another() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let (status, _, _) = send(&app, urlencoded_request("/contact", &contact_pairs(&token, "hi"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    fx.assert_nothing_written();
}

#[tokio::test]
async fn duplicate_single_value_fields_and_invalid_utf8_are_bad_requests() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "contact").await;
    let mut pairs = contact_pairs(&token, "one");
    pairs.push(("message", "two"));
    assert_eq!(send(&app, urlencoded_request("/contact", &pairs)).await.0, StatusCode::BAD_REQUEST);
    let body = format!("_token={}&message=%FF%FE", enc(&token));
    let req = Request::post("/contact")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(send(&app, req).await.0, StatusCode::BAD_REQUEST);
    fx.assert_nothing_written();
}

#[tokio::test]
async fn unsupported_content_types_get_415_and_truncated_multipart_400() {
    let fx = Fixture::new();
    let app = fx.app();
    for ct in ["application/json", "text/plain", "multipart/form-data"] {
        let req = Request::post("/contact").header("content-type", ct).body(Body::from("{}")).unwrap();
        assert_eq!(send(&app, req).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
    }
    let token = token(&app, "asylum-help").await;
    let body = multipart(&asylum_parts(&token, "hello"));
    let truncated = body[..body.len() / 2].to_vec();
    let (status, _, _) = send(&app, multipart_request("/asylum-help", truncated)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    fx.assert_nothing_written();
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_no_cookie() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "contact").await;
    let requests = vec![
        Request::get("/").body(Body::empty()).unwrap(),
        Request::get("/contact").body(Body::empty()).unwrap(),
        Request::get("/contact/sent").body(Body::empty()).unwrap(),
        Request::get("/static/sealpost.css").body(Body::empty()).unwrap(),
        Request::get("/healthz").body(Body::empty()).unwrap(),
        Request::get("/no-such-form").body(Body::empty()).unwrap(),
        Request::put("/contact").body(Body::empty()).unwrap(),
        urlencoded_request("/contact", &contact_pairs(&token, "hi")),
        urlencoded_request("/contact", &[("message", "no token")]),
    ];
    for req in requests {
        let what = format!("{} {}", req.method(), req.uri());
        let (_, headers, _) = send(&app, req).await;
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{what}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
        assert_eq!(headers["cache-control"], "no-store", "{what}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert!(!headers.contains_key("set-cookie"), "{what}");
    }
}

#[tokio::test]
async fn pages_load_nothing_from_elsewhere_and_need_no_javascript() {
    let fx = Fixture::new();
    let app = fx.app();
    for path in ["/", "/contact", "/asylum-help", "/contact/sent", "/nope"] {
        let (_, _, page) = get(&app, path).await;
        assert!(!page.contains("<script"), "{path}");
        assert!(!page.contains(" src="), "{path} loads an embedded resource");
        assert!(!page.contains("style="), "{path} has inline styles the CSP would block");
        // The only absolute address is the quick-exit link, which is navigated to, never loaded.
        let without_exit = page.replace("href=\"https://www.wikipedia.org/\" rel=\"noreferrer\"", "");
        assert!(!without_exit.contains("http://") && !without_exit.contains("https://"), "{path}");
        let links: Vec<&str> =
            page.match_indices("<link ").map(|(i, _)| &page[i..i + page[i..].find('>').unwrap()]).collect();
        assert_eq!(links, ["<link rel=\"stylesheet\" href=\"/static/sealpost.css\""], "{path}");
        assert!(page.contains("<html lang=\"en\" dir=\"ltr\">"), "{path}");
    }
    let (_, _, css) = get(&app, "/static/sealpost.css").await;
    assert!(!css.contains("url(") && !css.contains("@import"), "the stylesheet loads nothing");
}

#[tokio::test]
async fn the_honeypot_is_hidden_from_people_and_screen_readers() {
    let fx = Fixture::new();
    let app = fx.app();
    let (_, _, page) = get(&app, "/asylum-help").await;
    let hp = page.find("name=\"_homepage\"").unwrap();
    let wrapper = page[..hp].rfind("<div").unwrap();
    assert!(page[wrapper..hp].contains("aria-hidden=\"true\""));
    let input_end = hp + page[hp..].find('>').unwrap();
    let input_start = page[..hp].rfind("<input").unwrap();
    assert!(page[input_start..input_end].contains("tabindex=\"-1\""));
    // Hidden fields precede every visible field, so they arrive before any file part.
    assert!(hp < page.find("name=\"documents\"").unwrap());
    assert!(page.find("name=\"_token\"").unwrap() < hp);
    assert!(page.contains("enctype=\"multipart/form-data\""));
}

#[tokio::test]
async fn unknown_forms_and_methods_get_translated_error_pages() {
    let fx = Fixture::new();
    let app = fx.app();
    let (status, _, page) = get(&app, "/no-such-form").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Page not found") && page.contains("href=\"/?lang=en\""));
    let (status, _, page) = send(&app, Request::delete("/contact").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(page.contains("This action is not possible"));
    let (status, _, _) = send(&app, urlencoded_request("/no-such-form", &[("a", "b")])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    fx.assert_nothing_written();
}

#[tokio::test]
async fn the_front_page_lists_every_form() {
    let fx = Fixture::new();
    let app = fx.app();
    let (status, _, page) = get(&app, "/?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("href=\"/asylum-help?lang=en\"")
            && page.contains("Ask for free legal help with your asylum claim")
    );
    assert!(page.contains("href=\"/contact?lang=en\"") && page.contains("Contact us"));
}

#[test]
fn uploads_stalled_mid_file_do_not_starve_other_submissions_of_blocking_threads() {
    // A small blocking pool makes the starvation visible: each stalled upload used to hold a
    // blocking thread for its whole duration.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let fx = Fixture::new();
        let app = fx.app();
        let asylum_token = token(&app, "asylum-help").await;
        let contact_token = token(&app, "contact").await;
        let mut stalled = Vec::new();
        for _ in 0..8 {
            let mut head = multipart_unfinished(&asylum_parts(&asylum_token, "stalled"));
            head.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"slow.pdf\"\r\n\r\n%PDF-1.4 first bytes").as_bytes(),
            );
            let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from(head))])
                .chain(futures_util::stream::pending());
            let req = multipart_stream_request("/asylum-help", Body::from_stream(stream));
            let app = app.clone();
            stalled.push(tokio::spawn(async move { send(&app, req).await }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let quick = send(&app, urlencoded_request("/contact", &contact_pairs(&contact_token, "hi")));
        let (status, _, _) = tokio::time::timeout(std::time::Duration::from_secs(10), quick)
            .await
            .expect("a normal submission must not wait for stalled uploads");
        assert_eq!(status, StatusCode::SEE_OTHER);
        for task in stalled {
            task.abort();
        }
    });
}

/// The asylum form as multipart text parts, with `message_head` as the message part's head lines.
fn asylum_body_with_message_head(token: &str, message_head: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for part in asylum_parts(token, "hello") {
        let Part::Text(name, value) = part else { continue };
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        if name == "message" {
            body.extend_from_slice(message_head.as_bytes());
        } else {
            body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n").as_bytes());
        }
        body.extend_from_slice(format!("\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn a_part_with_two_content_disposition_headers_is_a_bad_request_and_writes_nothing() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    // A proxy that reads the first header sees a field nobody checks; multer reads the last.
    let head = "Content-Disposition: form-data; name=\"notes\"\r\nContent-Disposition: form-data; name=\"message\"\r\n";
    let (status, _, page) =
        send(&app, multipart_request("/asylum-help", asylum_body_with_message_head(&token, head))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("lang=\"en\""), "the translated page");
    fx.assert_nothing_written();
    // The same body with one header is accepted: the refusal is about the duplicate alone.
    let one = "Content-Disposition: form-data; name=\"message\"\r\n";
    let (status, _, _) =
        send(&app, multipart_request("/asylum-help", asylum_body_with_message_head(&token, one))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_part_with_two_content_type_headers_is_a_bad_request() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let head =
        "Content-Disposition: form-data; name=\"message\"\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n";
    let (status, _, _) =
        send(&app, multipart_request("/asylum-help", asylum_body_with_message_head(&token, head))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    fx.assert_nothing_written();
}

#[tokio::test]
async fn a_content_type_with_two_boundary_parameters_is_a_bad_request_and_writes_nothing() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let body = multipart(&asylum_parts(&token, "hello"));
    for content_type in [
        format!("multipart/form-data; boundary={BOUNDARY}; boundary=other"),
        format!("multipart/form-data; boundary=other; BOUNDARY=\"{BOUNDARY}\""),
    ] {
        let req = Request::post("/asylum-help")
            .header("content-type", content_type.as_str())
            .header("content-length", body.len())
            .body(Body::from(body.clone()))
            .unwrap();
        let (status, _, _) = send(&app, req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{content_type}");
    }
    fx.assert_nothing_written();
}

#[tokio::test]
async fn a_megabyte_of_preamble_without_a_boundary_is_refused_before_the_body_ends() {
    let fx = Fixture::with(Options { max_body: "8 MiB", ..Options::default() });
    let app = fx.app();
    // The body never ends: a refusal can only come from counting the preamble.
    let pulled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = pulled.clone();
    let endless = futures_util::stream::repeat_with(move || {
        counter.fetch_add(4096, std::sync::atomic::Ordering::Relaxed);
        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'p'; 4096]))
    });
    let req = multipart_stream_request("/asylum-help", Body::from_stream(endless));
    let (status, _, page) = send(&app, req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("lang=\"en\""), "the translated page");
    let pulled = pulled.load(std::sync::atomic::Ordering::Relaxed);
    assert!(pulled <= 64 * 1024, "read {pulled} bytes of preamble before refusing");
    fx.assert_nothing_written();
}

#[tokio::test]
async fn a_part_head_that_never_ends_is_refused_after_a_few_kilobytes() {
    let fx = Fixture::with(Options { max_body: "8 MiB", ..Options::default() });
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let start = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_token\"\r\n\r\n{token}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"message\"\r\nX-Pad: "
    );
    let pulled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = pulled.clone();
    let endless = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes::Bytes::from(start)) }).chain(
        futures_util::stream::repeat_with(move || {
            counter.fetch_add(4096, std::sync::atomic::Ordering::Relaxed);
            Ok(bytes::Bytes::from(vec![b'h'; 4096]))
        }),
    );
    let req = multipart_stream_request("/asylum-help", Body::from_stream(endless));
    let (status, _, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let pulled = pulled.load(std::sync::atomic::Ordering::Relaxed);
    assert!(pulled <= 64 * 1024, "read {pulled} bytes of part head before refusing");
    fx.assert_nothing_written();
}

#[tokio::test]
async fn a_control_byte_in_a_file_name_is_neutralised_and_the_submission_goes_through() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    let mut parts = asylum_parts(&token, "hello");
    parts.insert(9, document("a\x01b\x7fc.pdf", "application/pdf", b"%PDF-1.4"));
    let (status, _, page) = send(&app, multipart_request("/asylum-help", multipart(&parts))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let env = fx.envelope(&fx.entries("asylum-help")[0]);
    assert_eq!(env["attachments"][0]["name"], "a\u{fffd}b\u{fffd}c.pdf");
    assert_eq!(fx.decrypt(&fx.entries("asylum-help")[0].join("1.age"))[..8], b"%PDF-1.4"[..]);
}

#[tokio::test]
async fn a_disposition_whose_name_hides_in_another_value_or_repeats_is_a_bad_request() {
    let fx = Fixture::new();
    let app = fx.app();
    let token = token(&app, "asylum-help").await;
    for head in [
        // multer searches the bytes for `name` and finds it inside the quoted file name.
        "Content-Disposition: form-data; filename=\"x; name=message\"; name=\"notes\"\r\n",
        "Content-Disposition: form-data; name=\"message\"; name=\"notes\"\r\n",
    ] {
        let (status, _, _) =
            send(&app, multipart_request("/asylum-help", asylum_body_with_message_head(&token, head))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{head}");
    }
    fx.assert_nothing_written();
}
