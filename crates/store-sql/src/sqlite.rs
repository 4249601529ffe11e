//! SQLite: the embedded default. WAL so readers never wait for the writer; a single-connection
//! write pool so writers queue in the application instead of failing with SQLITE_BUSY;
//! `synchronous = FULL` so a committed transaction survives a crash or a kill.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub struct SqliteStore {
    read: sqlx::Pool<Sqlite>,
    write: sqlx::Pool<Sqlite>,
    /// Seals the entries appended to the audit trail.
    audit: crocevia_core::desk::audit::AuditSeal,
    /// Counts and anchors of the lists paged through (see `pages`).
    pages: std::sync::Arc<crate::pages::PageCache>,
}

impl SqliteStore {
    /// Taken at the start of every directory write. SQLite has one writer connection: writes are already serial.
    const WRITE_LOCK: Option<&'static str> = None;

    /// SQLite plans these queries by their indexes alone; it needs no statistics refreshed.
    const ANALYZE_AFTER_BULK: Option<&'static str> = None;

    /// Taken before linking entries onto the audit chain (SQLite has one writer already).
    const AUDIT_LOCK: Option<&'static str> = None;

    const BACKEND: &'static str = "sqlite";

    /// Most values bound in one multi-row `INSERT`. The bulk statements bind anonymous
    /// parameters (see [`parameters`](Self::parameters)), so a statement costs what its rows
    /// do; SQLite allows 32,766.
    const BINDS_PER_INSERT: usize = 8_000;

    /// The bulk statements' parameters as SQLite binds them fastest.
    fn parameters(sql: String) -> String {
        crate::anonymous_parameters(sql)
    }

    /// Writes rows into `table` with multi-row `INSERT`s, each followed by `then` (an
    /// `ON CONFLICT` or `RETURNING` clause, whose rows `parse` reads).
    async fn bulk_insert<T: Send>(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        table: &str,
        columns: &[&str],
        mut rows: impl Iterator<Item = Vec<crate::Bind>> + Send,
        then: &str,
        mut parse: impl FnMut(&sqlx::sqlite::SqliteRow) -> crocevia_store::Result<T> + Send,
    ) -> crocevia_store::Result<Vec<T>> {
        let per_statement =
            crate::territory::rows_per_insert(columns.len(), Self::BINDS_PER_INSERT);
        let mut returned = Vec::new();
        loop {
            let chunk: Vec<Vec<crate::Bind>> = rows.by_ref().take(per_statement).collect();
            if chunk.is_empty() {
                return Ok(returned);
            }
            returned.extend(insert_statement(tx, table, columns, chunk, then, &mut parse).await?);
        }
    }

    /// Opens (creating if needed) the database at a `sqlite://PATH` URL and migrates it.
    pub async fn connect(
        url: &str,
        audit: crocevia_core::desk::audit::AuditSeal,
    ) -> Result<Self, crocevia_store::StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(crate::db_error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(crate::db_error)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&write)
            .await
            .map_err(crate::db_error)?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await
            .map_err(crate::db_error)?;
        Ok(SqliteStore {
            read,
            write,
            audit,
            pages: Default::default(),
        })
    }
}

crate::sql_desk_store!(SqliteStore, sqlx::Sqlite);
crate::sql_survey_store!(SqliteStore, sqlx::Sqlite);
crate::sql_search_demand_store!(SqliteStore, sqlx::Sqlite);
crate::sql_store!(SqliteStore, Sqlite);
