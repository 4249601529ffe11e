//! Italy's administrative tree as JSON (`/api/territories/…`): regions, provinces with their
//! Prefettura, comuni by province or name prefix, and comuni near a comune. Read-only and
//! public: the data is ISTAT's, loaded into the store on first start.
//!
//! Lists come as `{"items": [...]}`. Codes are ISTAT's: region 2 digits, province 3 (the
//! current code, `201` for Torino), comune 6 (`066049`).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use crocevia_core::territory::{Comune, Province, Region};
use crocevia_store::ComuneFilter;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::{AppError, ErrorCode};

pub const DEFAULT_COMUNI_LIMIT: u32 = 20;
pub const DEFAULT_NEAR_LIMIT: u32 = 100;
/// Larger limits are refused rather than silently cut (Italy has 7,901 comuni).
pub const MAX_LIMIT: u32 = 10_000;
pub const DEFAULT_RADIUS_KM: f64 = 10.0;
/// A regional scale; farther is not "near".
pub const MAX_RADIUS_KM: f64 = 500.0;
/// Longest name prefix accepted (comune names are shorter).
const MAX_PREFIX_CHARS: usize = 100;

#[derive(Debug, Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// A comune with its distance from the origin of a proximity query.
#[derive(Debug, Serialize)]
pub struct NearComune {
    #[serde(flatten)]
    pub comune: Comune,
    /// Great-circle distance between the centroids, in km, rounded to metres.
    pub distance_km: f64,
}

#[derive(Debug, Serialize)]
pub struct Near {
    pub origin: Comune,
    pub radius_km: f64,
    /// Other comuni whose centroid lies within `radius_km` of the origin's, nearest first.
    pub items: Vec<NearComune>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ComuniParams {
    /// Current province code, 3 digits.
    province: Option<String>,
    /// Start of the name (Italian or the other official language), ignoring case and accents.
    q: Option<String>,
    limit: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NearParams {
    radius_km: Option<f64>,
    limit: Option<u32>,
}

pub async fn regions(State(state): State<AppState>) -> Result<Json<Items<Region>>, AppError> {
    Ok(Json(Items {
        items: state.store.regions().await?,
    }))
}

pub async fn provinces(State(state): State<AppState>) -> Result<Json<Items<Province>>, AppError> {
    Ok(Json(Items {
        items: state.store.provinces().await?,
    }))
}

pub async fn comuni(
    State(state): State<AppState>,
    params: Result<Query<ComuniParams>, QueryRejection>,
) -> Result<Json<Items<Comune>>, AppError> {
    let Query(params) = params?;
    let province_code = params
        .province
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    if let Some(p) = &province_code
        && !is_code(p, 3)
    {
        return Err(AppError::bad_parameter(
            "province",
            format!("'{p}' is not a province code (3 digits, e.g. 066)"),
        ));
    }
    let name_prefix = params
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if name_prefix
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_PREFIX_CHARS)
    {
        return Err(AppError::bad_parameter(
            "q",
            format!("at most {MAX_PREFIX_CHARS} characters"),
        ));
    }
    let filter = ComuneFilter {
        province_code,
        name_prefix,
        limit: limit(params.limit, DEFAULT_COMUNI_LIMIT)?,
    };
    Ok(Json(Items {
        items: state.store.comuni(&filter).await?,
    }))
}

pub async fn comune(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Comune>, AppError> {
    Ok(Json(find_comune(&state, &code).await?))
}

pub async fn comuni_near(
    State(state): State<AppState>,
    Path(code): Path<String>,
    params: Result<Query<NearParams>, QueryRejection>,
) -> Result<Json<Near>, AppError> {
    let Query(params) = params?;
    let radius_km = params.radius_km.unwrap_or(DEFAULT_RADIUS_KM);
    if !(radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
        return Err(AppError::bad_parameter(
            "radius_km",
            format!("must be more than 0 and at most {MAX_RADIUS_KM}"),
        ));
    }
    let limit = limit(params.limit, DEFAULT_NEAR_LIMIT)?;
    let origin = find_comune(&state, &code).await?;
    let Some(centre) = origin.centroid else {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NoLocation,
            format!(
                "comune {code} has no centroid in the boundary data, so distances from it are unknown"
            ),
        ));
    };
    // One more than asked, as the origin itself (at 0 km) is left out.
    let near = state
        .store
        .comuni_near(centre, radius_km, limit.saturating_add(1))
        .await?;
    let items = near
        .into_iter()
        .filter(|(comune, _)| comune.code != origin.code)
        .take(limit as usize)
        .map(|(comune, distance)| NearComune {
            comune,
            distance_km: (distance * 1000.0).round() / 1000.0,
        })
        .collect();
    Ok(Json(Near {
        origin,
        radius_km,
        items,
    }))
}

async fn find_comune(state: &AppState, code: &str) -> Result<Comune, AppError> {
    let not_found = || {
        AppError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("no comune with ISTAT code {code} (6 digits, e.g. 066049 for L'Aquila)"),
        )
    };
    if !is_code(code, 6) {
        return Err(not_found());
    }
    state.store.comune(code).await?.ok_or_else(not_found)
}

