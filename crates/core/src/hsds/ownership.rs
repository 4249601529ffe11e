//! Who owns a directory row, and whether an organisation may write a batch.
//!
//! A row belongs to the organisations reached by climbing the fields through which it nests
//! in its parents ([`super::nested::children`]): a phone through `service_id`, `location_id`,
//! `contact_id`…; a service through `organization_id`; an organisation is its own. A row
//! reached from nobody (taxonomies and their terms) is shared by the network.
//!
//! One rule for the write API, the back office and its imports: an organisation may change
//! a row only if the row, as stored now, is its own, and may write it only if, as written,
//! it is its own or belongs to nobody yet. Checking the row as stored is what stops a body
//! from nesting another organisation's phone or location under one's own service: as sent,
//! that row would look like one's own.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use super::nested::{Link, children, root_children};
use super::record::Record;
use super::validate::{Origin, Problem, ProblemCode, SourcedRecord};

/// How far up a row's parents are followed (a language of a phone of a contact of a
/// service at a location of a service of an organisation is six steps).
const MAX_DEPTH: usize = 8;

/// The fields of `table` through which its rows belong to a parent.
pub fn owning_fields(table: &str) -> &'static [&'static str] {
    static FIELDS: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
        let mut fields: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
        for parent in super::schema::TABLE_NAMES {
            for nesting in children(parent).iter().chain(root_children(parent)) {
                let field = match nesting.link {
                    Link::ChildField(field) => field,
                    Link::Polymorphic { id_field, .. } => id_field,
                    Link::ParentField(_) => continue,
                };
                let list = fields.entry(nesting.table).or_default();
                if !list.contains(&field) {
                    list.push(field);
                }
            }
        }
        fields
    });
    FIELDS.get(table).map(Vec::as_slice).unwrap_or_default()
}

/// The ids a row's owners are found through (the values of its owning fields).
pub fn parent_ids(record: &Record) -> impl Iterator<Item = &str> {
    owning_fields(&record.table)
        .iter()
        .filter_map(|field| record.text(field))
}

/// Rows by id, to climb from a row to its owners. Ids are UUIDs: an id names one row, but
/// the polymorphic `link_id` does not say reliably in which table, so all tables are kept.
#[derive(Default)]
pub struct Rows<'a> {
    by_id: HashMap<&'a str, Vec<&'a Record>>,
}

impl<'a> Rows<'a> {
    pub fn new(rows: impl IntoIterator<Item = &'a Record>) -> Self {
        let mut out = Rows::default();
        for row in rows {
            out.insert(row);
        }
        out
    }

    /// Adds a row, taking the place of a stored one with the same table and id.
    fn insert(&mut self, row: &'a Record) {
        let list = self.by_id.entry(row.id.as_str()).or_default();
        list.retain(|r| r.table != row.table);
        list.push(row);
    }

    fn get(&self, table: &str, id: &str) -> Option<&'a Record> {
        self.by_id
            .get(id)?
            .iter()
            .copied()
            .find(|r| r.table == table)
    }

    /// The organisations `record` belongs to, through every owning field.
    pub fn owners(&self, record: &Record) -> BTreeSet<String> {
        let mut owners = BTreeSet::new();
        self.climb(record, 0, &mut owners);
        owners
    }

    fn climb(&self, record: &Record, depth: usize, owners: &mut BTreeSet<String>) {
        if record.table == "organization" {
            owners.insert(record.id.clone());
            return;
        }
        if depth >= MAX_DEPTH {
            return;
        }
        for field in owning_fields(&record.table) {
            let Some(id) = record.text(field) else {
                continue;
            };
            if *field == "organization_id" {
                owners.insert(id.to_owned());
                continue;
            }
            for parent in self.by_id.get(id).into_iter().flatten() {
                self.climb(parent, depth + 1, owners);
            }
        }
    }
}

/// Every row of the batch, or deleted, that `organization_id` may not write: rows stored as
/// another organisation's or the network's, and rows that the batch would make another
/// organisation's. `stored` holds the stored versions of the batch's rows, of the deleted
/// rows and of all their parents; unchanged rows must already be out of the batch.
pub fn foreign_rows(
    organization_id: &str,
    batch: &[SourcedRecord],
    deletes: &[(String, String)],
    stored: &[Record],
) -> Vec<Problem> {
    let before = Rows::new(stored);
    let mut after = Rows::new(stored);
    for s in batch {
        after.insert(&s.record);
    }
    let own = |owners: &BTreeSet<String>| owners.len() == 1 && owners.contains(organization_id);
    let mut problems = Vec::new();
    for s in batch {
        let record = &s.record;
        let was = before
            .get(&record.table, &record.id)
            .map(|old| before.owners(old));
        let refusal = match was {
            Some(owners) if owners.is_empty() => Some(shared(&record.table)),
            Some(owners) if !own(&owners) => Some(not_yours(&record.table)),
            _ => {
                let owners = after.owners(record);
                (!owners.is_empty() && !own(&owners)).then(|| not_yours(&record.table))
            }
        };
        if let Some(message) = refusal {
            problems.push(Problem {
                origin: s.origin.clone(),
                field: None,
                code: ProblemCode::NotYourOrganisation,
                message,
            });
        }
    }
    for (i, (table, id)) in deletes.iter().enumerate() {
        let Some(old) = before.get(table, id) else {
            continue;
        };
        let owners = before.owners(old);
        if !own(&owners) {
            problems.push(Problem {
                origin: Origin {
                    file: "deletions".into(),
                    row: i + 1,
                    path: format!("{table} {id}"),
                },
                field: None,
                code: ProblemCode::NotYourOrganisation,
                message: if owners.is_empty() {
                    shared(table)
                } else {
                    not_yours(table)
                },
            });
        }
    }
    problems
}

