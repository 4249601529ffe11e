//! Operations on a whole database, for the `backup`, `restore` and `migrate-to` commands:
//! counting rows per table, telling an installation's own data from what every fresh
//! installation loads, SQLite backups (`VACUUM INTO`, a consistent snapshot while the server
//! runs) and restores (the file replaced), emptying a PostgreSQL schema before a restore, and
//! copying a SQLite installation into PostgreSQL table by table in one transaction.
//!
//! Everything here reads the tables from the database's own catalogue, so a table a later
//! migration adds is counted, backed up and copied without a change here.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection, Row as _};

/// sqlx's bookkeeping of applied migrations: never counted or copied (each side keeps its own).
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Tables every fresh installation fills by itself (territories, official statistics, the
/// needs taxonomy's references and change-log entries, the empty audit head): rows there do
/// not make a database "hold data".
const INSTALLATION_TABLES: &[&str] = &[
    "territory_region",
    "territory_province",
    "territory_comune",
    "stat_dataset",
    "stat_observation",
    "change_log",
    "hsds_ref",
    "desk_audit_head",
];

/// Directory rows every installation has: the needs taxonomy, its terms and their
/// translations.
const INSTALLATION_HSDS_ROWS: &str = "SELECT COUNT(*) FROM hsds_record r \
     WHERE r.table_name IN ('taxonomy', 'taxonomy_term') \
     OR (r.table_name = 'translation' AND EXISTS (SELECT 1 FROM hsds_ref f \
         JOIN hsds_record t ON t.table_name = 'taxonomy_term' AND t.id = f.target_id \
         WHERE f.table_name = 'translation' AND f.id = r.id AND f.field = 'link_id'))";

/// Most values bound in one `INSERT` while copying (PostgreSQL allows 65,535).
const BINDS_PER_INSERT: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("database error: {0}")]
    Database(String),
    /// The database holds an installation's own data (tables and their row counts).
    #[error("the database already holds data ({})", describe(.0))]
    NotEmpty(Vec<(String, i64)>),
    /// After a copy, a table's row count differs between the two databases.
    #[error(
        "table {table}: {source_rows} rows in SQLite but {target_rows} in PostgreSQL; nothing was committed"
    )]
    Mismatch {
        table: String,
        source_rows: i64,
        target_rows: i64,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{context}: {error}")]
    Io {
        context: String,
        error: std::io::Error,
    },
}

type Result<T> = std::result::Result<T, OpsError>;

fn describe(tables: &[(String, i64)]) -> String {
    tables
        .iter()
        .map(|(t, n)| format!("{t}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn db(e: impl std::fmt::Display) -> OpsError {
    OpsError::Database(e.to_string())
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> OpsError {
    move |error| OpsError::Io { context, error }
}

/// The two backends, by URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else {
            Err(OpsError::Invalid(format!(
                "unsupported database URL '{url}': use sqlite://PATH or postgres://HOST/DB"
            )))
        }
    }
}

/// The file a `sqlite://` URL names.
pub fn sqlite_path(url: &str) -> Result<PathBuf> {
    Ok(SqliteConnectOptions::from_str(url)
        .map_err(db)?
        .get_filename()
        .to_path_buf())
}

async fn sqlite_connect(url: &str, read_only: bool) -> Result<SqliteConnection> {
    let path = sqlite_path(url)?;
    if !path.exists() {
        return Err(OpsError::Invalid(format!(
            "no SQLite database at {}",
            path.display()
        )));
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(db)?
        .create_if_missing(false)
        .read_only(read_only);
    SqliteConnection::connect_with(&options).await.map_err(db)
}

macro_rules! count_tables {
    ($conn:expr, $list_sql:expr) => {{
        let conn = $conn;
        let names: Vec<String> = sqlx::query_scalar(AssertSqlSafe($list_sql))
            .bind(MIGRATIONS_TABLE)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        let mut counts = Vec::with_capacity(names.len());
        for name in names {
            let n: i64 =
                sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{name}\"")))
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db)?;
            counts.push((name, n));
        }
        let installation: i64 = if counts.iter().any(|(t, _)| t == "hsds_record") {
            sqlx::query_scalar(INSTALLATION_HSDS_ROWS)
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?
        } else {
            0
        };
        Counts {
            tables: counts,
            installation_hsds_rows: installation,
        }
    }};
}

