//! PostgreSQL full-text search, when `CROCEVIA_TEST_PG` names a database: a fresh schema, a
//! stored `tsvector` (the `italian` configuration, names weighted A, descriptions B) with a
//! GIN index, `ts_rank` ordering and `LIMIT 10`; categories as an `int4[]` with GIN, the
//! province and a bounding box on plain columns. Typos go through `pg_trgm` when the extension
//! can be created: the closest word of the directory's vocabulary (`ts_stat`, unstemmed) is
//! searched instead, in the same statement. Open now is n/a. The schema is dropped at the end.

use anyhow::{Context, Result};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection};

use crocevia_core::service_doc::ServiceDoc;
use crocevia_core::taxonomy;

use super::fts5::{all_text, assured_day};
use super::queries::{BenchQuery, Kind};

const BATCH: usize = 2000;

pub struct Pg {
    conn: PgConnection,
    schema: String,
    trigrams: bool,
    pending: Pending,
}

#[derive(Default)]
struct Pending {
    id: Vec<i32>,
    name: Vec<String>,
    description: Vec<String>,
    categories: Vec<String>,
    province: Vec<String>,
    lat: Vec<Option<f64>>,
    lon: Vec<Option<f64>>,
    assured: Vec<i32>,
}

/// A `to_tsquery` operand: the word quoted, with `:*` when it is a prefix.
fn lexeme(word: &str, prefix: bool) -> String {
    let quoted = format!("'{}'", word.replace('\'', "''").replace('\\', ""));
    if prefix {
        format!("{quoted}:*")
    } else {
        quoted
    }
}

