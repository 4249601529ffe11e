//! Whole-batch validation: every field of every row, and every reference, before anything is
//! written. A batch with a single problem is rejected whole, so the report lists them all.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::formats::{ReadOutcome, Reading};
use super::record::{Record, check_value};

/// Where a row came from: a file and a row number (CSV: the line, header = 1; JSON: the
/// object's position, 1-based) and, inside a nested JSON object, a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Origin {
    pub file: String,
    pub row: usize,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
}

/// The stable code of a [`Problem`]: what kind of thing is wrong, for clients to branch on
/// and for the back office to explain in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    AlreadyExists,
    ConflictingDuplicate,
    DanglingReference,
    InvalidCsv,
    InvalidJson,
    InvalidUtf8,
    MissingColumn,
    MissingRequired,
    NotABoolean,
    NotADate,
    NotADatetime,
    NotANumber,
    NotATime,
    NotAUri,
    NotAUuid,
    NotAllowed,
    NotAnEmail,
    NotYourOrganisation,
    UnexpectedJson,
    UnexpectedNesting,
    UnknownTable,
    UriSchemeNotAllowed,
    WrongType,
}

impl ProblemCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::AlreadyExists => "already_exists",
            ProblemCode::ConflictingDuplicate => "conflicting_duplicate",
            ProblemCode::DanglingReference => "dangling_reference",
            ProblemCode::InvalidCsv => "invalid_csv",
            ProblemCode::InvalidJson => "invalid_json",
            ProblemCode::InvalidUtf8 => "invalid_utf8",
            ProblemCode::MissingColumn => "missing_column",
            ProblemCode::MissingRequired => "missing_required",
            ProblemCode::NotABoolean => "not_a_boolean",
            ProblemCode::NotADate => "not_a_date",
            ProblemCode::NotADatetime => "not_a_datetime",
            ProblemCode::NotANumber => "not_a_number",
            ProblemCode::NotATime => "not_a_time",
            ProblemCode::NotAUri => "not_a_uri",
            ProblemCode::NotAUuid => "not_a_uuid",
            ProblemCode::NotAllowed => "not_allowed",
            ProblemCode::NotAnEmail => "not_an_email",
            ProblemCode::NotYourOrganisation => "not_your_organisation",
            ProblemCode::UnexpectedJson => "unexpected_json",
            ProblemCode::UnexpectedNesting => "unexpected_nesting",
            ProblemCode::UnknownTable => "unknown_table",
            ProblemCode::UriSchemeNotAllowed => "uri_scheme_not_allowed",
            ProblemCode::WrongType => "wrong_type",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProblemCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Tests and reports compare a code with its text.
impl PartialEq<&str> for ProblemCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One thing wrong with the input, precise enough to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Problem {
    #[serde(flatten)]
    pub origin: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Stable code (`missing_required`, `dangling_reference`, …).
    pub code: ProblemCode,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, row {}", self.origin.file, self.origin.row)?;
        if !self.origin.path.is_empty() {
            write!(f, ", {}", self.origin.path)?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {} [{}]", self.message, self.code)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourcedRecord {
    pub record: Record,
    pub origin: Origin,
}

/// Records made by the program rather than read from a file (reference data, the demo),
/// numbered in order under the name `source`, for validation reports.
pub fn sourced(records: impl IntoIterator<Item = Record>, source: &str) -> Vec<SourcedRecord> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, record)| SourcedRecord {
            record,
            origin: Origin {
                file: source.to_owned(),
                row: i + 1,
                path: String::new(),
            },
        })
        .collect()
}

/// Rows that already exist in the database, by id, with their tables.
pub type Existing = HashMap<String, Vec<String>>;

