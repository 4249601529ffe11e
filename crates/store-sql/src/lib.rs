//! The SQL backends of the Crocevia store: SQLite (embedded, the default) and PostgreSQL (for
//! deployments with several app servers).
//!
//! Both speak the same SQL: `$n` placeholders, `ON CONFLICT … DO UPDATE`, text timestamps in a
//! fixed-width UTC format (so text order is time order). The one implementation is written
//! once in [`sql_store!`] and instantiated per backend, so the two cannot drift apart; what
//! differs (connecting, pragmas, migrations) is in `sqlite.rs` and `postgres.rs`.

mod desk;
pub mod ops;
mod pages;
mod postgres;
mod search_demand;
mod sqlite;
mod survey;

use chrono::{DateTime, Utc};
pub use crocevia_core::desk::audit::AuditSeal;
use crocevia_core::hsds::Record;
use crocevia_core::hsds::record::searchable_text;
use crocevia_store::StoreError;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Opens the store a database URL names: `sqlite://PATH` (created if missing) or
/// `postgres://…`. Runs pending migrations. `audit` seals the entries the store appends to the
/// audit trail of personal data: the key from outside the database (see
/// [`crocevia_core::desk::audit`]), or [`AuditSeal::unkeyed`] where that does not matter.
pub async fn open(
    url: &str,
    audit: AuditSeal,
) -> Result<std::sync::Arc<dyn crocevia_store::Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            PostgresStore::connect(url, audit).await?,
        ))
    } else if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::connect(url, audit).await?))
    } else {
        Err(StoreError::Database(format!(
            "unsupported database URL '{url}': use sqlite://PATH or postgres://HOST/DB"
        )))
    }
}

/// Most ids bound in one statement: far below SQLite's and PostgreSQL's limits.
const CHUNK: usize = 500;

/// A directory write this large refreshes the planner's statistics where the backend needs it
/// (`ANALYZE_AFTER_BULK`).
pub(crate) const BULK_ROWS: usize = 10_000;

pub(crate) fn db_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(e.to_string())
}

/// Timestamps are stored as fixed-width RFC 3339 UTC text.
/// When a read of personal data happened, for its audit entry. Reads take no time from the
/// caller (they change nothing the caller could date), so the store reads the wall clock.
#[allow(clippy::disallowed_methods)]
pub(crate) fn read_at() -> DateTime<Utc> {
    Utc::now()
}

pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Database(format!("bad timestamp '{text}' in database: {e}")))
}

pub(crate) fn decode_record(table: String, id: String, doc: &str) -> Result<Record, StoreError> {
    let fields = serde_json::from_str(doc)
        .map_err(|e| StoreError::Database(format!("bad JSON in {table} {id}: {e}")))?;
    Ok(Record { table, id, fields })
}

/// The columns a record is stored with besides its JSON.
pub(crate) struct Row {
    pub doc: String,
    pub search_text: String,
    pub postal_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl Row {
    pub fn of(record: &Record) -> Self {
        // A confidential location is never found by proximity: its coordinates stay out of
        // the queryable columns.
        let hidden = crocevia_core::hsds::views::is_confidential(record);
        let number = |f: &str| {
            (!hidden)
                .then(|| record.fields.get(f).and_then(serde_json::Value::as_f64))
                .flatten()
        };
        Row {
            doc: serde_json::to_string(&record.fields).expect("a JSON map serialises"),
            search_text: searchable_text(record),
            postal_code: record.text("postal_code").map(str::to_owned),
            latitude: number("latitude"),
            longitude: number("longitude"),
        }
    }
}

/// Writes `$1, $2, …` as anonymous `?` parameters when each appears once and in order, as
/// in the bulk statements; any other text is left as it is. SQLite looks a numbered parameter
/// up by name among all of them, while preparing and again while sqlx binds it, so a statement
/// of n numbered parameters costs n² (a third of an import's time); anonymous ones are bound
/// by position.
pub(crate) fn anonymous_parameters(sql: String) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let (mut next, mut copied, mut i, mut quoted) = (1usize, 0usize, 0usize, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'$' if !quoted => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits == 0 || sql[i + 1..i + 1 + digits].parse() != Ok(next) {
                    return sql;
                }
                out.push_str(&sql[copied..i]);
                out.push('?');
                next += 1;
                i += digits;
                copied = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&sql[copied..]);
    out
}

/// Appends one row of `COPY … FROM STDIN` text: tab-separated, `\N` for NULL, backslash,
/// tab and line breaks escaped.
pub(crate) fn copy_text_row(row: &[Bind], out: &mut String) {
    use std::fmt::Write as _;
    for (i, value) in row.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match value {
            Bind::Text(text) | Bind::MaybeText(Some(text)) => {
                for c in text.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
            Bind::MaybeText(None) | Bind::MaybeReal(None) => out.push_str("\\N"),
            Bind::Real(r) | Bind::MaybeReal(Some(r)) => {
                let _ = write!(out, "{r:?}");
            }
            Bind::Int(i) => {
                let _ = write!(out, "{i}");
            }
        }
    }
    out.push('\n');
}

/// `$first, $first+1, …` for `count` parameters.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A bound value of a query built at run time.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Text(String),
    Real(f64),
    Int(i64),
    /// Text or NULL.
    MaybeText(Option<String>),
    /// A number or NULL.
    MaybeReal(Option<f64>),
}

/// Builds the listing query: filters become `AND`ed clauses with numbered parameters; the
/// SQL text holds only fixed fragments and placeholders, never a value.
pub(crate) struct ListSql {
    pub where_sql: String,
    pub order_sql: String,
    pub binds: Vec<Bind>,
}

impl ListSql {
    pub fn build(q: &crocevia_store::ListQuery) -> Self {
        let mut s = ListSql {
            where_sql: String::from("r.table_name = $1"),
            order_sql: String::from("r.id"),
            binds: vec![Bind::Text(q.table.clone())],
        };
        if let Some(search) = &q.search {
            for word in search.split_whitespace() {
                let n = s.push(Bind::Text(format!(
                    "%{}%",
                    like_escape(&word.to_lowercase())
                )));
                s.and(format!("r.search_text LIKE ${n} ESCAPE '\\'"));
            }
        }
        if let Some(term) = &q.taxonomy_term_id {
            let n = s.push(Bind::Text(term.clone()));
            s.and(if q.table == "taxonomy_term" {
                format!("r.id = ${n}")
            } else {
                format!("EXISTS (SELECT 1 FROM hsds_ref l JOIN hsds_ref t ON t.table_name = 'attribute' AND t.id = l.id AND t.field = 'taxonomy_term_id' WHERE l.table_name = 'attribute' AND l.field = 'link_id' AND l.target_id = r.id AND t.target_id = ${n})")
            });
        }
        if let Some(taxonomy) = &q.taxonomy_id {
            let n = s.push(Bind::Text(taxonomy.clone()));
            s.and(match q.table.as_str() {
                "taxonomy_term" => format!("EXISTS (SELECT 1 FROM hsds_ref x WHERE x.table_name = 'taxonomy_term' AND x.id = r.id AND x.field = 'taxonomy_id' AND x.target_id = ${n})"),
                "taxonomy" => format!("r.id = ${n}"),
                _ => format!("EXISTS (SELECT 1 FROM hsds_ref l JOIN hsds_ref t ON t.table_name = 'attribute' AND t.id = l.id AND t.field = 'taxonomy_term_id' JOIN hsds_ref x ON x.table_name = 'taxonomy_term' AND x.id = t.target_id AND x.field = 'taxonomy_id' WHERE l.table_name = 'attribute' AND l.field = 'link_id' AND l.target_id = r.id AND x.target_id = ${n})"),
            });
        }
        if let Some(org) = &q.organization_id {
            let n = s.push(Bind::Text(org.clone()));
            s.and(match q.table.as_str() {
                "organization" => format!("r.id = ${n}"),
                "service_at_location" => format!("EXISTS (SELECT 1 FROM hsds_ref sl JOIN hsds_ref so ON so.table_name = 'service' AND so.id = sl.target_id AND so.field = 'organization_id' WHERE sl.table_name = 'service_at_location' AND sl.id = r.id AND sl.field = 'service_id' AND so.target_id = ${n})"),
                _ => format!("EXISTS (SELECT 1 FROM hsds_ref o WHERE o.table_name = r.table_name AND o.id = r.id AND o.field = 'organization_id' AND o.target_id = ${n})"),
            });
        }
        if let Some(after) = q.modified_after {
            let n = s.push(Bind::Text(timestamp(after)));
            s.and(format!("r.modified_at >= ${n}"));
        }
        if let Some(postcode) = &q.postcode {
            let n = s.push(Bind::Text(postcode.trim().to_owned()));
            s.and(format!("EXISTS (SELECT 1 FROM hsds_ref sl JOIN hsds_ref al ON al.table_name = 'address' AND al.field = 'location_id' AND al.target_id = sl.target_id JOIN hsds_record a ON a.table_name = 'address' AND a.id = al.id WHERE sl.table_name = r.table_name AND sl.id = r.id AND sl.field = 'location_id' AND a.postal_code = ${n})"));
        }
        if let Some(near) = q.near {
            // Equirectangular distance: exact to well under 0.1% at the radii a desk uses.
            let km_per_degree = 111.195;
            let lat = s.push(Bind::Real(near.lat));
            let lon = s.push(Bind::Real(near.lon));
            let cos = s.push(Bind::Real(near.lat.to_radians().cos()));
            let r2 = s.push(Bind::Real((near.radius_km / km_per_degree).powi(2)));
            let d2 = format!(
                "((loc.latitude - ${lat}) * (loc.latitude - ${lat}) + (loc.longitude - ${lon}) * ${cos} * (loc.longitude - ${lon}) * ${cos})"
            );
            s.and(format!("EXISTS (SELECT 1 FROM hsds_ref sl JOIN hsds_record loc ON loc.table_name = 'location' AND loc.id = sl.target_id WHERE sl.table_name = r.table_name AND sl.id = r.id AND sl.field = 'location_id' AND {d2} <= ${r2})"));
            s.order_sql = format!(
                "(SELECT MIN({d2}) FROM hsds_ref sl JOIN hsds_record loc ON loc.table_name = 'location' AND loc.id = sl.target_id WHERE sl.table_name = r.table_name AND sl.id = r.id AND sl.field = 'location_id'), r.id"
            );
        }
        s
    }

