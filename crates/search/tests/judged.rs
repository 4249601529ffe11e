//! The judged set: queries people type, in every portal language (Italian, English, French,
//! Arabic, Ukrainian, Spanish), each with the demo services that must appear among the first
//! five results. The queries are in `tests/judged/{lang}.tsv`, one per line:
//! `kind<TAB>query<TAB>keys`, where kind says how the query is written (keyword, sentence,
//! typo, colloquial, qualifier, translit) and keys are the services' demo keys
//! (`data/demo/network.toml`, `{place}` filled in), resolved to ids the way the demo derives
//! them.
//!
//! The judgement rule: the services whose content (what they are for, where they are)
//! answers the query, judged without running the engine. When several services answer
//! equally, all are listed if they are at most five; otherwise the query names a place, a
//! level or a detail, or lists the clearest answers (the dedicated office before general
//! listening centres), at most five. A query that names a comune lists that comune's services.
//! Queries saying the person has no papers are answered by the services for people without a
//! permit, never by the documents offices.
//!
//! The test prints recall@5 and MRR@10 per language and per kind, and every miss; it fails
//! when a sentence finds nothing, and when a language falls under its floor: issue 22 asks
//! 0.95 everywhere, which is not reached yet, so each language is held at what it reached
//! (see [`FLOORS`]).

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use chrono::{NaiveDate, TimeZone, Utc};

use std::sync::Arc;

use crocevia_core::hsds::Record;
use crocevia_core::hsds::validate::{ExistingRows, sourced};
use crocevia_core::service_doc::service_docs;
use crocevia_core::{demo, taxonomy, territory};
use crocevia_search::{SearchIndex, SearchQuery, SearchService};
use crocevia_store::Store;
use crocevia_store::import::{Writer, validate_and_apply};

/// The portal's languages; each has a file `tests/judged/{lang}.tsv`.
const LANGUAGES: [&str; 6] = ["it", "en", "fr", "ar", "uk", "es"];

/// What issue 22 asks of every language: recall@5 of at least 0.95.
const TARGET_RECALL: f64 = 0.95;

/// Until every language reaches [`TARGET_RECALL`], the least recall@5 accepted in each: what
/// it measured when the set was written (twelfth to fifteenth sessions), rounded down. Raise
/// a floor when the figures rise; never lower one.
const FLOORS: [(&str, f64); 6] = [
    ("ar", 0.74),
    ("en", 0.86),
    ("es", 0.81),
    ("fr", 0.86),
    ("it", 0.91),
    ("uk", 0.80),
];

/// One judged query.
struct Judged {
    lang: &'static str,
    /// keyword, sentence, typo, colloquial, qualifier, translit.
    kind: &'static str,
    text: &'static str,
    keys: Vec<&'static str>,
}

fn judged_set() -> Vec<Judged> {
    let files = [
        include_str!("judged/it.tsv"),
        include_str!("judged/en.tsv"),
        include_str!("judged/fr.tsv"),
        include_str!("judged/ar.tsv"),
        include_str!("judged/uk.tsv"),
        include_str!("judged/es.tsv"),
    ];
    let mut out = Vec::new();
    for (lang, file) in LANGUAGES.iter().zip(files) {
        for (n, line) in file.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let columns: Vec<&str> = line.split('\t').collect();
            assert_eq!(columns.len(), 3, "judged/{lang}.tsv line {}: {line}", n + 1);
            let keys: Vec<&str> = columns[2].split_whitespace().collect();
            assert!(
                (1..=5).contains(&keys.len()),
                "judged/{lang}.tsv line {}: 1 to 5 services",
                n + 1
            );
            out.push(Judged {
                lang,
                kind: columns[0],
                text: columns[1],
                keys,
            });
        }
    }
    out
}

fn demo_id(key: &str) -> String {
    uuid::Uuid::new_v5(&demo::ID_NAMESPACE, format!("service:{key}").as_bytes()).to_string()
}

fn demo_rows(today: NaiveDate) -> Vec<Record> {
    let mut rows = taxonomy::to_hsds_records();
    rows.extend(demo::network(today));
    rows
}

const TODAY: (i32, u32, u32) = (2026, 11, 16);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap()
}

#[test]
fn judged_set_from_the_demo_records() {
    let territories = territory::load_embedded().unwrap();
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&service_docs(&demo_rows(today()), &territories))
        .unwrap();
    index.commit().unwrap();
    judge(&index, "records");
}

/// The same judged set on an index built the way a server builds it: the demo stored in a
/// database, the index following the database's change log.
async fn judge_through(store: Arc<dyn Store>, backend: &str) {
    let batch = sourced(demo_rows(today()), "demo");
    let at = Utc
        .with_ymd_and_hms(TODAY.0, TODAY.1, TODAY.2, 8, 0, 0)
        .unwrap();
    validate_and_apply(
        store.as_ref(),
        batch,
        ExistingRows::Refuse,
        Vec::new(),
        Writer::Network,
        "test",
        at,
    )
    .await
    .unwrap();
    let territories: &'static territory::Territories =
        Box::leak(Box::new(territory::load_embedded().unwrap()));
    let search = SearchService::new(store, SearchIndex::in_memory().unwrap(), territories);
    search.sync().await.unwrap();
    judge(search.index(), backend);
}

