//! The official HSDS 3.0 examples (tests/conformance/hsds): read, validated, and round-tripped
//! through both our formats.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use crocevia_core::hsds::formats::{read_json, read_tabular, write_json, write_tabular};
use crocevia_core::hsds::validate::{Existing, validate};
use crocevia_core::hsds::{Problem, Record, SourcedRecord};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/hsds/examples")
}

fn csv_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(examples().join("csv"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn validated(mut batch: Vec<SourcedRecord>) -> (Vec<SourcedRecord>, Vec<Problem>) {
    let problems = validate(&mut batch, &Existing::new());
    (batch, problems)
}

fn sorted(mut records: Vec<Record>) -> Vec<Record> {
    records.sort_by(|a, b| (&a.table, &a.id).cmp(&(&b.table, &b.id)));
    records
}

fn supplement() -> Vec<SourcedRecord> {
    let path = examples().join("../supplement/missing_rows.json");
    let out = read_json("missing_rows.json", &std::fs::read(path).unwrap());
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    out.records
}

fn json_example(name: &str) -> Vec<SourcedRecord> {
    let out = read_json(name, &std::fs::read(examples().join(name)).unwrap());
    assert!(out.problems.is_empty(), "{name}: {:?}", out.problems);
    out.records
}

fn located(problems: &[Problem]) -> Vec<(String, usize, String, &'static str)> {
    problems
        .iter()
        .map(|p| {
            (
                p.origin.file.clone(),
                p.origin.row,
                p.field.clone().unwrap_or_default(),
                p.code.as_str(),
            )
        })
        .collect()
}

#[test]
fn the_csv_example_reports_each_dangling_reference_by_file_row_and_field() {
    let out = read_tabular(&csv_files());
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    assert_eq!(
        out.records.len(),
        21,
        "one row in each of the 21 example files"
    );
    let (_, problems) = validated(out.records);
    let expected = [
        ("attributes.csv", "link_id"),
        ("contacts.csv", "organization_id"),
        ("contacts.csv", "service_at_location_id"),
        ("locations.csv", "organization_id"),
        ("metadata.csv", "resource_id"),
        ("organizations.csv", "parent_organization_id"),
        ("taxonomy_terms.csv", "parent_id"),
        ("taxonomy_terms.csv", "taxonomy_id"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(f, field)| (f.to_string(), 2, field.to_string(), "dangling_reference"))
        .collect();
    assert_eq!(located(&problems), expected);
}

#[test]
fn with_the_missing_rows_the_csv_example_is_valid() {
    let mut batch = read_tabular(&csv_files()).records;
    batch.extend(supplement());
    let (_, problems) = validated(batch);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_json_example_reads_as_the_object_it_is() {
    for (file, table) in [
        ("service_full.json", "service"),
        ("organization_full.json", "organization"),
        ("service_at_location_full.json", "service_at_location"),
        ("taxonomy_term.json", "taxonomy_term"),
        ("taxonomy.json", "taxonomy"),
        ("location.json", "location"),
    ] {
        let mut batch = json_example(file);
        assert_eq!(batch[0].record.table, table, "{file}");
        batch.extend(supplement());
        let (_, problems) = validated(batch);
        let own: Vec<_> = problems
            .iter()
            .filter(|p| p.origin.file.starts_with(file))
            .collect();
        assert!(own.is_empty(), "{file}: {own:#?}");
    }
}

fn round_trip(records: Vec<Record>) {
    let records = sorted(records);
    let files = write_tabular(&records);
    let back = read_tabular(&files);
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    let (back, problems) = validated(back.records);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        sorted(back.into_iter().map(|s| s.record).collect()),
        records,
        "CSV round trip"
    );

    let document = write_json(&records);
    let back = read_json("export.json", &document);
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    let (back, problems) = validated(back.records);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        sorted(back.into_iter().map(|s| s.record).collect()),
        records,
        "JSON round trip"
    );
}

#[test]
fn the_csv_example_round_trips_through_both_formats() {
    let mut batch = read_tabular(&csv_files()).records;
    batch.extend(supplement());
    let (batch, problems) = validated(batch);
    assert!(problems.is_empty(), "{problems:?}");
    round_trip(batch.into_iter().map(|s| s.record).collect());
}

#[test]
fn the_service_full_example_round_trips_through_both_formats() {
    let mut batch = json_example("service_full.json");
    batch.extend(supplement());
    let (batch, problems) = validated(batch);
    assert!(problems.is_empty(), "{problems:?}");
    round_trip(batch.into_iter().map(|s| s.record).collect());
}
