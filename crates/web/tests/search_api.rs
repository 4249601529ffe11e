//! `/api/search` over the demo network, and the promise that a saved service is findable as
//! soon as the write API answers.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use common::get_json as get;
use crocevia_core::hsds::Record;
use crocevia_store::Store;
use serde_json::json;
use tower::ServiceExt;

async fn app() -> (axum::Router, std::sync::Arc<dyn Store>, Vec<Record>) {
    common::demo_app(Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap()).await
}

#[tokio::test]
async fn a_doctor_is_found_in_four_languages() {
    let (app, _, _) = app().await;
    for q in [
        "doctor",
        "m%C3%A9decin",
        "%D8%B7%D8%A8%D9%8A%D8%A8",
        "medico%20di%20base",
    ] {
        let (status, body) = get(&app, &format!("/api/search?q={q}&per_page=5")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body["interpretation"]["categories"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "health.primary_care"),
            "{q}: {}",
            body["interpretation"]
        );
        assert!(body["hits"].as_array().unwrap().len() == 5, "{q}");
    }
}

#[tokio::test]
async fn filters_facets_and_typos() {
    let (app, _, _) = app().await;
    let (_, all) = get(&app, "/api/search?need=health&per_page=100").await;
    let (_, bat) = get(&app, "/api/search?need=health&province=110&per_page=100").await;
    assert!(bat["total"].as_u64().unwrap() < all["total"].as_u64().unwrap());
    let provinces = bat["facets"]["provinces"].as_array().unwrap();
    assert_eq!(provinces.len(), 1);
    assert_eq!(provinces[0][0], "110");
    let (_, typo) = get(&app, "/api/search?q=permeso%20di%20sogiorno").await;
    assert!(typo["total"].as_u64().unwrap() > 0);
    assert!(
        !typo["interpretation"]["corrections"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{}",
        typo["interpretation"]
    );
    // Pizzoli, 15 km: nothing from Barletta-Andria-Trani.
    let (_, near) = get(&app, "/api/search?comune=066072&radius_km=15&per_page=100").await;
    let distances: Vec<f64> = near["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["distance_km"].as_f64().unwrap())
        .collect();
    assert!(!distances.is_empty() && distances.iter().all(|d| *d <= 15.0));
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "nearest first");
}

#[tokio::test]
async fn bad_parameters_are_refused() {
    let (app, _, _) = app().await;
    for uri in [
        "/api/search?need=nonsense",
        "/api/search?per_page=0",
        "/api/search?radius_km=5",
        "/api/search?latitude=42",
        "/api/search?latitude=42&longitude=13&radius_km=9999",
        "/api/search?free=maybe",
    ] {
        let (status, body) = get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(body["error"]["code"], "invalid_parameter", "{uri}");
    }
}

/// Issue 17: one search with a 64,000-character word cost 1.5–2 s of CPU, and a few in
/// parallel stalled everyone's searches. The API refuses text beyond the limit, saying it;
/// the portal searches the beginning and tells the visitor.
#[tokio::test]
async fn an_enormous_search_text_is_refused_by_the_api_and_shortened_on_the_portal() {
    let (app, _, _) = app().await;
    let word = "a".repeat(64_000);
    for uri in [
        format!("/api/search?q={word}"),
        format!("/api/hsds/services?search={word}"),
        format!("/api/hsds/organizations?search={word}"),
    ] {
        let (status, body) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", &uri[..40]);
        assert_eq!(body["error"]["code"], "query_too_long");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("256") && message.contains("64000"),
            "{message}"
        );
    }
    // At the limit, still answered.
    let (status, _) = get(&app, &format!("/api/search?q={}", "a".repeat(256))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, html) = common::get_text(&app, &format!("/it/search?q=medico%20{word}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"search-shortened\""), "{}", &html[..200]);
    assert!(html.contains("256 caratteri"));
    let (status, html) = common::get_text(&app, "/en/search?q=doctor").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("search-shortened"));
}

