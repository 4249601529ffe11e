//! The nested JSON form of HSDS (`service_full`, `organization_full`, …) to and from flat
//! records.
//!
//! One table, [`children`], says which object nests which and through which field; flattening
//! and assembling both read it, so they cannot disagree.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use super::record::Record;

/// How a nested object is tied to the object it sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The child's field holds the parent's id (`phone.service_id`).
    ChildField(&'static str),
    /// The parent's field holds the child's id (`service.organization_id`); nested as one object.
    ParentField(&'static str),
    /// The child's `id_field` holds the parent's id and its `table_field` the parent's table
    /// (`attribute.link_id` + `link_entity`).
    Polymorphic {
        id_field: &'static str,
        table_field: &'static str,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Nesting {
    pub property: &'static str,
    pub table: &'static str,
    pub link: Link,
}

const fn child(property: &'static str, table: &'static str, field: &'static str) -> Nesting {
    Nesting {
        property,
        table,
        link: Link::ChildField(field),
    }
}

const fn parent(property: &'static str, table: &'static str, field: &'static str) -> Nesting {
    Nesting {
        property,
        table,
        link: Link::ParentField(field),
    }
}

const ATTRIBUTES: Nesting = Nesting {
    property: "attributes",
    table: "attribute",
    link: Link::Polymorphic {
        id_field: "link_id",
        table_field: "link_entity",
    },
};
const METADATA: Nesting = Nesting {
    property: "metadata",
    table: "metadata",
    link: Link::Polymorphic {
        id_field: "resource_id",
        table_field: "resource_type",
    },
};
/// Our extension: translations of a record's text fields.
const TRANSLATIONS: Nesting = Nesting {
    property: "translations",
    table: "translation",
    link: Link::Polymorphic {
        id_field: "link_id",
        table_field: "link_entity",
    },
};

/// What nests inside an object of `table`, in the order the HSDS schemas list it.
pub fn children(table: &str) -> &'static [Nesting] {
    match table {
        "organization" => {
            const {
                &[
                    child("funding", "funding", "organization_id"),
                    child("contacts", "contact", "organization_id"),
                    child("phones", "phone", "organization_id"),
                    child("locations", "location", "organization_id"),
                    child("programs", "program", "organization_id"),
                    child(
                        "organization_identifiers",
                        "organization_identifier",
                        "organization_id",
                    ),
                    ATTRIBUTES,
                    METADATA,
                    TRANSLATIONS,
                ]
            }
        }
        "service" => {
            const {
                &[
                    child("phones", "phone", "service_id"),
                    child("schedules", "schedule", "service_id"),
                    child("service_areas", "service_area", "service_id"),
                    child("service_at_locations", "service_at_location", "service_id"),
                    child("languages", "language", "service_id"),
                    parent("organization", "organization", "organization_id"),
                    child("funding", "funding", "service_id"),
                    child("cost_options", "cost_option", "service_id"),
                    parent("program", "program", "program_id"),
                    child("required_documents", "required_document", "service_id"),
                    child("contacts", "contact", "service_id"),
                    ATTRIBUTES,
                    METADATA,
                    TRANSLATIONS,
                ]
            }
        }
        "service_at_location" => {
            const {
                &[
                    child("contacts", "contact", "service_at_location_id"),
                    child("phones", "phone", "service_at_location_id"),
                    child("schedules", "schedule", "service_at_location_id"),
                    parent("location", "location", "location_id"),
                    ATTRIBUTES,
                    METADATA,
                ]
            }
        }
        "location" => {
            const {
                &[
                    child("languages", "language", "location_id"),
                    child("addresses", "address", "location_id"),
                    child("contacts", "contact", "location_id"),
                    child("accessibility", "accessibility", "location_id"),
                    child("phones", "phone", "location_id"),
                    child("schedules", "schedule", "location_id"),
                    ATTRIBUTES,
                    METADATA,
                ]
            }
        }
        "contact" => const { &[child("phones", "phone", "contact_id"), ATTRIBUTES, METADATA] },
        "phone" => {
            const {
                &[
                    child("languages", "language", "phone_id"),
                    ATTRIBUTES,
                    METADATA,
                ]
            }
        }
        "attribute" => {
            const {
                &[
                    parent("taxonomy_term", "taxonomy_term", "taxonomy_term_id"),
                    METADATA,
                ]
            }
        }
        "taxonomy_term" => {
            const {
                &[
                    parent("taxonomy_detail", "taxonomy", "taxonomy_id"),
                    METADATA,
                    TRANSLATIONS,
                ]
            }
        }
        "taxonomy" => &[METADATA],
        "metadata" | "translation" => &[],
        _ => &[ATTRIBUTES, METADATA],
    }
}

/// What nests only at the top of an API answer: `organization_full` lists the organisation's
/// services and `service_at_location_full` shows its service. Deeper down they would repeat
/// the whole directory, so assembling adds them only at the root (see the web crate).
pub fn root_children(table: &str) -> &'static [Nesting] {
    match table {
        "organization" => const { &[child("services", "service", "organization_id")] },
        "service_at_location" => const { &[parent("service", "service", "service_id")] },
        _ => &[],
    }
}

