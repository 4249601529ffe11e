//! Unmet search demand ([`crocevia_store::search_demand::SearchDemandStore`]), written once
//! for both backends like the rest of the store (see [`crate::sql_store`]).

/// Implements `SearchDemandStore` for `$store` over database `$db`, in a module of its own.
macro_rules! sql_search_demand_store {
    ($store:ident, $db:ty) => {
        mod search_demand_store {
            use async_trait::async_trait;
            use crocevia_store::Result;
            use crocevia_store::search_demand::{
                OTHER_QUERIES, QueryDemand, QueryTally, ResultOpened, SearchDemandStore,
                WeekDemand,
            };
            use sqlx::Row as _;

            use super::$store as Backend;
            use crate::db_error;

            type DbRow = <$db as sqlx::Database>::Row;

            fn count(row: &DbRow, column: &str) -> Result<u64> {
                let value: i64 = row.try_get(column).map_err(db_error)?;
                Ok(u64::try_from(value).unwrap_or(0))
            }

            fn signed(n: u64) -> i64 {
                i64::try_from(n).unwrap_or(i64::MAX)
            }

            /// The sums every read gives (PostgreSQL's SUM of a BIGINT is a NUMERIC).
            const SUMS: &str = "CAST(SUM(searches) AS BIGINT) AS searches, \
                CAST(SUM(empty_searches) AS BIGINT) AS empty_searches, \
                CAST(SUM(visitors) AS BIGINT) AS visitors, \
                CAST(SUM(visitors_clicked) AS BIGINT) AS visitors_clicked";

            #[async_trait]
            impl SearchDemandStore for Backend {
                async fn search_demand_secret(&self, week: &str, fresh: &str) -> Result<String> {
                    sqlx::query(
                        "INSERT INTO search_demand_secret (week, secret) VALUES ($1, $2) \
                         ON CONFLICT (week) DO NOTHING",
                    )
                    .bind(week)
                    .bind(fresh)
                    .execute(&self.write)
                    .await
                    .map_err(db_error)?;
                    let row = sqlx::query("SELECT secret FROM search_demand_secret WHERE week = $1")
                        .bind(week)
                        .fetch_one(&self.write)
                        .await
                        .map_err(db_error)?;
                    row.try_get("secret").map_err(db_error)
                }

                async fn record_search_demand(
                    &self,
                    tallies: &[QueryTally],
                    opened: &[ResultOpened],
                    min_visitors: u64,
                ) -> Result<()> {
                    // One order for every server, so two flushes never wait on each other's rows.
                    let mut tallies: Vec<&QueryTally> = tallies.iter().collect();
                    tallies.sort_by(|a, b| {
                        (&a.week, &a.language, &a.query_key).cmp(&(&b.week, &b.language, &b.query_key))
                    });
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    for t in tallies {
                        sqlx::query(
                            "INSERT INTO search_demand (week, language, query_key, searches, empty_searches) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (week, language, query_key) DO UPDATE \
                             SET searches = search_demand.searches + excluded.searches, \
                             empty_searches = search_demand.empty_searches + excluded.empty_searches",
                        )
                        .bind(&t.week)
                        .bind(&t.language)
                        .bind(&t.query_key)
                        .bind(signed(t.searches))
                        .bind(signed(t.empty_searches))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                        let mut new_visitors = 0;
                        for visitor in &t.visitors {
                            new_visitors += sqlx::query(
                                "INSERT INTO search_demand_visitor (week, language, query_key, visitor_key) \
                                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                            )
                            .bind(&t.week)
                            .bind(&t.language)
                            .bind(&t.query_key)
                            .bind(visitor)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?
                            .rows_affected();
                        }
                        sqlx::query(
                            "UPDATE search_demand SET visitors = visitors + $4, \
                             query_text = CASE WHEN query_text IS NULL AND visitors + $4 >= $5 THEN $6 \
                             ELSE query_text END \
                             WHERE week = $1 AND language = $2 AND query_key = $3",
                        )
                        .bind(&t.week)
                        .bind(&t.language)
                        .bind(&t.query_key)
                        .bind(signed(new_visitors))
                        .bind(signed(min_visitors))
                        .bind(&t.query_text)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    }
                    let mut opened: Vec<&ResultOpened> = opened.iter().collect();
                    opened.sort_by(|a, b| {
                        (&a.week, &a.language, &a.query_key, &a.visitor_key)
                            .cmp(&(&b.week, &b.language, &b.query_key, &b.visitor_key))
                    });
                    for o in opened {
                        let first = sqlx::query(
                            "UPDATE search_demand_visitor SET clicked = 1 WHERE week = $1 AND language = $2 \
                             AND query_key = $3 AND visitor_key = $4 AND clicked = 0",
                        )
                        .bind(&o.week)
                        .bind(&o.language)
                        .bind(&o.query_key)
                        .bind(&o.visitor_key)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?
                        .rows_affected();
                        if first > 0 {
                            sqlx::query(
                                "UPDATE search_demand SET visitors_clicked = visitors_clicked + 1 \
                                 WHERE week = $1 AND language = $2 AND query_key = $3",
                            )
                            .bind(&o.week)
                            .bind(&o.language)
                            .bind(&o.query_key)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?;
                        }
                    }
                    tx.commit().await.map_err(db_error)
                }

                async fn close_search_demand_weeks(&self, week: &str) -> Result<u64> {
                    let mut tx = self.write.begin().await.map_err(db_error)?;
                    // Also what a late flush wrote into a week closed before: closing again
                    // folds and deletes it.
                    let fold = format!(
                        "INSERT INTO search_demand (week, language, query_key, query_text, searches, \
                         empty_searches, visitors, visitors_clicked) \
                         SELECT week, language, '{OTHER_QUERIES}', NULL, {SUMS} FROM search_demand \
                         WHERE week < $1 AND query_text IS NULL AND query_key <> '{OTHER_QUERIES}' \
                         GROUP BY week, language \
                         ON CONFLICT (week, language, query_key) DO UPDATE SET \
                         searches = search_demand.searches + excluded.searches, \
                         empty_searches = search_demand.empty_searches + excluded.empty_searches, \
                         visitors = search_demand.visitors + excluded.visitors, \
                         visitors_clicked = search_demand.visitors_clicked + excluded.visitors_clicked"
                    );
                    let statements = [
                        fold,
                        format!(
                            "DELETE FROM search_demand WHERE week < $1 AND query_text IS NULL \
                             AND query_key <> '{OTHER_QUERIES}'"
                        ),
                        "DELETE FROM search_demand_visitor WHERE week < $1".to_owned(),
                    ];
                    for sql in statements {
                        sqlx::query(sqlx::AssertSqlSafe(sql))
                            .bind(week)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?;
                    }
                    let closed = sqlx::query("DELETE FROM search_demand_secret WHERE week < $1")
                        .bind(week)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?
                        .rows_affected();
                    tx.commit().await.map_err(db_error)?;
                    Ok(closed)
                }

                async fn search_demand_weeks(&self, from_week: &str) -> Result<Vec<WeekDemand>> {
                    let sql = format!(
                        "SELECT week, language, {SUMS} FROM search_demand WHERE week >= $1 \
                         GROUP BY week, language ORDER BY week DESC, language"
                    );
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(from_week)
                        .fetch_all(&self.read)
                        .await
                        .map_err(db_error)?
                        .iter()
                        .map(|row| {
                            Ok(WeekDemand {
                                week: row.try_get("week").map_err(db_error)?,
                                language: row.try_get("language").map_err(db_error)?,
                                searches: count(row, "searches")?,
                                empty_searches: count(row, "empty_searches")?,
                                visitors: count(row, "visitors")?,
                                visitors_clicked: count(row, "visitors_clicked")?,
                            })
                        })
                        .collect()
                }

                async fn search_demand_queries(
                    &self,
                    from_week: &str,
                    limit: u32,
                ) -> Result<Vec<QueryDemand>> {
                    let sql = format!(
                        "SELECT language, query_text, {SUMS} FROM search_demand \
                         WHERE week >= $1 AND query_text IS NOT NULL GROUP BY language, query_text \
                         ORDER BY SUM(visitors) - SUM(visitors_clicked) DESC, SUM(visitors) DESC, \
                         language, query_text LIMIT $2"
                    );
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(from_week)
                        .bind(i64::from(limit))
                        .fetch_all(&self.read)
                        .await
                        .map_err(db_error)?
                        .iter()
                        .map(|row| {
                            Ok(QueryDemand {
                                language: row.try_get("language").map_err(db_error)?,
                                query: row.try_get("query_text").map_err(db_error)?,
                                searches: count(row, "searches")?,
                                empty_searches: count(row, "empty_searches")?,
                                visitors: count(row, "visitors")?,
                                visitors_clicked: count(row, "visitors_clicked")?,
                            })
                        })
                        .collect()
                }
            }
        }
    };
}

pub(crate) use sql_search_demand_store;
