//! A small cache of search answers for `/api/search`, the portal and the HSDS `search`
//! parameter: as-you-type and popular queries repeat, and an answer costs milliseconds to
//! compute but microseconds to copy.
//!
//! An answer is found again only for the same [`SearchQuery`] (every parameter, normalised as
//! `to_query` leaves it), the same index generation (any commit or merge makes a new one, and
//! the first lookup that sees it empties the cache) and the same moment as far as the answer
//! depends on it: the minute for "open now" (schedules are in whole minutes), the day in Rome
//! otherwise (freshness is in days). So a cached answer is the answer the index would give.
//!
//! Bounded: two maps, the current and the previous; a hit in the previous one moves to the
//! current, and when the current holds half the capacity it becomes the previous (the old
//! previous is dropped). At most `capacity` answers are held, the recently used ones survive.
//! Capacity 0 turns the cache off (`CROCEVIA_SEARCH_CACHE=0`, `[search] result_cache = 0`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Utc};
use crocevia_core::schedule::rome_time;
use crocevia_search::{SearchQuery, SearchResults};

/// Answers kept by default.
pub const DEFAULT_CAPACITY: usize = 4096;

#[derive(Default)]
struct Maps {
    generation: u64,
    current: HashMap<String, Arc<SearchResults>>,
    previous: HashMap<String, Arc<SearchResults>>,
}

pub struct SearchCache {
    capacity: usize,
    maps: Mutex<Maps>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Default for SearchCache {
    fn default() -> Self {
        SearchCache::new(DEFAULT_CAPACITY)
    }
}

impl SearchCache {
    pub fn new(capacity: usize) -> Self {
        SearchCache {
            capacity,
            maps: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// The key of a query at `now`; `None` when the cache is off.
    pub fn key(&self, query: &SearchQuery, now: DateTime<Utc>) -> Option<String> {
        if !self.enabled() {
            return None;
        }
        let moment = if query.open_now {
            format!("m{}", now.timestamp().div_euclid(60))
        } else {
            format!("d{}", rome_time(now).date().num_days_from_ce())
        };
        let mut key = serde_json::to_string(query).ok()?;
        key.push('|');
        key.push_str(&moment);
        Some(key)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Maps> {
        // Maps are only changed by whole entries: a poisoned lock holds nothing half-made.
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The answer cached for `key` at index `generation`, counting a hit or a miss.
    pub fn get(&self, key: &str, generation: u64) -> Option<Arc<SearchResults>> {
        let mut maps = self.lock();
        if maps.generation != generation {
            maps.current.clear();
            maps.previous.clear();
            maps.generation = generation;
        }
        let found = match maps.current.get(key) {
            Some(found) => Some(found.clone()),
            None => match maps.previous.remove(key) {
                Some(found) => {
                    self.insert_locked(&mut maps, key.to_owned(), found.clone());
                    Some(found)
                }
                None => None,
            },
        };
        drop(maps);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps an answer computed at index `generation`.
    pub fn put(&self, key: String, generation: u64, results: Arc<SearchResults>) {
        let mut maps = self.lock();
        if maps.generation != generation {
            // Computed on another generation than the cache holds: not worth keeping, and
            // the next lookup at the newer generation empties the cache anyway.
            return;
        }
        self.insert_locked(&mut maps, key, results);
    }

    fn insert_locked(&self, maps: &mut Maps, key: String, results: Arc<SearchResults>) {
        let half = self.capacity.div_ceil(2);
        if maps.current.len() >= half {
            maps.previous = std::mem::take(&mut maps.current);
        }
        maps.current.insert(key, results);
    }

    /// (hits, misses) since the start.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Answers held now.
    pub fn len(&self) -> usize {
        let maps = self.lock();
        maps.current.len() + maps.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .expect("a date")
            .to_utc()
    }

    fn results(total: u64) -> Arc<SearchResults> {
        Arc::new(SearchResults {
            total,
            hits: Vec::new(),
            facets: Default::default(),
            interpretation: Default::default(),
        })
    }

    fn query(text: &str) -> SearchQuery {
        SearchQuery {
            text: Some(text.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_generation_empties_the_cache_and_misses_are_counted() {
        let cache = SearchCache::new(8);
        let now = moment();
        let key = cache.key(&query("medico"), now).expect("on");
        assert!(cache.get(&key, 1).is_none());
        cache.put(key.clone(), 1, results(3));
        assert_eq!(cache.get(&key, 1).map(|r| r.total), Some(3));
        assert!(cache.get(&key, 2).is_none());
        assert!(cache.is_empty());
        assert_eq!(cache.counts(), (1, 2));
    }

    #[test]
    fn it_holds_at_most_its_capacity_and_keeps_what_is_used() {
        let cache = SearchCache::new(4);
        let now = moment();
        let keys: Vec<String> = (0..10)
            .map(|i| cache.key(&query(&format!("q{i}")), now).expect("on"))
            .collect();
        cache.put(keys[0].clone(), 0, results(0));
        for (i, key) in keys.iter().enumerate().skip(1) {
            cache.put(key.clone(), 0, results(i as u64));
            assert!(cache.get(&keys[0], 0).is_some(), "used at every step: kept");
            assert!(cache.len() <= 4);
        }
        assert!(cache.get(&keys[1], 0).is_none());
    }

    #[test]
    fn every_parameter_and_the_moment_are_in_the_key() {
        let cache = SearchCache::new(4);
        let now = moment();
        let mut open = query("medico");
        open.open_now = true;
        assert_ne!(cache.key(&query("medico"), now), cache.key(&open, now));
        let later = now + chrono::Duration::minutes(2);
        assert_ne!(cache.key(&open, now), cache.key(&open, later));
        let mut paged = query("medico");
        paged.offset = 10;
        assert_ne!(cache.key(&query("medico"), now), cache.key(&paged, now));
        assert!(SearchCache::new(0).key(&open, now).is_none());
    }
}
