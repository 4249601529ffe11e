//! The OpenAPI 3.1 document for both APIs, served at `/api/openapi.json` and committed as
//! `crates/web/openapi.json` (a test fails when they differ, so an API change shows as a diff).
//!
//! The HSDS part is the standard's own `openapi.json` (CC BY-SA 4.0, Open Referral), with its
//! paths moved under `/api/hsds`; our write API and operations endpoints are added to it.

use serde_json::{Map, Value, json};

const HSDS_OPENAPI: &str = include_str!("../hsds-openapi.json");

pub fn document() -> Value {
    let hsds: Value = serde_json::from_str(HSDS_OPENAPI).expect("embedded HSDS OpenAPI is JSON");
    let mut paths = Map::new();
    for (path, item) in hsds["paths"].as_object().expect("paths") {
        let mut item = item.clone();
        if path == "/service_at_locations" {
            let params = item["get"]["parameters"]
                .as_array_mut()
                .expect("parameters");
            for (name, description) in [
                (
                    "latitude",
                    "Crocevia extension: latitude of the point `proximity` is measured from (with longitude), instead of a postcode.",
                ),
                (
                    "longitude",
                    "Crocevia extension: longitude of the point `proximity` is measured from.",
                ),
            ] {
                params.push(json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "number"}}));
            }
        }
        let full = if path == "/" {
            "/api/hsds/".to_owned()
        } else {
            format!("/api/hsds{path}")
        };
        paths.insert(full, item);
    }
    for (kind, plural) in [
        ("organization", "organizations"),
        ("service", "services"),
        ("location", "locations"),
    ] {
        paths.insert(format!("/api/v1/{plural}"), json!({
            "post": write_operation(kind, &format!("create_{kind}"), "Creates a {kind} with everything nested in it. 409 already_exists when the id is taken.", "201")
        }));
        paths.insert(format!("/api/v1/{plural}/{{id}}"), json!({
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
            "put": write_operation(kind, &format!("replace_{kind}"), "Replaces a {kind} and what is nested in it: nested rows left out are deleted.", "200"),
            "delete": {
                "operationId": format!("delete_{kind}"),
                "summary": format!("Deletes a {kind} and what is nested in it; 409 still_referenced while other rows point to it."),
                "security": [{"bearer": []}],
                "responses": error_responses(json!({"204": {"description": "Deleted."}}))
            }
        }));
    }
    paths.extend(crate::territory_api::openapi_paths());
    paths.extend(crate::observatory::api::openapi_paths());
    paths.extend(crate::observatory::indicators_api::openapi_paths());
    paths.insert("/api/search".into(), json!({"get": {
        "operationId": "search",
        "summary": "Searches services in any supported language, with typo tolerance, facet counts and how the query was understood.",
        "parameters": [
            {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": crocevia_search::query::MAX_QUERY_CHARS}, "description": "Free text in any language, at most 256 characters (longer: 400 query_too_long). Only the first 12 words are read; words over 30 letters are matched as typed, without typo correction."},
            {"name": "lang", "in": "query", "schema": {"type": "string"}, "description": "The searcher's language (names and snippets in it when translated)."},
            {"name": "need", "in": "query", "schema": {"type": "string"}, "description": "Needs-taxonomy codes, comma-separated (narrower terms included)."},
            {"name": "comune", "in": "query", "schema": {"type": "string"}, "description": "ISTAT comune code; with radius_km alone, the centre distance is measured from."},
            {"name": "province", "in": "query", "schema": {"type": "string"}},
            {"name": "region", "in": "query", "schema": {"type": "string"}},
            {"name": "language", "in": "query", "schema": {"type": "string"}, "description": "A language the service speaks (ISO 639-1)."},
            {"name": "free", "in": "query", "schema": {"type": "boolean"}},
            {"name": "accessible", "in": "query", "schema": {"type": "boolean"}},
            {"name": "open_now", "in": "query", "schema": {"type": "boolean"}, "description": "Open now in Europe/Rome, holidays included."},
            {"name": "verbatim", "in": "query", "schema": {"type": "boolean"}, "description": "Search the words as typed: no typo correction (what the portal's \"search instead for\" link asks)."},
            {"name": "latitude", "in": "query", "schema": {"type": "number"}},
            {"name": "longitude", "in": "query", "schema": {"type": "number"}},
            {"name": "radius_km", "in": "query", "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": 500}},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
            {"name": "facet_limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 50}, "description": "Comuni and provinces listed in the facet counts, most frequent first (the other facet lists are always whole)."}
        ],
        "responses": {
            "200": {"description": "total, hits (id, score, distance_km, name, snippet), facets and interpretation (categories, corrections, relaxed, emergencies: urgent needs the text names — violence, health, shelter, trafficking — whose emergency numbers belong above the results).", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"description": "Invalid parameter (invalid_parameter), or q too long (query_too_long).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
    }}));
    paths.insert("/healthz".into(), json!({"get": {"operationId": "healthz", "summary": "Liveness, database reachability and whether the search index is built (`search`: `ready` or `building`).", "responses": {"200": {"description": "Up."}, "503": {"description": "The database cannot be reached."}}}}));
    paths.insert("/metrics".into(), json!({"get": {
        "operationId": "metrics",
        "summary": "Prometheus metrics (text exposition format).",
        "description": "With `[metrics] token` (CROCEVIA_METRICS_TOKEN) configured, only for `Authorization: Bearer <token>`; without it, only for requests from this host (a loopback peer, not forwarded by a proxy).",
        "security": [{"metrics": []}],
        "responses": {
            "200": {"description": "Metrics.", "content": {"text/plain": {}}},
            "401": {"description": "A token is configured and the request did not send it (`metrics_unauthorized`).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "403": {"description": "No token is configured and the request is not from this host (`metrics_forbidden`).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
    }}));
    paths.insert("/api/credits".into(), json!({"get": {"operationId": "credits", "summary": "Sources and licences of the data Crocevia ships.", "responses": {"200": {"description": "Credits.", "content": {"application/json": {}}}}}}));
    paths.insert("/api/openapi.json".into(), json!({"get": {"operationId": "openapi", "summary": "This document.", "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {}}}}}}));

    // Searching is rate limited per client address (`[rate_limits] search`).
    let too_many = json!({"description": "Too many searches from this address (`rate_limited`); the Retry-After header says how many seconds to wait.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    for (_, item) in paths.iter_mut() {
        let Some(get) = item.get_mut("get") else {
            continue;
        };
        let searches = get["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "search" || p["name"] == "q"));
        if let (true, Some(responses)) = (searches, get["responses"].as_object_mut()) {
            responses.insert("429".into(), too_many.clone());
        }
    }
    let mut components = hsds["components"].clone();
    components["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer", "description": "An organisation's API token (crocevia token create)."},
        "metrics": {"type": "http", "scheme": "bearer", "description": "The metrics token of the server's configuration ([metrics] token)."}
    });
    components["schemas"]["Error"] = json!({
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "description": "Stable machine-readable code."},
            "message": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "object", "properties": {
                "file": {"type": "string"}, "row": {"type": "integer"}, "path": {"type": "string"},
                "field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}}}
        }}}
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Crocevia API",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "The HSDS 3.0 directory API and Crocevia's own write API.",
            "description": "Read the service directory as Open Referral HSDS 3.0 under /api/hsds; organisations write their own records under /api/v1 with a bearer token. Errors are JSON with a stable code. The HSDS part follows the Open Referral specification (CC BY-SA 4.0).",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}
        },
        "jsonSchemaDialect": hsds["jsonSchemaDialect"],
        "paths": paths,
        "components": components
    })
}

fn write_operation(kind: &str, id: &str, summary: &str, success: &str) -> Value {
    json!({
        "operationId": id,
        "summary": summary.replace("{kind}", kind),
        "security": [{"bearer": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "description": format!("An HSDS {kind} object; nested objects as in the HSDS API.")}}}},
        "responses": error_responses(json!({success: {"description": format!("The saved {kind}, nested."), "content": {"application/json": {"schema": {"type": "object"}}}}}))
    })
}

fn error_responses(mut ok: Value) -> Value {
    let error = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    for (status, description) in [
        ("400", "Malformed JSON or parameters."),
        ("401", "No valid bearer token."),
        ("403", "The token's organisation does not own the record."),
        ("404", "No such record."),
        (
            "409",
            "Conflict: the id exists, or the record is still referenced.",
        ),
        ("413", "Body too large."),
        (
            "422",
            "Invalid data: every problem is listed with its path and field.",
        ),
    ] {
        let mut e = error.clone();
        e["description"] = json!(description);
        ok[status] = e;
    }
    ok
}
