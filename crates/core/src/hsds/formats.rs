//! Reading and writing HSDS packages: the tabular form (CSV files plus `datapackage.json`) and
//! the JSON form (nested objects). Works on bytes; the caller does the file or upload I/O.

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::nested::{Placed, RecordIndex, ShapeError, flatten, group_by_table};
use super::record::{Record, cell_text, parse_cell};
use super::schema::{EntitySpec, FieldKind, registry};
use super::validate::{Origin, Problem, ProblemCode, SourcedRecord};

/// What was read, and what could not be read at all. Rows with unreadable cells are left out
/// of `records` and their cells reported, so validation can still report every other row.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    pub records: Vec<SourcedRecord>,
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
}

impl ReadOutcome {
    /// Adds what another file gave.
    pub fn append(&mut self, other: ReadOutcome) {
        self.records.extend(other.records);
        self.problems.extend(other.problems);
        self.warnings.extend(other.warnings);
    }
}

/// Where the readers hand what they read, as they read it: a caller can check each row,
/// report problems and count progress before the whole input is read.
pub trait Reading {
    /// A row read whole, its cells typed; not yet checked against the schema.
    fn row(&mut self, row: SourcedRecord);
    fn problem(&mut self, problem: Problem);
    fn warning(&mut self, warning: String);
}

impl Reading for ReadOutcome {
    fn row(&mut self, row: SourcedRecord) {
        self.records.push(row);
    }

    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn warning(&mut self, warning: String) {
        self.warnings.push(warning);
    }
}

fn file_problem(
    file: &str,
    row: usize,
    field: Option<&str>,
    code: ProblemCode,
    message: String,
) -> Problem {
    Problem {
        origin: Origin {
            file: file.to_owned(),
            row,
            path: String::new(),
        },
        field: field.map(str::to_owned),
        code,
        message,
    }
}

/// Reads uploaded files (name, content): a tabular package when any of them is a CSV file,
/// else each one as HSDS JSON.
pub fn read_files(files: &[(String, Vec<u8>)], out: &mut dyn Reading) {
    if files.iter().any(|(name, _)| name.ends_with(".csv")) {
        return read_tabular_into(files, out);
    }
    for (name, bytes) in files {
        read_json_into(name, bytes, out);
    }
}

/// Reads a tabular package from its files (name, content). `datapackage.json` is optional:
/// tables are recognised by the file names HSDS gives them.
pub fn read_tabular(files: &[(String, Vec<u8>)]) -> ReadOutcome {
    let mut out = ReadOutcome::default();
    read_tabular_into(files, &mut out);
    out
}

/// [`read_tabular`], handing rows over as they are read.
pub fn read_tabular_into(files: &[(String, Vec<u8>)], out: &mut dyn Reading) {
    if !files.iter().any(|(name, _)| name == "datapackage.json") {
        out.warning(NO_DATAPACKAGE.to_owned());
    }
    for (name, bytes) in files {
        read_tabular_file(name, bytes, out);
    }
}

/// Warned when a tabular package comes without its descriptor.
pub const NO_DATAPACKAGE: &str = "no datapackage.json: reading the CSV files by their HSDS names";

/// Reads one file of a tabular package: a CSV file named as HSDS names its table, or
/// `datapackage.json` (only checked to be JSON); anything else is skipped.
pub fn read_tabular_file(name: &str, bytes: &[u8], out: &mut dyn Reading) {
    if name == "datapackage.json" {
        if serde_json::from_slice::<Value>(bytes).is_err() {
            out.problem(file_problem(
                name,
                1,
                None,
                ProblemCode::InvalidJson,
                "datapackage.json is not valid JSON".to_owned(),
            ));
        }
        return;
    }
    if !name.ends_with(".csv") {
        return;
    }
    match registry().by_file(name) {
        Some(spec) => read_csv(spec.name, name, bytes, out),
        None => out.warning(format!("{name} is not an HSDS table: skipped")),
    }
}

