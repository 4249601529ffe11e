//! The HSDS 3.0 model as data: every table, field, type and reference.
//!
//! The standard's own tabular descriptor (`hsds/datapackage.json`) is the source of truth, so a
//! field added to the standard is one file copy away. On top of it we declare what the descriptor
//! leaves implicit (references it does not list as foreign keys) and our documented extensions
//! (`translation` table, `location.confidential`); see `docs/hsds-extensions.md`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// HSDS version this build implements.
pub const HSDS_VERSION: &str = "3.0";

/// The value type of a field, as the tabular descriptor names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Uuid,
    Email,
    Uri,
    Number,
    Boolean,
    Date,
    DateTime,
    Time,
}

/// Where a reference field points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// To a row of one table.
    Table(&'static str),
    /// To a row of any table; `type_field` names the field that says which (it may be absent
    /// or hold a value that is no table name, as in the official example).
    AnyTable { type_field: &'static str },
}

#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub name: String,
    pub kind: FieldKind,
    pub required: bool,
    pub allowed: Option<Vec<String>>,
    pub reference: Option<Reference>,
}

#[derive(Debug, Clone)]
pub struct EntitySpec {
    /// Singular table name, as HSDS names objects (`service`, `taxonomy_term`).
    pub name: &'static str,
    /// The CSV file of the tabular format (`services.csv`).
    pub file: String,
    pub fields: Vec<FieldSpec>,
    /// Declared by us rather than by the standard.
    pub extension: bool,
}

impl EntitySpec {
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn references(&self) -> impl Iterator<Item = (&FieldSpec, &Reference)> {
        self.fields
            .iter()
            .filter_map(|f| f.reference.as_ref().map(|r| (f, r)))
    }
}

/// All HSDS tables plus our extensions, in dependency order (a table comes after the tables
/// its required references point to), which is also the order of export files.
pub struct Registry {
    entities: Vec<EntitySpec>,
}

impl Registry {
    pub fn get(&self, name: &str) -> Option<&EntitySpec> {
        self.entities.iter().find(|e| e.name == name)
    }

    pub fn by_file(&self, file: &str) -> Option<&EntitySpec> {
        self.entities.iter().find(|e| e.file == file)
    }

    pub fn entities(&self) -> &[EntitySpec] {
        &self.entities
    }
}

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static REGISTRY: LazyLock<Registry> = LazyLock::new(build_registry);
    &REGISTRY
}

/// Table names are `&'static str` so records can carry them cheaply; the set is closed.
pub(crate) const TABLE_NAMES: &[&str] = &[
    "organization",
    "organization_identifier",
    "program",
    "service",
    "location",
    "service_at_location",
    "address",
    "contact",
    "phone",
    "schedule",
    "funding",
    "service_area",
    "required_document",
    "language",
    "accessibility",
    "cost_option",
    "taxonomy",
    "taxonomy_term",
    "attribute",
    "metadata",
    "meta_table_description",
    "translation",
];

/// Canonical static name of a table, if it is one.
pub fn table_name(name: &str) -> Option<&'static str> {
    TABLE_NAMES.iter().copied().find(|t| *t == name)
}

#[derive(Deserialize)]
struct Package {
    resources: Vec<Resource>,
}

#[derive(Deserialize)]
struct Resource {
    name: String,
    path: String,
    schema: ResourceSchema,
}

#[derive(Deserialize)]
struct ResourceSchema {
    fields: Vec<PackageField>,
    #[serde(default, rename = "foreignKeys")]
    foreign_keys: Vec<ForeignKey>,
}

#[derive(Deserialize)]
struct PackageField {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    format: Option<String>,
    #[serde(default)]
    constraints: Constraints,
}

