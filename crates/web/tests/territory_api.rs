//! The territory API (`/api/territories/…`) in process, on a SQLite store holding the shipped
//! territories.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::TimeZone;
use crocevia_core::clock::FixedClock;
use crocevia_web::{AppState, WebConfig, router};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

mod common;

/// A router over a fresh database with the territories loaded.
async fn app() -> axum::Router {
    let store = common::fresh_store().await;
    store
        .replace_territories(crocevia_store::contract::territories())
        .await
        .expect("load territories");
    let clock = FixedClock(chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
    router(AppState::new(store, Arc::new(clock), WebConfig::default()))
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{uri}: body is not JSON ({e}): {bytes:?}"));
    (status, body)
}

fn codes(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| c["code"].as_str().expect("a code"))
        .collect()
}

fn assert_error(response: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(response.0, status, "{}", response.1);
    assert_eq!(response.1["error"]["code"], code, "{}", response.1);
    assert!(
        response.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test]
async fn regions_and_provinces_with_their_prefecture() {
    let app = app().await;
    let (status, body) = get(&app, "/api/territories/regions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().unwrap().len(), 20);
    assert_eq!(body["items"][12]["code"], "13");
    assert_eq!(body["items"][12]["name"], "Abruzzo");
    assert!(body["items"][12]["centroid"]["lat"].is_f64());

    let (status, body) = get(&app, "/api/territories/provinces").await;
    assert_eq!(status, StatusCode::OK);
    let provinces = body["items"].as_array().unwrap();
    assert_eq!(provinces.len(), 107);
    let aq = provinces.iter().find(|p| p["code"] == "066").unwrap();
    assert_eq!(aq["abbreviation"], "AQ");
    assert_eq!(aq["region_code"], "13");
    assert_eq!(aq["prefecture"]["name"], "Prefettura di L'Aquila");
    assert_eq!(aq["prefecture"]["seat_comune_code"], "066049");
    // Sud Sardegna is served by Cagliari's Prefettura.
    let su = provinces
        .iter()
        .find(|p| p["abbreviation"] == "SU")
        .unwrap();
    assert_eq!(su["prefecture"]["name"], "Prefettura di Cagliari");
}

#[tokio::test]
async fn comuni_by_province_and_name_prefix() {
    let app = app().await;
    let (status, body) = get(&app, "/api/territories/comuni?province=066&q=pizz&limit=20").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(codes(&body["items"]), vec!["066072"]);
    assert_eq!(body["items"][0]["name"], "Pizzoli");
    assert_eq!(body["items"][0]["province_code"], "066");
    assert_eq!(body["items"][0]["is_provincial_capital"], false);

    // Case, accents and the other official language do not matter; order is by name.
    let (_, body) = get(&app, "/api/territories/comuni?q=BOZEN").await;
    assert_eq!(codes(&body["items"]), vec!["021008"]);
    let (_, body) = get(&app, "/api/territories/comuni?q=l%E2%80%99aquila").await;
    assert_eq!(codes(&body["items"]), vec!["066049"]);
    let (_, body) = get(&app, "/api/territories/comuni?q=pizz").await;
    let names: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.len() > 1 && names.is_sorted(), "{names:?}");

    // The limit applies; the default is 20.
    let (_, body) = get(&app, "/api/territories/comuni?province=066").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 20);
    let (_, body) = get(&app, "/api/territories/comuni?province=066&limit=1000").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 108);
    let (_, body) = get(&app, "/api/territories/comuni?q=san&limit=3").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 3);

    // A well-formed province with no comuni is an empty list, not an error.
    let (status, body) = get(&app, "/api/territories/comuni?province=999").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"], serde_json::json!([]));
}

#[tokio::test]
async fn bad_listing_parameters_are_400() {
    let app = app().await;
    for uri in [
        "/api/territories/comuni?province=66",
        "/api/territories/comuni?province=AQ",
        "/api/territories/comuni?limit=0",
        "/api/territories/comuni?limit=10001",
        "/api/territories/comuni?limit=many",
        "/api/territories/comuni/066049/near?radius_km=0",
        "/api/territories/comuni/066049/near?radius_km=-5",
        "/api/territories/comuni/066049/near?radius_km=501",
        "/api/territories/comuni/066049/near?radius_km=far",
        "/api/territories/comuni/066049/near?radius_km=NaN",
        "/api/territories/comuni/066049/near?limit=0",
    ] {
        assert_error(
            &get(&app, uri).await,
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        );
    }
    let long = "a".repeat(101);
    let uri = format!("/api/territories/comuni?q={long}");
    assert_error(
        &get(&app, &uri).await,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    );
}

#[tokio::test]
async fn one_comune_by_code() {
    let app = app().await;
    let (status, body) = get(&app, "/api/territories/comuni/066049").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "L'Aquila");
    assert_eq!(body["province_code"], "066");
    assert_eq!(body["region_code"], "13");
    assert_eq!(body["cadastral_code"], "A345");
    assert_eq!(body["is_provincial_capital"], true);
    let centroid = crocevia_store::contract::territories()
        .comune("066049")
        .unwrap()
        .centroid
        .unwrap();
    assert_eq!(body["centroid"]["lat"].as_f64(), Some(centroid.lat));
    assert_eq!(body["centroid"]["lon"].as_f64(), Some(centroid.lon));

    let (_, body) = get(&app, "/api/territories/comuni/021008").await;
    assert_eq!(body["name_other_language"], "Bozen");

    for unknown in ["999999", "66049", "abcdef", "0660490"] {
        let uri = format!("/api/territories/comuni/{unknown}");
        assert_error(&get(&app, &uri).await, StatusCode::NOT_FOUND, "not_found");
        let uri = format!("/api/territories/comuni/{unknown}/near");
        assert_error(&get(&app, &uri).await, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn comuni_near_a_comune_nearest_first() {
    let app = app().await;
    let (status, body) = get(&app, "/api/territories/comuni/066049/near?radius_km=20").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["origin"]["code"], "066049");
    assert_eq!(body["radius_km"], 20.0);
    let items = body["items"].as_array().unwrap();
    let near = codes(&body["items"]);
    assert!(near.contains(&"066072"), "Pizzoli: {near:?}");
    assert!(!near.contains(&"066049"), "not the origin itself");
    assert!(!near.contains(&"110002"), "not Barletta");
    let distances: Vec<f64> = items
        .iter()
        .map(|c| c["distance_km"].as_f64().unwrap())
        .collect();
    assert!(distances.is_sorted(), "{distances:?}");
    assert!(distances.iter().all(|d| *d > 0.0 && *d <= 20.0));
    // Each item is a whole comune plus its distance.
    assert!(items[0]["name"].is_string() && items[0]["centroid"]["lat"].is_f64());

    let (_, body) = get(
        &app,
        "/api/territories/comuni/066049/near?radius_km=20&limit=2",
    )
    .await;
    assert_eq!(codes(&body["items"]), near[..2].to_vec());

    // Moransengo-Tonengo is missing from the boundary files: no centroid to measure from.
    let (status, body) = get(&app, "/api/territories/comuni/005122/near").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "no_location");

    // The default radius is 10 km.
    let (_, body) = get(&app, "/api/territories/comuni/066049/near").await;
    assert_eq!(body["radius_km"], 10.0);
    assert!(body["items"].as_array().unwrap().len() < items.len());
}

#[tokio::test]
async fn every_documented_path_answers() {
    let app = app().await;
    let paths = crocevia_web::territory_api::openapi_paths();
    assert_eq!(paths.len(), 5);
    for path in paths.keys() {
        let uri = path.replace("{code}", "066049");
        let (status, body) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
}