    fn push(&mut self, bind: Bind) -> usize {
        self.binds.push(bind);
        self.binds.len()
    }

    fn and(&mut self, clause: String) {
        self.where_sql.push_str(" AND ");
        self.where_sql.push_str(&clause);
    }
}

/// Official statistics: the observation table's columns and the conversions of dimension
/// values to the stable text keys of `crocevia_core::statistics` ('' for a dimension the
/// dataset does not have).
pub(crate) mod statistics {
    use crocevia_core::statistics::{
        Citizenship, Observation, ObservationFilter, Period, PermitType, Sex, Territory,
        TerritoryLevel,
    };
    use crocevia_store::{Result, StoreError};

    use super::Bind;

    pub const COLUMNS: &[&str] = &[
        "dataset_id",
        "territory_level",
        "territory_code",
        "period",
        "sex",
        "citizenship",
        "permit_type",
        "measure",
        "value",
    ];

    pub fn binds(dataset_id: &str, o: &Observation) -> Vec<Bind> {
        vec![
            Bind::Text(dataset_id.to_owned()),
            Bind::Text(o.territory.level.as_str().to_owned()),
            Bind::Text(o.territory.code.clone()),
            Bind::Text(o.period.key()),
            Bind::Text(o.sex.map(|s| s.as_str().to_owned()).unwrap_or_default()),
            Bind::Text(
                o.citizenship
                    .as_ref()
                    .map(Citizenship::key)
                    .unwrap_or_default(),
            ),
            Bind::Text(
                o.permit_type
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            Bind::Text(o.measure.clone().unwrap_or_default()),
            Bind::Int(o.value),
        ]
    }

    /// `AND`ed clauses with numbered parameters, the dataset first.
    pub fn filter_sql(dataset_id: &str, f: &ObservationFilter) -> (Vec<String>, Vec<Bind>) {
        let mut clauses = Vec::new();
        let mut binds = Vec::new();
        let mut eq = |column: &str, value: String, clauses: &mut Vec<String>| {
            binds.push(Bind::Text(value));
            clauses.push(format!("{column} = ${}", binds.len()));
        };
        eq("dataset_id", dataset_id.to_owned(), &mut clauses);
        if let Some(level) = f.territory_level {
            eq("territory_level", level.as_str().to_owned(), &mut clauses);
        }
        if let Some(sex) = f.sex {
            eq("sex", sex.as_str().to_owned(), &mut clauses);
        }
        if let Some(c) = &f.citizenship {
            eq("citizenship", c.key(), &mut clauses);
        }
        if let Some(p) = f.permit_type {
            eq("permit_type", p.as_str().to_owned(), &mut clauses);
        }
        if let Some(m) = &f.measure {
            eq("measure", m.clone(), &mut clauses);
        }
        for (column, values) in [
            ("territory_code", f.territory_codes.clone()),
            ("period", f.periods.iter().map(Period::key).collect()),
        ] {
            if values.is_empty() {
                continue;
            }
            let first = binds.len() + 1;
            binds.extend(values.into_iter().map(Bind::Text));
            clauses.push(format!(
                "{column} IN ({})",
                super::placeholders(first, binds.len() + 1 - first)
            ));
        }
        (clauses, binds)
    }

    /// An observation from its stored keys: level, code, period, sex, citizenship, permit
    /// type, measure.
    pub fn observation(keys: [String; 7], value: i64) -> Result<Observation> {
        let [level, code, period, sex, citizenship, permit_type, measure] = keys;
        let bad = |what: &str, text: &str| {
            StoreError::Database(format!("bad {what} '{text}' in stat_observation"))
        };
        let optional = |text: &str| (!text.is_empty()).then_some(());
        Ok(Observation {
            territory: Territory {
                level: TerritoryLevel::parse(&level)
                    .ok_or_else(|| bad("territory level", &level))?,
                code,
            },
            period: Period::parse(&period).ok_or_else(|| bad("period", &period))?,
            sex: optional(&sex)
                .map(|()| Sex::parse(&sex).ok_or_else(|| bad("sex", &sex)))
                .transpose()?,
            citizenship: optional(&citizenship)
                .map(|()| {
                    Citizenship::parse(&citizenship).ok_or_else(|| bad("citizenship", &citizenship))
                })
                .transpose()?,
            permit_type: optional(&permit_type)
                .map(|()| {
                    PermitType::parse(&permit_type).ok_or_else(|| bad("permit type", &permit_type))
                })
                .transpose()?,
            measure: optional(&measure).map(|()| measure),
            value,
        })
    }
}

/// Territory tables: their columns (the order rows are bound and read in) and rows.
pub(crate) mod territory {
    use crocevia_core::territory::{Comune, Point, Province, Region, fold_name};

    use super::Bind;

    pub const REGION_COLUMNS: &[&str] = &["code", "name", "latitude", "longitude"];
    pub const PROVINCE_COLUMNS: &[&str] = &[
        "code",
        "historical_code",
        "name",
        "abbreviation",
        "region_code",
        "kind",
        "prefecture_name",
        "prefecture_province_code",
        "prefecture_seat_comune_code",
        "prefecture_note",
        "latitude",
        "longitude",
    ];
    /// The columns read back; [`comune_binds`] adds the two name keys.
    pub const COMUNE_COLUMNS: &[&str] = &[
        "code",
        "name",
        "name_other_language",
        "province_code",
        "region_code",
        "cadastral_code",
        "is_provincial_capital",
        "latitude",
        "longitude",
    ];
    pub const COMUNE_KEY_COLUMNS: &[&str] = &["name_key", "name_other_key"];

    fn point(p: Option<Point>) -> [Bind; 2] {
        [
            Bind::MaybeReal(p.map(|p| p.lat)),
            Bind::MaybeReal(p.map(|p| p.lon)),
        ]
    }

    pub fn point_of(lat: Option<f64>, lon: Option<f64>) -> Option<Point> {
        Some(Point {
            lat: lat?,
            lon: lon?,
        })
    }

    pub fn region_binds(r: &Region) -> Vec<Bind> {
        let mut b = vec![Bind::Text(r.code.clone()), Bind::Text(r.name.clone())];
        b.extend(point(r.centroid));
        b
    }