/// Where a flattened record came from inside a JSON document, as a path
/// (`service_at_locations[0].location`).
#[derive(Debug, Clone, PartialEq)]
pub struct Flattened {
    pub record: Record,
    pub path: String,
}

/// Why a JSON object cannot be read as an HSDS object at all.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeError {
    pub path: String,
    pub message: String,
}

/// Flattens one nested object of `table` into records, children after their parent.
pub fn flatten(table: &str, object: &Value, path: &str) -> Result<Vec<Flattened>, ShapeError> {
    let mut out = Vec::new();
    flatten_into(table, object, path, &[], &mut out)?;
    Ok(out)
}

fn flatten_into(
    table: &str,
    object: &Value,
    path: &str,
    // Fields that tie the object to the one it sits in, set unless the object sets them itself.
    links: &[(&'static str, Value)],
    out: &mut Vec<Flattened>,
) -> Result<String, ShapeError> {
    let Value::Object(map) = object else {
        return Err(ShapeError {
            path: path.to_owned(),
            message: format!("expected a {table} object"),
        });
    };
    let id = match map.get("id") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => {
            return Err(ShapeError {
                path: path.to_owned(),
                message: format!("a {table} object needs an \"id\" (a UUID)"),
            });
        }
    };
    let mut record = Record::new(table, id.clone());
    let root_extra = if path.is_empty() {
        root_children(table)
    } else {
        &[]
    };
    let nestings = children(table);
    let mut nested: Vec<(&Nesting, &Value)> = Vec::new();
    for (key, value) in map {
        if key == "id" {
            continue;
        }
        if let Some(n) = nestings
            .iter()
            .chain(root_extra)
            .find(|n| n.property == key)
        {
            nested.push((n, value));
            continue;
        }
        record.set(key, value.clone());
    }
    for (field, value) in links {
        record.fields.entry(*field).or_insert_with(|| value.clone());
    }
    let slot = out.len();
    out.push(Flattened {
        record,
        path: path.to_owned(),
    });
    for (nesting, value) in nested {
        let child_path = format!(
            "{}{}{}",
            path,
            if path.is_empty() { "" } else { "." },
            nesting.property
        );
        match nesting.link {
            Link::ParentField(field) => {
                if value.is_null() {
                    continue;
                }
                let child_slot = out.len();
                let child_id = flatten_into(nesting.table, value, &child_path, &[], out)?;
                inherit_organization(out, slot, child_slot);
                out[slot]
                    .record
                    .fields
                    .entry(field)
                    .or_insert(Value::String(child_id));
            }
            Link::ChildField(field) => {
                for (i, item) in as_list(value, &child_path)?.iter().enumerate() {
                    let p = format!("{child_path}[{i}]");
                    let links = [(field, Value::String(id.clone()))];
                    flatten_into(nesting.table, item, &p, &links, out)?;
                }
            }
            Link::Polymorphic {
                id_field,
                table_field,
            } => {
                for (i, item) in as_list(value, &child_path)?.iter().enumerate() {
                    let p = format!("{child_path}[{i}]");
                    let links = [
                        (id_field, Value::String(id.clone())),
                        (table_field, Value::String(table.to_owned())),
                    ];
                    flatten_into(nesting.table, item, &p, &links, out)?;
                }
            }
        }
    }
    Ok(id)
}

/// A nested object that points nowhere by itself (the `program` of a `service_full`) belongs to
/// the organisation of the object it sits in; HSDS examples leave its `organization_id` out.
fn inherit_organization(out: &mut [Flattened], parent: usize, child: usize) {
    let Some(org) = out[parent].record.fields.get("organization_id").cloned() else {
        return;
    };
    let record = &mut out[child].record;
    if record.spec().field("organization_id").is_some() {
        record.fields.entry("organization_id").or_insert(org);
    }
}

fn as_list<'a>(value: &'a Value, path: &str) -> Result<&'a [Value], ShapeError> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(&[]),
        _ => Err(ShapeError {
            path: path.to_owned(),
            message: "expected a list".to_owned(),
        }),
    }
}

