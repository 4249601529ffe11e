//! One pass over the matching documents: the checks the postings cannot do (open now, exact
//! distance), the final score (relevance × freshness × status × distance), the top hits, the
//! total and the facet counts, reading only fast fields.
//!
//! Facets are counted per *set*: each document has one value per dimension (its categories,
//! its territories, its languages, joined), dictionary-encoded, so counting is one ordinal
//! per document and dimension; the sets are split into values once per query, when the
//! segment is harvested. Directories repeat the same few sets (every CPIA course: the same
//! categories and languages), so there are far fewer sets than documents.
//! Opening hours work the same way: equal schedules share an ordinal, evaluated once per
//! query and segment.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};

use tantivy::columnar::{BytesColumn, Column, ColumnIndex, ColumnValues, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crocevia_core::territory::Point;

use crate::index::{EMPTY_SET, Meta, names};
use crate::schedule::OpenAt;
use crate::{Facets, geo};

/// How hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Order {
    /// Relevance × freshness × status (× distance decay when a point is given).
    Relevance,
    /// Nearest first (then freshness): a point and no text.
    Distance,
    /// Freshness × status alone: neither text nor point.
    Freshness,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// How many of the best hits to keep (offset + limit).
    pub keep: usize,
    pub order: Order,
    pub open_at: Option<OpenAt>,
    pub near: Option<(Point, f64)>,
    /// Today in Rome, as days from the common era.
    pub today: i64,
}

/// Days after which a verification counts as stale.
const FRESH_DAYS: i64 = 183;

/// How much the date of the last verification weighs: up to +10% for one verified today,
/// ×0.85 once stale (more than six months), ×0.75 after a year, ×0.8 when never verified.
fn freshness(assured: Option<i64>, today: i64) -> f32 {
    let Some(assured) = assured else {
        return 0.8;
    };
    let age = today - assured;
    if age <= 0 {
        1.1
    } else if age <= FRESH_DAYS {
        1.0 + 0.1 * (1.0 - age as f32 / FRESH_DAYS as f32)
    } else if age <= 365 {
        0.85
    } else {
        0.75
    }
}

/// A temporarily closed service still shows, below open ones.
const CLOSED_FACTOR: f32 = 0.6;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// Larger is better.
    key: f64,
    pub score: f32,
    pub distance: Option<f64>,
    pub segment: SegmentOrdinal,
    pub doc: DocId,
}

