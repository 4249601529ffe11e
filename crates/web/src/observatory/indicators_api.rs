//! The open API of the observatory's indicators over the network's own records (needs and
//! referrals from the desk, services from the directory), current to the last second and
//! published under the disclosure rule.
//!
//! `GET /api/observatory/indicators` lists them; `GET /api/observatory/indicators/{id}` answers
//! one as a table: `by` names up to two breakdowns (rows, then columns), every other parameter
//! narrows; `format=csv` gives the same table as CSV. The parameters are read and the table
//! computed and labelled by `crocevia_app::statistics::indicators`, as for the pages.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use crocevia_app::statistics::indicators::IndicatorParams;
use crocevia_observatory::indicators::{self, Cell, Dim, INDICATORS, IndicatorTable};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;

/// `GET /api/observatory/indicators`: the built-in indicators and how each can be broken down.
pub async fn list() -> Json<Value> {
    Json(json!({ "items": INDICATORS }))
}

/// The query string of an indicator: its parameters, the format and the language of the
/// labels.
#[derive(Debug, Default, Deserialize)]
pub struct IndicatorRequest {
    #[serde(flatten)]
    pub indicator: IndicatorParams,
    pub format: Option<String>,
    /// Language of the labels in JSON-stat (it by default).
    pub lang: Option<String>,
}

/// `GET /api/observatory/indicators/{id}`.
pub async fn indicator(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<IndicatorRequest>,
) -> Result<Response, AppError> {
    let indicators = state.indicators();
    let table = indicators.table(&id, &params.indicator).await?;
    match params.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(table_json(&table)).into_response()),
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    &format!("attachment; filename=\"{id}.csv\""),
                ),
            ],
            table_csv(&table),
        )
            .into_response()),
        "jsonstat" => {
            let lang = crocevia_i18n::language(params.lang.as_deref().unwrap_or("it"))
                .map_or("it", |l| l.code);
            let stat = indicators.stat_table(&table, lang).await?;
            Ok((
                [(header::CONTENT_TYPE, "application/json")],
                Json(stat.to_json_stat()),
            )
                .into_response())
        }
        other => Err(AppError::bad_parameter(
            "format",
            format!("'{other}' is not json, csv or jsonstat"),
        )),
    }
}

fn cell_json(cell: &Cell, hidden_label: &str) -> Value {
    match cell {
        Cell::Value(v) if v.fract() == 0.0 && v.abs() < 9e15 => json!(*v as i64),
        Cell::Value(v) => json!(round(*v)),
        Cell::Hidden => json!(hidden_label),
        Cell::Missing => Value::Null,
    }
}

/// Two decimals are plenty for rates and medians; counts stay whole.
fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The table as JSON: the axes' codes, the cells row by row, the totals; a hidden cell is the
/// string "<5" (for the threshold in force), a cell with nothing to show is null.
pub fn table_json(table: &IndicatorTable) -> Value {
    let hidden = format!("<{}", table.disclosure_threshold.unwrap_or(0));
    let cells = |row: &[Cell]| {
        row.iter()
            .map(|c| cell_json(c, &hidden))
            .collect::<Vec<_>>()
    };
    json!({
        "indicator": table.indicator,
        "from": table.from,
        "to": table.to,
        "disclosure_threshold": table.disclosure_threshold,
        "rows": table.rows,
        "columns": table.columns,
        "cells": table.cells.iter().map(|r| cells(r)).collect::<Vec<_>>(),
        "row_totals": cells(&table.row_totals),
        "column_totals": cells(&table.column_totals),
        "total": cell_json(&table.total, &hidden),
    })
}

