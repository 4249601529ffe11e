//! Surveys in the back office: an organisation's coordinators (and admins) upload an XLSForm
//! (`.xlsx` or XLSForm `.csv`), see every problem by sheet, row and column when it is not
//! valid (nothing is stored then), upload new versions, deploy one, and share the link with
//! the public or only with signed-in operators. Earlier versions stay listed with their
//! answers, readable under their own form.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use crocevia_core::access::Role;
use crocevia_i18n::Language;
use crocevia_store::survey::{Audience, FormVersion, Survey};
use crocevia_xlsform::{Limit, LimitExceeded, ReadError, Severity};

use super::{form_title, read_form};
use crate::AppState;
use crate::auth::{CurrentUser, random_token};
use crate::error::{AppError, ErrorCode};
use crate::kit::{Analyst, CsrfForm, Denied, SurveyManager};
use crate::kit::{Page, render};

/// The largest form upload (the HTTP body): the reader's own cap on a form file
/// ([`crocevia_xlsform::limits::MAX_FILE_BYTES`]) plus room for the multipart envelope and
/// the CSRF field, so a file the reader would take is never cut off by the body limit.
pub const MAX_FORM_BYTES: usize = crocevia_xlsform::limits::MAX_FILE_BYTES + 64 * 1024;

/// One validation problem, as the table shows it.
pub struct ProblemRow {
    pub sheet: String,
    pub row: String,
    pub column: String,
    pub code: &'static str,
    pub message: String,
    /// The message is in the page's language (else it is the validator's English).
    pub translated: bool,
}

/// A form that passed validation, with what the version row needs.
struct Checked {
    title: String,
    form_id: String,
    form_version: String,
    languages: Vec<String>,
    warnings: Vec<ProblemRow>,
}

fn rows(problems: &[crocevia_xlsform::Problem]) -> Vec<ProblemRow> {
    problems
        .iter()
        .map(|p| ProblemRow {
            sheet: p.sheet.clone().unwrap_or_default(),
            row: p.row.map(|r| r.to_string()).unwrap_or_default(),
            column: p.column.clone().unwrap_or_default(),
            code: p.code.as_str(),
            message: p.message.clone(),
            translated: false,
        })
        .collect()
}

/// Why a form could not be read, as a problem row: a form beyond the reader's limits in
/// the page's language (which limit, where, what to do), anything else in the reader's words.
fn unreadable(page: &Page, e: &ReadError) -> ProblemRow {
    let ReadError::TooLarge(over) = e else {
        return ProblemRow {
            sheet: String::new(),
            row: String::new(),
            column: String::new(),
            code: "unreadable",
            message: e.to_string(),
            translated: false,
        };
    };
    let mib = |bytes: u64| format!("{} MiB", bytes / (1024 * 1024));
    let max = over.limit.max();
    let message = match over.limit {
        Limit::FileSize => page.ts("sv-limit-file-too-large", "max", &mib(max)),
        Limit::ZipEntries => page.tn("sv-limit-too-many-zip-entries", "max", &max),
        Limit::UnzippedSize => page.ts("sv-limit-unzipped-too-large", "max", &mib(max)),
        Limit::Rows => page.tn("sv-limit-too-many-rows", "max", &max),
        Limit::Columns => page.ts(
            "sv-limit-too-many-columns",
            "max",
            &crocevia_xlsform::limits::column_name(max as usize - 1),
        ),
        Limit::Cells => page.tn("sv-limit-too-many-cells", "max", &max),
        _ => page.t("sv-limit-other"),
    };
    ProblemRow {
        sheet: over.sheet.clone().unwrap_or_default(),
        row: over.row.map(|r| r.to_string()).unwrap_or_default(),
        column: over.column.clone().unwrap_or_default(),
        code: over.limit.code(),
        message,
        translated: true,
    }
}

