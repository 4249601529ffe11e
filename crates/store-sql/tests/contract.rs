//! The store contract on both backends: SQLite always, PostgreSQL when `CROCEVIA_TEST_PG`
//! holds a connection URL (CI sets it and fails when the server is unreachable).

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::sync::Arc;

use crocevia_store::Store;

mod sqlite {
    use super::*;

    /// A fresh database file per test; the directory lives as long as the store.
    async fn fresh() -> Option<Arc<dyn Store>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
            .await
            .expect("open sqlite");
        std::mem::forget(dir);
        Some(store)
    }

    crocevia_store::store_contract_tests!(fresh());
}

mod postgres {
    use super::*;

    /// A fresh schema per test on the server `CROCEVIA_TEST_PG` names.
    async fn fresh() -> Option<Arc<dyn Store>> {
        let Ok(base) = std::env::var("CROCEVIA_TEST_PG") else {
            eprintln!("CROCEVIA_TEST_PG is not set: PostgreSQL contract test skipped");
            return None;
        };
        let url = crocevia_store_sql::test_support::fresh_postgres_schema(&base)
            .await
            .expect("create a test schema on CROCEVIA_TEST_PG");
        Some(
            crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
                .await
                .expect("open postgres"),
        )
    }

    crocevia_store::store_contract_tests!(fresh());
}