/// What the database must be asked before validating: the batch's own ids (is this a
/// duplicate import?) and the ids its references point to outside the batch.
pub fn ids_to_look_up(batch: &[SourcedRecord]) -> Vec<String> {
    let own: HashSet<&str> = batch.iter().map(|s| s.record.id.as_str()).collect();
    let mut ids: HashSet<String> = own.iter().map(|s| (*s).to_owned()).collect();
    for s in batch {
        for (_, target, _) in s.record.references() {
            if !own.contains(target) {
                ids.insert(target.to_owned());
            }
        }
    }
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort();
    ids
}

/// How rows that already exist are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingRows {
    /// Importing a row that exists is an error (`already_exists`): a second import of the
    /// same package is refused rather than silently applied twice.
    Refuse,
    /// Rows that exist are replaced.
    Replace,
}

/// Normalises values (UUID case, times) in place and returns every problem of the batch.
/// Repeats of a row (nested JSON repeats an organisation in each of its services) are merged;
/// repeats giving a field different values are an error. Rows that already exist are the
/// business of [`compare_with_stored`].
pub fn validate(batch: &mut Vec<SourcedRecord>, existing: &Existing) -> Vec<Problem> {
    let mut problems = Vec::new();
    for s in batch.iter_mut() {
        check_row(s, &mut problems);
    }
    problems.extend(validate_together(batch, existing));
    sort_by_origin(&mut problems);
    problems
}

/// What rows each [checked on its own](check_row) still have to be checked for together:
/// repeats (merged, or conflicting) and references, to the batch or to `existing`. Unsorted:
/// callers sort once, with the rest of their problems.
pub fn validate_together(batch: &mut Vec<SourcedRecord>, existing: &Existing) -> Vec<Problem> {
    let mut problems = Vec::new();
    dedupe(batch, &mut problems);
    let in_batch: HashMap<&str, Vec<&str>> = batch.iter().fold(HashMap::new(), |mut m, s| {
        m.entry(s.record.id.as_str())
            .or_default()
            .push(s.record.table.as_str());
        m
    });
    for s in batch.iter() {
        for (field, target, table) in s.record.references() {
            let found = |tables: &Vec<&str>| table.is_none_or(|t| tables.contains(&t));
            let resolves = in_batch.get(target).is_some_and(found)
                || existing
                    .get(target)
                    .is_some_and(|tables| found(&tables.iter().map(String::as_str).collect()));
            if !resolves {
                problems.push(problem(
                    s,
                    Some(field),
                    ProblemCode::DanglingReference,
                    format!(
                        "{target} refers to no {} in this import or in the directory",
                        table.unwrap_or("row")
                    ),
                ));
            }
        }
    }
    problems
}

/// In the order of the input: by file, row and place in the row.
pub fn sort_by_origin(problems: &mut [Problem]) {
    problems.sort_by(|a, b| {
        (&a.origin.file, a.origin.row, &a.origin.path).cmp(&(
            &b.origin.file,
            b.origin.row,
            &b.origin.path,
        ))
    });
}

/// Rows read from files, each [checked on its own](check_row) as it arrives, so the
/// problems of a row are known (and can be shown) before the rest of the input is read.
#[derive(Debug, Default)]
pub struct CheckedRead {
    outcome: ReadOutcome,
    unreadable: bool,
}

impl CheckedRead {
    /// Whether some input could not be read at all (as opposed to rows read with problems):
    /// the rows are then incomplete.
    pub fn unreadable(&self) -> bool {
        self.unreadable
    }

    pub fn records(&self) -> &[SourcedRecord] {
        &self.outcome.records
    }

    /// Every problem so far, in the order found.
    pub fn problems(&self) -> &[Problem] {
        &self.outcome.problems
    }

    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.outcome.warnings)
    }

    pub fn into_outcome(self) -> ReadOutcome {
        self.outcome
    }
}

impl Reading for CheckedRead {
    fn row(&mut self, mut row: SourcedRecord) {
        check_row(&mut row, &mut self.outcome.problems);
        self.outcome.records.push(row);
    }

    fn problem(&mut self, problem: Problem) {
        self.unreadable = true;
        self.outcome.problems.push(problem);
    }

