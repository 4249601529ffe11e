//! Errors that stop a form from being read at all.
//!
//! Problems *in* a form (an unknown type, a missing name) are not errors of this kind: they
//! are collected in a [`crate::Report`] so an author sees all of them at once. A
//! [`ReadError`] means there was no spreadsheet to look at.

use thiserror::Error;

use crate::limits::LimitExceeded;

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
    /// The file is not one of the formats we read (.xlsx and XLSForm .csv: the others
    /// cannot be read within [`crate::limits`]).
    #[error("unsupported form file type '.{0}': save the form as .xlsx (or XLSForm .csv)")]
    UnsupportedFormat(String),
    /// calamine could not parse the workbook (corrupt or not a spreadsheet).
    #[error("not a readable spreadsheet: {0}")]
    Spreadsheet(String),
    /// The CSV could not be parsed.
    #[error("not a readable XLSForm CSV: {0}")]
    Csv(String),
    /// The form is beyond one of the [`crate::limits`]; nothing more of it was read.
    #[error("{0}")]
    TooLarge(LimitExceeded),
}

impl ReadError {
    /// A stable code for the kind of failure (the limits' own codes for [`ReadError::TooLarge`]).
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Io { .. } => "unreadable-file",
            ReadError::UnsupportedFormat(_) => "unsupported-format",
            ReadError::Spreadsheet(_) => "unreadable-spreadsheet",
            ReadError::Csv(_) => "unreadable-csv",
            ReadError::TooLarge(e) => e.limit.code(),
        }
    }
}

impl From<LimitExceeded> for ReadError {
    fn from(e: LimitExceeded) -> Self {
        ReadError::TooLarge(e)
    }
}
