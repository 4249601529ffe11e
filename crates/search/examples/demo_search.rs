//! What the demo directory answers: `cargo run -p crocevia-search --example demo_search --
//! "medico di base" "en:doctor" "ar:طبيب"` (an optional `lang:` prefix sets the searcher's
//! language). Handy when tuning ranking against the judged set.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use chrono::{NaiveDate, TimeZone, Utc};
use crocevia_core::service_doc::service_docs;
use crocevia_search::*;

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let mut rows = crocevia_core::taxonomy::to_hsds_records();
    rows.extend(crocevia_core::demo::network(today));
    let territories = crocevia_core::territory::load_embedded().unwrap();
    let t = std::time::Instant::now();
    let docs = service_docs(&rows, &territories);
    eprintln!("{} docs in {:?}", docs.len(), t.elapsed());
    let index = SearchIndex::in_memory().unwrap();
    index.upsert(&docs).unwrap();
    index.commit().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap();
    for text in std::env::args().skip(1) {
        let (lang, text) = text.split_once(':').unwrap_or(("it", &text));
        let q = SearchQuery {
            text: Some(text.to_owned()),
            language: Some(lang.into()),
            ..Default::default()
        };
        let t = std::time::Instant::now();
        let r = index.search(&q, now).unwrap();
        println!(
            "== {text:?} total {} in {:?} {:?}",
            r.total,
            t.elapsed(),
            r.interpretation
        );
        for h in &r.hits[..r.hits.len().min(7)] {
            println!(
                "  {:6.2} {} | {}",
                h.score,
                h.name,
                &h.snippet.chars().take(110).collect::<String>()
            );
        }
    }
}
