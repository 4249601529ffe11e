//! One pass over the matching documents: the checks the postings cannot do (open now, exact
//! distance), the final score (relevance × freshness × status × distance), the top hits, the
//! total and the facet counts, reading only fast fields.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{BytesColumn, Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crocevia_core::territory::Point;

use crate::index::names;
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
    /// Per facet dimension (see [`FACET_FIELDS`]): value and count.
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

/// The string fast fields counted as facets, in the order of [`Facets`]' lists.
const FACET_FIELDS: [&str; 5] = [
    names::CATEGORY,
    names::PROVINCE,
    names::COMUNE,
    names::REGION,
    names::LANGUAGE,
];

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
            facets.push(FacetCounter { column, counts });
        }
        let schedule = ff.bytes(names::SCHEDULE)?;
        let schedule_cache = vec![0u8; schedule.as_ref().map_or(0, |c| c.num_terms())];
        Ok(SegmentCollect {
            settings: self.settings,
            segment,
            facets,
            free: ff.column_opt::<bool>(names::FREE)?,
            accessible: ff.column_opt::<bool>(names::ACCESSIBLE)?,
            closed: ff.column_opt::<bool>(names::CLOSED)?,
            assured: ff.column_opt::<i64>(names::ASSURED)?,
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
        let mut maps: Vec<HashMap<String, u64>> = vec![HashMap::new(); FACET_FIELDS.len()];
        let mut free = 0;
        let mut accessible = 0;
        for fruit in fruits {
            total += fruit.total;
            top.extend(fruit.top);
            for (map, values) in maps.iter_mut().zip(fruit.facets) {
                for (value, count) in values {
                    *map.entry(value).or_default() += count;
                }
            }
            free += fruit.free;
            accessible += fruit.accessible;
        }
        top.sort_unstable();
        top.truncate(self.settings.keep);
        let mut lists = maps.into_iter().map(|map| {
            let mut list: Vec<(String, u64)> = map.into_iter().collect();
            list.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            list
        });
        let mut next = || lists.next().unwrap_or_default();
        let facets = Facets {
            categories: next(),
            provinces: next(),
            comuni: next(),
            regions: next(),
            languages: next(),
            free,
            accessible,
        };
        Ok(Fruit { total, top, facets })
    }
}

struct FacetCounter {
    column: Option<StrColumn>,
    counts: Vec<u32>,
}

impl FacetCounter {
    fn count(&mut self, doc: DocId) {
        if let Some(column) = &self.column {
            for ord in column.term_ords(doc) {
                if let Some(c) = self.counts.get_mut(ord as usize) {
                    *c += 1;
                }
            }
        }
    }

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
    free: Option<Column<bool>>,
    accessible: Option<Column<bool>>,
    closed: Option<Column<bool>>,
    assured: Option<Column<i64>>,
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
    fn is_open(&mut self, doc: DocId, at: &OpenAt) -> bool {
        if self.closed.as_ref().and_then(|c| c.first(doc)) == Some(true) {
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
        if std::env::var_os("NOFACETS").is_none() {
            for facet in &mut self.facets {
                facet.count(doc);
            }
        }
        if self.free.as_ref().and_then(|c| c.first(doc)) == Some(true) {
            self.free_count += 1;
        }
        if self.accessible.as_ref().and_then(|c| c.first(doc)) == Some(true) {
            self.accessible_count += 1;
        }
        if settings.keep == 0 {
            return;
        }
        let mut factor = freshness(
            self.assured.as_ref().and_then(|c| c.first(doc)),
            settings.today,
        );
        if self.closed.as_ref().and_then(|c| c.first(doc)) == Some(true) {
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
