//! The receipt R a person gets after sending (DESIGN §10): decimal digits only, in groups that
//! each end with a Damm check digit, so a mistyped group is caught, and named, before any key is
//! derived.
//!
//! Job: make a fresh receipt, show it in groups, and read one back as people type it.
//! Invariant: a receipt carries [`SECRET_DIGITS`] uniformly random decimal digits (66 bits); its
//! digits live only in wiped memory and never derive `Debug` or `Display`.
//! Never: logs, formats into a URL, or compares a receipt with anything but its own check digits.

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::form::ascii_digit;

/// Secret digits in a receipt: 10^20 ≈ 2^66.4, above DESIGN §10's 64 bits.
pub const SECRET_DIGITS: usize = 20;

/// Groups a receipt is shown and checked in.
pub const GROUPS: usize = 5;

/// Secret digits per group; each group then has one check digit.
const GROUP_SECRET: usize = SECRET_DIGITS / GROUPS;

/// Digits a person types: the secret and one check digit per group.
pub const TYPED_DIGITS: usize = SECRET_DIGITS + GROUPS;

/// Longest receipt input read, in characters: 25 digits with generous spacing. Anything longer is
/// not a receipt, whatever it holds, and is not looked at further.
pub const MAX_RECEIPT_INPUT: usize = 200;

/// Damm's quasigroup of order 10 (weakly totally anti-symmetric): one check digit catches every
/// single-digit error and every swap of adjacent digits.
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// The Damm interim digit of `digits` (0 for a valid string that ends with its check digit).
fn damm(digits: &[u8]) -> u8 {
    digits.iter().fold(0u8, |interim, &d| {
        DAMM.get(usize::from(interim)).and_then(|row| row.get(usize::from(d))).copied().unwrap_or(0)
    })
}

/// A receipt: its secret digits (ASCII). Wiped when dropped.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Receipt {
    secret: [u8; SECRET_DIGITS],
}

/// Why typed text is not a receipt. Each names what to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptProblem {
    /// Not [`TYPED_DIGITS`] digits (the count typed).
    Length(usize),
    /// Something other than digits, spaces and dashes.
    Characters,
    /// Group `n` (1-based) fails its check digit.
    Group(usize),
}

impl Receipt {
    /// A fresh receipt from the operating system's random source (each digit by rejection
    /// sampling, so every digit is uniform).
    pub fn random() -> Receipt {
        let mut secret = [0u8; SECRET_DIGITS];
        let mut filled = 0;
        while filled < SECRET_DIGITS {
            let mut bytes: Zeroizing<[u8; 32]> = Zeroizing::new(sealpost_format::random_bytes());
            for b in bytes.iter().filter(|b| **b < 250) {
                if let Some(slot) = secret.get_mut(filled) {
                    *slot = b'0' + b % 10;
                    filled += 1;
                }
            }
            bytes.zeroize();
        }
        Receipt { secret }
    }

    /// The secret digits, the input of the key derivation.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The receipt as a person writes it: five groups of five digits (four secret, one check)
    /// separated by spaces.
    pub fn to_groups(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(TYPED_DIGITS + GROUPS));
        for (index, group) in self.secret.chunks(GROUP_SECRET).enumerate() {
            if index > 0 {
                out.push(' ');
            }
            let values: Zeroizing<Vec<u8>> = Zeroizing::new(group.iter().map(|d| d - b'0').collect());
            let check = check_digit(&values);
            out.extend(group.iter().map(|d| char::from(*d)));
            out.push(char::from(b'0' + check));
        }
        out
    }

    /// Reads a receipt as typed: ASCII, Arabic-Indic, Persian or full-width digits, with any
    /// spaces, dashes or dots between them. A group that fails its check digit is named.
    pub fn parse(typed: &str) -> Result<Receipt, ReceiptProblem> {
        if typed.chars().count() > MAX_RECEIPT_INPUT {
            // Too long to be one: say how many digits it held (the body it came in is bounded).
            let digits = typed.chars().filter(|c| ascii_digit(*c).is_some()).count();
            return Err(if digits == TYPED_DIGITS {
                ReceiptProblem::Characters
            } else {
                ReceiptProblem::Length(digits)
            });
        }
        let mut digits = Zeroizing::new(Vec::with_capacity(TYPED_DIGITS));
        for c in typed.chars() {
            if let Some(d) = ascii_digit(c) {
                digits.push(d);
            } else if !(c.is_whitespace() || matches!(c, '-' | '.' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FF0D}'))
            {
                return Err(ReceiptProblem::Characters);
            }
        }
        if digits.len() != TYPED_DIGITS {
            return Err(ReceiptProblem::Length(digits.len()));
        }
        let mut secret = [0u8; SECRET_DIGITS];
        for (index, group) in digits.chunks(GROUP_SECRET + 1).enumerate() {
            if damm(group) != 0 {
                secret.zeroize();
                return Err(ReceiptProblem::Group(index + 1));
            }
            for (offset, d) in group.iter().take(GROUP_SECRET).enumerate() {
                if let Some(slot) = secret.get_mut(index * GROUP_SECRET + offset) {
                    *slot = b'0' + d;
                }
            }
        }
        Ok(Receipt { secret })
    }
}