fn read_csv(table: &'static str, file: &str, bytes: &[u8], out: &mut dyn Reading) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let spec = registry().get(table).expect("known table");
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            out.problem(file_problem(
                file,
                1,
                None,
                ProblemCode::InvalidCsv,
                e.to_string(),
            ));
            return;
        }
    };
    let mut columns = Vec::new();
    for (i, raw) in headers.iter().enumerate() {
        match std::str::from_utf8(raw) {
            Ok(h) => columns.push(h.trim().to_owned()),
            Err(_) => {
                out.problem(file_problem(
                    file,
                    1,
                    None,
                    ProblemCode::InvalidUtf8,
                    format!(
                        "the header of column {} is not UTF-8 text; save the file as UTF-8",
                        i + 1
                    ),
                ));
                return;
            }
        }
    }
    let Some(id_column) = columns.iter().position(|c| c == "id") else {
        out.problem(file_problem(
            file,
            1,
            Some("id"),
            ProblemCode::MissingColumn,
            "the file has no id column".to_owned(),
        ));
        return;
    };
    for extra in columns.iter().filter(|c| spec.field(c).is_none()) {
        out.warning(format!(
            "{file}: column {extra} is not in HSDS 3.0; kept as an extension"
        ));
    }
    let mut lines = Lines::new(bytes);
    for result in reader.byte_records() {
        let row_bytes = match result {
            Ok(r) => r,
            Err(e) => {
                let row = e.position().map_or(0, |p| lines.at(p.byte() as usize));
                out.problem(file_problem(
                    file,
                    row,
                    None,
                    ProblemCode::InvalidCsv,
                    e.to_string(),
                ));
                continue;
            }
        };
        let row = row_bytes
            .position()
            .map_or(0, |p| lines.at(p.byte() as usize));
        let mut record = Record::new(table, String::new());
        let mut readable = true;
        for (column, raw) in columns.iter().zip(row_bytes.iter()) {
            let Ok(cell) = std::str::from_utf8(raw) else {
                out.problem(file_problem(
                    file,
                    row,
                    Some(column),
                    ProblemCode::InvalidUtf8,
                    "the cell is not UTF-8 text; save the file as UTF-8".to_owned(),
                ));
                readable = false;
                continue;
            };
            let kind = spec.field(column).map_or(FieldKind::Text, |f| f.kind);
            match parse_cell(kind, cell) {
                Ok(Some(value)) => record.set(column, value),
                Ok(None) => {}
                Err(e) => {
                    out.problem(file_problem(file, row, Some(column), e.code, e.message));
                    readable = false;
                }
            }
        }
        let id = row_bytes
            .get(id_column)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
            .trim();
        if id.is_empty() {
            out.problem(file_problem(
                file,
                row,
                Some("id"),
                ProblemCode::MissingRequired,
                "every row needs an id".to_owned(),
            ));
            readable = false;
        }
        record.fields.remove("id");
        record.id = id.to_owned();
        if readable {
            out.row(SourcedRecord {
                record,
                origin: Origin {
                    file: file.to_owned(),
                    row,
                    path: String::new(),
                },
            });
        }
    }
}

/// The 1-based lines of the records the csv crate places at increasing offsets in one file.
/// The crate's own line count, and its offset, are one short after CRLF line ends (which
/// spreadsheets on Windows write): the offset then points at the `\n` ending the previous
/// line, so the byte after it is counted. Each call counts only the bytes since the last, so
/// a file's newlines are counted once (counting from the start for every record made reading
/// a CSV file quadratic).
struct Lines<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    newlines: usize,
    /// Bytes looked at so far: the work, which tests keep to one pass.
    scanned: usize,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            counted_to: 0,
            newlines: 0,
            scanned: 0,
        }
    }

    fn at(&mut self, offset: usize) -> usize {
        let end = (offset + 1).min(self.bytes.len());
        if end < self.counted_to {
            // The reader never goes back; should it, count again from the start.
            self.counted_to = 0;
            self.newlines = 0;
        }
        let new = &self.bytes[self.counted_to..end];
        self.newlines += new.iter().filter(|b| **b == b'\n').count();
        self.scanned += new.len();
        self.counted_to = end;
        self.newlines + 1
    }
}