fn not_yours(table: &str) -> String {
    format!(
        "this {table} belongs to another organisation; only that organisation or a network coordinator may change it"
    )
}

fn shared(table: &str) -> String {
    format!("this {table} is shared by the whole network; only a network coordinator may change it")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sourced(record: Record) -> SourcedRecord {
        SourcedRecord {
            record,
            origin: Origin {
                file: "body".into(),
                row: 1,
                path: String::new(),
            },
        }
    }

    fn stored() -> Vec<Record> {
        vec![
            Record::new("organization", "a"),
            Record::new("organization", "b"),
            Record::new("service", "sa").with("organization_id", "a"),
            Record::new("service", "sb").with("organization_id", "b"),
            Record::new("phone", "pb").with("service_id", "sb"),
            Record::new("location", "lb").with("organization_id", "b"),
            Record::new("service_at_location", "salb")
                .with("service_id", "sb")
                .with("location_id", "lb"),
            Record::new("schedule", "hb").with("service_at_location_id", "salb"),
            Record::new("taxonomy_term", "t"),
        ]
    }

    fn codes(problems: &[Problem]) -> usize {
        problems
            .iter()
            .filter(|p| p.code == "not_your_organisation")
            .count()
    }

    #[test]
    fn owners_climb_every_owning_field() {
        let rows = stored();
        let index = Rows::new(&rows);
        let owners = |i: usize| index.owners(&rows[i]).into_iter().collect::<Vec<_>>();
        assert_eq!(owners(2), ["a"]);
        assert_eq!(owners(4), ["b"]);
        assert_eq!(
            owners(7),
            ["b"],
            "schedule → service at location → service → b"
        );
        assert!(owners(8).is_empty(), "taxonomy terms belong to the network");
        let mixed = Record::new("phone", "p")
            .with("service_id", "sa")
            .with("location_id", "lb");
        assert_eq!(index.owners(&mixed).len(), 2);
    }

    #[test]
    fn another_organisations_nested_row_is_refused_even_when_sent_as_ones_own() {
        let moved = Record::new("phone", "pb").with("service_id", "sa");
        assert_eq!(
            codes(&foreign_rows("a", &[sourced(moved)], &[], &stored())),
            1
        );
        let stripped = Record::new("location", "lb").with("name", "renamed");
        assert_eq!(
            codes(&foreign_rows("a", &[sourced(stripped)], &[], &stored())),
            1
        );
        let service = Record::new("service", "sb").with("organization_id", "a");
        assert_eq!(
            codes(&foreign_rows("a", &[sourced(service)], &[], &stored())),
            1
        );
    }

    #[test]
    fn rows_made_anothers_by_their_parent_are_refused() {
        let phone = Record::new("phone", "new").with("location_id", "lb");
        assert_eq!(
            codes(&foreign_rows("a", &[sourced(phone)], &[], &stored())),
            1
        );
        let both = Record::new("phone", "new2")
            .with("service_id", "sa")
            .with("location_id", "lb");
        assert_eq!(
            codes(&foreign_rows("a", &[sourced(both)], &[], &stored())),
            1
        );
    }

    #[test]
    fn own_rows_and_new_shared_rows_pass_but_stored_shared_rows_are_the_networks() {
        let phone = Record::new("phone", "pa").with("service_id", "sa");
        let term = Record::new("taxonomy_term", "t2").with("name", "new term");
        let sal = Record::new("service_at_location", "sal")
            .with("service_id", "sa")
            .with("location_id", "lb");
        let batch = [sourced(phone), sourced(term), sourced(sal)];
        assert!(foreign_rows("a", &batch, &[], &stored()).is_empty());
        let changed = Record::new("taxonomy_term", "t").with("name", "renamed");
        let problems = foreign_rows("a", &[sourced(changed)], &[], &stored());
        assert_eq!(codes(&problems), 1);
        assert!(problems[0].message.contains("shared"));
    }

    #[test]
    fn deleting_anothers_row_is_refused() {
        let deletes = [
            ("phone".to_owned(), "pb".to_owned()),
            ("service".to_owned(), "sa".to_owned()),
        ];
        let problems = foreign_rows("a", &[], &deletes, &stored());
        assert_eq!(codes(&problems), 1);
        assert_eq!(problems[0].origin.path, "phone pb");
    }
}