    fn warning(&mut self, warning: String) {
        self.outcome.warnings.push(warning);
    }
}

fn problem(s: &SourcedRecord, field: Option<&str>, code: ProblemCode, message: String) -> Problem {
    Problem {
        origin: s.origin.clone(),
        field: field.map(str::to_owned),
        code,
        message,
    }
}

/// Checks one row on its own against its table's schema (id, types, required fields,
/// allowed values), normalising values in place (UUID case, times).
pub fn check_row(s: &mut SourcedRecord, problems: &mut Vec<Problem>) {
    let spec = s.record.spec();
    match check_value(
        super::schema::FieldKind::Uuid,
        &Value::String(s.record.id.clone()),
    ) {
        Ok(Value::String(id)) => s.record.id = id,
        _ => problems.push(problem(
            s,
            Some("id"),
            ProblemCode::NotAUuid,
            format!("'{}' is not a UUID", s.record.id),
        )),
    }
    for field in &spec.fields {
        if field.name == "id" {
            continue;
        }
        match s.record.fields.get(&field.name).cloned() {
            None => {
                if field.required {
                    problems.push(problem(
                        s,
                        Some(&field.name),
                        ProblemCode::MissingRequired,
                        format!("{} is required for a {}", field.name, spec.name),
                    ));
                }
            }
            // A required text left blank names nothing (a service page with no title).
            Some(Value::String(text)) if field.required && text.trim().is_empty() => {
                problems.push(problem(
                    s,
                    Some(&field.name),
                    ProblemCode::MissingRequired,
                    format!(
                        "{} is required for a {} and is empty",
                        field.name, spec.name
                    ),
                ));
            }
            Some(value) => match check_value(field.kind, &value) {
                Ok(normal) => {
                    if let (Some(allowed), Some(text)) = (&field.allowed, normal.as_str())
                        && !allowed.iter().any(|a| a == text)
                    {
                        problems.push(problem(
                            s,
                            Some(&field.name),
                            ProblemCode::NotAllowed,
                            format!("'{text}' is not one of: {}", allowed.join(", ")),
                        ));
                    }
                    s.record.fields.insert(field.name.clone(), normal);
                }
                Err(e) => problems.push(problem(s, Some(&field.name), e.code, e.message)),
            },
        }
    }
    for (name, value) in &s.record.fields {
        if spec.field(name).is_none() && (value.is_object() || value.is_array()) {
            problems.push(problem(
                s,
                Some(name),
                ProblemCode::UnexpectedNesting,
                format!(
                    "{name} is not a field of {} that can hold a list or object",
                    spec.name
                ),
            ));
        }
    }
}

/// Merges repeats of a row. Nested JSON repeats objects (an organisation's phone appears under
/// the organisation, its location and its contact), each time with the link to where it sits;
/// the repeats together make the one row, as the tabular form has it. Two repeats giving the
/// same field different values are an error.
fn dedupe(batch: &mut Vec<SourcedRecord>, problems: &mut Vec<Problem>) {
    let mut first: HashMap<(String, String), usize> = HashMap::new();
    let mut keep = vec![true; batch.len()];
    for i in 0..batch.len() {
        let key = (batch[i].record.table.clone(), batch[i].record.id.clone());
        let Some(&j) = first.get(&key) else {
            first.insert(key, i);
            continue;
        };
        keep[i] = false;
        let repeat = batch[i].record.fields.clone();
        for (field, value) in repeat {
            match batch[j].record.fields.get(&field) {
                None => {
                    batch[j].record.fields.insert(field, value);
                }
                Some(earlier) if *earlier == value => {}
                Some(earlier) => {
                    let message = format!(
                        "another {} with id {} gives {field} as {earlier} at {}, row {}",
                        key.0, key.1, batch[j].origin.file, batch[j].origin.row
                    );
                    problems.push(problem(
                        &batch[i],
                        Some(&field),
                        ProblemCode::ConflictingDuplicate,
                        message,
                    ));
                }
            }
        }
    }
    let mut flags = keep.into_iter();
    batch.retain(|_| flags.next().unwrap_or(true));
}

