//! The surveys' half of the store contract (see [`super`]): who finds a survey,
//! versions numbered in order with one deployed, and submissions that stay with their
//! version and cannot change once complete.

#![allow(clippy::unwrap_used)] // a contract check fails by panicking

use serde_json::json;

use super::{ORG, OTHER_ORG, at};
use crate::Store;
use crate::survey::{Audience, FormVersion, Submission, SubmissionStatus, Survey};

pub const SURVEY: &str = "f0000000-0000-4000-8000-000000000001";
pub const VERSION_1: &str = "f1000000-0000-4000-8000-000000000001";
pub const VERSION_2: &str = "f1000000-0000-4000-8000-000000000002";

pub fn survey() -> Survey {
    Survey {
        id: SURVEY.into(),
        organization_id: ORG.into(),
        title: "Needs assessment".into(),
        share_token: "share-token-1".into(),
        audience: Audience::Public,
        created_at: at(3),
        created_by: "coordinator".into(),
    }
}

pub fn form_version(id: &str, day: u32) -> FormVersion {
    FormVersion {
        id: id.into(),
        survey_id: SURVEY.into(),
        number: 0,
        file_name: "needs.xlsx".into(),
        form_id: "needs".into(),
        form_version: format!("v{day}"),
        title: "Needs assessment".into(),
        languages: vec!["Italiano (it)".into(), "العربية (ar)".into()],
        deployed: false,
        uploaded_at: at(day),
        uploaded_by: "coordinator".into(),
        completed: 0,
        drafts: 0,
    }
}

pub fn submission(id: &str, version: &str, status: SubmissionStatus) -> Submission {
    Submission {
        id: id.into(),
        version_id: version.into(),
        resume_token: format!("resume-{id}"),
        language: "Italiano (it)".into(),
        status,
        answers: json!({"sex": "female", "needs": "housing work", "members": [{"age": "4"}, {"age": "31"}]}),
        page: 1,
        started_at: at(5),
        updated_at: at(5),
        completed_at: (status == SubmissionStatus::Complete).then(|| at(6)),
    }
}

pub async fn surveys_are_found_by_their_organisation_or_their_link(store: &dyn Store) {
    store
        .create_survey(&survey(), &form_version(VERSION_1, 3), b"first file")
        .await
        .unwrap();
    assert_eq!(store.surveys_of(ORG).await.unwrap(), vec![survey()]);
    assert!(store.surveys_of(OTHER_ORG).await.unwrap().is_empty());
    assert_eq!(store.survey(ORG, SURVEY).await.unwrap(), Some(survey()));
    assert_eq!(store.survey(OTHER_ORG, SURVEY).await.unwrap(), None);
    assert_eq!(
        store.survey_by_token("share-token-1").await.unwrap(),
        Some(survey())
    );
    assert_eq!(store.survey_by_token("share-token-2").await.unwrap(), None);
    store
        .set_audience(SURVEY, Audience::Operators)
        .await
        .unwrap();
    assert_eq!(
        store.survey(ORG, SURVEY).await.unwrap().unwrap().audience,
        Audience::Operators
    );
}

pub async fn versions_are_numbered_and_one_is_deployed(store: &dyn Store) {
    store
        .create_survey(&survey(), &form_version(VERSION_1, 3), b"first file")
        .await
        .unwrap();
    let number = store
        .add_version(&form_version(VERSION_2, 4), b"second file")
        .await
        .unwrap();
    assert_eq!(number, 2);
    let versions = store.versions(SURVEY).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.number).collect::<Vec<_>>(),
        [1, 2]
    );
    let mut expected = form_version(VERSION_1, 3);
    expected.number = 1;
    assert_eq!(versions[0], expected);
    assert_eq!(
        store.version_file(VERSION_2).await.unwrap().as_deref(),
        Some(&b"second file"[..])
    );
    assert!(!store.deploy(SURVEY, "no-such-version").await.unwrap());
    assert!(store.deploy(SURVEY, VERSION_1).await.unwrap());
    assert!(store.deploy(SURVEY, VERSION_2).await.unwrap());
    let deployed: Vec<u32> = store
        .versions(SURVEY)
        .await
        .unwrap()
        .iter()
        .filter(|v| v.deployed)
        .map(|v| v.number)
        .collect();
    assert_eq!(deployed, [2]);
    store.undeploy(SURVEY).await.unwrap();
    assert!(
        store
            .versions(SURVEY)
            .await
            .unwrap()
            .iter()
            .all(|v| !v.deployed)
    );
}

pub async fn submissions_stay_with_their_version_and_complete_ones_are_final(store: &dyn Store) {
    store
        .create_survey(&survey(), &form_version(VERSION_1, 3), b"first file")
        .await
        .unwrap();
    store
        .add_version(&form_version(VERSION_2, 4), b"second file")
        .await
        .unwrap();
    let mut draft = submission("s1", VERSION_1, SubmissionStatus::Draft);
    assert!(store.save_submission(&draft).await.unwrap());
    assert_eq!(
        store
            .submission_by_resume_token("resume-s1")
            .await
            .unwrap()
            .as_ref(),
        Some(&draft)
    );
    draft.page = 2;
    draft.status = SubmissionStatus::Complete;
    draft.completed_at = Some(at(7));
    assert!(store.save_submission(&draft).await.unwrap());
    let mut late = draft.clone();
    late.answers = json!({"sex": "male"});
    assert!(
        !store.save_submission(&late).await.unwrap(),
        "a completed submission is final"
    );
    assert_eq!(
        store.submission_by_resume_token("resume-s1").await.unwrap(),
        Some(draft.clone())
    );
    let many: Vec<Submission> = ["s3", "s2", "s4"]
        .iter()
        .map(|id| submission(id, VERSION_1, SubmissionStatus::Complete))
        .collect();
    assert_eq!(store.save_submissions(&many).await.unwrap(), 3);
    store
        .save_submission(&submission("s5", VERSION_1, SubmissionStatus::Draft))
        .await
        .unwrap();
    store
        .save_submission(&submission("s6", VERSION_2, SubmissionStatus::Complete))
        .await
        .unwrap();
    let page = |after: Option<&'static str>| async move {
        store
            .submissions(VERSION_1, SubmissionStatus::Complete, after, 2)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(page(None).await, ["s1", "s2"]);
    assert_eq!(page(Some("s2")).await, ["s3", "s4"]);
    assert!(page(Some("s4")).await.is_empty());
    let versions = store.versions(SURVEY).await.unwrap();
    assert_eq!((versions[0].completed, versions[0].drafts), (4, 1));
    assert_eq!((versions[1].completed, versions[1].drafts), (1, 0));
}
