//! What surveys keep: surveys owned by an organisation, the versions of their XLSForm (the
//! uploaded file as it was, with what the web needs to list it), and the submissions, each
//! tied to the version it was started on so that renamed or deleted questions of a later
//! version never change how earlier answers read.
//!
//! Access is decided in the queries, as for the desk: a survey is found by its organisation
//! (or, for answering, by its unguessable share token), a submission by its resume token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::Result;

/// Who may answer through a survey's share link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Anyone with the link.
    Public,
    /// Only signed-in accounts (operators interviewing, or surveys of operators).
    Operators,
}

impl Audience {
    pub const ALL: [Audience; 2] = [Audience::Public, Audience::Operators];

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Operators => "operators",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Audience::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A survey: one questionnaire through its versions, with one stable share link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Survey {
    pub id: String,
    pub organization_id: String,
    /// The title of the first version, as the list shows it.
    pub title: String,
    /// The unguessable part of the share link (`/{lang}/s/{token}`).
    pub share_token: String,
    pub audience: Audience,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// One uploaded version of a survey's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormVersion {
    pub id: String,
    pub survey_id: String,
    /// 1 for the first upload, then 2, 3, … (given by the store).
    pub number: u32,
    /// The uploaded file's name.
    pub file_name: String,
    /// The form's `form_id` setting (or the file name without extension).
    pub form_id: String,
    /// The form's `version` setting (may be empty).
    pub form_version: String,
    pub title: String,
    /// The form's languages as written in its headers (`English (en)`).
    pub languages: Vec<String>,
    /// The version the share link serves (at most one per survey).
    pub deployed: bool,
    pub uploaded_at: DateTime<Utc>,
    pub uploaded_by: String,
    /// Completed submissions (read only; ignored on write).
    pub completed: u64,
    /// Submissions started and not completed (read only; ignored on write).
    pub drafts: u64,
}

/// Whether a submission was sent or is still being filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubmissionStatus {
    Draft,
    Complete,
}

impl SubmissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Draft => "draft",
            SubmissionStatus::Complete => "complete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(SubmissionStatus::Draft),
            "complete" => Some(SubmissionStatus::Complete),
            _ => None,
        }
    }
}

/// One respondent's answers to one version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Submission {
    pub id: String,
    pub version_id: String,
    /// The unguessable token of the resume link.
    pub resume_token: String,
    /// The form language the respondent chose (as written in the form's headers).
    pub language: String,
    pub status: SubmissionStatus,
    /// Answers by question name: text values; a repeat is an array of objects.
    pub answers: serde_json::Value,
    /// The page (0-based) the respondent is on.
    pub page: u32,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait SurveyStore: Send + Sync {
    /// Stores a new survey with its first version (numbered 1, whatever `first.number` says).
    async fn create_survey(&self, survey: &Survey, first: &FormVersion, file: &[u8]) -> Result<()>;

    /// Adds a version to a survey, numbered after the last; returns its number.
    async fn add_version(&self, version: &FormVersion, file: &[u8]) -> Result<u32>;

    /// The organisation's surveys, newest first.
    async fn surveys_of(&self, organization_id: &str) -> Result<Vec<Survey>>;

    /// The survey if it belongs to the organisation.
    async fn survey(&self, organization_id: &str, id: &str) -> Result<Option<Survey>>;

    /// The survey a share link names.
    async fn survey_by_token(&self, share_token: &str) -> Result<Option<Survey>>;

    /// The survey's versions, first to last, with their submission counts.
    async fn versions(&self, survey_id: &str) -> Result<Vec<FormVersion>>;

    /// One version with its counts.
    async fn version(&self, version_id: &str) -> Result<Option<FormVersion>>;

    /// The uploaded file of a version.
    async fn version_file(&self, version_id: &str) -> Result<Option<Vec<u8>>>;

    /// Makes this version the one the share link serves (and no other). False when the
    /// version is not the survey's.
    async fn deploy(&self, survey_id: &str, version_id: &str) -> Result<bool>;

    /// Stops serving any version through the share link.
    async fn undeploy(&self, survey_id: &str) -> Result<()>;

    async fn set_audience(&self, survey_id: &str, audience: Audience) -> Result<()>;

    /// Inserts or replaces a submission (by id). A completed submission is never changed
    /// again: saving over one returns false and writes nothing.
    async fn save_submission(&self, submission: &Submission) -> Result<bool>;

    /// Saves many submissions in one transaction (imports, benchmarks), as `save_submission`
    /// would one by one; returns how many were written.
    async fn save_submissions(&self, submissions: &[Submission]) -> Result<u64>;

    async fn submission_by_resume_token(&self, token: &str) -> Result<Option<Submission>>;

    /// The version's submissions in one status, ordered by id, after the one with id `after`
    /// (keyset paging, so exports of any size stream in constant memory).
    async fn submissions(
        &self,
        version_id: &str,
        status: SubmissionStatus,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Submission>>;
}