/// What comparing a batch with the rows the directory already holds found.
#[derive(Debug, Default)]
pub struct StoredComparison {
    /// Rows identical to the stored ones, dropped from the batch: there is nothing to write.
    pub unchanged: usize,
    /// Rows that exist with other values, when existing rows may not be replaced.
    pub problems: Vec<Problem>,
}

/// Compares the batch with `stored` (the rows of the directory with the batch's ids). Identical
/// rows leave the batch, so re-importing an export of another installation that shares rows
/// with this one (the needs taxonomy) works; a row that exists with other values is refused
/// (`already_exists`) unless `mode` is `Replace`.
pub fn compare_with_stored(
    batch: &mut Vec<SourcedRecord>,
    stored: &[Record],
    mode: ExistingRows,
) -> StoredComparison {
    let stored: HashMap<(&str, &str), &Record> = stored
        .iter()
        .map(|r| ((r.table.as_str(), r.id.as_str()), r))
        .collect();
    let mut outcome = StoredComparison::default();
    batch.retain(|s| {
        match stored.get(&(s.record.table.as_str(), s.record.id.as_str())) {
            None => true,
            Some(existing) if **existing == s.record => {
                outcome.unchanged += 1;
                false
            }
            Some(_) if mode == ExistingRows::Replace => true,
            Some(_) => {
                outcome.problems.push(problem(
                    s,
                    None,
                    ProblemCode::AlreadyExists,
                    format!(
                        "a {} with id {} and other values is already in the directory; import with --replace to update it",
                        s.record.table, s.record.id
                    ),
                ));
                true
            }
        }
    });
    outcome
}

