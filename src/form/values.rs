//! The values a date or number field accepts, as people type them: digits of any script they are
//! likely to use, the separators they are likely to use, and nothing that could mean two things.
//!
//! Job: turn a typed date into `YYYY-MM-DD` and a typed whole number into its decimal form, or
//! say it is not one.
//! Invariant: a value either parses to exactly one calendar date or number, or is refused; a
//! day-first or month-first date (`03/04/2026`) is refused, never guessed.
//! Never: allocates more than the value's own length.

/// Years a date field accepts: anyone alive, any deadline a case could have.
const YEARS: std::ops::RangeInclusive<u32> = 1900..=2199;

/// Longest whole number read, in digits (a number field's bounds are at most 10^12).
const MAX_DIGITS: usize = 15;

/// The ASCII digit `c` stands for: ASCII, Arabic-Indic (Arabic), Extended Arabic-Indic (Persian,
/// Urdu, Pashto) and full-width (Chinese input methods) digits.
pub fn ascii_digit(c: char) -> Option<u8> {
    let zero = match c {
        '0'..='9' => '0',
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        '\u{FF10}'..='\u{FF19}' => '\u{FF10}',
        _ => return None,
    };
    u8::try_from(u32::from(c) - u32::from(zero)).ok()
}

/// A date typed as year, month, day (`2026-03-31`, `2026/3/31`, `2026.03.31`, `٢٠٢٦-٠٣-٣١`, with
/// full-width forms too), or
/// sent by a native date picker, as `YYYY-MM-DD`; `None` if it is not a real date.
pub fn parse_date(text: &str) -> Option<String> {
    let mut parts = [0u32; 3];
    let mut digits = [0usize; 3];
    let mut index = 0;
    let mut in_separator = false;
    for c in text.trim().chars() {
        if let Some(d) = ascii_digit(c) {
            if in_separator {
                index += 1;
                in_separator = false;
            }
            let part = parts.get_mut(index)?;
            let count = digits.get_mut(index)?;
            *part = part.checked_mul(10)?.checked_add(u32::from(d))?;
            *count += 1;
            if *count > 4 {
                return None;
            }
        } else if matches!(c, '-' | '/' | '.' | ' ' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FF0D}'..='\u{FF0F}')
            && !in_separator
        {
            if digits.get(index).is_none_or(|n| *n == 0) {
                return None;
            }
            in_separator = true;
        } else {
            return None;
        }
    }
    let [year, month, day] = parts;
    let shape_ok = index == 2 && !in_separator && digits[0] == 4 && digits[1] <= 2 && (1..=2).contains(&digits[2]);
    if !shape_ok || !YEARS.contains(&year) || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month)
    {
        return None;
    }
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A whole number in any of [`ascii_digit`]'s scripts, with an optional leading minus sign;
/// `None` for anything else (fractions, thousands separators, words).
pub fn parse_number(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || digits.chars().count() > MAX_DIGITS {
        return None;
    }
    let mut value: i64 = 0;
    for c in digits.chars() {
        value = value.checked_mul(10)?.checked_add(i64::from(ascii_digit(c)?))?;
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_are_read_year_first_in_any_of_the_scripts_and_separators_people_use() {
        for (typed, iso) in [
            ("2026-03-31", "2026-03-31"),
            (" 2026/3/5 ", "2026-03-05"),
            ("2026.12.01", "2026-12-01"),
            ("2024-02-29", "2024-02-29"),
            ("2000-02-29", "2000-02-29"),
            ("٢٠٢٦-٠٣-٣١", "2026-03-31"),
            ("۲۰۲۶/۰۳/۳۱", "2026-03-31"),
            // A Solar Hijri year is out of range: refused, never read as a Gregorian one.
            ("۱۴۰۵/۰۱/۱۰", ""),
            ("２０２６－０３－３１", "2026-03-31"),
            ("2026 3 31", "2026-03-31"),
        ] {
            let parsed = parse_date(typed);
            if iso.is_empty() {
                assert_eq!(parsed, None, "{typed}");
            } else {
                assert_eq!(parsed.as_deref(), Some(iso), "{typed}");
            }
        }
    }

    #[test]
    fn a_date_that_is_not_one_real_day_is_refused() {
        for typed in [
            "",
            "2026",
            "2026-03",
            "31/03/2026",
            "03/31/2026",
            "2026-13-01",
            "2026-00-10",
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-03-00",
            "2026--03-31",
            "2026-03-31-",
            "-2026-03-31",
            "2026-003-31",
            "20260-03-31",
            "1899-12-31",
            "2200-01-01",
            "next week",
            "2026-03-3l",
            "99999999999999999999-1-1",
        ] {
            assert_eq!(parse_date(typed), None, "{typed}");
        }
    }

    #[test]
    fn numbers_are_whole_in_any_script_and_nothing_else() {
        assert_eq!(parse_number(" 3 "), Some(3));
        assert_eq!(parse_number("٣"), Some(3));
        assert_eq!(parse_number("۱۲"), Some(12));
        assert_eq!(parse_number("-4"), Some(-4));
        assert_eq!(parse_number("\u{2212}4"), Some(-4));
        for bad in ["", "-", "3.5", "1,000", "1 000", "three", "+3", "--3", "9999999999999999"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_real_date_round_trips(year in 1900u32..=2199, month in 1u32..=12, day in 1u32..=31) {
            let iso = format!("{year:04}-{month:02}-{day:02}");
            let real = day <= days_in_month(year, month);
            prop_assert_eq!(parse_date(&iso).is_some(), real);
            if real {
                prop_assert_eq!(parse_date(&format!("{year}/{month}/{day}")), Some(iso));
            }
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = parse_date(&text);
            let _ = parse_number(&text);
        }

        #[test]
        fn numbers_round_trip(n in -1_000_000_000_000i64..=1_000_000_000_000) {
            prop_assert_eq!(parse_number(&n.to_string()), Some(n));
        }
    }
}
