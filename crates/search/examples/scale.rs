//! Scratch: rough latency at 100k services (demo documents repeated with jittered points).
use chrono::{NaiveDate, TimeZone, Utc};
use crocevia_core::territory::Point;
use crocevia_search::*;
use std::time::Instant;

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
    let mut rows = crocevia_core::taxonomy::to_hsds_records();
    rows.extend(crocevia_core::demo::network(today));
    let territories = crocevia_core::territory::load_embedded().unwrap();
    let base = service_docs(&rows, &territories);
    let n: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |s| s.parse().unwrap());
    let comuni: Vec<_> = territories
        .comuni
        .iter()
        .filter(|c| c.centroid.is_some())
        .collect();
    let mut docs = Vec::with_capacity(n);
    for i in 0..n {
        let mut d = base[i % base.len()].clone();
        d.id = format!("{}-{i}", d.id);
        let c = comuni[(i * 7919) % comuni.len()];
        d.comuni = vec![c.code.clone()];
        d.provinces = vec![c.province_code.clone()];
        d.regions = vec![c.region_code.clone()];
        d.places = vec![c.name.clone()];
        if !d.points.is_empty() {
            d.points = vec![c.centroid.unwrap()];
        }
        docs.push(d);
    }
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let t = Instant::now();
    for chunk in docs.chunks(10_000) {
        index.upsert(chunk).unwrap();
    }
    index.commit().unwrap();
    eprintln!("indexed {} in {:?}", index.len(), t.elapsed());
    let now = Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap();
    let rome = Point {
        lat: 41.9,
        lon: 12.5,
    };
    let queries: Vec<(&str, SearchQuery)> = vec![
        (
            "common word",
            SearchQuery {
                text: Some("sportello".into()),
                ..Default::default()
            },
        ),
        (
            "two words",
            SearchQuery {
                text: Some("permesso soggiorno".into()),
                ..Default::default()
            },
        ),
        (
            "prefix",
            SearchQuery {
                text: Some("corso di ital".into()),
                ..Default::default()
            },
        ),
        (
            "typo",
            SearchQuery {
                text: Some("permeso di sogiorno".into()),
                ..Default::default()
            },
        ),
        (
            "doctor en",
            SearchQuery {
                text: Some("doctor".into()),
                language: Some("en".into()),
                ..Default::default()
            },
        ),
        (
            "arabic",
            SearchQuery {
                text: Some("طبيب".into()),
                language: Some("ar".into()),
                ..Default::default()
            },
        ),
        (
            "cat+prov",
            SearchQuery {
                categories: vec!["health".into()],
                province: Some("058".into()),
                ..Default::default()
            },
        ),
        (
            "near 20km",
            SearchQuery {
                near: Some(Near {
                    point: rome,
                    radius_km: 20.0,
                }),
                ..Default::default()
            },
        ),
        (
            "open now",
            SearchQuery {
                open_now: true,
                ..Default::default()
            },
        ),
        ("everything", SearchQuery::default()),
    ];
    for (name, q) in &queries {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..50 {
            let t = Instant::now();
            let r = index.search(q, now).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            total = r.total;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name:12} total {total:6}  p50 {:6.2} ms  p99 {:6.2} ms",
            times[25], times[49]
        );
    }
}
