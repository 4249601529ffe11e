//! Operations endpoints: liveness, metrics, credits.

mod common;

use axum::http::StatusCode;
use chrono::Utc;
use common::get_text;

async fn app() -> axum::Router {
    common::app_on(common::temp_store().await, Utc::now())
}

#[tokio::test]
async fn healthz_reports_the_database() {
    let app = app().await;
    let (status, body) = get_text(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"database\":\"sqlite\""), "{body}");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = app().await;
    get_text(
        &app,
        "/api/hsds/services/5c7e1d2a-7f3b-4c1e-9a55-0b6d2e4f8a01",
    )
    .await;
    get_text(
        &app,
        "/api/hsds/services/5c7e1d2a-7f3b-4c1e-9a55-0b6d2e4f8a02",
    )
    .await;
    let (status, body) = get_text(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("crocevia_http_requests_total{method=\"GET\",route=\"/api/hsds/services/{id}\",status=\"404\"} 2"),
        "{body}"
    );
    assert!(!body.contains("5c7e1d2a"), "ids never become labels");
}

#[tokio::test]
async fn credits_name_every_data_source_and_licence() {
    let app = app().await;
    let (status, body) = get_text(&app, "/api/credits").await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "ISTAT",
        "openpolis",
        "Open Referral",
        "CC BY-SA 4.0",
        "CC BY 4.0",
    ] {
        assert!(body.contains(expected), "{expected} missing");
    }
}
