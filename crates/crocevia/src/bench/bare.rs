//! Bare tantivy, the ceiling: one text field with every name and description in every
//! language (default tokenizer: lowercase, no stemming, no folding), categories and province
//! as raw strings, latitude/longitude as fast fields for a bounding box. A query is a
//! `BooleanQuery` of `TermQuery` (or `FuzzyTermQuery` for the typo, a prefix automaton for
//! the word being typed), collected with `TopDocs(10)` by BM25: no facets, no total, no
//! snippets, no typo detection, no taxonomy, no schedules.
//!
//! Counted ([`Bare::run_counted`]): the same query, also collecting the total and the facet
//! counts our search returns (needs, regions, provinces and comuni — the 50 most frequent —,
//! languages, free, accessible) with tantivy's own aggregations: what our layers cost against
//! tantivy doing the same work.

use std::ops::Bound;
use std::path::Path;

use anyhow::Result;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TEXT};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crocevia_core::service_doc::ServiceDoc;

use super::queries::{BenchQuery, Kind};

/// The same writer settings as our index: one indexing thread, 50 MB.
const WRITER_HEAP: usize = 50_000_000;

pub struct Bare {
    index: Index,
    writer: Option<IndexWriter>,
    reader: Option<IndexReader>,
    id: Field,
    text: Field,
    category: Field,
    province: Field,
    region: Field,
    comune: Field,
    language: Field,
    free: Field,
    accessible: Field,
    lat: Field,
    lon: Field,
    /// The facet counts of [`Bare::run_counted`].
    aggregations: Aggregations,
}

impl Bare {
    pub fn create(dir: &Path) -> Result<Bare> {
        let mut b = Schema::builder();
        let id = b.add_u64_field("id", FAST);
        let text = b.add_text_field("text", TEXT);
        let category = b.add_text_field("category", STRING | FAST);
        let province = b.add_text_field("province", STRING | FAST);
        let region = b.add_text_field("region", STRING | FAST);
        let comune = b.add_text_field("comune", STRING | FAST);
        let language = b.add_text_field("language", STRING | FAST);
        let free = b.add_bool_field("free", FAST);
        let accessible = b.add_bool_field("accessible", FAST);
        let lat = b.add_f64_field("lat", INDEXED | FAST);
        let lon = b.add_f64_field("lon", INDEXED | FAST);
        std::fs::create_dir_all(dir)?;
        let index = Index::create_in_dir(dir, b.build())?;
        let writer = index.writer_with_num_threads(1, WRITER_HEAP)?;
        Ok(Bare {
            index,
            writer: Some(writer),
            reader: None,
            id,
            text,
            category,
            province,
            region,
            comune,
            language,
            free,
            accessible,
            lat,
            lon,
            aggregations: facet_aggregations(),
        })
    }

    pub fn add(&mut self, number: usize, doc: &ServiceDoc) -> Result<()> {
        if !doc.is_listed() {
            return Ok(());
        }
        let mut d = TantivyDocument::default();
        d.add_u64(self.id, number as u64);
        for t in &doc.texts {
            d.add_text(self.text, &t.name);
            d.add_text(self.text, &t.description);
            if let Some(org) = &t.organization {
                d.add_text(self.text, org);
            }
        }
        for place in &doc.places {
            d.add_text(self.text, place);
        }
        for c in &doc.categories {
            d.add_text(self.category, c);
        }
        for (field, values) in [
            (self.province, &doc.provinces),
            (self.region, &doc.regions),
            (self.comune, &doc.comuni),
            (self.language, &doc.languages),
        ] {
            for v in values {
                d.add_text(field, v);
            }
        }
        d.add_bool(self.free, doc.free);
        d.add_bool(self.accessible, doc.accessible);
        if let Some(p) = doc.points.first() {
            d.add_f64(self.lat, p.lat);
            d.add_f64(self.lon, p.lon);
        }
        self.writer
            .as_ref()
            .expect("still writing")
            .add_document(d)?;
        Ok(())
    }