impl Entry {
    /// Best first; ties in document order, so results are stable.
    fn rank(&self, other: &Self) -> Ordering {
        other
            .key
            .total_cmp(&self.key)
            .then(self.segment.cmp(&other.segment))
            .then(self.doc.cmp(&other.doc))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.rank(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
/// Ordered by rank: in a `BinaryHeap` the top is the worst kept hit.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank(other)
    }
}

pub(crate) struct Collect {
    pub settings: Settings,
}

/// What one segment found.
pub(crate) struct SegmentFruit {
    total: u64,
    top: Vec<Entry>,
    /// Per facet set (see [`FACET_FIELDS`]): each distinct set matched, and how many times.
    facets: Vec<Vec<(String, u64)>>,
    free: u64,
    accessible: u64,
}

/// What the whole search found.
pub(crate) struct Fruit {
    pub total: u64,
    /// Best first, at most `keep`.
    pub top: Vec<Entry>,
    pub facets: Facets,
}

/// The facet-set fast fields, one value per document: categories, territories, languages.
const FACET_FIELDS: [&str; 3] = [names::CATEGORY_SET, names::PLACE_SET, names::LANGUAGE_SET];

impl Collector for Collect {
    type Fruit = Fruit;
    type Child = SegmentCollect;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentCollect> {
        let ff = reader.fast_fields();
        let mut facets = Vec::with_capacity(FACET_FIELDS.len());
        for name in FACET_FIELDS {
            let column = ff.str(name)?;
            let counts = vec![0u32; column.as_ref().map_or(0, |c| c.num_terms())];
            let ords = Lookup::new(column.as_ref().map(|c| c.ords().clone()));
            facets.push(FacetCounter {
                column,
                ords,
                counts,
            });
        }
        let schedule = ff.bytes(names::SCHEDULE)?;
        let schedule_cache = vec![0u8; schedule.as_ref().map_or(0, |c| c.num_terms())];
        Ok(SegmentCollect {
            settings: self.settings,
            segment,
            facets,
            meta: Lookup::new(ff.column_opt::<u64>(names::META)?),
            point: ff.column_opt::<u64>(names::POINT)?,
            schedule,
            schedule_cache,
            buffer: Vec::new(),
            free_count: 0,
            accessible_count: 0,
            total: 0,
            heap: BinaryHeap::with_capacity(self.settings.keep + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.settings.order == Order::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<Fruit> {
        let mut total = 0;
        let mut top = Vec::new();
        // categories, regions, provinces, comuni, languages
        let mut maps: [HashMap<&str, u64>; 5] = Default::default();
        let mut free = 0;
        let mut accessible = 0;
        for fruit in &fruits {
            total += fruit.total;
            top.extend_from_slice(&fruit.top);
            free += fruit.free;
            accessible += fruit.accessible;
            for (set_field, sets) in fruit.facets.iter().enumerate() {
                for (set, count) in sets {
                    for value in set.split(' ').filter(|v| *v != EMPTY_SET) {
                        let (map, value) = match set_field {
                            0 => (0, value),
                            2 => (4, value),
                            _ => match value.split_at_checked(1) {
                                Some(("r", code)) => (1, code),
                                Some(("p", code)) => (2, code),
                                Some(("c", code)) => (3, code),
                                _ => continue,
                            },
                        };
                        *maps[map].entry(value).or_default() += count;
                    }
                }
            }
        }
        top.sort_unstable();
        top.truncate(self.settings.keep);
        let [categories, regions, provinces, comuni, languages] = maps.map(|map| {
            let mut list: Vec<(String, u64)> =
                map.into_iter().map(|(v, c)| (v.to_owned(), c)).collect();
            list.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            list
        });
        let facets = Facets {
            categories,
            provinces,
            comuni,
            regions,
            languages,
            free,
            accessible,
        };
        Ok(Fruit { total, top, facets })
    }
}

struct FacetCounter {
    column: Option<StrColumn>,
    ords: Lookup,
    counts: Vec<u32>,
}

/// One value per document, read the fastest way the column allows.
enum Lookup {
    /// Every document has a value: read it directly.
    Full(Arc<dyn ColumnValues<u64>>),
    Sparse(Column<u64>),
    Missing,
}

impl Lookup {
    fn new(column: Option<Column<u64>>) -> Self {
        match column {
            Some(c) if matches!(c.index, ColumnIndex::Full) => Lookup::Full(c.values),
            Some(c) => Lookup::Sparse(c),
            None => Lookup::Missing,
        }
    }

    #[inline]
    fn get(&self, doc: DocId) -> Option<u64> {
        match self {
            Lookup::Full(values) => Some(values.get_val(doc)),
            Lookup::Sparse(column) => column.first(doc),
            Lookup::Missing => None,
        }
    }
}

impl FacetCounter {
    #[inline]
    fn count(&mut self, doc: DocId) {
        if let Some(ord) = self.ords.get(doc)
            && let Some(c) = self.counts.get_mut(ord as usize)
        {
            *c += 1;
        }
    }

    /// Each set matched, with its count.
    fn harvest(self) -> Vec<(String, u64)> {
        let Some(column) = self.column else {
            return Vec::new();
        };
        let (ords, counts): (Vec<u64>, Vec<u64>) = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(ord, c)| (ord as u64, u64::from(*c)))
            .unzip();
        let mut out = Vec::with_capacity(ords.len());
        let mut counts = counts.into_iter();
        // Reading a dictionary in order is one sequential pass over its blocks.
        let read = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
            let count = counts.next().unwrap_or_default();
            out.push((String::from_utf8_lossy(bytes).into_owned(), count));
        });
        if read.is_err() {
            out.clear();
        }
        out
    }
}

pub(crate) struct SegmentCollect {
    settings: Settings,
    segment: SegmentOrdinal,
    facets: Vec<FacetCounter>,
    meta: Lookup,
    point: Option<Column<u64>>,
    schedule: Option<BytesColumn>,
    /// Per schedule pattern (dictionary ordinal): 0 not evaluated yet, 1 open, 2 closed.
    schedule_cache: Vec<u8>,
    buffer: Vec<u8>,
    free_count: u64,
    accessible_count: u64,
    total: u64,
    heap: BinaryHeap<Entry>,
}

impl SegmentCollect {
    #[inline]
    fn meta(&self, doc: DocId) -> Meta {
        Meta(self.meta.get(doc).unwrap_or_default())
    }