/// Every record of a dataset, indexed for assembling nested objects.
pub struct RecordIndex<'a> {
    by_id: HashMap<(&'a str, &'a str), &'a Record>,
    /// (target id, table, field) -> the records of `table` whose reference `field` holds that
    /// id, by id. Keyed by all three so a lookup touches only its answer: an organisation
    /// with 100,000 services is pointed at by all of them, and each of its phones must not
    /// be looked for among those.
    pointing: HashMap<(&'a str, &'a str, &'a str), Vec<&'a Record>>,
    /// Lookups and the rows they looked at so far: the work done, which tests keep linear
    /// (a lookup that scans must count what it scans).
    examined: AtomicU64,
}

impl<'a> RecordIndex<'a> {
    pub fn new(records: impl IntoIterator<Item = &'a Record>) -> Self {
        let mut by_id = HashMap::new();
        let mut pointing: HashMap<_, Vec<_>> = HashMap::new();
        for r in records {
            by_id.insert((r.table.as_str(), r.id.as_str()), r);
            for (field, value) in &r.fields {
                if let Value::String(target) = value
                    && (field.ends_with("_id") || field == "link_id")
                {
                    pointing
                        .entry((target.as_str(), r.table.as_str(), field.as_str()))
                        .or_default()
                        .push(r);
                }
            }
        }
        for list in pointing.values_mut() {
            list.sort_by(|a, b| a.id.cmp(&b.id));
        }
        RecordIndex {
            by_id,
            pointing,
            examined: AtomicU64::new(0),
        }
    }

    pub fn get(&self, table: &str, id: &str) -> Option<&'a Record> {
        self.examined.fetch_add(1, Ordering::Relaxed);
        self.by_id.get(&(table, id)).copied()
    }

    /// The records of `table` whose `field` refers to `id`, by id.
    pub fn pointing_at(&self, table: &str, field: &str, id: &str) -> Vec<&'a Record> {
        let found = self
            .pointing
            .get(&(id, table, field))
            .map_or(&[][..], Vec::as_slice);
        self.examined
            .fetch_add(1 + found.len() as u64, Ordering::Relaxed);
        found.to_vec()
    }

    /// How many lookups and rows the index has answered with so far.
    pub fn rows_examined(&self) -> u64 {
        self.examined.load(Ordering::Relaxed)
    }

    /// The nested JSON object for a record, as the HSDS `*_full` responses show it. The field
    /// that points back to the enclosing object is left out, as in the standard's examples.
    pub fn assemble(&self, record: &Record) -> Map<String, Value> {
        self.assemble_inner(record, None, Parents::Nest, &mut Placed::default())
    }

    /// The nested object for a record with only the rows it owns: what it points at
    /// (`service.organization_id`, `service_at_location.location_id`) stays an id, so every
    /// row appears once in the bundle export however many services share an organisation.
    /// Adds every record it places to `placed`.
    pub fn assemble_owned(&self, record: &Record, placed: &mut Placed) -> Map<String, Value> {
        self.assemble_inner(record, None, Parents::AsIds, placed)
    }

    fn assemble_inner(
        &self,
        record: &Record,
        omit: Option<&str>,
        parents: Parents,
        placed: &mut Placed,
    ) -> Map<String, Value> {
        placed.insert(&record.table, &record.id);
        let mut object = record.to_json_object();
        if let Some(field) = omit {
            object.remove(field);
        }
        for nesting in children(&record.table) {
            let value = match nesting.link {
                Link::ParentField(_) if parents == Parents::AsIds => continue,
                Link::ParentField(field) => match record
                    .text(field)
                    .and_then(|id| self.get(nesting.table, id))
                {
                    Some(target) => {
                        Value::Object(self.assemble_inner(target, None, parents, placed))
                    }
                    None => continue,
                },
                // The table field of a polymorphic link is only a hint (see
                // `Record::references`): ids are UUIDs.
                Link::ChildField(field)
                | Link::Polymorphic {
                    id_field: field, ..
                } => Value::Array(
                    self.pointing_at(nesting.table, field, &record.id)
                        .iter()
                        .map(|c| {
                            Value::Object(self.assemble_inner(c, Some(field), parents, placed))
                        })
                        .collect(),
                ),
            };
            object.insert(nesting.property.to_owned(), value);
        }
        object
    }
}

