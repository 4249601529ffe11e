//! Importing an HSDS package from the browser: the CSV files of a tabular package (with or
//! without `datapackage.json`) or HSDS JSON files, checked exactly as `crocevia import` checks
//! them, with the same report of every problem by file, row and field; nothing is written
//! unless there are none.
//!
//! Coordinators import for the whole network, as the CLI does. Admins and editors import for
//! their own organisation: every row must belong to it (an organisation row is theirs, other
//! rows belong to the organisation of the record they hang from); rows that do not are
//! reported with the other problems.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crocevia_core::access::Role;
use crocevia_core::hsds::formats::read_files;
use crocevia_core::hsds::validate::{
    CheckedRead, ExistingRows, Problem, ProblemCode, extra_fields,
};
use crocevia_store::import::{ImportError, Writer, import_read};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, ErrorCode};
use crate::kit::{Denied, Importer};
use crate::kit::{Page, render};

/// The largest upload, all files together. The demo network's whole package is about
/// 1 MB; a region's directory of a few thousand services fits many times over, and larger
/// loads go through `crocevia import hsds`.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
/// The most files in one import: a tabular package is HSDS's 22 tables (and ours) plus
/// `datapackage.json`; more files than this are no package, and each one costs a reader.
pub const MAX_UPLOAD_FILES: usize = 40;
/// Problems listed on the page; the rest are counted.
const SHOWN_PROBLEMS: usize = 500;

pub struct ProblemRow {
    pub file: String,
    pub row: usize,
    pub path: String,
    pub field: String,
    pub code: &'static str,
    /// What the code means, in the page's language.
    pub reason: String,
    /// The validator's own words (English): the exact detail.
    pub message: String,
}

/// A problem code in words, so the report reads in the user's language; the validator's
/// English message stays beside it for the detail.
fn reason(page: &Page, code: ProblemCode) -> String {
    use ProblemCode as C;
    page.t(match code {
        C::AlreadyExists => "im-code-already-exists",
        C::ConflictingDuplicate => "im-code-conflicting-duplicate",
        C::DanglingReference => "im-code-dangling-reference",
        C::InvalidCsv => "im-code-invalid-csv",
        C::InvalidJson | C::UnexpectedJson | C::UnexpectedNesting => "im-code-invalid-json",
        C::MissingColumn | C::MissingRequired => "im-code-missing-required",
        C::NotAUuid => "im-code-not-a-uuid",
        C::UriSchemeNotAllowed => "im-code-uri-scheme-not-allowed",
        C::NotAllowed | C::WrongType => "im-code-wrong-value",
        C::UnknownTable => "im-code-unknown-table",
        C::NotYourOrganisation => "im-code-not-your-organisation",
        C::InvalidUtf8
        | C::NotABoolean
        | C::NotADate
        | C::NotADatetime
        | C::NotANumber
        | C::NotATime
        | C::NotAUri
        | C::NotAnEmail => "im-code-other",
    })
}

#[derive(Template)]
#[template(path = "backoffice_import.html")]
struct ImportTemplate {
    page: Page,
    csrf: String,
    role: Role,
    network_wide: bool,
    /// A sentence saying what happened, or empty before an upload.
    outcome: String,
    succeeded: bool,
    problems: Vec<ProblemRow>,
    more_problems: u64,
    warnings: Vec<String>,
}

fn import_page(
    language: &'static crocevia_i18n::Language,
    user: &CurrentUser,
    status: StatusCode,
    fill: impl FnOnce(&Page, &mut ImportTemplate),
) -> Response {
    let mut page = Page::new(language, "/backoffice/import");
    page.title = page.t("im-title");
    let mut template = ImportTemplate {
        page: Page::new(language, "/backoffice/import"),
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        network_wide: user.account.role == Role::Coordinator,
        outcome: String::new(),
        succeeded: false,
        problems: Vec::new(),
        more_problems: 0,
        warnings: Vec::new(),
    };
    fill(&page, &mut template);
    template.page = page;
    (status, render(&template)).into_response()
}

/// `GET /{lang}/backoffice/import`.
pub async fn form(Importer { language, user, .. }: Importer) -> Result<Response, AppError> {
    Ok(import_page(language, &user, StatusCode::OK, |_, _| {}))
}

