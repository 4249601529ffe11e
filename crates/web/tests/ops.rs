//! Operations endpoints: liveness, metrics, credits.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use axum::http::StatusCode;
use chrono::Utc;
use common::{get_from, get_text};
use crocevia_core::secret::Secret;
use crocevia_web::WebConfig;

async fn app() -> axum::Router {
    common::app_on(common::fresh_store().await, Utc::now())
}

#[tokio::test]
async fn healthz_reports_the_database() {
    let store = common::fresh_store().await;
    let backend = store.backend();
    let app = common::app_on(store, Utc::now());
    let (status, body) = get_text(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(["sqlite", "postgres"].contains(&backend), "{backend}");
    assert!(
        body.contains(&format!("\"database\":\"{backend}\"")),
        "{body}"
    );
    // Once the search index holds the directory, the health check says so.
    let (status, _) = get_text(&app, "/api/search?q=italiano").await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = get_text(&app, "/healthz").await;
    assert!(body.contains("\"search\":\"ready\""), "{body}");
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
    let (status, body) = get_from(&app, "127.0.0.1:50000", "/metrics", &[]).await;
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

#[tokio::test]
async fn without_a_token_metrics_answer_this_host_only_and_healthz_everyone() {
    let app = app().await;
    let (status, body) = get_from(&app, "203.0.113.5:40000", "/metrics", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("metrics_forbidden"), "{body}");
    assert!(!body.contains("crocevia_http_requests_total"));
    let (status, _) = get_text(&app, "/metrics").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no peer known: refused");
    let (status, _) = get_from(
        &app,
        "127.0.0.1:40000",
        "/metrics",
        &[("x-forwarded-for", "203.0.113.5")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a local reverse proxy forwarding a remote client"
    );
    let (status, body) = get_from(&app, "[::1]:40000", "/metrics", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("crocevia_http_requests_total"), "{body}");
    let (status, _) = get_from(&app, "203.0.113.5:40000", "/healthz", &[]).await;
    assert_eq!(status, StatusCode::OK, "liveness stays public");
}

#[tokio::test]
async fn with_a_token_metrics_answer_the_bearer_of_it_from_anywhere() {
    let app = common::app_with(
        common::fresh_store().await,
        Utc::now(),
        WebConfig {
            metrics_token: Secret::new("s3cret-scrape"),
            ..WebConfig::default()
        },
    );
    let remote = "203.0.113.5:40000";
    let (status, body) = get_from(&app, remote, "/metrics", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("metrics_unauthorized"), "{body}");
    let (status, _) = get_from(&app, "127.0.0.1:1", "/metrics", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "loopback needs it too");
    let (status, _) = get_from(
        &app,
        remote,
        "/metrics",
        &[("authorization", "Bearer s3cret-scrapE")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = get_from(
        &app,
        remote,
        "/metrics",
        &[("authorization", "Bearer s3cret-scrape")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("crocevia_directory_records"), "{body}");
}
