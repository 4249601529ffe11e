//! Page numbers that stay cheap at any depth. An `OFFSET` walks every row before the page and
//! a `COUNT(*)` every row of the list, so a directory of a million services answered its last
//! pages ten times slower than its first. For each list asked for, this remembers its count
//! and the id at every [`ANCHOR_EVERY`]-th place, valid while the change log has not moved:
//! a page then starts from the nearest anchor (`id >= anchor`, an index seek) and skips fewer
//! than `ANCHOR_EVERY` rows.
//!
//! Reading the anchors walks the whole list once, so it runs in the background, one list at a
//! time; until it is done (and after every write) pages are read by offset, as before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Rows between two remembered ids.
pub(crate) const ANCHOR_EVERY: u64 = 1000;
/// Lists remembered at most (their filters differ); past it the memory starts again empty.
const LISTS: usize = 64;

#[derive(Default)]
pub(crate) struct PageCache {
    lists: Mutex<HashMap<String, Counted>>,
    /// Whether anchors are being read (of any list).
    reading: AtomicBool,
}

#[derive(Clone)]
pub(crate) struct Counted {
    /// The change-log position the figures hold at.
    position: i64,
    pub total: u64,
    pub anchors: Anchors,
}

#[derive(Clone)]
pub(crate) enum Anchors {
    NotAsked,
    Reading,
    /// The ids at places 0, `ANCHOR_EVERY`, 2 × `ANCHOR_EVERY`, … in id order.
    Read(Arc<Vec<String>>),
}

impl PageCache {
    /// What is known of the list `key` at `position`.
    pub fn get(&self, key: &str, position: i64) -> Option<Counted> {
        self.lock()
            .get(key)
            .filter(|c| c.position == position)
            .cloned()
    }

    pub fn put(&self, key: &str, position: i64, total: u64, anchors: Anchors) {
        let mut lists = self.lock();
        if lists.len() >= LISTS && !lists.contains_key(key) {
            lists.clear();
        }
        lists.insert(
            key.to_owned(),
            Counted {
                position,
                total,
                anchors,
            },
        );
    }

    /// Anchors read in the background, kept unless the list has changed meanwhile.
    pub fn anchors_read(&self, key: &str, position: i64, ids: Vec<String>) {
        if let Some(counted) = self.lock().get_mut(key)
            && counted.position == position
        {
            counted.anchors = Anchors::Read(Arc::new(ids));
        }
    }

    /// Claims the one background read of anchors; false while another runs.
    pub fn start_reading(&self) -> bool {
        !self.reading.swap(true, Ordering::AcqRel)
    }

    pub fn done_reading(&self) {
        self.reading.store(false, Ordering::Release);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Counted>> {
        // Plain data: a panic elsewhere cannot leave it half-written.
        self.lists.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where a page at `offset` starts: after the anchor at or before it (its index in the
/// anchors) and the rows to skip from there.
pub(crate) fn from_anchor(offset: u64) -> (usize, u64) {
    ((offset / ANCHOR_EVERY) as usize, offset % ANCHOR_EVERY)
}
