//! Neutralising text and names from outside before they reach a file system or a person.
//!
//! Job: [`safe_file_name`] turns the name a submitter's browser sent into one safe to create on
//! Linux, macOS and Windows; [`neutralize_text`] makes text fit for `submission.txt`;
//! [`for_terminal`] makes text fit for one line of terminal output; `escape_json` does the same
//! for `envelope.json`.
//! Invariant: what comes out holds no control character that could drive a terminal, no bidi
//! embedding, override or isolate that could reorder text, and (for names) no path separator, no
//! invisible format character, no leading dot and no Windows device name; a name is never empty,
//! `.` or `..`, and at most [`MAX_NAME_BYTES`] long.
//! Never: touches the file system; makes a name unique (the folder writer does); drops the bidi
//! marks that Arabic, Hebrew and Persian text needs.

/// Attachment names are cut to this many bytes (file systems allow 255; room is left for ` (n)`).
pub const MAX_NAME_BYTES: usize = 200;
/// A name's extension is kept when cutting if it is at most this many bytes (dot included).
const MAX_EXTENSION_BYTES: usize = 16;

/// Text for a file staff will read (`submission.txt`): newlines and tabs stay (CR and Unicode line
/// separators become newlines); every other control character (ESC, C0, DEL, C1) and every bidi
/// embedding, override or isolate becomes U+FFFD, so nothing can drive a terminal or reorder
/// text. Bidi *marks* (LRM, RLM, ALM) stay: they are ordinary in Arabic, Hebrew and Persian text.
pub fn neutralize_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => '\n',
            c if c.is_control() || is_bidi_reordering(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Text for one line of terminal output: like [`neutralize_text`], and line breaks and tabs
/// become spaces.
pub fn for_terminal(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\t' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => ' ',
            c if c.is_control() || is_bidi_reordering(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// A file name for attachment number `number` from the name the submitter's browser sent: only
/// the last path component, without control, bidi or other invisible format characters,
/// Windows-safe, not hidden, cut to [`MAX_NAME_BYTES`] (keeping a short extension), never empty,
/// `.` or `..`.
pub fn safe_file_name(raw: &str, number: usize) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control() && !is_bidi_control(*c) && !is_format_character(*c) && !matches!(c, '\u{2028}' | '\u{2029}')
        })
        .map(|c| if WINDOWS_FORBIDDEN.contains(&c) { '_' } else { c })
        .collect();
    let not_dot_or_space = |c: char| c == '.' || c.is_whitespace();
    let trimmed = cleaned.trim_matches(not_dot_or_space);
    // One byte is kept in reserve for the `_` that disarms a reserved device name.
    let max = MAX_NAME_BYTES - 1;
    let name = if trimmed.len() <= max {
        trimmed.to_string()
    } else {
        let (stem, ext) = split_extension(trimmed);
        let stem = cut(stem, max - ext.len()).trim_end_matches(not_dot_or_space);
        format!("{stem}{ext}")
    };
    let name = name.trim_matches(not_dot_or_space);
    if name.is_empty() {
        format!("attachment-{number}")
    } else if is_windows_reserved(name) {
        format!("_{name}")
    } else {
        name.to_string()
    }
}

/// JSON text with every character that could drive a terminal or reorder text written as a
/// `\uXXXX` escape (serde_json already escapes C0; this adds C1, bidi controls and line
/// separators). Such characters occur only inside strings, where the escape means the same.
pub(crate) fn escape_json(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\n' || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}') {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// `(stem, ".ext")`, the extension only if short and not the whole name.
pub(crate) fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot)
            if dot > 0
                && name.len() - dot <= MAX_EXTENSION_BYTES
                && name.get(dot..).is_some_and(|e| !e.contains(' ')) =>
        {
            (name.get(..dot).unwrap_or(name), name.get(dot..).unwrap_or_default())
        }
        _ => (name, ""),
    }
}

