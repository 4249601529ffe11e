//! Crocevia's service search: a tantivy index over the HSDS directory that finds a service
//! from a query in any supported language, forgives typos, filters and counts by need,
//! territory, language, cost, accessibility and opening hours, and sorts by distance.
//!
//! It knows no HTTP and no SQL: callers hand it queries and
//! [`ServiceDoc`](crocevia_core::service_doc::ServiceDoc)s, built from HSDS rows by
//! [`service_docs`](crocevia_core::service_doc::service_docs). Those documents and their
//! opening hours ([`crocevia_core::schedule`]) live in `crocevia_core`, so that readers of
//! services need not take the index with them.
//!
//! ```no_run
//! # fn main() -> crocevia_search::Result<()> {
//! use crocevia_core::service_doc::service_docs;
//! use crocevia_search::{SearchIndex, SearchQuery};
//! # let rows: Vec<crocevia_core::hsds::Record> = Vec::new();
//! # let territories = crocevia_core::territory::load_embedded().unwrap();
//! # use crocevia_core::clock::Clock;
//! # let now = crocevia_core::clock::SystemClock.now();
//! let index = SearchIndex::open(std::path::Path::new("crocevia-data/search"))?;
//! if index.needs_rebuild() {
//!     index.upsert(&service_docs(&rows, &territories))?;
//!     index.commit()?;
//! }
//! let query = SearchQuery { text: Some("medico".into()), ..Default::default() };
//! let results = index.search(&query, now)?;
//! # Ok(()) }
//! ```
//!
//! - [`index`]: [`SearchIndex`], its schema, versioning, writes and commits;
//! - [`query`]: [`SearchQuery`] → [`SearchResults`]: text analysis, typo correction,
//!   taxonomy interpretation, filters, facets, ranking, snippets;
//! - [`analysis`]: tokenizing and folding, per-language stemming.
//!
//! Invariant: a confidential location's coordinates never enter the index (its comune does).

pub mod analysis;
mod collect;
mod facets;
mod fields;
mod geo;
pub mod index;
pub mod matching;
pub mod query;
pub mod sync;
mod text_query;
pub mod understanding;

pub use index::{SCHEMA_VERSION, SearchIndex};
pub use query::{Facets, Hit, Interpretation, Near, SearchQuery, SearchResults};
pub use sync::{SearchService, SyncError, Synced};

/// Why the index could not be opened, written or searched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index file: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index metadata: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
