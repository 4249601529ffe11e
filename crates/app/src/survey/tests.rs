//! The analysis of real submissions stored in SQLite, no HTTP.

use crocevia_core::disclosure::{DisclosureRule, Shown};
use crocevia_store::Store;
use crocevia_store::contract::ORG;
use crocevia_store::contract::survey::{VERSION_1, form_version, submission, survey};
use crocevia_store::survey::{Submission, SubmissionStatus};
use serde_json::json;

use super::*;

const FORM: &str = "survey,type,name,label,required
,select_one sex,sex,Sex,yes
,select_multiple need,needs,Needs,
,integer,age,Age,
choices,list_name,name,label
,sex,female,Female
,sex,male,Male
,need,housing,Housing
,need,work,Work
settings,form_id,form_title
,needs,Needs
";

/// Six women needing housing (one also work), two men needing work, and a draft that is
/// never counted.
async fn store_with_answers() -> (std::sync::Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let store = crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
        .await
        .unwrap();
    assert_eq!(survey().organization_id, ORG);
    store
        .create_survey(&survey(), &form_version(VERSION_1, 3), FORM.as_bytes())
        .await
        .unwrap();
    let answer = |i: usize, sex: &str, needs: &str, age: u32| Submission {
        answers: json!({"sex": sex, "needs": needs, "age": age.to_string()}),
        ..submission(&format!("s{i}"), VERSION_1, SubmissionStatus::Complete)
    };
    let mut all: Vec<Submission> = (0..6)
        .map(|i| {
            answer(
                i,
                "female",
                if i == 0 { "housing work" } else { "housing" },
                30 + i as u32,
            )
        })
        .collect();
    all.push(answer(6, "male", "work", 40));
    all.push(answer(7, "male", "work", 50));
    all.push(Submission {
        answers: json!({"sex": "male", "needs": "work", "age": "99"}),
        ..submission("s8", VERSION_1, SubmissionStatus::Draft)
    });
    assert_eq!(store.save_submissions(&all).await.unwrap(), 9);
    (store, dir)
}

fn form() -> Form {
    crocevia_xlsform::read_csv(FORM.as_bytes()).unwrap()
}

fn rows(table: &QuestionTable<'_>) -> Vec<(Option<String>, Vec<Shown>, Shown)> {
    match &table.summary {
        Summary::Choices { rows, .. } => rows
            .iter()
            .map(|r| (r.label.clone(), r.cells.clone(), r.total))
            .collect(),
        Summary::Numbers { .. } => panic!("{} is not a choice question", table.label),
    }
}

#[tokio::test]
async fn completed_answers_are_counted_and_small_counts_hidden() {
    let (store, _dir) = store_with_answers().await;
    let form = form();
    let rule = DisclosureRule::new(5).unwrap();
    let t = tabulate(&*store, &form, VERSION_1, "", "default", &rule)
        .await
        .unwrap();
    assert_eq!(t.completed, Shown::Count(8), "the draft is not counted");
    assert!(t.by.is_none() && t.groups.is_empty());
    let labels: Vec<&str> = t.questions.iter().map(|q| q.label.as_str()).collect();
    assert_eq!(labels, ["Sex", "Needs", "Age"]);
    let needs = rows(&t.questions[1]);
    assert_eq!(needs[0].0.as_deref(), Some("Housing"));
    assert_eq!(
        needs[1].2,
        Shown::Hidden,
        "3 people need work: fewer than 5"
    );
    assert_eq!(
        needs[0].2,
        Shown::Hidden,
        "housing's 6 hidden too, or the table's total would give work's 3 away"
    );
    let Summary::Choices { multiple, base, .. } = &t.questions[1].summary else {
        panic!("needs is a choice question");
    };
    assert!(*multiple);
    assert_eq!(
        *base,
        Shown::Count(8),
        "a select_multiple's base is its respondents"
    );
    let Summary::Numbers { all, groups } = &t.questions[2].summary else {
        panic!("age is a number");
    };
    assert!(groups.is_empty());
    assert_eq!(all.n, Shown::Count(8));
    let stats = all.stats.as_ref().unwrap();
    assert_eq!((stats.min, stats.max, stats.median), (30.0, 50.0, 33.5));
}

#[tokio::test]
async fn a_split_by_sex_hides_the_small_group_everywhere() {
    let (store, _dir) = store_with_answers().await;
    let form = form();
    let rule = DisclosureRule::new(5).unwrap();
    let t = tabulate(&*store, &form, VERSION_1, "sex", "default", &rule)
        .await
        .unwrap();
    assert_eq!(t.by.map(|el| el.name.as_str()), Some("sex"));
    assert_eq!(t.groups, ["Female", "Male"]);
    let small = |s: &Shown| matches!(s, Shown::Count(n) if (1..5).contains(n));
    for (label, cells, _) in rows(&t.questions[1]) {
        assert!(
            !small(&cells[1]),
            "men's {label:?} count shown: {:?}",
            cells[1]
        );
    }
    assert_eq!(
        rows(&t.questions[1])[1].1[1],
        Shown::Hidden,
        "two men need work"
    );
    let Summary::Numbers { groups, .. } = &t.questions[2].summary else {
        panic!("age is a number");
    };
    assert_eq!(groups[0].n, Shown::Count(6));
    assert_eq!(groups[1].n, Shown::Hidden);
    assert!(groups[1].stats.is_none(), "no mean of two men's ages");
    let not_a_choice = tabulate(&*store, &form, VERSION_1, "age", "default", &rule)
        .await
        .unwrap();
    assert!(not_a_choice.by.is_none(), "only a select_one splits");
}
