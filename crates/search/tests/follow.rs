//! Two app servers on one database, each with its own index, converge by following the
//! change log: what one writes, the other finds after its next sync, deletions included.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use crocevia_core::hsds::Record;
use crocevia_core::hsds::validate::{ExistingRows, sourced};
use crocevia_core::{demo, taxonomy, territory};
use crocevia_search::{SearchIndex, SearchQuery, SearchService};
use crocevia_store::Store;
use crocevia_store::import::{Writer, validate_and_apply};

fn territories() -> &'static territory::Territories {
    static T: std::sync::OnceLock<territory::Territories> = std::sync::OnceLock::new();
    T.get_or_init(|| territory::load_embedded().unwrap())
}

fn hits(search: &SearchService, text: &str) -> u64 {
    let query = SearchQuery {
        text: Some(text.into()),
        ..Default::default()
    };
    search.index().search(&query, Utc::now()).unwrap().total
}

/// Writes the demo network with its taxonomy; answers the first organisation's id.
async fn write_demo(store: &dyn Store) -> String {
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    let mut rows = taxonomy::to_hsds_records();
    rows.extend(demo::network(at.date_naive()));
    let org = rows
        .iter()
        .find(|r| r.table == "organization")
        .unwrap()
        .id
        .clone();
    validate_and_apply(
        store,
        sourced(rows, "t"),
        ExistingRows::Refuse,
        Vec::new(),
        Writer::Network,
        "t",
        at,
    )
    .await
    .unwrap();
    org
}

/// `store` and `other` are two connections to one database, as two app servers have.
async fn two_servers_converge(store: Arc<dyn Store>, other: Arc<dyn Store>) {
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    let org = write_demo(store.as_ref()).await;

    let a = SearchService::new(
        store.clone(),
        SearchIndex::in_memory().unwrap(),
        territories(),
    );
    let b = SearchService::new(other, SearchIndex::in_memory().unwrap(), territories());
    a.sync().await.unwrap();
    b.sync().await.unwrap();
    assert_eq!(a.index().len(), b.index().len());

    // Server A saves a new service.
    let id = "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a777";
    let service = Record::new("service", id)
        .with("name", "Sportello quokka")
        .with("status", "active")
        .with("organization_id", org.as_str());
    validate_and_apply(
        store.as_ref(),
        sourced(vec![service], "t"),
        ExistingRows::Refuse,
        Vec::new(),
        Writer::Network,
        "a",
        at,
    )
    .await
    .unwrap();
    a.sync().await.unwrap();
    assert_eq!(hits(&a, "quokka"), 1);
    assert_eq!(hits(&b, "quokka"), 0, "B has not followed yet");
    let synced = b.sync().await.unwrap();
    assert_eq!((synced.changes, synced.services), (1, 1));
    assert_eq!(hits(&b, "quokka"), 1, "B finds what A saved");

    // A phone added to the service reaches its document through the service it belongs to.
    let phone = Record::new("phone", "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a778")
        .with("service_id", id)
        .with("number", "0862 1");
    let renamed = Record::new("service", id)
        .with("name", "Sportello wombat")
        .with("status", "active")
        .with("organization_id", org.as_str());
    validate_and_apply(
        store.as_ref(),
        sourced(vec![phone, renamed], "t"),
        ExistingRows::Replace,
        Vec::new(),
        Writer::Network,
        "b",
        at,
    )
    .await
    .unwrap();
    b.sync().await.unwrap();
    a.sync().await.unwrap();
    assert_eq!((hits(&a, "quokka"), hits(&a, "wombat")), (0, 1));

    // Server B deletes it; A follows.
    let deletes = vec![
        (
            "phone".into(),
            "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a778".into(),
        ),
        ("service".into(), id.into()),
    ];
    validate_and_apply(
        store.as_ref(),
        Vec::new(),
        ExistingRows::Refuse,
        deletes,
        Writer::Network,
        "b",
        at,
    )
    .await
    .unwrap();
    a.sync().await.unwrap();
    b.sync().await.unwrap();
    assert_eq!(hits(&a, "wombat"), 0);
    assert_eq!(hits(&b, "wombat"), 0);
    assert_eq!(
        a.index().cursor(),
        b.index().cursor(),
        "both at the same change-log position"
    );
}

#[tokio::test]
async fn two_servers_converge_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("f.db").display());
    let store = crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
        .await
        .unwrap();
    two_servers_converge(
        store,
        crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
            .await
            .unwrap(),
    )
    .await;
}

#[tokio::test]
async fn two_servers_converge_on_postgres() {
    let Ok(base) = std::env::var("CROCEVIA_TEST_PG") else {
        eprintln!("CROCEVIA_TEST_PG is not set: the PostgreSQL convergence test is skipped");
        return;
    };
    let url = crocevia_store_sql::test_support::fresh_postgres_schema(&base)
        .await
        .unwrap();
    let store = crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
        .await
        .unwrap();
    two_servers_converge(
        store,
        crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
            .await
            .unwrap(),
    )
    .await;
}

/// A new app server answers while it builds its index: a second sync during the rebuild (a
/// search, a write wanting its row findable) is told so at once instead of waiting minutes;
/// once the rebuild is done, syncs work as before.
#[tokio::test]
async fn a_sync_during_a_rebuild_is_told_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("b.db").display());
    let store = crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
        .await
        .unwrap();
    write_demo(store.as_ref()).await;
    let search = SearchService::new(store, SearchIndex::in_memory().unwrap(), territories());
    assert!(search.index().needs_rebuild());
    // The first sync takes the lock and waits on the database; the second then finds it taken.
    let (rebuilt, meanwhile) = tokio::join!(search.sync(), search.sync());
    assert!(rebuilt.unwrap().services > 0);
    assert!(
        matches!(meanwhile, Err(crocevia_search::SyncError::Building)),
        "{meanwhile:?}"
    );
    assert!(!search.index().needs_rebuild());
    assert!(hits(&search, "italiano") > 0);
    search.sync().await.unwrap();
}
