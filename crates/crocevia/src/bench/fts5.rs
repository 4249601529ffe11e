//! SQLite FTS5 (the bundled SQLite, through sqlx as the store uses it): one `fts5` table with
//! names, descriptions (every language) and tags (category and province tokens), a plain
//! table with coordinates and verification day, `bm25` ranking and `LIMIT 10`.
//!
//! What FTS5 cannot express is reported as n/a, not faked: typo tolerance (FTS5 has no fuzzy
//! matching; the `spellfix1` extension is not in the bundled build) and open now (schedules).
//! Proximity is a bounding box on the plain table, joined.

use std::path::Path;

use anyhow::Result;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Connection};

use crocevia_core::service_doc::ServiceDoc;
use crocevia_core::taxonomy;

use super::queries::{BenchQuery, Kind};

/// Rows per `INSERT`.
const BATCH: usize = 200;

pub struct Fts5 {
    conn: SqliteConnection,
    pending: Vec<Row>,
}

pub struct Row {
    rowid: i64,
    name: String,
    description: String,
    tags: String,
    lat: Option<f64>,
    lon: Option<f64>,
    assured: i64,
}

/// `c12` for the 13th needs term: FTS5 tokens for the category filter.
pub fn category_token(code: &str) -> Option<String> {
    taxonomy::needs_taxonomy()
        .iter()
        .position(|t| t.code == code)
        .map(|i| format!("c{i}"))
}

/// Every name (organisation and comune too) and every description, in every language.
pub fn all_text(doc: &ServiceDoc) -> (String, String) {
    let mut name = String::new();
    let mut description = String::new();
    for t in &doc.texts {
        for (out, part) in [(&mut name, &t.name), (&mut description, &t.description)] {
            if !out.is_empty() {
                out.push_str(" | ");
            }
            out.push_str(part);
        }
        if let Some(org) = &t.organization {
            name.push_str(" | ");
            name.push_str(org);
        }
    }
    for place in &doc.places {
        name.push_str(" | ");
        name.push_str(place);
    }
    (name, description)
}

pub fn assured_day(doc: &ServiceDoc) -> i64 {
    doc.assured_date
        .map_or(0, |d| i64::from(chrono::Datelike::num_days_from_ce(&d)))
}

/// An FTS5 string literal.
fn quoted(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

impl Fts5 {
    pub async fn create(path: &Path) -> Result<Fts5> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Off)
            .synchronous(SqliteSynchronous::Off);
        let mut conn = SqliteConnection::connect_with(&options).await?;
        sqlx::raw_sql(
            "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, lat REAL, lon REAL, assured INTEGER NOT NULL);
             CREATE VIRTUAL TABLE fts USING fts5(name, description, tags,
                 tokenize = 'unicode61 remove_diacritics 2');
             BEGIN;",
        )
        .execute(&mut conn)
        .await?;
        Ok(Fts5 {
            conn,
            pending: Vec::with_capacity(BATCH),
        })
    }

    pub async fn add(&mut self, number: usize, doc: &ServiceDoc) -> Result<()> {
        if !doc.is_listed() {
            return Ok(());
        }
        let (name, description) = all_text(doc);
        let mut tags: Vec<String> = doc
            .categories
            .iter()
            .filter_map(|c| category_token(c))
            .collect();
        tags.extend(doc.provinces.iter().map(|p| format!("p{p}")));
        self.pending.push(Row {
            rowid: i64::try_from(number)?,
            name,
            description,
            tags: tags.join(" "),
            lat: doc.points.first().map(|p| p.lat),
            lon: doc.points.first().map(|p| p.lon),
            assured: assured_day(doc),
        });
        if self.pending.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let n = self.pending.len();
        let values = |per: usize| {
            (0..n)
                .map(|r| {
                    let args: Vec<String> =
                        (1..=per).map(|c| format!("${}", r * per + c)).collect();
                    format!("({})", args.join(","))
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let docs_sql = format!(
            "INSERT INTO docs (rowid, lat, lon, assured) VALUES {}",
            values(4)
        );
        let mut insert = sqlx::query(AssertSqlSafe(docs_sql));
        for row in &self.pending {
            insert = insert
                .bind(row.rowid)
                .bind(row.lat)
                .bind(row.lon)
                .bind(row.assured);
        }
        insert.execute(&mut self.conn).await?;
        let fts_sql = format!(
            "INSERT INTO fts (rowid, name, description, tags) VALUES {}",
            values(4)
        );
        let mut insert = sqlx::query(AssertSqlSafe(fts_sql));
        for row in self.pending.drain(..) {
            insert = insert
                .bind(row.rowid)
                .bind(row.name)
                .bind(row.description)
                .bind(row.tags);
        }
        insert.execute(&mut self.conn).await?;
        Ok(())
    }

    /// Commits and merges the full-text index's b-trees (`optimize`), as one would for a
    /// directory loaded at once.
    pub async fn finish(&mut self) -> Result<()> {
        self.flush().await?;
        sqlx::raw_sql("COMMIT; INSERT INTO fts(fts) VALUES('optimize'); ANALYZE;")
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// The round trip of a trivial statement through sqlx: what every query pays before
    /// SQLite does any work.
    pub async fn ping(&mut self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&mut self.conn).await?;
        Ok(())
    }

    pub async fn run(&mut self, q: &BenchQuery) -> Result<Option<usize>> {
        if q.kind == Kind::Typo || q.open_now || q.kind == Kind::BrowseAll {
            return Ok(None);
        }
        let mut terms: Vec<String> = Vec::new();
        let last = q.words.len().saturating_sub(1);
        for (i, w) in q.words.iter().enumerate() {
            let mut term = format!("{{name description}} : {}", quoted(w));
            if q.prefix && i == last {
                term.push_str(" *");
            }
            terms.push(term);
        }
        if let Some(c) = &q.category {
            let Some(token) = category_token(c) else {
                return Ok(Some(0));
            };
            terms.push(format!("tags : {token}"));
        }
        if let Some(p) = &q.province {
            terms.push(format!("tags : {}", quoted(&format!("p{p}"))));
        }
        let expression = terms.join(" AND ");
        let ids: Vec<i64> = if let Some(near) = &q.near {
            let (lat0, lat1, lon0, lon1) = near.bbox();
            sqlx::query_scalar(
                "SELECT fts.rowid FROM fts JOIN docs d ON d.rowid = fts.rowid
                 WHERE fts MATCH $1 AND d.lat BETWEEN $2 AND $3 AND d.lon BETWEEN $4 AND $5
                 ORDER BY bm25(fts) LIMIT 10",
            )
            .bind(&expression)
            .bind(lat0)
            .bind(lat1)
            .bind(lon0)
            .bind(lon1)
            .fetch_all(&mut self.conn)
            .await?
        } else if q.words.is_empty() {
            // Filters only: the freshest first, like our search without text.
            sqlx::query_scalar(
                "SELECT fts.rowid FROM fts JOIN docs d ON d.rowid = fts.rowid
                 WHERE fts MATCH $1 ORDER BY d.assured DESC LIMIT 10",
            )
            .bind(&expression)
            .fetch_all(&mut self.conn)
            .await?
        } else {
            sqlx::query_scalar(
                "SELECT rowid FROM fts WHERE fts MATCH $1 ORDER BY bm25(fts) LIMIT 10",
            )
            .bind(&expression)
            .fetch_all(&mut self.conn)
            .await?
        };
        Ok(Some(ids.len()))
    }

    pub async fn close(self) -> Result<()> {
        self.conn.close().await?;
        Ok(())
    }
}
