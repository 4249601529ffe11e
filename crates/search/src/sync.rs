//! Keeps the index in step with the directory by following the store's change log: every app
//! server runs this against its own index, so all of them converge on what the database holds.

use std::collections::HashSet;

use crocevia_core::service_doc::service_docs;
use crocevia_core::territory::Territories;
use crocevia_store::{SharedRows, Store, StoreError, load_nested_sharing, services_affected_by};

use crate::SearchIndex;

/// Change-log entries read per round.
const BATCH: u32 = 2000;
/// Services loaded and indexed at once.
const SERVICES_PER_LOAD: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] crate::SearchError),
    /// Another task is building the index from the whole directory: waiting for it would
    /// hold a request for as long as the rebuild takes (minutes at a million services).
    #[error("the search index is being built from the directory")]
    Building,
}

/// What a catch-up did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    pub changes: usize,
    pub services: usize,
}

/// Fills an empty (or outdated) index from the whole directory, then records the change-log
/// position it reflects, so following continues from there.
pub async fn rebuild(
    store: &dyn Store,
    index: &SearchIndex,
    territories: &Territories,
) -> Result<usize, SyncError> {
    // The position first: changes made while we read are then replayed, never missed.
    let position = store.last_change().await?;
    let ids = store.ids_of("service").await?;
    reindex(store, index, territories, &ids).await?;
    index.commit_at(&position.to_string())?;
    // One segment: per-segment search costs paid once (see `SearchIndex::merge_segments`).
    index.merge_segments()?;
    Ok(ids.len())
}

/// Applies every change-log entry after the index's recorded position; returns what it did.
/// Safe to call from several tasks: each round re-reads the position under the index's lock.
pub async fn catch_up(
    store: &dyn Store,
    index: &SearchIndex,
    territories: &Territories,
) -> Result<Synced, SyncError> {
    let mut done = Synced::default();
    loop {
        let from: i64 = index.cursor().and_then(|c| c.parse().ok()).unwrap_or(0);
        let changes = store.changes_since(from, BATCH).await?;
        let Some(last) = changes.last() else {
            return Ok(done);
        };
        let services = services_affected_by(store, &changes).await?;
        reindex(store, index, territories, &services).await?;
        index.commit_at(&last.seq.to_string())?;
        done.changes += changes.len();
        done.services += services.len();
    }
}

/// Rebuilds the documents of these services from the directory; services no longer there
/// leave the index.
async fn reindex(
    store: &dyn Store,
    index: &SearchIndex,
    territories: &Territories,
    ids: &[String],
) -> Result<(), SyncError> {
    let mut shared = SharedRows::default();
    for chunk in ids.chunks(SERVICES_PER_LOAD) {
        let found = store.get_many(Some("service"), chunk).await?;
        let present: HashSet<&str> = found.iter().map(|s| s.id.as_str()).collect();
        let gone: Vec<&String> = chunk
            .iter()
            .filter(|id| !present.contains(id.as_str()))
            .collect();
        if !gone.is_empty() {
            index.delete(&gone)?;
        }
        if found.is_empty() {
            continue;
        }
        let mut rows = load_nested_sharing(store, found, &mut shared).await?;
        // Search documents show taxonomy terms and their labels, which nesting already loads
        // through the attributes; territories come from `territories`.
        rows.sort_by(|a, b| (&a.table, &a.id).cmp(&(&b.table, &b.id)));
        index.upsert(&service_docs(&rows, territories))?;
    }
    Ok(())
}

/// The index of one app server, with what it follows. Writers call [`sync`](Self::sync) before
/// answering, so what they saved is findable at once; a background task calls it too, to
/// pick up what other app servers wrote.
pub struct SearchService {
    store: std::sync::Arc<dyn Store>,
    index: SearchIndex,
    territories: &'static Territories,
    /// One catch-up at a time; the others wait and then find nothing left to do.
    running: tokio::sync::Mutex<()>,
    last_sync: std::sync::Mutex<Option<std::time::Instant>>,
}

impl SearchService {
    pub fn new(
        store: std::sync::Arc<dyn Store>,
        index: SearchIndex,
        territories: &'static Territories,
    ) -> Self {
        // The query side's taxonomy tables, built now rather than by the first search.
        crate::query::warm_up();
        SearchService {
            store,
            index,
            territories,
            running: tokio::sync::Mutex::new(()),
            last_sync: std::sync::Mutex::new(None),
        }
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    pub fn territories(&self) -> &'static Territories {
        self.territories
    }

    /// Rebuilds the index if it is new or from another schema, then applies every change
    /// since its position.
    ///
    /// While another task rebuilds the index this answers [`SyncError::Building`] at once.
    pub async fn sync(&self) -> Result<Synced, SyncError> {
        let _one_at_a_time = match self.running.try_lock() {
            Ok(guard) => guard,
            Err(_) if self.index.needs_rebuild() => return Err(SyncError::Building),
            Err(_) => self.running.lock().await,
        };
        let mut done = Synced::default();
        if self.index.needs_rebuild() {
            let started = std::time::Instant::now();
            done.services = rebuild(self.store.as_ref(), &self.index, self.territories).await?;
            tracing::info!(
                services = done.services,
                ms = started.elapsed().as_millis() as u64,
                "search index rebuilt"
            );
        }
        let caught = catch_up(self.store.as_ref(), &self.index, self.territories).await?;
        done.changes += caught.changes;
        done.services += caught.services;
        *self.last_sync.lock().expect("sync clock") = Some(std::time::Instant::now());
        Ok(done)
    }

    /// [`sync`](Self::sync) unless one finished less than `max_age` ago.
    pub async fn sync_if_older(&self, max_age: std::time::Duration) -> Result<(), SyncError> {
        let fresh = self
            .last_sync
            .lock()
            .expect("sync clock")
            .is_some_and(|at| at.elapsed() < max_age);
        if !fresh {
            self.sync().await?;
        }
        Ok(())
    }
}
