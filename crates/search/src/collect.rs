//! One pass over the matching documents: the checks the postings cannot do (open now, exact
//! distance), the final score (relevance × freshness × status × distance), the top hits, the
//! total and the facet counts, reading only fast fields.
//!
//! Facets are counted per *set*: each document has one value per dimension (its categories,
//! its territories, its languages, joined), dictionary-encoded, so counting is one ordinal
//! per document and dimension; at harvest each matched set adds its count to its values,
//! decoded once per segment ([`crate::facets`]). Directories repeat the same few sets (every
//! CPIA course: the same categories and languages), so there are far fewer sets than
//! documents.
//! Opening hours work the same way: equal schedules share an ordinal, evaluated once per
//! query and segment.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};

use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crocevia_core::schedule::OpenAt;
use crocevia_core::territory::Point;

use crate::facets::{DocRow, FacetTables, SegmentData};
use crate::fields::{Meta, names};
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
    pub tables: Arc<FacetTables>,
    /// Values kept per facet list (`None`: all).
    pub facet_limit: Option<usize>,
}

/// What one segment found.
pub(crate) struct SegmentFruit {
    total: u64,
    top: Vec<Entry>,
    /// Matches per facet value number (see [`FacetTables`]).
    value_counts: Vec<u64>,
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

impl Collector for Collect {
    type Fruit = Fruit;
    type Child = SegmentCollect;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentCollect> {
        let data = self.tables.segment(reader)?;
        let counts = [0, 1, 2].map(|i| vec![0u32; data.sets[i].values_of.len()]);
        let schedule_cache = vec![0u8; data.schedules.len()];
        Ok(SegmentCollect {
            settings: self.settings,
            segment,
            counts,
            point: reader.fast_fields().column_opt::<u64>(names::POINT)?,
            data,
            schedule_cache,
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
        let mut counts: Vec<u64> = Vec::new();
        let mut free = 0;
        let mut accessible = 0;
        for fruit in fruits {
            total += fruit.total;
            top.extend(fruit.top);
            free += fruit.free;
            accessible += fruit.accessible;
            if counts.len() < fruit.value_counts.len() {
                counts.resize(fruit.value_counts.len(), 0);
            }
            for (sum, count) in counts.iter_mut().zip(fruit.value_counts) {
                *sum += count;
            }
        }
        top.sort_unstable();
        top.truncate(self.settings.keep);
        let facets = self
            .tables
            .facets(&counts, free, accessible, self.facet_limit);
        Ok(Fruit { total, top, facets })
    }
}

pub(crate) struct SegmentCollect {
    settings: Settings,
    segment: SegmentOrdinal,
    data: Arc<SegmentData>,
    /// Matches per set ordinal, per facet field.
    counts: [Vec<u32>; 3],
    point: Option<Column<u64>>,
    /// Per schedule pattern (ordinal): 0 not evaluated yet, 1 open, 2 closed.
    schedule_cache: Vec<u8>,
    free_count: u64,
    accessible_count: u64,
    total: u64,
    heap: BinaryHeap<Entry>,
}

impl SegmentCollect {
    fn is_open(&mut self, row: &DocRow, at: &OpenAt) -> bool {
        if Meta(row.meta).closed() {
            return false;
        }
        // No schedule (`NONE`): no known hours.
        let Some(cached) = self.schedule_cache.get_mut(row.schedule as usize) else {
            return false;
        };
        if *cached == 0 {
            let open = self
                .data
                .schedules
                .get(row.schedule as usize)
                .is_some_and(|bytes| at.check(bytes));
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
        let row = self
            .data
            .rows
            .get(doc as usize)
            .copied()
            .unwrap_or(DocRow::EMPTY);
        if let Some(at) = &settings.open_at
            && !self.is_open(&row, at)
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
        for (counts, ord) in self.counts.iter_mut().zip(row.sets) {
            if let Some(c) = counts.get_mut(ord as usize) {
                *c += 1;
            }
        }
        let meta = Meta(row.meta);
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
            value_counts: {
                let mut value_counts = vec![0u64; self.data.value_bound];
                for (counts, sets) in self.counts.iter().zip(&self.data.sets) {
                    for (count, values) in counts.iter().zip(&sets.values_of) {
                        if *count == 0 {
                            continue;
                        }
                        for value in values.iter() {
                            if let Some(sum) = value_counts.get_mut(*value as usize) {
                                *sum += u64::from(*count);
                            }
                        }
                    }
                }
                value_counts
            },
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
