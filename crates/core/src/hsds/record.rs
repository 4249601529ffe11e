//! A flat HSDS row, the one shape every format converts to and from.
//!
//! The tabular format is already flat; the nested JSON format is flattened on import (a child
//! gets its parent's id in its reference field) and rebuilt on export (see `nested`). Values are
//! typed JSON values: strings, numbers and booleans, never null (an absent field is a missing
//! key), so two records are equal exactly when they hold the same data.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::schema::{EntitySpec, FieldKind, Reference, registry};
use super::validate::ProblemCode;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub table: String,
    pub id: String,
    /// Every field but `id`, absent fields omitted. Fields beyond the standard are kept
    /// (HSDS allows extensions) and written back on export.
    pub fields: Map<String, Value>,
}

impl Record {
    pub fn new(table: &str, id: impl Into<String>) -> Self {
        Record {
            table: table.to_owned(),
            id: id.into(),
            fields: Map::new(),
        }
    }

    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.set(field, value);
        self
    }

    /// Sets a field; `Value::Null` removes it.
    pub fn set(&mut self, field: &str, value: impl Into<Value>) {
        match value.into() {
            Value::Null => {
                self.fields.remove(field);
            }
            v => {
                self.fields.insert(field.to_owned(), v);
            }
        }
    }

    pub fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }

    pub fn spec(&self) -> &'static EntitySpec {
        registry()
            .get(&self.table)
            .expect("records are only built for known tables")
    }

    /// The ids this record points to, with the field and the table each must be found in
    /// (`None` when any table will do: for `attribute.link_id` and `metadata.resource_id` the
    /// type field is a hint that real data gets wrong — the official example names `location`
    /// for a service — so only an id found nowhere is an error).
    pub fn references(&self) -> Vec<(&str, &str, Option<&'static str>)> {
        self.spec()
            .references()
            .filter_map(|(field, reference)| {
                let target = self.text(&field.name)?;
                let table = match reference {
                    Reference::Table(t) => Some(*t),
                    Reference::AnyTable { .. } => None,
                };
                Some((field.name.as_str(), target, table))
            })
            .collect()
    }

    /// The record as an HSDS JSON object with `id` first, fields in the standard's order and
    /// extension fields after them.
    pub fn to_json_object(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("id".into(), Value::String(self.id.clone()));
        let spec = self.spec();
        for field in &spec.fields {
            if let Some(v) = self.fields.get(&field.name) {
                out.insert(field.name.clone(), v.clone());
            }
        }
        for (k, v) in &self.fields {
            if spec.field(k).is_none() {
                out.insert(k.clone(), v.clone());
            }
        }
        out
    }
}

/// Text a lookup or a search should see for a record, lowercase.
pub fn searchable_text(record: &Record) -> String {
    ["name", "alternate_name", "description", "synonyms"]
        .iter()
        .filter_map(|f| record.text(f))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Why a single value is not acceptable for a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    pub code: ProblemCode,
    pub message: String,
}

fn value_error(code: ProblemCode, message: impl Into<String>) -> ValueError {
    ValueError {
        code,
        message: message.into(),
    }
}

/// Converts a CSV cell to the field's typed value; an empty cell is `Ok(None)`. Text keeps its
/// spaces (exporting gives back what was imported); typed values are trimmed.
pub fn parse_cell(kind: FieldKind, cell: &str) -> Result<Option<Value>, ValueError> {
    if cell.trim().is_empty() {
        return Ok(None);
    }
    if kind == FieldKind::Text {
        return Ok(Some(Value::String(cell.to_owned())));
    }
    let cell = cell.trim();
    let value = match kind {
        FieldKind::Number => {
            let n: serde_json::Number = cell.parse().map_err(|_| {
                value_error(ProblemCode::NotANumber, format!("'{cell}' is not a number"))
            })?;
            Value::Number(n)
        }
        FieldKind::Boolean => match cell.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Value::Bool(true),
            "false" | "0" | "no" => Value::Bool(false),
            _ => {
                return Err(value_error(
                    ProblemCode::NotABoolean,
                    format!("'{cell}' is not true or false"),
                ));
            }
        },
        _ => Value::String(cell.to_owned()),
    };
    check_value(kind, &value).map(Some)
}

/// Checks a typed value against the field's kind and normalises it (UUIDs lowercase, times
/// `HH:MM:SS`).
/// The URI schemes a directory field may hold. Directory URIs become links on public pages
/// that share their origin with the desk: `javascript:` or `data:` there would run in the
/// visitor's session. Only web addresses (and mail, phone and URN identifiers) are taken.
pub const URI_SCHEMES: &[&str] = &["http", "https", "mailto", "tel", "urn"];

/// Whether `s` is an http(s) address, the only kind a page renders as a link to a website
/// (a row stored before [`URI_SCHEMES`] existed may hold anything).
pub fn is_web_address(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, rest)| {
        (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
            && !rest.is_empty()
    })
}

