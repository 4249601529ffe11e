//! What people could not find: the portal's searches, per ISO week and language, counted
//! without personal data and shown to coordinators as unmet search demand (a query that
//! finds nothing, or whose results nobody opens, names a service missing or badly
//! described).
//!
//! - **Visitors** are told apart by a keyed hash of their address and browser under the
//!   week's secret: one person typing a query ten times counts as one visitor. The address
//!   and browser are never stored.
//! - **A query's text** is stored only once at least the disclosure threshold's number of
//!   different visitors typed it that week (a rare query may hold a name or a phone
//!   number); until then its row is known by a keyed hash.
//! - **Closing a week** (at the first flush of the next) deletes its secret, its visitor
//!   marks and the hashes of its rare queries, whose counts join the language's
//!   "other queries": what stays cannot be linked to anyone.
//! - **A result opened** is a visit to a service page from a search page (the browser's
//!   `Referer`, sent within the site): it counts for the visitor who searched that query.
//!
//! Searches are gathered in memory and written by [`SearchDemandRecorder::flush`] (every
//! few seconds, and when the server stops), so a search costs no write; what a crash loses
//! is the last seconds of counts, never other data. The buffer is bounded: past
//! [`MAX_PENDING`] entries, new ones are dropped until the next flush.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use crocevia_store::Result;
use crocevia_store::search_demand::{
    QueryDemand, QueryTally, ResultOpened, SearchDemandStore, WeekDemand,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Entries (queries, visitors of a query, opened results) held between two flushes.
pub const MAX_PENDING: usize = 100_000;
/// Characters of a query kept (the portal reads no more either).
const MAX_QUERY_CHARS: usize = 200;
/// Hex digits of a keyed hash (128 bits).
const KEY_DIGITS: usize = 32;

/// Who searched, as the request tells it; only its keyed hash is kept.
#[derive(Debug, Clone, Copy)]
pub struct Visitor<'a> {
    /// The client's address, when known.
    pub address: Option<IpAddr>,
    /// The browser's `User-Agent`.
    pub user_agent: &'a str,
}

