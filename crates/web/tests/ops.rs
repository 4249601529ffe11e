//! Operations endpoints: liveness, metrics, credits.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use crocevia_core::clock::FixedClock;
use crocevia_web::{AppState, WebConfig, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn app() -> axum::Router {
    let dir = tempfile::tempdir().unwrap();
    let store =
        crocevia_store_sql::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
    std::mem::forget(dir);
    router(AppState::new(
        store,
        Arc::new(FixedClock(Utc::now())),
        WebConfig::default(),
    ))
}

async fn get_text(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
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
