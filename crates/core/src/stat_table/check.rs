//! A checker for JSON-stat 2.0 dataset documents, written from the format's description, so
//! tests (ours and the web layer's) can hold every export to it.

use serde_json::Value;

/// The rules of the JSON-stat 2.0 dataset format (<https://json-stat.org/full/>) a reader
/// relies on; returns every violation.
pub fn json_stat_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut fail = |p: String| problems.push(p);
    if doc["version"] != "2.0" {
        fail(format!("version is {}, not \"2.0\"", doc["version"]));
    }
    if doc["class"] != "dataset" {
        fail(format!("class is {}, not \"dataset\"", doc["class"]));
    }
    let ids: Vec<&str> = doc["id"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if doc["id"].as_array().map(Vec::len) != Some(ids.len()) || ids.is_empty() {
        fail("id is not a non-empty array of strings".into());
    }
    let mut seen = std::collections::HashSet::new();
    for id in &ids {
        if !seen.insert(id) {
            fail(format!("dimension id {id} repeats"));
        }
    }
    let sizes: Vec<u64> = doc["size"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    if sizes.len() != ids.len() || doc["size"].as_array().map(Vec::len) != Some(ids.len()) {
        fail("size does not have one integer per id".into());
    }
    for (id, size) in ids.iter().zip(&sizes) {
        let d = &doc["dimension"][id];
        if !d.is_object() {
            fail(format!("dimension {id} is not described"));
            continue;
        }
        let index = &d["category"]["index"];
        let codes: Vec<String> = match index {
            Value::Object(m) => {
                let mut positions: Vec<u64> = m.values().filter_map(Value::as_u64).collect();
                positions.sort_unstable();
                if positions != (0..*size).collect::<Vec<_>>() {
                    fail(format!("dimension {id}: index positions are not 0..{size}"));
                }
                m.keys().cloned().collect()
            }
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ if *size == 1
                && let Some(labels) = d["category"]["label"].as_object()
                && labels.len() == 1 =>
            {
                labels.keys().cloned().collect()
            }
            _ => {
                fail(format!("dimension {id}: no category index"));
                vec![]
            }
        };
        if codes.len() as u64 != *size {
            fail(format!(
                "dimension {id}: {} categories, size {size}",
                codes.len()
            ));
        }
        if let Some(labels) = d["category"]["label"].as_object() {
            for code in labels.keys() {
                if !codes.contains(code) {
                    fail(format!("dimension {id}: label for unknown category {code}"));
                }
            }
        }
    }
    if let Some(dims) = doc["dimension"].as_object() {
        for key in dims.keys() {
            if !ids.contains(&key.as_str()) {
                fail(format!("dimension {key} is not in id"));
            }
        }
    }
    let cells: u64 = sizes.iter().product();
    match &doc["value"] {
        Value::Array(a) => {
            if a.len() as u64 != cells {
                fail(format!("value has {} entries for {cells} cells", a.len()));
            }
            if a.iter().any(|v| !(v.is_number() || v.is_null())) {
                fail("value holds something other than numbers and nulls".into());
            }
        }
        Value::Object(m) => {
            if m.keys()
                .any(|k| k.parse::<u64>().map_or(true, |i| i >= cells))
            {
                fail("value has a key that is not a cell index".into());
            }
        }
        _ => fail("value is neither an array nor an object".into()),
    }
    match &doc["status"] {
        Value::Null | Value::String(_) => {}
        Value::Array(a) => {
            if a.len() as u64 != cells && a.len() != 1 {
                fail("status array does not match the cells".into());
            }
        }
        Value::Object(m) => {
            if m.keys()
                .any(|k| k.parse::<u64>().map_or(true, |i| i >= cells))
            {
                fail("status has a key that is not a cell index".into());
            }
        }
        _ => fail("status is not a string, array or object".into()),
    }
    if let Some(updated) = doc["updated"].as_str()
        && chrono::NaiveDate::parse_from_str(updated.get(..10).unwrap_or(updated), "%Y-%m-%d")
            .is_err()
    {
        fail(format!("updated {updated:?} is not an ISO 8601 date"));
    }
    if let Some(role) = doc["role"].as_object() {
        for (name, list) in role {
            if !["time", "geo", "metric"].contains(&name.as_str()) {
                fail(format!("unknown role {name}"));
            }
            for id in list.as_array().into_iter().flatten() {
                if !id.as_str().is_some_and(|id| ids.contains(&id)) {
                    fail(format!("role {name} names {id}, not a dimension"));
                }
            }
        }
    }
    problems
}