/// The ISO week of `at` (UTC) as `2026-W50`, which sorts in time order.
pub fn week_of(at: DateTime<Utc>) -> String {
    let week = at.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// The Monday a week of [`week_of`] starts on.
pub fn week_start(week: &str) -> Option<NaiveDate> {
    let (year, number) = week.split_once("-W")?;
    NaiveDate::from_isoywd_opt(year.parse().ok()?, number.parse().ok()?, Weekday::Mon)
}

/// A query as counted: trimmed, lower-case, spaces collapsed, at most 200 characters;
/// `None` when nothing is left.
pub fn normalize_query(text: &str) -> Option<String> {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let joined: String = words.join(" ").chars().take(MAX_QUERY_CHARS).collect();
    let trimmed = joined.trim_end();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The week's secret, as the store holds it (hex).
struct WeekSecret {
    week: String,
    secret: String,
}

impl WeekSecret {
    fn key(&self, kind: &str, parts: &[&str]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(kind.as_bytes());
        for part in parts {
            mac.update(&[0]);
            mac.update(part.as_bytes());
        }
        let mut digest = hex::encode(mac.finalize().into_bytes());
        digest.truncate(KEY_DIGITS);
        digest
    }

    fn visitor_key(&self, visitor: &Visitor) -> String {
        let address = visitor.address.map(|a| a.to_string()).unwrap_or_default();
        self.key("visitor", &[&address, visitor.user_agent])
    }
}

/// What was gathered since the last flush.
struct Pending {
    tallies: HashMap<(String, String, String), PendingTally>,
    opened: HashSet<ResultOpened>,
    entries: usize,
    /// At most this many entries ([`MAX_PENDING`]).
    capacity: usize,
    dropped: u64,
}

struct PendingTally {
    query_text: String,
    searches: u64,
    empty_searches: u64,
    visitors: HashSet<String>,
}

impl Pending {
    fn new(capacity: usize) -> Self {
        Pending {
            tallies: HashMap::new(),
            opened: HashSet::new(),
            entries: 0,
            capacity,
            dropped: 0,
        }
    }

    fn has_room(&mut self) -> bool {
        if self.entries >= self.capacity {
            self.dropped += 1;
            return false;
        }
        true
    }

    fn add(&mut self, tally: QueryTally) {
        let key = (tally.week, tally.language, tally.query_key);
        if !self.tallies.contains_key(&key) {
            if !self.has_room() {
                return;
            }
            self.entries += 1;
        }
        let pending = self.tallies.entry(key).or_insert_with(|| PendingTally {
            query_text: tally.query_text,
            searches: 0,
            empty_searches: 0,
            visitors: HashSet::new(),
        });
        pending.searches += tally.searches;
        pending.empty_searches += tally.empty_searches;
        for visitor in tally.visitors {
            if !pending.visitors.contains(&visitor) && self.entries < self.capacity {
                pending.visitors.insert(visitor);
                self.entries += 1;
            }
        }
    }

    fn take(&mut self) -> (Vec<QueryTally>, Vec<ResultOpened>, u64) {
        let taken = std::mem::replace(self, Pending::new(self.capacity));
        let tallies = taken
            .tallies
            .into_iter()
            .map(|((week, language, query_key), t)| QueryTally {
                week,
                language,
                query_key,
                query_text: t.query_text,
                searches: t.searches,
                empty_searches: t.empty_searches,
                visitors: t.visitors.into_iter().collect(),
            })
            .collect();
        (tallies, taken.opened.into_iter().collect(), taken.dropped)
    }
}

/// What a flush did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flushed {
    /// Queries written (one per week, language and text).
    pub queries: usize,
    pub opened: usize,
    /// Searches and opened results not counted because the buffer was full.
    pub dropped: u64,
    /// Past weeks closed.
    pub weeks_closed: u64,
}

/// The coordinators' view: per week and language, then the queries typed by enough visitors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandReport {
    /// The first week shown.
    pub from_week: String,
    pub weeks: Vec<WeekDemand>,
    /// The most visitors who opened nothing first.
    pub queries: Vec<QueryDemand>,
    /// The fewest different visitors a query needs to be shown.
    pub min_visitors: u64,
}

/// Gathers the portal's searches and opened results, one per server (see the module's
/// documentation).
pub struct SearchDemandRecorder {
    min_visitors: u64,
    pending: Mutex<Pending>,
    secret: Mutex<Option<std::sync::Arc<WeekSecret>>>,
}

impl SearchDemandRecorder {
    /// A query's text is kept once `min_visitors` different visitors typed it in a week (the
    /// observatory's disclosure threshold).
    pub fn new(min_visitors: u64) -> Self {
        SearchDemandRecorder {
            min_visitors: min_visitors.max(1),
            pending: Mutex::new(Pending::new(MAX_PENDING)),
            secret: Mutex::default(),
        }
    }

    /// The fewest different visitors a query needs before its text is kept.
    pub fn min_visitors(&self) -> u64 {
        self.min_visitors
    }

    async fn secret(
        &self,
        store: &dyn SearchDemandStore,
        now: DateTime<Utc>,
    ) -> Result<std::sync::Arc<WeekSecret>> {
        let week = week_of(now);
        if let Some(secret) = self.lock_secret().as_ref().filter(|s| s.week == week) {
            return Ok(secret.clone());
        }
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        let secret = std::sync::Arc::new(WeekSecret {
            secret: store.search_demand_secret(&week, &fresh).await?,
            week,
        });
        *self.lock_secret() = Some(secret.clone());
        Ok(secret)
    }

