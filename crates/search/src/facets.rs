//! Facet sets decoded once per segment.
//!
//! Each document stores one *set* per facet field (its categories, its territories, its
//! languages, joined by spaces), dictionary-encoded. A search counts set ordinals; turning the
//! matched sets back into values used to read and split their strings at every search, which
//! cost as much as the search itself on common words. Segments never change once written, so
//! each segment's sets are decoded once, into value numbers of a table shared by the whole
//! index, and a search only adds integers. The same decoding turns what the collector reads
//! per document (the packed meta, the three set ordinals, the schedule ordinal) into one plain
//! row per document, and reads each distinct schedule once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::SegmentReader;
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;

use crate::Facets;
use crate::fields::{EMPTY_SET, names};

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
#[derive(Default)]
pub(crate) struct DecodedSets {
    pub values_of: Vec<Box<[u32]>>,
}

/// No value in this column for a document.
pub(crate) const NONE: u32 = u32::MAX;

/// What the collector reads about one document, in one place: its packed [`Meta`]
/// (`crate::fields::Meta`), its set ordinal per [`SET_FIELDS`] field and its schedule
/// ordinal ([`NONE`] when missing). Plain memory instead of bit-packed columns behind a
/// dynamic call: the collector visits every match.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocRow {
    pub meta: u64,
    pub sets: [u32; 3],
    pub schedule: u32,
}

impl DocRow {
    pub const EMPTY: DocRow = DocRow {
        meta: 0,
        sets: [NONE; 3],
        schedule: NONE,
    };
}

/// The facet-set fast fields, one value per document: categories, territories, languages.
pub(crate) const SET_FIELDS: [(&str, SetField); 3] = [
    (names::CATEGORY_SET, SetField::Categories),
    (names::PLACE_SET, SetField::Places),
    (names::LANGUAGE_SET, SetField::Languages),
];

/// One segment, decoded once: a row per document, the sets of each facet field and the
/// distinct schedules.
pub(crate) struct SegmentData {
    pub rows: Box<[DocRow]>,
    pub sets: [DecodedSets; 3],
    /// Compact schedules ([`crocevia_core::schedule::encode`]) by ordinal.
    pub schedules: Box<[Box<[u8]>]>,
    /// One more than the largest value number the sets use.
    pub value_bound: usize,
}

/// The decoded segments of the index, and the value table their sets point into.
#[derive(Default)]
pub(crate) struct FacetTables {
    values: Mutex<Values>,
    segments: Mutex<HashMap<SegmentId, Arc<SegmentData>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Both maps only grow by complete entries, so a poisoned lock holds nothing half-made.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl FacetTables {
    /// A segment's rows, sets and schedules, decoded the first time they are asked for.
    /// Segments never change once written (deletions only hide documents), so this holds
    /// until the segment is merged away.
    pub fn segment(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentData>> {
        let id = reader.segment_id();
        if let Some(found) = lock(&self.segments).get(&id) {
            return Ok(found.clone());
        }
        let ff = reader.fast_fields();
        let mut rows = vec![DocRow::EMPTY; reader.max_doc() as usize];
        if let Some(meta) = ff.column_opt::<u64>(names::META)? {
            for (doc, row) in (0u32..).zip(rows.iter_mut()) {
                row.meta = meta.first(doc).unwrap_or_default();
            }
        }
        let mut sets: [DecodedSets; 3] = Default::default();
        let mut value_bound = 0;
        for (i, (name, field)) in SET_FIELDS.into_iter().enumerate() {
            let Some(column) = ff.str(name)? else {
                continue;
            };
            sets[i] = self.decode(field, &column)?;
            if let Some(max) = sets[i].values_of.iter().flat_map(|v| v.iter()).max() {
                value_bound = value_bound.max(*max as usize + 1);
            }
            let ords = column.ords();
            for (doc, row) in (0u32..).zip(rows.iter_mut()) {
                if let Some(ord) = ords.first(doc) {
                    row.sets[i] = u32::try_from(ord).unwrap_or(NONE);
                }
            }
        }
        let mut schedules = Vec::new();
        if let Some(column) = ff.bytes(names::SCHEDULE)? {
            let ords: Vec<u64> = (0..column.num_terms() as u64).collect();
            column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                schedules.push(Box::from(bytes));
            })?;
            let ords = column.ords();
            for (doc, row) in (0u32..).zip(rows.iter_mut()) {
                if let Some(ord) = ords.first(doc) {
                    row.schedule = u32::try_from(ord).unwrap_or(NONE);
                }
            }
        }
        let decoded = Arc::new(SegmentData {
            rows: rows.into_boxed_slice(),
            sets,
            schedules: schedules.into_boxed_slice(),
            value_bound,
        });
        lock(&self.segments).insert(id, decoded.clone());
        Ok(decoded)
    }

    /// The sets of one field: value numbers per set ordinal.
    fn decode(&self, field: SetField, column: &StrColumn) -> tantivy::Result<DecodedSets> {
        let ords: Vec<u64> = (0..column.num_terms() as u64).collect();
        let mut values_of = Vec::with_capacity(ords.len());
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
        Ok(DecodedSets { values_of })
    }

    /// Forgets the segments not in `live` (merged away or deleted).
    pub fn keep_only(&self, live: &[SegmentId]) {
        lock(&self.segments).retain(|segment, _| live.contains(segment));
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
        // Value numbers with their counts first; strings only for what is returned.
        let mut lists: [Vec<(u32, u64)>; 5] = Default::default();
        for (id, count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            if let Some((dimension, _)) = values.list.get(id) {
                lists[*dimension as usize].push((id as u32, *count));
            }
        }
        let name = |id: u32| values.list[id as usize].1.as_str();
        let order =
            |a: &(u32, u64), b: &(u32, u64)| b.1.cmp(&a.1).then_with(|| name(a.0).cmp(name(b.0)));
        let finish = |mut list: Vec<(u32, u64)>, keep: Option<usize>| -> Vec<(String, u64)> {
            if let Some(keep) = keep
                && keep < list.len()
            {
                // The `keep` first in order, then only those sorted.
                if keep > 0 {
                    list.select_nth_unstable_by(keep - 1, order);
                }
                list.truncate(keep);
            }
            list.sort_unstable_by(order);
            list.into_iter()
                .map(|(id, count)| (name(id).to_owned(), count))
                .collect()
        };
        let [categories, regions, provinces, comuni, languages] = lists;
        let (categories, regions, provinces, comuni, languages) = (
            finish(categories, None),
            finish(regions, None),
            finish(provinces, limit),
            finish(comuni, limit),
            finish(languages, None),
        );
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
