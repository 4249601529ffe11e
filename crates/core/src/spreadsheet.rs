//! Text cells that a spreadsheet program opens as text, never as a formula.
//!
//! A CSV has no cell types: Excel, LibreOffice and Google Sheets read a cell beginning with
//! `=`, `+`, `-` or `@` as a formula (and tab or carriage return lead to the same through
//! their import logic), so an anonymous respondent's answer `=HYPERLINK("http://evil","x")`
//! in an export becomes a live link in the analyst's spreadsheet (CSV injection, OWASP).
//! Every CSV the product writes *for spreadsheets* passes user-provided text through
//! [`spreadsheet_safe`], which prefixes such a cell with `'` (OWASP's rule; spreadsheet
//! programs hide the quote and show the text). A plain number like `-3.5` is left alone so it
//! stays a number.
//!
//! Data-interchange CSVs that other software re-imports (the HSDS tabular package) are not
//! escaped: the quote would become part of the value there (a phone `+39 …` would come back
//! as `'+39 …`).

use std::borrow::Cow;

/// The byte order mark every CSV *for spreadsheets* begins with: without it Excel reads UTF-8
/// as the system's legacy code page and Arabic, Cyrillic or accented names come out garbled.
/// (Parsers that do not want it skip it: Python's `utf-8-sig`, R, pandas, LibreOffice.)
pub const SPREADSHEET_BOM: &str = "\u{feff}";

/// The characters that make a spreadsheet read a cell as a formula (OWASP's list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` as a spreadsheet will read it as text: prefixed with `'` when it begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return, unless it is a plain number (`-3.5`,
/// `+2`, `-1e3`).
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(c) if FORMULA_START.contains(&c) && !is_plain_number(cell) => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// A decimal number and nothing else: optional sign, digits with at most one dot, optional
/// exponent.
fn is_plain_number(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = !(int.is_empty() && frac.is_empty()) && digits(int) && digits(frac);
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (cell, safe) in [
            (
                "=HYPERLINK(\"http://evil\",\"x\")",
                "'=HYPERLINK(\"http://evil\",\"x\")",
            ),
            ("+39 06 1234567", "'+39 06 1234567"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("-", "'-"),
            ("--1", "'--1"),
            ("-.", "'-."),
            ("-1e", "'-1e"),
            ("-3.5", "-3.5"),
            ("+2", "+2"),
            ("-1e3", "-1e3"),
            ("-.5", "-.5"),
            ("3.5", "3.5"),
            ("a=b", "a=b"),
            ("", ""),
            ("Ciao", "Ciao"),
        ] {
            assert_eq!(spreadsheet_safe(cell), safe, "{cell:?}");
        }
    }
}