/// Fields of the batch that are not in the standard (kept, and worth a warning).
pub fn extra_fields(batch: &[SourcedRecord]) -> Vec<(String, String)> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for s in batch {
        let spec = s.record.spec();
        for name in s.record.fields.keys() {
            if spec.field(name).is_none() {
                let key = (spec.name.to_owned(), name.clone());
                if !seen.contains(&key) {
                    seen.push(key);
                }
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sourced(record: Record, row: usize) -> SourcedRecord {
        SourcedRecord {
            record,
            origin: Origin {
                file: "services.csv".into(),
                row,
                path: String::new(),
            },
        }
    }

    const ORG: &str = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610";
    const SERVICE: &str = "ac148810-d857-441c-9679-408f346de14b";

    fn service() -> Record {
        Record::new("service", SERVICE)
            .with("name", "Sportello")
            .with("status", "active")
            .with("organization_id", ORG)
    }

    #[test]
    fn a_reference_to_nowhere_is_reported_with_row_and_field() {
        let mut batch = vec![sourced(service(), 2)];
        let problems = validate(&mut batch, &Existing::new());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "dangling_reference");
        assert_eq!(problems[0].field.as_deref(), Some("organization_id"));
        assert_eq!(problems[0].origin.row, 2);
    }

    #[test]
    fn a_reference_to_the_database_resolves() {
        let mut batch = vec![sourced(service(), 2)];
        let existing = Existing::from([(ORG.to_owned(), vec!["organization".to_owned()])]);
        assert!(validate(&mut batch, &existing).is_empty());
    }

    #[test]
    fn every_field_problem_is_listed() {
        let bad = Record::new("service", "not-a-uuid")
            .with("status", "open")
            .with("minimum_age", "twelve");
        let mut batch = vec![sourced(bad, 3)];
        let codes: Vec<_> = validate(&mut batch, &Existing::new())
            .into_iter()
            .map(|p| p.code.as_str())
            .collect();
        for code in [
            "not_a_uuid",
            "missing_required",
            "not_allowed",
            "wrong_type",
        ] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
    }

    #[test]
    fn a_blank_required_text_is_missing() {
        let blank = Record::new("service", SERVICE)
            .with("name", "   ")
            .with("status", "active")
            .with("organization_id", ORG);
        let mut batch = vec![sourced(blank, 4)];
        let existing = Existing::from([(ORG.to_owned(), vec!["organization".to_owned()])]);
        let problems = validate(&mut batch, &existing);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, "missing_required");
        assert_eq!(problems[0].field.as_deref(), Some("name"));
        assert_eq!(problems[0].origin.row, 4);
    }

    #[test]
    fn each_row_is_checked_as_it_is_read() {
        /// The problems known after each row is handed over.
        #[derive(Default)]
        struct Watch {
            read: CheckedRead,
            known: Vec<usize>,
        }
        impl Reading for Watch {
            fn row(&mut self, row: SourcedRecord) {
                self.read.row(row);
                self.known.push(self.read.problems().len());
            }
            fn problem(&mut self, problem: Problem) {
                self.read.problem(problem);
            }
            fn warning(&mut self, _: String) {}
        }
        let csv = format!(
            "id,name,status,organization_id\n{SERVICE},Sportello,open,{ORG}\n\
             D9D5E0F5-0000-4f73-9a2f-4dd0ecc6c610,Sportello,active,{ORG}\n"
        );
        let mut watch = Watch::default();
        crate::hsds::formats::read_tabular_file("services.csv", csv.as_bytes(), &mut watch);
        assert_eq!(
            watch.known,
            [1, 1],
            "the first row's problem is known before the second row is read"
        );
        assert_eq!(watch.read.problems()[0].code, "not_allowed");
        assert!(!watch.read.unreadable(), "every cell could be read");
        assert_eq!(
            watch.read.records()[1].record.id,
            "d9d5e0f5-0000-4f73-9a2f-4dd0ecc6c610",
            "normalised as checked"
        );
        let mut rows = watch.read.into_outcome().records;
        let problems = validate_together(&mut rows, &Existing::new());
        assert_eq!(
            problems.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
            ["dangling_reference", "dangling_reference"],
            "what only the whole batch shows is left for later"
        );
    }

    #[test]
    fn a_stored_row_with_other_values_is_refused_unless_replacing() {
        let org = Record::new("organization", ORG)
            .with("name", "Comune")
            .with("description", "d");
        let stored = vec![org.clone()];
        let mut batch = vec![sourced(org.clone(), 2)];
        let same = compare_with_stored(&mut batch, &stored, ExistingRows::Refuse);
        assert_eq!(
            (same.unchanged, batch.len()),
            (1, 0),
            "identical rows need no writing"
        );

        let changed = org.with("name", "Comune dell'Aquila");
        let mut batch = vec![sourced(changed.clone(), 2)];
        let refused = compare_with_stored(&mut batch, &stored, ExistingRows::Refuse);
        assert_eq!(refused.problems[0].code, "already_exists");
        let mut batch = vec![sourced(changed, 2)];
        let replaced = compare_with_stored(&mut batch, &stored, ExistingRows::Replace);
        assert!(replaced.problems.is_empty());
        assert_eq!(batch.len(), 1);
    }

    #[test]
    fn repeats_merge_and_conflicting_values_are_reported() {
        let org = Record::new("organization", ORG)
            .with("name", "Comune")
            .with("description", "d");
        let with_email = org.clone().with("email", "info@comune.example");
        let mut batch = vec![sourced(org.clone(), 2), sourced(with_email, 3)];
        assert!(validate(&mut batch, &Existing::new()).is_empty());
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].record.text("email"), Some("info@comune.example"));
        let other = org.with("name", "Altro");
        let mut batch = vec![sourced(batch[0].record.clone(), 2), sourced(other, 3)];
        let problems = validate(&mut batch, &Existing::new());
        assert_eq!(problems[0].code, "conflicting_duplicate");
        assert_eq!(problems[0].field.as_deref(), Some("name"));
    }
}