    fn is_open(&mut self, doc: DocId, at: &OpenAt) -> bool {
        if self.meta(doc).closed() {
            return false;
        }
        let Some(column) = &self.schedule else {
            return false;
        };
        let Some(ord) = column.term_ords(doc).next() else {
            return false; // no known hours
        };
        let Some(cached) = self.schedule_cache.get_mut(ord as usize) else {
            return false;
        };
        if *cached == 0 {
            self.buffer.clear();
            let open = column.ord_to_bytes(ord, &mut self.buffer).unwrap_or(false)
                && at.check(&self.buffer);
            *cached = if open { 1 } else { 2 };
        }
        *cached == 1
    }

    /// Distance to the nearest of the document's points, if within the radius.
    fn distance(&self, doc: DocId, centre: &Point, radius: f64) -> Option<f64> {
        let column = self.point.as_ref()?;
        column
            .values_for_doc(doc)
            .map(|v| centre.distance_km(&geo::unpack(v)))
            .filter(|d| *d <= radius)
            .min_by(f64::total_cmp)
    }
}

impl SegmentCollector for SegmentCollect {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        let settings = self.settings;
        if let Some(at) = &settings.open_at
            && !self.is_open(doc, at)
        {
            return;
        }
        let distance = match settings.near {
            Some((centre, radius)) => match self.distance(doc, &centre, radius) {
                Some(d) => Some(d),
                None => return,
            },
            None => None,
        };
        self.total += 1;
        for facet in &mut self.facets {
            facet.count(doc);
        }
        let meta = self.meta(doc);
        self.free_count += u64::from(meta.free());
        self.accessible_count += u64::from(meta.accessible());
        if settings.keep == 0 {
            return;
        }
        let mut factor = freshness(meta.assured(), settings.today);
        if meta.closed() {
            factor *= CLOSED_FACTOR;
        }
        let (key, score) = match settings.order {
            Order::Distance => {
                let d = distance.unwrap_or_default();
                (-d + f64::from(factor) * 1e-3, factor)
            }
            Order::Freshness => (f64::from(factor), factor),
            Order::Relevance => {
                let mut s = score * factor;
                if let (Some(d), Some((_, radius))) = (distance, settings.near)
                    && radius > 0.0
                {
                    s *= 1.0 - 0.5 * (d / radius) as f32;
                }
                (f64::from(s), s)
            }
        };
        let entry = Entry {
            key,
            score,
            distance,
            segment: self.segment,
            doc,
        };
        if self.heap.len() < settings.keep {
            self.heap.push(entry);
        } else if let Some(worst) = self.heap.peek()
            && entry < *worst
        {
            self.heap.pop();
            self.heap.push(entry);
        }
    }

    fn harvest(self) -> SegmentFruit {
        SegmentFruit {
            total: self.total,
            top: self.heap.into_vec(),
            facets: self.facets.into_iter().map(FacetCounter::harvest).collect(),
            free: self.free_count,
            accessible: self.accessible_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresher_is_better_and_stale_is_worse() {
        let today = 740_000;
        assert!(freshness(Some(today - 3), today) > freshness(Some(today - 100), today));
        assert!(freshness(Some(today - 100), today) > 1.0);
        assert!(freshness(Some(today - 200), today) < 1.0);
        assert!(freshness(Some(today - 400), today) < freshness(Some(today - 200), today));
        assert!(freshness(None, today) < 1.0);
    }
}
