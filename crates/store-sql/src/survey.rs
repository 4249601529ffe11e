//! The surveys' tables ([`crocevia_store::survey::SurveyStore`]), written once for both
//! backends like the rest of the store (see [`crate::sql_store`]).

/// Implements `SurveyStore` for `$store` over database `$db`, in a module of its own.
macro_rules! sql_survey_store {
    ($store:ident, $db:ty) => {
        mod survey_store {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use crocevia_store::survey::{
                Audience, FormVersion, Submission, SubmissionStatus, Survey, SurveyStore,
            };
            use crocevia_store::{Result, StoreError};
            use sqlx::{AssertSqlSafe, Row as _};

            use super::$store as Backend;
            use crate::{db_error, parse_timestamp, timestamp};

            type DbRow = <$db as sqlx::Database>::Row;

            fn get<'r, T>(row: &'r DbRow, column: &str) -> Result<T>
            where
                T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
            {
                row.try_get(column).map_err(db_error)
            }

            fn time(row: &DbRow, column: &str) -> Result<DateTime<Utc>> {
                parse_timestamp(&get::<String>(row, column)?)
            }

            fn bad(what: &str, value: &str) -> StoreError {
                StoreError::Database(format!("unknown {what} '{value}' in the database"))
            }

            const SURVEY_COLUMNS: &str =
                "id, organization_id, title, share_token, audience, created_at, created_by";

            fn survey_of(row: &DbRow) -> Result<Survey> {
                let audience: String = get(row, "audience")?;
                Ok(Survey {
                    id: get(row, "id")?,
                    organization_id: get(row, "organization_id")?,
                    title: get(row, "title")?,
                    share_token: get(row, "share_token")?,
                    audience: Audience::parse(&audience).ok_or_else(|| bad("audience", &audience))?,
                    created_at: time(row, "created_at")?,
                    created_by: get(row, "created_by")?,
                })
            }

            const VERSION_SELECT: &str = "SELECT v.id, v.survey_id, v.number, v.file_name, v.form_id, \
                v.form_version, v.title, v.languages, v.deployed, v.uploaded_at, v.uploaded_by, \
                (SELECT COUNT(*) FROM survey_submission s WHERE s.version_id = v.id AND s.status = 'complete') AS completed, \
                (SELECT COUNT(*) FROM survey_submission s WHERE s.version_id = v.id AND s.status = 'draft') AS drafts \
                FROM survey_version v";

            fn version_of(row: &DbRow) -> Result<FormVersion> {
                let languages: String = get(row, "languages")?;
                Ok(FormVersion {
                    id: get(row, "id")?,
                    survey_id: get(row, "survey_id")?,
                    number: u32::try_from(get::<i64>(row, "number")?).unwrap_or(u32::MAX),
                    file_name: get(row, "file_name")?,
                    form_id: get(row, "form_id")?,
                    form_version: get(row, "form_version")?,
                    title: get(row, "title")?,
                    languages: serde_json::from_str(&languages).map_err(db_error)?,
                    deployed: get::<i64>(row, "deployed")? != 0,
                    uploaded_at: time(row, "uploaded_at")?,
                    uploaded_by: get(row, "uploaded_by")?,
                    completed: u64::try_from(get::<i64>(row, "completed")?).unwrap_or(0),
                    drafts: u64::try_from(get::<i64>(row, "drafts")?).unwrap_or(0),
                })
            }

            const SUBMISSION_COLUMNS: &str = "id, version_id, resume_token, language, status, answers, page, \
                started_at, updated_at, completed_at";

            fn submission_of(row: &DbRow) -> Result<Submission> {
                let status: String = get(row, "status")?;
                let answers: String = get(row, "answers")?;
                Ok(Submission {
                    id: get(row, "id")?,
                    version_id: get(row, "version_id")?,
                    resume_token: get(row, "resume_token")?,
                    language: get(row, "language")?,
                    status: SubmissionStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
                    answers: serde_json::from_str(&answers).map_err(db_error)?,
                    page: u32::try_from(get::<i64>(row, "page")?).unwrap_or(0),
                    started_at: time(row, "started_at")?,
                    updated_at: time(row, "updated_at")?,
                    completed_at: get::<Option<String>>(row, "completed_at")?
                        .as_deref()
                        .map(parse_timestamp)
                        .transpose()?,
                })
            }

            async fn insert_version(
                tx: &mut sqlx::Transaction<'_, $db>,
                v: &FormVersion,
                number: u32,
                file: &[u8],
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO survey_version (id, survey_id, number, file_name, file, form_id, form_version, \
                     title, languages, deployed, uploaded_at, uploaded_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11)",
                )
                .bind(&v.id)
                .bind(&v.survey_id)
                .bind(i64::from(number))
                .bind(&v.file_name)
                .bind(file.to_vec())
                .bind(&v.form_id)
                .bind(&v.form_version)
                .bind(&v.title)
                .bind(serde_json::to_string(&v.languages).map_err(db_error)?)
                .bind(timestamp(v.uploaded_at))
                .bind(&v.uploaded_by)
                .execute(&mut **tx)
                .await
                .map(|_| ())
                .map_err(db_error)
            }

            /// Inserts or replaces a draft; a completed submission is left as it is.
            async fn upsert_submission(tx: &mut sqlx::Transaction<'_, $db>, s: &Submission) -> Result<bool> {
                let done = sqlx::query(
                    "INSERT INTO survey_submission (id, version_id, resume_token, language, status, answers, page, \
                     started_at, updated_at, completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (id) DO UPDATE SET language = excluded.language, status = excluded.status, \
                     answers = excluded.answers, page = excluded.page, updated_at = excluded.updated_at, \
                     completed_at = excluded.completed_at \
                     WHERE survey_submission.status = 'draft'",
                )
                .bind(&s.id)
                .bind(&s.version_id)
                .bind(&s.resume_token)
                .bind(&s.language)
                .bind(s.status.as_str())
                .bind(serde_json::to_string(&s.answers).map_err(db_error)?)
                .bind(i64::from(s.page))
                .bind(timestamp(s.started_at))
                .bind(timestamp(s.updated_at))
                .bind(s.completed_at.map(timestamp))
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
                Ok(done.rows_affected() > 0)
            }

            #[async_trait]
            impl SurveyStore for Backend {
                async fn create_survey(&self, survey: &Survey, first: &FormVersion, file: &[u8]) -> Result<()> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    sqlx::query(
                        "INSERT INTO survey (id, organization_id, title, share_token, audience, created_at, created_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&survey.id)
                    .bind(&survey.organization_id)
                    .bind(&survey.title)
                    .bind(&survey.share_token)
                    .bind(survey.audience.as_str())
                    .bind(timestamp(survey.created_at))
                    .bind(&survey.created_by)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    insert_version(&mut tx, first, 1, file).await?;
                    tx.commit().await.map_err(db_error)
                }

                async fn add_version(&self, version: &FormVersion, file: &[u8]) -> Result<u32> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    if let Some(lock) = Backend::WRITE_LOCK {
                        sqlx::query(lock).execute(&mut *tx).await.map_err(db_error)?;
                    }
                    let row = sqlx::query("SELECT COALESCE(MAX(number), 0) AS last FROM survey_version WHERE survey_id = $1")
                        .bind(&version.survey_id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    let last: i64 = get(&row, "last")?;
                    let number = u32::try_from(last + 1).unwrap_or(u32::MAX);
                    insert_version(&mut tx, version, number, file).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(number)
                }

                async fn surveys_of(&self, organization_id: &str) -> Result<Vec<Survey>> {
                    let sql = format!(
                        "SELECT {SURVEY_COLUMNS} FROM survey WHERE organization_id = $1 ORDER BY created_at DESC, id"
                    );
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(organization_id)
                        .fetch_all(&self.read)
                        .await
                        .map_err(db_error)?
                        .iter()
                        .map(survey_of)
                        .collect()
                }

                async fn survey(&self, organization_id: &str, id: &str) -> Result<Option<Survey>> {
                    let sql = format!("SELECT {SURVEY_COLUMNS} FROM survey WHERE id = $1 AND organization_id = $2");
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(id)
                        .bind(organization_id)
                        .fetch_optional(&self.read)
                        .await
                        .map_err(db_error)?
                        .as_ref()
                        .map(survey_of)
                        .transpose()
                }

                async fn survey_by_token(&self, share_token: &str) -> Result<Option<Survey>> {
                    let sql = format!("SELECT {SURVEY_COLUMNS} FROM survey WHERE share_token = $1");
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(share_token)
                        .fetch_optional(&self.read)
                        .await
                        .map_err(db_error)?
                        .as_ref()
                        .map(survey_of)
                        .transpose()
                }

                async fn versions(&self, survey_id: &str) -> Result<Vec<FormVersion>> {
                    let sql = format!("{VERSION_SELECT} WHERE v.survey_id = $1 ORDER BY v.number");
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(survey_id)
                        .fetch_all(&self.read)
                        .await
                        .map_err(db_error)?
                        .iter()
                        .map(version_of)
                        .collect()
                }

                async fn version(&self, version_id: &str) -> Result<Option<FormVersion>> {
                    let sql = format!("{VERSION_SELECT} WHERE v.id = $1");
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(version_id)
                        .fetch_optional(&self.read)
                        .await
                        .map_err(db_error)?
                        .as_ref()
                        .map(version_of)
                        .transpose()
                }

                async fn version_file(&self, version_id: &str) -> Result<Option<Vec<u8>>> {
                    let row = sqlx::query("SELECT file FROM survey_version WHERE id = $1")
                        .bind(version_id)
                        .fetch_optional(&self.read)
                        .await
                        .map_err(db_error)?;
                    row.as_ref().map(|r| get::<Vec<u8>>(r, "file")).transpose()
                }

                async fn deploy(&self, survey_id: &str, version_id: &str) -> Result<bool> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    let exists = sqlx::query("SELECT 1 FROM survey_version WHERE id = $1 AND survey_id = $2")
                        .bind(version_id)
                        .bind(survey_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?
                        .is_some();
                    if !exists {
                        return Ok(false);
                    }
                    sqlx::query("UPDATE survey_version SET deployed = CASE WHEN id = $2 THEN 1 ELSE 0 END WHERE survey_id = $1")
                        .bind(survey_id)
                        .bind(version_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(true)
                }

                async fn undeploy(&self, survey_id: &str) -> Result<()> {
                    sqlx::query("UPDATE survey_version SET deployed = 0 WHERE survey_id = $1")
                        .bind(survey_id)
                        .execute(&self.write)
                        .await
                        .map(|_| ())
                        .map_err(db_error)
                }

                async fn set_audience(&self, survey_id: &str, audience: Audience) -> Result<()> {
                    sqlx::query("UPDATE survey SET audience = $2 WHERE id = $1")
                        .bind(survey_id)
                        .bind(audience.as_str())
                        .execute(&self.write)
                        .await
                        .map(|_| ())
                        .map_err(db_error)
                }

                async fn save_submission(&self, s: &Submission) -> Result<bool> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    let written = upsert_submission(&mut tx, s).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(written)
                }

                async fn save_submissions(&self, submissions: &[Submission]) -> Result<u64> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    let mut written = 0;
                    for s in submissions {
                        written += u64::from(upsert_submission(&mut tx, s).await?);
                    }
                    tx.commit().await.map_err(db_error)?;
                    Ok(written)
                }

                async fn submission_by_resume_token(&self, token: &str) -> Result<Option<Submission>> {
                    let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM survey_submission WHERE resume_token = $1");
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(token)
                        .fetch_optional(&self.read)
                        .await
                        .map_err(db_error)?
                        .as_ref()
                        .map(submission_of)
                        .transpose()
                }

                async fn submissions(
                    &self,
                    version_id: &str,
                    status: SubmissionStatus,
                    after: Option<&str>,
                    limit: u32,
                ) -> Result<Vec<Submission>> {
                    let sql = format!(
                        "SELECT {SUBMISSION_COLUMNS} FROM survey_submission \
                         WHERE version_id = $1 AND status = $2 AND id > $3 ORDER BY id LIMIT $4"
                    );
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(version_id)
                        .bind(status.as_str())
                        .bind(after.unwrap_or(""))
                        .bind(i64::from(limit))
                        .fetch_all(&self.read)
                        .await
                        .map_err(db_error)?
                        .iter()
                        .map(submission_of)
                        .collect()
                }
            }
        }
    };
}

pub(crate) use sql_survey_store;
