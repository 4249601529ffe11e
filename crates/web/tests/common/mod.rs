//! What the web test binaries share: a server over a fresh SQLite database, with or without
//! the demo network, and requests that return status and body.
#![allow(dead_code)]

pub mod world;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use crocevia_core::clock::FixedClock;
use crocevia_core::hsds::Record;
use crocevia_core::hsds::validate::{ExistingRows, sourced};
use crocevia_core::{demo, taxonomy};
use crocevia_store::Store;
use crocevia_store::import::{Writer, validate_and_apply};
use crocevia_web::{AppState, WebConfig, router};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A store on a new SQLite file (its directory lives as long as the process).
pub async fn temp_store() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().unwrap();
    let store = crocevia_store_sql::open(
        &format!("sqlite://{}", dir.path().join("t.db").display()),
        crocevia_store_sql::test_support::audit_seal(),
    )
    .await
    .unwrap();
    std::mem::forget(dir);
    store
}

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
/// standing at `now`; also the store and the demo rows.
pub async fn demo_app(now: DateTime<Utc>) -> (axum::Router, Arc<dyn Store>, Vec<Record>) {
    let store = temp_store().await;
    let records: Vec<Record> = taxonomy::to_hsds_records()
        .into_iter()
        .chain(demo::network(now.date_naive()))
        .collect();
    validate_and_apply(
        store.as_ref(),
        sourced(records.clone(), "demo"),
        ExistingRows::Refuse,
        Vec::new(),
        Writer::Network,
        "test",
        now,
    )
    .await
    .unwrap();
    (app_on(store.clone(), now), store, records)
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