const SQLITE_TABLES: &str = "SELECT name FROM sqlite_schema WHERE type = 'table' \
     AND name NOT LIKE 'sqlite_%' AND name <> $1 ORDER BY name";
const POSTGRES_TABLES: &str = "SELECT table_name::text FROM information_schema.tables \
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> $1 \
     ORDER BY table_name";

/// Rows per table of a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Every table but sqlx's own, by name, with its rows.
    pub tables: Vec<(String, i64)>,
    /// Directory rows every installation has (the needs taxonomy).
    installation_hsds_rows: i64,
}

impl Counts {
    /// The rows of one table (0 when it does not exist).
    pub fn rows(&self, table: &str) -> i64 {
        self.tables
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n)
    }

    /// The tables holding this installation's own data — beyond what every fresh
    /// installation loads — with their rows. Empty for a new database.
    pub fn own_data(&self) -> Vec<(String, i64)> {
        self.tables
            .iter()
            .filter(|(t, _)| !INSTALLATION_TABLES.contains(&t.as_str()))
            .map(|(t, n)| {
                let own = if t == "hsds_record" {
                    n - self.installation_hsds_rows
                } else {
                    *n
                };
                (t.clone(), own)
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// Counts the rows of every table. A SQLite URL naming no file has no tables.
pub async fn counts(url: &str) -> Result<Counts> {
    match Backend::of(url)? {
        Backend::Sqlite => {
            if !sqlite_path(url)?.exists() {
                return Ok(Counts {
                    tables: Vec::new(),
                    installation_hsds_rows: 0,
                });
            }
            let mut conn = sqlite_connect(url, true).await?;
            let counts = count_tables!(&mut conn, SQLITE_TABLES);
            conn.close().await.map_err(db)?;
            Ok(counts)
        }
        Backend::Postgres => {
            let mut conn = PgConnection::connect(url).await.map_err(db)?;
            let counts = count_tables!(&mut conn, POSTGRES_TABLES);
            conn.close().await.map_err(db)?;
            Ok(counts)
        }
    }
}

/// `path` with `suffix` appended to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Writes a consistent copy of the SQLite database to `dest` with `VACUUM INTO` (a snapshot
/// of one read transaction: the server may keep writing meanwhile). Written beside `dest`
/// first, then renamed, so `dest` is never a partial file. Returns its size in bytes.
pub async fn sqlite_backup(url: &str, dest: &Path) -> Result<u64> {
    let mut conn = sqlite_connect(url, false).await?;
    let partial = beside(dest, ".partial");
    if partial.exists() {
        std::fs::remove_file(&partial)
            .map_err(io(format!("cannot remove {}", partial.display())))?;
    }
    let target = partial
        .to_str()
        .ok_or_else(|| OpsError::Invalid(format!("{} is not UTF-8", partial.display())))?
        .to_owned();
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut conn)
        .await
        .map_err(db)?;
    conn.close().await.map_err(db)?;
    std::fs::rename(&partial, dest).map_err(io(format!(
        "cannot rename {} to {}",
        partial.display(),
        dest.display()
    )))?;
    let size = std::fs::metadata(dest)
        .map_err(io(format!("cannot read {}", dest.display())))?
        .len();
    Ok(size)
}

/// Replaces the SQLite database with the backup at `src` (checked first: a SQLite file that
/// passes `quick_check` and has Crocevia's migrations table). The server must be stopped.
/// The caller runs the migrations afterwards.
pub async fn sqlite_restore(url: &str, src: &Path) -> Result<()> {
    let src_url = format!("sqlite://{}", src.display());
    let mut backup = sqlite_connect(&src_url, true)
        .await
        .map_err(|e| OpsError::Invalid(format!("{} cannot be opened: {e}", src.display())))?;
    let check: std::result::Result<String, _> = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut backup)
        .await;
    let migrations: std::result::Result<i64, _> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {MIGRATIONS_TABLE}"
    )))
    .fetch_one(&mut backup)
    .await;
    backup.close().await.map_err(db)?;
    match (check, migrations) {
        (Ok(ok), Ok(_)) if ok == "ok" => {}
        (check, _) => {
            return Err(OpsError::Invalid(format!(
                "{} is not a Crocevia SQLite backup ({})",
                src.display(),
                match check {
                    Ok(text) if text != "ok" => format!("integrity check: {text}"),
                    Err(e) => e.to_string(),
                    Ok(_) => "it has no migrations table".to_owned(),
                }
            )));
        }
    }
    let dest = sqlite_path(url)?;
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    }
    let incoming = beside(&dest, ".restoring");
    std::fs::copy(src, &incoming).map_err(io(format!(
        "cannot copy {} to {}",
        src.display(),
        incoming.display()
    )))?;
    if dest.exists() {
        // Fold the write-ahead log into the old file first, so removing it loses nothing
        // should the rename below fail.
        let mut old = sqlite_connect(url, false).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut old)
            .await
            .map_err(db)?;
        old.close().await.map_err(db)?;
    }
    for suffix in ["-wal", "-shm"] {
        let side = beside(&dest, suffix);
        if side.exists() {
            std::fs::remove_file(&side).map_err(io(format!("cannot remove {}", side.display())))?;
        }
    }
    std::fs::rename(&incoming, &dest).map_err(io(format!(
        "cannot rename {} to {}",
        incoming.display(),
        dest.display()
    )))?;
    Ok(())
}