fn is_code(text: &str, digits: usize) -> bool {
    text.len() == digits && text.bytes().all(|b| b.is_ascii_digit())
}

fn limit(asked: Option<u32>, default: u32) -> Result<u32, AppError> {
    match asked.unwrap_or(default) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(AppError::bad_parameter(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// This API's entries for the OpenAPI document's `paths`.
pub fn openapi_paths() -> Map<String, Value> {
    let error = json!({"description": "Error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let centroid = json!({"type": ["object", "null"], "description": "Area-weighted centroid of the boundary (WGS84); null when the boundary files lack the unit.", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}});
    let region = json!({"type": "object", "properties": {
        "code": {"type": "string", "description": "ISTAT code, 2 digits."},
        "name": {"type": "string"},
        "centroid": centroid}});
    let province = json!({"type": "object", "properties": {
        "code": {"type": "string", "description": "Current ISTAT code, 3 digits (201 for the Città metropolitana di Torino)."},
        "historical_code": {"type": "string", "description": "Pre-2015 code, prefix of its comuni's codes."},
        "name": {"type": "string"},
        "abbreviation": {"type": "string", "description": "Sigla automobilistica (AQ)."},
        "region_code": {"type": "string"},
        "kind": {"type": "string", "description": "ISTAT's type: Provincia, Citta metropolitana, ..."},
        "prefecture": {"type": "object", "properties": {
            "name": {"type": "string"},
            "province_code": {"type": "string", "description": "The province whose office it is."},
            "seat_comune_code": {"type": ["string", "null"]},
            "note": {"type": ["string", "null"]}}},
        "centroid": centroid}});
    let comune = json!({"type": "object", "properties": {
        "code": {"type": "string", "description": "ISTAT code, 6 digits."},
        "name": {"type": "string"},
        "name_other_language": {"type": ["string", "null"]},
        "province_code": {"type": "string"},
        "region_code": {"type": "string"},
        "cadastral_code": {"type": "string", "description": "Codice catastale (Belfiore)."},
        "is_provincial_capital": {"type": "boolean"},
        "centroid": centroid}});
    let items = |schema: &Value| json!({"type": "object", "properties": {"items": {"type": "array", "items": schema}}});
    let ok = |description: &str, schema: Value| json!({"description": description, "content": {"application/json": {"schema": schema}}});
    let limit = |default: u32| json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": default}});
    let code = json!({"name": "code", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9]{6}$"}});
    let mut near_item = comune.clone();
    near_item["properties"]["distance_km"] = json!({"type": "number"});
    let operations = [
        (
            "/api/territories/regions",
            json!({
            "operationId": "territory_regions", "summary": "Every region, by code.",
            "responses": {"200": ok("Regions.", items(&region))}}),
        ),
        (
            "/api/territories/provinces",
            json!({
            "operationId": "territory_provinces",
            "summary": "Every province, by code, with the Prefettura that serves it.",
            "responses": {"200": ok("Provinces.", items(&province))}}),
        ),
        (
            "/api/territories/comuni",
            json!({
            "operationId": "territory_comuni",
            "summary": "Comuni by province and/or name prefix, ordered by name.",
            "parameters": [
                {"name": "province", "in": "query", "required": false, "description": "Current province code, 3 digits.", "schema": {"type": "string", "pattern": "^[0-9]{3}$"}},
                {"name": "q", "in": "query", "required": false, "description": "Start of the Italian or other-language name; case, accents and apostrophe style do not matter.", "schema": {"type": "string", "maxLength": MAX_PREFIX_CHARS}},
                limit(DEFAULT_COMUNI_LIMIT)],
            "responses": {"200": ok("Comuni.", items(&comune)), "400": error.clone()}}),
        ),
        (
            "/api/territories/comuni/{code}",
            json!({
            "operationId": "territory_comune", "summary": "One comune.",
            "parameters": [code.clone()],
            "responses": {"200": ok("The comune.", comune.clone()), "404": error.clone()}}),
        ),
        (
            "/api/territories/comuni/{code}/near",
            json!({
            "operationId": "territory_comuni_near",
            "summary": "Other comuni whose centroid is within radius_km of this one's, nearest first.",
            "parameters": [code,
                {"name": "radius_km", "in": "query", "required": false, "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_RADIUS_KM, "default": DEFAULT_RADIUS_KM}},
                limit(DEFAULT_NEAR_LIMIT)],
            "responses": {
                "200": ok("The origin and the comuni near it.", json!({"type": "object", "properties": {
                    "origin": comune, "radius_km": {"type": "number"},
                    "items": {"type": "array", "items": near_item}}})),
                "400": error.clone(), "404": error.clone(),
                "422": {"description": "The comune has no centroid (code no_location).", "content": error["content"].clone()}}}),
        ),
    ];
    operations
        .into_iter()
        .map(|(path, get)| (path.to_owned(), json!({ "get": get })))
        .collect()
}
