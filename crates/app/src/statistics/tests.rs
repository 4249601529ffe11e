//! The statistics' use cases on a real SQLite store, no HTTP: official views resolved and laid
//! out from the shipped datasets, bad parameters named, indicators over desk records with
//! small counts hidden.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use crocevia_core::clock::FixedClock;
use crocevia_core::desk::{ConsentRecord, Contact, ContactFacts, Need, Purpose, Sex};
use crocevia_core::stat_table::{StatTable, TableValue};
use crocevia_core::statistics::TerritoryLevel;
use crocevia_core::taxonomy::TermCode;
use crocevia_observatory::{ObservatoryService, Settings};
use crocevia_store::Store;
use crocevia_store::contract::{self, ORG, operator};

use super::StatisticsError;
use super::indicators::{IndicatorParams, Indicators};
use super::official::{self, CatalogCache, OfficialStatistics, TableParams};

struct World {
    store: Arc<dyn Store>,
    catalogs: CatalogCache,
    _dir: tempfile::TempDir,
}

impl World {
    /// A fresh SQLite store with the contract's directory and the shipped datasets of foreign
    /// residents (territory × period × sex) and residence permits.
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("app.db").display());
        let store = crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
            .await
            .unwrap();
        contract::seed(&*store).await;
        for dataset in contract::statistics()
            .iter()
            .filter(|d| ["foreign_residents", "residence_permits_by_province"].contains(&d.info.id))
        {
            store.replace_dataset(dataset).await.unwrap();
        }
        World {
            store,
            catalogs: CatalogCache::default(),
            _dir: dir,
        }
    }

    fn official(&self) -> OfficialStatistics<'_, dyn Store> {
        OfficialStatistics {
            store: &*self.store,
            territories: contract::territories(),
            catalogs: &self.catalogs,
        }
    }

    /// The table of a view of `dataset` given as a query string, labelled in English.
    async fn view(&self, dataset: &str, query: &str) -> Result<StatTable, StatisticsError> {
        let params: TableParams = serde_urlencoded::from_str(query).unwrap();
        let official = self.official();
        let (choice, catalog) = official
            .choose(official::dataset(dataset)?, &params)
            .await?;
        official.table(&choice, &catalog, "en").await
    }

    /// Records a person at ORG in L'Aquila with one health need on `when`.
    async fn person(&self, sex: Sex, statistics: bool, n: u32, when: DateTime<Utc>) {
        let me = operator(ORG);
        let contact = Contact {
            id: format!("c0a80101-0000-4000-8000-{n:012}"),
            reference: format!("REF-{n}"),
            facts: ContactFacts {
                sex,
                comune_code: Some("066049".into()),
                ..contract::contact().facts
            },
            created_at: when,
            last_activity_at: when,
            ..contract::contact()
        };
        let consents: Vec<ConsentRecord> = [Purpose::Referral, Purpose::Statistics]
            .into_iter()
            .filter(|p| statistics || *p != Purpose::Statistics)
            .map(|purpose| ConsentRecord {
                purpose,
                given: true,
                at: when,
                recorded_by: me.account_id.clone(),
            })
            .collect();
        self.store
            .create_contact(&me, &contact, &consents)
            .await
            .unwrap();
        let need = Need {
            id: format!("d0a80101-0000-4000-8000-{n:012}"),
            contact_id: contact.id.clone(),
            organization_id: ORG.into(),
            term: TermCode::known("health").expect("a code of the needs taxonomy"),
            created_at: when,
            ..contract::need()
        };
        assert!(self.store.add_need(&me, &need).await.unwrap());
    }
}

/// The category codes of each dimension.
fn codes(table: &StatTable) -> Vec<(String, Vec<String>)> {
    table
        .dimensions
        .iter()
        .map(|d| {
            let codes = d.categories.iter().map(|c| c.code.clone()).collect();
            (d.id.clone(), codes)
        })
        .collect()
}

