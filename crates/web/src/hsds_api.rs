//! The HSDS 3.0 API (`/api/hsds/…`): read-only, public, paged as the standard says, with
//! confidential addresses removed.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use crocevia_core::hsds::Record;
use crocevia_core::hsds::nested::{Link, RecordIndex, children};
use crocevia_core::hsds::schema::HSDS_VERSION;
use crocevia_core::hsds::views::{list_item, redact_for_public};
use crocevia_store::{ListQuery, Near, load_nested};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::{AppError, ErrorCode};

/// Pages larger than this are refused rather than silently truncated.
pub const MAX_PER_PAGE: u32 = 1000;
pub const DEFAULT_PER_PAGE: u32 = 50;

pub async fn root(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "version": HSDS_VERSION,
        "profile": "https://docs.openreferral.org/en/3.0/",
        "openapi_url": format!("{}/api/openapi.json", state.config.public_url),
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    search: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
    taxonomy_term_id: Option<String>,
    taxonomy_id: Option<String>,
    organization_id: Option<String>,
    modified_after: Option<String>,
    full: Option<bool>,
    minimal: Option<bool>,
    format: Option<String>,
    postcode: Option<String>,
    /// Meters from the centre of `postcode` (or of `latitude`/`longitude`, our extension).
    proximity: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Ndjson,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, AppError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        })
        .map_err(|_| {
            AppError::bad_parameter(
                "modified_after",
                format!("'{text}' is not a date (2026-01-31) or date-time (2026-01-31T09:00:00Z)"),
            )
        })
}

impl ListParams {
    fn format(&self) -> Result<Format, AppError> {
        match self.format.as_deref() {
            None | Some("json") => Ok(Format::Json),
            Some("ndjson") => Ok(Format::Ndjson),
            Some(other) => Err(AppError::bad_parameter(
                "format",
                format!("'{other}' is not json or ndjson"),
            )),
        }
    }

