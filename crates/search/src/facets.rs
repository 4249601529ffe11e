//! Facet sets decoded once per segment.
//!
//! Each document stores one *set* per facet field (its categories, its territories, its
//! languages, joined by spaces), dictionary-encoded. A search counts set ordinals; turning the
//! matched sets back into values used to read and split their strings at every search, which
//! cost as much as the search itself on common words. Segments never change once written, so
//! each segment's sets are decoded once, into value numbers of a table shared by the whole
//! index, and a search only adds integers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;

use crate::Facets;
use crate::index::EMPTY_SET;

/// What a facet value counts towards, in the order of [`Facets`]'s lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Dimension {
    Category,
    Region,
    Province,
    Comune,
    Language,
}

/// The set fields: each set's values belong to one dimension, except places, whose values
/// say theirs with a prefix (`r`, `p`, `c`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum SetField {
    Categories,
    Places,
    Languages,
}

impl SetField {
    fn value(self, raw: &str) -> Option<(Dimension, &str)> {
        match self {
            SetField::Categories => Some((Dimension::Category, raw)),
            SetField::Languages => Some((Dimension::Language, raw)),
            SetField::Places => match raw.split_at_checked(1)? {
                ("r", code) => Some((Dimension::Region, code)),
                ("p", code) => Some((Dimension::Province, code)),
                ("c", code) => Some((Dimension::Comune, code)),
                _ => None,
            },
        }
    }
}

/// Every facet value any segment holds, numbered.
#[derive(Default)]
struct Values {
    ids: HashMap<(Dimension, String), u32>,
    list: Vec<(Dimension, String)>,
}

impl Values {
    fn id(&mut self, dimension: Dimension, value: &str) -> u32 {
        let key = (dimension, value.to_owned());
        if let Some(id) = self.ids.get(&key) {
            return *id;
        }
        let id = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(key.clone());
        self.ids.insert(key, id);
        id
    }
}

/// One segment's sets of one field: for each set ordinal, its value numbers.
pub(crate) struct DecodedSets {
    pub values_of: Vec<Box<[u32]>>,
}

/// The decoded sets of every live segment, and the value table they point into.
#[derive(Default)]
pub(crate) struct FacetTables {
    values: Mutex<Values>,
    segments: Mutex<HashMap<(SegmentId, u8), Arc<DecodedSets>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Both maps only grow by complete entries, so a poisoned lock holds nothing half-made.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl FacetTables {
    /// The sets of `field` in a segment, decoded the first time they are asked for.
    pub fn sets(
        &self,
        segment: SegmentId,
        field: SetField,
        column: &StrColumn,
    ) -> tantivy::Result<Arc<DecodedSets>> {
        let key = (segment, field as u8);
        if let Some(found) = lock(&self.segments).get(&key) {
            return Ok(found.clone());
        }
        let ords: Vec<u64> = (0..column.num_terms() as u64).collect();
        let mut values_of = Vec::with_capacity(ords.len());
        {
            let mut values = lock(&self.values);
            column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                let set = String::from_utf8_lossy(bytes);
                let ids: Box<[u32]> = set
                    .split(' ')
                    .filter(|v| *v != EMPTY_SET)
                    .filter_map(|v| field.value(v))
                    .map(|(dimension, value)| values.id(dimension, value))
                    .collect();
                values_of.push(ids);
            })?;
        }
        let decoded = Arc::new(DecodedSets { values_of });
        lock(&self.segments).insert(key, decoded.clone());
        Ok(decoded)
    }

    /// Forgets the segments not in `live` (merged away or deleted).
    pub fn keep_only(&self, live: &[SegmentId]) {
        lock(&self.segments).retain(|(segment, _), _| live.contains(segment));
    }

    /// Turns counts per value number into the facet lists, most frequent first; comuni and
    /// provinces (thousands at national scale) cut to `limit` values when given, the other
    /// lists (a few dozen values at most) kept whole.
    pub fn facets(
        &self,
        counts: &[u64],
        free: u64,
        accessible: u64,
        limit: Option<usize>,
    ) -> Facets {
        let values = lock(&self.values);
        let mut lists: [Vec<(String, u64)>; 5] = Default::default();
        for (id, count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            if let Some((dimension, value)) = values.list.get(id) {
                lists[*dimension as usize].push((value.clone(), *count));
            }
        }
        for list in &mut lists {
            list.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        }
        let [categories, regions, mut provinces, mut comuni, languages] = lists;
        if let Some(limit) = limit {
            provinces.truncate(limit);
            comuni.truncate(limit);
        }
        Facets {
            categories,
            provinces,
            comuni,
            regions,
            languages,
            free,
            accessible,
        }
    }
}
