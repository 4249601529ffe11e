//! XLSForm for Crocevia: read a form (XLSX or CSV), validate it, evaluate its expressions.
//!
//! ```no_run
//! let form = crocevia_xlsform::read_path(std::path::Path::new("needs.xlsx"))?;
//! let report = crocevia_xlsform::validate(&form);
//! for problem in report.errors.iter().chain(&report.warnings) {
//!     println!("{problem}");
//! }
//! # Ok::<(), crocevia_xlsform::ReadError>(())
//! ```
//!
//! No web, no SQL, no I/O beyond reading the form file: the web layer and the CLI build on
//! this crate.

pub mod error;
pub mod expr;
pub mod form;
mod params;
pub mod report;
pub mod validate;
pub mod workbook;

use std::path::Path;

pub use error::ReadError;
pub use form::{
    Choice, ChoiceList, Element, ElementKind, Form, GroupKind, QuestionType, Settings, Text,
};
pub use report::{Code, Problem, Report, Severity};
pub use validate::validate;
pub use workbook::Workbook;

/// Reads a form file (`.xlsx`, `.xls`, `.ods` or XLSForm `.csv`).
pub fn read_path(path: &Path) -> Result<Form, ReadError> {
    Ok(form::build(&workbook::read_path(path)?))
}

/// Reads an XLSX (or XLS/ODS) form from bytes, e.g. an upload.
pub fn read_xlsx(bytes: &[u8]) -> Result<Form, ReadError> {
    Ok(form::build(&workbook::read_spreadsheet(bytes)?))
}

/// Reads a form in XLSForm's CSV layout from bytes.
pub fn read_csv(bytes: &[u8]) -> Result<Form, ReadError> {
    Ok(form::build(&workbook::read_csv(bytes)?))
}
