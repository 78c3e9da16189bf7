//! `[site]`: who the site belongs to. The organisation's name, emergency line and address (English
//! here, translated in the operator's catalogs), its privacy notice and its logo.
//!
//! Job: read and check them once at start, the logo's bytes included, so a page never refers to
//! something that is not there.
//! Invariant: the logo is a PNG or an SVG of at most [`MAX_LOGO`] bytes; an SVG holds no script,
//! event attribute, `javascript:` link, foreign object, animation, entity, character reference
//! style, or reference outside itself (and is served under a policy that would run, load and
//! style none of them anyway).
//! Never: fetches anything at run time.

use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::errors::{ConfigError, Source, line_of};

/// Largest logo accepted. Every page carries it, and pages stay under 30 KB with their stylesheet
/// and logo for the slowest phones (README, "Languages and accessibility").
pub const MAX_LOGO: usize = 6 * 1024;

/// Longest name, emergency line or address, in characters: a line or two on a phone.
pub const MAX_SITE_TEXT: usize = 300;

/// Catalog ids of the texts `[site]` gives in English.
pub const SITE_NAME_ID: &str = "site-title";
/// The emergency line, shown at the top of every page when it exists.
pub const SITE_EMERGENCY_ID: &str = "site-emergency";
/// The organisation's address, shown in every page's footer when it exists.
pub const SITE_ADDRESS_ID: &str = "site-address";

/// `[site]`, checked.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// English texts for catalog messages (the name, emergency line, address), each with the
    /// config line that gives it; the operator's `<lang>.ftl` files translate them.
    pub texts: Vec<SiteText>,
    /// The organisation's privacy notice, linked from every page's footer.
    pub privacy_url: Option<String>,
    /// The logo, served from `/static/`.
    pub logo: Option<Logo>,
}

/// One English text of `[site]`.
#[derive(Debug, Clone)]
pub struct SiteText {
    /// The catalog message it stands for, e.g. [`SITE_NAME_ID`].
    pub id: &'static str,
    /// As written; may span lines (an address).
    pub text: String,
    /// `config.toml:LINE`.
    pub defined_at: String,
}

/// The logo's bytes, read once at start.
#[derive(Debug, Clone)]
pub struct Logo {
    /// `/static/logo.svg` or `/static/logo.png`.
    pub path: &'static str,
    /// `image/svg+xml` or `image/png`.
    pub media_type: &'static str,
    /// The file.
    pub bytes: bytes::Bytes,
}

/// `[site]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSite {
    name: Option<Spanned<String>>,
    emergency: Option<Spanned<String>>,
    address: Option<Spanned<String>>,
    privacy_url: Option<Spanned<String>>,
    logo: Option<Spanned<String>>,
}

