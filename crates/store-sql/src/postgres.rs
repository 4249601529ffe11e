//! PostgreSQL: for deployments with several app servers sharing one database. Every server
//! follows the same change log, so their search indexes and aggregates converge.

use std::str::FromStr;

use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// Bytes of `COPY` data sent at a time.
const COPY_BUFFER: usize = 1 << 20;

/// Writes of fewer rows are one multi-row `INSERT` (at most a few thousand values): a staging
/// table costs four statements and churns the catalogue, which pays off only in bulk.
const COPY_FROM_ROWS: usize = 1_000;

pub struct PostgresStore {
    read: sqlx::Pool<Postgres>,
    write: sqlx::Pool<Postgres>,
    /// Seals the entries appended to the audit trail.
    audit: crocevia_core::desk::audit::AuditSeal,
    /// Counts and anchors of the lists paged through (see `pages`).
    pages: std::sync::Arc<crate::pages::PageCache>,
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

    /// Run within a directory write of [`BULK_ROWS`](crate::BULK_ROWS) rows or more, once the
    /// rows are in. Until autovacuum gets to a freshly loaded table, the planner believes it
    /// nearly empty and picks plans that scan it: rebuilding the search index after importing
    /// 100,000 services took 188 s, 7 times SQLite's, and the write's own reference checks
    /// 12.5 s; with statistics, the queries take milliseconds.
    const ANALYZE_AFTER_BULK: Option<&'static str> =
        Some("ANALYZE hsds_record, hsds_ref, change_log");

    /// The bulk statements' parameters: PostgreSQL's own `$n`.
    fn parameters(sql: String) -> String {
        sql
    }

    /// Writes rows into `table` with `COPY` into a staging table and one `INSERT … SELECT`
    /// (followed by `then`: an `ON CONFLICT` or `RETURNING` clause, whose rows `parse` reads);
    /// fewer than [`COPY_FROM_ROWS`] with one multi-row `INSERT`.
    /// Importing 100,000 services took 16 s for the records alone as multi-row `INSERT`s.
    async fn bulk_insert<T: Send>(
        tx: &mut sqlx::Transaction<'_, Postgres>,
        table: &str,
        columns: &[&str],
        mut rows: impl Iterator<Item = Vec<crate::Bind>> + Send,
        then: &str,
        mut parse: impl FnMut(&sqlx::postgres::PgRow) -> crocevia_store::Result<T> + Send,
    ) -> crocevia_store::Result<Vec<T>> {
        let first: Vec<Vec<crate::Bind>> = rows.by_ref().take(COPY_FROM_ROWS).collect();
        if first.len() < COPY_FROM_ROWS {
            if first.is_empty() {
                return Ok(Vec::new());
            }
            return insert_statement(tx, table, columns, first, then, &mut parse).await;
        }
        let staging = format!("crocevia_staging_{table}");
        let columns = columns.join(", ");
        let create = format!(
            "CREATE TEMP TABLE {staging} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
        );
        sqlx::query(sqlx::AssertSqlSafe(create))
            .execute(&mut **tx)
            .await
            .map_err(crate::db_error)?;
        let mut copy = tx
            .copy_in_raw(&format!("COPY {staging} ({columns}) FROM STDIN"))
            .await
            .map_err(crate::db_error)?;
        let mut buffer = String::with_capacity(COPY_BUFFER + 64 * 1024);
        for row in first.into_iter().chain(rows) {
            crate::copy_text_row(&row, &mut buffer);
            if buffer.len() >= COPY_BUFFER {
                copy.send(buffer.as_bytes())
                    .await
                    .map_err(crate::db_error)?;
                buffer.clear();
            }
        }
        copy.send(buffer.as_bytes())
            .await
            .map_err(crate::db_error)?;
        copy.finish().await.map_err(crate::db_error)?;
        let insert =
            format!("INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging}{then}");
        let returned = sqlx::query(sqlx::AssertSqlSafe(insert))
            .fetch_all(&mut **tx)
            .await
            .map_err(crate::db_error)?
            .iter()
            .map(&mut parse)
            .collect::<crocevia_store::Result<Vec<T>>>()?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {staging}")))
            .execute(&mut **tx)
            .await
            .map_err(crate::db_error)?;
        Ok(returned)
    }

    /// Connects to a `postgres://` URL and migrates the database. A `schema` query parameter
    /// is not part of libpq's syntax, so isolation for tests is done with `options`
    /// (`?options=-csearch_path%3Dname`).
    pub async fn connect(
        url: &str,
        audit: crocevia_core::desk::audit::AuditSeal,
    ) -> Result<Self, crocevia_store::StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(crate::db_error)?;
        // Directory writes queue for one transaction lock anyway (`WRITE_LOCK`).
        let write = PgPoolOptions::new()
            .max_connections(5)
            .connect_with(options.clone())
            .await
            .map_err(crate::db_error)?;
        // Reads are index lookups of a few thousand rows at most. PostgreSQL plans the larger
        // ones in parallel, and starting the workers costs more than the query: a search-index
        // rebuild took 31 s with them, 14 s without. Bulk writes keep them (their reference
        // checks scan whole tables).
        let read = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options.options([("max_parallel_workers_per_gather", "0")]))
            .await
            .map_err(crate::db_error)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&write)
            .await
            .map_err(crate::db_error)?;
        Ok(PostgresStore {
            read,
            write,
            audit,
            pages: Default::default(),
        })
    }
}

crate::sql_desk_store!(PostgresStore, sqlx::Postgres);
crate::sql_survey_store!(PostgresStore, sqlx::Postgres);
crate::sql_search_demand_store!(PostgresStore, sqlx::Postgres);
crate::sql_store!(PostgresStore, Postgres);