/// Writes a tabular package: one CSV per table (header only when empty) and a
/// `datapackage.json` describing the standard tables plus our extension.
pub fn write_tabular(records: &[Record]) -> Vec<(String, Vec<u8>)> {
    let grouped = group_by_table(records);
    let mut files = Vec::new();
    for spec in registry().entities() {
        let rows = grouped.get(spec.name).map(Vec::as_slice).unwrap_or(&[]);
        let mut extra = BTreeSet::new();
        for r in rows {
            extension_fields(spec, r, &mut extra);
        }
        let columns = tabular_columns(spec, extra);
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&columns).expect("writing to memory");
        for r in rows {
            writer
                .write_record(tabular_row(r, &columns))
                .expect("writing to memory");
        }
        files.push((
            spec.file.clone(),
            writer.into_inner().expect("writing to memory"),
        ));
    }
    files.push(("datapackage.json".to_owned(), tabular_datapackage()));
    files
}

/// Adds to `extra` the fields of `record` (a row of `spec`'s table) that HSDS does not define: they
/// become extension columns after the standard ones.
pub fn extension_fields(spec: &EntitySpec, record: &Record, extra: &mut BTreeSet<String>) {
    for name in record.fields.keys() {
        if spec.field(name).is_none() && !extra.contains(name) {
            extra.insert(name.clone());
        }
    }
}

/// The header of `spec`'s CSV file: the standard columns in the standard's order, then the
/// extension fields.
pub fn tabular_columns(spec: &EntitySpec, extra: BTreeSet<String>) -> Vec<String> {
    spec.fields
        .iter()
        .map(|f| f.name.clone())
        .chain(extra)
        .collect()
}

/// One row of a CSV file with `columns`. Cells are written as they are, without
/// `crate::spreadsheet::spreadsheet_safe`: this is a data-interchange package that other
/// software (and our own import) reads back, where a leading `'` would become part of the
/// value (`+39 06 …` phones, `-` in descriptions) and break round trips. Whoever opens it in
/// a spreadsheet program imports it as data, not as a report.
pub fn tabular_row(record: &Record, columns: &[String]) -> Vec<String> {
    columns
        .iter()
        .map(|c| match c.as_str() {
            "id" => record.id.clone(),
            c => record.fields.get(c).map(cell_text).unwrap_or_default(),
        })
        .collect()
}

/// `datapackage.json` describing the standard tables plus our extension.
pub fn tabular_datapackage() -> Vec<u8> {
    let mut package: Value =
        serde_json::from_str(include_str!("../../hsds/datapackage.json")).expect("valid");
    let resources = package["resources"].as_array_mut().expect("resources");
    for resource in resources.iter_mut() {
        if resource["name"] == "location" {
            resource["schema"]["fields"]
                .as_array_mut()
                .expect("fields")
                .push(json!({"name": "confidential", "type": "boolean",
                    "description": "Crocevia extension: the address is shown only to logged-in operators.",
                    "constraints": {"required": false}}));
        }
    }
    let translation = registry().get("translation").expect("extension");
    resources.push(json!({
        "name": "translation",
        "path": translation.file,
        "description": "Crocevia extension: translations of the name, alternate name, description and synonyms of an organization, service or taxonomy term. link_entity names the table, link_id the row, language a BCP 47 tag.",
        "format": "csv", "mediatype": "text/csv", "profile": "tabular-data-resource",
        "schema": {"primaryKey": "id", "fields": translation.fields.iter().map(|f| json!({
            "name": f.name,
            "type": "string",
            "constraints": {"required": f.required}
        })).collect::<Vec<_>>()}
    }));
    serde_json::to_vec_pretty(&package).expect("serialisable")
}

/// Reads HSDS JSON: one `service_full` object, a list of them, NDJSON (one per line), an API
/// page (`contents`), or the bundle [`write_json`] produces.
pub fn read_json(file: &str, bytes: &[u8]) -> ReadOutcome {
    let mut out = ReadOutcome::default();
    read_json_into(file, bytes, &mut out);
    out
}

