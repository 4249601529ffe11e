//! PostgreSQL: for deployments with several app servers sharing one database. Every server
//! follows the same change log, so their search indexes and aggregates converge.

use std::str::FromStr;

use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub struct PostgresStore {
    read: sqlx::Pool<Postgres>,
    write: sqlx::Pool<Postgres>,
    /// Seals the entries appended to the audit trail.
    audit: crocevia_core::desk::audit::AuditSeal,
}

impl PostgresStore {
    /// Taken at the start of every directory write. Directory writes from every app server take this transaction lock, so change-log
    /// sequence numbers commit in order: a follower that has read up to seq N never later
    /// finds a new entry below N (sequences are handed out before commit, so concurrent
    /// writers would otherwise commit 5 before 4).
    const WRITE_LOCK: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(7262137201)");

    /// Taken before linking entries onto the audit chain, so appenders on every app server
    /// take turns and the chain never forks.
    const AUDIT_LOCK: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(7262137202)");

    const BACKEND: &'static str = "postgres";

    /// Run after a directory write of [`BULK_ROWS`](crate::BULK_ROWS) rows or more. Until
    /// autovacuum gets to a freshly loaded table, the planner believes it nearly empty and
    /// picks plans that scan it: rebuilding the search index after importing 100,000
    /// services took 188 s, 7 times SQLite's; with statistics, the queries take milliseconds.
    const ANALYZE_AFTER_BULK: Option<&'static str> =
        Some("ANALYZE hsds_record, hsds_ref, change_log");

    /// Most values bound in one multi-row `INSERT` (the protocol allows 65,535): fewer,
    /// larger statements mean fewer round trips. Loading the 7,901 comuni locally took
    /// 0.19 s at 10,000 values per statement, 0.4 s at 100, 1.6 s with one row per statement.
    const BINDS_PER_INSERT: usize = 10_000;

    /// Connects to a `postgres://` URL and migrates the database. A `schema` query parameter
    /// is not part of libpq's syntax, so isolation for tests is done with `options`
    /// (`?options=-csearch_path%3Dname`).
    pub async fn connect(
        url: &str,
        audit: crocevia_core::desk::audit::AuditSeal,
    ) -> Result<Self, crocevia_store::StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(crate::db_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options)
            .await
            .map_err(crate::db_error)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(crate::db_error)?;
        Ok(PostgresStore {
            read: pool.clone(),
            write: pool,
            audit,
        })
    }
}

crate::sql_desk_store!(PostgresStore, sqlx::Postgres);
crate::sql_survey_store!(PostgresStore, sqlx::Postgres);
crate::sql_store!(PostgresStore, Postgres);