/// Every bidi formatting character, marks included.
pub(crate) fn is_bidi_control(c: char) -> bool {
    is_bidi_reordering(c) || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Bidi embeddings, overrides and isolates: they reorder the text around them.
fn is_bidi_reordering(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Unicode's format characters (general category Cf, as of Unicode 16), with the unassigned
/// code points between them in the 2060 and tag blocks: invisible, yet they change how a name
/// looks or compares — soft hyphens, zero-width spaces and joiners, bidi controls, word joiners,
/// the byte-order mark, tag characters.
fn is_format_character(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{600}'..='\u{605}'
            | '\u{61C}'
            | '\u{6DD}'
            | '\u{70F}'
            | '\u{890}'..='\u{891}'
            | '\u{8E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Characters Windows refuses in file names (staff may copy folders to Windows or a USB stick).
const WINDOWS_FORBIDDEN: &[char] = &['<', '>', ':', '"', '|', '?', '*'];

/// Device names Windows reserves, with or without an extension.
fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end().to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$")
        || ["COM", "LPT"].iter().any(|prefix| {
            stem.strip_prefix(prefix).is_some_and(|n| {
                n.len() == 1 && n.chars().all(|c| c.is_ascii_digit() || "¹²³".contains(c))
                    || matches!(n, "¹" | "²" | "³")
            })
        })
}

/// The longest prefix of `s` of at most `max` bytes ending on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn file_names_lose_their_folders_and_dangerous_characters() {
        assert_eq!(safe_file_name("../../x", 1), "x");
        assert_eq!(safe_file_name("/etc/passwd", 1), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\a\\evil.exe", 1), "evil.exe");
        assert_eq!(safe_file_name("a\0b.txt", 1), "ab.txt");
        assert_eq!(safe_file_name("report\u{1b}[31m.pdf", 1), "report[31m.pdf");
        assert_eq!(safe_file_name("invoice\u{202E}fdp.exe", 1), "invoicefdp.exe");
        assert_eq!(safe_file_name("a<b>c:d\"e|f?g*h", 1), "a_b_c_d_e_f_g_h");
        assert_eq!(safe_file_name(".bashrc", 1), "bashrc");
        assert_eq!(safe_file_name("name. . .", 1), "name");
    }

    /// Unicode's invisible format characters (category Cf) that the sanitiser must drop.
    fn is_listed_format_character(c: char) -> bool {
        matches!(
            c,
            '\u{AD}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{E0000}'..='\u{E007F}'
        )
    }

    #[test]
    fn file_names_lose_invisible_format_characters() {
        assert_eq!(safe_file_name("in\u{AD}voice\u{200B}.pdf\u{FEFF}", 1), "invoice.pdf");
        assert_eq!(safe_file_name("pay\u{200D}pal\u{2060}.exe", 1), "paypal.exe");
        assert_eq!(safe_file_name("a\u{E0041}\u{E0042}\u{E007F}b.txt", 1), "ab.txt");
        assert_eq!(safe_file_name("\u{200B}\u{FEFF}", 4), "attachment-4");
        assert_eq!(safe_file_name("\u{200B}.bashrc", 1), "bashrc", "no hidden file behind a zero-width space");
    }

    #[test]
    fn file_names_that_would_be_empty_or_special_get_a_numbered_name() {
        for raw in ["", ".", "..", "../..", "/", "\\", " ", "\u{202E}", "\0\0", "..."] {
            assert_eq!(safe_file_name(raw, 3), "attachment-3", "{raw:?}");
        }
    }

    #[test]
    fn windows_device_names_are_disarmed() {
        for raw in ["CON", "con.txt", "NUL", "nul.tar.gz", "COM1", "lpt9.doc", "AUX ", "COM¹", "CONOUT$"] {
            let safe = safe_file_name(raw, 1);
            assert!(safe.starts_with('_'), "{raw:?} → {safe:?}");
        }
        for fine in ["CONTACT.txt", "COM10", "console.log", "nullable.rs"] {
            assert_eq!(safe_file_name(fine, 1), fine);
        }
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary_keeping_the_extension() {
        let long = format!("{}.pdf", "é".repeat(10_000));
        let safe = safe_file_name(&long, 1);
        assert!(safe.len() <= MAX_NAME_BYTES);
        assert!(safe.ends_with("é.pdf"), "{safe}");
        let no_ext = "x".repeat(10_000);
        assert_eq!(safe_file_name(&no_ext, 1).len(), MAX_NAME_BYTES - 1);
    }

    #[test]
    fn text_keeps_newlines_and_tabs_but_not_escapes_or_overrides() {
        let text = neutralize_text("line 1\r\nline 2\rline\t3 \u{1b}[2J\u{9b}31m \u{202E}abc\u{2066} مرحبا\u{200F}");
        assert_eq!(text, "line 1\nline 2\nline\t3 \u{FFFD}[2J\u{FFFD}31m \u{FFFD}abc\u{FFFD} مرحبا\u{200F}");
        assert!(!for_terminal("a\nb\tc\u{7}").contains(['\n', '\t', '\u{7}']));
    }

    #[test]
    fn json_for_envelope_json_escapes_what_could_drive_a_terminal() {
        let value = serde_json::json!({ "v": "a\u{1b}b\u{9b}c\u{202E}d\u{2028}e" });
        let escaped = escape_json(&serde_json::to_string(&value).unwrap());
        assert!(escaped.chars().all(|c| !c.is_control() && !is_bidi_control(c)), "{escaped}");
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, value);
    }

    proptest! {
        #[test]
        fn sanitised_names_are_always_safe(raw in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f/\\\\.\u{AD}\u{200B}-\u{200F}\u{202A}-\u{202E}\u{2060}-\u{2064}\u{2066}-\u{2069}\u{FEFF}\u{E0000}-\u{E007F} a-zA-Z]{0,300}", number in 1usize..100) {
            let name = safe_file_name(&raw, number);
            prop_assert!(!name.is_empty());
            prop_assert!(name != "." && name != "..");
            prop_assert!(!name.contains(['/', '\\', '\0']));
            prop_assert!(!name.chars().any(|c| c.is_control() || is_bidi_control(c)));
            prop_assert!(!name.chars().any(is_listed_format_character), "{:?}", name);
            prop_assert!(name.len() <= MAX_NAME_BYTES);
            prop_assert!(!name.starts_with('.') && !name.ends_with('.') && !name.ends_with(' '));
            prop_assert!(!is_windows_reserved(&name));
        }

        #[test]
        fn long_names_stay_bounded(stem in "[a-zé ]{150,3000}", ext in "\\.[a-z]{1,6}") {
            let name = safe_file_name(&format!("{stem}{ext}"), 1);
            prop_assert!(name.len() <= MAX_NAME_BYTES);
        }

        #[test]
        fn terminal_text_never_holds_controls(raw in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f\u{202A}-\u{202E} a-z]{0,100}") {
            let line = for_terminal(&raw);
            prop_assert!(!line.chars().any(|c| c.is_control() || is_bidi_reordering(c)));
        }
    }
}
