//! `GET /api/observatory/datasets/{id}/table`: the table behind one of the observatory's
//! views, as JSON, CSV or JSON-stat. The view's parameters are checked and laid out as a table
//! by `crocevia_app::statistics::official`, which the HTML views (`observatory::views`)
//! share, so a view's export is exactly the table beside its chart.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use crocevia_app::statistics::official::{self, Choice, TableParams};
use crocevia_core::stat_table::StatTable;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;

/// The export's query: the view's parameters, the format and the language of the labels.
#[derive(Debug, Default, Deserialize)]
pub struct TableRequest {
    #[serde(flatten)]
    pub view: TableParams,
    /// `csv`, `jsonstat` or `json` (the default).
    pub format: Option<String>,
    /// The language of the labels (`it`, `en`, …; English by default).
    pub lang: Option<String>,
}

/// `GET /api/observatory/datasets/{id}/table?…&format=csv|jsonstat|json`.
pub async fn table_endpoint(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<TableRequest>,
) -> Result<Response, AppError> {
    let info = official::dataset(&id)?;
    let format = params.format.as_deref().unwrap_or("json");
    if !["csv", "jsonstat", "json"].contains(&format) {
        return Err(AppError::bad_parameter(
            "format",
            format!("'{format}' is not one of csv, jsonstat, json"),
        ));
    }
    let lang = match params.lang.as_deref() {
        None => "en",
        Some(l) => {
            crocevia_i18n::language(l)
                .ok_or_else(|| {
                    AppError::bad_parameter("lang", format!("'{l}' is not a language of Crocevia"))
                })?
                .code
        }
    };
    let statistics = state.official_statistics();
    let (choice, catalog) = statistics.choose(info, &params.view).await?;
    let table = statistics.table(&choice, &catalog, lang).await?;
    Ok(export(&table, &choice, format))
}

/// The table in `format`, with a file name for CSV.
pub fn export(table: &StatTable, choice: &Choice, format: &str) -> Response {
    match format {
        "csv" => {
            let name = format!(
                "attachment; filename=\"{}-{}.csv\"",
                choice.info.id,
                choice.view.as_str()
            );
            let mut response = (
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
                table.to_csv(),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&name) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        "jsonstat" => axum::Json(table.to_json_stat()).into_response(),
        _ => axum::Json(json!({
            "query": choice.query(),
            "table": serde_json::to_value(table).unwrap_or(Value::Null),
        }))
        .into_response(),
    }
}
