//! What people searched the portal for and could not find: per ISO week (`2026-W50`) and
//! language, how many searches found nothing and how many visitors opened no result, with
//! the text of the queries that enough different visitors typed. No personal data: visitors
//! and rare queries are known only by keyed hashes under their week's secret, and closing a
//! week deletes that secret, the visitor marks, and the hashes of the rare queries (their
//! counts join the language's "other queries" row, whose key is [`OTHER_QUERIES`]).

use async_trait::async_trait;
use serde::Serialize;

use crate::Result;

/// The key of the row that holds, for a closed week and a language, the counts of every
/// query fewer visitors typed than the threshold.
pub const OTHER_QUERIES: &str = "";

/// One query's searches in one week and language, gathered since the last flush.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTally {
    pub week: String,
    pub language: String,
    /// The keyed hash of the query's text.
    pub query_key: String,
    /// The query's text (normalised), stored only once the query has enough visitors.
    pub query_text: String,
    pub searches: u64,
    /// Searches that found no service.
    pub empty_searches: u64,
    /// The keyed hashes of the visitors who typed it.
    pub visitors: Vec<String>,
}

/// A visitor who opened a result of a query they searched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultOpened {
    pub week: String,
    pub language: String,
    pub query_key: String,
    pub visitor_key: String,
}

/// One week's searches in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekDemand {
    pub week: String,
    pub language: String,
    pub searches: u64,
    pub empty_searches: u64,
    /// Distinct visitors per query, summed over queries.
    pub visitors: u64,
    /// Of those, the visitors who opened a result of their query.
    pub visitors_clicked: u64,
}

/// One query typed by at least the threshold's number of visitors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryDemand {
    pub language: String,
    pub query: String,
    pub searches: u64,
    pub empty_searches: u64,
    pub visitors: u64,
    pub visitors_clicked: u64,
}

#[async_trait]
pub trait SearchDemandStore: Send + Sync {
    /// The secret of `week`'s hashes: the stored one, else `fresh` (stored now). Every app
    /// server asks, so they all hash alike.
    async fn search_demand_secret(&self, week: &str, fresh: &str) -> Result<String>;

    /// Adds the tallies and the opened results, in one transaction. A visitor counts once per
    /// query and week; an opened result counts only for a visitor who searched that query.
    /// A query's text is stored once it has `min_visitors` visitors.
    async fn record_search_demand(
        &self,
        tallies: &[QueryTally],
        opened: &[ResultOpened],
        min_visitors: u64,
    ) -> Result<()>;

    /// Closes every week before `week` still open: folds its rows without text into
    /// [`OTHER_QUERIES`], deletes its visitor marks and its secret. Returns how many weeks it
    /// closed.
    async fn close_search_demand_weeks(&self, week: &str) -> Result<u64>;

    /// Per week and language from `from_week` on, the totals of every query (newest week
    /// first, then language).
    async fn search_demand_weeks(&self, from_week: &str) -> Result<Vec<WeekDemand>>;

    /// The queries with a stored text from `from_week` on, summed over those weeks, the most
    /// visitors first; at most `limit`.
    async fn search_demand_queries(&self, from_week: &str, limit: u32) -> Result<Vec<QueryDemand>>;
}