/// Whether assembling nests the objects a record points at (its parents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parents {
    /// As the API answers show them: a service carries its whole organisation.
    Nest,
    /// As ids only, each row under the one object that owns it.
    AsIds,
}

/// The rows already written inside a nested object, so that a bundle lists the others
/// separately. Ids are UUIDs (validation normalises them to lower case), kept here as 16
/// bytes so a national directory's millions of rows fit in tens of megabytes; any other id is
/// kept as text.
#[derive(Debug, Default)]
pub struct Placed {
    uuids: HashMap<String, HashSet<u128>>,
    others: HashSet<(String, String)>,
}

impl Placed {
    fn as_uuid(id: &str) -> Option<u128> {
        // Only the canonical form, so two spellings of one UUID stay two ids, as in the store.
        (id.len() == 36 && !id.bytes().any(|b| b.is_ascii_uppercase()))
            .then(|| uuid::Uuid::try_parse(id).ok())
            .flatten()
            .map(|u| u.as_u128())
    }

    pub fn insert(&mut self, table: &str, id: &str) {
        match Self::as_uuid(id) {
            Some(u) => match self.uuids.get_mut(table) {
                Some(set) => {
                    set.insert(u);
                }
                None => {
                    self.uuids.insert(table.to_owned(), HashSet::from([u]));
                }
            },
            None => {
                self.others.insert((table.to_owned(), id.to_owned()));
            }
        }
    }

    pub fn contains(&self, table: &str, id: &str) -> bool {
        match Self::as_uuid(id) {
            Some(u) => self.uuids.get(table).is_some_and(|set| set.contains(&u)),
            None => self.others.contains(&(table.to_owned(), id.to_owned())),
        }
    }

    /// How many rows were placed.
    pub fn len(&self) -> usize {
        self.uuids.values().map(HashSet::len).sum::<usize>() + self.others.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Records grouped by table, in a stable order (by id), for writers.
pub fn group_by_table(records: &[Record]) -> BTreeMap<&str, Vec<&Record>> {
    let mut grouped: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in records {
        grouped.entry(r.table.as_str()).or_default().push(r);
    }
    for list in grouped.values_mut() {
        list.sort_by(|a, b| a.id.cmp(&b.id));
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_nested_service_flattens_with_links_filled_in() {
        let service = json!({
            "id": "s1", "name": "Sportello", "status": "active",
            "organization": {"id": "o1", "name": "Comune", "description": "d"},
            "phones": [{"id": "p1", "number": "0862 1"}],
            "attributes": [{"id": "a1", "taxonomy_term": {"id": "t1", "name": "Salute", "description": "d"}}]
        });
        let flat = flatten("service", &service, "").unwrap();
        let get = |id: &str| flat.iter().find(|f| f.record.id == id).unwrap();
        assert_eq!(get("s1").record.text("organization_id"), Some("o1"));
        assert_eq!(get("p1").record.text("service_id"), Some("s1"));
        assert_eq!(get("p1").path, "phones[0]");
        assert_eq!(get("a1").record.text("link_id"), Some("s1"));
        assert_eq!(get("a1").record.text("link_entity"), Some("service"));
        assert_eq!(get("a1").record.text("taxonomy_term_id"), Some("t1"));
    }

    #[test]
    fn assembling_then_flattening_gives_the_same_records() {
        let records = vec![
            Record::new("service", "s1")
                .with("name", "Sportello")
                .with("status", "active")
                .with("organization_id", "o1"),
            Record::new("organization", "o1")
                .with("name", "Comune")
                .with("description", "d"),
            Record::new("phone", "p1")
                .with("number", "0862")
                .with("service_id", "s1"),
        ];
        let index = RecordIndex::new(&records);
        let nested = Value::Object(index.assemble(&records[0]));
        assert!(nested["phones"][0].get("service_id").is_none());
        let mut back: Vec<Record> = flatten("service", &nested, "")
            .unwrap()
            .into_iter()
            .map(|f| f.record)
            .collect();
        back.sort_by(|a, b| a.id.cmp(&b.id));
        let mut expected = records.clone();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(back, expected);
    }

    #[test]
    fn an_object_without_id_is_refused_with_its_path() {
        let err = flatten(
            "service",
            &json!({"id": "s", "phones": [{"number": "1"}]}),
            "",
        )
        .unwrap_err();
        assert_eq!(err.path, "phones[0]");
    }
}