#[tokio::test]
async fn judged_set_through_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = crocevia_store_sql::open(
        &format!("sqlite://{}", dir.path().join("j.db").display()),
        crocevia_store_sql::test_support::audit_seal(),
    )
    .await
    .unwrap();
    judge_through(store, "sqlite").await;
}

#[tokio::test]
async fn judged_set_through_postgres() {
    let Ok(base) = std::env::var("CROCEVIA_TEST_PG") else {
        eprintln!("CROCEVIA_TEST_PG is not set: the PostgreSQL judged run is skipped");
        return;
    };
    let url = crocevia_store_sql::test_support::fresh_postgres_schema(&base)
        .await
        .unwrap();
    judge_through(
        crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
            .await
            .unwrap(),
        "postgres",
    )
    .await;
}

/// Runs every judged query and prints recall@5 (the mean over queries of the share of each
/// query's services found in its first five) and MRR@10 (the mean of 1 / the rank of the
/// first judged service in the first ten, 0 when none is there), per language and per kind,
/// then every miss. Fails when a language is under its floor ([`FLOORS`]), when a judged key
/// is not a demo service, or when a sentence finds nothing.
fn judge(index: &SearchIndex, source: &str) {
    let now = Utc
        .with_ymd_and_hms(TODAY.0, TODAY.1, TODAY.2, 9, 0, 0)
        .unwrap();
    let set = judged_set();
    let services: std::collections::HashSet<String> = demo_rows(today())
        .into_iter()
        .filter(|r| r.table == "service")
        .map(|r| r.id)
        .collect();
    #[derive(Default)]
    struct Score {
        queries: usize,
        recall: f64,
        reciprocal_rank: f64,
    }
    let mut by_language: std::collections::BTreeMap<&str, Score> = Default::default();
    let mut by_kind: std::collections::BTreeMap<(&str, &str), Score> = Default::default();
    let mut misses = Vec::new();
    let mut silent_sentences = Vec::new();
    for judged in &set {
        let ids: Vec<String> = judged.keys.iter().map(|k| demo_id(k)).collect();
        for (key, id) in judged.keys.iter().zip(&ids) {
            assert!(
                services.contains(id),
                "[{}] {:?}: no demo service {key}",
                judged.lang,
                judged.text
            );
        }
        let query = SearchQuery {
            text: Some(judged.text.to_owned()),
            language: Some(judged.lang.to_owned()),
            limit: 10,
            ..Default::default()
        };
        let results = index.search(&query, now).unwrap();
        if results.total == 0 && judged.kind == "sentence" {
            silent_sentences.push(format!("[{}] {:?}", judged.lang, judged.text));
        }
        let ranked: Vec<&str> = results.hits.iter().map(|h| h.id.as_str()).collect();
        let top5 = &ranked[..ranked.len().min(5)];
        let found = ids.iter().filter(|id| top5.contains(&id.as_str())).count();
        let recall = found as f64 / ids.len() as f64;
        let reciprocal_rank = ranked
            .iter()
            .position(|h| ids.iter().any(|id| id == h))
            .map_or(0.0, |rank| 1.0 / (rank + 1) as f64);
        for score in [
            by_language.entry(judged.lang).or_default(),
            by_kind.entry((judged.lang, judged.kind)).or_default(),
        ] {
            score.queries += 1;
            score.recall += recall;
            score.reciprocal_rank += reciprocal_rank;
        }
        if found < ids.len() {
            let missing: Vec<&str> = judged
                .keys
                .iter()
                .zip(&ids)
                .filter(|(_, id)| !top5.contains(&id.as_str()))
                .map(|(k, _)| *k)
                .collect();
            let got: Vec<&str> = results
                .hits
                .iter()
                .take(5)
                .map(|h| h.name.as_str())
                .collect();
            misses.push(format!(
                "  [{} {}] {:?}: missing {missing:?}; top 5: {got:?}; {:?}",
                judged.lang, judged.kind, judged.text, results.interpretation
            ));
        }
    }
    println!("judged set ({source}): {} queries", set.len());
    let mut failing = Vec::new();
    for (lang, score) in &by_language {
        let recall = score.recall / score.queries as f64;
        println!(
            "  {lang}: {} queries, recall@5 = {recall:.3}, MRR@10 = {:.3}",
            score.queries,
            score.reciprocal_rank / score.queries as f64
        );
        for ((_, kind), s) in by_kind.range((*lang, "")..=(*lang, "~")) {
            println!(
                "      {kind:<10} {:>4} queries, recall@5 = {:.3}, MRR@10 = {:.3}",
                s.queries,
                s.recall / s.queries as f64,
                s.reciprocal_rank / s.queries as f64
            );
        }
        let floor = FLOORS
            .iter()
            .find(|(l, _)| l == lang)
            .map_or(TARGET_RECALL, |(_, f)| *f)
            .min(TARGET_RECALL);
        if recall < floor {
            failing.push(format!("{lang} {recall:.3} < {floor}"));
        } else if recall < TARGET_RECALL {
            println!(
                "      {lang} is {:.3} short of {TARGET_RECALL}",
                TARGET_RECALL - recall
            );
        }
    }
    for miss in &misses {
        println!("{miss}");
    }
    assert!(
        silent_sentences.is_empty(),
        "sentences that found nothing: {silent_sentences:#?}"
    );
    assert!(
        failing.is_empty(),
        "recall@5 under its floor: {}",
        failing.join(", ")
    );
}