impl Pg {
    pub async fn create(url: &str) -> Result<Pg> {
        let options: PgConnectOptions = url.parse().context("CROCEVIA_TEST_PG is not a URL")?;
        let mut conn = PgConnection::connect_with(&options)
            .await
            .context("cannot connect to CROCEVIA_TEST_PG")?;
        let schema = format!("crocevia_bench_{}", std::process::id());
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};
             SET search_path TO {schema}, public; SET statement_timeout = '60s';
             CREATE TABLE docs (
                 id int4 PRIMARY KEY, name text NOT NULL, description text NOT NULL,
                 categories int4[] NOT NULL, province text NOT NULL,
                 lat float8, lon float8, assured int4 NOT NULL,
                 tsv tsvector GENERATED ALWAYS AS (
                     setweight(to_tsvector('italian', name), 'A') ||
                     setweight(to_tsvector('italian', description), 'B')) STORED);"
        )))
        .execute(&mut conn)
        .await?;
        let trigrams = sqlx::raw_sql(AssertSqlSafe(format!(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA {schema}"
        )))
        .execute(&mut conn)
        .await
        .is_ok();
        Ok(Pg {
            conn,
            schema,
            trigrams,
            pending: Pending::default(),
        })
    }

    pub fn has_trigrams(&self) -> bool {
        self.trigrams
    }

    pub async fn add(&mut self, number: usize, doc: &ServiceDoc) -> Result<()> {
        if !doc.is_listed() {
            return Ok(());
        }
        let (name, description) = all_text(doc);
        let p = &mut self.pending;
        p.id.push(i32::try_from(number)?);
        p.name.push(name);
        p.description.push(description);
        p.categories.push(
            doc.categories
                .iter()
                .filter_map(|c| taxonomy::needs_taxonomy().iter().position(|t| t.code == *c))
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        );
        p.province
            .push(doc.provinces.first().cloned().unwrap_or_default());
        p.lat.push(doc.points.first().map(|x| x.lat));
        p.lon.push(doc.points.first().map(|x| x.lon));
        p.assured.push(i32::try_from(assured_day(doc))?);
        if p.id.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        if self.pending.id.is_empty() {
            return Ok(());
        }
        let p = std::mem::take(&mut self.pending);
        sqlx::query(
            "INSERT INTO docs (id, name, description, categories, province, lat, lon, assured)
             SELECT id, name, description, string_to_array(cats, ' ')::int4[], province, lat, lon, assured
             FROM UNNEST($1::int4[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::float8[], $7::float8[], $8::int4[])
                  AS t(id, name, description, cats, province, lat, lon, assured)",
        )
        .bind(p.id)
        .bind(p.name)
        .bind(p.description)
        .bind(p.categories)
        .bind(p.province)
        .bind(p.lat)
        .bind(p.lon)
        .bind(p.assured)
        .execute(&mut self.conn)
        .await?;
        Ok(())
    }

    /// Builds the indexes after the load (faster than maintaining them row by row), the
    /// vocabulary for typo correction, and the planner's statistics.
    pub async fn finish(&mut self) -> Result<()> {
        self.flush().await?;
        sqlx::raw_sql(
            "SET maintenance_work_mem = '512MB';
             CREATE INDEX docs_tsv ON docs USING gin (tsv);
             CREATE INDEX docs_categories ON docs USING gin (categories);
             CREATE INDEX docs_province ON docs (province);
             CREATE INDEX docs_lat ON docs (lat);
             CREATE INDEX docs_lon ON docs (lon);
             ANALYZE docs;",
        )
        .execute(&mut self.conn)
        .await?;
        if self.trigrams {
            sqlx::raw_sql(
                "CREATE TABLE words AS SELECT word FROM ts_stat(
                     'SELECT to_tsvector(''simple'', name || '' '' || description) FROM docs');
                 CREATE INDEX words_trgm ON words USING gin (word gin_trgm_ops);
                 ANALYZE words;",
            )
            .execute(&mut self.conn)
            .await?;
        }
        Ok(())
    }

    /// On-disk size of the table, its TOAST and its indexes.
    pub async fn size_bytes(&mut self) -> Result<i64> {
        let mut total: i64 = sqlx::query_scalar("SELECT pg_total_relation_size('docs')::int8")
            .fetch_one(&mut self.conn)
            .await?;
        if self.trigrams {
            let words: i64 = sqlx::query_scalar("SELECT pg_total_relation_size('words')::int8")
                .fetch_one(&mut self.conn)
                .await?;
            total += words;
        }
        Ok(total)
    }

    pub async fn ping(&mut self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&mut self.conn).await?;
        Ok(())
    }

    pub async fn run(&mut self, q: &BenchQuery) -> Result<Option<usize>> {
        if q.open_now || q.kind == Kind::BrowseAll || (q.kind == Kind::Typo && !self.trigrams) {
            return Ok(None);
        }
        let ids: Vec<i32> = if q.kind == Kind::Typo {
            let word = q.words.first().cloned().unwrap_or_default();
            sqlx::query_scalar(
                "WITH fix AS (SELECT plainto_tsquery('italian', word) AS q FROM words
                              WHERE word % $1 ORDER BY similarity(word, $1) DESC LIMIT 1)
                 SELECT d.id FROM docs d, fix WHERE d.tsv @@ fix.q
                 ORDER BY ts_rank(d.tsv, fix.q) DESC LIMIT 10",
            )
            .bind(word)
            .fetch_all(&mut self.conn)
            .await?
        } else if q.words.is_empty() {
            let category = q
                .category
                .as_deref()
                .and_then(|c| taxonomy::needs_taxonomy().iter().position(|t| t.code == c))
                .map_or(-1, |i| i32::try_from(i).unwrap_or(-1));
            sqlx::query_scalar(
                "SELECT id FROM docs WHERE categories @> ARRAY[$1::int4] AND province = $2
                 ORDER BY assured DESC LIMIT 10",
            )
            .bind(category)
            .bind(q.province.clone().unwrap_or_default())
            .fetch_all(&mut self.conn)
            .await?
        } else {
            let last = q.words.len() - 1;
            let tsquery = q
                .words
                .iter()
                .enumerate()
                .map(|(i, w)| lexeme(w, q.prefix && i == last))
                .collect::<Vec<_>>()
                .join(" & ");
            match &q.near {
                Some(near) => {
                    let (lat0, lat1, lon0, lon1) = near.bbox();
                    sqlx::query_scalar(
                        "SELECT id FROM docs, to_tsquery('italian', $1) q
                         WHERE tsv @@ q AND lat BETWEEN $2 AND $3 AND lon BETWEEN $4 AND $5
                         ORDER BY ts_rank(tsv, q) DESC LIMIT 10",
                    )
                    .bind(tsquery)
                    .bind(lat0)
                    .bind(lat1)
                    .bind(lon0)
                    .bind(lon1)
                    .fetch_all(&mut self.conn)
                    .await?
                }
                None => {
                    sqlx::query_scalar(
                        "SELECT id FROM docs, to_tsquery('italian', $1) q WHERE tsv @@ q
                         ORDER BY ts_rank(tsv, q) DESC LIMIT 10",
                    )
                    .bind(tsquery)
                    .fetch_all(&mut self.conn)
                    .await?
                }
            }
        };
        Ok(Some(ids.len()))
    }

    /// Drops the schema (and the extension if it was created in it).
    pub async fn drop(mut self) -> Result<()> {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            self.schema
        )))
        .execute(&mut self.conn)
        .await?;
        self.conn.close().await?;
        Ok(())
    }
}