/// The Damm check digit for `digits` (values 0–9).
fn check_digit(digits: &[u8]) -> u8 {
    damm(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_receipt_shows_five_groups_of_five_digits_and_reads_back_however_it_is_typed() {
        let receipt = Receipt::random();
        let shown = receipt.to_groups();
        assert_eq!(shown.len(), 29);
        assert!(shown.split(' ').all(|g| g.len() == 5 && g.bytes().all(|b| b.is_ascii_digit())));
        let back = Receipt::parse(&shown).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(back.secret(), receipt.secret());
        let squashed: String = shown.chars().filter(|c| *c != ' ').collect();
        assert_eq!(Receipt::parse(&squashed).map(|r| r.secret().to_vec()), Ok(receipt.secret().to_vec()));
        let dashed = shown.replace(' ', " - ");
        assert!(Receipt::parse(&format!("  {dashed}\n")).is_ok());
        // Arabic-Indic and Persian digits, as Arabic and Persian keyboards type them.
        let arabic: String =
            shown.chars().map(|c| c.to_digit(10).map_or(c, |d| char::from_u32(0x0660 + d).unwrap_or(c))).collect();
        let persian: String =
            shown.chars().map(|c| c.to_digit(10).map_or(c, |d| char::from_u32(0x06F0 + d).unwrap_or(c))).collect();
        assert_eq!(Receipt::parse(&arabic).map(|r| r.secret().to_vec()), Ok(receipt.secret().to_vec()));
        assert_eq!(Receipt::parse(&persian).map(|r| r.secret().to_vec()), Ok(receipt.secret().to_vec()));
    }

    #[test]
    fn a_mistake_is_caught_and_its_group_named_before_anything_else() {
        let shown = Receipt::random().to_groups().to_string();
        for group in 0..GROUPS {
            for position in 0..5 {
                let mut chars: Vec<char> = shown.chars().collect();
                let at = group * 6 + position;
                let d = chars[at].to_digit(10).unwrap();
                chars[at] = char::from_digit((d + 3) % 10, 10).unwrap();
                let typo: String = chars.iter().collect();
                assert_eq!(Receipt::parse(&typo).err(), Some(ReceiptProblem::Group(group + 1)), "{typo}");
            }
        }
        assert_eq!(Receipt::parse("1234").err(), Some(ReceiptProblem::Length(4)));
        assert_eq!(Receipt::parse("").err(), Some(ReceiptProblem::Length(0)));
        assert_eq!(Receipt::parse("12345 abcde").err(), Some(ReceiptProblem::Characters));
        let huge = "7".repeat(1_000_000);
        assert_eq!(Receipt::parse(&huge).err(), Some(ReceiptProblem::Length(1_000_000)));
    }

    proptest! {
        #[test]
        fn every_swap_of_two_adjacent_digits_in_a_group_is_caught(seed in 0u64..1_000_000) {
            let _ = seed;
            let shown = Receipt::random().to_groups().to_string();
            let mut chars: Vec<char> = shown.chars().collect();
            for group in 0..GROUPS {
                for position in 0..4 {
                    let at = group * 6 + position;
                    if chars[at] != chars[at + 1] {
                        chars.swap(at, at + 1);
                        let typo: String = chars.iter().collect();
                        prop_assert_eq!(Receipt::parse(&typo).err(), Some(ReceiptProblem::Group(group + 1)));
                        chars.swap(at, at + 1);
                    }
                }
            }
        }

        #[test]
        fn parsing_anything_never_panics(text in "\\PC{0,300}") {
            let _ = Receipt::parse(&text);
        }
    }
}
