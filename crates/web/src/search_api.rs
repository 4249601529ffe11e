//! `GET /api/search`: the service search with facet counts and how the query was understood.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use crocevia_core::territory::Point;
use crocevia_search::query::DEFAULT_FACET_LIMIT;
use crocevia_search::{Near, SearchQuery, SearchResults, SyncError};
use serde::Deserialize;

use crate::AppState;
use crate::error::{AppError, ErrorCode};

/// Writes through this server sync the index themselves; this bounds how stale a search can
/// be when another app server wrote.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchParams {
    pub q: String,
    /// The searcher's language (names and snippets in it when translated).
    pub lang: Option<String>,
    /// Needs-taxonomy codes, comma-separated.
    pub need: String,
    pub comune: Option<String>,
    pub province: Option<String>,
    pub region: Option<String>,
    /// A language the service speaks (ISO 639-1).
    pub language: Option<String>,
    pub free: bool,
    pub accessible: bool,
    pub open_now: bool,
    /// Search the words as typed, without typo correction.
    pub verbatim: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// With `latitude`/`longitude`, or alone around `comune`.
    pub radius_km: Option<f64>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    /// Comuni and provinces listed in the facet counts.
    pub facet_limit: Option<usize>,
}

pub const MAX_PER_PAGE: usize = crocevia_search::query::MAX_LIMIT;

/// Refuses a search text beyond [`crocevia_search::query::MAX_QUERY_CHARS`]: 400
/// `query_too_long`, saying the limit (the API's `q`, the HSDS `search` parameter).
pub fn check_text(text: &str) -> Result<(), AppError> {
    crocevia_search::query::check_text(text.trim()).map_err(|e| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::QueryTooLong,
            e.to_string(),
        )
    })
}
const MAX_FACET_LIMIT: usize = 10_000;

impl SearchParams {
    /// The index query these parameters ask for, or why they cannot.
    pub fn to_query(&self, state: &AppState) -> Result<SearchQuery, AppError> {
        let non_empty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        check_text(&self.q)?;
        let per_page = self.per_page.unwrap_or(10);
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(AppError::bad_parameter(
                "per_page",
                format!("must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        let facet_limit = self.facet_limit.unwrap_or(DEFAULT_FACET_LIMIT);
        if facet_limit == 0 || facet_limit > MAX_FACET_LIMIT {
            return Err(AppError::bad_parameter(
                "facet_limit",
                format!("must be between 1 and {MAX_FACET_LIMIT}"),
            ));
        }
        let page = self.page.unwrap_or(1);
        if page == 0 {
            return Err(AppError::bad_parameter("page", "pages start at 1"));
        }
        let categories: Vec<String> = self
            .need
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(unknown) = categories
            .iter()
            .find(|c| crocevia_core::taxonomy::term(c).is_none())
        {
            return Err(AppError::bad_parameter(
                "need",
                format!("'{unknown}' is no need category; see /api/hsds/taxonomy_terms"),
            ));
        }
        let comune = non_empty(&self.comune);
        let near = match (self.latitude, self.longitude, self.radius_km) {
            (Some(lat), Some(lon), radius) => {
                if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                    return Err(AppError::bad_parameter("latitude", "not a point on Earth"));
                }
                Some(Near {
                    point: Point { lat, lon },
                    radius_km: radius_km(radius)?,
                })
            }
            (None, None, Some(radius)) => {
                let code = comune.as_deref().ok_or_else(|| {
                    AppError::bad_parameter(
                        "radius_km",
                        "needs latitude and longitude, or a comune to measure from",
                    )
                })?;
                Some(
                    Near::comune(state.search.territories(), code, radius_km(Some(radius))?)
                        .ok_or_else(|| {
                            AppError::bad_parameter(
                                "comune",
                                format!("no comune with ISTAT code {code} and a known centre"),
                            )
                        })?,
                )
            }
            (None, None, None) => None,
            _ => {
                return Err(AppError::bad_parameter(
                    "latitude",
                    "give both latitude and longitude",
                ));
            }
        };
        Ok(SearchQuery {
            text: Some(self.q.trim().to_owned()).filter(|q| !q.is_empty()),
            language: non_empty(&self.lang),
            categories,
            // With a radius the comune is where distance is measured from, not a filter.
            comune: if near.is_some() && self.latitude.is_none() {
                None
            } else {
                comune
            },
            province: non_empty(&self.province),
            region: non_empty(&self.region),
            spoken_language: non_empty(&self.language),
            free_only: self.free,
            accessible_only: self.accessible,
            open_now: self.open_now,
            near,
            offset: (page - 1) * per_page,
            limit: per_page,
            facet_limit: Some(facet_limit),
            verbatim: self.verbatim,
        })
    }
}

fn radius_km(radius: Option<f64>) -> Result<f64, AppError> {
    let r = radius.unwrap_or(10.0);
    if r > 0.0 && r <= 500.0 {
        Ok(r)
    } else {
        Err(AppError::bad_parameter(
            "radius_km",
            "must be more than 0 and at most 500",
        ))
    }
}

/// Runs a search on an index no older than [`FOLLOW_INTERVAL`].
pub async fn run(state: &AppState, query: &SearchQuery) -> Result<SearchResults, AppError> {
    Ok(SearchResults::clone(&*run_shared(state, query).await?))
}

/// [`run`], answered from the cache of recent answers when the same query was asked on the
/// same index (see [`crate::search_cache`]).
pub async fn run_shared(
    state: &AppState,
    query: &SearchQuery,
) -> Result<Arc<SearchResults>, AppError> {
    state
        .search
        .sync_if_older(FOLLOW_INTERVAL)
        .await
        .map_err(|e| match e {
            SyncError::Building => AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::SearchUnavailable,
                "this server is building its search index from the directory (first start or \
                 upgrade); try again in a minute",
            ),
            e => {
                tracing::error!(error = %e, "search index could not follow the directory");
                AppError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::SearchUnavailable,
                    "search is catching up with the directory; try again in a moment",
                )
            }
        })?;
    let index = state.search.index();
    let now = state.clock.now();
    let cache = &state.search_cache;
    let key = cache.key(query, now);
    let generation = index.generation();
    if let Some(key) = &key
        && let Some(found) = cache.get(key, generation)
    {
        return Ok(found);
    }
    let results = Arc::new(index.search(query, now).map_err(|e| {
        tracing::error!(error = %e, "search failed");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::SearchFailed,
            "the search could not be run; try again",
        )
    })?);
    if let Some(key) = key {
        cache.put(key, generation, results.clone());
    }
    Ok(results)
}

pub async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = params?.0.to_query(&state)?;
    let results = run_shared(&state, &query).await?;
    let body = serde_json::to_vec(&*results).map_err(|e| {
        tracing::error!(error = %e, "search answer could not be written");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::SearchFailed,
            "the search could not be run; try again",
        )
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
