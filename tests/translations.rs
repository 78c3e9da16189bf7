//! The organisation's own site: README's "Make it yours" example (`[site]`, a form of its own with
//! a pattern, a date and a number, English and Spanish catalogs) checked, served and submitted;
//! and the operator's catalogs (`pages.translations`) served in the person's language with English
//! standing in for what a language lacks, reloaded on SIGHUP, and checked by `check-config` with
//! file and line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::path::Path;
use std::time::Duration;

use support::server::{self, Server};
use support::*;

const FORM: &str = r#"[pages]
translations = "translations"

[[form]]
id = "intake"
recipients = "staff.txt"
fields = [
  { name = "case_number", kind = "text", max = 40 },
  { name = "hearing", kind = "textarea", max = 2000 },
  { name = "detained", kind = "checkbox" },
]
"#;

const ENGLISH: &str = "form-intake-title = Ask the Harbour Legal Clinic for help
    .intro = Tell us about your case.
field-intake-case_number = Case or file number, if you have one
field-intake-hearing = When is your next hearing, and where?
field-intake-detained = I am in detention now
";

const SPANISH: &str = "form-intake-title = Pida ayuda a la Clínica Jurídica Harbour
    .intro = Cuéntenos su caso.
field-intake-case_number = Número de caso o expediente, si lo tiene
field-intake-hearing = ¿Cuándo y dónde es su próxima audiencia?
";

/// A folder with a staff key, the intake form's config and its English and Spanish catalogs.
fn operator_site() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let key = age::x25519::Identity::generate();
    std::fs::write(dir.path().join("staff.txt"), format!("{}\n", key.to_public())).unwrap();
    let config = write_config(dir.path(), &Options::DEFAULT, None, FORM);
    std::fs::create_dir(dir.path().join("translations")).unwrap();
    write_catalog(dir.path(), "en", ENGLISH);
    write_catalog(dir.path(), "es", SPANISH);
    (dir, config)
}

fn write_catalog(dir: &Path, code: &str, text: &str) {
    std::fs::write(dir.join("translations").join(format!("{code}.ftl")), text).unwrap();
}

#[test]
fn an_operators_form_is_served_in_its_own_words_with_english_standing_in_for_a_missing_label() {
    let (_dir, config) = operator_site();
    let srv = Server::start(&config);
    let english = server::get(srv.addr, "/intake", "").unwrap();
    assert_eq!(english.status, 200);
    assert!(english.body.contains("Ask the Harbour Legal Clinic for help"), "{}", english.body);
    let spanish = server::get(srv.addr, "/intake?lang=es", "").unwrap();
    assert!(spanish.body.contains("Pida ayuda a la Clínica Jurídica Harbour"), "{}", spanish.body);
    assert!(spanish.body.contains("¿Cuándo y dónde es su próxima audiencia?"));
    assert!(spanish.body.contains("I am in detention now"), "the one label Spanish lacks is shown in English");
    let arabic = server::get(srv.addr, "/intake?lang=ar", "").unwrap();
    assert!(arabic.body.contains("Ask the Harbour Legal Clinic for help"), "a language with no catalog shows English");
    assert!(arabic.body.contains("dir=\"rtl\""), "and the page keeps its direction");
}

#[test]
fn sighup_reloads_the_catalogs_and_a_broken_one_keeps_the_current_text() {
    let (dir, config) = operator_site();
    let srv = Server::start(&config);
    write_catalog(dir.path(), "es", &SPANISH.replace("Cuéntenos su caso.", "Escríbanos su caso."));
    srv.signal("HUP");
    srv.wait_for_log("catalogs reloaded", 1, Duration::from_secs(10));
    let page = server::get(srv.addr, "/intake?lang=es", "").unwrap();
    assert!(page.body.contains("Escríbanos su caso."), "{}", page.body);

    write_catalog(dir.path(), "es", "form-intake-title = {\n");
    srv.signal("HUP");
    let line = srv.wait_for_log("catalog reload failed", 1, Duration::from_secs(10));
    assert!(line.contains("es.ftl:1"), "the log names the file and line: {line}");
    let page = server::get(srv.addr, "/intake?lang=es", "").unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Escríbanos su caso."), "the last good catalogs stay");
}