    async fn query(&self, table: &str, state: &AppState) -> Result<ListQuery, AppError> {
        let page = self.page.unwrap_or(1);
        if page == 0 {
            return Err(AppError::bad_parameter("page", "pages start at 1"));
        }
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(AppError::bad_parameter(
                "per_page",
                format!("must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        let non_empty = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        if let Some(search) = &self.search {
            crate::search_api::check_text(search)?;
        }
        let mut query = ListQuery {
            table: table.to_owned(),
            search: non_empty(&self.search),
            taxonomy_term_id: non_empty(&self.taxonomy_term_id),
            taxonomy_id: non_empty(&self.taxonomy_id),
            organization_id: non_empty(&self.organization_id),
            modified_after: self.modified_after.as_deref().map(parse_time).transpose()?,
            page,
            per_page,
            ..ListQuery::default()
        };
        if table == "service_at_location" {
            query.postcode = non_empty(&self.postcode);
            if let Some(meters) = non_empty(&self.proximity) {
                let meters: f64 = meters
                    .parse()
                    .ok()
                    .filter(|m: &f64| *m > 0.0 && m.is_finite())
                    .ok_or_else(|| {
                        AppError::bad_parameter("proximity", "expected a distance in meters")
                    })?;
                let (lat, lon) = self.centre(state).await?;
                query.postcode = None;
                query.near = Some(Near {
                    lat,
                    lon,
                    radius_km: meters / 1000.0,
                });
            }
        }
        Ok(query)
    }

    /// The point `proximity` is measured from: `latitude`/`longitude` when given, else the
    /// centre of the directory's locations with an address in `postcode`.
    async fn centre(&self, state: &AppState) -> Result<(f64, f64), AppError> {
        if let (Some(lat), Some(lon)) = (self.latitude, self.longitude) {
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(AppError::bad_parameter("latitude", "not a point on Earth"));
            }
            return Ok((lat, lon));
        }
        let Some(postcode) = self
            .postcode
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        else {
            return Err(AppError::bad_parameter(
                "proximity",
                "needs a postcode, or latitude and longitude, to measure from",
            ));
        };
        let sal = state
            .store
            .list(&ListQuery {
                table: "service_at_location".into(),
                postcode: Some(postcode.to_owned()),
                page: 1,
                per_page: MAX_PER_PAGE,
                ..ListQuery::default()
            })
            .await?;
        let location_ids: Vec<String> = sal
            .items
            .iter()
            .filter_map(|r| r.text("location_id").map(str::to_owned))
            .collect();
        let points: Vec<(f64, f64)> = state
            .store
            .get_many(Some("location"), &location_ids)
            .await?
            .iter()
            .filter(|l| !crocevia_core::hsds::views::is_confidential(l))
            .filter_map(|l| {
                Some((
                    l.fields.get("latitude")?.as_f64()?,
                    l.fields.get("longitude")?.as_f64()?,
                ))
            })
            .collect();
        if points.is_empty() {
            return Err(AppError::bad_parameter(
                "postcode",
                format!(
                    "no located service has postcode {postcode}; give latitude and longitude instead"
                ),
            ));
        }
        let n = points.len() as f64;
        Ok((
            points.iter().map(|p| p.0).sum::<f64>() / n,
            points.iter().map(|p| p.1).sum::<f64>() / n,
        ))
    }
}

/// The rows needed to show `roots` in full (everything nested) or as list items (the objects
/// they point to), with what the public may not see removed.
async fn rows_for(
    state: &AppState,
    roots: Vec<Record>,
    full: bool,
) -> Result<Vec<Record>, AppError> {
    let mut rows = if full {
        load_nested(state.store.as_ref(), roots).await?
    } else {
        // The objects the roots point to (a service's organisation and program), one query
        // per table rather than one per row.
        let mut wanted: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for root in &roots {
            for nesting in children(&root.table) {
                if let Link::ParentField(field) = nesting.link
                    && let Some(id) = root.text(field)
                {
                    wanted.entry(nesting.table).or_default().push(id.to_owned());
                }
            }
        }
        let mut rows = roots.clone();
        for (table, mut ids) in wanted {
            ids.sort();
            ids.dedup();
            rows.extend(state.store.get_many(Some(table), &ids).await?);
        }
        rows
    };
    redact_for_public(&mut rows);
    Ok(rows)
}

/// Shapes of nested objects beyond the generic nesting: an organisation lists its services,
/// a service-at-location shows its service.
async fn extras(
    state: &AppState,
    object: &mut Map<String, Value>,
    record: &Record,
) -> Result<(), AppError> {
    match record.table.as_str() {
        "organization" => {
            let services = state
                .store
                .list(&ListQuery {
                    table: "service".into(),
                    organization_id: Some(record.id.clone()),
                    page: 1,
                    per_page: MAX_PER_PAGE,
                    ..ListQuery::default()
                })
                .await?;
            object.insert(
                "services".into(),
                Value::Array(
                    services
                        .items
                        .iter()
                        .map(|s| Value::Object(s.to_json_object()))
                        .collect(),
                ),
            );
        }
        "service_at_location" => {
            if let Some(service) = match record.text("service_id") {
                Some(id) => state.store.get("service", id).await?,
                None => None,
            } {
                object.insert("service".into(), Value::Object(service.to_json_object()));
            }
        }
        _ => {}
    }
    Ok(())
}

async fn one(state: &AppState, table: &'static str, id: &str) -> Result<Json<Value>, AppError> {
    let record = state
        .store
        .get(table, id)
        .await?
        .ok_or_else(|| AppError::not_found(table, id))?;
    let rows = rows_for(state, vec![record], true).await?;
    let index = RecordIndex::new(&rows);
    let root = index.get(table, id).expect("the root is among its rows");
    let mut object = index.assemble(root);
    extras(state, &mut object, root).await?;
    Ok(Json(Value::Object(object)))
}

async fn list(
    state: &AppState,
    table: &'static str,
    params: ListParams,
) -> Result<Response, AppError> {
    let format = params.format()?;
    let mut query = params.query(table, state).await?;
    let minimal = params.minimal.unwrap_or(false);
    let full = params.full.unwrap_or(false);
    if format == Format::Ndjson {
        // NDJSON streams every result, without pages.
        query.page = 1;
        query.per_page = u32::MAX / 2;
    }
    let page = match index_search(state, &query).await? {
        Some(page) => page,
        None => state.store.list(&query).await?,
    };
    let contents: Vec<Value> = if minimal {
        let ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
        let stamps: std::collections::HashMap<String, DateTime<Utc>> = state
            .store
            .modified_at(table, &ids)
            .await?
            .into_iter()
            .collect();
        page.items
            .iter()
            .map(
                |r| json!({"id": r.id, "modified_date": stamps.get(&r.id).map(|t| t.to_rfc3339())}),
            )
            .collect()
    } else {
        let rows = rows_for(state, page.items.clone(), full).await?;
        let index = RecordIndex::new(&rows);
        let mut out = Vec::with_capacity(page.items.len());
        for item in &page.items {
            let root = index.get(table, &item.id).expect("roots are kept");
            let mut object = if full {
                index.assemble(root)
            } else {
                list_item(root, &index)
            };
            if full {
                extras(state, &mut object, root).await?;
            }
            out.push(Value::Object(object));
        }
        out
    };
    if format == Format::Ndjson {
        let mut body = String::new();
        for item in &contents {
            body.push_str(&item.to_string());
            body.push('\n');
        }
        return Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response());
    }
    let total_pages = page.total_items.div_ceil(u64::from(query.per_page)).max(1);
    Ok(Json(json!({
        "total_items": page.total_items,
        "total_pages": total_pages,
        "page_number": query.page,
        "size": contents.len(),
        "first_page": query.page == 1,
        "last_page": u64::from(query.page) >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    }))
    .into_response())
}

