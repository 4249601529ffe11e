//! What validation tells a form author: problems located by sheet, row and column.
//!
//! Codes are stable (the CLI, the web upload page and tests match on them); messages are
//! prose for people and may be reworded.

use std::fmt;

/// Whether a problem stops the form from being used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The form cannot be deployed until this is fixed.
    Error,
    /// The form works, but probably not as the author meant.
    Warning,
}

/// A stable identifier for each kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Code {
    /// A required sheet (survey, or choices when selects use it) is missing.
    MissingSheet,
    /// A required column header is missing from a sheet.
    MissingColumn,
    /// Two headers are different spellings of the same column.
    DuplicateColumn,
    /// The `type` is not an XLSForm question type.
    UnknownType,
    /// The type is accepted but this platform does not collect it (warning).
    UnsupportedType,
    /// A question, group or repeat has no name.
    MissingName,
    /// A name breaks XML's naming rules.
    InvalidName,
    /// Two siblings share a name, or a repeat name is used twice.
    DuplicateName,
    /// The name is reserved (`meta`, the survey root).
    ReservedName,
    /// `begin group`/`begin repeat` without its end, or an end without its begin.
    UnmatchedGroup,
    /// A select question does not say which choice list it uses.
    MissingList,
    /// A select question names a choice list that does not exist.
    UnknownList,
    /// A choice row has no name.
    MissingChoiceName,
    /// Two choices of one list share a name.
    DuplicateChoice,
    /// `${name}` names no question.
    UnknownReference,
    /// `${name}` names a question whose name is used more than once.
    AmbiguousReference,
    /// An expression does not parse.
    InvalidExpression,
    /// The `parameters` column is malformed or has unknown or invalid keys or values.
    InvalidParameter,
    /// A `calculate` row has neither calculation nor default.
    MissingCalculation,
    /// A question has no label (or hint) where one is needed.
    MissingLabel,
    /// A select-from-file question names a file of an unsupported kind.
    InvalidFileName,
    /// A combination of columns that does not work (e.g. `or_other` with `choice_filter`).
    InvalidCombination,
    /// A settings value is invalid.
    InvalidSetting,
    /// Two secondary instances (external files, choice lists) would get the same id.
    DuplicateInstance,
    /// A translation is missing for some language (warning).
    MissingTranslation,
    /// A column is not known to XLSForm and is ignored (warning).
    UnknownColumn,
}

impl Code {
    /// The code as written in reports: kebab-case, never changes once published.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MissingSheet => "missing-sheet",
            Code::MissingColumn => "missing-column",
            Code::DuplicateColumn => "duplicate-column",
            Code::UnknownType => "unknown-type",
            Code::UnsupportedType => "unsupported-type",
            Code::MissingName => "missing-name",
            Code::InvalidName => "invalid-name",
            Code::DuplicateName => "duplicate-name",
            Code::ReservedName => "reserved-name",
            Code::UnmatchedGroup => "unmatched-group",
            Code::MissingList => "missing-list",
            Code::UnknownList => "unknown-list",
            Code::MissingChoiceName => "missing-choice-name",
            Code::DuplicateChoice => "duplicate-choice",
            Code::UnknownReference => "unknown-reference",
            Code::AmbiguousReference => "ambiguous-reference",
            Code::InvalidExpression => "invalid-expression",
            Code::InvalidParameter => "invalid-parameter",
            Code::MissingCalculation => "missing-calculation",
            Code::MissingLabel => "missing-label",
            Code::InvalidFileName => "invalid-file-name",
            Code::InvalidCombination => "invalid-combination",
            Code::InvalidSetting => "invalid-setting",
            Code::DuplicateInstance => "duplicate-instance",
            Code::MissingTranslation => "missing-translation",
            Code::UnknownColumn => "unknown-column",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a form.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub code: Code,
    /// The sheet (`survey`, `choices`, `settings`), when the problem is in one.
    pub sheet: Option<String>,
    /// The spreadsheet row number (header = 1), when the problem is in one row.
    pub row: Option<usize>,
    /// The column header as written in the sheet, when one column is at fault.
    pub column: Option<String>,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
}

impl Problem {
    pub(crate) fn error(code: Code, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            code,
            sheet: None,
            row: None,
            column: None,
            message: message.into(),
        }
    }
    pub(crate) fn warning(code: Code, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, message)
        }
    }
    pub(crate) fn at(mut self, sheet: &str, row: usize) -> Self {
        self.sheet = Some(sheet.to_string());
        self.row = Some(row);
        self
    }
    pub(crate) fn sheet(mut self, sheet: &str) -> Self {
        self.sheet = Some(sheet.to_string());
        self
    }
    pub(crate) fn col(mut self, column: &str) -> Self {
        self.column = Some(column.to_string());
        self
    }
}

impl fmt::Display for Problem {
    /// `survey, row 4, column 'relevant': error[unknown-reference]: …` — one line, fit for
    /// a terminal, location first so a list of problems reads like a compiler's output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(sheet) = &self.sheet {
            write!(f, "{sheet}")?;
            wrote = true;
        }
        if let Some(row) = self.row {
            write!(f, "{}row {row}", if wrote { ", " } else { "" })?;
            wrote = true;
        }
        if let Some(column) = &self.column {
            write!(f, "{}column '{column}'", if wrote { ", " } else { "" })?;
            wrote = true;
        }
        if wrote {
            f.write_str(": ")?;
        }
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{kind}[{}]: {}", self.code, self.message)
    }
}

/// The result of validating a form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Problems that make the form unusable, in sheet and row order.
    pub errors: Vec<Problem>,
    /// Problems worth a look that do not stop the form.
    pub warnings: Vec<Problem>,
}

impl Report {
    /// True when there are no errors (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    pub(crate) fn push(&mut self, p: Problem) {
        match p.severity {
            Severity::Error => self.errors.push(p),
            Severity::Warning => self.warnings.push(p),
        }
    }

    /// Sorts each list by sheet order (survey, choices, settings, others), row, column, and
    /// drops exact repeats, so output is stable and reads top to bottom.
    pub(crate) fn finish(&mut self) {
        fn key(p: &Problem) -> (u8, String, usize, String) {
            let s = p.sheet.clone().unwrap_or_default();
            let rank = match s.as_str() {
                "" => 0,
                "survey" => 1,
                "choices" => 2,
                "settings" => 3,
                _ => 4,
            };
            (
                rank,
                s,
                p.row.unwrap_or(0),
                p.column.clone().unwrap_or_default(),
            )
        }
        for list in [&mut self.errors, &mut self.warnings] {
            list.sort_by_key(key);
            list.dedup();
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.errors.iter().chain(&self.warnings) {
            writeln!(f, "{p}")?;
        }
        write!(
            f,
            "{} error(s), {} warning(s)",
            self.errors.len(),
            self.warnings.len()
        )
    }
}