#[test]
fn check_config_warns_of_each_missing_translation_and_refuses_a_broken_catalog_naming_its_line() {
    let (dir, config) = operator_site();
    let out = bins::run_sealpost(&["check-config", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "a missing translation is a warning: {}", stderr(&out));
    let text = stdout(&out);
    let es = dir.path().join("translations/es.ftl");
    let en = dir.path().join("translations/en.ftl");
    let warning = format!(
        "warning: {}: no field-intake-detained (English at {}:5); English stands in",
        es.display(),
        en.display()
    );
    assert!(text.contains(&warning), "{text}");
    assert!(
        text.contains("case_number  text, up to 40 characters: \"Case or file number, if you have one\""),
        "{text}"
    );

    write_catalog(dir.path(), "es", &format!("{SPANISH}field-intake-detained = {{ broken\n"));
    let out = bins::run_sealpost(&["check-config", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with(&format!("sealpost: {}:5: ", es.display())), "{err}");
    assert!(err.contains("\nhint: "), "{err}");

    write_catalog(dir.path(), "es", SPANISH);
    write_catalog(dir.path(), "xx", "x = y\n");
    let out = bins::run_sealpost(&["check-config", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"xx\" is not one of sealpost's languages"), "{}", stderr(&out));
    std::fs::remove_file(dir.path().join("translations/xx.ftl")).unwrap();

    std::fs::remove_file(&en).unwrap();
    let out = bins::run_sealpost(&["check-config", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "English is required for every label");
    assert!(
        stderr(&out).contains(&format!(
            "{}:20: form \"intake\": the catalog has no message \"form-intake-title\"",
            config.display()
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_worked_example_passes_check_config_with_a_preview_of_the_site_and_its_form() {
    let fx = Fixture::make_it_yours();
    let out = bins::run_sealpost(&["check-config", "--config", fx.config_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "  site: \"Harbour Legal Clinic\"",
        "    logo: /static/logo.svg (image/svg+xml, ",
        "    emergency line: \"If you are in danger now, call 112.\"",
        "    address: \"4 Quay Street / Port Town\"",
        "    privacy notice: https://harbour-legal.example/privacy",
        "    [case] \"Your case\"",
        "      case_number  text, up to 10 characters, matching A?[0-9]{8,9}: \"Case number\"",
        "      hearing      date, year-month-day: \"Date of your next hearing\"",
        "      household    number, a whole number from 1 to 20: \"How many people in your family are here, counting you?\"",
        "has no catalog for fr, ht, pt, ar, fa, ps, ru, uk, zh-Hans, tr: their 3 text(s) show in English",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(!text.contains("translations/es.ftl"), "Spanish translates everything:\n{text}");
}

#[test]
fn the_worked_example_shows_the_clinics_name_logo_emergency_line_privacy_notice_and_address_in_each_language() {
    let fx = Fixture::make_it_yours();
    let srv = Server::start(&fx.config_path);
    // Figures are kept left to right (<bdi dir="ltr">), each text in its own direction (<bdi>,
    // dir="auto"): an English fallback on an Arabic page reads as English, a phone number never
    // reverses.
    let english_address = "<bdi><bdi dir=\"ltr\">4</bdi> Quay Street</bdi><br><bdi>Port Town</bdi>";
    let english_emergency = "If you are in danger now, call <bdi dir=\"ltr\">112</bdi>.";
    for (lang, name, emergency, address) in [
        ("en", "Harbour Legal Clinic", english_emergency, english_address),
        (
            "es",
            "Clínica Jurídica Harbour",
            "Si está en peligro ahora, llame al <bdi dir=\"ltr\">112</bdi>.",
            "<bdi>Calle del Muelle <bdi dir=\"ltr\">4</bdi></bdi><br><bdi>Port Town</bdi>",
        ),
        ("ar", "Harbour Legal Clinic", english_emergency, english_address),
    ] {
        for path in ["/", "/intake", "/intake/sent", "/nowhere"] {
            let page = server::get(srv.addr, &format!("{path}?lang={lang}"), "").unwrap();
            let body = &page.body;
            let at = format!("{lang} {path}: {body}");
            assert!(body.contains(&format!(" · {name}</title>")), "{at}");
            let logo_and_name = format!("<img src=\"/static/logo.svg\" alt=\"\" class=\"logo\"><bdi>{name}</bdi></a>");
            assert!(body.contains(&logo_and_name), "{at}");
            assert!(body.contains(&format!("<p class=\"emergency\" dir=\"auto\">{emergency}</p>")), "{at}");
            assert!(body.contains("<a href=\"https://harbour-legal.example/privacy\" rel=\"noreferrer\">"), "{at}");
            assert!(body.contains(&format!("<address><bdi>{name}</bdi><br>{address}</address>")), "{at}");
        }
    }
    let logo = server::get(srv.addr, "/static/logo.svg", "").unwrap();
    assert_eq!(logo.status, 200);
    assert_eq!(logo.header("content-type").as_deref(), Some("image/svg+xml"));
    assert_eq!(
        logo.header("content-security-policy").as_deref(),
        Some("default-src 'none'; frame-ancestors 'none'; sandbox"),
        "an SVG opened on its own runs and loads nothing"
    );
    assert_eq!(logo.body.as_bytes(), std::fs::read(fx.dir.path().join("logo.svg")).unwrap());
    assert_eq!(server::get(srv.addr, "/static/logo.png", "").unwrap().status, 404, "only the configured logo");
}

#[test]
fn the_worked_example_keeps_what_the_person_typed_beside_a_translated_message_and_seals_each_value_with_its_kind() {
    let fx = Fixture::make_it_yours();
    let srv = Server::start(&fx.config_path);
    let send = |lang: &str, pairs: &[(&str, &str)]| {
        let token = server::token(srv.addr, "intake");
        let mut all = vec![("_token", token.as_str())];
        all.extend_from_slice(pairs);
        let body = server::urlencoded(&all);
        server::post(srv.addr, &format!("/intake?lang={lang}"), "application/x-www-form-urlencoded", &body, "").unwrap()
    };
    let wrong = [
        ("contact", "Signal +34 600 000 000"),
        ("case_number", "B-123"),
        ("hearing", "15/01/2027"),
        ("household", "25"),
        ("message", "Necesito ayuda con mi apelación."),
    ];
    let page = send("es", &wrong);
    assert_eq!(page.status, 422);
    let body = &page.body;
    for kept in ["value=\"B-123\"", "value=\"15/01/2027\"", "value=\"25\"", "Necesito ayuda con mi apelación."] {
        assert!(body.contains(kept), "the person's text is kept: {kept}\n{body}");
    }
    assert!(body.contains("<input type=\"text\" id=\"f-hearing\""), "a date that does not parse is shown as text");
    for message in [
        "Un número de caso tiene 8 o 9 cifras, a veces con una A delante, como A123456789.",
        "Por favor, escriba una fecha real en el orden año-mes-día, por ejemplo 2026-03-31.",
        "Por favor, escriba un número del 1 al 20.",
    ] {
        assert!(body.contains(message), "{message}\n{body}");
    }
    for field in ["case_number", "hearing", "household"] {
        assert!(body.contains(&format!("<p class=\"error\" id=\"e-{field}\">")), "{field} has its message beside it");
        assert!(body.contains(&format!("<a href=\"#f-{field}\">")), "{field} is in the error summary");
    }
    assert!(fx.entries("intake").is_empty(), "nothing is stored");

    let right = [
        ("contact", "Signal +34 600 000 000"),
        ("case_number", "A123456789"),
        ("hearing", "٢٠٢٧/١/١٥"),
        ("household", "3"),
        ("message", "Necesito ayuda con mi apelación."),
    ];
    assert_eq!(send("es", &right).status, 303);
    let env = fx.envelope(&fx.entries("intake")[0]);
    assert_eq!(env["sealpost"], 2, "kinds and choices are optional fields: older staff clients read them");
    let field = |name: &str| env["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap().clone();
    assert_eq!(field("hearing")["kind"], "date");
    assert_eq!(field("hearing")["value"], "2027-01-15", "stored as an ISO date whatever digits were typed");
    assert_eq!(field("household")["kind"], "number");
    assert_eq!(field("household")["value"], "3");
    assert_eq!(field("case_number")["kind"], "text");
    assert_eq!(field("case_number")["label"], "Case number", "labels in the staff language");
}