/// [`read_json`], handing rows over as they are read.
pub fn read_json_into(file: &str, bytes: &[u8], out: &mut dyn Reading) {
    let text = match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) {
        Ok(t) => t,
        Err(e) => {
            let row = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            out.problem(file_problem(
                file,
                row,
                None,
                ProblemCode::InvalidUtf8,
                "the file is not UTF-8 text".to_owned(),
            ));
            return;
        }
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => read_guessed(file, &items, out),
        Ok(Value::Object(map)) if map.contains_key("contents") => {
            let items = map["contents"].as_array().cloned().unwrap_or_default();
            read_guessed(file, &items, out);
        }
        Ok(Value::Object(map)) if is_bundle(&map) => read_bundle(file, &map, out),
        Ok(object @ Value::Object(_)) => read_guessed(file, &[object], out),
        Ok(_) => out.problem(file_problem(
            file,
            1,
            None,
            ProblemCode::UnexpectedJson,
            "expected a service object, a list of them or one per line".to_owned(),
        )),
        Err(whole) => {
            let lines: Vec<&str> = text.lines().collect();
            if lines.iter().filter(|l| !l.trim().is_empty()).count() < 2 {
                out.problem(file_problem(
                    file,
                    whole.line(),
                    None,
                    ProblemCode::InvalidJson,
                    format!("not valid JSON: {whole}"),
                ));
                return;
            }
            for (i, line) in lines.iter().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(v) => read_object(guess_table(&v), file, i + 1, &v, out),
                    Err(e) => out.problem(file_problem(
                        file,
                        i + 1,
                        None,
                        ProblemCode::InvalidJson,
                        format!("line {} is not valid JSON: {e}", i + 1),
                    )),
                }
            }
        }
    }
}

/// The lists of nested objects a bundle holds, by key and table.
pub const BUNDLE_LISTS: [(&str, &str); 4] = [
    ("organizations", "organization"),
    ("services", "service"),
    ("taxonomies", "taxonomy"),
    ("taxonomy_terms", "taxonomy_term"),
];

fn is_bundle(map: &Map<String, Value>) -> bool {
    map.contains_key("hsds_version")
}

fn read_bundle(file: &str, map: &Map<String, Value>, out: &mut dyn Reading) {
    for (key, table) in BUNDLE_LISTS {
        if let Some(Value::Array(items)) = map.get(key) {
            read_objects(table, &format!("{file}#{key}"), items, out);
        }
    }
    if let Some(Value::Object(rest)) = map.get("records") {
        for (table, items) in rest {
            let Some(spec) = registry().get(table) else {
                out.problem(file_problem(
                    file,
                    1,
                    None,
                    ProblemCode::UnknownTable,
                    format!("records.{table} is not an HSDS table"),
                ));
                continue;
            };
            let items = items.as_array().cloned().unwrap_or_default();
            read_objects(spec.name, &format!("{file}#records.{table}"), &items, out);
        }
    }
}

/// Which HSDS object a JSON object is, from the fields only it has. Services are the common
/// case and the default.
pub fn guess_table(value: &Value) -> &'static str {
    const MARKS: [(&str, &[&str]); 6] = [
        (
            "location",
            &[
                "location_type",
                "addresses",
                "accessibility",
                "latitude",
                "longitude",
                "transportation",
            ],
        ),
        (
            "organization",
            &[
                "services",
                "locations",
                "programs",
                "organization_identifiers",
                "website",
                "tax_status",
                "year_incorporated",
                "legal_status",
                "parent_organization_id",
            ],
        ),
        (
            "service_at_location",
            &["service", "location", "service_id", "location_id"],
        ),
        (
            "taxonomy_term",
            &[
                "taxonomy_detail",
                "term_uri",
                "taxonomy_id",
                "parent_id",
                "code",
            ],
        ),
        ("taxonomy", &["version", "uri"]),
        (
            "service",
            &[
                "status",
                "service_at_locations",
                "organization",
                "program",
                "organization_id",
                "assured_date",
                "eligibility_description",
            ],
        ),
    ];
    let Value::Object(map) = value else {
        return "service";
    };
    MARKS
        .iter()
        .map(|(table, keys)| {
            (
                keys.iter().filter(|k| map.contains_key(**k)).count(),
                *table,
            )
        })
        .filter(|(score, _)| *score > 0)
        .max_by_key(|(score, table)| (*score, *table == "service"))
        .map_or("service", |(_, table)| table)
}

