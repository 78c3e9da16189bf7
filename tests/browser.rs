//! Headless Chromium (Debian `chromium` + `chromium-driver`) fills in and submits the real forms,
//! with JavaScript off and on; what lands must decrypt to what was typed and attached.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::server::Server;
use support::*;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session; both end on drop.
struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    /// Where a screenshot is kept if a test fails.
    artifacts: PathBuf,
}

/// Starts chromedriver on a free port and proves the port answers as chromedriver: another test
/// may take a port between our probe and chromedriver's bind, so a mismatch retries.
fn start_driver(driver_bin: &Path) -> (Child, SocketAddr) {
    for _ in 0..5 {
        let port = server::free_port();
        let mut driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if driver.try_wait().unwrap().is_some() {
                break; // the port was taken: try another
            }
            let status = TcpStream::connect(addr).ok().and_then(|mut s| {
                s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
                s.write_all(b"GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).ok()?;
                Some(String::from_utf8_lossy(&buf[..n]).into_owned())
            });
            if status.is_some_and(|s| s.contains("\"ready\"")) {
                return (driver, addr);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = driver.kill();
        let _ = driver.wait();
    }
    panic!("chromedriver did not start on any of 5 ports");
}

impl Browser {
    fn start(javascript: bool, profile: &Path) -> Option<Browser> {
        let driver_bin = require_peer("chromedriver")?;
        let chromium = require_peer("chromium")?;
        let (driver, addr) = start_driver(&driver_bin);
        let mut prefs = json!({});
        if !javascript {
            prefs = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=390,1400",
                     // The date picker's typing order follows the browser's language; pin it.
                     "--lang=en-US",
                     format!("--user-data-dir={}", profile.display())],
            "prefs": prefs,
        }}}});
        let mut browser = Browser {
            driver,
            addr,
            session: String::new(),
            artifacts: std::env::temp_dir().join("sealpost-browser-artifacts"),
        };
        let reply = browser.call("POST", "/session", Some(caps));
        browser.session = reply["sessionId"].as_str().expect("a session").to_string();
        Some(browser)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        // chromedriver may keep the connection open: read the head, then Content-Length bytes.
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        let (head_end, length) = loop {
            let n = stream.read(&mut buf).unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
            assert!(n > 0, "webdriver {method} {path}: connection closed early");
            out.extend_from_slice(&buf[..n]);
            if let Some(at) = out.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&out[..at]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                    .unwrap_or(0);
                break (at + 4, length);
            }
        };
        while out.len() < head_end + length {
            let n = stream.read(&mut buf).unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
            assert!(n > 0, "webdriver {method} {path}: connection closed early");
            out.extend_from_slice(&buf[..n]);
        }
        let value: Value = serde_json::from_slice(&out[head_end..head_end + length]).unwrap_or(Value::Null);
        if let Some(error) = value["value"]["error"].as_str() {
            panic!("webdriver {method} {path}: {error}: {}", value["value"]["message"]);
        }
        value["value"].clone()
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn goto(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({"url": url})));
    }

    fn find(&self, css: &str) -> String {
        let found = self.call("POST", &self.s("/element"), Some(json!({"using": "css selector", "value": css})));
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}")).to_string()
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call("POST", &self.s(&format!("/element/{id}/value")), Some(json!({"text": text})));
    }

    /// Empties a text field, as a person selecting its text and deleting it would.
    fn execute_clear(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &self.s(&format!("/element/{id}/clear")), Some(json!({})));
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &self.s(&format!("/element/{id}/click")), Some(json!({})));
    }

    fn execute(&self, script: &str) -> Value {
        self.call("POST", &self.s("/execute/sync"), Some(json!({"script": script, "args": []})))
    }

    fn execute_async(&self, script: &str) -> Value {
        self.call("POST", &self.s("/execute/async"), Some(json!({"script": script, "args": []})))
    }

    fn url(&self) -> String {
        self.call("GET", &self.s("/url"), None).as_str().unwrap_or_default().to_string()
    }

    fn source(&self) -> String {
        self.call("GET", &self.s("/source"), None).as_str().unwrap_or_default().to_string()
    }

    /// Waits up to 20 s for the page's source to contain `needle`; `what` says what did not happen.
    fn wait_for_source(&self, needle: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.source().contains(needle) {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for_url(&self, suffix: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.url().contains(suffix) {
            if Instant::now() > deadline {
                self.keep_screenshot("timeout");
                panic!("browser never reached {suffix}; at {}", self.url());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves a screenshot as a test artifact.
    fn keep_screenshot(&self, name: &str) {
        let png = self.call("GET", &self.s("/screenshot"), None);
        if let Some(b64) = png.as_str() {
            let bytes = data_encoding::BASE64.decode(b64.as_bytes()).unwrap_or_default();
            let _ = std::fs::create_dir_all(&self.artifacts);
            let path = self.artifacts.join(format!("{name}.png"));
            let _ = std::fs::write(&path, bytes);
            eprintln!("screenshot kept at {}", path.display());
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.session.is_empty() {
            self.keep_screenshot("failure");
        }
        if !self.session.is_empty() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.call("DELETE", &self.s(""), None)));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn submit_asylum_form_with_two_attachments(javascript: bool, lang: &str) {
    let fx = Fixture::new();
    let profile = fx.dir.path().join("profile");
    let Some(browser) = Browser::start(javascript, &profile) else { return };
    let srv = Server::start(&fx.config_path);
    let first = fx.dir.path().join("decision.pdf");
    let second = fx.dir.path().join("photo of notice.jpg");
    let pdf: Vec<u8> = (0..150_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(&first, &pdf).unwrap();
    std::fs::write(&second, b"\xff\xd8\xff\xe0 jpeg-ish bytes").unwrap();

    browser.goto(&format!("http://{}/?lang={lang}", srv.addr));
    browser.click("a[href^='/asylum-help']");
    browser.wait_for_url("/asylum-help");
    let dir = if RIGHT_TO_LEFT.contains(&lang) { "rtl" } else { "ltr" };
    assert!(browser.source().contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")));
    let message = match (javascript, lang) {
        (_, "ar") => "كتبت هذا والجافاسكريبت معطل. ساعدوني من فضلكم.",
        (true, _) => "Typed with JavaScript on.",
        (false, _) => "Typed with JavaScript off.",
    };
    browser.type_into("#f-name", "Amira");
    browser.click("#f-contact_method option[value='whatsapp']");
    browser.type_into("#f-contact", "+33 6 12 34 56 78, after 6 pm only");
    browser.type_into("#f-language", "Arabic");
    browser.type_into("#f-location", "Lyon, France");
    browser.click("#f-claim-waiting");
    browser.type_into("#f-next_date", "01122027");
    browser.click("#f-next_type-court");
    browser.click("#f-family-children");
    browser.click("#f-family");
    // Arabic-Indic digits, as an Arabic keyboard types them.
    browser.type_into("#f-people", if lang == "ar" { "٣" } else { "3" });
    browser.type_into("#f-deadline", "Hearing on 12 January");
    browser.type_into("#f-message", message);
    browser.type_into("#f-documents", &format!("{}\n{}", first.display(), second.display()));
    browser.click("#f-consent");
    browser.click("button[type=submit]");
    browser.wait_for_url("/asylum-help/sent");
    if lang == "en" {
        assert!(browser.source().contains("Your message has been sent"));
    }

    let entries = fx.entries("asylum-help");
    assert_eq!(entries.len(), 1);
    let env = fx.envelope(&entries[0]);
    assert_eq!(env["locale"], lang);
    assert_eq!(env["fields"][0]["label"], "Name or nickname", "staff read labels in their own language");
    let value =
        |name: &str| env["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap()["value"].clone();
    assert_eq!(value("message"), message);
    assert_eq!(value("contact_method"), "WhatsApp");
    assert_eq!(value("contact"), "+33 6 12 34 56 78, after 6 pm only");
    assert_eq!(value("consent"), "Yes");
    let field = |name: &str| env["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap().clone();
    assert_eq!(field("claim")["kind"], "radio");
    assert_eq!(field("claim")["choices"], json!(["waiting"]));
    assert_eq!(value("claim"), "Yes, and I am waiting for a decision");
    assert_eq!(field("next_date")["kind"], "date");
    assert_eq!(value("next_date"), "2027-01-12");
    assert_eq!(field("next_type")["choices"], json!(["court"]));
    assert_eq!(field("family")["kind"], "checkboxes");
    assert_eq!(field("family")["choices"], json!(["partner", "children"]), "in the form's order");
    assert_eq!(value("family"), "Husband, wife or partner\nChildren");
    assert_eq!((field("people")["kind"].clone(), value("people")), (json!("number"), json!("3")));
    assert!(env["fields"].as_array().unwrap().iter().all(|f| f["name"] != "detained"), "unanswered is left out");
    let attachments = env["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2);
    assert_eq!(attachments[0]["name"], "decision.pdf");
    assert_eq!(attachments[1]["name"], "photo of notice.jpg");
    let plain = fx.decrypt(&entries[0].join("1.age"));
    assert_eq!(&plain[..pdf.len()], &pdf[..]);
}

#[test]
fn a_person_submits_the_asylum_form_with_two_attachments_with_javascript_off() {
    submit_asylum_form_with_two_attachments(false, "en");
}

#[test]
fn a_person_submits_the_asylum_form_in_arabic_right_to_left_with_javascript_off() {
    submit_asylum_form_with_two_attachments(false, "ar");
}

#[test]
fn a_person_submits_the_asylum_form_with_two_attachments_with_javascript_on() {
    submit_asylum_form_with_two_attachments(true, "en");
}

#[test]
fn a_mistake_is_shown_beside_the_field_and_the_typed_text_is_kept() {
    let fx = Fixture::new();
    let profile = fx.dir.path().join("profile");
    let Some(browser) = Browser::start(false, &profile) else { return };
    let srv = Server::start(&fx.config_path);
    browser.goto(&format!("http://{}/contact", srv.addr));
    browser.type_into("#f-message", "Please call me back.");
    browser.type_into("#f-reply", &"7".repeat(501));
    browser.click("button[type=submit]");
    browser.wait_for_url("/contact?lang=en");
    let page = browser.source();
    assert!(page.contains("Please check the form"), "the error summary is shown");
    assert!(page.contains("Please shorten this to 500 characters or fewer."));
    assert!(page.contains("Please call me back."), "what the person typed is still there");
    fx.assert_nothing_written();
}

/// README's "Make it yours": the clinic's own form, in Spanish, with JavaScript off. A case number
/// in the wrong format comes back with the clinic's own message and the typed text kept; the
/// date typed into the browser's own date picker and the number are sealed with their kinds.
#[test]
fn a_person_uses_the_clinics_own_form_in_spanish_with_javascript_off() {
    let fx = Fixture::make_it_yours();
    let profile = fx.dir.path().join("profile");
    let Some(browser) = Browser::start(false, &profile) else { return };
    let srv = Server::start(&fx.config_path);
    browser.goto(&format!("http://{}/?lang=es", srv.addr));
    let front = browser.source();
    assert!(front.contains("Clínica Jurídica Harbour"), "the clinic's name in Spanish");
    assert!(front.contains("Si está en peligro ahora, llame al <bdi dir=\"ltr\">112</bdi>."), "the emergency line");
    browser.click("a[href^='/intake']");
    browser.wait_for_url("/intake?lang=es");
    browser.type_into("#f-contact", "Signal +34 600 000 000");
    browser.type_into("#f-case_number", "B-123");
    // Chromium's date picker takes the digits of its own locale's order (en-US: month, day, year).
    browser.type_into("#f-hearing", "01152027");
    browser.type_into("#f-household", "3");
    browser.type_into("#f-message", "Tengo una audiencia en enero.");
    browser.click("button[type=submit]");
    // The page comes back at the same address: wait for its messages.
    browser.wait_for_source("error-summary", "the form was not shown again with messages");
    let page = browser.source();
    assert!(page.contains("Un número de caso tiene 8 o 9 cifras"), "the clinic's own message, in Spanish");
    assert!(page.contains("value=\"B-123\""), "what the person typed is kept");
    assert!(page.contains("value=\"2027-01-15\""), "the date is kept, in the picker's format");
    browser.execute_clear("#f-case_number");
    browser.type_into("#f-case_number", "A123456789");
    browser.click("button[type=submit]");
    browser.wait_for_url("/intake/sent?lang=es");

    let env = fx.envelope(&fx.entries("intake")[0]);
    assert_eq!(env["locale"], "es");
    let field = |name: &str| env["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap().clone();
    assert_eq!(
        (field("hearing")["kind"].clone(), field("hearing")["value"].clone()),
        (json!("date"), json!("2027-01-15"))
    );
    assert_eq!(
        (field("household")["kind"].clone(), field("household")["value"].clone()),
        (json!("number"), json!("3"))
    );
    assert_eq!(field("case_number")["value"], "A123456789");
}

/// axe-core, installed from npm by `.ci/run` (pinned there) into `target/axe`.
fn axe_source() -> Option<String> {
    let path = std::env::var_os("SEALPOST_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/axe/node_modules/axe-core/axe.min.js"));
    let source = std::fs::read_to_string(&path).ok();
    if source.is_none() {
        bins::peer_missing(
            &format!("axe-core is missing at {}; .ci/run installs it with npm", path.display()),
            &format!("axe-core is not installed at {}; run .ci/run", path.display()),
        );
    }
    source
}

/// Runs axe on the current page; returns one line per violation.
fn axe_violations(browser: &Browser, axe: &str) -> Vec<String> {
    browser.execute(&format!("{axe}\n;return true;"));
    let result = browser.execute_async(
        "const done = arguments[arguments.length - 1];\
         axe.run(document, { resultTypes: ['violations'] }).then(r => done(JSON.stringify(r.violations.map(v => \
           ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) })))))\
           .catch(e => done(JSON.stringify([{ id: 'axe-error', help: String(e), nodes: [] }])));",
    );
    let list: Vec<Value> = serde_json::from_str(result.as_str().unwrap_or("[]")).unwrap();
    list.iter().map(|v| format!("{} ({}): {} at {}", v["id"], v["impact"], v["help"], v["nodes"])).collect()
}

#[test]
fn axe_finds_no_accessibility_violations_on_any_page_in_any_language() {
    let Some(axe) = axe_source() else { return };
    let fx = Fixture::new();
    let profile = fx.dir.path().join("profile");
    let Some(browser) = Browser::start(true, &profile) else { return };
    let srv = Server::start(&fx.config_path);
    let mut problems = Vec::new();
    let mut checked = 0;
    for lang in LANGUAGES {
        for path in ["/", "/contact", "/asylum-help", "/contact/sent", "/no-such-page"] {
            browser.goto(&format!("http://{}{path}?lang={lang}", srv.addr));
            checked += 1;
            for v in axe_violations(&browser, &axe) {
                problems.push(format!("{path}?lang={lang}: {v}"));
            }
        }
        // The form shown again with every message: required fields empty, dates and a number
        // that do not parse (the date shown as text), bypassing the browser's checks.
        browser.goto(&format!("http://{}/asylum-help?lang={lang}", srv.addr));
        browser.execute(
            "for (const [id, value] of [['f-arrived', '31/12/2025'], ['f-next_date', 'soon'], ['f-people', '0']]) {\
               const input = document.getElementById(id); input.type = 'text'; input.value = value; }\
             document.querySelector('form').submit(); return true;",
        );
        browser.wait_for_source("error-summary", "the form was not shown again with messages");
        checked += 1;
        for v in axe_violations(&browser, &axe) {
            problems.push(format!("422 /asylum-help?lang={lang}: {v}"));
        }
    }
    assert_eq!(checked, LANGUAGES.len() * 6);
    // The worked example's own site: logo, emergency line, address, privacy notice, fieldset,
    // and its form shown again with a pattern, date and number message.
    let clinic = Fixture::make_it_yours();
    let clinic_srv = Server::start(&clinic.config_path);
    for lang in ["en", "es", "ar"] {
        for path in ["/", "/intake", "/intake/sent"] {
            browser.goto(&format!("http://{}{path}?lang={lang}", clinic_srv.addr));
            for v in axe_violations(&browser, &axe) {
                problems.push(format!("clinic {path}?lang={lang}: {v}"));
            }
        }
        browser.goto(&format!("http://{}/intake?lang={lang}", clinic_srv.addr));
        browser.execute(
            "document.getElementById('f-case_number').value = 'B-1';\
             const date = document.getElementById('f-hearing'); date.type = 'text'; date.value = 'soon';\
             document.getElementById('f-household').value = '99';\
             document.querySelector('form').submit(); return true;",
        );
        browser.wait_for_source("error-summary", "the clinic's form was not shown again with messages");
        let page = browser.source();
        assert!(page.contains("id=\"e-case_number\"") && page.contains("id=\"e-household\""), "{page}");
        for v in axe_violations(&browser, &axe) {
            problems.push(format!("clinic 422 /intake?lang={lang}: {v}"));
        }
    }
    // axe is really checking: a field stripped of its label must be reported.
    browser.goto(&format!("http://{}/contact", srv.addr));
    browser.execute("document.querySelector('label[for=f-message]').remove(); return true;");
    let broken = axe_violations(&browser, &axe);
    assert!(broken.iter().any(|v| v.starts_with("\"label\"")), "axe missed an unlabelled field: {broken:?}");
    assert!(problems.is_empty(), "{} axe violations:\n{}", problems.len(), problems.join("\n"));
    fx.assert_nothing_written();
}

/// Words of the element matching `css` that the browser laid out over more than one line box.
const SPLIT_WORDS: &str = r#"
const found = [];
for (const css of ['.site-title a', '.quick-exit']) {
  const el = document.querySelector(css);
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(/\S+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (lines.size > 1) found.push(css + ': ' + m[0]);
    }
  }
}
return JSON.stringify({ split: found, scroll: document.documentElement.scrollWidth,
                        width: document.documentElement.clientWidth });
"#;

#[test]
fn at_320_pixels_wide_the_header_splits_no_word_and_nothing_scrolls_sideways_in_any_language() {
    let fx = Fixture::new();
    let profile = fx.dir.path().join("profile");
    let Some(browser) = Browser::start(true, &profile) else { return };
    let srv = Server::start(&fx.config_path);
    browser.call("POST", &browser.s("/window/rect"), Some(json!({"width": 320, "height": 900})));
    let mut problems = Vec::new();
    for lang in LANGUAGES {
        for path in ["/", "/asylum-help"] {
            browser.goto(&format!("http://{}{path}?lang={lang}", srv.addr));
            let result: Value = serde_json::from_str(browser.execute(SPLIT_WORDS).as_str().unwrap()).unwrap();
            let width = result["width"].as_u64().unwrap();
            assert!((200..=320).contains(&width), "the page must be laid out 320 px wide, not {width}");
            if result["scroll"].as_u64().unwrap() > width {
                problems.push(format!("{path}?lang={lang}: scrolls sideways to {}", result["scroll"]));
            }
            for word in result["split"].as_array().unwrap() {
                problems.push(format!("{path}?lang={lang}: split word {word}"));
            }
        }
    }
    browser.goto(&format!("http://{}/asylum-help?lang=ar", srv.addr));
    browser.keep_screenshot("header-320px-ar");
    assert!(problems.is_empty(), "{} problems at 320 px:\n{}", problems.len(), problems.join("\n"));
}

/// The receipt shown on a sent page: its five groups, joined by spaces.
fn receipt_shown(page: &str) -> String {
    let start = page.find("class=\"receipt-digits\"").unwrap_or_else(|| panic!("no receipt shown: {page}"));
    let end = start + page[start..].find("</p>").unwrap();
    page[start..end].split("<span>").skip(1).map(|g| g.split("</span>").next().unwrap()).collect::<Vec<_>>().join(" ")
}

/// The whole way back in `lang`, as a person and a lawyer go it: the person sends the asylum form
/// and writes the receipt down; staff pull and reply with a document; the person types the
/// receipt (in Arabic-Indic digits on an Arabic page), reads the reply and writes again with a
/// file; staff pull the follow-up, linked to the first submission. With `axe`, every page the
/// person sees on the way is checked.
fn the_way_back(javascript: bool, lang: &str, axe: Option<&str>) {
    let fx = Fixture::new();
    let profile = fx.dir.path().join("profile");
    let Some(browser) = Browser::start(javascript, &profile) else { return };
    let srv = Server::start(&fx.config_path);
    let url = format!("http://{}", srv.addr);
    let identity = fx.write_identity_file();
    let out = fx.dir.path().join("out");
    let mut problems = Vec::new();
    let mut check = |what: &str| {
        if let Some(axe) = axe {
            problems.extend(axe_violations(&browser, axe).into_iter().map(|v| format!("{what} ({lang}): {v}")));
        }
    };

    browser.goto(&format!("{url}/asylum-help?lang={lang}"));
    browser.type_into("#f-name", "Amira");
    browser.click("#f-contact_method option[value='other']");
    browser.type_into("#f-contact", "no safe phone");
    browser.type_into("#f-language", "Arabic");
    browser.type_into("#f-location", "Lyon");
    browser.type_into("#f-message", "I have no safe way to be reached. Please answer here.");
    browser.click("#f-consent");
    browser.click("button[type=submit]");
    browser.wait_for_url(&format!("/asylum-help/sent?lang={lang}"));
    let sent = browser.source();
    let receipt = receipt_shown(&sent);
    assert!(!browser.url().contains(&receipt.replace(' ', "")), "the receipt is not in the address");
    check("the sent page with the receipt");

    let run = |args: &[&str]| {
        let output = support::staff::staff_cli(args);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let pull = || {
        run(&[
            "pull",
            "--server",
            &url,
            "--identity",
            identity.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--json",
        ])
    };
    let first = pull()["submissions"][0]["id"].as_str().unwrap().to_string();
    let message = fx.dir.path().join("reply.txt");
    std::fs::write(&message, "We read your message. Come to our office on Tuesday at 10.").unwrap();
    let letter = fx.dir.path().join("office map.pdf");
    std::fs::write(&letter, b"%PDF-1.4 map").unwrap();
    let folder = out.join(&first);
    run(&[
        "reply",
        folder.to_str().unwrap(),
        "--server",
        &url,
        "--identity",
        identity.to_str().unwrap(),
        "--message",
        message.to_str().unwrap(),
        "--attach",
        letter.to_str().unwrap(),
        "--json",
    ]);

    if axe.is_some() {
        // The pages of a mistake and of an unknown receipt, too.
        browser.goto(&format!("{url}/status?lang={lang}"));
        browser.type_into("#f-receipt", "12345");
        browser.click("form[action^='/status'] button[type=submit]");
        browser.wait_for_source("id=\"e-receipt\"", "the mistake was not shown");
        check("a mistyped receipt");
        browser.goto(&format!("{url}/status?lang={lang}"));
        browser.type_into("#f-receipt", &sealpost::reply::Receipt::random().to_groups());
        browser.click("form[action^='/status'] button[type=submit]");
        let deadline = Instant::now() + Duration::from_secs(20);
        while browser.source().contains("id=\"f-receipt\"") {
            assert!(Instant::now() < deadline, "no page for an unknown receipt");
            std::thread::sleep(Duration::from_millis(50));
        }
        check("an unknown receipt");
    }
    browser.goto(&format!("{url}/status?lang={lang}"));
    check("the status page");
    let typed: String = if lang == "ar" {
        receipt.chars().map(|c| c.to_digit(10).map_or(' ', |d| char::from_u32(0x0660 + d).unwrap())).collect()
    } else {
        receipt.clone()
    };
    browser.type_into("#f-receipt", &typed);
    browser.click("form[action^='/status'] button[type=submit]");
    browser.wait_for_source("conversation-read", "the conversation was not shown");
    let page = browser.source();
    assert!(page.contains("We read your message. Come to our office on Tuesday at 10."), "{page}");
    assert!(page.contains("office map.pdf"));
    check("the conversation");

    let document = fx.dir.path().join("reporting.jpg");
    std::fs::write(&document, b"\xff\xd8 reporting letter").unwrap();
    browser.type_into("#f-message", "Thank you, I will come. Here is my reporting letter.");
    browser.type_into("#f-documents", document.to_str().unwrap());
    browser.click("form[action*='/write'] button[type=submit]");
    browser.wait_for_url(&format!("/status/sent?lang={lang}"));
    check("the page after writing again");

    let follow = &pull()["submissions"][0];
    assert_eq!((follow["follow_up"].as_bool(), follow["continues"].as_str()), (Some(true), Some(first.as_str())));
    let second = follow["id"].as_str().unwrap();
    assert_eq!(std::fs::read(out.join(second).join("reporting.jpg")).unwrap(), b"\xff\xd8 reporting letter");
    assert!(
        std::fs::read_to_string(out.join(second).join("submission.txt"))
            .unwrap()
            .contains("Here is my reporting letter")
    );
    assert!(problems.is_empty(), "{} axe violations:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_way_back_in_english_with_javascript_off() {
    the_way_back(false, "en", None);
}

#[test]
fn the_way_back_in_arabic_right_to_left_with_javascript_off() {
    the_way_back(false, "ar", None);
}

#[test]
fn axe_finds_no_violation_on_the_receipt_status_and_conversation_pages() {
    let Some(axe) = axe_source() else { return };
    for lang in ["en", "ar", "fa"] {
        the_way_back(true, lang, Some(&axe));
    }
}
