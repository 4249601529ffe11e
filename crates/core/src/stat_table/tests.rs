use super::*;

/// Foreign residents by province and sex: 2 × 3, with one hidden and one missing cell.
fn sample() -> StatTable {
    let mut table = StatTable {
        id: "foreign_residents".into(),
        label: "Foreign residents".into(),
        dimensions: vec![
            TableDimension {
                id: "territory".into(),
                label: "Territory".into(),
                role: Some(DimensionRole::Geo),
                categories: vec![
                    TableCategory::new("066", "L'Aquila"),
                    TableCategory::new("067", "Teramo, \"TE\""),
                ],
            },
            TableDimension {
                id: "sex".into(),
                label: "Sex".into(),
                role: None,
                categories: vec![
                    TableCategory::new("total", "Total"),
                    TableCategory::new("male", "Men"),
                    TableCategory::new("female", "Women"),
                ],
            },
        ],
        values: vec![],
        unit: TableUnit {
            code: "persons".into(),
            label: "persons".into(),
            decimals: 0,
        },
        source: "ISTAT".into(),
        updated: "2023-01-01".into(),
        notes: vec![],
        disclosure_threshold: None,
    };
    table
        .fill([
            (vec!["066", "total"], TableValue::Number(23_047.0)),
            (vec!["066", "male"], TableValue::Number(11_382.0)),
            (vec!["066", "female"], TableValue::Number(11_665.0)),
            (vec!["067", "total"], TableValue::Number(12.0)),
            (vec!["067", "male"], TableValue::Hidden),
            (vec!["999", "male"], TableValue::Number(1.0)),
        ])
        .unwrap();
    table
}

#[test]
fn cells_are_row_major_last_dimension_fastest() {
    let t = sample();
    assert_eq!(t.cells(), 6);
    assert_eq!(t.index(&[1, 0]), Some(3));
    assert_eq!(t.positions(4), vec![1, 1]);
    assert_eq!(
        t.get(&[("sex", "female"), ("territory", "066")]),
        Some(TableValue::Number(11_665.0))
    );
    assert_eq!(
        t.get(&[("territory", "067"), ("sex", "male")]),
        Some(TableValue::Hidden)
    );
    assert_eq!(
        t.get(&[("territory", "067"), ("sex", "female")]),
        Some(TableValue::Missing)
    );
    assert_eq!(
        t.get(&[("territory", "067")]),
        None,
        "sex has several categories"
    );
}

#[test]
fn bad_shapes_are_refused() {
    let mut t = sample();
    t.values.pop();
    assert_eq!(
        t.check(),
        Err(TableError::WrongSize {
            values: 5,
            cells: 6
        })
    );
    let mut t = sample();
    t.dimensions[1].categories[2].code = "male".into();
    assert!(matches!(
        t.check(),
        Err(TableError::DuplicateCategory { .. })
    ));
    let mut t = sample();
    t.dimensions[1].id = "territory".into();
    assert!(matches!(t.check(), Err(TableError::DuplicateDimension(_))));
}

#[test]
fn csv_has_a_row_per_cell_with_codes_labels_and_status() {
    let csv = sample().to_csv();
    // Excel reads it as UTF-8 only after a byte order mark.
    let csv = csv.strip_prefix('\u{feff}').expect("a byte order mark");
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "territory,territory_label,sex,sex_label,value,status"
    );
    assert_eq!(lines[1], "066,L'Aquila,total,Total,23047,");
    assert_eq!(lines[5], "067,\"Teramo, \"\"TE\"\"\",male,Men,,<5");
    assert_eq!(lines[6], "067,\"Teramo, \"\"TE\"\"\",female,Women,,missing");
    assert_eq!(lines.len(), 8, "6 cells, a header and the final line end");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.records().count(), 6);
}

/// Issue 17: a label someone typed (an organisation's name) opens as text in a
/// spreadsheet, never as a formula; negative figures stay numbers.
#[test]
fn csv_labels_never_open_as_formulas() {
    let mut t = sample();
    t.dimensions[0].categories[0].label = "=HYPERLINK(\"http://evil\",\"x\")".into();
    t.values[0] = TableValue::Number(-3.0);
    let csv = t.to_csv();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[1], "'=HYPERLINK(\"http://evil\",\"x\")");
    assert_eq!(&first[4], "-3");
}

#[test]
fn json_stat_follows_the_format() {
    let doc = sample().to_json_stat();
    assert_eq!(json_stat_problems(&doc), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["id"], serde_json::json!(["territory", "sex"]));
    assert_eq!(doc["size"], serde_json::json!([2, 3]));
    assert_eq!(
        doc["value"],
        serde_json::json!([23047, 11382, 11665, 12, null, null])
    );
    assert_eq!(doc["status"], serde_json::json!({"4": "<5"}));
    assert_eq!(doc["dimension"]["territory"]["category"]["index"]["067"], 1);
    assert_eq!(
        doc["dimension"]["sex"]["category"]["label"]["female"],
        "Women"
    );
    assert_eq!(doc["role"]["geo"], serde_json::json!(["territory"]));
    assert_eq!(doc["source"], "ISTAT");
    assert_eq!(doc["updated"], "2023-01-01");
}

#[test]
fn the_checker_catches_broken_documents() {
    let mut doc = sample().to_json_stat();
    doc["size"] = serde_json::json!([2, 2]);
    doc["version"] = serde_json::json!("1.0");
    doc["status"] = serde_json::json!({"9": "<5"});
    doc["role"] = serde_json::json!({"geo": ["place"]});
    let problems = json_stat_problems(&doc);
    assert!(
        problems.iter().any(|p| p.contains("version")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("value has 6 entries for 4 cells")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("status has a key")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("role geo names")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("dimension sex: 3 categories, size 2")),
        "{problems:?}"
    );
}
