//! How large a form file may be, checked before anything is allocated for it.
//!
//! A form is untrusted input: anyone with the surveys role uploads one, and `crocevia xlsform
//! check` reads whatever it is given. An `.xlsx` is a zip of XML, so 1.8 KB can declare cells
//! at A1 and XFD1048576, and a reader that builds a dense grid from that asks for ~550 GB.
//! The readers therefore never size anything from what the file *declares* (the sheet's
//! `<dimension>`, the zip's sizes): the zip entries are inflated into a counting sink first,
//! and cells are streamed one by one into a sparse grid whose dense size is checked against
//! [`MAX_CELLS`] before each cell is kept.
//!
//! The figures leave room for far bigger forms than real ones: the REACH multi-sector needs
//! assessment in tests/conformance, a large real XLSForm, spans 548 survey rows by 25
//! columns and 510 choice rows by 8.

use std::fmt;

/// The largest form file read, in bytes (also the HTTP upload cap for forms). Real XLSForms
/// weigh tens to hundreds of kilobytes; 16 MiB fits one with many images embedded.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// The most entries (files) in an `.xlsx` zip. A workbook has a dozen parts plus one per
/// sheet and per image; a thousand is far beyond any form and keeps the zip directory small.
pub const MAX_ZIP_ENTRIES: usize = 1_000;

/// The most bytes all the entries of an `.xlsx` may inflate to, together. Sheet XML costs
/// 30–60 bytes per cell, so this holds [`MAX_CELLS`] cells with room to spare, while a zip
/// bomb (deflate reaches ~1,000:1) is stopped after reading this much, not 16 GB.
pub const MAX_UNZIPPED_BYTES: u64 = 128 * 1024 * 1024;

/// The last spreadsheet row a cell may be in. Forms have hundreds to a few thousand rows, and
/// choice lists of every Italian comune about 8,000; beyond this a form should keep its long
/// lists in an external CSV (`select_one_from_file`) or be split.
pub const MAX_ROWS: usize = 100_000;

/// The last column a cell may be in (column ALL). A form with ten languages and every
/// translatable column has about a hundred; Excel allows 16,384 (XFD).
pub const MAX_COLUMNS: usize = 1_000;

/// The most cells of the whole workbook once every sheet is laid out as a grid (rows with
/// content × the sheet's width): what reading costs in memory, about 50 MB here, whatever
/// the cells hold. The REACH form above spans about 18,000.
pub const MAX_CELLS: usize = 2_000_000;

/// Which limit a form went beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`MAX_FILE_BYTES`].
    FileSize,
    /// [`MAX_ZIP_ENTRIES`].
    ZipEntries,
    /// [`MAX_UNZIPPED_BYTES`].
    UnzippedSize,
    /// [`MAX_ROWS`].
    Rows,
    /// [`MAX_COLUMNS`].
    Columns,
    /// [`MAX_CELLS`].
    Cells,
}

impl Limit {
    /// The stable code of the refusal (kebab-case like [`crate::Code`]; never changes).
    pub fn code(self) -> &'static str {
        match self {
            Limit::FileSize => "file-too-large",
            Limit::ZipEntries => "too-many-zip-entries",
            Limit::UnzippedSize => "unzipped-too-large",
            Limit::Rows => "too-many-rows",
            Limit::Columns => "too-many-columns",
            Limit::Cells => "too-many-cells",
        }
    }

    /// The figure not to go beyond.
    pub fn max(self) -> u64 {
        match self {
            Limit::FileSize => MAX_FILE_BYTES as u64,
            Limit::ZipEntries => MAX_ZIP_ENTRIES as u64,
            Limit::UnzippedSize => MAX_UNZIPPED_BYTES,
            Limit::Rows => MAX_ROWS as u64,
            Limit::Columns => MAX_COLUMNS as u64,
            Limit::Cells => MAX_CELLS as u64,
        }
    }

    /// What the limit is and what to do, in English (the web layer translates by code).
    fn explain(self) -> String {
        let max = self.max();
        match self {
            Limit::FileSize => format!(
                "the file is larger than {} MiB; remove embedded images or split the form",
                max / (1024 * 1024)
            ),
            Limit::ZipEntries => format!(
                "the .xlsx holds more than {max} parts; save the form again as a plain .xlsx workbook"
            ),
            Limit::UnzippedSize => format!(
                "the .xlsx unpacks to more than {} MiB; remove unused sheets and images or split the form",
                max / (1024 * 1024)
            ),
            Limit::Rows => format!(
                "a sheet may use rows 1 to {max}; delete stray cells far below the form, move long choice lists to an external CSV or split the form"
            ),
            Limit::Columns => format!(
                "a sheet may use columns A to {}; delete stray cells far to the right of the form",
                column_name(max as usize - 1)
            ),
            Limit::Cells => format!(
                "the sheets span more than {max} cells (rows × columns); delete stray cells far from the form or split the form"
            ),
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A form refused for its size, with where the limit was crossed when that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    /// Which limit.
    pub limit: Limit,
    /// The sheet being read.
    pub sheet: Option<String>,
    /// The spreadsheet row number of the cell that crossed it.
    pub row: Option<usize>,
    /// The column letters of that cell (`XFD`).
    pub column: Option<String>,
}

impl LimitExceeded {
    pub(crate) fn new(limit: Limit) -> Self {
        LimitExceeded {
            limit,
            sheet: None,
            row: None,
            column: None,
        }
    }

    pub(crate) fn at(mut self, sheet: &str, row: usize, column0: usize) -> Self {
        self.sheet = Some(sheet.to_owned());
        self.row = Some(row);
        self.column = Some(column_name(column0));
        self
    }
}

impl fmt::Display for LimitExceeded {
    /// `survey, row 1048576, column XFD: error[too-many-rows]: a sheet may use rows 1 to …`,
    /// the shape of a [`crate::Problem`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut place = Vec::new();
        if let Some(sheet) = &self.sheet {
            place.push(sheet.clone());
        }
        if let Some(row) = self.row {
            place.push(format!("row {row}"));
        }
        if let Some(column) = &self.column {
            place.push(format!("column {column}"));
        }
        if !place.is_empty() {
            write!(f, "{}: ", place.join(", "))?;
        }
        write!(
            f,
            "error[{}]: the form is too large: {}",
            self.limit.code(),
            self.limit.explain()
        )
    }
}

/// Spreadsheet column letters of a 0-based column index: 0 → `A`, 16383 → `XFD`.
pub fn column_name(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
        assert_eq!(column_name(MAX_COLUMNS - 1), "ALL");
    }
}