/// `POST /{lang}/backoffice/import` (multipart: `csrf`, `replace`, one or more `files`).
pub async fn upload(
    State(state): State<AppState>,
    Importer { language, user, .. }: Importer,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut csrf = String::new();
    let mut replace = false;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let bad_upload = |e: axum::extract::multipart::MultipartError| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUpload,
            format!("the upload could not be read ({e}); send the files again"),
        )
    };
    // Beyond MAX_UPLOAD_BYTES (the body limit) or MAX_UPLOAD_FILES, reading stops there.
    let mut over_limit: Option<(StatusCode, &'static str, u64)> = None;
    let too_large = (
        StatusCode::PAYLOAD_TOO_LARGE,
        "im-too-large",
        (MAX_UPLOAD_BYTES / (1024 * 1024)) as u64,
    );
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                over_limit = Some(too_large);
                break;
            }
            Err(e) => return Err(bad_upload(e)),
        };
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(bad_upload)?,
            "replace" => replace = field.text().await.map_err(bad_upload)? == "1",
            "files" => {
                if files.len() == MAX_UPLOAD_FILES {
                    over_limit = Some((
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "im-too-many-files",
                        MAX_UPLOAD_FILES as u64,
                    ));
                    break;
                }
                let name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
                    .unwrap_or_default();
                let bytes = match field.bytes().await {
                    Ok(bytes) => bytes,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        over_limit = Some(too_large);
                        break;
                    }
                    Err(e) => return Err(bad_upload(e)),
                };
                if !name.is_empty() {
                    files.push((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    // A body beyond the limit is refused before its CSRF field can be read (the limit acts
    // on the declared length); the refusal writes nothing, so it is shown without the token.
    let too_large_body =
        over_limit.is_some_and(|(status, _, _)| status == StatusCode::PAYLOAD_TOO_LARGE);
    if !too_large_body && !user.csrf_ok(&csrf) {
        return Ok(Denied::Csrf.page(language));
    }
    if let Some((status, message, max)) = over_limit {
        return Ok(import_page(language, &user, status, |page, t| {
            t.outcome = page.tn(message, "max", &max);
        }));
    }
    if files.is_empty() {
        return Ok(import_page(
            language,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            |page, t| {
                t.outcome = page.t("im-no-files");
            },
        ));
    }
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let mut read = CheckedRead::default();
    read_files(&files, &mut read);
    drop(files);
    let mut warnings = read.take_warnings();
    warnings.extend(
        extra_fields(read.records())
            .into_iter()
            .map(|(table, field)| {
                format!("{table}.{field}: not in HSDS 3.0; kept as an extension field")
            }),
    );
    let mode = if replace {
        ExistingRows::Replace
    } else {
        ExistingRows::Refuse
    };
    // A coordinator imports for the whole network; anyone else only their organisation's
    // rows, as stored and as imported (reported with whatever else is wrong).
    let writer = if user.account.role == Role::Coordinator {
        Writer::Network
    } else {
        Writer::Organization(&user.account.organization_id)
    };
    let actor = format!("account:{}", user.account.id);
    let result = import_read(
        state.store.as_ref(),
        read,
        mode,
        writer,
        &actor,
        state.clock.now(),
    )
    .await;
    match result {
        Ok(applied) => {
            match state.search.sync().await {
                Ok(_) | Err(crocevia_search::SyncError::Building) => {}
                Err(e) => {
                    tracing::error!(error = %e, "the search index did not take the import yet")
                }
            }
            tracing::info!(account = %user.account.id, rows = applied.changes.len(), files = ?names, "HSDS package imported in the back office");
            Ok(import_page(language, &user, StatusCode::OK, |page, t| {
                t.succeeded = true;
                t.outcome = page.tn("im-done", "count", &(applied.changes.len() as u64));
                if applied.unchanged > 0 {
                    t.outcome.push(' ');
                    t.outcome += &page.tn("im-unchanged", "count", &(applied.unchanged as u64));
                }
                t.warnings = warnings;
            }))
        }
        Err(ImportError::Invalid(problems)) => Ok(refused(language, &user, problems, warnings)),
        Err(e @ ImportError::AlreadyImported(_)) => Ok(import_page(
            language,
            &user,
            StatusCode::CONFLICT,
            |page, t| {
                t.outcome = page.tn("im-already", "count", &(e_count(&e) as u64));
                t.warnings = warnings;
            },
        )),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

fn e_count(e: &ImportError) -> usize {
    match e {
        ImportError::AlreadyImported(n) => *n,
        _ => 0,
    }
}

fn refused(
    language: &'static crocevia_i18n::Language,
    user: &CurrentUser,
    problems: Vec<Problem>,
    warnings: Vec<String>,
) -> Response {
    import_page(
        language,
        user,
        StatusCode::UNPROCESSABLE_ENTITY,
        |page, t| {
            t.outcome = page.tn("im-refused", "count", &(problems.len() as u64));
            t.more_problems = problems.len().saturating_sub(SHOWN_PROBLEMS) as u64;
            t.problems = problems
                .into_iter()
                .take(SHOWN_PROBLEMS)
                .map(|p| ProblemRow {
                    file: p.origin.file,
                    row: p.origin.row,
                    path: p.origin.path,
                    field: p.field.unwrap_or_default(),
                    code: p.code.as_str(),
                    reason: reason(page, p.code),
                    message: p.message,
                })
                .collect();
            t.warnings = warnings;
        },
    )
}