/// `search` on services goes to the search index (multilingual, typo-tolerant, ranked) when
/// it is the only filter and the page fits an index page; combined with the other filters it
/// stays a database match of every word, so the filters keep their exact HSDS meaning.
async fn index_search(
    state: &AppState,
    query: &ListQuery,
) -> Result<Option<crocevia_store::Page<Record>>, AppError> {
    let Some(text) = query.search.as_ref() else {
        return Ok(None);
    };
    let only_search = query.table == "service"
        && query.taxonomy_term_id.is_none()
        && query.taxonomy_id.is_none()
        && query.organization_id.is_none()
        && query.modified_after.is_none()
        && query.per_page as usize <= crate::search_api::MAX_PER_PAGE;
    if !only_search {
        return Ok(None);
    }
    let found = crate::search_api::run(
        state,
        &crocevia_search::SearchQuery {
            text: Some(text.clone()),
            offset: (query.page as usize - 1) * query.per_page as usize,
            limit: query.per_page as usize,
            ..Default::default()
        },
    )
    .await?;
    let ids: Vec<String> = found.hits.iter().map(|h| h.id.clone()).collect();
    let mut records = state.store.get_many(Some("service"), &ids).await?;
    records.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(Some(crocevia_store::Page {
        items: records,
        total_items: found.total,
    }))
}

macro_rules! endpoints {
    ($($list:ident, $one:ident => $table:literal;)*) => {
        $(
            pub async fn $list(
                State(state): State<AppState>,
                params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
            ) -> Result<Response, AppError> {
                list(&state, $table, params?.0).await
            }

            pub async fn $one(
                State(state): State<AppState>,
                Path(id): Path<String>,
            ) -> Result<Json<Value>, AppError> {
                one(&state, $table, &id).await
            }
        )*
    };
}

endpoints! {
    services, service => "service";
    organizations, organization => "organization";
    taxonomies, taxonomy => "taxonomy";
    taxonomy_terms, taxonomy_term => "taxonomy_term";
    service_at_locations, service_at_location => "service_at_location";
}

/// Fallback for unknown paths under the API, so clients get JSON, not an empty 404.
pub async fn unknown_path() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownPath,
        "no such API path; see /api/openapi.json for the paths this server answers",
    )
}
