//! The unmet search demand's half of the store contract (see [`super`]): visitors counted
//! once per query and week, a query's text kept only once enough visitors typed it, opened
//! results counted only for visitors who searched, and closed weeks that forget visitors
//! and rare queries while their counts stay.

#![allow(clippy::unwrap_used)] // a contract check fails by panicking

use crate::Store;
use crate::search_demand::{QueryDemand, QueryTally, ResultOpened, WeekDemand};

const LAST_WEEK: &str = "2026-W49";
const WEEK: &str = "2026-W50";

fn tally(week: &str, key: &str, text: &str, empty: bool, visitors: &[&str]) -> QueryTally {
    QueryTally {
        week: week.into(),
        language: "it".into(),
        query_key: key.into(),
        query_text: text.into(),
        searches: visitors.len() as u64,
        empty_searches: if empty { visitors.len() as u64 } else { 0 },
        visitors: visitors.iter().map(|v| (*v).to_owned()).collect(),
    }
}

fn opened(week: &str, key: &str, visitor: &str) -> ResultOpened {
    ResultOpened {
        week: week.into(),
        language: "it".into(),
        query_key: key.into(),
        visitor_key: visitor.into(),
    }
}

async fn week_totals(store: &dyn Store, week: &str) -> WeekDemand {
    let weeks = store.search_demand_weeks(week).await.unwrap();
    weeks.into_iter().find(|w| w.week == week).unwrap()
}

pub async fn search_demand_counts_visitors_once_and_names_only_common_queries(store: &dyn Store) {
    assert_eq!(
        store.search_demand_secret(WEEK, "first").await.unwrap(),
        "first"
    );
    assert_eq!(
        store.search_demand_secret(WEEK, "second").await.unwrap(),
        "first",
        "every server hashes with the week's first secret"
    );

    let medico = |visitors: &[&str]| tally(WEEK, "k-medico", "medico di base", false, visitors);
    store
        .record_search_demand(&[medico(&["v1", "v2"])], &[], 3)
        .await
        .unwrap();
    assert!(
        store
            .search_demand_queries(WEEK, 10)
            .await
            .unwrap()
            .is_empty(),
        "two visitors are fewer than three: the text is not kept"
    );
    // v2 again, and v3: three different visitors in all.
    store
        .record_search_demand(
            &[
                medico(&["v2", "v3"]),
                tally(WEEK, "k-rare", "mario rossi 3331234567", true, &["v1"]),
            ],
            &[
                opened(WEEK, "k-medico", "v1"),
                opened(WEEK, "k-medico", "v1"),
                opened(WEEK, "k-medico", "never-searched"),
            ],
            3,
        )
        .await
        .unwrap();
    assert_eq!(
        store.search_demand_queries(WEEK, 10).await.unwrap(),
        vec![QueryDemand {
            language: "it".into(),
            query: "medico di base".into(),
            searches: 4,
            empty_searches: 0,
            visitors: 3,
            visitors_clicked: 1,
        }],
        "a visitor counts once; an opened result only for a visitor who searched"
    );
    assert_eq!(
        week_totals(store, WEEK).await,
        WeekDemand {
            week: WEEK.into(),
            language: "it".into(),
            searches: 5,
            empty_searches: 1,
            visitors: 4,
            visitors_clicked: 1,
        },
        "the week's totals count the rare query too"
    );
}

pub async fn closing_a_week_forgets_visitors_and_rare_queries_but_keeps_counts(store: &dyn Store) {
    store.search_demand_secret(LAST_WEEK, "old").await.unwrap();
    store.search_demand_secret(WEEK, "new").await.unwrap();
    store
        .record_search_demand(
            &[
                tally(LAST_WEEK, "k-casa", "casa", true, &["v1", "v2"]),
                tally(LAST_WEEK, "k-rare-1", "rare one", true, &["v1"]),
                tally(LAST_WEEK, "k-rare-2", "rare two", false, &["v3"]),
                tally(WEEK, "k-rare-1", "rare one", false, &["v1"]),
            ],
            &[],
            2,
        )
        .await
        .unwrap();
    let before = week_totals(store, LAST_WEEK).await;

    assert_eq!(store.close_search_demand_weeks(WEEK).await.unwrap(), 1);
    assert_eq!(
        week_totals(store, LAST_WEEK).await,
        before,
        "closing keeps the week's counts"
    );
    let queries = store.search_demand_queries(LAST_WEEK, 10).await.unwrap();
    assert_eq!(
        queries.iter().map(|q| q.query.as_str()).collect::<Vec<_>>(),
        ["casa"]
    );
    // Visitor marks are gone: a late result opened by v1 counts nothing.
    store
        .record_search_demand(&[], &[opened(LAST_WEEK, "k-casa", "v1")], 2)
        .await
        .unwrap();
    assert_eq!(week_totals(store, LAST_WEEK).await.visitors_clicked, 0);
    // The secret is gone: asking again gives a new one, which nothing was hashed with.
    assert_eq!(
        store
            .search_demand_secret(LAST_WEEK, "again")
            .await
            .unwrap(),
        "again"
    );
    // The open week is untouched.
    assert_eq!(week_totals(store, WEEK).await.visitors, 1);
    assert_eq!(store.search_demand_secret(WEEK, "x").await.unwrap(), "new");

    // A late flush into the closed week is folded by the next closing.
    store
        .record_search_demand(
            &[tally(LAST_WEEK, "k-rare-3", "late", true, &["v9"])],
            &[],
            2,
        )
        .await
        .unwrap();
    store.close_search_demand_weeks(WEEK).await.unwrap();
    let after = week_totals(store, LAST_WEEK).await;
    assert_eq!(
        (after.searches, after.empty_searches),
        (before.searches + 1, before.empty_searches + 1)
    );
    assert_eq!(
        store
            .search_demand_queries(LAST_WEEK, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}