    fn lock_secret(&self) -> std::sync::MutexGuard<'_, Option<std::sync::Arc<WeekSecret>>> {
        self.secret.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a search of `text` in `language` that found `found` services.
    pub async fn searched(
        &self,
        store: &dyn SearchDemandStore,
        now: DateTime<Utc>,
        language: &str,
        text: &str,
        found: u64,
        visitor: &Visitor<'_>,
    ) -> Result<()> {
        let Some(query_text) = normalize_query(text) else {
            return Ok(());
        };
        let secret = self.secret(store, now).await?;
        let tally = QueryTally {
            week: secret.week.clone(),
            language: language.to_owned(),
            query_key: secret.key("query", &[&query_text]),
            query_text,
            searches: 1,
            empty_searches: u64::from(found == 0),
            visitors: vec![secret.visitor_key(visitor)],
        };
        self.lock_pending().add(tally);
        Ok(())
    }

    /// Counts a result opened from a search of `text` in `language`.
    pub async fn opened(
        &self,
        store: &dyn SearchDemandStore,
        now: DateTime<Utc>,
        language: &str,
        text: &str,
        visitor: &Visitor<'_>,
    ) -> Result<()> {
        let Some(query_text) = normalize_query(text) else {
            return Ok(());
        };
        let secret = self.secret(store, now).await?;
        let opened = ResultOpened {
            week: secret.week.clone(),
            language: language.to_owned(),
            query_key: secret.key("query", &[&query_text]),
            visitor_key: secret.visitor_key(visitor),
        };
        let mut pending = self.lock_pending();
        if !pending.opened.contains(&opened) && pending.has_room() {
            pending.opened.insert(opened);
            pending.entries += 1;
        }
        Ok(())
    }

    /// Writes what was gathered and closes the weeks before `now`'s. On a failed write the
    /// counts go back to the buffer for the next flush.
    pub async fn flush(
        &self,
        store: &dyn SearchDemandStore,
        now: DateTime<Utc>,
    ) -> Result<Flushed> {
        let (tallies, opened, dropped) = self.lock_pending().take();
        let has_counts = !tallies.is_empty() || !opened.is_empty();
        if has_counts
            && let Err(e) = store
                .record_search_demand(&tallies, &opened, self.min_visitors)
                .await
        {
            let mut pending = self.lock_pending();
            pending.dropped += dropped;
            for tally in tallies {
                pending.add(tally);
            }
            for o in opened {
                if pending.has_room() && pending.opened.insert(o) {
                    pending.entries += 1;
                }
            }
            return Err(e);
        }
        let weeks_closed = store.close_search_demand_weeks(&week_of(now)).await?;
        Ok(Flushed {
            queries: tallies.len(),
            opened: opened.len(),
            dropped,
            weeks_closed,
        })
    }

    /// The last `weeks` weeks (this one included) and their most unmet queries (at most
    /// `limit`).
    pub async fn report(
        &self,
        store: &dyn SearchDemandStore,
        now: DateTime<Utc>,
        weeks: u32,
        limit: u32,
    ) -> Result<DemandReport> {
        let from_week = week_of(now - Duration::weeks(i64::from(weeks.max(1) - 1)));
        Ok(DemandReport {
            weeks: store.search_demand_weeks(&from_week).await?,
            queries: store.search_demand_queries(&from_week, limit).await?,
            min_visitors: self.min_visitors,
            from_week,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;
    use crocevia_store::Store;

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 10, 0, 0).unwrap()
    }

    fn visitor(n: u8, agent: &str) -> Visitor<'_> {
        Visitor {
            address: Some(IpAddr::from([192, 0, 2, n])),
            user_agent: agent,
        }
    }

    async fn store() -> (tempfile::TempDir, std::sync::Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
            .await
            .unwrap();
        (dir, store)
    }

    #[test]
    fn weeks_are_iso_weeks_that_sort_in_time_order() {
        assert_eq!(week_of(at(7)), "2026-W50");
        // 1 January 2027 is a Friday: still week 53 of 2026.
        assert_eq!(
            week_of(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()),
            "2026-W53"
        );
        assert!(week_of(at(7)) < week_of(Utc.with_ymd_and_hms(2027, 1, 4, 0, 0, 0).unwrap()));
        assert_eq!(week_start("2026-W50"), Some(at(7).date_naive()));
        assert_eq!(week_start("2026-W53").unwrap().to_string(), "2026-12-28");
        assert_eq!(week_start("W50"), None);
    }

