//! Loads the rows a nested HSDS object (`service_full`, …) is assembled from, following the
//! same nesting table the JSON formats use, one query per level rather than per row.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crocevia_core::hsds::Record;
use crocevia_core::hsds::nested::{Link, Parents, children};

use crate::{Change, DirectoryRead, Operation, Result};

/// The given roots plus every row nested inside them, each once.
pub async fn load_nested(store: &dyn DirectoryRead, roots: Vec<Record>) -> Result<Vec<Record>> {
    load(store, roots, Parents::Nest, &mut SharedRows::default()).await
}

/// [`load_nested`] for one batch of many: the rows that batches share (organisations,
/// locations, taxonomy terms: what a root points at) have their own nested rows read once for
/// all batches given the same `shared`, instead of once per batch.
pub async fn load_nested_sharing(
    store: &dyn DirectoryRead,
    roots: Vec<Record>,
    shared: &mut SharedRows,
) -> Result<Vec<Record>> {
    load(store, roots, Parents::Nest, shared).await
}

/// The given roots plus the rows they own, each once: what
/// [`RecordIndex::assemble_owned`](crocevia_core::hsds::nested::RecordIndex::assemble_owned)
/// nests, without the organisations, locations and terms they point at.
pub async fn load_owned(store: &dyn DirectoryRead, roots: Vec<Record>) -> Result<Vec<Record>> {
    load(store, roots, Parents::AsIds, &mut SharedRows::default()).await
}

/// The rows nested directly in rows reached through a parent link (a service's organisation,
/// a place's location, an attribute's term) or nested in such a row, by the id of that row.
/// A taxonomy term is pointed at by thousands of attributes that are not nested in it, and
/// each batch would otherwise read past all of them again.
#[derive(Debug, Default)]
pub struct SharedRows {
    children: HashMap<String, Vec<Record>>,
}

impl SharedRows {
    /// Rows whose children are remembered, at most; past it the memory starts again empty,
    /// so a rebuild of any size holds a bounded amount.
    const LIMIT: usize = 50_000;
}

async fn load(
    store: &dyn DirectoryRead,
    roots: Vec<Record>,
    parents: Parents,
    shared: &mut SharedRows,
) -> Result<Vec<Record>> {
    let mut seen: HashSet<(String, String)> = roots
        .iter()
        .map(|r| (r.table.clone(), r.id.clone()))
        .collect();
    // Rows are read once into `all`; each level is the range of rows the previous one added.
    let mut all = roots;
    let mut level = 0..all.len();
    // Rows of the level reached through a parent link, or nested in such a row: the same
    // for every batch that reaches them, so their children are remembered.
    let mut shared_level: HashSet<String> = HashSet::new();
    if shared.children.len() > SharedRows::LIMIT {
        shared.children.clear();
    }
    while !level.is_empty() {
        let mut parent_ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut level_ids: Vec<String> = Vec::new();
        let mut via: Vec<(&str, &str)> = Vec::new();
        // Parents of this level whose children are read now, then remembered.
        let mut newly_shared: HashMap<String, Vec<Record>> = HashMap::new();
        let mut found = Vec::new();
        let mut next_shared: HashSet<String> = HashSet::new();
        for record in &all[level.clone()] {
            if shared_level.contains(&record.id) {
                if let Some(known) = shared.children.get(&record.id) {
                    next_shared.extend(known.iter().map(|r| r.id.clone()));
                    found.extend(known.iter().cloned());
                    continue;
                }
                newly_shared.insert(record.id.clone(), Vec::new());
            }
            level_ids.push(record.id.clone());
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
        let pointing = store.pointing_at(&level_ids, &via).await?;
        if !newly_shared.is_empty() {
            for row in &pointing {
                for (table, field) in &via {
                    if *table == row.table
                        && let Some(children) =
                            row.text(field).and_then(|id| newly_shared.get_mut(id))
                    {
                        next_shared.insert(row.id.clone());
                        children.push(row.clone());
                    }
                }
            }
        }
        found.extend(pointing);
        for (table, mut ids) in parent_ids {
            ids.sort();
            ids.dedup();
            let rows = store.get_many(Some(table), &ids).await?;
            next_shared.extend(rows.iter().map(|r| r.id.clone()));
            found.extend(rows);
        }
        shared_level = next_shared;
        shared.children.extend(newly_shared);
        let start = all.len();
        all.extend(
            found
                .into_iter()
                .filter(|r| seen.insert((r.table.clone(), r.id.clone()))),
        );
        level = start..all.len();
    }
    Ok(all)
}

/// The services whose nested object a set of changes may alter, so whatever is built from
/// services (a search document, the observatory's facts) is built again: changed services, and
/// the services a changed row belongs to (its phone, its location, its organisation, its tags).
pub async fn services_affected_by(
    store: &dyn DirectoryRead,
    changes: &[Change],
) -> Result<Vec<String>> {
    let mut services: BTreeSet<String> = BTreeSet::new();
    let mut frontier: Vec<Record> = Vec::new();
    let mut upserted: Vec<(String, String)> = Vec::new();
    for change in changes {
        if change.table == "service" {
            services.insert(change.id.clone());
        } else if change.table.starts_with("desk_") {
            // The desk's facts, for the observatory: nothing a search document shows.
        } else if change.operation == Operation::Upsert {
            upserted.push((change.table.clone(), change.id.clone()));
        }
    }
    let mut by_table: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (table, id) in &upserted {
        by_table.entry(table.as_str()).or_default().push(id.clone());
    }
    for (table, ids) in by_table {
        frontier.extend(store.get_many(Some(table), &ids).await?);
    }
    let mut seen: HashSet<(String, String)> = HashSet::new();
    // Walk up from each row to the services it belongs to; four steps reach a service from
    // anything nested in one (language → phone → contact → location → service).
    for _ in 0..5 {
        if frontier.is_empty() {
            break;
        }
        let mut up_ids: BTreeSet<String> = BTreeSet::new();
        let mut locations: Vec<String> = Vec::new();
        let mut organizations: Vec<String> = Vec::new();
        for record in &frontier {
            if !seen.insert((record.table.clone(), record.id.clone())) {
                continue;
            }
            match record.table.as_str() {
                "service" => {
                    services.insert(record.id.clone());
                    continue;
                }
                "location" => locations.push(record.id.clone()),
                "organization" => organizations.push(record.id.clone()),
                _ => {}
            }
            for field in [
                "service_id",
                "service_at_location_id",
                "location_id",
                "contact_id",
                "phone_id",
                "link_id",
            ] {
                if let Some(id) = record.text(field) {
                    up_ids.insert(id.to_owned());
                }
            }
        }
        let mut next = store
            .get_many(None, &up_ids.into_iter().collect::<Vec<_>>())
            .await?;
        next.extend(
            store
                .pointing_at(&locations, &[("service_at_location", "location_id")])
                .await?,
        );
        next.extend(
            store
                .pointing_at(&organizations, &[("service", "organization_id")])
                .await?,
        );
        frontier = next;
    }
    Ok(services.into_iter().collect())
}