fn read_guessed(file: &str, items: &[Value], out: &mut dyn Reading) {
    for (i, item) in items.iter().enumerate() {
        read_object(guess_table(item), file, i + 1, item, out);
    }
}

fn read_objects(table: &str, file: &str, items: &[Value], out: &mut dyn Reading) {
    for (i, item) in items.iter().enumerate() {
        read_object(table, file, i + 1, item, out);
    }
}

fn read_object(table: &str, file: &str, row: usize, value: &Value, out: &mut dyn Reading) {
    match flatten(table, value, "") {
        Ok(flat) => {
            for f in flat {
                out.row(SourcedRecord {
                    record: f.record,
                    origin: Origin {
                        file: file.to_owned(),
                        row,
                        path: f.path,
                    },
                });
            }
        }
        Err(ShapeError { path, message }) => out.problem(Problem {
            origin: Origin {
                file: file.to_owned(),
                row,
                path,
            },
            field: None,
            code: ProblemCode::UnexpectedJson,
            message,
        }),
    }
}

/// Writes every record as one JSON document (see [`BundleWriter`]), in memory: for tests and
/// small directories; the command-line export streams the same document from the store.
pub fn write_json(records: &[Record]) -> Vec<u8> {
    bundle(&RecordIndex::new(records), records)
}

/// [`write_json`] over an index of `records` (tests read the work it did from the index).
fn bundle(index: &RecordIndex, records: &[Record]) -> Vec<u8> {
    let grouped = group_by_table(records);
    let mut placed = Placed::default();
    let mut writer = BundleWriter::new(Vec::new()).expect("writing to memory");
    for (key, table) in BUNDLE_LISTS {
        writer.list(key).expect("writing to memory");
        for r in grouped.get(table).map(Vec::as_slice).unwrap_or(&[]) {
            writer
                .item(&index.assemble_owned(r, &mut placed))
                .expect("writing to memory");
        }
    }
    for r in grouped.values().flatten() {
        if !placed.contains(&r.table, &r.id) {
            writer.leftover(r).expect("writing to memory");
        }
    }
    writer.finish().expect("writing to memory")
}

/// Writes the JSON bundle an object at a time, so a directory of any size is written in the
/// memory of one object. The bundle holds `organizations`, `services`, `taxonomies` and
/// `taxonomy_terms` as the HSDS `*_full` objects nest them (what an object points at, such as
/// a service's organisation, stays an id: each row appears once), and under `records`, by
/// table, the rows no object holds, so nothing is lost. One object per line.
pub struct BundleWriter<W: Write> {
    out: W,
    /// The items written so far in the list that is open.
    open_list: Option<usize>,
    /// The table whose list under `records` is open, once the leftovers have begun.
    leftover_table: Option<String>,
}

