//! Errors that stop a form from being read at all.
//!
//! Problems *in* a form (an unknown type, a missing name) are not errors of this kind: they
//! are collected in a [`crate::Report`] so an author sees all of them at once. A
//! [`ReadError`] means there was no spreadsheet to look at.

use thiserror::Error;

/// The file could not be read as a spreadsheet.
#[derive(Debug, Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The extension is not one of the spreadsheet formats we read.
    #[error("unsupported form file type '.{0}': use .xlsx, .xls, .ods or .csv")]
    UnsupportedFormat(String),
    /// calamine could not parse the workbook (corrupt or not a spreadsheet).
    #[error("not a readable spreadsheet: {0}")]
    Spreadsheet(String),
    /// The CSV could not be parsed.
    #[error("not a readable XLSForm CSV: {0}")]
    Csv(String),
}
