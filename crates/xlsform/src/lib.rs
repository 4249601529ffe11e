//! XLSForm for Crocevia: read a form (XLSX or CSV), validate it, evaluate its expressions,
//! fill it in ([`fill`]).
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
pub mod fill;
pub mod form;
pub mod limits;
mod names;
mod params;
pub mod report;
pub mod validate;
pub mod workbook;

use std::path::Path;

pub use error::ReadError;
pub use form::{
    Choice, ChoiceList, Element, ElementKind, Form, GroupKind, QuestionType, Settings, Text,
};
pub use limits::{Limit, LimitExceeded};
pub use report::{Code, Problem, Report, Severity};
pub use validate::validate;
pub use workbook::Workbook;

/// Reads a form file (`.xlsx`, `.xlsm` or XLSForm `.csv`) within [`limits`].
pub fn read_path(path: &Path) -> Result<Form, ReadError> {
    Ok(form::build(&guarded(|| workbook::read_path(path))?))
}

/// Reads an XLSX form from bytes, e.g. an upload, within [`limits`].
pub fn read_xlsx(bytes: &[u8]) -> Result<Form, ReadError> {
    Ok(form::build(&guarded(|| workbook::read_spreadsheet(bytes))?))
}

/// Runs the spreadsheet reader with a panic turned into an error. calamine is not hardened
/// against hostile files: fuzzing found a cell reference with too many column letters
/// (`AAAAAAAAAA1`) that overflows its column arithmetic, a panic in builds with overflow
/// checks. An upload must get an error, never take its thread down.
fn guarded(read: impl FnOnce() -> Result<Workbook, ReadError>) -> Result<Workbook, ReadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(ReadError::Spreadsheet(format!(
            "the workbook is damaged or not a spreadsheet ({reason})"
        )))
    })
}

/// Reads a form in XLSForm's CSV layout from bytes.
pub fn read_csv(bytes: &[u8]) -> Result<Form, ReadError> {
    Ok(form::build(&workbook::read_csv(bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: a cell reference with ten column letters overflowed calamine's
    /// column arithmetic (a panic with overflow checks, a wrapped column without).
    #[test]
    fn a_damaged_cell_reference_is_an_error_not_a_panic() {
        let bytes = include_bytes!("../tests/fixtures/cell-reference-overflow.xlsx");
        if let Err(e) = read_xlsx(bytes) {
            assert!(matches!(e, ReadError::Spreadsheet(_)), "{e}");
        }
    }

    #[test]
    fn a_csv_form_reports_every_problem_with_its_place() {
        let csv = "\
survey,type,name,label::Italiano (it),label::English (en),relevant
,text,nome,Nome,Name,
,integer,eta,Età,Age,${nome} != ''
,select_one sesso,sesso,Sesso,Sex,${eta} > 17
,begin group,g1,Gruppo,Group,
,decimal,eta,Età bis,,
,weird,x,X,X,
,note,n1,Nota,Note,${nobody} > 1
choices,list_name,name,label::Italiano (it),label::English (en)
,sesso,f,Femmina,Female
,sesso,f,Maschio,Male
settings,form_id,form_title,version,default_language
,needs,Bisogni,1,Italiano (it)
";
        let form = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(form.languages, ["Italiano (it)", "English (en)"]);
        assert_eq!(form.settings.form_id.as_deref(), Some("needs"));
        let report = validate(&form);
        let codes: Vec<(Code, Option<usize>)> =
            report.errors.iter().map(|p| (p.code, p.row)).collect();
        assert!(codes.contains(&(Code::UnknownType, Some(7))), "{report}");
        assert!(
            codes.contains(&(Code::UnknownReference, Some(8))),
            "{report}"
        );
        assert!(codes.contains(&(Code::UnmatchedGroup, Some(5))), "{report}");
        assert!(
            codes.contains(&(Code::DuplicateChoice, Some(3))),
            "{report}"
        );
        // `eta` twice in different groups is fine until referenced: ${eta} is ambiguous.
        assert!(
            codes.contains(&(Code::AmbiguousReference, Some(4))),
            "{report}"
        );
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.code == Code::MissingTranslation && w.row == Some(6))
        );
        let line = report
            .errors
            .iter()
            .find(|p| p.code == Code::UnknownReference)
            .unwrap()
            .to_string();
        assert_eq!(
            line,
            "survey, row 8, column 'relevant': error[unknown-reference]: ${nobody} does not name any question on the 'survey' sheet."
        );
        assert!(!report.is_valid());
    }
}
