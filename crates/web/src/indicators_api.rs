//! The open API of the observatory's indicators over the network's own records (needs and
//! referrals from the desk, services from the directory), current to the last second and
//! published under the disclosure rule.
//!
//! `GET /api/observatory/indicators` lists them; `GET /api/observatory/indicators/{id}` answers
//! one as a table: `by` names up to two breakdowns (rows, then columns), every other parameter
//! narrows; `format=csv` gives the same table as CSV.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use crocevia_core::desk::{AgeBand, ReferralState, Sex};
use crocevia_observatory::facts::{Codes, age_code, parse_month, sex_code, state_code};
use crocevia_observatory::indicators::{
    self, Cell, Dim, Filter, INDICATORS, IndicatorTable, Query as IndicatorQuery,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;

/// How stale the facts may be when a request reads them.
pub const MAX_STALENESS: std::time::Duration = std::time::Duration::from_millis(500);

/// `GET /api/observatory/indicators`: the built-in indicators and how each can be broken down.
pub async fn list() -> Json<Value> {
    Json(json!({ "items": INDICATORS }))
}

/// The query string of an indicator; every code is the one the tables use.
#[derive(Debug, Default, Deserialize)]
pub struct IndicatorParams {
    pub by: Option<String>,
    pub region: Option<String>,
    pub province: Option<String>,
    pub comune: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub sex: Option<String>,
    pub age_band: Option<String>,
    pub citizenship_area: Option<String>,
    pub category: Option<String>,
    pub organisation: Option<String>,
    pub state: Option<String>,
    /// A second territory of the level of the territory filter, compared with it.
    pub compare: Option<String>,
    pub format: Option<String>,
    /// Language of the labels in JSON-stat (it by default).
    pub lang: Option<String>,
}

fn code<T>(
    name: &str,
    value: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, AppError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v)
            .map(Some)
            .ok_or_else(|| AppError::bad_parameter(name, format!("'{v}' is not {expected}"))),
    }
}

impl IndicatorParams {
    /// The query these parameters ask for, codes resolved against `codes`.
    pub fn query(&self, id: &str, codes: &Codes) -> Result<IndicatorQuery, AppError> {
        let indicator =
            indicators::indicator(id).ok_or_else(|| AppError::not_found("indicator", id))?;
        let mut by = Vec::new();
        for name in self
            .by
            .iter()
            .flat_map(|b| b.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            by.push(Dim::parse(name).ok_or_else(|| {
                let known: Vec<&str> = indicator.dimensions.iter().map(|d| d.as_str()).collect();
                AppError::bad_parameter(
                    "by",
                    format!("'{name}' is not one of {}", known.join(", ")),
                )
            })?);
        }
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        let compare = match (
            given(&self.region),
            given(&self.province),
            given(&self.comune),
        ) {
            _ if !given(&self.compare) => None,
            (true, false, false) => code(
                "compare",
                &self.compare,
                |c| codes.region(c).map(u16::from),
                "an ISTAT region code (14), as the region is",
            )?,
            (false, true, false) => code(
                "compare",
                &self.compare,
                |c| codes.province(c).map(u16::from),
                "an ISTAT province code (067), as the province is",
            )?,
            (false, false, true) => code(
                "compare",
                &self.compare,
                |c| codes.comune(c),
                "an ISTAT comune code (067041), as the comune is",
            )?,
            _ => {
                return Err(AppError::bad_parameter(
                    "compare",
                    "a comparison needs exactly one of region, province or comune",
                ));
            }
        };
        let filter = Filter {
            compare,
            region: code(
                "region",
                &self.region,
                |c| codes.region(c),
                "an ISTAT region code (13)",
            )?,
            province: code(
                "province",
                &self.province,
                |c| codes.province(c),
                "an ISTAT province code (066)",
            )?,
            comune: code(
                "comune",
                &self.comune,
                |c| codes.comune(c),
                "an ISTAT comune code (066049)",
            )?,
            from: code("from", &self.from, parse_month, "a month (2025-01)")?,
            to: code("to", &self.to, parse_month, "a month (2025-12)")?,
            sex: code(
                "sex",
                &self.sex,
                |s| Sex::parse(s).map(sex_code),
                "female, male or not_stated",
            )?,
            age: code(
                "age_band",
                &self.age_band,
                |a| AgeBand::parse(a).map(age_code),
                "an age band (25-34)",
            )?,
            area: code(
                "citizenship_area",
                &self.citizenship_area,
                |a| codes.area(a),
                "an ISTAT area of citizenship (12)",
            )?,
            category: code(
                "category",
                &self.category,
                |c| {
                    codes
                        .term_by_code(c)
                        .filter(|t| codes.top_category_of_term[usize::from(*t)] == *t)
                },
                "a top-level need category (health)",
            )?,
            organisation: code(
                "organisation",
                &self.organisation,
                |o| codes.organisation(o),
                "an organisation with desk records",
            )?,
            state: code(
                "state",
                &self.state,
                |s| ReferralState::parse(s).map(state_code),
                "a referral state (completed)",
            )?,
        };
        Ok(IndicatorQuery {
            indicator,
            by,
            filter,
        })
    }
}

/// Computes an indicator's table from facts at most [`MAX_STALENESS`] old.
pub async fn table(
    state: &AppState,
    id: &str,
    params: &IndicatorParams,
) -> Result<IndicatorTable, AppError> {
    state
        .observatory
        .sync_if_older(MAX_STALENESS)
        .await
        .map_err(observatory_error)?;
    let query = state
        .observatory
        .with_facts(|facts| params.query(id, &facts.codes))
        .await?;
    let today = state.clock.now().date_naive();
    state
        .observatory
        .compute(&query, today)
        .await
        .map_err(observatory_error)
}

pub fn observatory_error(e: crocevia_observatory::ObservatoryError) -> AppError {
    match e {
        crocevia_observatory::ObservatoryError::Query(q) => {
            AppError::new(axum::http::StatusCode::BAD_REQUEST, q.code(), q.to_string())
        }
        crocevia_observatory::ObservatoryError::Store(s) => s.into(),
    }
}

/// `GET /api/observatory/indicators/{id}`.
pub async fn indicator(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<IndicatorParams>,
) -> Result<Response, AppError> {
    let table = table(&state, &id, &params).await?;
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
            let stat =
                crate::portal::indicator_views::indicator_stat_table(&state, &table, lang).await?;
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
        "{},{},value,status\n",
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