/// Reads and validates an upload: the form's facts, or every problem.
fn check(page: &Page, file_name: &str, bytes: &[u8]) -> Result<Checked, Vec<ProblemRow>> {
    let form = read_form(file_name, bytes).map_err(|e| vec![unreadable(page, &e)])?;
    let report = crocevia_xlsform::validate(&form);
    if !report.is_valid() {
        let mut all: Vec<_> = report.errors.clone();
        all.retain(|p| p.severity == Severity::Error);
        return Err(rows(&all));
    }
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(s, _)| s)
        .to_owned();
    Ok(Checked {
        title: form_title(&form, file_name),
        form_id: form.settings.form_id.clone().unwrap_or(stem),
        form_version: form.settings.version.clone().unwrap_or_default(),
        languages: form.languages.clone(),
        warnings: rows(&report.warnings),
    })
}

pub struct SurveyRow {
    pub id: String,
    pub title: String,
    pub versions: usize,
    pub deployed: String,
    pub completed: u64,
    /// The version numbers, newest first (an analyst's links to analyses and exports).
    pub numbers: Vec<u32>,
}

#[derive(Template)]
#[template(path = "survey_list.html")]
struct ListTemplate {
    page: Page,
    csrf: String,
    role: Role,
    surveys: Vec<SurveyRow>,
    outcome: String,
    problems: Vec<ProblemRow>,
}

async fn list_page(
    state: &AppState,
    language: &'static Language,
    user: &CurrentUser,
    status: StatusCode,
    outcome: String,
    problems: Vec<ProblemRow>,
) -> Result<Response, AppError> {
    let mut page = Page::new(language, "/surveys");
    page.title = page.t("sv-title");
    let mut surveys = Vec::new();
    for s in state
        .store
        .surveys_of(&user.account.organization_id)
        .await?
    {
        let versions = state.store.versions(&s.id).await?;
        surveys.push(SurveyRow {
            deployed: versions
                .iter()
                .find(|v| v.deployed)
                .map(|v| v.number.to_string())
                .unwrap_or_else(|| page.t("sv-not-deployed")),
            completed: versions.iter().map(|v| v.completed).sum(),
            numbers: versions.iter().rev().map(|v| v.number).collect(),
            versions: versions.len(),
            id: s.id,
            title: s.title,
        });
    }
    Ok((
        status,
        render(&ListTemplate {
            page,
            csrf: user.session.csrf_token.clone(),
            role: user.account.role,
            surveys,
            outcome,
            problems,
        }),
    )
        .into_response())
}

/// `GET /{lang}/surveys`: for those who manage surveys, with the upload form; for analysts,
/// read-only, with links to each version's analysis and exports.
pub async fn list(
    State(state): State<AppState>,
    Analyst { language, user, .. }: Analyst,
) -> Result<Response, AppError> {
    list_page(
        &state,
        language,
        &user,
        StatusCode::OK,
        String::new(),
        Vec::new(),
    )
    .await
}

/// The file field of an upload form.
enum Upload {
    /// No file chosen.
    None,
    /// The file's name (without any directory) and content.
    File(String, Vec<u8>),
    /// The body went beyond [`MAX_FORM_BYTES`]: refused before being read whole.
    TooLarge,
}

/// The fields of an upload form: its CSRF token and the file.
async fn read_upload(mut multipart: Multipart) -> Result<(String, Upload), AppError> {
    let bad_upload = |e: axum::extract::multipart::MultipartError| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUpload,
            format!("the upload could not be read ({e}); send the file again"),
        )
    };
    let mut csrf = String::new();
    let mut file = Upload::None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Ok((csrf, Upload::TooLarge));
            }
            Err(e) => return Err(bad_upload(e)),
        };
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(bad_upload)?,
            "file" => {
                let name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
                    .unwrap_or_default();
                let bytes = match field.bytes().await {
                    Ok(bytes) => bytes,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Ok((csrf, Upload::TooLarge));
                    }
                    Err(e) => return Err(bad_upload(e)),
                };
                if !name.is_empty() && !bytes.is_empty() {
                    file = Upload::File(name, bytes.to_vec());
                }
            }
            _ => {}
        }
    }
    Ok((csrf, file))
}

impl Upload {
    /// A body beyond the cap is refused before its CSRF field can be read (the limit acts on
    /// the declared length); the refusal changes nothing, so it is shown without the token.
    fn is_too_large(&self) -> bool {
        matches!(self, Upload::TooLarge)
    }

