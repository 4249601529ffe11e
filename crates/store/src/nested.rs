//! Loads the rows a nested HSDS object (`service_full`, …) is assembled from, following the
//! same nesting table the JSON formats use, one query per level rather than per row.

use std::collections::{BTreeMap, HashSet};

use crocevia_core::hsds::Record;
use crocevia_core::hsds::nested::{Link, Parents, children};

use crate::{DirectoryRead, Result};

/// The given roots plus every row nested inside them, each once.
pub async fn load_nested(store: &dyn DirectoryRead, roots: Vec<Record>) -> Result<Vec<Record>> {
    load(store, roots, Parents::Nest).await
}

/// The given roots plus the rows they own, each once: what
/// [`RecordIndex::assemble_owned`](crocevia_core::hsds::nested::RecordIndex::assemble_owned)
/// nests, without the organisations, locations and terms they point at.
pub async fn load_owned(store: &dyn DirectoryRead, roots: Vec<Record>) -> Result<Vec<Record>> {
    load(store, roots, Parents::AsIds).await
}

async fn load(
    store: &dyn DirectoryRead,
    roots: Vec<Record>,
    parents: Parents,
) -> Result<Vec<Record>> {
    let mut seen: HashSet<(String, String)> = roots
        .iter()
        .map(|r| (r.table.clone(), r.id.clone()))
        .collect();
    let mut all = roots.clone();
    let mut frontier = roots;
    while !frontier.is_empty() {
        let mut parent_ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut frontier_ids: Vec<String> = Vec::new();
        let mut via: Vec<(&str, &str)> = Vec::new();
        for record in &frontier {
            frontier_ids.push(record.id.clone());
            for nesting in children(&record.table) {
                match nesting.link {
                    Link::ParentField(_) if parents == Parents::AsIds => {}
                    Link::ParentField(field) => {
                        if let Some(id) = record.text(field) {
                            parent_ids
                                .entry(nesting.table)
                                .or_default()
                                .push(id.to_owned());
                        }
                    }
                    Link::ChildField(field) => via.push((nesting.table, field)),
                    Link::Polymorphic { id_field, .. } => via.push((nesting.table, id_field)),
                }
            }
        }
        via.sort();
        via.dedup();
        let mut found = store.pointing_at(&frontier_ids, &via).await?;
        for (table, mut ids) in parent_ids {
            ids.sort();
            ids.dedup();
            found.extend(store.get_many(Some(table), &ids).await?);
        }
        frontier = found
            .into_iter()
            .filter(|r| seen.insert((r.table.clone(), r.id.clone())))
            .collect();
        all.extend(frontier.iter().cloned());
    }
    Ok(all)
}
