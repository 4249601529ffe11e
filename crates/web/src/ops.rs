//! Operations: liveness (`/healthz`, public), Prometheus metrics (`/metrics`, for the
//! configured bearer token or this host only) and data credits.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{AppError, ErrorCode};
use crate::{AppState, client};

/// (method, route template, status).
type RequestKey = (String, String, u16);

/// Request count and total seconds.
#[derive(Default, Clone, Copy)]
struct Tally {
    count: u64,
    seconds: f64,
}

/// Request counts and total latency per (method, route, status), exported as Prometheus text.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<RequestKey, Tally>>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut map = self.requests.lock().expect("metrics lock");
        let entry = map
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        entry.count += 1;
        entry.seconds += seconds;
    }

    fn render(&self) -> String {
        let map = self.requests.lock().expect("metrics lock");
        let mut out = String::from(
            "# HELP crocevia_http_requests_total HTTP requests answered.\n# TYPE crocevia_http_requests_total counter\n",
        );
        for ((method, route, status), Tally { count, .. }) in map.iter() {
            out.push_str(&format!(
                "crocevia_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}\n"
            ));
        }
        out.push_str("# HELP crocevia_http_request_duration_seconds_sum Time spent answering.\n# TYPE crocevia_http_request_duration_seconds_sum counter\n");
        for ((method, route, status), Tally { seconds, .. }) in map.iter() {
            out.push_str(&format!(
                "crocevia_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {seconds:.6}\n"
            ));
        }
        out
    }
}

/// Middleware: times every request and counts it under its route template (`/api/hsds/services/{id}`),
/// so ids do not explode the label set.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state.metrics.record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`. With `[metrics] token` configured, only for `Authorization: Bearer <token>`
/// (what Prometheus sends with `authorization: { credentials: … }`); without one, only for a
/// client on this host (a loopback peer, not forwarded by a proxy). The counts show how busy
/// the desk and the back office are, route by route: not for everyone.
pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
) -> Response {
    if let Err(refused) = metrics_allowed(&state, &headers, &extensions) {
        return refused.into_response();
    }
    let mut body = state.metrics.render();
    let (hits, misses) = state.search_cache.counts();
    body.push_str(&format!(
        "# HELP crocevia_search_cache_hits_total Searches answered from the cache of recent answers.\n# TYPE crocevia_search_cache_hits_total counter\ncrocevia_search_cache_hits_total {hits}\n\
         # HELP crocevia_search_cache_misses_total Searches computed (cache enabled, answer not cached).\n# TYPE crocevia_search_cache_misses_total counter\ncrocevia_search_cache_misses_total {misses}\n\
         # HELP crocevia_search_cache_entries Answers held in the search cache.\n# TYPE crocevia_search_cache_entries gauge\ncrocevia_search_cache_entries {}\n",
        state.search_cache.len()
    ));
    if let Ok(counts) = state.store.table_counts().await {
        body.push_str("# HELP crocevia_directory_records Rows in the directory, per HSDS table.\n# TYPE crocevia_directory_records gauge\n");
        for (table, count) in counts {
            body.push_str(&format!(
                "crocevia_directory_records{{table=\"{table}\"}} {count}\n"
            ));
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

fn metrics_allowed(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Result<(), AppError> {
    match &state.config.metrics_token {
        Some(token) => {
            let sent = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            if token.matches(sent.trim()) {
                Ok(())
            } else {
                Err(AppError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::MetricsUnauthorized,
                    "the metrics need the bearer token configured as [metrics] token (CROCEVIA_METRICS_TOKEN)",
                ))
            }
        }
        None => {
            let local = client::peer(extensions).is_some_and(|ip| ip.is_loopback())
                && !client::forwarded(headers);
            if local {
                Ok(())
            } else {
                Err(AppError::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::MetricsForbidden,
                    "the metrics answer only this host unless a bearer token is configured ([metrics] token or CROCEVIA_METRICS_TOKEN)",
                ))
            }
        }
    }
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        // `search` is `building` while a new app server reads the directory into its index
        // (searches answer 503 meanwhile); a load balancer may wait for `ready`.
        Ok(()) => Json(json!({
            "status": "ok",
            "database": state.store.backend(),
            "search": if state.search.index().needs_rebuild() { "building" } else { "ready" },
        }))
        .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "database": state.store.backend(), "error": e.to_string()})),
        )
            .into_response(),
    }
}

/// The sources of the data Crocevia ships, with the attribution their licences ask for.
pub fn credits() -> Value {
    json!({
        "attribution": "Fonte: elaborazioni su dati ISTAT (CC BY), confini ISTAT via openpolis (CC BY 4.0), Ministero dell'Interno via Liberiamoli tutti!/onData (CC BY 4.0)",
        "sources": [
            {"name": "Human Services Data Specification 3.0", "by": "Open Referral", "licence": "CC BY-SA 4.0", "url": "https://openreferral.org/", "used_for": "the directory model, its schemas and API"},
            {"name": "Elenco comuni italiani; ripartizioni sovracomunali", "by": "ISTAT", "licence": "CC BY", "url": "https://www.istat.it/", "used_for": "regions, provinces and comuni"},
            {"name": "Archivio comuni ANPR; prefetture", "by": "ANPR / ISTAT (via nicholasricci/anagrafiche-anpr-istat)", "licence": "CC BY 4.0", "used_for": "provinces and their prefetture"},
            {"name": "Confini amministrativi (TopoJSON, 2023)", "by": "ISTAT via openpolis/geojson-italy", "licence": "CC BY 4.0", "used_for": "maps and the centre of each comune"}
        ]
    })
}

pub async fn credits_endpoint() -> Json<Value> {
    Json(credits())
}
