//! The committed `crates/web/openapi.json` is exactly what the server serves: an API change
//! shows up as a diff in review. Run with `UPDATE_OPENAPI=1` to rewrite the file after an
//! intended change.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::Path;

use crocevia_web::openapi::document;

#[test]
fn the_committed_openapi_document_matches_the_served_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let served = serde_json::to_string_pretty(&document()).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &served).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == served,
        "crates/web/openapi.json differs from the served document; if the API change is intended, run UPDATE_OPENAPI=1 cargo test -p crocevia-web --test openapi and commit the file"
    );
}

#[test]
fn the_document_describes_both_apis() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/hsds/",
        "/api/hsds/services",
        "/api/hsds/services/{id}",
        "/api/hsds/service_at_locations",
        "/api/v1/services",
        "/api/v1/services/{id}",
        "/healthz",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    assert!(doc["paths"]["/api/v1/services"]["post"]["security"].is_array());
}