/// The table as CSV, one line per cell and per total: the two categories (`total` on the
/// totals' side), the value (empty when hidden or missing) and its status.
pub fn table_csv(table: &IndicatorTable) -> String {
    let name = |axis: &indicators::Axis| axis.dim.map_or("all", Dim::as_str).to_owned();
    let mut out = format!(
        "{}{},{},value,status\n",
        crocevia_core::spreadsheet::SPREADSHEET_BOM,
        name(&table.rows),
        name(&table.columns)
    );
    let hidden = format!("<{}", table.disclosure_threshold.unwrap_or(0));
    let mut line = |row: &str, column: &str, cell: &Cell| {
        let (value, status) = match cell {
            Cell::Value(_) => (cell_json(cell, "").to_string(), ""),
            Cell::Hidden => (String::new(), hidden.as_str()),
            Cell::Missing => (String::new(), "missing"),
        };
        out.push_str(&format!(
            "{},{},{value},{status}\n",
            csv_field(row),
            csv_field(column)
        ));
    };
    for (r, row) in table.rows.categories.iter().enumerate() {
        for (c, column) in table.columns.categories.iter().enumerate() {
            line(row, column, &table.cells[r][c]);
        }
        line(row, "total", &table.row_totals[r]);
    }
    for (c, column) in table.columns.categories.iter().enumerate() {
        line("total", column, &table.column_totals[c]);
    }
    line("total", "total", &table.total);
    out
}

/// One CSV field, quoted when needed, and safe to open in a spreadsheet (categories can be
/// codes someone typed).
fn csv_field(text: &str) -> String {
    let text = crocevia_core::spreadsheet::spreadsheet_safe(text);
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

/// The indicators' part of the OpenAPI document.
pub fn openapi_paths() -> serde_json::Map<String, Value> {
    let query = |name: &str, description: &str| json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}, "description": description});
    let error = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut paths = serde_json::Map::new();
    paths.insert(
        "/api/observatory/indicators".into(),
        json!({"get": {"operationId": "observatory_indicators", "summary": "The built-in indicators over the network's own records, with the breakdowns each allows.",
            "responses": {"200": {"description": "Indicators.", "content": {"application/json": {}}}}}}),
    );
    paths.insert(
        "/api/observatory/indicators/{id}".into(),
        json!({"get": {"operationId": "observatory_indicator", "summary": "One indicator as a table with its totals, current to the last second. Counts of people from 1 to the threshold minus one (5 unless configured) show as \"<5\", and further cells are hidden so that none can be worked out from the totals.",
            "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                query("by", "Up to two breakdowns, comma-separated (rows, then columns): region, province, comune (with a region or province chosen), month, year, sex, age_band, citizenship_area, category, organisation, state, reason."),
                query("region", "ISTAT region code (13)."),
                query("province", "ISTAT province code (066)."),
                query("comune", "ISTAT comune code (066049)."),
                query("from", "First month (2025-01); by default the twelve months up to now."),
                query("to", "Last month (2025-12)."),
                query("sex", "female, male or not_stated."),
                query("age_band", "0-17, 18-24, 25-34, 35-44, 45-54, 55-64 or 65+."),
                query("citizenship_area", "ISTAT geopolitical area code."),
                query("category", "Top-level need category (health)."),
                query("organisation", "Organisation id (for referrals: the receiver)."),
                query("state", "Referral state (completed)."),
                query("compare", "A second territory of the level of region, province or comune (exactly one of them given): facts of both are counted, so a breakdown by that level (by=month,region) sets the two side by side in one protected table."),
                query("format", "json (default), csv or jsonstat (JSON-stat 2.0, labels in `lang`)."),
                query("lang", "Language of the JSON-stat labels (it, en, fr, ar, es, uk).")],
            "responses": {
                "200": {"description": "The table: rows and columns with their category codes, cells, row and column totals, the total; hidden cells are \"<5\", cells with nothing to compute from are null.", "content": {"application/json": {}, "text/csv": {}}},
                "400": {"description": "A parameter that cannot be read, or a table that cannot be built.", "content": error["content"].clone()},
                "404": {"description": "No such indicator.", "content": error["content"].clone()}}}}),
    );
    paths
}