/// Checks `[site]`; relative paths are read from `base`.
pub(super) fn parse_site(raw: RawSite, source: Source<'_>, base: &Path) -> Result<Site, ConfigError> {
    let mut texts = Vec::new();
    for (key, id, multiline, value) in [
        ("name", SITE_NAME_ID, false, raw.name),
        ("emergency", SITE_EMERGENCY_ID, false, raw.emergency),
        ("address", SITE_ADDRESS_ID, true, raw.address),
    ] {
        let Some(value) = value else { continue };
        let span = value.span();
        let text = value.into_inner().trim().to_string();
        let problem = if text.is_empty() {
            Some("is empty".to_string())
        } else if text.chars().count() > MAX_SITE_TEXT {
            Some(format!("is longer than {MAX_SITE_TEXT} characters"))
        } else if !multiline && text.contains('\n') {
            Some("spans several lines".to_string())
        } else if text.chars().any(|c| c.is_control() && c != '\n') {
            Some("holds a control character".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(source.invalid(
                span,
                format!("site.{key} {problem}"),
                Some("write one short line (the address may use several), or leave the key out"),
            ));
        }
        let defined_at = format!("{}:{}", source.path.display(), line_of(source.text, span.start));
        texts.push(SiteText { id, text, defined_at });
    }
    let privacy_url = match raw.privacy_url {
        Some(url) => {
            let span = url.span();
            let url = url.into_inner();
            if !super::is_plain_url(&url) {
                return Err(source.invalid(
                    span,
                    format!("site.privacy_url: \"{url}\" is not an absolute http(s) address"),
                    Some("write it like \"https://example.org/privacy\""),
                ));
            }
            Some(url)
        }
        None => None,
    };
    let logo = match raw.logo {
        Some(file) => {
            let span = file.span();
            let path = base.join(file.get_ref());
            let logo = read_logo(&path).map_err(|(message, hint)| {
                source.invalid(span, format!("site.logo \"{}\": {message}", path.display()), Some(hint))
            })?;
            Some(logo)
        }
        None => None,
    };
    Ok(Site { texts, privacy_url, logo })
}

/// Reads and checks a logo file.
fn read_logo(path: &Path) -> Result<Logo, (String, &'static str)> {
    const TOO_LARGE: &str =
        "every page carries the logo; export it smaller (an optimised SVG, or a PNG about 200 pixels wide)";
    let file = std::fs::File::open(path).map_err(|e| {
        (
            format!("cannot read it: {}", sealpost_format::files::io_reason(&e)),
            "relative paths are read from the config file's folder",
        )
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_LOGO as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| (format!("cannot read it: {}", sealpost_format::files::io_reason(&e)), "check its permissions"))?;
    if bytes.len() > MAX_LOGO {
        return Err((format!("is larger than the {MAX_LOGO}-byte bound for a logo"), TOO_LARGE));
    }
    let (path, media_type) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        // The IHDR chunk comes first; a file cut before it is not an image.
        if bytes.get(12..16) != Some(b"IHDR") {
            return Err(("is a damaged PNG file".into(), "export the logo again as PNG or SVG"));
        }
        ("/static/logo.png", "image/png")
    } else if let Ok(text) = std::str::from_utf8(&bytes) {
        check_svg(text)?;
        ("/static/logo.svg", "image/svg+xml")
    } else {
        return Err(("is neither a PNG nor an SVG image".into(), "export the logo as PNG or SVG"));
    };
    Ok(Logo { path, media_type, bytes: bytes.into() })
}

/// An SVG logo must be an image and nothing more. This check is the second line: the logo is
/// always served under a policy that runs and loads nothing (`http/headers.rs`), and a page shows
/// it through `<img>`, where browsers run none of it. It looks at the file with case and all
/// whitespace removed, so spacing, capitals and namespace prefixes do not hide anything, and it
/// refuses character references outright, so nothing can be spelled another way.
fn check_svg(text: &str) -> Result<(), (String, &'static str)> {
    const PLAIN: &str = "save it as a plain or optimised SVG with styles as attributes (Inkscape: \"Optimized SVG\"; svgo with convertStyleToAttrs), without scripts, links or animation";
    let squashed: String = text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
    if !squashed.contains("<svg") || squashed.contains("<html") || squashed.contains("xhtml") {
        return Err(("is neither a PNG nor an SVG image".into(), "export the logo as PNG or SVG"));
    }
    let forbidden = [
        ("script", "a script"),
        ("javascript:", "a javascript: link"),
        ("foreignobject", "a foreign object"),
        ("iframe", "a frame"),
        ("<embed", "an embedded object"),
        (":embed", "an embedded object"),
        ("<object", "an embedded object"),
        (":object", "an embedded object"),
        ("<!doctype", "a document type"),
        ("<!entity", "an entity"),
        ("<?xml-stylesheet", "a style sheet from elsewhere"),
        ("@import", "a style sheet from elsewhere"),
        // Served under a policy that allows no style (`http/headers.rs`): styles would not apply,
        // and some browsers would draw the logo black.
        ("<style", "a style sheet"),
        (":style", "a style sheet"),
        ("&#", "a character reference"),
        ("<set", "animation"),
        (":set", "animation"),
        ("<animate", "animation"),
        (":animate", "animation"),
    ];
    if let Some((_, what)) = forbidden.iter().find(|(token, _)| squashed.contains(token)) {
        return Err((format!("contains {what}, which a logo must not"), PLAIN));
    }
    // Links and `url(…)` may point only inside the file (`#id`) or at an embedded image.
    let inside = |rest: &str| {
        let rest = rest.trim_start_matches(['"', '\'']);
        rest.starts_with('#') || rest.starts_with("data:image/png") || rest.starts_with("data:image/jpeg")
    };
    for (token, what) in
        [("href=", "a link to elsewhere"), ("url(", "a reference to elsewhere"), ("src=", "a link to elsewhere")]
    {
        if squashed.match_indices(token).any(|(at, _)| !inside(squashed.get(at + token.len()..).unwrap_or_default())) {
            return Err((format!("contains {what}, which a logo must not"), PLAIN));
        }
    }
    // A `style` attribute (not `font-style` and its like, which are presentation attributes).
    let lower_text = text.to_ascii_lowercase();
    let styled = lower_text.match_indices("style").any(|(at, _)| {
        let before = at.checked_sub(1).and_then(|i| lower_text.as_bytes().get(i)).copied().unwrap_or(b' ');
        let after = lower_text.get(at + "style".len()..).unwrap_or_default().trim_start();
        (before.is_ascii_whitespace() || before == b':') && after.starts_with('=')
    });
    if styled {
        return Err(("contains a style attribute, which a logo must not".into(), PLAIN));
    }
    // An event handler attribute: `on` + letters + `=`, after whitespace or a prefix's colon
    // (looked for in the text with its spacing, since attributes are separated by it).
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    for (index, window) in bytes.windows(2).enumerate() {
        let before = index.checked_sub(1).and_then(|i| bytes.get(i)).copied().unwrap_or(b' ');
        if window == b"on" && (before.is_ascii_whitespace() || before == b':') {
            let rest = bytes.get(index + 2..).unwrap_or_default();
            let letters = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
            let after = rest.get(letters..).unwrap_or_default();
            let after = after.iter().skip_while(|b| b.is_ascii_whitespace()).copied().next();
            if letters > 0 && after == Some(b'=') {
                return Err(("contains an event attribute (on…=), which a logo must not".into(), PLAIN));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_svg;

    #[test]
    fn an_svg_logo_that_could_run_or_load_anything_is_refused() {
        let plain = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="teal"/></svg>"#;
        assert!(check_svg(plain).is_ok());
        for bad in [
            r#"<svg><script>alert(1)</script></svg>"#,
            r#"<svg onload="alert(1)"></svg>"#,
            "<svg\n  OnLoad = 'x'></svg>",
            r#"<svg><a href="javascript:alert(1)"><text>x</text></a></svg>"#,
            r#"<svg><image href="https://tracker.example/p.png"/></svg>"#,
            r#"<svg><foreignObject><p>x</p></foreignObject></svg>"#,
            r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg></svg>"#,
            "<html>not an svg</html>",
            // Found by review: prefixes, spacing, character references, quoted urls, animation,
            // style sheets from elsewhere, and XHTML with an <svg in a comment.
            r#"<svg xmlns:svg="http://www.w3.org/2000/svg"><svg:script>alert(1)</svg:script></svg>"#,
            r#"<svg><h:script xmlns:h="http://www.w3.org/1999/xhtml">x</h:script></svg>"#,
            r#"<svg><image href = "https://tracker.example/p.png"/></svg>"#,
            r#"<svg><a href="&#104;ttps://elsewhere.example/">x</a></svg>"#,
            r#"<svg><rect fill="url('https://elsewhere.example/#g')"/></svg>"#,
            r#"<svg><rect style="fill: url( https://elsewhere.example/#g )"/></svg>"#,
            r#"<svg><style>.a{fill:red}</style></svg>"#,
            r#"<svg><rect STYLE = "fill:red"/></svg>"#,
            r#"<svg><a><set attributeName="href" to="https://elsewhere.example/"/></a></svg>"#,
            r#"<?xml-stylesheet href = "https://elsewhere.example/s.css"?><svg></svg>"#,
            r#"<html xmlns="http://www.w3.org/1999/xhtml"><!--<svg--><body>x</body></html>"#,
            r#"<svg><h:iframe src="https://elsewhere.example/"/></svg>"#,
        ] {
            assert!(check_svg(bad).is_err(), "{bad}");
        }
        // Links inside the file are fine.
        let gradient = r##"<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g"/></defs><rect fill="url(#g)"/><use href="#g"/></svg>"##;
        assert!(check_svg(gradient).is_ok());
        assert!(
            check_svg(r#"<svg><text font-style="italic" fill="red">Clinic</text></svg>"#).is_ok(),
            "presentation attributes are fine"
        );
        // Words that merely contain "on" are fine.
        assert!(
            check_svg(r#"<svg><text font-family="x">Legal aid on call</text><g id="icon" stroke-width="1"/></svg>"#)
                .is_ok()
        );
    }
}