/// The value of a one-dimensional table at a category.
fn value_at(table: &StatTable, code: &str) -> TableValue {
    let position = table.dimensions[0]
        .categories
        .iter()
        .position(|c| c.code == code)
        .unwrap_or_else(|| panic!("{code} in {:?}", codes(table)));
    table.values[position]
}

#[tokio::test]
async fn a_breakdown_is_one_territory_and_period_by_every_category() {
    let w = World::new().await;
    let table = w
        .view("foreign_residents", "view=table&territory=13&by=sex")
        .await
        .unwrap();
    let latest = w
        .official()
        .catalog(official::dataset("foreign_residents").unwrap())
        .await
        .unwrap()
        .periods
        .last()
        .unwrap()
        .key();
    assert_eq!(
        codes(&table),
        [
            ("territory".to_owned(), vec!["13".to_owned()]),
            ("period".to_owned(), vec![latest]),
            (
                "sex".to_owned(),
                ["total", "male", "female"].map(str::to_owned).to_vec()
            ),
        ]
    );
    assert_eq!(table.dimensions[0].categories[0].label, "Abruzzo");
    assert!(
        table
            .values
            .iter()
            .all(|v| matches!(v, TableValue::Number(n) if *n > 0.0)),
        "{:?}",
        table.values
    );
    assert_eq!(table.disclosure_threshold, None, "published as they are");
}

#[tokio::test]
async fn a_map_covers_every_territory_of_its_level_and_a_series_every_period() {
    let w = World::new().await;
    let map = w
        .view("foreign_residents", "view=map&level=region")
        .await
        .unwrap();
    let catalog = w
        .official()
        .catalog(official::dataset("foreign_residents").unwrap())
        .await
        .unwrap();
    let regions: Vec<&str> = catalog.codes(TerritoryLevel::Region).collect();
    assert!(regions.len() >= 19, "{regions:?}");
    let sizes: Vec<usize> = map.dimensions.iter().map(|d| d.categories.len()).collect();
    assert_eq!(
        sizes,
        [regions.len(), 1, 1],
        "every region with figures, one period, total of both sexes"
    );
    assert_eq!(map.dimensions[2].categories[0].code, "total");
    let series = w
        .view(
            "foreign_residents",
            "view=series&territory=066&compare=068&sex=female",
        )
        .await
        .unwrap();
    let (territories, periods) = (&series.dimensions[0], &series.dimensions[1]);
    assert_eq!(territories.categories.len(), 2);
    assert_eq!(territories.categories[0].label, "L'Aquila");
    assert!(periods.categories.len() > 1, "{periods:?}");
    assert_eq!(series.dimensions[2].categories[0].code, "female");
}

#[tokio::test]
async fn a_choice_writes_its_canonical_query() {
    let w = World::new().await;
    let params: TableParams = serde_urlencoded::from_str("by=sex&territory=13&view=table").unwrap();
    let (choice, _) = w
        .official()
        .choose(official::dataset("foreign_residents").unwrap(), &params)
        .await
        .unwrap();
    let query = choice.query();
    assert!(
        query.starts_with("view=table&period=") && query.ends_with("&territory=13&by=sex"),
        "{query}"
    );
}

#[tokio::test]
async fn a_bad_parameter_is_refused_naming_it() {
    let w = World::new().await;
    for (query, parameter) in [
        ("view=pie", "view"),
        ("level=county", "level"),
        ("level=comune", "level"),
        ("region=99", "region"),
        ("period=1999-01-01", "period"),
        ("period=yesterday", "period"),
        ("sex=other", "sex"),
        ("permit_type=total", "permit_type"),
        ("territory=999", "territory"),
        ("view=series&territory=IT&compare=IT", "compare"),
        ("view=table&by=territory", "by"),
    ] {
        let error = w.view("foreign_residents", query).await.unwrap_err();
        assert_eq!(error.code(), "invalid_parameter", "{query}: {error}");
        assert_eq!(error.parameter(), Some(parameter), "{query}: {error}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("query parameter {parameter}: ")),
            "{error}"
        );
    }
    let error = w.view("nothing", "").await.unwrap_err();
    assert_eq!((error.code(), error.parameter()), ("not_found", None));
    assert_eq!(error.to_string(), "no dataset with id nothing");
    // A shipped dataset not loaded into this store has no figures to show.
    let error = w.view("reception", "").await.unwrap_err();
    assert_eq!(error.code(), "not_found", "{error}");
}

