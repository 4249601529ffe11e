//! The HSDS API over the official examples: every kind of answer validates against the HSDS
//! JSON Schemas, paging holds together the way the Open Referral UK validator checks it, and
//! the write API refuses bad input with a stable code and writes nothing.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use crocevia_core::clock::FixedClock;
use crocevia_core::hsds::formats::read_json;
use crocevia_core::hsds::validate::ExistingRows;
use crocevia_store::Store;
use crocevia_store::import::{Writer, validate_and_apply};
use crocevia_web::{AppState, WebConfig, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

mod common;

const SERVICE: &str = "ac148810-d857-441c-9679-408f346de14b";
const ORG: &str = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610";
const TERM: &str = "3f7b145d-84af-42d7-8fae-eaca714b02b2";
const SAL: &str = "e94c9f38-1e8f-4564-91d4-d53501ab1765";

fn conformance() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/hsds")
}

/// A server on a fresh database holding the official `service_full` example and the rows it
/// refers to without containing them.
async fn app() -> (axum::Router, Arc<dyn Store>) {
    let store = common::fresh_store().await;
    let example = std::fs::read(conformance().join("examples/service_full.json")).unwrap();
    let mut batch = read_json("service_full.json", &example).records;
    let supplement = conformance().join("supplement/missing_rows.json");
    batch.extend(read_json("missing_rows.json", &std::fs::read(supplement).unwrap()).records);
    let at = Utc.with_ymd_and_hms(2026, 1, 10, 8, 0, 0).unwrap();
    validate_and_apply(
        store.as_ref(),
        batch,
        ExistingRows::Refuse,
        Vec::new(),
        Writer::Network,
        "test",
        at,
    )
    .await
    .unwrap();
    let clock = Arc::new(FixedClock(
        Utc.with_ymd_and_hms(2026, 2, 1, 8, 0, 0).unwrap(),
    ));
    (
        router(AppState::new(store.clone(), clock, WebConfig::default())),
        store,
    )
}

async fn send(app: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, body)
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// A schema with every `$ref` to a sibling file replaced by that file, so one validator needs
/// no resolver (the HSDS schemas refer to each other by file name and have no cycles).
fn schema(name: &str) -> Value {
    fn inline(value: &mut Value, dir: &Path) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref")
                    && r.ends_with(".json")
                {
                    let mut target = schema_file(dir, r);
                    inline(&mut target, dir);
                    *value = target;
                    return;
                }
                map.values_mut().for_each(|v| inline(v, dir));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| inline(v, dir)),
            _ => {}
        }
    }
    fn schema_file(dir: &Path, name: &str) -> Value {
        serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
    }
    let dir = conformance().join("schema");
    let mut root = schema_file(&dir, name);
    inline(&mut root, &dir);
    root
}

fn assert_valid(schema_name: &str, instance: &Value) {
    let schema = schema(schema_name);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_name}: {errors:#?}");
}