/// Drops every table of the connection's current schema but those named (after a restore:
/// the tables a later migration added, which the migrations then create again), and returns
/// the names dropped.
pub async fn postgres_drop_tables_except(url: &str, keep: &[String]) -> Result<Vec<String>> {
    let mut conn = PgConnection::connect(url).await.map_err(db)?;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(db)?;
    let names: Vec<String> = names.into_iter().filter(|n| !keep.contains(n)).collect();
    if !names.is_empty() {
        let list = names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(AssertSqlSafe(format!(
            "DROP TABLE IF EXISTS {list} CASCADE"
        )))
        .execute(&mut conn)
        .await
        .map_err(db)?;
    }
    conn.close().await.map_err(db)?;
    Ok(names)
}

/// The name of the connection's current schema and database (`pg_restore` restores into the
/// schemas named in the dump, so a restore is only clean into `public`).
pub async fn postgres_current_schema(url: &str) -> Result<String> {
    let mut conn = PgConnection::connect(url).await.map_err(db)?;
    let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(&mut conn)
        .await
        .map_err(db)?;
    conn.close().await.map_err(db)?;
    Ok(schema)
}

/// What a copy reports while it runs.
#[derive(Debug, Clone, Copy)]
pub enum CopyProgress<'a> {
    /// Before the first row: how many rows there are to copy.
    Started { rows: u64 },
    /// A table's copy begins.
    Table(&'a str),
    /// Rows copied so far, all tables together.
    Copied(u64),
}

/// A table's rows on either side after a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    pub source_rows: i64,
    pub target_rows: i64,
}

/// How a column's values travel: by the PostgreSQL column's type.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Real,
    BigInt,
    Int,
    Bytes,
}

impl Kind {
    fn of(data_type: &str) -> Option<Kind> {
        Some(match data_type {
            "text" | "character varying" => Kind::Text,
            "double precision" | "real" => Kind::Real,
            "bigint" => Kind::BigInt,
            "integer" | "smallint" => Kind::Int,
            "bytea" => Kind::Bytes,
            _ => return None,
        })
    }
}