    #[test]
    fn queries_count_alike_whatever_their_case_and_spaces() {
        assert_eq!(
            normalize_query("  Medico   SENZA documenti "),
            Some("medico senza documenti".into())
        );
        assert_eq!(normalize_query("   "), None);
        assert_eq!(
            normalize_query(&"a".repeat(500)).unwrap().chars().count(),
            200
        );
    }

    #[tokio::test]
    async fn a_query_is_named_once_enough_different_visitors_typed_it() {
        let (_dir, store) = store().await;
        let recorder = SearchDemandRecorder::new(3);
        let s = store.as_ref();
        // One person searching five times is one visitor.
        for _ in 0..5 {
            recorder
                .searched(s, at(7), "it", "Sportello casa", 0, &visitor(1, "A"))
                .await
                .unwrap();
        }
        recorder
            .searched(s, at(7), "it", "sportello  casa", 0, &visitor(2, "A"))
            .await
            .unwrap();
        recorder.flush(s, at(7)).await.unwrap();
        let report = recorder.report(s, at(7), 4, 10).await.unwrap();
        assert!(report.queries.is_empty(), "{report:?}");
        assert_eq!(report.weeks[0].searches, 6);
        assert_eq!(report.weeks[0].empty_searches, 6);

        // The same address with another browser is another visitor: three in all.
        recorder
            .searched(s, at(8), "it", "sportello casa", 0, &visitor(2, "B"))
            .await
            .unwrap();
        recorder
            .opened(s, at(8), "it", "Sportello casa", &visitor(2, "B"))
            .await
            .unwrap();
        recorder.flush(s, at(8)).await.unwrap();
        let report = recorder.report(s, at(8), 4, 10).await.unwrap();
        assert_eq!(report.queries.len(), 1);
        let query = &report.queries[0];
        assert_eq!(query.query, "sportello casa");
        assert_eq!((query.visitors, query.visitors_clicked), (3, 1));
        assert_eq!(report.from_week, "2026-W47");
    }

    #[tokio::test]
    async fn the_next_week_closes_the_last_and_its_rare_queries_lose_their_text() {
        let (_dir, store) = store().await;
        let recorder = SearchDemandRecorder::new(3);
        let s = store.as_ref();
        recorder
            .searched(s, at(7), "ar", "اسمي محمد ٣٣٣١٢٣٤", 2, &visitor(1, "A"))
            .await
            .unwrap();
        recorder.flush(s, at(7)).await.unwrap();
        // Monday 14 December: week 51.
        recorder
            .searched(s, at(14), "ar", "طبيب", 1, &visitor(1, "A"))
            .await
            .unwrap();
        let flushed = recorder.flush(s, at(14)).await.unwrap();
        assert_eq!(flushed.weeks_closed, 1);
        let report = recorder.report(s, at(14), 2, 10).await.unwrap();
        assert_eq!(
            report
                .weeks
                .iter()
                .map(|w| (w.week.as_str(), w.searches))
                .collect::<Vec<_>>(),
            [("2026-W51", 1), ("2026-W50", 1)]
        );
        assert!(report.queries.is_empty());
    }

    #[tokio::test]
    async fn a_full_buffer_drops_new_entries_and_says_how_many() {
        let (_dir, store) = store().await;
        let recorder = SearchDemandRecorder::new(3);
        recorder.lock_pending().capacity = 10;
        let s = store.as_ref();
        for n in 0..=5 {
            recorder
                .searched(s, at(7), "it", &format!("q{n}"), 1, &visitor(1, "A"))
                .await
                .unwrap();
        }
        let flushed = recorder.flush(s, at(7)).await.unwrap();
        assert_eq!(flushed.queries, 5);
        assert_eq!(flushed.dropped, 1);
    }
}