/// Issue 22: a person in danger types the sentence, not the name of the service. The
/// sentence finds the anti-violence desks, the API says the need is urgent, and the portal
/// shows the numbers to call above the results, in the visitor's language.
#[tokio::test]
async fn a_sentence_telling_violence_finds_help_and_shows_the_numbers_to_call() {
    let (app, _, _) = app().await;
    let (status, body) = get(&app, "/api/search?q=mio%20marito%20mi%20picchia&lang=it").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["total"].as_u64().unwrap() > 0, "{body}");
    assert_eq!(body["interpretation"]["emergencies"], json!(["violence"]));
    assert!(
        body["hits"][0]["name"]
            .as_str()
            .unwrap()
            .contains("antiviolenza"),
        "{}",
        body["hits"]
    );
    let (status, html) = common::get_text(&app, "/en/search?q=my%20husband%20hits%20me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"search-emergency\""));
    assert!(html.contains("href=\"tel:1522\""));
    assert!(html.contains("Anti-violence and stalking helpline"));
    // An ordinary need shows no emergency.
    let (_, html) = common::get_text(&app, "/en/search?q=italian%20course").await;
    assert!(!html.contains("search-emergency"));
}

/// A corrected word says so and links to the search of the words as typed, which corrects
/// nothing.
#[tokio::test]
async fn a_corrected_search_links_to_the_words_as_typed() {
    let (app, _, _) = app().await;
    let (_, html) = common::get_text(&app, "/it/search?q=dotore").await;
    assert!(html.contains("«dottore»"), "the correction is shown");
    assert!(html.contains("id=\"search-verbatim\""));
    assert!(html.contains("verbatim=true"));
    let (_, verbatim) = get(&app, "/api/search?q=dotore&lang=it&verbatim=true").await;
    assert_eq!(verbatim["interpretation"]["corrections"], json!([]));
    let (_, html) = common::get_text(&app, "/it/search?q=dotore&verbatim=true").await;
    assert!(!html.contains("search-verbatim"));
}

#[tokio::test]
async fn a_saved_service_is_findable_when_the_write_api_answers() {
    let (app, store, records) = app().await;
    let org = records.iter().find(|r| r.table == "organization").unwrap();
    // Search once so the index is built before the write.
    let (_, before) = get(&app, "/api/search?q=zanzibarese").await;
    assert_eq!(before["total"], 0);
    let (token, token_hash) = crocevia_web::write_api::new_token();
    store
        .insert_token(&crocevia_store::ApiToken {
            token_hash,
            organization_id: org.id.clone(),
            label: "t".into(),
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    let body = json!({"id": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a901", "name": "Sportello zanzibarese", "status": "active", "organization_id": org.id});
    let response = app
        .clone()
        .oneshot(
            Request::post("/api/v1/services")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (_, after) = get(&app, "/api/search?q=zanzibarese").await;
    assert_eq!(
        after["total"], 1,
        "found right after the write, without waiting for the follower"
    );
    let (_, hsds) = get(&app, "/api/hsds/services?search=zanzibarese").await;
    assert_eq!(
        hsds["total_items"], 1,
        "the HSDS search parameter uses the index"
    );
}

#[tokio::test]
async fn a_repeated_search_is_answered_from_the_cache_and_counted() {
    let (app, _, _) = app().await;
    let (_, first) = get(&app, "/api/search?q=medico&per_page=5").await;
    let (_, again) = get(&app, "/api/search?q=medico&per_page=5").await;
    assert_eq!(first, again);
    let (_, other) = get(&app, "/api/search?q=medico&per_page=6").await;
    assert_eq!(
        other["hits"].as_array().unwrap().len(),
        6,
        "every parameter is in the key"
    );
    let (status, metrics) = common::get_from(&app, "127.0.0.1:40000", "/metrics", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in {metrics}"))
    };
    assert!(value("crocevia_search_cache_hits_total ") >= 1);
    assert!(value("crocevia_search_cache_misses_total ") >= 2);
}
