//! Crocevia's own write API (`/api/v1/…`): organisations keep their organisation, services and
//! locations up to date with a bearer token. Bodies are HSDS objects, nested as the HSDS API
//! returns them, so what a client reads it can send back.

use std::collections::HashSet;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use crocevia_core::hsds::nested::{RecordIndex, flatten};
use crocevia_core::hsds::validate::ExistingRows;
use crocevia_core::hsds::views::owned_rows;
use crocevia_core::hsds::{Origin, ProblemCode, SourcedRecord};
use crocevia_store::import::{ImportError, Writer, validate_and_apply};
use crocevia_store::{ApiToken, ChangeSet, load_nested};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{AppError, ErrorCode};

/// The SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token (256 bits, from the OS generator through UUID v4) and its hash.
pub fn new_token() -> (String, String) {
    let token = format!(
        "cv_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let hash = token_hash(&token);
    (token, hash)
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<ApiToken, AppError> {
    let unauthorized =
        |m: &str| AppError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, m);
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            unauthorized("send the organisation's token as 'Authorization: Bearer TOKEN'")
        })?;
    let token = value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .ok_or_else(|| unauthorized("the Authorization header must be 'Bearer TOKEN'"))?;
    state
        .store
        .token(&token_hash(token))
        .await?
        .ok_or_else(|| unauthorized("unknown or revoked token; ask an administrator for a new one"))
}

/// The organisation a record belongs to, for the kinds this API writes.
fn owner(table: &str, object: &Value) -> Option<String> {
    let field = if table == "organization" {
        "id"
    } else {
        "organization_id"
    };
    object.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn forbidden(table: &str) -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        format!("this token may only write the {table}s of its own organisation"),
    )
}

fn body_rows(table: &str, body: &Value) -> Result<Vec<SourcedRecord>, AppError> {
    let flat = flatten(table, body, "").map_err(|e| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WrongShape,
            format!(
                "{}: {}",
                if e.path.is_empty() { "body" } else { &e.path },
                e.message
            ),
        )
    })?;
    Ok(flat
        .into_iter()
        .map(|f| SourcedRecord {
            record: f.record,
            origin: Origin {
                file: "body".into(),
                row: 1,
                path: f.path,
            },
        })
        .collect())
}

fn import_error(e: ImportError) -> AppError {
    match e {
        ImportError::Invalid(problems)
            if problems
                .iter()
                .all(|p| p.code == ProblemCode::AlreadyExists) =>
        {
            AppError::new(
                StatusCode::CONFLICT,
                ErrorCode::AlreadyExists,
                "a record with this id exists already; use PUT to replace it",
            )
        }
        ImportError::AlreadyImported(_) => AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::AlreadyExists,
            "a record with this id exists already; use PUT to replace it",
        ),
        ImportError::Invalid(problems)
            if problems
                .iter()
                .any(|p| p.code == ProblemCode::NotYourOrganisation) =>
        {
            AppError {
                problems,
                ..AppError::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::Forbidden,
                    "this token may only write its own organisation's records, nested ones included",
                )
            }
        }
        ImportError::Invalid(problems) => AppError::invalid_data(problems),
        ImportError::Store(e) => e.into(),
    }
}

/// The rows `table`/`id` owns now, if it exists and `organization_id` owns it.
async fn current(
    state: &AppState,
    organization_id: &str,
    table: &str,
    id: &str,
) -> Result<Option<Vec<(String, String)>>, AppError> {
    let Some(record) = state.store.get(table, id).await? else {
        return Ok(None);
    };
    if owner(table, &Value::Object(record.to_json_object())).as_deref() != Some(organization_id) {
        return Err(forbidden(table));
    }
    let rows = load_nested(state.store.as_ref(), vec![record.clone()]).await?;
    Ok(Some(owned_rows(&record, &RecordIndex::new(&rows))))
}