    /// The file, or what to show instead: the status and the problems (none when no file
    /// was chosen).
    fn file(self, page: &Page) -> Result<(String, Vec<u8>), (StatusCode, Vec<ProblemRow>)> {
        match self {
            Upload::File(name, bytes) => Ok((name, bytes)),
            Upload::None => Err((StatusCode::UNPROCESSABLE_ENTITY, Vec::new())),
            Upload::TooLarge => Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                vec![unreadable(
                    page,
                    &ReadError::TooLarge(LimitExceeded {
                        limit: Limit::FileSize,
                        sheet: None,
                        row: None,
                        column: None,
                    }),
                )],
            )),
        }
    }
}

fn version_row(
    survey_id: &str,
    file_name: &str,
    checked: &Checked,
    user: &CurrentUser,
    state: &AppState,
) -> FormVersion {
    FormVersion {
        id: uuid::Uuid::new_v4().to_string(),
        survey_id: survey_id.to_owned(),
        number: 0,
        file_name: file_name.to_owned(),
        form_id: checked.form_id.clone(),
        form_version: checked.form_version.clone(),
        title: checked.title.clone(),
        languages: checked.languages.clone(),
        deployed: false,
        uploaded_at: state.clock.now(),
        uploaded_by: user.account.id.clone(),
        completed: 0,
        drafts: 0,
    }
}

/// `POST /{lang}/surveys` (multipart: `csrf`, `file`): a new survey from a valid form.
pub async fn create(
    State(state): State<AppState>,
    SurveyManager { language, user, .. }: SurveyManager,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (csrf, file) = read_upload(multipart).await?;
    if !file.is_too_large() && !user.csrf_ok(&csrf) {
        return Ok(Denied::Csrf.page(language));
    }
    let page = Page::new(language, "/surveys");
    let (name, bytes) = match file.file(&page) {
        Ok(file) => file,
        Err((status, problems)) => {
            let outcome = if problems.is_empty() {
                page.t("sv-no-file")
            } else {
                page.tn("sv-refused", "count", &(problems.len() as u64))
            };
            return list_page(&state, language, &user, status, outcome, problems).await;
        }
    };
    match check(&page, &name, &bytes) {
        Err(problems) => {
            let outcome = page.tn("sv-refused", "count", &(problems.len() as u64));
            list_page(
                &state,
                language,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                outcome,
                problems,
            )
            .await
        }
        Ok(checked) => {
            let survey = Survey {
                id: uuid::Uuid::new_v4().to_string(),
                organization_id: user.account.organization_id.clone(),
                title: checked.title.clone(),
                share_token: random_token(),
                audience: Audience::Public,
                created_at: state.clock.now(),
                created_by: user.account.id.clone(),
            };
            let version = version_row(&survey.id, &name, &checked, &user, &state);
            state.store.create_survey(&survey, &version, &bytes).await?;
            tracing::info!(survey = %survey.id, account = %user.account.id, warnings = checked.warnings.len(), "survey created");
            Ok(Redirect::to(&format!("/{}/surveys/{}", language.code, survey.id)).into_response())
        }
    }
}

pub struct VersionRow {
    pub version: FormVersion,
    pub uploaded: String,
    pub languages: String,
    /// The form's repeats, each exported as a CSV of its own.
    pub repeats: Vec<String>,
}

#[derive(Template)]
#[template(path = "survey_show.html")]
struct ShowTemplate {
    page: Page,
    csrf: String,
    role: Role,
    survey: Survey,
    share_url: String,
    versions: Vec<VersionRow>,
    outcome: String,
    succeeded: bool,
    problems: Vec<ProblemRow>,
}

#[allow(clippy::too_many_arguments)]
async fn show_page(
    state: &AppState,
    language: &'static Language,
    user: &CurrentUser,
    survey: Survey,
    status: StatusCode,
    outcome: String,
    succeeded: bool,
    problems: Vec<ProblemRow>,
) -> Result<Response, AppError> {
    let mut page = Page::new(language, format!("/surveys/{}", survey.id));
    page.title = survey.title.clone();
    let mut versions = Vec::new();
    for v in state.store.versions(&survey.id).await?.into_iter().rev() {
        // A repeat's rows are exported on a CSV of their own.
        let form = super::form_of(state, &v).await?;
        let repeats = super::export::repeat_names(&form);
        versions.push(VersionRow {
            uploaded: crocevia_core::schedule::rome_time(v.uploaded_at)
                .format("%d/%m/%Y %H:%M")
                .to_string(),
            languages: v.languages.join(", "),
            repeats,
            version: v,
        });
    }
    let share_url = format!(
        "{}/{}/s/{}",
        state.config.public_url, language.code, survey.share_token
    );
    Ok((
        status,
        render(&ShowTemplate {
            page,
            csrf: user.session.csrf_token.clone(),
            role: user.account.role,
            survey,
            share_url,
            versions,
            outcome,
            succeeded,
            problems,
        }),
    )
        .into_response())
}