#[tokio::test]
async fn the_root_says_version_and_where_the_openapi_is() {
    let (app, _) = app().await;
    let (status, body) = get(&app, "/api/hsds/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], "3.0");
    assert_eq!(
        body["openapi_url"],
        "http://localhost:8080/api/openapi.json"
    );
}

#[tokio::test]
async fn every_kind_of_answer_validates_against_the_hsds_schemas() {
    let (app, _) = app().await;
    let cases = [
        (
            format!("/api/hsds/services/{SERVICE}"),
            "service.json",
            false,
        ),
        ("/api/hsds/services".to_owned(), "service.json", true),
        (
            "/api/hsds/services?full=true".to_owned(),
            "service.json",
            true,
        ),
        (
            format!("/api/hsds/organizations/{ORG}"),
            "organization.json",
            false,
        ),
        (
            "/api/hsds/organizations".to_owned(),
            "organization.json",
            true,
        ),
        ("/api/hsds/taxonomies".to_owned(), "taxonomy.json", true),
        (
            "/api/hsds/taxonomy_terms".to_owned(),
            "taxonomy_term.json",
            true,
        ),
        (
            format!("/api/hsds/taxonomy_terms/{TERM}"),
            "taxonomy_term.json",
            false,
        ),
        (
            "/api/hsds/service_at_locations".to_owned(),
            "service_at_location.json",
            true,
        ),
        (
            format!("/api/hsds/service_at_locations/{SAL}"),
            "service_at_location.json",
            false,
        ),
    ];
    for (uri, schema_name, paged) in cases {
        let (status, body) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        if paged {
            let contents = body["contents"].as_array().unwrap();
            assert!(!contents.is_empty(), "{uri}");
            for item in contents {
                assert_valid(schema_name, item);
            }
        } else {
            assert_valid(schema_name, &body);
        }
    }
    let (_, full) = get(&app, &format!("/api/hsds/services/{SERVICE}")).await;
    assert_eq!(full["organization"]["id"], ORG);
    assert_eq!(
        full["service_at_locations"][0]["location"]["addresses"][0]["postal_code"],
        "ABC 1234"
    );
    assert_eq!(full["attributes"][0]["taxonomy_term"]["id"], TERM);
}

#[tokio::test]
async fn paging_is_consistent_and_every_listed_id_resolves() {
    let (app, _) = app().await;
    let (_, first) = get(&app, "/api/hsds/organizations?per_page=2").await;
    let total = first["total_items"].as_u64().unwrap();
    assert_eq!(total, 5);
    assert_eq!(first["total_pages"], 3);
    assert_eq!(
        (first["first_page"].as_bool(), first["last_page"].as_bool()),
        (Some(true), Some(false))
    );
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (_, body) = get(
            &app,
            &format!("/api/hsds/organizations?per_page=2&page={page}"),
        )
        .await;
        assert_eq!(body["page_number"], page);
        assert_eq!(
            body["size"].as_u64().unwrap() as usize,
            body["contents"].as_array().unwrap().len()
        );
        assert_eq!(body["last_page"], page == 3);
        for item in body["contents"].as_array().unwrap() {
            let id = item["id"].as_str().unwrap().to_owned();
            let (status, _) = get(&app, &format!("/api/hsds/organizations/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{id} resolves");
            seen.push(id);
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len() as u64, total, "pages neither repeat nor skip");
    let (_, beyond) = get(&app, "/api/hsds/organizations?per_page=2&page=9").await;
    assert_eq!(beyond["empty"], true);
}

#[tokio::test]
async fn filters_and_formats() {
    let (app, _) = app().await;
    let (_, tagged) = get(
        &app,
        &format!("/api/hsds/services?taxonomy_term_id={TERM}&organization_id={ORG}"),
    )
    .await;
    assert_eq!(tagged["total_items"], 1);
    let (_, none) = get(&app, &format!("/api/hsds/services?taxonomy_term_id={TERM}&organization_id=cd09a387-91f4-4555-94ec-e799c35344cd")).await;
    assert_eq!(none["total_items"], 0, "filters combine with AND");
    let (_, found) = get(&app, "/api/hsds/services?search=counselling").await;
    assert_eq!(found["total_items"], 1);
    let (_, later) = get(&app, "/api/hsds/services?modified_after=2026-01-11").await;
    assert_eq!(later["total_items"], 0);
    let (_, at) = get(
        &app,
        "/api/hsds/services?modified_after=2026-01-10T08:00:00Z",
    )
    .await;
    assert_eq!(at["total_items"], 1, "modified on or after");
    let (_, minimal) = get(&app, "/api/hsds/services?minimal=true").await;
    assert_eq!(
        minimal["contents"][0],
        json!({"id": SERVICE, "modified_date": "2026-01-10T08:00:00+00:00"})
    );
    let (_, by_postcode) = get(&app, "/api/hsds/service_at_locations?postcode=ABC%201234").await;
    assert_eq!(by_postcode["total_items"], 2);

    let response = app
        .clone()
        .oneshot(
            Request::get("/api/hsds/organizations?format=ndjson")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/x-ndjson"
    );
    assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert_eq!(text.lines().count(), 5);
    for line in text.lines() {
        assert_valid("organization.json", &serde_json::from_str(line).unwrap());
    }
}

#[tokio::test]
async fn bad_requests_get_a_stable_code() {
    let (app, _) = app().await;
    for (uri, status, code) in [
        (
            "/api/hsds/services?page=0",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/api/hsds/services?page=abc",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/api/hsds/services?per_page=100000",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/api/hsds/services?modified_after=yesterday",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/api/hsds/services?format=xml",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/api/hsds/service_at_locations?proximity=1000",
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/api/hsds/services/00000000-0000-4000-8000-000000000000",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        ("/api/hsds/nothing", StatusCode::NOT_FOUND, "unknown_path"),
    ] {
        let (got, body) = get(&app, uri).await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{uri}: {body}"
        );
    }
}

async fn token(store: &dyn Store, org: &str) -> String {
    let (token, token_hash) = crocevia_web::write_api::new_token();
    store
        .insert_token(&crocevia_store::ApiToken {
            token_hash,
            organization_id: org.into(),
            label: "test".into(),
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    token
}

fn write(method: &str, uri: &str, token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    request.body(body.into()).unwrap()
}

const NEW_SERVICE: &str = "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a001";

fn new_service() -> Value {
    json!({
        "id": NEW_SERVICE, "name": "Sportello orientamento", "status": "active", "organization_id": ORG,
        "phones": [{"id": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a002", "number": "+39 0862 000000"}],
        "translations": [{"id": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a003", "language": "en", "name": "Orientation desk"}]
    })
}

#[tokio::test]
async fn an_organisation_writes_its_own_services_with_a_token() {
    let (app, store) = app().await;
    let token = token(store.as_ref(), ORG).await;
    let (status, created) = send(
        &app,
        write(
            "POST",
            "/api/v1/services",
            Some(&token),
            new_service().to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["phones"][0]["number"], "+39 0862 000000");
    assert_eq!(created["translations"][0]["name"], "Orientation desk");
    let (_, listed) = get(&app, "/api/hsds/services?search=orientamento").await;
    assert_eq!(
        listed["total_items"], 1,
        "a saved service is listed at once"
    );

    let (status, again) = send(
        &app,
        write(
            "POST",
            "/api/v1/services",
            Some(&token),
            new_service().to_string(),
        ),
    )
    .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_exists"))
    );

    let mut replacement = new_service();
    replacement["phones"] = json!([]);
    replacement["name"] = json!("Sportello unico");
    let (status, replaced) = send(
        &app,
        write(
            "PUT",
            &format!("/api/v1/services/{NEW_SERVICE}"),
            Some(&token),
            replacement.to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(
        replaced["phones"],
        json!([]),
        "children left out of a replacement are deleted"
    );
    assert!(
        store
            .get("phone", "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a002")
            .await
            .unwrap()
            .is_none()
    );

    let response = app
        .clone()
        .oneshot(write(
            "DELETE",
            &format!("/api/v1/services/{NEW_SERVICE}"),
            Some(&token),
            Body::empty(),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(
        store
            .get("translation", "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a003")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn bad_writes_are_refused_and_change_nothing() {
    let (app, store) = app().await;
    let token = token(store.as_ref(), ORG).await;
    let other_token = crate::token(store.as_ref(), "cd09a387-91f4-4555-94ec-e799c35344cd").await;
    let before = store.changes_since(0, 10_000).await.unwrap().len();

    let mut dangling = new_service();
    dangling["program_id"] = json!("00000000-0000-4000-8000-000000000000");
    dangling["minimum_age"] = json!("twelve");
    let huge = json!({"id": NEW_SERVICE, "name": "x".repeat(3 * 1024 * 1024), "status": "active", "organization_id": ORG});
    let mut script = new_service();
    script["url"] = json!("javascript:alert(document.cookie)");
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            write("POST", "/api/v1/services", None, new_service().to_string()),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            write(
                "POST",
                "/api/v1/services",
                Some("cv_wrong"),
                new_service().to_string(),
            ),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            write(
                "POST",
                "/api/v1/services",
                Some(&other_token),
                new_service().to_string(),
            ),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            write("POST", "/api/v1/services", Some(&token), "{\"id\": "),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            write("POST", "/api/v1/services", Some(&token), "[1, 2]"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_shape",
        ),
        (
            write(
                "POST",
                "/api/v1/services",
                Some(&token),
                dangling.to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_data",
        ),
        (
            write("POST", "/api/v1/services", Some(&token), script.to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_data",
        ),
        (
            write("POST", "/api/v1/services", Some(&token), huge.to_string()),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            write(
                "PUT",
                &format!("/api/v1/services/{SERVICE}"),
                Some(&token),
                new_service().to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "id_mismatch",
        ),
        (
            write(
                "DELETE",
                &format!("/api/v1/organizations/{ORG}"),
                Some(&token),
                Body::empty(),
            ),
            StatusCode::CONFLICT,
            "still_referenced",
        ),
    ];
    for (request, status, code) in cases {
        let label = format!("{} {}", request.method(), request.uri());
        let (got, body) = send(&app, request).await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{label}: {body}"
        );
    }
    let (_, body) = send(
        &app,
        write(
            "POST",
            "/api/v1/services",
            Some(&token),
            dangling.to_string(),
        ),
    )
    .await;
    let fields: Vec<&str> = body["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"program_id") && fields.contains(&"minimum_age"),
        "{body}"
    );
    assert_eq!(
        store.changes_since(0, 10_000).await.unwrap().len(),
        before,
        "nothing was written"
    );
}

/// Organisation B's rows, made through the write API with B's token: a service with a phone
/// and a schedule, and a location.
const B: &str = "5b0e7c1d-2f3a-4b5c-8d6e-7f8091a2b3c4";
const B_SERVICE: &str = "5b0e7c1d-2f3a-4b5c-8d6e-7f8091a2b301";
const B_PHONE: &str = "5b0e7c1d-2f3a-4b5c-8d6e-7f8091a2b302";
const B_SCHEDULE: &str = "5b0e7c1d-2f3a-4b5c-8d6e-7f8091a2b303";
const B_LOCATION: &str = "5b0e7c1d-2f3a-4b5c-8d6e-7f8091a2b304";

async fn organisation_b(app: &axum::Router, store: &dyn Store) {
    let b = token(store, B).await;
    let bodies = [
        (
            "/api/v1/organizations",
            json!({"id": B, "name": "Cooperativa B", "description": "B"}),
        ),
        (
            "/api/v1/services",
            json!({
                "id": B_SERVICE, "name": "Sportello B", "status": "active", "organization_id": B,
                "phones": [{"id": B_PHONE, "number": "+39 0883 111111"}],
                "schedules": [{"id": B_SCHEDULE, "byday": "MO", "opens_at": "09:00:00", "closes_at": "12:00:00"}]
            }),
        ),
        (
            "/api/v1/locations",
            json!({"id": B_LOCATION, "name": "Sede B", "location_type": "physical", "organization_id": B}),
        ),
    ];
    for (uri, body) in bodies {
        let (status, answer) = send(app, write("POST", uri, Some(&b), body.to_string())).await;
        assert_eq!(status, StatusCode::CREATED, "{uri}: {answer}");
    }
}

#[tokio::test]
async fn a_token_cannot_take_another_organisations_rows_by_nesting_them() {
    let (app, store) = app().await;
    organisation_b(&app, store.as_ref()).await;
    let a = token(store.as_ref(), ORG).await;
    let (status, _) = send(
        &app,
        write(
            "POST",
            "/api/v1/services",
            Some(&a),
            new_service().to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let before = store.changes_since(0, 10_000).await.unwrap().len();

    let with = |property: &str, value: Value| {
        let mut body = new_service();
        body[property] = value;
        body.to_string()
    };
    let own_service = format!("/api/v1/services/{NEW_SERVICE}");
    let attempts = [
        ("B's phone moved under A's service", "PUT", own_service.clone(),
            with("phones", json!([{"id": B_PHONE, "number": "+39 0883 999999"}]))),
        ("B's schedule moved under A's service", "PUT", own_service.clone(),
            with("schedules", json!([{"id": B_SCHEDULE, "byday": "TU", "opens_at": "09:00:00", "closes_at": "10:00:00"}]))),
        ("B's location nested under a new service at location", "PUT", own_service.clone(),
            with("service_at_locations", json!([{"id": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a0aa", "location": {"id": B_LOCATION, "name": "Renamed"}}]))),
        ("a new phone hung on B's location", "PUT", own_service.clone(),
            with("phones", json!([{"id": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a0ab", "number": "1", "location_id": B_LOCATION}]))),
        ("B's service nested under A's organisation", "PUT", format!("/api/v1/organizations/{ORG}"),
            json!({"id": ORG, "name": "A", "services": [{"id": B_SERVICE, "name": "Taken", "status": "active"}]}).to_string()),
    ];
    for (what, method, uri, body) in attempts {
        let (status, answer) = send(&app, write(method, &uri, Some(&a), body)).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{what}: {answer}"
        );
        assert!(
            answer["error"]["problems"]
                .as_array()
                .is_some_and(|p| !p.is_empty()),
            "{what}: the answer names the rows: {answer}"
        );
    }
    assert_eq!(
        store.changes_since(0, 10_000).await.unwrap().len(),
        before,
        "nothing was written"
    );
    let phone = store.get("phone", B_PHONE).await.unwrap().unwrap();
    assert_eq!(phone.text("service_id"), Some(B_SERVICE));
    let location = store.get("location", B_LOCATION).await.unwrap().unwrap();
    assert_eq!(
        (location.text("name"), location.text("organization_id")),
        (Some("Sede B"), Some(B))
    );
    let service = store.get("service", B_SERVICE).await.unwrap().unwrap();
    assert_eq!(service.text("organization_id"), Some(B));

    // Pointing at a partner's location is not taking it: a service may be given there.
    let (status, answer) = send(
        &app,
        write(
            "PUT",
            &own_service,
            Some(&a),
            with(
                "service_at_locations",
                json!([{"id": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a0ac", "location_id": B_LOCATION}]),
            ),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn confidential_addresses_never_reach_the_public() {
    let (app, store) = app().await;
    let token = token(store.as_ref(), ORG).await;
    let location = json!({
        "id": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a101", "location_type": "physical", "organization_id": ORG,
        "name": "Casa rifugio", "confidential": true, "latitude": 42.35, "longitude": 13.4,
        "addresses": [{"id": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a102", "address_1": "Via Segreta 1", "city": "L'Aquila",
            "state_province": "AQ", "postal_code": "67100", "country": "IT", "address_type": "physical"}]
    });
    let (status, _) = send(
        &app,
        write(
            "POST",
            "/api/v1/locations",
            Some(&token),
            location.to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut service = new_service();
    service["service_at_locations"] = json!([{"id": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a103", "location_id": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a101"}]);
    let (status, body) = send(
        &app,
        write(
            "POST",
            "/api/v1/services",
            Some(&token),
            service.to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body.to_string().contains("Via Segreta"),
        "the owner sees the address when writing"
    );

    let (_, public) = get(&app, &format!("/api/hsds/services/{NEW_SERVICE}")).await;
    let text = public.to_string();
    assert!(text.contains("Casa rifugio"));
    assert!(!text.contains("Via Segreta"), "the address is hidden");
    assert!(
        !text.contains("13.4,") && !text.contains("\"latitude\":42.35"),
        "so are the coordinates"
    );
    let (_, near) = get(
        &app,
        "/api/hsds/service_at_locations?proximity=5000&latitude=42.35&longitude=13.4",
    )
    .await;
    assert_eq!(
        near["total_items"], 0,
        "a confidential location is not found by distance"
    );
}