enum Value {
    Text(Option<String>),
    Real(Option<f64>),
    BigInt(Option<i64>),
    Int(Option<i32>),
    Bytes(Option<Vec<u8>>),
}

struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    /// Tables this one's foreign keys point to.
    parents: Vec<String>,
}

/// The tables of the target's current schema with their columns, parents first.
async fn postgres_tables(conn: &mut PgConnection) -> Result<Vec<Table>> {
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> $1 \
         AND table_name IN (SELECT table_name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE') \
         ORDER BY table_name, ordinal_position",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let foreign: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid \
         WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut tables: Vec<Table> = Vec::new();
    for (table, column, data_type) in columns {
        let kind = Kind::of(&data_type).ok_or_else(|| {
            OpsError::Invalid(format!(
                "{table}.{column} has type {data_type}, which migrate-to cannot copy yet"
            ))
        })?;
        match tables.last_mut() {
            Some(t) if t.name == table => t.columns.push((column, kind)),
            _ => tables.push(Table {
                name: table,
                columns: vec![(column, kind)],
                parents: Vec::new(),
            }),
        }
    }
    let unquote = |s: &str| s.trim_matches('"').to_owned();
    for (child, parent) in foreign {
        let (child, parent) = (unquote(&child), unquote(&parent));
        if let Some(t) = tables.iter_mut().find(|t| t.name == child)
            && child != parent
        {
            t.parents.push(parent);
        }
    }
    // Parents first: repeatedly take the tables whose parents are all placed.
    let mut ordered: Vec<Table> = Vec::with_capacity(tables.len());
    while !tables.is_empty() {
        let ready = tables.iter().position(|t| {
            t.parents
                .iter()
                .all(|p| ordered.iter().any(|o| &o.name == p))
        });
        match ready {
            Some(i) => ordered.push(tables.remove(i)),
            None => {
                return Err(OpsError::Invalid(format!(
                    "circular foreign keys among {}",
                    tables
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    Ok(ordered)
}

fn read_value(
    row: &sqlx::sqlite::SqliteRow,
    index: usize,
    kind: Kind,
) -> std::result::Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Text => Value::Text(row.try_get(index)?),
        // A REAL column may hold a whole number stored as an integer.
        Kind::Real => Value::Real(match row.try_get::<Option<f64>, _>(index) {
            Ok(v) => v,
            Err(_) => row.try_get::<Option<i64>, _>(index)?.map(|v| v as f64),
        }),
        Kind::BigInt => Value::BigInt(row.try_get(index)?),
        Kind::Int => Value::Int(row.try_get(index)?),
        Kind::Bytes => Value::Bytes(row.try_get(index)?),
    })
}

/// Copies the SQLite installation at `source_url` into the PostgreSQL database at
/// `target_url`, whose schema must already be migrated to the same version and hold no data
/// of its own (what a fresh installation loads there is replaced). One read transaction on
/// SQLite (a consistent snapshot) and one transaction on PostgreSQL: every table in batches,
/// parents first, ids kept; then serial sequences set past the largest value and every
/// table's rows counted on both sides. Nothing is committed unless every count matches.
pub async fn copy_sqlite_to_postgres(
    source_url: &str,
    target_url: &str,
    progress: &mut dyn FnMut(CopyProgress<'_>),
) -> Result<Vec<TableCopy>> {
    let own = counts(target_url).await?.own_data();
    if !own.is_empty() {
        return Err(OpsError::NotEmpty(own));
    }
    let mut target = PgConnection::connect(target_url).await.map_err(db)?;
    let tables = postgres_tables(&mut target).await?;

    let mut source = sqlite_connect(source_url, true).await?;
    sqlx::query("BEGIN")
        .execute(&mut source)
        .await
        .map_err(db)?;
    let source_names: Vec<String> = sqlx::query_scalar(SQLITE_TABLES)
        .bind(MIGRATIONS_TABLE)
        .fetch_all(&mut source)
        .await
        .map_err(db)?;
    for name in &source_names {
        if !tables.iter().any(|t| &t.name == name) {
            return Err(OpsError::Invalid(format!(
                "table {name} exists in SQLite but not in PostgreSQL: are both migrated by this version of crocevia?"
            )));
        }
    }
    let mut source_rows = Vec::with_capacity(tables.len());
    for t in &tables {
        if !source_names.contains(&t.name) {
            return Err(OpsError::Invalid(format!(
                "table {} exists in PostgreSQL but not in SQLite: are both migrated by this version of crocevia?",
                t.name
            )));
        }
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM \"{}\"",
            t.name
        )))
        .fetch_one(&mut source)
        .await
        .map_err(db)?;
        source_rows.push(n);
    }
    progress(CopyProgress::Started {
        rows: source_rows.iter().map(|&n| n as u64).sum(),
    });

    let mut tx = target.begin().await.map_err(db)?;
    // What a fresh installation loaded there (territories, statistics, the taxonomy) goes:
    // the source has its own.
    for t in tables.iter().rev() {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM \"{}\"", t.name)))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let mut copied: u64 = 0;
    for t in &tables {
        progress(CopyProgress::Table(&t.name));
        let names = t
            .columns
            .iter()
            .map(|(c, _)| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let batch = (BINDS_PER_INSERT / t.columns.len()).max(1);
        let select = format!(
            "SELECT rowid AS _rowid, {names} FROM \"{}\" WHERE rowid > $1 ORDER BY rowid LIMIT {batch}",
            t.name
        );
        let mut after: i64 = i64::MIN;
        loop {
            let rows = sqlx::query(AssertSqlSafe(select.clone()))
                .bind(after)
                .fetch_all(&mut source)
                .await
                .map_err(db)?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("_rowid").map_err(db)?;
            let mut values = Vec::with_capacity(rows.len() * t.columns.len());
            for row in &rows {
                for (i, (column, kind)) in t.columns.iter().enumerate() {
                    values.push(read_value(row, i + 1, *kind).map_err(|e| {
                        OpsError::Database(format!("{}.{column} in SQLite: {e}", t.name))
                    })?);
                }
            }
            let width = t.columns.len();
            let tuples = (0..rows.len())
                .map(|r| format!("({})", crate::placeholders(r * width + 1, width)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("INSERT INTO \"{}\" ({names}) VALUES {tuples}", t.name);
            let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
            for v in values {
                query = match v {
                    Value::Text(v) => query.bind(v),
                    Value::Real(v) => query.bind(v),
                    Value::BigInt(v) => query.bind(v),
                    Value::Int(v) => query.bind(v),
                    Value::Bytes(v) => query.bind(v),
                };
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(|e| OpsError::Database(format!("copying {}: {e}", t.name)))?;
            copied += rows.len() as u64;
            progress(CopyProgress::Copied(copied));
        }
    }
    sqlx::query("COMMIT")
        .execute(&mut source)
        .await
        .map_err(db)?;
    source.close().await.map_err(db)?;

    // Serial columns (change_log.seq): the next value follows the largest copied.
    let serials: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, \
         pg_get_serial_sequence(quote_ident(table_name), column_name)::text \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    for (table, column, sequence) in serials {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT setval($1::regclass, COALESCE(MAX(\"{column}\"), 1), MAX(\"{column}\") IS NOT NULL) FROM \"{table}\""
        )))
        .bind(sequence)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }

    let mut report = Vec::with_capacity(tables.len());
    for (t, source_rows) in tables.iter().zip(source_rows) {
        let target_rows: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM \"{}\"",
            t.name
        )))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        if target_rows != source_rows {
            return Err(OpsError::Mismatch {
                table: t.name.clone(),
                source_rows,
                target_rows,
            });
        }
        report.push(TableCopy {
            table: t.name.clone(),
            source_rows,
            target_rows,
        });
    }
    tx.commit().await.map_err(db)?;
    target.close().await.map_err(db)?;
    report.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(report)
}