pub fn check_value(kind: FieldKind, value: &Value) -> Result<Value, ValueError> {
    let text = || {
        value.as_str().ok_or_else(|| {
            value_error(
                ProblemCode::WrongType,
                format!("expected text, found {}", json_type(value)),
            )
        })
    };
    match kind {
        FieldKind::Number if value.is_number() => Ok(value.clone()),
        FieldKind::Number => Err(value_error(
            ProblemCode::WrongType,
            format!("expected a number, found {}", json_type(value)),
        )),
        FieldKind::Boolean if value.is_boolean() => Ok(value.clone()),
        FieldKind::Boolean => Err(value_error(
            ProblemCode::WrongType,
            format!("expected true or false, found {}", json_type(value)),
        )),
        FieldKind::Text => text().map(|_| value.clone()),
        FieldKind::Uuid => {
            let s = text()?;
            uuid::Uuid::parse_str(s)
                .map(|u| Value::String(u.hyphenated().to_string()))
                .map_err(|_| value_error(ProblemCode::NotAUuid, format!("'{s}' is not a UUID")))
        }
        FieldKind::Email => {
            let s = text()?;
            let ok = s
                .split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
                && !s.contains(char::is_whitespace);
            ok.then(|| value.clone()).ok_or_else(|| {
                value_error(
                    ProblemCode::NotAnEmail,
                    format!("'{s}' is not an e-mail address"),
                )
            })
        }
        FieldKind::Uri => {
            let s = text()?;
            let scheme = s.split_once(':').and_then(|(scheme, rest)| {
                let ok = !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                    && !rest.is_empty()
                    && !s.contains(char::is_whitespace);
                ok.then(|| scheme.to_ascii_lowercase())
            });
            match scheme {
                None => Err(value_error(
                    ProblemCode::NotAUri,
                    format!("'{s}' is not a URI"),
                )),
                Some(scheme) if !URI_SCHEMES.contains(&scheme.as_str()) => Err(value_error(
                    ProblemCode::UriSchemeNotAllowed,
                    format!(
                        "'{scheme}:' addresses are not accepted; use an http:// or https:// address"
                    ),
                )),
                Some(_) => Ok(value.clone()),
            }
        }
        FieldKind::Date => {
            let s = text()?;
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|_| value.clone())
                .map_err(|_| {
                    value_error(
                        ProblemCode::NotADate,
                        format!("'{s}' is not a date (YYYY-MM-DD)"),
                    )
                })
        }
        FieldKind::Time => {
            let s = text()?;
            chrono::NaiveTime::parse_from_str(s, "%H:%M:%S")
                .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M"))
                .map(|t| Value::String(t.format("%H:%M:%S").to_string()))
                .map_err(|_| {
                    value_error(
                        ProblemCode::NotATime,
                        format!("'{s}' is not a time (HH:MM:SS)"),
                    )
                })
        }
        FieldKind::DateTime => {
            let s = text()?;
            let ok = chrono::DateTime::parse_from_rfc3339(s).is_ok()
                || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
                || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").is_ok();
            ok.then(|| value.clone()).ok_or_else(|| {
                value_error(
                    ProblemCode::NotADatetime,
                    format!("'{s}' is not a date and time (RFC 3339)"),
                )
            })
        }
    }
}

/// A value as a CSV cell.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_typed_values() {
        assert_eq!(
            parse_cell(FieldKind::Number, "12").unwrap(),
            Some(12.into())
        );
        assert_eq!(parse_cell(FieldKind::Number, " ").unwrap(), None);
        assert_eq!(
            parse_cell(FieldKind::Boolean, "TRUE").unwrap(),
            Some(true.into())
        );
        assert_eq!(
            parse_cell(FieldKind::Time, "9:30").unwrap(),
            Some("09:30:00".into())
        );
        assert_eq!(
            parse_cell(FieldKind::Uuid, "AC148810-D857-441C-9679-408F346DE14B").unwrap(),
            Some("ac148810-d857-441c-9679-408f346de14b".into())
        );
    }

    #[test]
    fn bad_cells_say_why() {
        assert_eq!(
            parse_cell(FieldKind::Number, "twelve").unwrap_err().code,
            "not_a_number"
        );
        assert_eq!(
            parse_cell(FieldKind::Date, "31/12/2024").unwrap_err().code,
            "not_a_date"
        );
        assert_eq!(
            parse_cell(FieldKind::Email, "nobody").unwrap_err().code,
            "not_an_email"
        );
        assert_eq!(
            check_value(FieldKind::Text, &Value::from(3))
                .unwrap_err()
                .code,
            "wrong_type"
        );
    }

    #[test]
    fn only_safe_uri_schemes_are_taken_and_only_web_addresses_are_links() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<b>",
            "vbscript:x",
        ] {
            assert_eq!(
                check_value(FieldKind::Uri, &Value::from(bad))
                    .unwrap_err()
                    .code,
                "uri_scheme_not_allowed",
                "{bad}"
            );
        }
        for good in [
            "https://example.it/a",
            "HTTP://x.it",
            "mailto:a@b.it",
            "tel:+390862",
        ] {
            assert!(
                check_value(FieldKind::Uri, &Value::from(good)).is_ok(),
                "{good}"
            );
        }
        assert!(is_web_address("https://example.it") && is_web_address("HTTP://x.it"));
        assert!(!is_web_address("javascript://%0aalert(1)") && !is_web_address("mailto:a@b.it"));
    }
}
