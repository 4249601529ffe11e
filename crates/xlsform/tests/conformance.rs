//! Conformance with pyxform, the reference XLSForm converter.
//!
//! `tests/conformance/xlsform/` holds the forms of pyxform 4.5.0's own test suite with its
//! verdict on each (accepted or rejected, and the message). We run every case, excluding the
//! ODK Entities extension (`tests/entities/`), and compare verdicts; for rejected forms whose
//! message names a row (`[row : N]`) we check that one of our errors names the same row.
//!
//! Run with `cargo test -p crocevia-xlsform --test conformance -- --nocapture` to see the
//! figures and every disagreement.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use crocevia_xlsform::{read_path, validate};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/xlsform")
}

struct Case {
    id: String,
    source_test: String,
    accepted: bool,
    error: Option<String>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(corpus().join("cases.jsonl")).expect("cases.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            Case {
                id: v["id"].as_str().expect("id").to_string(),
                source_test: v["source_test"].as_str().expect("source_test").to_string(),
                accepted: v["accepted"].as_bool().expect("accepted"),
                error: v["error"].as_str().map(str::to_string),
            }
        })
        .collect()
}

/// The first `[row : N]` of a pyxform message, when it names a numeric row.
fn pyxform_row(message: &str) -> Option<usize> {
    let i = message.find("[row : ")?;
    let rest = &message[i + 7..];
    let end = rest.find(']')?;
    rest[..end].trim().parse().ok()
}

#[test]
fn agreement_with_pyxform() {
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| !c.source_test.starts_with("tests/entities/"))
        .collect();
    let (mut agree, mut accepted_ok, mut rejected_ok) = (0usize, 0usize, 0usize);
    let (mut row_cases, mut row_ok) = (0usize, 0usize);
    let mut disagreements = Vec::new();
    let mut wrong_rows = Vec::new();
    for case in &cases {
        let path = corpus().join("forms").join(format!("{}.xlsx", case.id));
        let (ours, errors) = match read_path(&path) {
            Ok(form) => {
                let report = validate(&form);
                (report.is_valid(), report.errors)
            }
            Err(e) => (false, Vec::new()).then_log(&case.id, &e.to_string()),
        };
        if ours == case.accepted {
            agree += 1;
            if ours {
                accepted_ok += 1;
            } else {
                rejected_ok += 1;
            }
        } else {
            let ours_text = errors
                .iter()
                .map(|p| format!("\n      ours: {p}"))
                .collect::<String>();
            disagreements.push(format!(
                "{} [{}] pyxform {}: {}{}",
                case.id,
                case.source_test.rsplit("::").next().unwrap_or(""),
                if case.accepted { "accepts" } else { "rejects" },
                case.error.as_deref().unwrap_or("-"),
                ours_text
            ));
        }
        if !case.accepted
            && !ours
            && let Some(row) = case.error.as_deref().and_then(pyxform_row)
        {
            row_cases += 1;
            if errors.iter().any(|p| p.row == Some(row)) {
                row_ok += 1;
            } else {
                wrong_rows.push(format!(
                    "{} pyxform row {row}: {}\n      ours: {}",
                    case.id,
                    case.error.as_deref().unwrap_or(""),
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n      ours: ")
                ));
            }
        }
    }
    let total = cases.len();
    let accepted = cases.iter().filter(|c| c.accepted).count();
    let pct = 100.0 * agree as f64 / total as f64;
    println!("--- disagreements ({}) ---", disagreements.len());
    for d in &disagreements {
        println!("{d}");
    }
    println!(
        "--- rejected forms where our errors miss pyxform's row ({}) ---",
        wrong_rows.len()
    );
    for w in &wrong_rows {
        println!("{w}");
    }
    println!(
        "XLSForm conformance (excluding ODK Entities): {agree}/{total} verdicts agree ({pct:.1}%); \
         pyxform accepted {accepted}, we agree on {accepted_ok}; pyxform rejected {}, we agree on {rejected_ok}; \
         same row named in {row_ok}/{row_cases} rejections that name a row",
        total - accepted
    );
    assert!(pct >= 95.0, "agreement {pct:.1}% is under 95%");
    assert!(
        row_ok * 100 >= row_cases * 90,
        "rows named in only {row_ok}/{row_cases} rejections"
    );
}

trait ThenLog {
    fn then_log(self, id: &str, msg: &str) -> Self;
}
impl<T> ThenLog for T {
    fn then_log(self, id: &str, msg: &str) -> Self {
        println!("{id}: read error: {msg}");
        self
    }
}

#[test]
fn real_needs_assessment_loads_and_validates() {
    let path = corpus().join("real/REACH_2024_MSNA-kobo-tool_draft_v11.xlsx");
    let form = read_path(&path).expect("the REACH MSNA form reads");
    let report = validate(&form);
    println!("{report}");
    assert!(report.is_valid(), "pyxform accepts this form: {report}");
    assert!(
        form.question_count() > 250,
        "{} questions",
        form.question_count()
    );
    assert!(form.choices.len() > 20);
    assert_eq!(form.languages, ["english", "french"]);
}