    /// Commits, waits for merges (we own this writer) and opens the reader; returns the
    /// number of segments.
    pub fn finish(&mut self) -> Result<usize> {
        let mut writer = self.writer.take().expect("still writing");
        writer.commit()?;
        writer.wait_merging_threads()?;
        let reader = self
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let reader: IndexReader = reader;
        let segments = reader.searcher().segment_readers().len();
        self.reader = Some(reader);
        Ok(segments)
    }

    /// Runs a query: the number of hits returned (at most 10), or `None` when bare tantivy
    /// cannot express it (open now).
    pub fn run(&self, q: &BenchQuery) -> Result<Option<usize>> {
        let Some(query) = self.query(q) else {
            return Ok(None);
        };
        let searcher = self.reader.as_ref().expect("finished").searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(10).order_by_score())?;
        self.ids(&searcher, &top).map(|ids| Some(ids.len()))
    }

    /// Like [`Bare::run`], also counting every match and the facets.
    pub fn run_counted(&self, q: &BenchQuery) -> Result<Option<usize>> {
        let Some(query) = self.query(q) else {
            return Ok(None);
        };
        let searcher = self.reader.as_ref().expect("finished").searcher();
        let facets =
            AggregationCollector::from_aggs(self.aggregations.clone(), AggContextParams::default());
        let (top, _total, facets) = searcher.search(
            &query,
            &(TopDocs::with_limit(10).order_by_score(), Count, facets),
        )?;
        // Like any engine, turn the counts into an answer.
        serde_json::to_string(&facets)?;
        self.ids(&searcher, &top).map(|ids| Some(ids.len()))
    }

    /// The query, or `None` when bare tantivy cannot express it (open now) or it has no
    /// text nor filter (browse).
    fn query(&self, q: &BenchQuery) -> Option<BooleanQuery> {
        if q.open_now || q.kind == Kind::BrowseAll {
            return None;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let last = q.words.len().saturating_sub(1);
        for (i, w) in q.words.iter().enumerate() {
            let term = Term::from_field_text(self.text, w);
            let query: Box<dyn Query> = if q.prefix && i == last {
                Box::new(FuzzyTermQuery::new_prefix(term, 0, true))
            } else if q.kind == Kind::Typo {
                Box::new(FuzzyTermQuery::new(term, 1, true))
            } else {
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
            };
            clauses.push((Occur::Must, query));
        }
        if let Some(c) = &q.category {
            let term = Term::from_field_text(self.category, c);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        if let Some(p) = &q.province {
            let term = Term::from_field_text(self.province, p);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        if let Some(near) = &q.near {
            let (lat0, lat1, lon0, lon1) = near.bbox();
            for (field, lo, hi) in [(self.lat, lat0, lat1), (self.lon, lon0, lon1)] {
                clauses.push((
                    Occur::Must,
                    Box::new(RangeQuery::new(
                        Bound::Included(Term::from_field_f64(field, lo)),
                        Bound::Included(Term::from_field_f64(field, hi)),
                    )),
                ));
            }
        }
        Some(BooleanQuery::new(clauses))
    }

    /// Like any engine, return the ids.
    fn ids(
        &self,
        searcher: &tantivy::Searcher,
        top: &[(tantivy::Score, tantivy::DocAddress)],
    ) -> Result<Vec<Option<u64>>> {
        top.iter()
            .map(|(_, address)| {
                let column = searcher
                    .segment_reader(address.segment_ord)
                    .fast_fields()
                    .u64("id")?;
                Ok(column.first(address.doc_id))
            })
            .collect()
    }
}

/// Terms aggregations for the facets our search counts: every need, region, language and
/// the two flags; the 50 most frequent provinces and comuni.
fn facet_aggregations() -> Aggregations {
    let terms =
        |field: &str, size: u32| serde_json::json!({"terms": {"field": field, "size": size}});
    serde_json::from_value(serde_json::json!({
        "category": terms("category", 1000),
        "region": terms("region", 100),
        "province": terms("province", 50),
        "comune": terms("comune", 50),
        "language": terms("language", 1000),
        "free": terms("free", 2),
        "accessible": terms("accessible", 2),
    }))
    .expect("a valid aggregation request")
}