/// 2 women and 6 men in L'Aquila agreed to statistics, one more woman did not.
async fn indicator_world() -> (World, ObservatoryService, FixedClock) {
    let w = World::new().await;
    let when = Utc.with_ymd_and_hms(2026, 10, 5, 10, 0, 0).unwrap();
    let mut n = 0;
    for (sex, count) in [(Sex::Female, 2), (Sex::Male, 6)] {
        for _ in 0..count {
            n += 1;
            w.person(sex, true, n, when).await;
        }
    }
    w.person(Sex::Female, false, 100, when).await;
    let observatory = ObservatoryService::new(
        w.store.clone(),
        contract::territories(),
        Settings::default(),
    );
    let clock = FixedClock(Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap());
    (w, observatory, clock)
}

#[tokio::test]
async fn an_indicator_with_small_counts_is_published_with_them_hidden() {
    let (w, observatory, clock) = indicator_world().await;
    let indicators = Indicators {
        store: &*w.store,
        observatory: &observatory,
        clock: &clock,
    };
    let params: IndicatorParams = serde_urlencoded::from_str("by=sex&province=066").unwrap();
    let table = indicators.table("needs", &params).await.unwrap();
    let stat = indicators.stat_table(&table, "en").await.unwrap();
    assert_eq!(stat.dimensions.len(), 1);
    assert_eq!(stat.dimensions[0].id, "sex");
    assert_eq!(
        stat.dimensions[0].categories.last().unwrap().code,
        "total",
        "the totals travel with the cells"
    );
    assert_eq!(stat.disclosure_threshold, Some(5));
    assert_eq!(value_at(&stat, "female"), TableValue::Hidden, "2 women");
    assert_eq!(
        value_at(&stat, "total"),
        TableValue::Number(8.0),
        "only those who agreed to statistics"
    );
    let hidden = stat
        .values
        .iter()
        .filter(|v| **v == TableValue::Hidden)
        .count();
    assert!(hidden >= 2, "else the total gives the women away: {stat:?}");
    assert!(
        stat.values
            .iter()
            .all(|v| !matches!(v, TableValue::Number(n) if *n > 0.0 && *n < 5.0)),
        "{:?}",
        stat.values
    );
    assert_eq!(
        stat.notes.len(),
        1,
        "the note on hidden cells: {:?}",
        stat.notes
    );
}

#[tokio::test]
async fn a_bad_indicator_question_names_what_to_change() {
    let (w, observatory, clock) = indicator_world().await;
    let indicators = Indicators {
        store: &*w.store,
        observatory: &observatory,
        clock: &clock,
    };
    for (query, code, parameter) in [
        ("by=colour", "invalid_parameter", Some("by")),
        ("province=999", "invalid_parameter", Some("province")),
        ("compare=13", "invalid_parameter", Some("compare")),
        ("by=comune", "comune_needs_territory", None),
        ("by=province,region", "two_territories", None),
        ("from=2026-11&to=2025-01", "bad_period", None),
    ] {
        let params: IndicatorParams = serde_urlencoded::from_str(query).unwrap();
        let error = indicators.table("needs", &params).await.unwrap_err();
        assert_eq!(error.code(), code, "{query}: {error}");
        assert_eq!(error.parameter(), parameter, "{query}: {error}");
    }
    let error = indicators
        .table("happiness", &IndicatorParams::default())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "not_found");
}