impl<W: Write> BundleWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        write!(
            out,
            "{{\"hsds_version\":\"{}\"",
            super::schema::HSDS_VERSION
        )?;
        Ok(BundleWriter {
            out,
            open_list: None,
            leftover_table: None,
        })
    }

    /// Opens one of the [`BUNDLE_LISTS`]; call before the leftovers.
    pub fn list(&mut self, key: &str) -> io::Result<()> {
        self.close_list()?;
        write!(self.out, ",\n{}:[", Value::from(key))?;
        self.open_list = Some(0);
        Ok(())
    }

    /// Adds an object to the list that is open.
    pub fn item(&mut self, object: &Map<String, Value>) -> io::Result<()> {
        let written = self.open_list.as_mut().expect("a list is open");
        if *written > 0 {
            self.out.write_all(b",")?;
        }
        *written += 1;
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, object).map_err(io::Error::from)
    }

    /// Adds a row no object holds; leftovers come last, grouped by table.
    pub fn leftover(&mut self, record: &Record) -> io::Result<()> {
        if self.leftover_table.as_deref() != Some(record.table.as_str()) {
            if self.leftover_table.is_none() {
                self.close_list()?;
                self.out.write_all(b",\n\"records\":{")?;
            } else {
                self.close_list()?;
                self.out.write_all(b",")?;
            }
            write!(self.out, "\n{}:[", Value::from(record.table.as_str()))?;
            self.open_list = Some(0);
            self.leftover_table = Some(record.table.clone());
        }
        self.item(&record.to_json_object())
    }

    /// Closes the document and hands back the output, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        self.close_list()?;
        if self.leftover_table.is_none() {
            self.out.write_all(b",\n\"records\":{")?;
        }
        self.out.write_all(b"}}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn close_list(&mut self) -> io::Result<()> {
        if self.open_list.take().is_some() {
            self.out.write_all(b"]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One organisation with `n` services, each with a phone: the shape that made the JSON
    /// export quadratic (every service nests its organisation, whose children were looked
    /// for among everything pointing at it).
    fn one_organisation_with(n: usize) -> Vec<Record> {
        let org = "00000000-0000-4000-8000-000000000000";
        let mut records = vec![Record::new("organization", org).with("name", "Comune")];
        for i in 0..n {
            let service = format!("10000000-0000-4000-8000-{i:012}");
            records.push(
                Record::new("service", service.as_str())
                    .with("organization_id", org)
                    .with("name", "Sportello")
                    .with("status", "active"),
            );
            records.push(
                Record::new("phone", format!("20000000-0000-4000-8000-{i:012}"))
                    .with("service_id", service.as_str())
                    .with("number", "0862 1"),
            );
        }
        records
    }

    #[test]
    fn the_json_export_does_work_linear_in_the_rows() {
        let work = |n: usize| {
            let records = one_organisation_with(n);
            let index = RecordIndex::new(&records);
            let document: Value = serde_json::from_slice(&bundle(&index, &records)).unwrap();
            assert_eq!(document["services"].as_array().unwrap().len(), n);
            index.rows_examined()
        };
        let (small, large) = (work(500), work(1000));
        assert!(
            large <= small * 2 + 100,
            "twice the rows took {large} lookups against {small}"
        );
    }

    #[test]
    fn the_bundle_holds_every_row_once() {
        fn ids(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(id)) = map.get("id") {
                        out.push(id.clone());
                    }
                    map.values().for_each(|v| ids(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| ids(v, out)),
                _ => {}
            }
        }
        let mut records = one_organisation_with(3);
        // A location no organisation owns has no object to sit in: it is kept under `records`.
        records.push(
            Record::new("location", "30000000-0000-4000-8000-000000000000")
                .with("location_type", "physical"),
        );
        let document: Value = serde_json::from_slice(&write_json(&records)).unwrap();
        let mut found = Vec::new();
        ids(&document, &mut found);
        found.sort();
        let mut expected: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
        expected.sort();
        assert_eq!(
            found, expected,
            "each row once, the organisation not repeated"
        );
        assert_eq!(
            document["services"][0]["organization_id"],
            json!("00000000-0000-4000-8000-000000000000")
        );
        assert_eq!(document["records"]["location"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn reading_a_csv_file_counts_its_lines_once() {
        let mut csv = String::from("id,name\r\n");
        for i in 0..2000 {
            csv.push_str(&format!("ac148810-d857-441c-9679-{i:012},\"A\r\nB\"\r\n"));
        }
        let bytes = csv.as_bytes();
        let mut lines = Lines::new(bytes);
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
        let rows: Vec<usize> = reader
            .byte_records()
            .map(|r| lines.at(r.unwrap().position().unwrap().byte() as usize))
            .collect();
        // Each record spans two lines (a quoted line break) after the header's one.
        assert_eq!(rows[..3], [2, 4, 6]);
        assert_eq!(rows[1999], 4000);
        assert!(lines.scanned <= bytes.len(), "every byte is looked at once");
        let out = read_tabular(&[("services.csv".into(), bytes.to_vec())]);
        assert_eq!(out.records[1999].origin.row, 4000);
    }

    #[test]
    fn csv_cells_are_typed_and_bad_ones_located() {
        let csv = "\u{feff}id,name,status,minimum_age\r\n\
                   ac148810-d857-441c-9679-408f346de14b,A,active,12\r\n\
                   bc148810-d857-441c-9679-408f346de14b,B,active,old\r\n";
        let out = read_tabular(&[("services.csv".into(), csv.as_bytes().to_vec())]);
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.records[0].record.fields["minimum_age"], json!(12));
        assert_eq!(out.problems.len(), 1);
        let p = &out.problems[0];
        assert_eq!(
            (p.origin.row, p.field.as_deref(), p.code.as_str()),
            (3, Some("minimum_age"), "not_a_number")
        );
    }

    #[test]
    fn invalid_utf8_is_reported_by_row_and_column() {
        let mut csv = b"id,name\nac148810-d857-441c-9679-408f346de14b,".to_vec();
        csv.extend_from_slice(&[0xC3, 0x28, b'\n']);
        let out = read_tabular(&[("organizations.csv".into(), csv)]);
        assert_eq!(out.problems[0].code, "invalid_utf8");
        assert_eq!(out.problems[0].origin.row, 2);
        assert_eq!(out.problems[0].field.as_deref(), Some("name"));
    }

    #[test]
    fn ndjson_lines_are_rows() {
        let text =
            "{\"id\":\"a\",\"name\":\"A\",\"status\":\"active\"}\n{\"id\":\"b\",\"name\":\"B\"}\n";
        let out = read_json("s.ndjson", text.as_bytes());
        assert!(out.problems.is_empty());
        assert_eq!(out.records[1].origin.row, 2);
    }

    /// Found by the round-trip property: serde_json's default number parser may be one unit
    /// in the last place off, so a number read from a CSV (a latitude, an age) changed on
    /// every export and import. The workspace enables its `float_roundtrip` feature.
    #[test]
    fn numbers_read_back_exactly() {
        let n = -976_871_872_775.093_5_f64;
        let csv = format!("id,minimum_age\nac148810-d857-441c-9679-408f346de14b,{n}\n");
        let out = read_tabular(&[("services.csv".into(), csv.into_bytes())]);
        assert_eq!(
            out.records[0].record.fields["minimum_age"].as_f64(),
            Some(n)
        );
        let written = write_tabular(&[out.records[0].record.clone()]);
        let again = read_tabular(&written);
        assert_eq!(again.records[0].record, out.records[0].record);
    }

    #[test]
    fn the_tabular_writer_lists_standard_columns_first() {
        let r = Record::new("organization", "o")
            .with("name", "N")
            .with("x_extra", "e");
        let files = write_tabular(&[r]);
        let (_, bytes) = files
            .iter()
            .find(|(n, _)| n == "organizations.csv")
            .unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("id,name,alternate_name"));
        assert!(text.lines().next().unwrap().ends_with(",x_extra"));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        /// A value a field of `kind` holds after reading: typed, normalised, never blank.
        fn value(kind: FieldKind) -> BoxedStrategy<Value> {
            match kind {
                FieldKind::Number => prop_oneof![
                    any::<i64>().prop_map(Value::from),
                    (-1e12f64..1e12).prop_map(Value::from),
                ]
                .boxed(),
                FieldKind::Boolean => any::<bool>().prop_map(Value::from).boxed(),
                FieldKind::Uuid => any::<u128>()
                    .prop_map(|n| Value::from(uuid::Uuid::from_u128(n).to_string()))
                    .boxed(),
                FieldKind::Email => "[a-z0-9.]{1,8}@[a-z]{1,8}\\.[a-z]{2,3}"
                    .prop_map(Value::from)
                    .boxed(),
                FieldKind::Uri => "https?://[a-z0-9.]{1,12}/[a-zA-Z0-9/?=&%-]{0,12}"
                    .prop_map(Value::from)
                    .boxed(),
                FieldKind::Date => (1900i32..2100, 1u32..=12, 1u32..=28)
                    .prop_map(|(y, m, d)| Value::from(format!("{y:04}-{m:02}-{d:02}")))
                    .boxed(),
                FieldKind::DateTime => (1900i32..2100, 1u32..=12, 1u32..=28, 0u32..24)
                    .prop_map(|(y, m, d, h)| {
                        Value::from(format!("{y:04}-{m:02}-{d:02}T{h:02}:30:00Z"))
                    })
                    .boxed(),
                FieldKind::Time => (0u32..24, 0u32..60, 0u32..60)
                    .prop_map(|(h, m, s)| Value::from(format!("{h:02}:{m:02}:{s:02}")))
                    .boxed(),
                // Any text with something besides spaces: quotes, commas, line ends, BOMs,
                // leading and trailing spaces (kept as they are in text fields).
                FieldKind::Text => "[ a-zA-Z0-9,;\"'\r\n\t\u{feff}àèطبيب€-]{0,12}[^\\s]"
                    .prop_map(Value::from)
                    .boxed(),
            }
        }

        fn record() -> impl Strategy<Value = Record> {
            let tables: Vec<&'static str> = registry().entities().iter().map(|e| e.name).collect();
            (proptest::sample::select(tables), any::<u128>()).prop_flat_map(|(table, id)| {
                // Ids are UUIDs: the reader checks them.
                let id = uuid::Uuid::from_u128(id).to_string();
                let spec = registry().get(table).expect("a table");
                let fields: Vec<(String, FieldKind)> = spec
                    .fields
                    .iter()
                    .filter(|f| f.name != "id")
                    .map(|f| (f.name.clone(), f.kind))
                    .collect();
                let standard = fields
                    .into_iter()
                    .map(|(name, kind)| {
                        proptest::option::weighted(0.3, value(kind))
                            .prop_map(move |v| (name.clone(), v))
                    })
                    .collect::<Vec<_>>();
                let extension =
                    proptest::collection::vec(("x_[a-z0-9_]{1,6}", value(FieldKind::Text)), 0..3);
                (Just(table), Just(id), standard, extension).prop_map(
                    |(table, id, standard, extension)| {
                        let mut r = Record::new(table, id);
                        for (name, v) in standard
                            .into_iter()
                            .chain(extension.into_iter().map(|(n, v)| (n, Some(v))))
                        {
                            if let Some(v) = v {
                                r.set(&name, v);
                            }
                        }
                        r
                    },
                )
            })
        }

        fn sorted(records: impl IntoIterator<Item = Record>) -> Vec<String> {
            let mut out: Vec<String> = records
                .into_iter()
                .map(|r| {
                    // Fields in name order: the order of columns is not part of the data.
                    let fields: std::collections::BTreeMap<_, _> = r.fields.into_iter().collect();
                    serde_json::to_string(&(r.table, r.id, fields)).unwrap()
                })
                .collect();
            out.sort();
            out
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

            /// Records written as a tabular package and read back are the same records.
            #[test]
            fn a_tabular_package_reads_back_as_written(
                records in proptest::collection::vec(record(), 0..6)
            ) {
                let out = read_tabular(&write_tabular(&records));
                prop_assert!(out.problems.is_empty(), "{:?}", out.problems);
                prop_assert_eq!(
                    sorted(out.records.into_iter().map(|s| s.record)),
                    sorted(records)
                );
            }

            /// Any bytes as any table's CSV are read or reported, never a panic; what was read
            /// reads back the same from a written package.
            #[test]
            fn any_csv_is_read_or_reported(
                file in proptest::sample::select(vec!["services.csv", "organizations.csv", "schedules.csv", "locations.csv"]),
                header in "(id|name|status|minimum_age|opens_at|latitude|email|x)(,(id|name|status|minimum_age|opens_at|latitude|email|x| x )){0,4}",
                body in "[a-z0-9,\"\r\n :.@-]{0,80}"
            ) {
                let bytes = format!("{header}\n{body}").into_bytes();
                let out = read_tabular(&[(file.to_owned(), bytes)]);
                let first: Vec<Record> = out.records.into_iter().map(|s| s.record).collect();
                let again = read_tabular(&write_tabular(&first));
                prop_assert!(again.problems.is_empty(), "{:?}", again.problems);
                prop_assert_eq!(sorted(again.records.into_iter().map(|s| s.record)), sorted(first));
            }
        }
    }
}
