//! The operator's own catalogs (`pages.translations`): a form made only through the TOML and
//! `translations/<lang>.ftl`, served in the person's language with English standing in for what a
//! language lacks, reloaded on SIGHUP, and checked by `check-config` with file and line.
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
            "{}:19: form \"intake\": the catalog has no message \"form-intake-title\"",
            config.display()
        )),
        "{}",
        stderr(&out)
    );
}