    pub fn province_binds(p: &Province) -> Vec<Bind> {
        let mut b = vec![
            Bind::Text(p.code.clone()),
            Bind::Text(p.historical_code.clone()),
            Bind::Text(p.name.clone()),
            Bind::Text(p.abbreviation.clone()),
            Bind::Text(p.region_code.clone()),
            Bind::Text(p.kind.clone()),
            Bind::Text(p.prefecture.name.clone()),
            Bind::Text(p.prefecture.province_code.clone()),
            Bind::MaybeText(p.prefecture.seat_comune_code.clone()),
            Bind::MaybeText(p.prefecture.note.clone()),
        ];
        b.extend(point(p.centroid));
        b
    }

    /// [`COMUNE_COLUMNS`] then [`COMUNE_KEY_COLUMNS`].
    pub fn comune_binds(c: &Comune) -> Vec<Bind> {
        let mut b = vec![
            Bind::Text(c.code.clone()),
            Bind::Text(c.name.clone()),
            Bind::MaybeText(c.name_other_language.clone()),
            Bind::Text(c.province_code.clone()),
            Bind::Text(c.region_code.clone()),
            Bind::Text(c.cadastral_code.clone()),
            Bind::Int(i64::from(c.is_provincial_capital)),
        ];
        b.extend(point(c.centroid));
        b.push(Bind::Text(fold_name(&c.name)));
        b.push(Bind::MaybeText(
            c.name_other_language.as_deref().map(fold_name),
        ));
        b
    }