#[derive(Deserialize, Default)]
struct Constraints {
    #[serde(default)]
    required: bool,
    #[serde(rename = "enum")]
    allowed: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ForeignKey {
    fields: String,
    reference: ForeignKeyTarget,
}

#[derive(Deserialize)]
struct ForeignKeyTarget {
    resource: String,
}

const DATAPACKAGE: &str = include_str!("../../hsds/datapackage.json");

fn build_registry() -> Registry {
    let package: Package =
        serde_json::from_str(DATAPACKAGE).expect("the embedded HSDS datapackage.json is valid");
    let mut by_name: BTreeMap<&'static str, EntitySpec> = BTreeMap::new();
    for resource in package.resources {
        let name = table_name(&resource.name).expect("every HSDS table is listed in TABLE_NAMES");
        let foreign: BTreeMap<String, String> = resource
            .schema
            .foreign_keys
            .into_iter()
            .map(|fk| (fk.fields, fk.reference.resource))
            .collect();
        let fields = resource
            .schema
            .fields
            .into_iter()
            .map(|f| {
                let reference = foreign
                    .get(&f.name)
                    .map(|t| Reference::Table(table_name(t).expect("known table")))
                    .or_else(|| implicit_reference(name, &f.name));
                FieldSpec {
                    kind: field_kind(&f.kind, f.format.as_deref()),
                    required: f.constraints.required,
                    allowed: f.constraints.allowed,
                    reference,
                    name: f.name,
                }
            })
            .collect();
        by_name.insert(
            name,
            EntitySpec {
                name,
                file: resource.path,
                fields,
                extension: false,
            },
        );
    }
    add_extensions(&mut by_name);
    let entities = TABLE_NAMES
        .iter()
        .map(|n| by_name.remove(n).expect("every listed table is defined"))
        .collect();
    Registry { entities }
}

/// References the descriptor does not declare as foreign keys but that must resolve.
fn implicit_reference(table: &str, field: &str) -> Option<Reference> {
    match (table, field) {
        ("organization", "parent_organization_id") => Some(Reference::Table("organization")),
        ("taxonomy_term", "parent_id") => Some(Reference::Table("taxonomy_term")),
        ("attribute", "link_id") => Some(Reference::AnyTable {
            type_field: "link_entity",
        }),
        ("metadata", "resource_id") => Some(Reference::AnyTable {
            type_field: "resource_type",
        }),
        _ => None,
    }
}

fn field_kind(kind: &str, format: Option<&str>) -> FieldKind {
    match (kind, format) {
        ("string", Some("uuid")) => FieldKind::Uuid,
        ("string", Some("email")) => FieldKind::Email,
        ("string", Some("uri")) => FieldKind::Uri,
        ("number" | "integer", _) => FieldKind::Number,
        ("boolean", _) => FieldKind::Boolean,
        ("date", _) => FieldKind::Date,
        ("datetime", _) => FieldKind::DateTime,
        ("time", _) => FieldKind::Time,
        _ => FieldKind::Text,
    }
}

fn plain(name: &str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name: name.to_owned(),
        kind,
        required: false,
        allowed: None,
        reference: None,
    }
}

/// Our extensions (documented in `docs/hsds-extensions.md`).
fn add_extensions(by_name: &mut BTreeMap<&'static str, EntitySpec>) {
    by_name
        .get_mut("location")
        .expect("location table")
        .fields
        .push(plain("confidential", FieldKind::Boolean));
    let required = |mut f: FieldSpec| {
        f.required = true;
        f
    };
    let mut link_id = required(plain("link_id", FieldKind::Uuid));
    link_id.reference = Some(Reference::AnyTable {
        type_field: "link_entity",
    });
    let mut link_entity = required(plain("link_entity", FieldKind::Text));
    link_entity.allowed = Some(
        TRANSLATABLE
            .iter()
            .map(|(table, _)| (*table).to_owned())
            .collect(),
    );
    by_name.insert(
        "translation",
        EntitySpec {
            name: "translation",
            file: "translations.csv".to_owned(),
            fields: vec![
                required(plain("id", FieldKind::Uuid)),
                link_id,
                link_entity,
                required(plain("language", FieldKind::Text)),
                plain("name", FieldKind::Text),
                plain("alternate_name", FieldKind::Text),
                plain("description", FieldKind::Text),
                plain("synonyms", FieldKind::Text),
            ],
            extension: true,
        },
    );
}

/// Tables whose text fields can be translated, with those fields.
pub const TRANSLATABLE: &[(&str, &[&str])] = &[
    ("organization", &["name", "alternate_name", "description"]),
    ("service", &["name", "alternate_name", "description"]),
    ("taxonomy_term", &["name", "description", "synonyms"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_has_every_table_of_the_standard_and_the_extension() {
        let r = registry();
        assert_eq!(r.entities().len(), TABLE_NAMES.len());
        assert_eq!(r.get("service").unwrap().file, "services.csv");
        assert_eq!(
            r.by_file("service_at_location.csv").unwrap().name,
            "service_at_location"
        );
        assert!(r.get("translation").unwrap().extension);
    }

    #[test]
    fn declared_and_implicit_references_are_known() {
        let service = registry().get("service").unwrap();
        assert_eq!(
            service.field("organization_id").unwrap().reference,
            Some(Reference::Table("organization"))
        );
        let term = registry().get("taxonomy_term").unwrap();
        assert_eq!(
            term.field("parent_id").unwrap().reference,
            Some(Reference::Table("taxonomy_term"))
        );
        let attribute = registry().get("attribute").unwrap();
        assert!(matches!(
            attribute.field("link_id").unwrap().reference,
            Some(Reference::AnyTable { .. })
        ));
    }

    #[test]
    fn field_types_follow_the_descriptor() {
        let schedule = registry().get("schedule").unwrap();
        assert_eq!(schedule.field("opens_at").unwrap().kind, FieldKind::Time);
        assert_eq!(schedule.field("interval").unwrap().kind, FieldKind::Number);
        let service = registry().get("service").unwrap();
        assert!(service.field("name").unwrap().required);
        assert_eq!(
            service
                .field("status")
                .unwrap()
                .allowed
                .as_ref()
                .unwrap()
                .len(),
            4
        );
    }
}
