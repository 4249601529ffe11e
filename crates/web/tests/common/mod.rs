//! What the web test binaries share: a server over a fresh database of the suite's backend
//! ([`fresh_store`]), with the demo network ([`world::World`]) or what the test loads, and
//! requests that return status and body.
#![allow(dead_code)]

pub mod world;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use crocevia_core::clock::FixedClock;
use crocevia_core::hsds::Record;
use crocevia_store::Store;
use crocevia_web::{AppState, WebConfig, router};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A fresh, empty database on the backend the suite runs on: SQLite by default, PostgreSQL
/// (a schema of its own on `CROCEVIA_TEST_PG`) when `CROCEVIA_TEST_BACKEND=postgres`, as
/// `scripts/test` runs the web suite a second time. A SQLite file's directory lives as long
/// as the process.
pub async fn fresh_store() -> Arc<dyn Store> {
    let seal = crocevia_store_sql::test_support::audit_seal();
    match std::env::var("CROCEVIA_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            let base = std::env::var("CROCEVIA_TEST_PG")
                .expect("CROCEVIA_TEST_BACKEND=postgres needs CROCEVIA_TEST_PG, a PostgreSQL URL");
            let url = crocevia_store_sql::test_support::fresh_postgres_schema(&base)
                .await
                .expect("a test schema on CROCEVIA_TEST_PG");
            crocevia_store_sql::open(&url, seal)
                .await
                .expect("open PostgreSQL")
        }
        Ok("sqlite") | Err(_) => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("t.db").display());
            std::mem::forget(dir);
            crocevia_store_sql::open(&url, seal)
                .await
                .expect("open SQLite")
        }
        Ok(other) => panic!("CROCEVIA_TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

/// A server over a store the test filled, its clock standing at `now`.
pub fn app_on(store: Arc<dyn Store>, now: DateTime<Utc>) -> axum::Router {
    app_with(store, now, WebConfig::default())
}

pub fn app_with(store: Arc<dyn Store>, now: DateTime<Utc>, config: WebConfig) -> axum::Router {
    router(AppState::new(store, Arc::new(FixedClock(now)), config))
}

/// Status and body of a GET sent as if from `peer` (what `axum::serve` records) with extra
/// headers.
pub async fn get_from(
    app: &axum::Router,
    peer: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Body::empty()).unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(
        peer.parse::<std::net::SocketAddr>().unwrap(),
    ));
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// A server holding the needs taxonomy and the demo network as of `now`, with its clock
/// standing at `now`; also the store and the demo rows (a [`world::World`] taken apart).
pub async fn demo_app(now: DateTime<Utc>) -> (axum::Router, Arc<dyn Store>, Vec<Record>) {
    let world = world::World::builder().at(now).build().await;
    (world.app, world.store, world.records)
}

pub async fn get_text(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

pub async fn get_json(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (status, text) = get_text(app, uri).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Text as the templates escape it.
pub fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