    /// `INSERT INTO table (columns) VALUES (…), (…)` for `rows` rows.
    pub fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
        let n = columns.len();
        let values: Vec<String> = (0..rows)
            .map(|r| format!("({})", super::placeholders(r * n + 1, n)))
            .collect();
        format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            values.join(", ")
        )
    }

    /// Rows of `columns.len()` values per multi-row `INSERT` binding at most `max_binds`.
    pub fn rows_per_insert(columns: usize, max_binds: usize) -> usize {
        (max_binds / columns).max(1)
    }

    /// The `LIKE` pattern for names starting with `prefix`, folded as the keys are; `None`
    /// when nothing is left to match.
    pub fn prefix_pattern(prefix: &str) -> Option<String> {
        let folded = fold_name(prefix);
        (!folded.is_empty()).then(|| format!("{}%", super::like_escape(&folded)))
    }

    /// Latitude and longitude ranges, in degrees, both ends included.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct BoundingBox {
        pub latitudes: (f64, f64),
        /// `None` when the box spans every longitude.
        pub longitudes: Option<(f64, f64)>,
    }

    /// The box holding every point within `radius_km` of `centre` on the sphere
    /// [`Point::distance_km`] uses; it spans every longitude when the circle reaches a pole or
    /// the antimeridian. A hair wider than exact, so rounding never drops a point on the
    /// circle: callers measure each candidate anyway. `None` for a negative or non-finite
    /// radius or centre.
    pub fn bounding_box(centre: Point, radius_km: f64) -> Option<BoundingBox> {
        if !(radius_km >= 0.0
            && radius_km.is_finite()
            && centre.lat.is_finite()
            && centre.lon.is_finite())
        {
            return None;
        }
        const MARGIN: f64 = 1e-6;
        let angle = radius_km / Point::EARTH_RADIUS_KM;
        let lat = centre.lat.to_radians();
        let (south, north) = ((lat - angle).to_degrees(), (lat + angle).to_degrees());
        let latitudes = (south - MARGIN, north + MARGIN);
        if south <= -90.0 || north >= 90.0 {
            return Some(BoundingBox {
                latitudes,
                longitudes: None,
            });
        }
        // Widest longitude reached on the circle (it does not contain a pole, so the sine's
        // argument is below 1).
        let half_width = (angle.sin() / lat.cos()).asin().to_degrees();
        let (west, east) = (centre.lon - half_width, centre.lon + half_width);
        let longitudes =
            (west >= -180.0 && east <= 180.0).then_some((west - MARGIN, east + MARGIN));
        Some(BoundingBox {
            latitudes,
            longitudes,
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_box_holds_the_circle() {
            let centre = Point {
                lat: 42.35,
                lon: 13.4,
            };
            let BoundingBox {
                latitudes: (south, north),
                longitudes: lon,
            } = bounding_box(centre, 15.0).unwrap();
            let (west, east) = lon.unwrap();
            // Points on the circle at the box's edges are inside it, just.
            for bearing in 0..360 {
                let b = f64::from(bearing).to_radians();
                let angle = 15.0 / Point::EARTH_RADIUS_KM;
                let lat1 = centre.lat.to_radians();
                let lat2 = (lat1.sin() * angle.cos() + lat1.cos() * angle.sin() * b.cos()).asin();
                let lon2 = centre.lon.to_radians()
                    + (b.sin() * angle.sin() * lat1.cos())
                        .atan2(angle.cos() - lat1.sin() * lat2.sin());
                let p = Point {
                    lat: lat2.to_degrees(),
                    lon: lon2.to_degrees(),
                };
                assert!((centre.distance_km(&p) - 15.0).abs() < 1e-6);
                assert!(p.lat >= south && p.lat <= north, "{p:?}");
                assert!(p.lon >= west && p.lon <= east, "{p:?}");
            }
            assert!(
                north - south < 0.28 && east - west < 0.37,
                "and not much more"
            );
            assert_eq!(bounding_box(centre, -1.0), None);
            assert_eq!(bounding_box(centre, f64::NAN), None);
            for (lat, lon) in [(89.9, 0.0), (0.0, 179.9)] {
                let near_pole_or_antimeridian = bounding_box(Point { lat, lon }, 50.0).unwrap();
                assert_eq!(near_pole_or_antimeridian.longitudes, None);
            }
        }

        #[test]
        fn prefixes_fold_like_names_and_match_literally() {
            assert_eq!(prefix_pattern("  L’AQ ").as_deref(), Some("l'aq%"));
            assert_eq!(prefix_pattern("Forlì").as_deref(), Some("forli%"));
            assert_eq!(prefix_pattern("100%_").as_deref(), Some("100\\%\\_%"));
            assert_eq!(prefix_pattern("   "), None);
        }
    }
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The whole [`crocevia_store::Store`] implementation, written once for both backends.
macro_rules! sql_store {
    ($store:ident, $db:ty) => {
        use std::collections::BTreeMap;

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use crocevia_core::hsds::Record;
        use crocevia_core::hsds::validate::Existing;
        use crocevia_core::statistics::{Dataset, Observation, ObservationFilter};
        use crocevia_core::territory::{Comune, Point, Prefecture, Province, Region, Territories};
        use crocevia_store::{
            Account, ApiToken, Change, OidcLink, Session, ChangeSet, ComuneFilter, ListQuery, Operation, Page, Result, Store,
            AccountStore, DirectoryRead, DirectoryWrite, StatisticsStore, TerritoryStore,
            StoreError,
        };
        use sqlx::{AssertSqlSafe, Row as _};

        use crate::territory::{
            BoundingBox, COMUNE_COLUMNS, COMUNE_KEY_COLUMNS, PROVINCE_COLUMNS, REGION_COLUMNS, bounding_box,
            comune_binds, point_of, prefix_pattern, province_binds, region_binds,
        };
        use crate::{
            Bind, CHUNK, ListSql, Row, db_error, decode_record, parse_timestamp, placeholders,
            timestamp,
        };

        type Tx<'a> = sqlx::Transaction<'a, $db>;

        fn change_from_row(row: &<$db as sqlx::Database>::Row) -> Result<Change> {
            let op: String = row.try_get(3).map_err(db_error)?;
            let at: String = row.try_get(5).map_err(db_error)?;
            Ok(Change {
                seq: row.try_get(0).map_err(db_error)?,
                table: row.try_get(1).map_err(db_error)?,
                id: row.try_get(2).map_err(db_error)?,
                operation: Operation::parse(&op)
                    .ok_or_else(|| StoreError::Database(format!("unknown operation {op}")))?,
                actor: row.try_get(4).map_err(db_error)?,
                at: parse_timestamp(&at)?,
            })
        }

        fn bind_all<'q>(
            mut query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            binds: impl IntoIterator<Item = Bind>,
        ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
            for b in binds {
                query = match b {
                    Bind::Text(t) => query.bind(t),
                    Bind::Real(r) => query.bind(r),
                    Bind::Int(i) => query.bind(i),
                    Bind::MaybeText(t) => query.bind(t),
                    Bind::MaybeReal(r) => query.bind(r),
                };
            }
            query
        }

        fn record_of(row: &<$db as sqlx::Database>::Row) -> Result<Record> {
            let table: String = row.try_get("table_name").map_err(db_error)?;
            let id: String = row.try_get("id").map_err(db_error)?;
            let doc: String = row.try_get("doc").map_err(db_error)?;
            decode_record(table, id, &doc)
        }

        fn get<'r, T>(row: &'r <$db as sqlx::Database>::Row, column: &str) -> Result<T>
        where
            T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
        {
            row.try_get(column).map_err(db_error)
        }

        const ACCOUNT_COLUMNS: &str = "id, organization_id, email, display_name, role, password_hash, failed_logins, locked_until, created_at, language";

        fn account_of(row: &<$db as sqlx::Database>::Row) -> Result<Account> {
            let role: String = get(row, "role")?;
            let failed: i64 = get(row, "failed_logins")?;
            let locked: Option<String> = get(row, "locked_until")?;
            let created: String = get(row, "created_at")?;
            Ok(Account {
                id: get(row, "id")?,
                organization_id: get(row, "organization_id")?,
                email: get(row, "email")?,
                display_name: get(row, "display_name")?,
                role: crocevia_core::access::Role::parse(&role)
                    .ok_or_else(|| StoreError::Database(format!("unknown role '{role}' in database")))?,
                password_hash: get(row, "password_hash")?,
                failed_logins: u32::try_from(failed).unwrap_or(u32::MAX),
                locked_until: locked.as_deref().map(parse_timestamp).transpose()?,
                created_at: parse_timestamp(&created)?,
                language: get(row, "language")?,
            })
        }

        fn session_of(row: &<$db as sqlx::Database>::Row) -> Result<Session> {
            let created: String = get(row, "created_at")?;
            let expires: String = get(row, "expires_at")?;
            Ok(Session {
                token_hash: get(row, "token_hash")?,
                account_id: get(row, "account_id")?,
                csrf_token: get(row, "csrf_token")?,
                created_at: parse_timestamp(&created)?,
                expires_at: parse_timestamp(&expires)?,
            })
        }

        fn oidc_link_of(row: &<$db as sqlx::Database>::Row) -> Result<OidcLink> {
            let created: String = get(row, "created_at")?;
            Ok(OidcLink {
                issuer: get(row, "issuer")?,
                subject: get(row, "subject")?,
                account_id: get(row, "account_id")?,
                created_at: parse_timestamp(&created)?,
            })
        }

        fn centroid_of(row: &<$db as sqlx::Database>::Row) -> Result<Option<Point>> {
            Ok(point_of(get(row, "latitude")?, get(row, "longitude")?))
        }

        fn region_of(row: &<$db as sqlx::Database>::Row) -> Result<Region> {
            Ok(Region {
                code: get(row, "code")?,
                name: get(row, "name")?,
                centroid: centroid_of(row)?,
            })
        }

        fn province_of(row: &<$db as sqlx::Database>::Row) -> Result<Province> {
            Ok(Province {
                code: get(row, "code")?,
                historical_code: get(row, "historical_code")?,
                name: get(row, "name")?,
                abbreviation: get(row, "abbreviation")?,
                region_code: get(row, "region_code")?,
                kind: get(row, "kind")?,
                prefecture: Prefecture {
                    name: get(row, "prefecture_name")?,
                    province_code: get(row, "prefecture_province_code")?,
                    seat_comune_code: get(row, "prefecture_seat_comune_code")?,
                    note: get(row, "prefecture_note")?,
                },
                centroid: centroid_of(row)?,
            })
        }

        fn comune_of(row: &<$db as sqlx::Database>::Row) -> Result<Comune> {
            Ok(Comune {
                code: get(row, "code")?,
                name: get(row, "name")?,
                name_other_language: get(row, "name_other_language")?,
                province_code: get(row, "province_code")?,
                region_code: get(row, "region_code")?,
                cadastral_code: get(row, "cadastral_code")?,
                is_provincial_capital: get::<i32>(row, "is_provincial_capital")? != 0,
                centroid: centroid_of(row)?,
            })
        }

        /// One multi-row `INSERT` of `rows` followed by `then` (an `ON CONFLICT` or `RETURNING`
        /// clause, whose rows `parse` reads).
        async fn insert_statement<T>(
            tx: &mut Tx<'_>,
            table: &str,
            columns: &[&str],
            rows: Vec<Vec<Bind>>,
            then: &str,
            parse: &mut (impl FnMut(&<$db as sqlx::Database>::Row) -> Result<T> + Send),
        ) -> Result<Vec<T>> {
            let sql = crate::territory::insert_sql(table, columns, rows.len()) + then;
            bind_all(sqlx::query(AssertSqlSafe($store::parameters(sql))), rows.concat())
                // One-off texts: do not fill the connection's statement cache with them.
                .persistent(false)
                .fetch_all(&mut **tx)
                .await
                .map_err(db_error)?
                .iter()
                .map(parse)
                .collect()
        }

        /// Inserts `rows` (each one value per column) the backend's fastest way.
        async fn insert_rows(tx: &mut Tx<'_>, table: &str, columns: &[&str], rows: Vec<Vec<Bind>>) -> Result<()> {
            $store::bulk_insert(tx, table, columns, rows.into_iter(), "", |_| Ok(())).await.map(|_| ())
        }

        /// `DELETE FROM table WHERE table_name = … AND id IN (…)`, chunked.
        async fn delete_by_ids(tx: &mut Tx<'_>, sql_table: &str, table: &str, ids: &[String]) -> Result<()> {
            for chunk in ids.chunks(CHUNK) {
                let sql = format!(
                    "DELETE FROM {sql_table} WHERE table_name = $1 AND id IN ({})",
                    placeholders(2, chunk.len())
                );
                let mut query = sqlx::query(AssertSqlSafe($store::parameters(sql))).bind(table).persistent(false);
                for id in chunk {
                    query = query.bind(id);
                }
                query.execute(&mut **tx).await.map_err(db_error)?;
            }
            Ok(())
        }

        /// Writes records with multi-row statements: the rows, then their references (old ones
        /// replaced). One statement per few hundred rows instead of four per row.
        async fn upsert_all(tx: &mut Tx<'_>, records: &[&Record], at: &str) -> Result<()> {
            const COLUMNS: &[&str] = &["table_name", "id", "doc", "search_text", "postal_code", "latitude", "longitude", "modified_at"];
            const ON_CONFLICT: &str = " ON CONFLICT (table_name, id) DO UPDATE SET doc = excluded.doc, \
                search_text = excluded.search_text, postal_code = excluded.postal_code, \
                latitude = excluded.latitude, longitude = excluded.longitude, modified_at = excluded.modified_at";
            let rows = records.iter().map(|record| {
                let row = Row::of(record);
                vec![
                    Bind::Text(record.table.clone()),
                    Bind::Text(record.id.clone()),
                    Bind::Text(row.doc),
                    Bind::Text(row.search_text),
                    Bind::MaybeText(row.postal_code),
                    Bind::MaybeReal(row.latitude),
                    Bind::MaybeReal(row.longitude),
                    Bind::Text(at.to_owned()),
                ]
            });
            $store::bulk_insert(tx, "hsds_record", COLUMNS, rows, ON_CONFLICT, |_| Ok(())).await?;
            let mut by_table: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for record in records {
                by_table.entry(record.table.as_str()).or_default().push(record.id.clone());
            }
            for (table, ids) in &by_table {
                delete_by_ids(tx, "hsds_ref", table, ids).await?;
            }
            // Collected first: a lazy iterator of borrowed references is not `Send` across
            // the writes' awaits.
            let refs: Vec<Vec<Bind>> = records
                .iter()
                .flat_map(|record| {
                    record.references().into_iter().map(|(field, target, target_table)| {
                        vec![
                            Bind::Text(record.table.clone()),
                            Bind::Text(record.id.clone()),
                            Bind::Text(field.to_owned()),
                            Bind::MaybeText(target_table.map(str::to_owned)),
                            Bind::Text(target.to_owned()),
                        ]
                    })
                })
                .collect();
            insert_rows(tx, "hsds_ref", &["table_name", "id", "field", "target_table", "target_id"], refs).await
        }

        /// Appends one change-log entry per row, returning them with their sequence numbers.
        async fn log_changes(
            tx: &mut Tx<'_>,
            rows: &[(String, String, Operation)],
            actor: &str,
            at: DateTime<Utc>,
        ) -> Result<Vec<Change>> {
            const COLUMNS: &[&str] = &["table_name", "record_id", "operation", "actor", "at"];
            let at_text = timestamp(at);
            let values = rows.iter().map(|(table, id, op)| {
                vec![
                    Bind::Text(table.clone()),
                    Bind::Text(id.clone()),
                    Bind::Text(op.as_str().to_owned()),
                    Bind::Text(actor.to_owned()),
                    Bind::Text(at_text.clone()),
                ]
            });
            let mut log = $store::bulk_insert(
                tx, "change_log", COLUMNS, values, " RETURNING seq, table_name, record_id, operation",
                |row| {
                    let op: String = row.try_get(3).map_err(db_error)?;
                    Ok(Change {
                        seq: row.try_get(0).map_err(db_error)?,
                        table: row.try_get(1).map_err(db_error)?,
                        id: row.try_get(2).map_err(db_error)?,
                        operation: Operation::parse(&op).ok_or_else(|| StoreError::Database(format!("unknown operation {op}")))?,
                        at,
                        actor: actor.to_owned(),
                    })
                },
            ).await?;
            log.sort_by_key(|c| c.seq);
            Ok(log)
        }

        /// Which rows a reference check covers: the references of written rows (their table is
        /// known, so the primary key serves the lookup) or those pointing at deleted rows.
        enum RefSide<'a> {
            Of(&'a str),
            PointingAt,
        }

        /// The first reference on `side` of `ids` whose target does not exist.
        async fn dangling(
            tx: &mut Tx<'_>,
            side: RefSide<'_>,
            ids: &[String],
        ) -> Result<Option<(String, String, String, String)>> {
            for chunk in ids.chunks(CHUNK) {
                let (filter, first) = match side {
                    RefSide::Of(_) => ("f.table_name = $1 AND f.id", 2),
                    RefSide::PointingAt => ("f.target_id", 1),
                };
                // No ORDER BY … LIMIT 1: PostgreSQL would then walk the primary key in order
                // through every row of the table, filtering ids, hoping for an early match
                // (66 ms a chunk at 100,000 attributes). There are normally none; the first
                // is picked here.
                let sql = format!(
                    "SELECT f.table_name, f.id, f.field, f.target_id FROM hsds_ref f
                     WHERE {filter} IN ({}) AND NOT EXISTS (SELECT 1 FROM hsds_record t
                       WHERE t.id = f.target_id AND (f.target_table IS NULL OR t.table_name = f.target_table))",
                    placeholders(first, chunk.len())
                );
                let mut query = sqlx::query(AssertSqlSafe($store::parameters(sql))).persistent(false);
                if let RefSide::Of(table) = side {
                    query = query.bind(table);
                }
                for id in chunk {
                    query = query.bind(id);
                }
                let mut found = Vec::new();
                for row in query.fetch_all(&mut **tx).await.map_err(db_error)? {
                    found.push((
                        row.try_get(0).map_err(db_error)?,
                        row.try_get(1).map_err(db_error)?,
                        row.try_get(2).map_err(db_error)?,
                        row.try_get(3).map_err(db_error)?,
                    ));
                }
                if let Some(first) = found.into_iter().min() {
                    return Ok(Some(first));
                }
            }
            Ok(None)
        }

        /// Every [`ANCHOR_EVERY`](crate::pages::ANCHOR_EVERY)-th id of a list, in id order:
        /// every id is read and most dropped here, since a window function numbering the rows
        /// costs the database 5-15 times this scan.
        async fn read_anchors(pool: &sqlx::Pool<$db>, where_sql: &str, binds: Vec<Bind>) -> Result<Vec<String>> {
            let sql = format!("SELECT r.id FROM hsds_record r WHERE {where_sql} ORDER BY r.id");
            let query = bind_all(sqlx::query(AssertSqlSafe(sql)), binds);
            let mut rows = query.fetch(pool);
            let mut ids = Vec::new();
            let mut place = 0;
            while let Some(row) = futures::TryStreamExt::try_next(&mut rows).await.map_err(db_error)? {
                if place % crate::pages::ANCHOR_EVERY == 0 {
                    ids.push(row.try_get(0).map_err(db_error)?);
                }
                place += 1;
            }
            Ok(ids)
        }

        /// The rows `prefix` selects whose `column` is one of `ids`, each once, in
        /// (table, id) order.
        async fn records_where_in(
            pool: &sqlx::Pool<$db>,
            prefix: &str,
            first_binds: &[Bind],
            column: &str,
            ids: &[String],
        ) -> Result<Vec<Record>> {
            let mut out = Vec::new();
            for chunk in ids.chunks(CHUNK) {
                // No DISTINCT or ORDER BY: the database would sort whole documents through a
                // temporary B-tree; ids sort and repeat cheaper here.
                let sql = format!(
                    "{prefix} AND {column} IN ({})",
                    placeholders(first_binds.len() + 1, chunk.len())
                );
                let mut query = bind_all(sqlx::query(AssertSqlSafe($store::parameters(sql))), first_binds.to_vec());
                for id in chunk {
                    query = query.bind(id.clone());
                }
                for row in query.fetch_all(pool).await.map_err(db_error)? {
                    out.push(record_of(&row)?);
                }
            }
            out.sort_unstable_by(|a, b| (&a.table, &a.id).cmp(&(&b.table, &b.id)));
            out.dedup_by(|a, b| a.table == b.table && a.id == b.id);
            Ok(out)
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                Self::BACKEND
            }

            async fn close(&self) {
                self.read.close().await;
                self.write.close().await;
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1")
                    .execute(&self.read)
                    .await
                    .map(|_| ())
                    .map_err(db_error)
            }
        }

        #[async_trait]
        impl DirectoryRead for $store {
            async fn existing(&self, ids: &[String]) -> Result<Existing> {
                let mut found = Existing::new();
                for chunk in ids.chunks(CHUNK) {
                    let sql = format!(
                        "SELECT table_name, id FROM hsds_record WHERE id IN ({})",
                        placeholders(1, chunk.len())
                    );
                    let mut query = sqlx::query(AssertSqlSafe($store::parameters(sql)));
                    for id in chunk {
                        query = query.bind(id);
                    }
                    for row in query.fetch_all(&self.read).await.map_err(db_error)? {
                        let table: String = row.try_get(0).map_err(db_error)?;
                        let id: String = row.try_get(1).map_err(db_error)?;
                        found.entry(id).or_default().push(table);
                    }
                }
                Ok(found)
            }

            async fn get(&self, table: &str, id: &str) -> Result<Option<Record>> {
                let row = sqlx::query("SELECT table_name, id, doc FROM hsds_record WHERE table_name = $1 AND id = $2")
                    .bind(table)
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await
                    .map_err(db_error)?;
                row.as_ref().map(record_of).transpose()
            }

            async fn get_many(&self, table: Option<&str>, ids: &[String]) -> Result<Vec<Record>> {
                match table {
                    Some(t) => {
                        records_where_in(
                            &self.read,
                            "SELECT r.table_name, r.id, r.doc FROM hsds_record r WHERE r.table_name = $1",
                            &[Bind::Text(t.to_owned())],
                            "r.id",
                            ids,
                        )
                        .await
                    }
                    None => {
                        records_where_in(
                            &self.read,
                            "SELECT r.table_name, r.id, r.doc FROM hsds_record r WHERE 1 = 1",
                            &[],
                            "r.id",
                            ids,
                        )
                        .await
                    }
                }
            }

            async fn pointing_at(&self, ids: &[String], via: &[(&str, &str)]) -> Result<Vec<Record>> {
                if via.is_empty() {
                    return Ok(Vec::new());
                }
                let binds: Vec<Bind> = via
                    .iter()
                    .map(|(t, f)| Bind::Text(format!("{t}.{f}")))
                    .collect();
                let prefix = format!(
                    "SELECT r.table_name, r.id, r.doc FROM hsds_ref f JOIN hsds_record r ON r.table_name = f.table_name AND r.id = f.id
                     WHERE f.table_name || '.' || f.field IN ({})",
                    placeholders(1, binds.len())
                );
                records_where_in(&self.read, &prefix, &binds, "f.target_id", ids).await
            }

            async fn list(&self, query: &ListQuery) -> Result<Page<Record>> {
                let sql = ListSql::build(query);
                let per_page = query.per_page.max(1) as i64;
                let offset = (query.page.max(1) as i64 - 1) * per_page;
                // The position first: a write committing after it leaves the figures below
                // marked older than they are, so they are read again, never served stale.
                let position = DirectoryWrite::last_change(self).await?;
                let key = format!("{} ORDER BY {} {:?}", sql.where_sql, sql.order_sql, sql.binds);
                let known = self.pages.get(&key, position);
                let total = match &known {
                    Some(known) => known.total,
                    None => {
                        let count_sql = format!("SELECT COUNT(*) FROM hsds_record r WHERE {}", sql.where_sql);
                        let total: i64 = bind_all(sqlx::query(AssertSqlSafe(count_sql)), sql.binds.clone())
                            .fetch_one(&self.read)
                            .await
                            .map_err(db_error)?
                            .try_get(0)
                            .map_err(db_error)?;
                        total as u64
                    }
                };
                let mut anchors = known.map_or(crate::pages::Anchors::NotAsked, |known| known.anchors);
                let mut binds = sql.binds.clone();
                let mut where_sql = sql.where_sql.clone();
                let mut skip = offset;
                if sql.order_sql == "r.id" && offset as u64 >= crate::pages::ANCHOR_EVERY && (offset as u64) < total {
                    match &anchors {
                        crate::pages::Anchors::Read(ids) => {
                            let (place, rest) = crate::pages::from_anchor(offset as u64);
                            if let Some(anchor) = ids.get(place) {
                                binds.push(Bind::Text(anchor.clone()));
                                where_sql.push_str(&format!(" AND r.id >= ${}", binds.len()));
                                skip = rest as i64;
                            }
                        }
                        crate::pages::Anchors::Reading => {}
                        // One read at a time: deep pages of many different filters must not
                        // start as many scans of the directory.
                        crate::pages::Anchors::NotAsked if self.pages.start_reading() => {
                            anchors = crate::pages::Anchors::Reading;
                            let (pool, pages, key) = (self.read.clone(), self.pages.clone(), key.clone());
                            let (where_sql, binds) = (sql.where_sql.clone(), sql.binds.clone());
                            tokio::spawn(async move {
                                match read_anchors(&pool, &where_sql, binds).await {
                                    Ok(ids) => pages.anchors_read(&key, position, ids),
                                    Err(e) => tracing::warn!(error = %e, "could not read the anchors of deep pages; they stay read by offset"),
                                }
                                pages.done_reading();
                            });
                        }
                        crate::pages::Anchors::NotAsked => {}
                    }
                }
                self.pages.put(&key, position, total, anchors);
                let n = binds.len();
                let page_sql = format!(
                    "SELECT r.table_name, r.id, r.doc FROM hsds_record r WHERE {} ORDER BY {} LIMIT ${} OFFSET ${}",
                    where_sql,
                    sql.order_sql,
                    n + 1,
                    n + 2
                );
                binds.push(Bind::Int(per_page));
                binds.push(Bind::Int(skip));
                let rows = bind_all(sqlx::query(AssertSqlSafe(page_sql)), binds)
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?;
                Ok(Page {
                    items: rows.iter().map(record_of).collect::<Result<_>>()?,
                    total_items: total,
                })
            }

            async fn table_counts(&self) -> Result<Vec<(String, i64)>> {
                let rows = sqlx::query("SELECT table_name, COUNT(*) FROM hsds_record GROUP BY table_name ORDER BY table_name")
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?;
                rows.iter()
                    .map(|r| Ok((r.try_get(0).map_err(db_error)?, r.try_get(1).map_err(db_error)?)))
                    .collect()
            }

            async fn all_records(&self) -> Result<Vec<Record>> {
                let rows = sqlx::query("SELECT table_name, id, doc FROM hsds_record ORDER BY table_name, id")
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?;
                rows.iter().map(record_of).collect()
            }

            async fn ids_of(&self, table: &str) -> Result<Vec<String>> {
                let rows = sqlx::query("SELECT id FROM hsds_record WHERE table_name = $1 ORDER BY id")
                    .bind(table)
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?;
                rows.iter().map(|r| r.try_get(0).map_err(db_error)).collect()
            }

            async fn records_after(&self, table: &str, after: &str, limit: u32) -> Result<Vec<Record>> {
                let rows = sqlx::query(
                    "SELECT table_name, id, doc FROM hsds_record WHERE table_name = $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(table)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await
                .map_err(db_error)?;
                rows.iter().map(record_of).collect()
            }

            async fn modified_at(&self, table: &str, ids: &[String]) -> Result<Vec<(String, DateTime<Utc>)>> {
                let mut out = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    let sql = format!(
                        "SELECT id, modified_at FROM hsds_record WHERE table_name = $1 AND id IN ({})",
                        placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query(AssertSqlSafe($store::parameters(sql))).bind(table);
                    for id in chunk {
                        query = query.bind(id);
                    }
                    for row in query.fetch_all(&self.read).await.map_err(db_error)? {
                        let id: String = row.try_get(0).map_err(db_error)?;
                        let at: String = row.try_get(1).map_err(db_error)?;
                        out.push((id, parse_timestamp(&at)?));
                    }
                }
                Ok(out)
            }
        }

        #[async_trait]
        impl DirectoryWrite for $store {
            async fn apply(&self, changes: ChangeSet) -> Result<Vec<Change>> {
                let mut tx = self.write.begin().await.map_err(db_error)?;
                if let Some(lock) = $store::WRITE_LOCK {
                    sqlx::query(lock).execute(&mut *tx).await.map_err(db_error)?;
                }
                // The last write of a row wins, as if the rows were written one by one.
                let mut latest: BTreeMap<(&str, &str), &Record> = BTreeMap::new();
                for record in &changes.upserts {
                    latest.insert((record.table.as_str(), record.id.as_str()), record);
                }
                let upserts: Vec<&Record> = latest.into_values().collect();
                upsert_all(&mut tx, &upserts, &timestamp(changes.at)).await?;
                let mut deleted_by_table: BTreeMap<&str, Vec<String>> = BTreeMap::new();
                for (table, id) in &changes.deletes {
                    deleted_by_table.entry(table.as_str()).or_default().push(id.clone());
                }
                for (table, ids) in &deleted_by_table {
                    delete_by_ids(&mut tx, "hsds_ref", table, ids).await?;
                    delete_by_ids(&mut tx, "hsds_record", table, ids).await?;
                }
                if let Some(analyze) = $store::ANALYZE_AFTER_BULK
                    && upserts.len() + changes.deletes.len() >= $crate::BULK_ROWS
                {
                    // Within the transaction, so the reference checks below are planned
                    // knowing the rows just written (ANALYZE counts its own transaction's).
                    sqlx::query(analyze).execute(&mut *tx).await.map_err(db_error)?;
                }
                let logged: Vec<(String, String, Operation)> = upserts
                    .iter()
                    .map(|r| (r.table.clone(), r.id.clone(), Operation::Upsert))
                    .chain(changes.deletes.iter().map(|(t, id)| (t.clone(), id.clone(), Operation::Delete)))
                    .collect();
                let log = log_changes(&mut tx, &logged, &changes.actor, changes.at).await?;
                // Only references leaving the batch can dangle: a target written here exists.
                let written: std::collections::HashSet<(&str, &str)> =
                    upserts.iter().map(|r| (r.table.as_str(), r.id.as_str())).collect();
                let written_ids: std::collections::HashSet<&str> = upserts.iter().map(|r| r.id.as_str()).collect();
                let mut written_by_table: BTreeMap<&str, Vec<String>> = BTreeMap::new();
                for record in &upserts {
                    let leaves = record.references().into_iter().any(|(_, target, table)| match table {
                        Some(table) => !written.contains(&(table, target)),
                        None => !written_ids.contains(target),
                    });
                    if leaves || !changes.deletes.is_empty() {
                        written_by_table.entry(record.table.as_str()).or_default().push(record.id.clone());
                    }
                }
                for (table, ids) in &written_by_table {
                    if let Some((table, id, field, target)) = dangling(&mut tx, RefSide::Of(table), ids).await? {
                        return Err(StoreError::DanglingReference { table, id, field, target });
                    }
                }
                let deleted: Vec<String> = changes.deletes.iter().map(|(_, id)| id.clone()).collect();
                if let Some((referrer_table, referrer_id, _, target)) =
                    dangling(&mut tx, RefSide::PointingAt, &deleted).await?
                {
                    let table = changes
                        .deletes
                        .iter()
                        .find(|(_, id)| *id == target)
                        .map(|(t, _)| t.clone())
                        .unwrap_or_default();
                    return Err(StoreError::StillReferenced { table, id: target, referrer_table, referrer_id });
                }
                tx.commit().await.map_err(db_error)?;
                Ok(log)
            }

            async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<Change>> {
                let rows = sqlx::query(
                    "SELECT seq, table_name, record_id, operation, actor, at FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(seq)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await
                .map_err(db_error)?;
                rows.iter().map(change_from_row).collect()
            }

            async fn last_change(&self) -> Result<i64> {
                let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM change_log")
                    .fetch_one(&self.read)
                    .await
                    .map_err(db_error)?;
                Ok(last.unwrap_or(0))
            }

            async fn changes_before(&self, before: Option<i64>, limit: u32) -> Result<Vec<Change>> {
                let rows = sqlx::query(
                    "SELECT seq, table_name, record_id, operation, actor, at FROM change_log WHERE seq < $1 \
                     AND table_name NOT LIKE 'desk%' ORDER BY seq DESC LIMIT $2",
                )
                .bind(before.unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await
                .map_err(db_error)?;
                rows.iter().map(change_from_row).collect()
            }
        }

        #[async_trait]
        impl AccountStore for $store {
            async fn insert_token(&self, token: &ApiToken) -> Result<()> {
                sqlx::query("INSERT INTO api_token (token_hash, organization_id, label, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&token.token_hash)
                    .bind(&token.organization_id)
                    .bind(&token.label)
                    .bind(timestamp(token.created_at))
                    .execute(&self.write)
                    .await
                    .map(|_| ())
                    .map_err(db_error)
            }

            async fn token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
                let row = sqlx::query("SELECT token_hash, organization_id, label, created_at FROM api_token WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.read)
                    .await
                    .map_err(db_error)?;
                row.map(|row| {
                    let created: String = row.try_get(3).map_err(db_error)?;
                    Ok(ApiToken {
                        token_hash: row.try_get(0).map_err(db_error)?,
                        organization_id: row.try_get(1).map_err(db_error)?,
                        label: row.try_get(2).map_err(db_error)?,
                        created_at: parse_timestamp(&created)?,
                    })
                })
                .transpose()
            }

            async fn insert_account(&self, account: &Account) -> Result<()> {
                sqlx::query(AssertSqlSafe(format!("INSERT INTO account ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")))
                    .bind(&account.id)
                    .bind(&account.organization_id)
                    .bind(&account.email)
                    .bind(&account.display_name)
                    .bind(account.role.as_str())
                    .bind(&account.password_hash)
                    .bind(i64::from(account.failed_logins))
                    .bind(account.locked_until.map(timestamp))
                    .bind(timestamp(account.created_at))
                    .bind(&account.language)
                    .execute(&self.write)
                    .await
                    .map(|_| ())
                    .map_err(|e| match e.as_database_error() {
                        Some(d) if d.is_unique_violation() => {
                            StoreError::AlreadyExists(format!("an account with e-mail {}", account.email))
                        }
                        _ => db_error(e),
                    })
            }

            async fn account(&self, id: &str) -> Result<Option<Account>> {
                sqlx::query(AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await
                    .map_err(db_error)?
                    .map(|row| account_of(&row))
                    .transpose()
            }

            async fn account_by_email(&self, email: &str) -> Result<Option<Account>> {
                sqlx::query(AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE email = $1")))
                    .bind(email)
                    .fetch_optional(&self.read)
                    .await
                    .map_err(db_error)?
                    .map(|row| account_of(&row))
                    .transpose()
            }

            async fn accounts_of(&self, organization_id: &str) -> Result<Vec<Account>> {
                sqlx::query(AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE organization_id = $1 ORDER BY display_name, email")))
                    .bind(organization_id)
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?
                    .iter()
                    .map(account_of)
                    .collect()
            }

            async fn record_failed_login(&self, account_id: &str, max_failures: u32, lock_until: DateTime<Utc>) -> Result<()> {
                // Every right-hand side sees the row as it was, so both CASEs agree.
                sqlx::query(
                    "UPDATE account SET \
                     locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END, \
                     failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END \
                     WHERE id = $1",
                )
                .bind(account_id)
                .bind(i64::from(max_failures))
                .bind(timestamp(lock_until))
                .execute(&self.write)
                .await
                .map(|_| ())
                .map_err(db_error)
            }

            async fn set_account_language(&self, account_id: &str, language: &str) -> Result<()> {
                sqlx::query("UPDATE account SET language = $2 WHERE id = $1")
                    .bind(account_id)
                    .bind(language)
                    .execute(&self.write)
                    .await
                    .map(|_| ())
                    .map_err(db_error)
            }

            async fn record_successful_login(&self, account_id: &str) -> Result<()> {
                sqlx::query("UPDATE account SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                    .bind(account_id)
                    .execute(&self.write)
                    .await
                    .map(|_| ())
                    .map_err(db_error)
            }

            async fn set_password_hash(&self, account_id: &str, password_hash: &str) -> Result<bool> {
                let mut tx = self.write.begin().await.map_err(db_error)?;
                let updated = sqlx::query("UPDATE account SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1")
                    .bind(account_id)
                    .bind(password_hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?
                    .rows_affected();
                sqlx::query("DELETE FROM session WHERE account_id = $1")
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
                Ok(updated > 0)
            }

            async fn insert_session(&self, session: &Session) -> Result<()> {
                sqlx::query("INSERT INTO session (token_hash, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&session.token_hash)
                    .bind(&session.account_id)
                    .bind(&session.csrf_token)
                    .bind(timestamp(session.created_at))
                    .bind(timestamp(session.expires_at))
                    .execute(&self.write)
                    .await
                    .map(|_| ())
                    .map_err(db_error)
            }

            async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
                sqlx::query("SELECT token_hash, account_id, csrf_token, created_at, expires_at FROM session WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.read)
                    .await
                    .map_err(db_error)?
                    .map(|row| session_of(&row))
                    .transpose()
            }

            async fn delete_session(&self, token_hash: &str) -> Result<()> {
                sqlx::query("DELETE FROM session WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.write)
                    .await
                    .map(|_| ())
                    .map_err(db_error)
            }

            async fn insert_oidc_link(&self, link: &OidcLink) -> Result<()> {
                sqlx::query("INSERT INTO oidc_link (issuer, subject, account_id, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&link.issuer)
                    .bind(&link.subject)
                    .bind(&link.account_id)
                    .bind(timestamp(link.created_at))
                    .execute(&self.write)
                    .await
                    .map(|_| ())
                    .map_err(|e| match e.as_database_error() {
                        Some(d) if d.is_unique_violation() => StoreError::AlreadyExists(format!(
                            "a link for subject {} of {}",
                            link.subject, link.issuer
                        )),
                        _ => db_error(e),
                    })
            }

            async fn oidc_link(&self, issuer: &str, subject: &str) -> Result<Option<OidcLink>> {
                sqlx::query("SELECT issuer, subject, account_id, created_at FROM oidc_link WHERE issuer = $1 AND subject = $2")
                    .bind(issuer)
                    .bind(subject)
                    .fetch_optional(&self.read)
                    .await
                    .map_err(db_error)?
                    .map(|row| oidc_link_of(&row))
                    .transpose()
            }

            async fn oidc_links_of(&self, account_id: &str) -> Result<Vec<OidcLink>> {
                sqlx::query("SELECT issuer, subject, account_id, created_at FROM oidc_link WHERE account_id = $1 ORDER BY created_at, issuer, subject")
                    .bind(account_id)
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?
                    .iter()
                    .map(oidc_link_of)
                    .collect()
            }
        }

        #[async_trait]
        impl TerritoryStore for $store {
            async fn territory_counts(&self) -> Result<(i64, i64, i64)> {
                let row = sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM territory_region), (SELECT COUNT(*) FROM territory_province), (SELECT COUNT(*) FROM territory_comune)",
                )
                .fetch_one(&self.read)
                .await
                .map_err(db_error)?;
                Ok((
                    row.try_get(0).map_err(db_error)?,
                    row.try_get(1).map_err(db_error)?,
                    row.try_get(2).map_err(db_error)?,
                ))
            }

            async fn replace_territories(&self, territories: &Territories) -> Result<()> {
                let mut tx = self.write.begin().await.map_err(db_error)?;
                for table in ["territory_comune", "territory_province", "territory_region"] {
                    sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                }
                let regions = territories.regions.iter().map(region_binds).collect();
                insert_rows(&mut tx, "territory_region", REGION_COLUMNS, regions).await?;
                let provinces = territories.provinces.iter().map(province_binds).collect();
                insert_rows(&mut tx, "territory_province", PROVINCE_COLUMNS, provinces).await?;
                let comuni = territories.comuni.iter().map(comune_binds).collect();
                let columns = [COMUNE_COLUMNS, COMUNE_KEY_COLUMNS].concat();
                insert_rows(&mut tx, "territory_comune", &columns, comuni).await?;
                tx.commit().await.map_err(db_error)
            }

            async fn comune(&self, code: &str) -> Result<Option<Comune>> {
                let sql = format!("SELECT {} FROM territory_comune WHERE code = $1", COMUNE_COLUMNS.join(", "));
                let row = sqlx::query(AssertSqlSafe(sql))
                    .bind(code)
                    .fetch_optional(&self.read)
                    .await
                    .map_err(db_error)?;
                row.as_ref().map(comune_of).transpose()
            }

            async fn provinces(&self) -> Result<Vec<Province>> {
                let sql = format!("SELECT {} FROM territory_province ORDER BY code", PROVINCE_COLUMNS.join(", "));
                let rows = sqlx::query(AssertSqlSafe(sql))
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?;
                rows.iter().map(province_of).collect()
            }

            async fn regions(&self) -> Result<Vec<Region>> {
                let sql = format!("SELECT {} FROM territory_region ORDER BY code", REGION_COLUMNS.join(", "));
                let rows = sqlx::query(AssertSqlSafe(sql))
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?;
                rows.iter().map(region_of).collect()
            }

            async fn comuni(&self, filter: &ComuneFilter) -> Result<Vec<Comune>> {
                let mut clauses = vec![String::from("1 = 1")];
                let mut binds = Vec::new();
                if let Some(province) = &filter.province_code {
                    binds.push(Bind::Text(province.clone()));
                    clauses.push(format!("province_code = ${}", binds.len()));
                }
                if let Some(pattern) = filter.name_prefix.as_deref().and_then(prefix_pattern) {
                    binds.push(Bind::Text(pattern));
                    let n = binds.len();
                    clauses.push(format!("(name_key LIKE ${n} ESCAPE '\\' OR name_other_key LIKE ${n} ESCAPE '\\')"));
                }
                binds.push(Bind::Int(i64::from(filter.limit)));
                let sql = format!(
                    "SELECT {} FROM territory_comune WHERE {} ORDER BY name_key, code LIMIT ${}",
                    COMUNE_COLUMNS.join(", "),
                    clauses.join(" AND "),
                    binds.len()
                );
                let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), binds)
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?;
                rows.iter().map(comune_of).collect()
            }

            async fn comuni_near(&self, point: Point, radius_km: f64, limit: u32) -> Result<Vec<(Comune, f64)>> {
                let Some(BoundingBox { latitudes: (south, north), longitudes }) = bounding_box(point, radius_km) else {
                    return Ok(Vec::new());
                };
                let mut sql = format!(
                    "SELECT {} FROM territory_comune WHERE latitude BETWEEN $1 AND $2",
                    COMUNE_COLUMNS.join(", ")
                );
                let mut binds = vec![Bind::Real(south), Bind::Real(north)];
                if let Some((west, east)) = longitudes {
                    sql.push_str(" AND longitude BETWEEN $3 AND $4");
                    binds.extend([Bind::Real(west), Bind::Real(east)]);
                }
                let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), binds)
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?;
                let mut near = Vec::new();
                for row in &rows {
                    let comune = comune_of(row)?;
                    let Some(centroid) = comune.centroid else { continue };
                    let distance = point.distance_km(&centroid);
                    if distance <= radius_km {
                        near.push((comune, distance));
                    }
                }
                near.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.code.cmp(&b.0.code)));
                near.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                Ok(near)
            }
        }

        #[async_trait]
        impl StatisticsStore for $store {
            async fn statistics_datasets(&self) -> Result<Vec<(String, i64)>> {
                let rows = sqlx::query("SELECT id, observations FROM stat_dataset ORDER BY id")
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?;
                rows.iter()
                    .map(|row| Ok((get(row, "id")?, get(row, "observations")?)))
                    .collect()
            }

            async fn replace_dataset(&self, dataset: &Dataset) -> Result<()> {
                let id = dataset.info.id;
                let mut tx = self.write.begin().await.map_err(db_error)?;
                sqlx::query("DELETE FROM stat_observation WHERE dataset_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                sqlx::query("DELETE FROM stat_dataset WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                sqlx::query("INSERT INTO stat_dataset (id, observations) VALUES ($1, $2)")
                    .bind(id)
                    .bind(dataset.observations.len() as i64)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                let rows = dataset.observations.iter().map(|o| crate::statistics::binds(id, o)).collect();
                insert_rows(&mut tx, "stat_observation", crate::statistics::COLUMNS, rows).await?;
                tx.commit().await.map_err(db_error)
            }

            async fn observations(&self, dataset_id: &str, filter: &ObservationFilter) -> Result<Vec<Observation>> {
                let (clauses, binds) = crate::statistics::filter_sql(dataset_id, filter);
                let sql = format!(
                    "SELECT {} FROM stat_observation WHERE {} ORDER BY territory_level, territory_code, period, sex, citizenship, permit_type, measure",
                    crate::statistics::COLUMNS[1..].join(", "),
                    clauses.join(" AND "),
                );
                let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), binds)
                    .fetch_all(&self.read)
                    .await
                    .map_err(db_error)?;
                rows.iter()
                    .map(|row| {
                        crate::statistics::observation(
                            [
                                get::<String>(row, "territory_level")?,
                                get(row, "territory_code")?,
                                get(row, "period")?,
                                get(row, "sex")?,
                                get(row, "citizenship")?,
                                get(row, "permit_type")?,
                                get(row, "measure")?,
                            ],
                            get(row, "value")?,
                        )
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use desk::sql_desk_store;
pub(crate) use search_demand::sql_search_demand_store;
pub(crate) use sql_store;
pub(crate) use survey::sql_survey_store;

/// Helpers for the test suites of this and other crates (a fresh PostgreSQL schema per test).
#[cfg(feature = "testing")]
pub mod test_support {
    use sqlx::Connection;

    /// The audit key of test stores: fixed, so a test can check the chain it wrote.
    pub fn audit_seal() -> crate::AuditSeal {
        crate::AuditSeal::keyed(
            crocevia_core::desk::audit::AuditKey::from_bytes([0x5a; 32]),
            1,
        )
    }

    /// Creates a new, empty schema on the server at `base_url` and returns a URL whose
    /// connections use it, so tests sharing one server never see each other's rows.
    pub async fn fresh_postgres_schema(
        base_url: &str,
    ) -> Result<String, crocevia_store::StoreError> {
        let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(base_url)
            .await
            .map_err(crate::db_error)?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await
            .map_err(crate::db_error)?;
        let separator = if base_url.contains('?') { '&' } else { '?' };
        Ok(format!(
            "{base_url}{separator}options=-csearch_path%3D{schema}"
        ))
    }
}

#[cfg(test)]
mod parameter_tests {
    use super::anonymous_parameters;

    #[test]
    fn numbered_parameters_in_order_become_anonymous_and_others_stay() {
        let bulk = "DELETE FROM t WHERE table_name = $1 AND id IN ($2, $3, $4)".to_owned();
        assert_eq!(
            anonymous_parameters(bulk),
            "DELETE FROM t WHERE table_name = ? AND id IN (?, ?, ?)"
        );
        for kept in [
            "SELECT 1 WHERE a = $1 OR b = $1",
            "SELECT 1 WHERE a = $2 AND b = $1",
            "SELECT 1 WHERE a = $1 AND b = $3",
        ] {
            assert_eq!(anonymous_parameters(kept.to_owned()), kept);
        }
        assert_eq!(
            anonymous_parameters("SELECT '$9' WHERE a = $1".to_owned()),
            "SELECT '$9' WHERE a = ?"
        );
    }
}
