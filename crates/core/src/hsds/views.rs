//! The shapes the HSDS API answers with, and what the public may not see.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::nested::{Link, RecordIndex, children};
use super::record::Record;

/// A record's one-to-one fields plus the one-to-one fields of the objects it points to, as
/// the HSDS `*_list` responses show them (`service` with its `organization` and `program`).
pub fn list_item(record: &Record, index: &RecordIndex<'_>) -> Map<String, Value> {
    let mut object = record.to_json_object();
    for nesting in children(&record.table) {
        if let Link::ParentField(field) = nesting.link
            && let Some(target) = record
                .text(field)
                .and_then(|id| index.get(nesting.table, id))
        {
            object.insert(
                nesting.property.to_owned(),
                Value::Object(target.to_json_object()),
            );
        }
    }
    object
}

/// The rows an object owns: itself and what nests inside it through its own children
/// (phones, schedules, …), not the objects it merely points to (its organisation). Deleting
/// or replacing an object acts on exactly these.
pub fn owned_rows(root: &Record, index: &RecordIndex<'_>) -> Vec<(String, String)> {
    let mut out = vec![(root.table.clone(), root.id.clone())];
    let mut seen: HashSet<(String, String)> = out.iter().cloned().collect();
    let mut i = 0;
    while i < out.len() {
        let (table, id) = out[i].clone();
        i += 1;
        for nesting in children(&table) {
            let owned: Vec<&Record> = match nesting.link {
                Link::ChildField(field) => index.pointing_at(nesting.table, field, &id),
                Link::Polymorphic { id_field, .. } => {
                    index.pointing_at(nesting.table, id_field, &id)
                }
                Link::ParentField(_) => Vec::new(),
            };
            for r in owned {
                let key = (r.table.clone(), r.id.clone());
                if seen.insert(key.clone()) {
                    out.push(key);
                }
            }
        }
    }
    out
}

/// Whether a location's address must be hidden from the public.
pub fn is_confidential(location: &Record) -> bool {
    location.table == "location" && location.fields.get("confidential") == Some(&Value::Bool(true))
}

/// Removes what the public may not see from a set of rows: the addresses and coordinates of
/// confidential locations. The location itself stays (with `confidential: true`) so a
/// reader knows the address is given on contact.
pub fn redact_for_public(rows: &mut Vec<Record>) {
    let hidden: HashSet<String> = rows
        .iter()
        .filter(|r| is_confidential(r))
        .map(|r| r.id.clone())
        .collect();
    if hidden.is_empty() {
        return;
    }
    rows.retain(|r| {
        !(r.table == "address" && r.text("location_id").is_some_and(|l| hidden.contains(l)))
    });
    for r in rows
        .iter_mut()
        .filter(|r| hidden.contains(&r.id) && r.table == "location")
    {
        r.fields.remove("latitude");
        r.fields.remove("longitude");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidential_addresses_and_coordinates_are_removed() {
        let mut rows = vec![
            Record::new("location", "l1")
                .with("confidential", true)
                .with("latitude", 42.0)
                .with("name", "Casa rifugio"),
            Record::new("address", "a1")
                .with("location_id", "l1")
                .with("address_1", "Via X"),
            Record::new("location", "l2").with("latitude", 41.0),
            Record::new("address", "a2").with("location_id", "l2"),
        ];
        redact_for_public(&mut rows);
        let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["l1", "l2", "a2"]);
        assert!(rows[0].fields.get("latitude").is_none());
        assert_eq!(rows[0].text("name"), Some("Casa rifugio"));
        assert!(rows[1].fields.get("latitude").is_some());
    }

    #[test]
    fn owned_rows_follow_children_not_parents() {
        let rows = vec![
            Record::new("service", "s").with("organization_id", "o"),
            Record::new("organization", "o"),
            Record::new("phone", "p").with("service_id", "s"),
            Record::new("language", "lang").with("phone_id", "p"),
            Record::new("attribute", "a")
                .with("link_id", "s")
                .with("link_entity", "service"),
        ];
        let index = RecordIndex::new(&rows);
        let mut owned: Vec<_> = owned_rows(&rows[0], &index)
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        owned.sort();
        assert_eq!(owned, ["a", "lang", "p", "s"]);
    }
}