/// The survey if it is the user's organisation's; else the "not found" page.
async fn managed(
    state: &AppState,
    language: &'static Language,
    user: &CurrentUser,
    id: &str,
) -> Result<Result<Survey, Response>, AppError> {
    Ok(
        match state
            .store
            .survey(&user.account.organization_id, id)
            .await?
        {
            Some(s) => Ok(s),
            None => Err(Denied::NotFound.page(language)),
        },
    )
}

/// `GET /{lang}/surveys/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    SurveyManager { language, user, .. }: SurveyManager,
) -> Result<Response, AppError> {
    let survey = match managed(&state, language, &user, &id).await? {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    show_page(
        &state,
        language,
        &user,
        survey,
        StatusCode::OK,
        String::new(),
        false,
        Vec::new(),
    )
    .await
}

/// `POST /{lang}/surveys/{id}/versions` (multipart: `csrf`, `file`): a new version.
pub async fn add_version(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    SurveyManager { language, user, .. }: SurveyManager,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (csrf, file) = read_upload(multipart).await?;
    if !file.is_too_large() && !user.csrf_ok(&csrf) {
        return Ok(Denied::Csrf.page(language));
    }
    let survey = match managed(&state, language, &user, &id).await? {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    let page = Page::new(language, "/surveys");
    let (name, bytes) = match file.file(&page) {
        Ok(file) => file,
        Err((status, problems)) => {
            let outcome = if problems.is_empty() {
                page.t("sv-no-file")
            } else {
                page.tn("sv-refused", "count", &(problems.len() as u64))
            };
            return show_page(
                &state, language, &user, survey, status, outcome, false, problems,
            )
            .await;
        }
    };
    match check(&page, &name, &bytes) {
        Err(problems) => {
            let outcome = page.tn("sv-refused", "count", &(problems.len() as u64));
            show_page(
                &state,
                language,
                &user,
                survey,
                StatusCode::UNPROCESSABLE_ENTITY,
                outcome,
                false,
                problems,
            )
            .await
        }
        Ok(checked) => {
            let version = version_row(&survey.id, &name, &checked, &user, &state);
            let number = state.store.add_version(&version, &bytes).await?;
            let outcome = page.tn("sv-version-added", "number", &u64::from(number));
            show_page(
                &state,
                language,
                &user,
                survey,
                StatusCode::OK,
                outcome,
                true,
                Vec::new(),
            )
            .await
        }
    }
}

/// `POST /{lang}/surveys/{id}/deploy` (`csrf`, `version`, or `version` empty to close).
pub async fn deploy(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    SurveyManager { language, user, .. }: SurveyManager,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let survey = match managed(&state, language, &user, &id).await? {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    let version = posted.get("version");
    if version.is_empty() {
        state.store.undeploy(&survey.id).await?;
    } else if !state.store.deploy(&survey.id, &version).await? {
        return Ok(Denied::NotFound.page(language));
    }
    Ok(Redirect::to(&format!("/{}/surveys/{}", language.code, survey.id)).into_response())
}

/// `POST /{lang}/surveys/{id}/audience` (`csrf`, `audience` = `public` | `operators`).
pub async fn audience(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    SurveyManager { language, user, .. }: SurveyManager,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let survey = match managed(&state, language, &user, &id).await? {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    let Some(audience) = Audience::parse(&posted.get("audience")) else {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidParameter,
            "audience must be public or operators",
        ));
    };
    state.store.set_audience(&survey.id, audience).await?;
    Ok(Redirect::to(&format!("/{}/surveys/{}", language.code, survey.id)).into_response())
}
