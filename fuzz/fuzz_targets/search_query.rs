//! The search query analysis (words, typos, completions, taxonomy runs, filters, facets),
//! run on the demo network's in-memory index.
//!
//! Input: fields separated by `\x1f` — text, language, categories (comma-separated),
//! comune, province, region, spoken language, flags (free, accessible, open now, facet
//! limit), offset, limit, near (`lat,lon,radius_km`). A plain text seed sets the text only.
#![no_main]

use std::sync::LazyLock;

use chrono::{NaiveDate, TimeZone, Utc};
use crocevia_core::service_doc::service_docs;
use crocevia_core::territory::{Point, Territories};
use crocevia_core::{demo, taxonomy, territory};
use crocevia_search::{Near, SearchIndex, SearchQuery};
use libfuzzer_sys::fuzz_target;

static TERRITORIES: LazyLock<Territories> =
    LazyLock::new(|| territory::load_embedded().expect("embedded territories"));

static INDEX: LazyLock<SearchIndex> = LazyLock::new(|| {
    let mut rows = taxonomy::to_hsds_records();
    rows.extend(demo::network(
        NaiveDate::from_ymd_opt(2026, 11, 16).expect("a date"),
    ));
    let index = SearchIndex::in_memory().expect("an index");
    index
        .upsert(&service_docs(&rows, &TERRITORIES))
        .expect("upsert");
    index.commit().expect("commit");
    index
});

fn opt(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_owned)
}

fuzz_target!(
    // The index is built once, before the first run (not inside its timeout).
    init: {
        LazyLock::force(&INDEX);
    },
    |data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut f = text.split('\x1f');
    let mut query = SearchQuery {
        text: opt(f.next()),
        language: opt(f.next()),
        categories: f
            .next()
            .map(|c| {
                c.split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        comune: opt(f.next()),
        province: opt(f.next()),
        region: opt(f.next()),
        spoken_language: opt(f.next()),
        ..Default::default()
    };
    if let Some(flags) = f.next().and_then(|s| s.bytes().next()) {
        query.free_only = flags & 1 != 0;
        query.accessible_only = flags & 2 != 0;
        query.open_now = flags & 4 != 0;
        query.facet_limit = (flags & 8 != 0).then_some(usize::from(flags >> 4));
    }
    query.offset = f.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    query.limit = f.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    if let Some(near) = f.next() {
        let n: Vec<f64> = near.split(',').filter_map(|x| x.parse().ok()).collect();
        if let [lat, lon, radius_km] = n[..] {
            query.near = Some(Near {
                point: Point { lat, lon },
                radius_km,
            });
        }
    }
    let now = Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap();
    let _ = INDEX.search(&query, now);
}
);
