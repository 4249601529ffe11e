//! The open API of the observatory's official statistics (ISTAT, Ministry of the Interior):
//! published aggregates, served as they are with their source. Figures about the network's own
//! records (desk, surveys) come later, with disclosure control.
//!
//! `GET /api/observatory/datasets` lists them; `GET /api/observatory/datasets/{id}/observations`
//! filters one by territory, period, sex, citizenship, permit type and measure.

use axum::Json;
use axum::extract::{Path, Query, State};
use crocevia_core::statistics::{
    Citizenship, ObservationFilter, Period, PermitType, Sex, TerritoryLevel, dataset_info,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::AppError;
use crate::{AppState, territories};

/// `GET /api/observatory/datasets`: every dataset with its description and size.
pub async fn datasets(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let stored = state.store.statistics_datasets().await?;
    let items: Vec<Value> = stored
        .iter()
        .filter_map(|(id, count)| {
            let info = dataset_info(id)?;
            let mut item = serde_json::to_value(info).ok()?;
            item["observations"] = json!(count);
            Some(item)
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// Filters, each optional; several territory codes or periods are comma-separated.
#[derive(Debug, Default, Deserialize)]
pub struct ObservationParams {
    territory_level: Option<String>,
    territory: Option<String>,
    period: Option<String>,
    sex: Option<String>,
    citizenship: Option<String>,
    permit_type: Option<String>,
    measure: Option<String>,
}

fn parsed<T>(
    name: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, AppError> {
    value
        .map(|v| {
            parse(v)
                .ok_or_else(|| AppError::bad_parameter(name, format!("'{v}' is not {expected}")))
        })
        .transpose()
}

impl ObservationParams {
    fn filter(&self) -> Result<ObservationFilter, AppError> {
        let list = |v: &Option<String>| -> Vec<String> {
            v.iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let mut periods = Vec::new();
        for p in list(&self.period) {
            periods.push(Period::parse(&p).ok_or_else(|| {
                AppError::bad_parameter(
                    "period",
                    format!("'{p}' is not a date (2023-01-01) or a year (2023)"),
                )
            })?);
        }
        Ok(ObservationFilter {
            territory_level: parsed(
                "territory_level",
                self.territory_level.as_deref(),
                TerritoryLevel::parse,
                "one of italy, macro_area, region, province, historical_province, comune",
            )?,
            territory_codes: list(&self.territory),
            periods,
            sex: parsed(
                "sex",
                self.sex.as_deref(),
                Sex::parse,
                "one of total, male, female",
            )?,
            citizenship: parsed(
                "citizenship",
                self.citizenship.as_deref(),
                Citizenship::parse,
                "total, stateless, country:CODE or area:CODE",
            )?,
            permit_type: parsed(
                "permit_type",
                self.permit_type.as_deref(),
                PermitType::parse,
                "one of total, long_term, with_expiry",
            )?,
            measure: self.measure.clone(),
        })
    }
}

/// The name of a territory, where the shipped territories have it.
fn territory_name(level: TerritoryLevel, code: &str) -> Option<String> {
    let t = territories();
    match level {
        TerritoryLevel::Italy => Some("Italia".to_owned()),
        TerritoryLevel::Region => t.region(code).map(|r| r.name.clone()),
        TerritoryLevel::Province => t.province(code).map(|p| p.name.clone()),
        TerritoryLevel::Comune => t.comune(code).map(|c| c.name.clone()),
        TerritoryLevel::MacroArea | TerritoryLevel::HistoricalProvince => None,
    }
}

/// `GET /api/observatory/datasets/{id}/observations`.
pub async fn observations(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<ObservationParams>,
) -> Result<Json<Value>, AppError> {
    let info = dataset_info(&id).ok_or_else(|| AppError::not_found("dataset", &id))?;
    let filter = params.filter()?;
    let mut found = state.store.observations(&id, &filter).await?;
    found.sort();
    let items: Vec<Value> = found
        .iter()
        .map(|o| {
            let mut item = Map::new();
            item.insert("territory_level".into(), json!(o.territory.level.as_str()));
            item.insert("territory".into(), json!(o.territory.code));
            item.insert(
                "territory_name".into(),
                json!(territory_name(o.territory.level, &o.territory.code)),
            );
            item.insert("period".into(), json!(o.period.key()));
            if let Some(sex) = o.sex {
                item.insert("sex".into(), json!(sex.as_str()));
            }
            if let Some(c) = &o.citizenship {
                item.insert("citizenship".into(), json!(c.key()));
            }
            if let Some(p) = o.permit_type {
                item.insert("permit_type".into(), json!(p.as_str()));
            }
            if let Some(m) = &o.measure {
                item.insert("measure".into(), json!(m));
            }
            item.insert("value".into(), json!(o.value));
            Value::Object(item)
        })
        .collect();
    Ok(Json(json!({
        "dataset": info,
        "source": info.source,
        "total_items": items.len(),
        "items": items,
    })))
}

/// The two operations, for the OpenAPI document.
pub fn openapi_paths() -> Map<String, Value> {
    let query = |name: &str, description: &str| json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}, "description": description});
    let mut paths = Map::new();
    paths.insert(
        "/api/observatory/datasets".into(),
        json!({"get": {"operationId": "observatory_datasets", "summary": "The official statistics shipped with Crocevia (ISTAT, Ministry of the Interior), with source and size.",
            "responses": {"200": {"description": "Datasets.", "content": {"application/json": {}}}}}}),
    );
    paths.insert(
        "/api/observatory/datasets/{id}/observations".into(),
        json!({"get": {"operationId": "observatory_observations", "summary": "A dataset's figures, as published, filtered.",
            "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                query("territory_level", "italy, macro_area, region, province, historical_province (the 103 provinces before 2009, used by permit statistics) or comune."),
                query("territory", "ISTAT codes, comma-separated (IT for Italy, 066 L'Aquila)."),
                query("period", "Dates (2023-01-01) or years (2023), comma-separated."),
                query("sex", "total, male or female."),
                query("citizenship", "total, stateless, country:ISTAT_CODE or area:CODE."),
                query("permit_type", "total, long_term (EU long-term permits) or with_expiry."),
                query("measure", "What is counted, for datasets with several measures.")],
            "responses": {
                "200": {"description": "Observations, ordered by territory and period, with the dataset's source.", "content": {"application/json": {}}},
                "400": {"description": "A filter that cannot be read.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "404": {"description": "No such dataset.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}}),
    );
    paths.insert(
        "/api/observatory/datasets/{id}/table".into(),
        json!({"get": {"operationId": "observatory_table", "summary": "The table behind one of the observatory's views (a map of one period, a time series of one or two territories, a breakdown of one territory), as JSON, CSV or JSON-stat 2.0. The parameters are those of the view's page, /{lang}/observatory/{id}; missing ones take the view's defaults, and the answer's query gives them all.",
            "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                query("view", "map (default: every territory of a level), series (every period of a territory, or two with compare) or table (a breakdown)."),
                query("level", "For maps: region, province, historical_province or comune, where the dataset has figures (default province, else region; italy for a dataset with nothing smaller)."),
                query("region", "For comune maps: the region's ISTAT code (13)."),
                query("period", "A date (2023-01-01) or year (2023) the dataset has; default the latest. Not used by series."),
                query("sex", "total (default), male or female."),
                query("citizenship", "total (default), stateless, country:ISTAT_CODE or area:CODE."),
                query("permit_type", "total (default), long_term or with_expiry."),
                query("measure", "What is counted, for datasets with several measures."),
                query("territory", "For series and tables: IT (default), a region (13), a province (066; the pre-2009 province for permit datasets)."),
                query("compare", "For series: a second territory."),
                query("by", "For tables: the dimension to break down by (sex, citizenship, permit_type, measure)."),
                query("format", "json (default), csv or jsonstat (JSON-stat 2.0; hidden cells have value null and status \"<5\")."),
                query("lang", "Language of the labels (default en).")],
            "responses": {
                "200": {"description": "The table: JSON ({query, table}), CSV (one row per cell: code and label of each dimension, value, status) or a JSON-stat 2.0 dataset.", "content": {"application/json": {}, "text/csv": {}}},
                "400": {"description": "A parameter that cannot be read or that the dataset has no figures for (code invalid_parameter).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "404": {"description": "No such dataset.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}}),
    );
    paths
}