async fn write(
    state: AppState,
    headers: HeaderMap,
    table: &'static str,
    path_id: Option<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, AppError> {
    let token = authenticate(&state, &headers).await?;
    let Json(body) = body?;
    let actor = format!("token:{}", token.label);
    let (status, saved) = save_nested(
        &state,
        table,
        body,
        &token.organization_id,
        &actor,
        path_id.as_deref(),
    )
    .await?;
    Ok((status, Json(Value::Object(saved))).into_response())
}

/// Validates and saves one HSDS object of `organization_id`, nested as the HSDS API returns
/// it: created (`replace_id` `None`; refused if the id exists) or replaced whole, its nested
/// rows that the new body leaves out deleted. The search index follows before this returns.
/// Answers 201 or 200 and the object as saved. Shared by the write API and the back office.
pub(crate) async fn save_nested(
    state: &AppState,
    table: &'static str,
    mut body: Value,
    organization_id: &str,
    actor: &str,
    replace_id: Option<&str>,
) -> Result<(StatusCode, serde_json::Map<String, Value>), AppError> {
    if !body.is_object() {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WrongShape,
            format!("the body must be a {table} object"),
        ));
    }
    if let Some(id) = replace_id {
        match body.get("id").and_then(Value::as_str) {
            None => body["id"] = json!(id),
            Some(b) if b == id => {}
            Some(_) => {
                return Err(AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::IdMismatch,
                    "the id in the body differs from the id in the path",
                ));
            }
        }
    }
    if owner(table, &body).as_deref() != Some(organization_id) {
        return Err(forbidden(table));
    }
    let rows = body_rows(table, &body)?;
    let root_id = rows[0].record.id.clone();
    let (mode, deletes, status) = match replace_id {
        None => (ExistingRows::Refuse, Vec::new(), StatusCode::CREATED),
        Some(id) => {
            let old = current(state, organization_id, table, id).await?;
            let status = if old.is_some() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let kept: HashSet<(String, String)> = rows
                .iter()
                .map(|s| (s.record.table.clone(), s.record.id.clone()))
                .collect();
            let deletes = old
                .unwrap_or_default()
                .into_iter()
                .filter(|k| !kept.contains(k))
                .collect();
            (ExistingRows::Replace, deletes, status)
        }
    };
    validate_and_apply(
        state.store.as_ref(),
        rows,
        mode,
        deletes,
        Writer::Organization(organization_id),
        actor,
        state.clock.now(),
    )
    .await
    .map_err(import_error)?;
    follow_in_search(state).await;
    let saved = state
        .store
        .get(table, &root_id)
        .await?
        .ok_or_else(|| AppError::not_found(table, &root_id))?;
    let rows = load_nested(state.store.as_ref(), vec![saved.clone()]).await?;
    Ok((status, RecordIndex::new(&rows).assemble(&saved)))
}

async fn remove(
    state: AppState,
    headers: HeaderMap,
    table: &'static str,
    id: String,
) -> Result<StatusCode, AppError> {
    let token = authenticate(&state, &headers).await?;
    let rows = current(&state, &token.organization_id, table, &id)
        .await?
        .ok_or_else(|| AppError::not_found(table, &id))?;
    state
        .store
        .apply(ChangeSet {
            upserts: Vec::new(),
            deletes: rows,
            actor: format!("token:{}", token.label),
            at: state.clock.now(),
        })
        .await?;
    follow_in_search(&state).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Brings the search index up to date before answering, so what was saved is findable as
/// soon as the client hears it was. The write itself is committed: an index problem is
/// logged, and the background follower retries.
async fn follow_in_search(state: &AppState) {
    match state.search.sync().await {
        // The index being built will read the write with the rest of the directory.
        Ok(_) | Err(crocevia_search::SyncError::Building) => {}
        Err(e) => tracing::error!(error = %e, "the search index did not take the write yet"),
    }
}

macro_rules! write_endpoints {
    ($($create:ident, $replace:ident, $delete:ident => $table:literal;)*) => {
        $(
            pub async fn $create(State(state): State<AppState>, headers: HeaderMap, body: Result<Json<Value>, JsonRejection>) -> Result<Response, AppError> {
                write(state, headers, $table, None, body).await
            }

            pub async fn $replace(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Result<Json<Value>, JsonRejection>) -> Result<Response, AppError> {
                write(state, headers, $table, Some(id), body).await
            }

            pub async fn $delete(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Result<StatusCode, AppError> {
                remove(state, headers, $table, id).await
            }
        )*
    };
}

write_endpoints! {
    create_organization, replace_organization, delete_organization => "organization";
    create_service, replace_service, delete_service => "service";
    create_location, replace_location, delete_location => "location";
}
